"""docs/webhook-events.md is the event catalogue as served by the API (regenerate it with
`make webhook-docs` after changing linkhub/services/webhook_catalogue.py)."""

from pathlib import Path

from linkhub.services import webhook_catalogue

DOC = Path(__file__).resolve().parent.parent / "docs" / "webhook-events.md"


def test_the_docs_page_matches_the_catalogue():
    assert DOC.read_text() == webhook_catalogue.markdown()


def test_every_published_event_is_on_the_page():
    text = DOC.read_text()
    for name in webhook_catalogue.CATALOGUE:
        assert f"`{name}`" in text

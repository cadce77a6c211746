"""Factories shared by the links, tags, folders and UTM-template tests: rows other modules own
(domains, campaigns, rules) made straight through the models, extra keys and members, and a
context manager for calling services between test-client requests."""

from __future__ import annotations

import contextlib
import secrets
from typing import Any

from linkhub import ids
from linkhub.models import Campaign, Domain, Rule, Workspace

DEST = "https://example.com/landing"


@contextlib.contextmanager
def in_app(app):
    """An app + request context that is closed again before the next client request (the
    client would otherwise share its `g`)."""
    with app.app_context(), app.test_request_context():
        app.extensions["linkhub.db"].connect(reuse_if_open=True)
        yield


def workspace_of(persona) -> Workspace:
    return Workspace.get(Workspace.public_id == persona.workspace_id)


def make_domain(app, persona, name: str | None = None, *, verified: bool = True,
                case_sensitive: bool = True) -> dict[str, Any]:
    name = name or f"go{secrets.token_hex(3)}.example.net"
    with in_app(app):
        row = Domain.create(public_id=ids.new_id("domain"), workspace=workspace_of(persona),
                            name=name, verified=verified, verification_token="token",
                            case_sensitive=case_sensitive)
        return {"id": row.public_id, "pk": row.id, "name": name}


def make_campaign(app, persona, name: str = "Spring") -> str:
    with in_app(app):
        row = Campaign.create(public_id=ids.new_id("campaign"),
                              workspace=workspace_of(persona), name=name,
                              pixel_code="lw_px_" + secrets.token_hex(8))
        return row.public_id


def make_rule(app, persona, *, link_id: str | None = None, campaign_id: str | None = None,
              name: str = "rule", priority: int = 100) -> str:
    from linkhub.models import Link

    with in_app(app):
        link = Link.get(Link.public_id == link_id) if link_id else None
        campaign = Campaign.get(Campaign.public_id == campaign_id) if campaign_id else None
        row = Rule.create(public_id=ids.new_id("rule"), workspace=workspace_of(persona),
                          link=link, campaign=campaign, name=name, shape="conditions",
                          conditions=[{"field": "country", "operator": "equals",
                                       "value": "FR"}],
                          tree={"logic": "AND", "conditions": []},
                          destination_url="https://example.com/fr", priority=priority)
        return row.public_id


def api_key(app, persona, scopes: list[str], user=None) -> dict[str, str]:
    """Headers with a new key of `persona`'s workspace carrying `scopes`."""
    from linkhub.services.api_keys import create_api_key

    with in_app(app):
        _, raw = create_api_key(workspace_of(persona), user or persona.user, "scoped", scopes)
    return {"X-API-Key": raw}


def viewer_headers(app, persona) -> dict[str, str]:
    """A viewer of `persona`'s workspace and a key made by that viewer (all scopes)."""
    from linkhub.services.accounts import create_user
    from linkhub.services.workspaces import add_member

    with in_app(app):
        user = create_user(f"viewer{secrets.token_hex(3)}@example.com",
                           "viewer-pass-words-1", "Vera Viewer")
        add_member(workspace_of(persona), user, "viewer")
    return api_key(app, persona, ["*"], user=user)


def create(client, persona, **fields: Any) -> dict[str, Any]:
    """POST /api/links (destination defaulted); asserts 201 and returns the link."""
    fields.setdefault("destinationUrl", DEST)
    response = client.post("/api/links", json=fields, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def error_of(response) -> tuple[int, str]:
    body = response.get_json()
    return response.status_code, body["error"]["code"]

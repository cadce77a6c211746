"""services/links.py and friends called directly: API-named dicts in, rows out; the same
rules the API applies (the dashboard and imports rely on it)."""

from __future__ import annotations

import pytest

from linkhub import ids
from linkhub.errors import ApiError, Invalid, NotFound
from linkhub.models import AuditLog, Link, Tag, UtmTemplate
from linkhub.services import link_fields, links, tags
from tests.api.links_support import DEST, workspace_of


def test_create_with_no_actor_and_audit(ctx, alice):
    link = links.create_link(workspace_of(alice), None, {"destinationUrl": DEST})
    assert link.created_by_id is None and len(link.short_code) == 7
    assert AuditLog.select().where(AuditLog.action == "link.create",
                                   AuditLog.resource_id == link.public_id).exists()


def test_service_reports_every_problem(ctx, alice):
    with pytest.raises(Invalid) as err:
        links.create_link(workspace_of(alice), None, {
            "destinationUrl": "ftp://x", "clicksLimit": "5", "enabled": "yes",
            "redirectType": 303, "password": "no", "deepLinkIos": "javascript:x"})
    assert set(err.value.fields) == {"destinationUrl", "clicksLimit", "enabled", "redirectType",
                                     "password", "deepLinkIos"}
    assert Link.select().count() == 0


def test_snake_case_utm_aliases(ctx, alice):
    link = links.create_link(workspace_of(alice), None, {"destinationUrl": DEST,
                                                         "utm_source": "a"})
    assert link.utm_source == "a"


def test_find_link_by_id_code_and_deleted(ctx, alice, charlie):
    ws = workspace_of(alice)
    link = links.create_link(ws, None, {"destinationUrl": DEST, "shortCode": "found"})
    assert links.find_link(ws, link.public_id).id == link.id
    assert links.find_link(ws, "found").id == link.id
    with pytest.raises(NotFound):
        links.find_link(workspace_of(charlie), "found")
    links.delete_link(ws, None, link)
    with pytest.raises(NotFound):
        links.find_link(ws, link.public_id)
    assert links.find_link(ws, link.public_id, include_deleted=True).id == link.id
    with pytest.raises(ApiError) as err:
        links.delete_link(ws, None, link)
    assert err.value.code == "ALREADY_DELETED"


def test_relations_in_two_queries(ctx, alice):
    ws = workspace_of(alice)
    a = links.create_link(ws, None, {"destinationUrl": DEST, "tags": ["b", "A"]})
    b = links.create_link(ws, None, {"destinationUrl": DEST})
    rel = links.relations([a, b])
    assert rel[a.id] == {"tags": ["A", "b"], "ruleIds": []}
    assert rel[b.id] == {"tags": [], "ruleIds": []}
    assert links.relations([]) == {}


def test_effective_utms(ctx, alice):
    ws = workspace_of(alice)
    template = UtmTemplate.create(public_id=ids.new_id("utm_template"), workspace=ws, name="t",
                                  utm_source="tpl", utm_term="term", ref="r")
    link = links.create_link(ws, None, {"destinationUrl": DEST, "utmSource": "own",
                                        "utmTemplateId": template.public_id})
    expected = {"utm_source": "own", "utm_term": "term", "ref": "r"}
    assert links.effective_utms(link) == expected
    assert links.effective_utms(link, template) == expected
    bare = links.create_link(ws, None, {"destinationUrl": DEST})
    assert links.effective_utms(bare) == {}


def test_upsert_service(ctx, alice):
    ws = workspace_of(alice)
    link, created = links.upsert_link(ws, None, {"destinationUrl": DEST, "externalId": "u1"})
    assert created
    again, created = links.upsert_link(ws, None, {"externalId": "u1", "title": "t"})
    assert not created and again.id == link.id and again.title == "t"


def test_tag_find_or_create_is_case_blind(ctx, alice):
    ws = workspace_of(alice)
    tags.create_tag(ws, None, {"name": "Promo"})
    existing, new = link_fields.tag_refs(ws, ["PROMO", "fresh", "Fresh"])
    assert [t.name for t in existing] == ["Promo"] and new == ["fresh"]
    made = tags.create_named(ws, None, ["fresh"])
    assert made[0].name_key == "fresh" and Tag.select().count() == 2


@pytest.mark.parametrize("value,ok", [
    ("myapp://path/1", True), ("intent://x#Intent;scheme=app;end", True),
    ("https://example.com/app", True), ("JavaScript:alert(1)", False), ("data:,x", False),
    ("vbscript:x", False), ("file:///x", False), ("myapp:", False), ("noscheme", False),
    ("my app://x", False),
])
def test_app_link_targets(ctx, value, ok):
    if ok:
        assert link_fields.app_link(value, "deepLinkIos") == value
    else:
        with pytest.raises(Invalid):
            link_fields.app_link(value, "deepLinkIos")


def test_expires_at_accepts_datetimes_and_naive_utc(ctx):
    from datetime import UTC, datetime, timedelta

    from linkhub import clock

    aware = datetime.now(UTC) + timedelta(days=1)
    assert link_fields.expires_at(aware) == aware.replace(tzinfo=None)
    naive = (clock.now() + timedelta(hours=1)).isoformat()
    assert link_fields.expires_at(naive) == clock.parse_iso(naive)
    with pytest.raises(Invalid):
        link_fields.expires_at(clock.iso(clock.now() - timedelta(seconds=1)))


def test_generated_code_race_retries_with_a_new_code(ctx, alice, monkeypatch):
    from linkhub.services import short_codes

    ws = workspace_of(alice)
    links.create_link(ws, None, {"destinationUrl": DEST, "shortCode": "raced01"})
    codes = iter(["raced01", "fresh01"])  # the first was taken after the free check
    monkeypatch.setattr(short_codes, "generate_free", lambda domain: next(codes))
    link = links.create_link(ws, None, {"destinationUrl": DEST, "tags": ["once"]})
    assert link.short_code == "fresh01"
    assert Tag.select().where(Tag.name_key == "once").count() == 1

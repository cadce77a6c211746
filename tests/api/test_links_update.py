"""PATCH /api/links/{id}: absent vs null, code and domain changes, tag and rule sets,
validation, isolation, scopes and cache invalidation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linkhub import clock
from linkhub.models import Link
from tests.api.links_support import (
    DEST,
    api_key,
    create,
    error_of,
    in_app,
    make_campaign,
    make_domain,
    make_rule,
    viewer_headers,
)
from tests.conftest import db_snapshot


def patch(client, persona, link_id, body, headers=None):
    return client.patch(f"/api/links/{link_id}", json=body, headers=headers or persona.headers)


def patched(client, persona, link_id, body):
    r = patch(client, persona, link_id, body)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["data"]


def refused(app, client, persona, link_id, body, status=400, code="VALIDATION_ERROR",
            headers=None):
    before = db_snapshot(app)
    with in_app(app):
        row_before = Link.get(Link.public_id == link_id).__data__ if link_id.startswith(
            "link_") else None
    r = patch(client, persona, link_id, body, headers)
    assert error_of(r) == (status, code), r.get_json()
    assert db_snapshot(app) == before
    if row_before is not None:
        with in_app(app):
            assert Link.get(Link.public_id == link_id).__data__ == row_before
    return r.get_json()["error"]


def test_absent_fields_stay_and_updated_at_moves(client, alice):
    link = create(client, alice, title="keep", notes="n", clicksLimit=5)
    out = patched(client, alice, link["id"], {"title": "new"})
    assert out["title"] == "new" and out["notes"] == "n" and out["clicksLimit"] == 5
    assert out["updatedAt"] >= link["updatedAt"]


def test_null_semantics(client, alice):
    expires = clock.iso(clock.now() + timedelta(days=2))
    campaign_link = create(client, alice, clicksLimit=5, password="secret", expiresAt=expires,
                           title="t", tags=["a"], utmSource="s")
    out = patched(client, alice, campaign_link["id"], {
        "clicksLimit": None, "password": None, "expiresAt": None, "title": None,
        "tags": None, "utmSource": None})
    assert out["clicksLimit"] is None and out["passwordProtected"] is False
    assert out["expiresAt"] is None and out["title"] is None
    assert out["tags"] == [] and out["utmSource"] is None
    again = patched(client, alice, campaign_link["id"], {"password": "abcd"})
    assert again["passwordProtected"] is True
    assert patched(client, alice, campaign_link["id"],
                   {"password": ""})["passwordProtected"] is False


def test_tags_and_rules_replace_the_whole_set(app, client, alice):
    r1, r2 = make_rule(app, alice, name="r1"), make_rule(app, alice, name="r2")
    link = create(client, alice, tags=["a", "b"], ruleIds=[r1])
    out = patched(client, alice, link["id"], {"tags": ["c"], "ruleIds": [r2, r1]})
    assert out["tags"] == ["c"] and out["ruleIds"] == [r2, r1]
    out = patched(client, alice, link["id"], {"title": "x"})
    assert out["tags"] == ["c"] and out["ruleIds"] == [r2, r1]
    out = patched(client, alice, link["id"], {"ruleIds": []})
    assert out["ruleIds"] == []


def test_references_can_be_set_and_cleared(app, client, alice):
    campaign = make_campaign(app, alice)
    folder = client.post("/api/folders", json={"name": "F"},
                         headers=alice.headers).get_json()["data"]["id"]
    link = create(client, alice)
    out = patched(client, alice, link["id"], {"campaignId": campaign, "folderId": folder})
    assert out["campaignId"] == campaign and out["folderId"] == folder
    out = patched(client, alice, link["id"], {"campaignId": None, "folderId": None})
    assert out["campaignId"] is None and out["folderId"] is None


def test_destination_may_be_cleared_only_without_needing_it(app, client, alice):
    link = create(client, alice)
    refused(app, client, alice, link["id"], {"destinationUrl": None})
    out = patched(client, alice, link["id"], {"destinationUrl": None,
                                              "redirectBehavior": "rule_only"})
    assert out["destinationUrl"] is None
    refused(app, client, alice, link["id"], {"redirectBehavior": "auto"})


def test_short_code_change_rechecks_uniqueness_and_invalidates_both_keys(app, client, alice,
                                                                          monkeypatch):
    from linkhub.redirect import cache

    create(client, alice, shortCode="taken")
    link = create(client, alice, shortCode="mine")
    refused(app, client, alice, link["id"], {"shortCode": "taken"}, 409, "SHORT_CODE_EXISTS")
    refused(app, client, alice, link["id"], {"shortCode": "api"})
    refused(app, client, alice, link["id"], {"shortCode": None})
    calls = []
    monkeypatch.setattr(cache.for_app(app), "invalidate_link", lambda *a: calls.append(a))
    out = patched(client, alice, link["id"], {"shortCode": "renamed"})
    assert out["shortCode"] == "renamed" and out["shortUrl"].endswith("/renamed")
    assert (0, "mine") in calls[-1] and (0, "renamed") in calls[-1]
    assert patched(client, alice, link["id"], {"shortCode": "renamed"})["shortCode"] == (
        "renamed")
    assert create(client, alice, shortCode="mine")  # the old code is free again


def test_domain_change_rechecks_uniqueness(app, client, alice):
    domain = make_domain(app, alice, case_sensitive=False)
    create(client, alice, shortCode="dup", domainId=domain["id"])
    link = create(client, alice, shortCode="DUP")
    refused(app, client, alice, link["id"], {"domainId": domain["id"]}, 409,
            "SHORT_CODE_EXISTS")
    other = create(client, alice, shortCode="free")
    out = patched(client, alice, other["id"], {"domainId": domain["id"]})
    assert out["domainId"] == domain["id"] and out["domain"] == domain["name"]
    out = patched(client, alice, other["id"], {"domainId": None})
    assert out["domainId"] is None


@pytest.mark.parametrize("body", [
    {"clicksLimit": 0}, {"password": "abc"}, {"password": "y" * 129},
    {"expiresAt": "2001-01-01"}, {"expiresAt": "tomorrow"}, {"enabled": None},
    {"redirectType": None}, {"destinationUrl": "javascript:alert(1)"},
    {"deepLinkEnabled": True}, {"tags": [""]}, {"title": ["x"]}, {"enabled": "false"},
    {"destinationUrl": "https://u:p@example.com"}, {"redirectBehavior": None},
])
def test_bad_updates_change_nothing(app, client, alice, body):
    link = create(client, alice)
    refused(app, client, alice, link["id"], body)


def test_updates_by_short_code_path(client, alice):
    create(client, alice, shortCode="viacode")
    assert patched(client, alice, "viacode", {"title": "ok"})["title"] == "ok"


def test_other_workspace_cannot_update_or_reference(app, client, alice, charlie):
    link = create(client, alice, shortCode="private")
    for ref in (link["id"], "private"):
        refused(app, client, charlie, ref, {"title": "mine now"}, 404, "NOT_FOUND")
    theirs = create(client, charlie)
    refused(app, client, charlie, theirs["id"], {"campaignId": make_campaign(app, alice)},
            404, "NOT_FOUND")
    refused(app, client, charlie, theirs["id"], {"ruleIds": [make_rule(app, alice)]}, 404,
            "NOT_FOUND")


def test_update_scopes_and_roles(app, client, alice):
    link = create(client, alice)
    read_only = api_key(app, alice, ["links:read", "links:create"])
    refused(app, client, alice, link["id"], {"title": "x"}, 403, "FORBIDDEN",
            headers=read_only)
    refused(app, client, alice, link["id"], {"title": "x"}, 403, "FORBIDDEN",
            headers=viewer_headers(app, alice))
    writer = api_key(app, alice, ["links:write"])
    assert patch(client, alice, link["id"], {"title": "x"}, writer).status_code == 200


def test_deleted_link_cannot_be_updated(app, client, alice):
    link = create(client, alice)
    client.delete(f"/api/links/{link['id']}", headers=alice.headers)
    refused(app, client, alice, link["id"], {"title": "zombie"}, 404, "NOT_FOUND")


def test_patch_keeps_destination_checks(app, client, alice):
    link = create(client, alice, destinationUrl=DEST)
    out = patched(client, alice, link["id"], {"destinationUrl": "https://example.org/new"})
    assert out["destinationUrl"] == out["defaultDestination"] == "https://example.org/new"

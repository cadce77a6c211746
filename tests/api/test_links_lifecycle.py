"""DELETE (soft), archive/unarchive, PUT /api/links/upsert and POST /api/links/{id}/transfer."""

from __future__ import annotations

from linkhub import ids
from linkhub.models import Link, LinkRule, LinkTag, Rule, Webhook
from linkhub.services.workspaces import create_workspace
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
from tests.conftest import db_snapshot, login

# --- delete -----------------------------------------------------------------------------------


def test_soft_delete_frees_the_code_and_keeps_the_row(app, client, alice):
    link = create(client, alice, shortCode="reuse")
    own = make_rule(app, alice, link_id=link["id"])
    r = client.delete(f"/api/links/{link['id']}", headers=alice.headers)
    assert r.status_code == 200
    assert r.get_json()["data"] == {"id": link["id"], "deleted": True}
    with in_app(app):
        row = Link.get(Link.public_id == link["id"])
        assert row.deleted_at is not None
        assert Rule.get(Rule.public_id == own).deleted_at is not None
    again = create(client, alice, shortCode="reuse")
    assert again["id"] != link["id"]
    for method in ("get", "patch"):
        r = getattr(client, method)(f"/api/links/{link['id']}", json={},
                                    headers=alice.headers)
        assert error_of(r) == (404, "NOT_FOUND")
    assert error_of(client.post(f"/api/links/{link['id']}/archive",
                                headers=alice.headers)) == (404, "NOT_FOUND")


def test_second_delete_is_already_deleted(app, client, alice):
    link = create(client, alice)
    client.delete(f"/api/links/{link['id']}", headers=alice.headers)
    before = db_snapshot(app)
    r = client.delete(f"/api/links/{link['id']}", headers=alice.headers)
    assert error_of(r) == (409, "ALREADY_DELETED")
    assert db_snapshot(app) == before


def test_delete_by_code_isolation_scopes_and_roles(app, client, alice, charlie):
    link = create(client, alice, shortCode="bycode")
    before = db_snapshot(app)
    for headers in (charlie.headers,):
        for ref in (link["id"], "bycode"):
            assert error_of(client.delete(f"/api/links/{ref}", headers=headers)) == (
                404, "NOT_FOUND")
    no_delete = api_key(app, alice, ["links:read", "links:update"])
    assert error_of(client.delete("/api/links/bycode", headers=no_delete)) == (403,
                                                                             "FORBIDDEN")
    viewer = viewer_headers(app, alice)
    before = db_snapshot(app)
    assert error_of(client.delete("/api/links/bycode", headers=viewer)) == (403, "FORBIDDEN")
    assert db_snapshot(app) == before
    assert client.delete("/api/links/bycode", headers=alice.headers).status_code == 200


# --- archive ----------------------------------------------------------------------------------

def test_archive_and_unarchive(app, client, alice, monkeypatch):
    from linkhub.redirect import cache

    link = create(client, alice, shortCode="arch")
    calls = []
    monkeypatch.setattr(cache.for_app(app), "invalidate_link", lambda *a: calls.append(a))
    r = client.post(f"/api/links/{link['id']}/archive", headers=alice.headers)
    assert r.status_code == 200
    data = r.get_json()["data"]
    assert data["archived"] is True and data["archivedAt"].endswith("Z")
    assert calls and calls[-1][-1] == (0, "arch")
    again = client.post(f"/api/links/{link['id']}/archive", headers=alice.headers)
    assert again.get_json()["data"]["archivedAt"] == data["archivedAt"]
    r = client.post(f"/api/links/{link['id']}/unarchive", headers=alice.headers)
    assert r.get_json()["data"]["archived"] is False
    assert r.get_json()["data"]["archivedAt"] is None


def test_archive_isolation_and_roles(app, client, alice, charlie):
    link = create(client, alice)
    before = db_snapshot(app)
    r = client.post(f"/api/links/{link['id']}/archive", headers=charlie.headers)
    assert error_of(r) == (404, "NOT_FOUND")
    r = client.post(f"/api/links/{link['id']}/archive", headers=viewer_headers(app, alice))
    assert error_of(r) == (403, "FORBIDDEN")
    with in_app(app):
        assert Link.get(Link.public_id == link["id"]).archived_at is None
    assert db_snapshot(app)["link"] == before["link"]


# --- upsert -----------------------------------------------------------------------------------

def test_upsert_creates_then_updates_by_external_id(app, client, alice):
    body = {"destinationUrl": DEST, "externalId": "sku-1", "title": "v1"}
    first = client.put("/api/links/upsert", json=body, headers=alice.headers)
    assert first.status_code == 201
    second = client.put("/api/links/upsert", json={**body, "title": "v2"},
                        headers=alice.headers)
    assert second.status_code == 200
    assert second.get_json()["data"]["id"] == first.get_json()["data"]["id"]
    assert second.get_json()["data"]["title"] == "v2"


def test_upsert_matches_domain_and_code(app, client, alice, charlie):
    domain = make_domain(app, alice)
    link = create(client, alice, shortCode="same", domainId=domain["id"])
    r = client.put("/api/links/upsert", json={"shortCode": "same", "domainId": domain["id"],
                                               "title": "matched"}, headers=alice.headers)
    assert r.status_code == 200 and r.get_json()["data"]["id"] == link["id"]
    r = client.put("/api/links/upsert", json={"destinationUrl": DEST, "shortCode": "same"},
                   headers=alice.headers)
    assert r.status_code == 201  # the same code on the default domain is another link
    before = db_snapshot(app)
    r = client.put("/api/links/upsert", json={"destinationUrl": DEST, "shortCode": "same"},
                   headers=charlie.headers)
    assert error_of(r) == (409, "SHORT_CODE_EXISTS")
    assert db_snapshot(app) == before


def test_upsert_validation_and_scopes(app, client, alice):
    before = db_snapshot(app)
    r = client.put("/api/links/upsert", json={"title": "no destination"},
                   headers=alice.headers)
    assert error_of(r) == (400, "VALIDATION_ERROR")
    r = client.put("/api/links/upsert", json={"destinationUrl": DEST, "shortCode": "app"},
                   headers=alice.headers)
    assert error_of(r) == (400, "VALIDATION_ERROR")
    create_only = api_key(app, alice, ["links:read", "links:create"])
    before = db_snapshot(app)
    r = client.put("/api/links/upsert", json={"destinationUrl": DEST, "externalId": "e"},
                   headers=create_only)
    assert r.status_code == 201
    r = client.put("/api/links/upsert", json={"destinationUrl": DEST, "externalId": "e",
                                               "title": "changed"}, headers=create_only)
    assert error_of(r) == (403, "FORBIDDEN")
    assert db_snapshot(app)["link"] == before["link"] + 1


# --- transfer ---------------------------------------------------------------------------------

def test_transfer_to_campaign_and_detach(app, client, alice, charlie):
    campaign = make_campaign(app, alice)
    link = create(client, alice)
    r = client.post(f"/api/links/{link['id']}/transfer", json={"campaignId": campaign},
                    headers=alice.headers)
    assert r.status_code == 200 and r.get_json()["data"]["campaignId"] == campaign
    r = client.post(f"/api/links/{link['id']}/transfer", json={"campaignId": None},
                    headers=alice.headers)
    assert r.get_json()["data"]["campaignId"] is None
    before = db_snapshot(app)
    foreign = make_campaign(app, charlie)
    before = db_snapshot(app)
    r = client.post(f"/api/links/{link['id']}/transfer", json={"campaignId": foreign},
                    headers=alice.headers)
    assert error_of(r) == (404, "NOT_FOUND")
    for body in ({}, {"campaignId": campaign, "workspaceId": charlie.workspace_id}):
        r = client.post(f"/api/links/{link['id']}/transfer", json=body,
                        headers=alice.headers)
        assert error_of(r) == (400, "VALIDATION_ERROR")
    r = client.post(f"/api/links/{link['id']}/transfer", json={"campaignId": campaign},
                    headers=charlie.headers)
    assert error_of(r) == (404, "NOT_FOUND")
    assert db_snapshot(app) == before


def test_transfer_to_workspace_needs_a_session(app, client, alice):
    link = create(client, alice)
    before = db_snapshot(app)
    r = client.post(f"/api/links/{link['id']}/transfer",
                    json={"workspaceId": alice.workspace_id}, headers=alice.headers)
    assert error_of(r) == (403, "FORBIDDEN")
    assert db_snapshot(app) == before


def test_transfer_to_workspace_moves_code_and_own_rules(app, client, alice):
    link = create(client, alice, shortCode="mover", tags=["t"], externalId="x1",
                  campaignId=make_campaign(app, alice))
    shared = make_rule(app, alice)
    client.patch(f"/api/links/{link['id']}", json={"ruleIds": [shared]}, headers=alice.headers)
    own = make_rule(app, alice, link_id=link["id"])
    with in_app(app):
        target = create_workspace(alice.user, "Alice Two").public_id
        row = Link.get(Link.public_id == link["id"])
        Webhook.create(public_id=ids.new_id("webhook"), workspace=row.workspace, link=row,
                       scope="link", url="https://hooks.example/x", events=["click"],
                       secret="whsec_" + "A" * 32)
    csrf = login(client, alice.email)
    headers = {"X-CSRF-Token": csrf, "X-Workspace-Id": alice.workspace_id}
    r = client.post(f"/api/links/{link['id']}/transfer", json={"workspaceId": target},
                    headers=headers)
    assert r.status_code == 200, r.get_json()
    data = r.get_json()["data"]
    assert data["shortCode"] == "mover" and data["tags"] == [] and data["ruleIds"] == []
    assert data["campaignId"] is None and data["externalId"] == "x1"
    with in_app(app):
        row = Link.get(Link.public_id == link["id"])
        assert row.workspace.public_id == target
        assert Rule.get(Rule.public_id == own).workspace.public_id == target
        assert not LinkTag.select().where(LinkTag.link == row).exists()
        assert not LinkRule.select().where(LinkRule.link == row).exists()
        assert not Webhook.select().where(Webhook.link == row).exists()  # old workspace's
    r = client.get(f"/api/links/{link['id']}", headers=alice.headers)
    assert error_of(r) == (404, "NOT_FOUND")
    r = client.get("/api/links/mover", headers={"X-Workspace-Id": target})
    assert r.get_json()["data"]["id"] == link["id"]


def test_transfer_to_workspace_refusals(app, client, alice, bob, charlie):
    link = create(client, alice)
    domain = make_domain(app, alice)
    on_domain = create(client, alice, domainId=domain["id"])
    with in_app(app):
        mine = create_workspace(alice.user, "Alice Three").public_id
    csrf = login(client, alice.email)
    headers = {"X-CSRF-Token": csrf, "X-Workspace-Id": alice.workspace_id}
    before = db_snapshot(app)
    for target, status in ((charlie.workspace_id, 404), ("ws_0000000000000000", 404),
                           (alice.workspace_id, 400)):
        r = client.post(f"/api/links/{link['id']}/transfer", json={"workspaceId": target},
                        headers=headers)
        assert error_of(r)[0] == status, r.get_json()
    r = client.post(f"/api/links/{on_domain['id']}/transfer", json={"workspaceId": mine},
                    headers=headers)
    assert error_of(r) == (400, "VALIDATION_ERROR")
    assert db_snapshot(app) == before
    client.post("/api/auth/sign-out", headers={"X-CSRF-Token": csrf})
    # bob is only an editor in alice's workspace
    bob_csrf = login(client, bob.email)
    before = db_snapshot(app)
    r = client.post(f"/api/links/{link['id']}/transfer", json={"workspaceId": mine},
                    headers={"X-CSRF-Token": bob_csrf, "X-Workspace-Id": alice.workspace_id})
    assert error_of(r) == (403, "FORBIDDEN")
    assert db_snapshot(app) == before

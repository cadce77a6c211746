"""/api/workspaces: list, create, get, update, delete, transfer ownership, usage; every role,
isolation, API keys on session-only routes, CSRF, and no change on any rejection."""

from __future__ import annotations

import pytest

from linkhub.models import ApiKey, Invitation, Member, User, Workspace
from linkhub.schemas.workspaces import MemberOut, UsageOut, WorkspaceOut
from linkhub.services.accounts import create_user
from linkhub.services.api_keys import create_api_key
from linkhub.services.workspaces import MAX_JOINED, add_member, create_workspace
from tests.conftest import PASSWORD, db_snapshot, session


@pytest.fixture
def client(app):
    """A plain test client: conftest's keeps the last request context open, which would tangle
    with the `ctx` fixture these tests also use."""
    return app.test_client()


@pytest.fixture
def team(ctx, alice):
    """dana (admin) and vic (viewer) join Alice Co beside alice (owner) and bob (editor)."""
    people = {}
    for name, role in (("dana", "admin"), ("vic", "viewer")):
        user = create_user(f"{name}@example.com", PASSWORD, name.title())
        add_member(alice.workspace, user, role)
        people[name] = user
    return people


def url(persona_or_id, suffix=""):
    ws = persona_or_id if isinstance(persona_or_id, str) else persona_or_id.workspace_id
    return f"/api/workspaces/{ws}{suffix}"


def assert_error(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == code, body
    return body


# --- list ----------------------------------------------------------------------------------

def test_list_with_session_shows_every_membership_with_role(app, ctx, alice, bob):
    create_workspace(bob.user, "Bob Side Project")
    client = session(app, bob.email)
    body = client.get("/api/workspaces").get_json()
    assert body["success"] is True
    roles = {w["name"]: w["role"] for w in body["data"]}
    assert roles == {"Alice Co": "editor", "Bob Side Project": "owner"}
    assert body["pagination"]["total"] == 2
    for item in body["data"]:
        WorkspaceOut.model_validate(item)


def test_list_with_api_key_shows_only_the_keys_workspace(client, ctx, alice, bob):
    create_workspace(alice.user, "Second")
    body = client.get("/api/workspaces", headers=alice.headers).get_json()
    assert [w["id"] for w in body["data"]] == [alice.workspace_id]
    assert body["data"][0]["role"] == "owner"
    body = client.get("/api/workspaces", headers=bob.headers).get_json()
    assert body["data"][0]["role"] == "editor"


def test_list_needs_credentials(client):
    assert_error(client.get("/api/workspaces"), 401, "UNAUTHORIZED")


def test_list_pagination(app, ctx, alice):
    create_workspace(alice.user, "Zeta")
    client = session(app, alice.email)
    body = client.get("/api/workspaces?limit=1&page=2").get_json()
    assert [w["name"] for w in body["data"]] == ["Zeta"]
    assert body["pagination"] == {"total": 2, "page": 2, "limit": 1, "hasMore": False,
                                  "totalPages": 2}
    assert_error(client.get("/api/workspaces?limit=0"), 400, "VALIDATION_ERROR")


# --- create --------------------------------------------------------------------------------

def test_create_with_session_makes_the_caller_owner(app, alice):
    client = session(app, alice.email)
    response = client.post("/api/workspaces", json={"name": "  Marketing  "})
    assert response.status_code == 201
    data = response.get_json()["data"]
    WorkspaceOut.model_validate(data)
    assert data["name"] == "Marketing" and data["role"] == "owner"
    assert data["timezone"] == "UTC" and data["id"].startswith("ws_")
    listed = client.get("/api/workspaces").get_json()["data"]
    assert {"Alice Co", "Marketing"} == {w["name"] for w in listed}


def test_create_with_api_key_is_forbidden(app, client, alice):
    before = db_snapshot(app)
    assert_error(client.post("/api/workspaces", json={"name": "X"}, headers=alice.headers),
                 403, "FORBIDDEN")
    assert db_snapshot(app) == before


@pytest.mark.parametrize("payload", [{}, {"name": ""}, {"name": "   "}, {"name": 5},
                                     {"name": "x" * 101}])
def test_create_rejects_bad_names(app, alice, payload):
    client = session(app, alice.email)
    before = db_snapshot(app)
    body = assert_error(client.post("/api/workspaces", json=payload), 400, "VALIDATION_ERROR")
    assert body["error"]["details"][0]["field"] == "name"
    assert db_snapshot(app) == before


def test_create_rejects_malformed_bodies(app, alice):
    client = session(app, alice.email)
    before = db_snapshot(app)
    assert_error(client.post("/api/workspaces", data="{nope",
                             content_type="application/json"), 400, "VALIDATION_ERROR")
    assert_error(client.post("/api/workspaces", data="name=x",
                             content_type="text/plain"), 400, "VALIDATION_ERROR")
    assert_error(client.post("/api/workspaces", json=["x"]), 400, "VALIDATION_ERROR")
    assert db_snapshot(app) == before


def test_create_without_csrf_is_forbidden(app, alice):
    client = session(app, alice.email)
    del client.environ_base["HTTP_X_CSRF_TOKEN"]
    before = db_snapshot(app)
    body = assert_error(client.post("/api/workspaces", json={"name": "X"}), 403, "FORBIDDEN")
    assert "CSRF" in body["error"]["message"]
    assert db_snapshot(app) == before


def test_create_is_capped_per_user(app, ctx, alice):
    for n in range(MAX_JOINED - 1):
        create_workspace(alice.user, f"Extra {n}")
    client = session(app, alice.email)
    before = db_snapshot(app)
    assert_error(client.post("/api/workspaces", json={"name": "One too many"}), 403,
                 "LIMIT_EXCEEDED")
    assert db_snapshot(app) == before


# --- get -----------------------------------------------------------------------------------

def test_get_by_each_role(app, client, team, alice, bob):
    data = client.get(url(alice), headers=alice.headers).get_json()["data"]
    WorkspaceOut.model_validate(data)
    assert data["name"] == "Alice Co" and data["role"] == "owner"
    assert client.get(url(alice), headers=bob.headers).get_json()["data"]["role"] == "editor"
    for email, role in (("vic@example.com", "viewer"), ("dana@example.com", "admin")):
        data = session(app, email).get(url(alice)).get_json()["data"]
        assert data["role"] == role


def test_outsider_gets_the_same_404_as_a_missing_workspace(app, client, alice, charlie):
    missing = "ws_" + "0" * 16
    outsider = client.get(url(alice), headers=charlie.headers)
    absent = client.get(url(missing), headers=charlie.headers)
    malformed = client.get(url("ws_nope"), headers=charlie.headers)
    assert_error(outsider, 404, "NOT_FOUND")
    assert outsider.get_json() == absent.get_json() == malformed.get_json()
    charlie_session = session(app, charlie.email)
    for path in ("", "/usage"):
        a = charlie_session.get(url(alice, path))
        b = charlie_session.get(url(missing, path))
        assert a.status_code == b.status_code == 404 and a.get_json() == b.get_json()
    before = db_snapshot(app)
    for method in ("patch", "delete"):
        a = getattr(charlie_session, method)(url(alice), json={"name": "Pwned"})
        b = getattr(charlie_session, method)(url(missing), json={"name": "Pwned"})
        assert a.status_code == b.status_code == 404 and a.get_json() == b.get_json()
    a = charlie_session.post(url(alice, "/transfer-ownership"), json={"userId": charlie.user_id})
    assert a.status_code == 404
    assert db_snapshot(app) == before


def test_scope_is_enforced_for_get(client, ctx, alice):
    _, raw = create_api_key(alice.workspace, alice.user, "links only", ["links:read"])
    assert_error(client.get(url(alice), headers={"X-API-Key": raw}), 403, "FORBIDDEN")


# --- update --------------------------------------------------------------------------------

def test_owner_updates_name_logo_and_timezone(client, alice):
    response = client.patch(url(alice), headers=alice.headers, json={
        "name": "Alice Inc", "logo": "https://cdn.example.com/logo.png",
        "timezone": "Europe/Paris"})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert (data["name"], data["logo"], data["timezone"]) == (
        "Alice Inc", "https://cdn.example.com/logo.png", "Europe/Paris")
    data = client.patch(url(alice), headers=alice.headers, json={"logo": None}).get_json()["data"]
    assert data["logo"] is None and data["name"] == "Alice Inc"


def test_admin_may_update_editor_and_viewer_may_not(app, client, team, alice, bob):
    dana = session(app, "dana@example.com")
    assert dana.patch(url(alice), json={"name": "By Dana"}).status_code == 200
    vic = session(app, "vic@example.com")
    before = db_snapshot(app)
    assert_error(client.patch(url(alice), headers=bob.headers, json={"name": "By Bob"}),
                 403, "FORBIDDEN")
    assert_error(vic.patch(url(alice), json={"name": "By Vic"}), 403, "FORBIDDEN")
    assert db_snapshot(app) == before
    assert client.get(url(alice), headers=alice.headers).get_json()["data"]["name"] == "By Dana"


def test_key_with_links_read_only_cannot_update(app, client, ctx, alice):
    _, raw = create_api_key(alice.workspace, alice.user, "links only", ["links:read"])
    before = db_snapshot(app)
    body = assert_error(client.patch(url(alice), headers={"X-API-Key": raw},
                                     json={"name": "Nope"}), 403, "FORBIDDEN")
    assert "workspace:update" in body["error"]["message"]
    assert db_snapshot(app) == before


@pytest.mark.parametrize("payload,field", [
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": None}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"logo": "ftp://example.com/a.png"}, "logo"),
    ({"logo": "javascript:alert(1)"}, "logo"),
    ({"logo": "https://example.com/" + "a" * 2048}, "logo"),
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"name": ["x"]}, "name"),
])
def test_update_rejects_bad_values(app, client, alice, payload, field):
    before = db_snapshot(app)
    body = assert_error(client.patch(url(alice), headers=alice.headers, json=payload), 400,
                        "VALIDATION_ERROR")
    assert [d["field"] for d in body["error"]["details"]] == [field]
    assert db_snapshot(app) == before
    with app.app_context():
        ws = Workspace.get(Workspace.public_id == alice.workspace_id)
        assert (ws.name, ws.timezone, ws.logo) == ("Alice Co", "UTC", None)


def test_update_reports_every_bad_field_and_changes_nothing(app, client, alice):
    body = assert_error(client.patch(url(alice), headers=alice.headers, json={
        "name": "Fine", "timezone": "Nowhere", "logo": "nope"}), 400, "VALIDATION_ERROR")
    assert {d["field"] for d in body["error"]["details"]} == {"timezone", "logo"}
    assert client.get(url(alice), headers=alice.headers).get_json()["data"]["name"] == "Alice Co"


def test_update_malformed_json(app, client, alice):
    before = db_snapshot(app)
    assert_error(client.patch(url(alice), headers=alice.headers, data="{",
                              content_type="application/json"), 400, "VALIDATION_ERROR")
    assert db_snapshot(app) == before


# --- delete --------------------------------------------------------------------------------

def test_only_the_owner_with_a_session_may_delete(app, client, team, alice, bob):
    others = [session(app, e) for e in ("dana@example.com", "bob@example.com",
                                          "vic@example.com")]
    owner = session(app, alice.email)
    del owner.environ_base["HTTP_X_CSRF_TOKEN"]
    before = db_snapshot(app)
    assert_error(client.delete(url(alice), headers=alice.headers), 403, "FORBIDDEN")
    for other in others:
        assert_error(other.delete(url(alice)), 403, "FORBIDDEN")
    assert_error(owner.delete(url(alice)), 403, "FORBIDDEN")
    assert db_snapshot(app) == before


def test_delete_cascades_and_defaults_fall_back(app, client, ctx, team, alice, bob):
    bob_ws = create_workspace(bob.user, "Bob Solo")  # bob's default stays Alice Co
    owner = session(app, alice.email)
    owner.post(url(alice, "/members/invite"), json={"email": "zed@example.com"})
    response = owner.delete(url(alice))
    assert response.status_code == 200
    assert response.get_json()["data"] == {"id": alice.workspace_id, "deleted": True}
    assert Workspace.get_or_none(Workspace.public_id == alice.workspace_id) is None
    assert Member.select().join(Workspace).where(
        Workspace.public_id == alice.workspace_id).count() == 0
    assert Invitation.select().count() == 0
    assert ApiKey.select().where(ApiKey.created_by == bob.user).count() == 0
    assert User.get_by_id(bob.user.id).default_workspace_id == bob_ws.id
    assert User.get_by_id(team["vic"].id).default_workspace_id is None
    assert User.get_by_id(alice.user.id).default_workspace_id is None
    assert_error(client.get("/api/workspaces", headers=alice.headers), 401, "INVALID_API_KEY")
    assert owner.get("/api/workspaces").get_json()["data"] == []


# --- transfer ownership --------------------------------------------------------------------

def test_transfer_ownership_by_member_id(app, ctx, alice, bob):
    owner = session(app, alice.email)
    bob_member = Member.get(Member.user == bob.user)
    response = owner.post(url(alice, "/transfer-ownership"),
                          json={"memberId": bob_member.public_id})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    MemberOut.model_validate(data)
    assert data["userId"] == bob.user_id and data["role"] == "owner"
    assert Member.get(Member.user == alice.user).role == "admin"
    assert owner.get(url(alice)).get_json()["data"]["role"] == "admin"
    assert_error(owner.delete(url(alice)), 403, "FORBIDDEN")


def test_transfer_ownership_by_user_id(app, alice, bob):
    owner = session(app, alice.email)
    response = owner.post(url(alice, "/transfer-ownership"), json={"userId": bob.user_id})
    assert response.status_code == 200
    assert session(app, bob.email).get(url(alice)).get_json()["data"]["role"] == "owner"


@pytest.mark.parametrize("make_payload,field", [
    (lambda p: {}, "memberId"),
    (lambda p: {"userId": p["alice"].user_id}, "userId"),
    (lambda p: {"userId": p["charlie"].user_id}, "userId"),
    (lambda p: {"userId": "usr_nope"}, "userId"),
    (lambda p: {"memberId": "mem_" + "0" * 16}, "memberId"),
    (lambda p: {"memberId": 12}, "memberId"),
])
def test_transfer_rejects_self_and_non_members(app, personas, make_payload, field):
    owner = session(app, personas["alice"].email)
    before = db_snapshot(app)
    body = assert_error(owner.post(url(personas["alice"], "/transfer-ownership"),
                                   json=make_payload(personas)), 400, "VALIDATION_ERROR")
    assert body["error"]["details"][0]["field"] == field
    assert db_snapshot(app) == before


def test_transfer_needs_the_owner_and_a_session(app, client, team, alice, bob):
    dana = session(app, "dana@example.com")
    before = db_snapshot(app)
    assert_error(client.post(url(alice, "/transfer-ownership"), headers=alice.headers,
                             json={"userId": bob.user_id}), 403, "FORBIDDEN")
    assert_error(dana.post(url(alice, "/transfer-ownership"), json={"userId": bob.user_id}),
                 403, "FORBIDDEN")
    assert db_snapshot(app) == before


def test_transfer_of_another_workspaces_member_is_rejected(app, ctx, alice, charlie):
    owner = session(app, alice.email)
    charlie_member = Member.get(Member.user == charlie.user)
    assert_error(owner.post(url(alice, "/transfer-ownership"),
                            json={"memberId": charlie_member.public_id}), 400,
                 "VALIDATION_ERROR")


# --- usage ---------------------------------------------------------------------------------

def test_usage_counts(app, client, team, alice, bob):
    owner = session(app, alice.email)
    owner.post(url(alice, "/members/invite"), json={"email": "new@example.com"})
    data = client.get(url(alice, "/usage"), headers=bob.headers).get_json()["data"]
    UsageOut.model_validate(data)
    assert data == {"members": 4, "pendingInvitations": 1, "apiKeys": 2}
    vic = session(app, "vic@example.com")
    assert vic.get(url(alice, "/usage")).status_code == 200


def test_timezone_change_clears_the_redirect_cache(app, alice):
    from linkhub.redirect import cache

    link_cache = cache.for_app(app)
    link_cache.put_link((0, "tzcode"), None, None, link_cache.generation)
    assert link_cache.is_known_miss((0, "tzcode"))
    signed_in = session(app, alice.email)
    r = signed_in.patch(f"/api/workspaces/{alice.workspace_id}",
                        json={"timezone": "Europe/Helsinki"})
    assert r.status_code == 200
    assert not link_cache.is_known_miss((0, "tzcode"))

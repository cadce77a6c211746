"""/api/workspaces/{id}/api-keys: list (never the secret), create (secret once, scopes capped
by the creator's role), update/disable/enable, revoke; keys that are disabled, expired or
revoked answer 401 INVALID_API_KEY; lastUsedAt; scopes enforced; session only; isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linkhub import clock
from linkhub.models import ApiKey
from linkhub.schemas.workspaces import ApiKeyCreatedOut, ApiKeyOut
from linkhub.services.accounts import create_user
from linkhub.services.api_keys import create_api_key
from linkhub.services.workspaces import add_member
from tests.conftest import PASSWORD, db_snapshot, session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def team(ctx, alice):
    for name, role in (("dana", "admin"), ("vic", "viewer")):
        add_member(alice.workspace, create_user(f"{name}@example.com", PASSWORD, name), role)


def keys_url(persona, key_id=""):
    return f"/api/workspaces/{persona.workspace_id}/api-keys" + (f"/{key_id}" if key_id else "")


def assert_error(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == code, body
    return body


def make_key(owner, persona, **payload):
    response = owner.post(keys_url(persona), json={"name": "CI", **payload})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


# --- list and create -----------------------------------------------------------------------

def test_create_shows_the_secret_once_and_list_never_does(app, client, alice):
    owner = session(app, alice.email)
    data = make_key(owner, alice)
    ApiKeyCreatedOut.model_validate(data)
    assert data["key"].startswith("lh_") and len(data["key"]) == 43
    assert data["scopes"] == ["*"] and data["enabled"] is True
    assert data["prefix"] == data["key"][:11] and data["lastUsedAt"] is None
    assert data["createdBy"]["email"] == alice.email
    listed = owner.get(keys_url(alice)).get_json()
    assert listed["pagination"]["total"] == 3  # alice's, bob's and the new one
    assert data["key"] not in str(listed)
    for item in listed["data"]:
        ApiKeyOut.model_validate(item)
        assert "key" not in item
    stored = ApiKey.get(ApiKey.public_id == data["id"])
    assert data["key"] not in (stored.key_hash, stored.lookup)
    response = client.get(f"/api/workspaces/{alice.workspace_id}",
                          headers={"X-API-Key": data["key"]})
    assert response.status_code == 200


def test_last_used_at_is_recorded(app, client, alice):
    owner = session(app, alice.email)
    data = make_key(owner, alice)
    client.get("/api/workspaces", headers={"Authorization": f"Bearer {data['key']}"})
    listed = {k["id"]: k for k in owner.get(keys_url(alice)).get_json()["data"]}
    assert listed[data["id"]]["lastUsedAt"] is not None


def test_create_with_scopes_and_expiry(app, alice):
    owner = session(app, alice.email)
    expires = clock.iso(clock.now() + timedelta(days=30))
    data = make_key(owner, alice, scopes=["links:write", "links:read", "links:read"],
                    expiresAt=expires)
    assert data["scopes"] == ["links:read", "links:write"]
    assert data["expiresAt"] == expires


@pytest.mark.parametrize("payload,field", [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "x" * 101}, "name"),
    ({"name": "k", "scopes": []}, "scopes"),
    ({"name": "k", "scopes": ["links:read", "teleport"]}, "scopes"),
    ({"name": "k", "scopes": "links:read"}, "scopes"),
    ({"name": "k", "expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
    ({"name": "k", "expiresAt": "next week"}, "expiresAt"),
    ({"name": "k", "expiresAt": 1893456000}, "expiresAt"),
])
def test_create_rejects_bad_input(app, alice, payload, field):
    owner = session(app, alice.email)
    before = db_snapshot(app)
    body = assert_error(owner.post(keys_url(alice), json=payload), 400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in body["error"]["details"]]
    assert db_snapshot(app) == before


def test_create_malformed_body(app, alice):
    owner = session(app, alice.email)
    before = db_snapshot(app)
    assert_error(owner.post(keys_url(alice), data="[", content_type="application/json"), 400,
                 "VALIDATION_ERROR")
    assert db_snapshot(app) == before


def test_a_key_cannot_exceed_its_creators_role(app, team, alice):
    dana = session(app, "dana@example.com")
    before = db_snapshot(app)
    body = assert_error(dana.post(keys_url(alice), json={"name": "b",
                                                         "scopes": ["billing:manage"]}),
                        403, "FORBIDDEN")
    assert "billing:manage" in body["error"]["message"]
    assert db_snapshot(app) == before
    assert make_key(dana, alice, scopes=["members:invite", "links:read"])["scopes"] == [
        "links:read", "members:invite"]
    owner = session(app, alice.email)
    assert make_key(owner, alice, scopes=["billing:manage"])["scopes"] == ["billing:manage"]


def test_admins_key_with_star_acts_with_admin_reach(app, client, team, alice):
    dana = session(app, "dana@example.com")
    raw = make_key(dana, alice)["key"]
    headers = {"X-API-Key": raw}
    assert client.patch(f"/api/workspaces/{alice.workspace_id}", headers=headers,
                        json={"name": "Renamed"}).status_code == 200


def test_editors_viewers_api_keys_and_outsiders_cannot_manage_keys(app, client, team, alice,
                                                                   charlie):
    who = [session(app, e) for e in ("bob@example.com", "vic@example.com")]
    outsider = session(app, charlie.email)
    key_id = ApiKey.get(ApiKey.created_by == alice.user).public_id
    before = db_snapshot(app)
    for s in who:
        assert_error(s.get(keys_url(alice)), 403, "FORBIDDEN")
        assert_error(s.post(keys_url(alice), json={"name": "x"}), 403, "FORBIDDEN")
        assert_error(s.patch(keys_url(alice, key_id), json={"enabled": False}), 403,
                     "FORBIDDEN")
        assert_error(s.delete(keys_url(alice, key_id)), 403, "FORBIDDEN")
    for method in ("get", "post"):
        assert_error(getattr(client, method)(keys_url(alice), headers=alice.headers,
                                             json={"name": "x"}), 403, "FORBIDDEN")
    for method in ("put", "patch", "delete"):
        assert_error(getattr(client, method)(keys_url(alice, key_id), headers=alice.headers,
                                             json={"enabled": False}), 403, "FORBIDDEN")
    missing_ws = "/api/workspaces/ws_0000000000000000/api-keys"
    for method, a_path, b_path in (("get", keys_url(alice), missing_ws),
                                   ("post", keys_url(alice), missing_ws),
                                   ("patch", keys_url(alice, key_id), f"{missing_ws}/{key_id}"),
                                   ("delete", keys_url(alice, key_id), f"{missing_ws}/{key_id}")):
        a = getattr(outsider, method)(a_path, json={"name": "x"})
        b = getattr(outsider, method)(b_path, json={"name": "x"})
        assert a.status_code == b.status_code == 404 and a.get_json() == b.get_json()
    assert db_snapshot(app) == before


def test_another_workspaces_key_is_not_found(app, ctx, alice, charlie):
    owner = session(app, alice.email)
    charlie_key = ApiKey.get(ApiKey.created_by == charlie.user).public_id
    before = db_snapshot(app)
    a = owner.patch(keys_url(alice, charlie_key), json={"enabled": False})
    b = owner.patch(keys_url(alice, "key_0000000000000000"), json={"enabled": False})
    c = owner.delete(keys_url(alice, "nope"))
    assert_error(a, 404, "NOT_FOUND")
    assert a.get_json() == b.get_json() == c.get_json()
    assert db_snapshot(app) == before


def test_csrf_is_required_for_key_writes(app, alice):
    owner = session(app, alice.email)
    del owner.environ_base["HTTP_X_CSRF_TOKEN"]
    before = db_snapshot(app)
    assert_error(owner.post(keys_url(alice), json={"name": "x"}), 403, "FORBIDDEN")
    assert db_snapshot(app) == before


# --- update, disable, expire, revoke -------------------------------------------------------

def test_disable_and_enable(app, client, alice):
    owner = session(app, alice.email)
    data = make_key(owner, alice)
    headers = {"X-API-Key": data["key"]}
    response = owner.patch(keys_url(alice, data["id"]), json={"enabled": False})
    assert response.status_code == 200 and response.get_json()["data"]["enabled"] is False
    assert_error(client.get("/api/workspaces", headers=headers), 401, "INVALID_API_KEY")
    response = owner.put(keys_url(alice, data["id"]), json={"enabled": True})
    assert response.get_json()["data"]["enabled"] is True
    assert client.get("/api/workspaces", headers=headers).status_code == 200


def test_update_name_scopes_and_expiry(app, client, alice):
    owner = session(app, alice.email)
    data = make_key(owner, alice, expiresAt="2099-01-01")
    response = owner.put(keys_url(alice, data["id"]), json={
        "name": "Renamed", "scopes": ["links:read"], "expiresAt": None})
    updated = response.get_json()["data"]
    ApiKeyOut.model_validate(updated)
    assert (updated["name"], updated["scopes"], updated["expiresAt"]) == (
        "Renamed", ["links:read"], None)
    headers = {"X-API-Key": data["key"]}
    body = assert_error(client.patch(f"/api/workspaces/{alice.workspace_id}", headers=headers,
                                     json={"name": "Nope"}), 403, "FORBIDDEN")
    assert "workspace:update" in body["error"]["message"]


@pytest.mark.parametrize("payload,field", [
    ({"name": ""}, "name"), ({"name": None}, "name"), ({"scopes": []}, "scopes"),
    ({"scopes": None}, "scopes"), ({"scopes": ["nope"]}, "scopes"),
    ({"enabled": None}, "enabled"), ({"enabled": "maybe"}, "enabled"),
    ({"expiresAt": "2001-01-01"}, "expiresAt"), ({"expiresAt": "soon"}, "expiresAt"),
])
def test_update_rejects_bad_input(app, alice, payload, field):
    owner = session(app, alice.email)
    key_id = make_key(owner, alice)["id"]
    before = db_snapshot(app)
    body = assert_error(owner.patch(keys_url(alice, key_id), json=payload), 400,
                        "VALIDATION_ERROR")
    assert [d["field"] for d in body["error"]["details"]] == [field]
    assert db_snapshot(app) == before


def test_admin_cannot_widen_a_key_beyond_their_role(app, team, alice):
    owner = session(app, alice.email)
    key_id = make_key(owner, alice, scopes=["links:read"])["id"]
    dana = session(app, "dana@example.com")
    before = db_snapshot(app)
    assert_error(dana.patch(keys_url(alice, key_id), json={"scopes": ["billing:manage"]}), 403,
                 "FORBIDDEN")
    assert db_snapshot(app) == before
    assert dana.patch(keys_url(alice, key_id), json={"name": "ok"}).status_code == 200


def test_expired_key_is_rejected(app, client, alice):
    owner = session(app, alice.email)
    data = make_key(owner, alice, expiresAt=clock.iso(clock.now() + timedelta(hours=1)))
    headers = {"X-API-Key": data["key"]}
    assert client.get("/api/workspaces", headers=headers).status_code == 200
    clock.advance(timedelta(hours=2))
    assert_error(client.get("/api/workspaces", headers=headers), 401, "INVALID_API_KEY")


def test_revoke_deletes_the_key(app, client, alice):
    owner = session(app, alice.email)
    data = make_key(owner, alice)
    response = owner.delete(keys_url(alice, data["id"]))
    assert response.status_code == 200
    assert response.get_json()["data"] == {"id": data["id"], "deleted": True}
    assert ApiKey.get_or_none(ApiKey.public_id == data["id"]) is None
    assert_error(client.get("/api/workspaces", headers={"X-API-Key": data["key"]}), 401,
                 "INVALID_API_KEY")
    assert_error(owner.delete(keys_url(alice, data["id"])), 404, "NOT_FOUND")


def test_unknown_key_shapes_answer_invalid_api_key(client):
    for raw in ("lh_" + "x" * 40, "garbage"):
        assert_error(client.get("/api/workspaces", headers={"X-API-Key": raw}), 401,
                     "INVALID_API_KEY")


def test_service_create_for_cli_without_actor(ctx, alice):
    key, raw = create_api_key(alice.workspace, None, "cli", ["billing:manage"])
    assert key.scopes == ["billing:manage"] and raw.startswith("lh_")

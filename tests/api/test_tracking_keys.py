"""/api/tracking/publishable-keys: create, list, get, update, rotate and delete publishable keys;
origin validation and normalisation; admins only (session or an API key with api_keys:*);
another workspace's key answers 404; every rejected request leaves the database unchanged."""

from __future__ import annotations

import re

import pytest

from linkhub.models import AuditLog, PublishableKey
from linkhub.services import api_keys, publishable_keys
from linkhub.services.accounts import create_user
from linkhub.services.workspaces import add_member
from tests.conftest import PASSWORD, db_snapshot, session

URL = "/api/tracking/publishable-keys"
KEY_RE = re.compile(r"^lh_pub_[0-9A-Za-z]{32}$")


def create(client, persona, **body):
    body.setdefault("name", "Web shop")
    response = client.post(URL, json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def error(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == code, body
    return body["error"]


def fields(response):
    return {d["field"]: d["message"] for d in error(response, 400, "VALIDATION_ERROR")["details"]}


def test_create_returns_the_key_and_normalised_origins(client, alice):
    data = create(client, alice, allowedOrigins=[
        "https://Shop.Example/", "https://shop.example:443", "*.Example.com",
        "http://localhost:3000", "https://*.cdn.example.org:8443"])
    assert data["id"].startswith("pk_") and KEY_RE.fullmatch(data["key"])
    assert data["allowedOrigins"] == ["https://shop.example", "*.example.com",
                                      "http://localhost:3000", "https://*.cdn.example.org:8443"]
    assert data["enabled"] is True and data["lastUsedAt"] is None and data["rotatedAt"] is None
    assert data["workspaceId"] == alice.workspace_id and data["createdBy"] == alice.user_id
    row = PublishableKey.get(PublishableKey.public_id == data["id"])
    assert row.key == data["key"]
    assert AuditLog.get(AuditLog.resource_id == data["id"]).action == "publishable_key.create"


def test_list_and_get_show_the_full_key(client, alice):
    first = create(client, alice, name="First")
    second = create(client, alice, name="Second", enabled=False)
    body = client.get(URL, headers=alice.headers).get_json()
    assert [k["id"] for k in body["data"]] == [second["id"], first["id"]]
    assert body["data"][1]["key"] == first["key"] and body["pagination"]["total"] == 2
    got = client.get(f"{URL}/{first['id']}", headers=alice.headers).get_json()["data"]
    assert got == first


def test_update_name_origins_and_enabled(client, alice):
    key = create(client, alice, allowedOrigins=["https://a.example"])
    response = client.patch(f"{URL}/{key['id']}", headers=alice.headers,
                            json={"name": "Renamed", "allowedOrigins": ["https://b.example"]})
    data = response.get_json()["data"]
    assert response.status_code == 200
    assert data["name"] == "Renamed" and data["allowedOrigins"] == ["https://b.example"]
    assert data["key"] == key["key"]
    data = client.patch(f"{URL}/{key['id']}", headers=alice.headers,
                        json={"enabled": False}).get_json()["data"]
    assert data["enabled"] is False
    actions = [a.action for a in AuditLog.select().where(AuditLog.resource_id == key["id"])
               .order_by(AuditLog.id)]
    assert actions == ["publishable_key.create", "publishable_key.update",
                       "publishable_key.disable"]


def test_rotate_replaces_the_key_value(client, alice):
    key = create(client, alice)
    response = client.post(f"{URL}/{key['id']}/rotate", headers=alice.headers)
    data = response.get_json()["data"]
    assert response.status_code == 200
    assert data["id"] == key["id"] and KEY_RE.fullmatch(data["key"])
    assert data["key"] != key["key"] and data["rotatedAt"] is not None
    assert PublishableKey.get_or_none(PublishableKey.key == key["key"]) is None


def test_delete_then_gone(client, app, alice):
    key = create(client, alice)
    response = client.delete(f"{URL}/{key['id']}", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["data"] == {"id": key["id"], "deleted": True}
    error(client.get(f"{URL}/{key['id']}", headers=alice.headers), 404, "NOT_FOUND")
    error(client.delete(f"{URL}/{key['id']}", headers=alice.headers), 404, "NOT_FOUND")


@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": "  "}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": "ok", "allowedOrigins": ["shop.example"]}, "allowedOrigins.0"),
    ({"name": "ok", "allowedOrigins": ["https://ok.example", "*"]}, "allowedOrigins.1"),
    ({"name": "ok", "allowedOrigins": ["https://shop.example/checkout"]}, "allowedOrigins.0"),
    ({"name": "ok", "allowedOrigins": ["ftp://shop.example"]}, "allowedOrigins.0"),
    ({"name": "ok", "allowedOrigins": ["*.com"]}, "allowedOrigins.0"),
    ({"name": "ok", "allowedOrigins": ["null"]}, "allowedOrigins.0"),
    ({"name": "ok", "allowedOrigins": ["https://u:p@shop.example"]}, "allowedOrigins.0"),
    ({"name": "ok", "allowedOrigins": [f"https://s{i}.example" for i in range(51)]},
     "allowedOrigins"),
    ({"name": "ok", "allowedOrigins": "https://shop.example"}, "allowedOrigins"),
    ({"name": "ok", "allowedOrigins": [5]}, "allowedOrigins.0"),
    ({"name": "ok", "enabled": "yes"}, "enabled"),
])
def test_bad_input_is_400_and_changes_nothing(client, app, alice, body, field):
    before = db_snapshot(app)
    assert field in fields(client.post(URL, json=body, headers=alice.headers))
    assert db_snapshot(app) == before


def test_bad_update_changes_nothing(client, app, alice):
    key = create(client, alice, allowedOrigins=["https://a.example"])
    before = db_snapshot(app)
    got = fields(client.patch(f"{URL}/{key['id']}", headers=alice.headers,
                              json={"name": "", "allowedOrigins": ["nope"]}))
    assert set(got) == {"name", "allowedOrigins.0"}
    assert db_snapshot(app) == before
    row = PublishableKey.get(PublishableKey.public_id == key["id"])
    assert row.name == "Web shop" and row.allowed_origins == ["https://a.example"]


def test_other_workspaces_and_unknown_ids_are_404(client, app, alice, charlie):
    key = create(client, alice)
    before = db_snapshot(app)
    for method, suffix in (("get", ""), ("patch", ""), ("delete", ""), ("post", "/rotate")):
        for key_id in (key["id"], "pk_0000000000000000", "nope"):
            response = client.open(f"{URL}/{key_id}{suffix}", method=method.upper(),
                                   json={"name": "x"} if method == "patch" else None,
                                   headers=charlie.headers)
            error(response, 404, "NOT_FOUND")
    assert db_snapshot(app) == before
    listed = client.get(URL, headers=charlie.headers).get_json()
    assert listed["data"] == [] and listed["pagination"]["total"] == 0


def test_editors_and_narrow_keys_are_refused(app, ctx, alice, bob):
    client = app.test_client()
    key = create(client, alice)
    narrow = api_keys.create_api_key(alice.workspace, alice.user, "read only", ["links:read"])[1]
    bob_session = session(app, bob.email)
    before = db_snapshot(app)
    for headers in (bob.headers, {"X-API-Key": narrow}):
        error(client.get(URL, headers=headers), 403, "FORBIDDEN")
        error(client.post(URL, json={"name": "x"}, headers=headers), 403, "FORBIDDEN")
        error(client.post(f"{URL}/{key['id']}/rotate", headers=headers), 403, "FORBIDDEN")
        error(client.delete(f"{URL}/{key['id']}", headers=headers), 403, "FORBIDDEN")
    error(bob_session.get(URL), 403, "FORBIDDEN")
    error(bob_session.post(URL, json={"name": "x"}), 403, "FORBIDDEN")
    assert db_snapshot(app) == before


def test_admin_session_manages_keys_with_csrf(app, ctx, alice):
    dana = create_user("dana@example.com", PASSWORD, "Dana")
    add_member(alice.workspace, dana, "admin")
    signed_in = session(app, "dana@example.com")
    response = signed_in.post(URL, json={"name": "From the session",
                                         "allowedOrigins": ["https://shop.example"]})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["createdBy"] == dana.public_id
    assert signed_in.get(URL).get_json()["pagination"]["total"] == 1
    signed_in.environ_base.pop("HTTP_X_CSRF_TOKEN")  # the same session without its token
    before = db_snapshot(app)
    assert "CSRF" in error(signed_in.post(URL, json={"name": "x"}), 403, "FORBIDDEN")["message"]
    assert db_snapshot(app) == before


def test_no_credentials_is_401(client):
    error(client.get(URL), 401, "UNAUTHORIZED")
    error(client.post(URL, json={"name": "x"}), 401, "UNAUTHORIZED")


def test_origin_matching_rules():
    patterns = publishable_keys.validate_origins(
        ["https://shop.example", "*.example.com", "https://*.secure.org",
         "http://localhost:3000", "http://[::1]:8000"])
    allowed = ["https://shop.example", "https://shop.example:443", "https://a.example.com",
               "http://a.b.example.com", "https://x.secure.org", "http://localhost:3000",
               "http://[::1]:8000", "HTTPS://SHOP.EXAMPLE"]
    refused = ["http://shop.example", "https://shop.example:8443", "https://example.com",
               "https://evilexample.com", "https://a.example.com:8443", "http://x.secure.org",
               "http://localhost:3001", "null", "", "https://a.example.com.evil.net",
               "https://*.example.com"]
    for origin in allowed:
        assert publishable_keys.origin_allowed(patterns, origin), origin
    for origin in refused:
        assert not publishable_keys.origin_allowed(patterns, origin), origin

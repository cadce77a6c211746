"""/api/settings: profile, default workspace, e-mail change and password change (session only)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from linkhub import clock
from linkhub.models import EmailLog, User, UserSession
from tests.conftest import PASSWORD, db_snapshot, login

NEW_PASSWORD = "a-brand-new-passphrase"


def assert_rejected(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code
    if field is not None:
        assert field in {d["field"] for d in error["details"]}, error
    return error


@pytest.fixture
def signed_in(client, alice):
    """alice's session on `client`; returns the headers a session write needs."""
    return {"X-CSRF-Token": login(client, alice.email)}


def change_link(to: str) -> str:
    entry = (EmailLog.select().where(EmailLog.kind == "change_email", EmailLog.to_address == to)
             .order_by(EmailLog.id.desc()).first())
    assert entry is not None
    return re.search(r"https?://\S+", entry.body_text).group(0)


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]


ROUTES = [
    ("get", "/api/settings/profile", None),
    ("put", "/api/settings/profile", {"name": "X"}),
    ("put", "/api/settings/default-workspace", {"workspaceId": "ws_0000000000000000"}),
    ("post", "/api/settings/request-email-change",
     {"newEmail": "x@example.com", "currentPassword": PASSWORD}),
    ("get", "/api/settings/confirm-email-change?token=abc", None),
    ("post", "/api/settings/change-password",
     {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}),
]


@pytest.mark.parametrize("method, path, body", ROUTES)
def test_settings_are_session_only(app, client, alice, method, path, body):
    before = db_snapshot(app)
    kwargs = {"json": body} if body is not None else {}
    assert_rejected(getattr(client, method)(path, headers=alice.headers, **kwargs),
                    403, "FORBIDDEN")
    assert_rejected(getattr(client, method)(path, **kwargs), 401, "UNAUTHORIZED")
    assert db_snapshot(app) == before


@pytest.mark.parametrize("method, path, body", [r for r in ROUTES if r[0] != "get"])
def test_settings_writes_need_csrf(app, client, alice, method, path, body):
    login(client, alice.email)
    before = db_snapshot(app)
    error = assert_rejected(getattr(client, method)(path, json=body), 403, "FORBIDDEN")
    assert "CSRF" in error["message"]
    assert db_snapshot(app) == before


# --- profile ---

def test_get_profile(client, alice, signed_in):
    data = client.get("/api/settings/profile").get_json()["data"]
    assert data == {"id": alice.user_id, "email": alice.email, "name": "Alice Owner",
                    "image": None, "emailVerified": False, "createdAt": data["createdAt"],
                    "defaultWorkspaceId": alice.workspace_id}


def test_update_profile(client, alice, signed_in):
    r = client.put("/api/settings/profile", headers=signed_in,
                   json={"name": "  Alice A. ", "image": "https://example.com/a.png"})
    assert r.status_code == 200
    assert r.get_json()["data"]["name"] == "Alice A."
    assert r.get_json()["data"]["image"] == "https://example.com/a.png"
    r = client.put("/api/settings/profile", headers=signed_in, json={"image": None})
    assert r.get_json()["data"]["image"] is None
    assert r.get_json()["data"]["name"] == "Alice A."  # left out, so kept


@pytest.mark.parametrize("body, field", [
    ({"image": "ftp://example.com/a.png"}, "image"),
    ({"image": "javascript:alert(1)"}, "image"),
    ({"image": "not a url"}, "image"),
    ({"image": "https://" + "a" * 2050}, "image"),
    ({"image": 5}, "image"),
    ({"name": "x" * 201}, "name"),
    ({"name": ["x"]}, "name"),
    ({}, "body"),
])
def test_update_profile_rejects_bad_bodies(app, client, signed_in, body, field):
    before = db_snapshot(app)
    assert_rejected(client.put("/api/settings/profile", headers=signed_in, json=body),
                    400, "VALIDATION_ERROR", field)
    assert db_snapshot(app) == before


@pytest.mark.parametrize("data, content_type", [
    ('{"name": ', "application/json"),
    ('{"name": "x"}', "text/plain"),
    ('"just a string"', "application/json"),
])
def test_settings_bodies_must_be_json_objects(app, client, signed_in, data, content_type):
    before = db_snapshot(app)
    for path in ("/api/settings/profile", "/api/settings/default-workspace"):
        assert_rejected(client.put(path, headers=signed_in, data=data, content_type=content_type),
                        400, "VALIDATION_ERROR", "body")
    assert_rejected(client.post("/api/settings/change-password", headers=signed_in, data=data,
                                content_type=content_type), 400, "VALIDATION_ERROR", "body")
    assert db_snapshot(app) == before


# --- default workspace ---

def test_default_workspace(app, client, alice, charlie, signed_in):
    from linkhub.services.workspaces import create_workspace

    with app.test_request_context():
        second = create_workspace(alice.user, "Second")
    r = client.put("/api/settings/default-workspace", headers=signed_in,
                   json={"workspaceId": second.public_id})
    assert r.status_code == 200
    assert r.get_json()["data"] == {"defaultWorkspaceId": second.public_id}
    assert User.get_by_id(alice.user.id).default_workspace_id == second.id
    assert client.get("/api/auth/me").get_json()["data"]["currentWorkspace"]["id"] == \
        second.public_id
    before = db_snapshot(app)
    for other in (charlie.workspace_id, "ws_0000000000000000", "nonsense"):
        assert_rejected(client.put("/api/settings/default-workspace", headers=signed_in,
                                   json={"workspaceId": other}), 404, "NOT_FOUND")
    assert_rejected(client.put("/api/settings/default-workspace", headers=signed_in, json={}),
                    400, "VALIDATION_ERROR", "workspaceId")
    assert_rejected(client.put("/api/settings/default-workspace", headers=signed_in,
                               json={"workspaceId": 12}), 400, "VALIDATION_ERROR", "workspaceId")
    assert db_snapshot(app) == before


# --- e-mail change ---

def test_email_change_applies_after_confirmation(app, client, alice, signed_in):
    r = client.post("/api/settings/request-email-change", headers=signed_in,
                    json={"newEmail": "Alice.New@Example.com", "currentPassword": PASSWORD})
    assert r.status_code == 200
    assert r.get_json()["data"]["newEmail"] == "alice.new@example.com"
    assert User.get_by_id(alice.user.id).email == alice.email  # not yet
    link = change_link("alice.new@example.com")
    assert "/app/confirm-email-change/" in link
    r = client.get("/api/settings/confirm-email-change", query_string={"token": token_of(link)})
    assert r.status_code == 200
    data = r.get_json()["data"]
    assert data["email"] == "alice.new@example.com" and data["emailVerified"] is True
    assert app.test_client().post("/api/auth/sign-in/email", json={
        "email": "alice.new@example.com", "password": PASSWORD}).status_code == 200
    before = db_snapshot(app)
    assert_rejected(client.get("/api/settings/confirm-email-change",
                               query_string={"token": token_of(link)}),
                    400, "VALIDATION_ERROR", "token")
    assert db_snapshot(app) == before


@pytest.mark.parametrize("body, status, code, field", [
    ({"newEmail": "alice.new@example.com"}, 400, "PASSWORD_REQUIRED", None),
    ({"newEmail": "alice.new@example.com", "currentPassword": ""}, 400, "PASSWORD_REQUIRED",
     None),
    ({"newEmail": "alice.new@example.com", "currentPassword": "wrong-one"}, 401,
     "INVALID_PASSWORD", None),
    ({"newEmail": "bob@example.com", "currentPassword": PASSWORD}, 409, "EMAIL_TAKEN", None),
    ({"newEmail": "alice@example.com", "currentPassword": PASSWORD}, 400, "VALIDATION_ERROR",
     "newEmail"),
    ({"newEmail": "not-an-address", "currentPassword": PASSWORD}, 400, "VALIDATION_ERROR",
     "newEmail"),
    ({"currentPassword": PASSWORD}, 400, "VALIDATION_ERROR", "newEmail"),
    ({"newEmail": 1, "currentPassword": PASSWORD}, 400, "VALIDATION_ERROR", "newEmail"),
    ({"newEmail": "alice.new@example.com", "currentPassword": 1}, 400, "VALIDATION_ERROR",
     "currentPassword"),
])
def test_email_change_rejections(app, client, signed_in, body, status, code, field):
    before = db_snapshot(app)
    assert_rejected(client.post("/api/settings/request-email-change", headers=signed_in,
                                json=body), status, code, field)
    assert db_snapshot(app) == before


def test_a_newer_email_change_replaces_the_pending_one(app, client, signed_in):
    for address in ("first@example.com", "second@example.com"):
        assert client.post("/api/settings/request-email-change", headers=signed_in, json={
            "newEmail": address, "currentPassword": PASSWORD}).status_code == 200
    stale = token_of(change_link("first@example.com"))
    assert_rejected(client.get("/api/settings/confirm-email-change",
                               query_string={"token": stale}), 400, "VALIDATION_ERROR", "token")
    fresh = token_of(change_link("second@example.com"))
    assert client.get("/api/settings/confirm-email-change",
                      query_string={"token": fresh}).status_code == 200


def test_confirming_someone_elses_change_or_a_taken_address_fails(app, client, bob, signed_in):
    client.post("/api/settings/request-email-change", headers=signed_in,
                json={"newEmail": "shared@example.com", "currentPassword": PASSWORD})
    token = token_of(change_link("shared@example.com"))
    other = app.test_client()
    login(other, bob.email)
    before = db_snapshot(app)
    assert_rejected(other.get("/api/settings/confirm-email-change", query_string={"token": token}),
                    400, "VALIDATION_ERROR", "token")
    User.update(email="shared@example.com").where(User.email == bob.email).execute()
    assert_rejected(client.get("/api/settings/confirm-email-change",
                               query_string={"token": token}), 409, "EMAIL_TAKEN")
    assert db_snapshot(app) == before


def test_an_email_change_link_expires(app, client, signed_in):
    client.post("/api/settings/request-email-change", headers=signed_in,
                json={"newEmail": "late@example.com", "currentPassword": PASSWORD})
    clock.advance(timedelta(hours=25))
    assert_rejected(client.get("/api/settings/confirm-email-change", query_string={
        "token": token_of(change_link("late@example.com"))}), 400, "VALIDATION_ERROR", "token")


# --- password change ---

def test_change_password_ends_other_sessions(app, client, alice, signed_in):
    elsewhere = app.test_client()
    login(elsewhere, alice.email)
    r = client.post("/api/settings/change-password", headers=signed_in,
                    json={"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD})
    assert r.status_code == 200
    assert client.get("/api/auth/me").status_code == 200
    assert_rejected(elsewhere.get("/api/auth/me"), 401, "UNAUTHORIZED")
    assert UserSession.select().where(UserSession.user == alice.user).count() == 1
    assert app.test_client().post("/api/auth/sign-in/email", json={
        "email": alice.email, "password": NEW_PASSWORD}).status_code == 200


@pytest.mark.parametrize("body, status, code, field", [
    ({"newPassword": NEW_PASSWORD}, 400, "PASSWORD_REQUIRED", None),
    ({"currentPassword": "wrong-one", "newPassword": NEW_PASSWORD}, 401, "INVALID_PASSWORD",
     None),
    ({"currentPassword": PASSWORD, "newPassword": "short"}, 400, "VALIDATION_ERROR",
     "newPassword"),
    ({"currentPassword": PASSWORD, "newPassword": "alice@example.com"}, 400,
     "VALIDATION_ERROR", "newPassword"),
    ({"currentPassword": PASSWORD}, 400, "VALIDATION_ERROR", "newPassword"),
    ({"currentPassword": PASSWORD, "newPassword": 123456789}, 400, "VALIDATION_ERROR",
     "newPassword"),
])
def test_change_password_rejections(app, client, alice, signed_in, body, status, code, field):
    before = db_snapshot(app)
    hash_before = User.get_by_id(alice.user.id).password_hash
    assert_rejected(client.post("/api/settings/change-password", headers=signed_in, json=body),
                    status, code, field)
    assert db_snapshot(app) == before
    assert User.get_by_id(alice.user.id).password_hash == hash_before


@pytest.mark.parametrize("settings_overrides", [{"RATE_LIMIT_LOGIN": "3/minute"}])
def test_password_tries_are_rate_limited(app, client, signed_in):
    for _ in range(3):
        assert_rejected(client.post("/api/settings/change-password", headers=signed_in, json={
            "currentPassword": "wrong-one", "newPassword": NEW_PASSWORD}), 401,
            "INVALID_PASSWORD")
    before = db_snapshot(app)
    assert_rejected(client.post("/api/settings/change-password", headers=signed_in, json={
        "currentPassword": PASSWORD, "newPassword": NEW_PASSWORD}), 429, "RATE_LIMITED")
    assert db_snapshot(app) == before

"""/api/auth: sign-up, sign-in (lockout, rate limit, verification), sign-out, me, session,
password reset and e-mail verification."""

from __future__ import annotations

import re
from datetime import timedelta

import argon2
import pytest

from linkhub import clock
from linkhub.auth import hash_secret
from linkhub.models import EmailLog, Invitation, Member, OneTimeToken, User, UserSession, Workspace
from tests.conftest import PASSWORD, db_snapshot, login

SIGN_UP = "/api/auth/sign-up/email"
SIGN_IN = "/api/auth/sign-in/email"
NEW_PASSWORD = "a-brand-new-passphrase"


def empty_install(app) -> None:
    database = app.extensions["linkhub.db"]
    for table in ("workspace", "user"):
        database.execute_sql(f'DELETE FROM "{table}"')


def error_of(response) -> dict:
    body = response.get_json()
    assert body["success"] is False, body
    return body["error"]


def assert_rejected(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_json()
    error = error_of(response)
    assert error["code"] == code
    if field is not None:
        assert field in {d["field"] for d in error["details"]}, error
    return error


def last_link(kind: str, to: str | None = None) -> str:
    query = EmailLog.select().where(EmailLog.kind == kind)
    if to:
        query = query.where(EmailLog.to_address == to)
    entry = query.order_by(EmailLog.id.desc()).first()
    assert entry is not None, f"no {kind} e-mail"
    return re.search(r"https?://\S+", entry.body_text).group(0)


def token_of(link: str) -> str:
    return link.rstrip("/").rsplit("/", 1)[1]


def csrf_headers(token: str) -> dict[str, str]:
    return {"X-CSRF-Token": token}


# --- sign-up ---

def test_first_user_on_empty_install_gets_a_workspace_and_a_session(app, client):
    empty_install(app)
    r = client.post(SIGN_UP, json={"email": " Zed@Example.com ", "password": PASSWORD,
                                   "name": "Zed"})
    assert r.status_code == 201, r.get_json()
    data = r.get_json()["data"]
    assert data["user"]["email"] == "zed@example.com"
    assert data["user"]["emailVerified"] is False
    assert set(data["user"]) == {"id", "email", "name", "image", "emailVerified", "createdAt"}
    assert data["csrfToken"] and data["workspaceId"].startswith("ws_")
    workspace = Workspace.get(Workspace.public_id == data["workspaceId"])
    assert workspace.name == "Zed's workspace"
    member = Member.get(Member.workspace == workspace)
    assert member.role == "owner" and member.user.public_id == data["user"]["id"]
    assert EmailLog.select().where(EmailLog.kind == "verify_email",
                                   EmailLog.to_address == "zed@example.com").count() == 1
    me = client.get("/api/auth/me")
    assert me.status_code == 200
    assert me.get_json()["data"]["currentWorkspace"]["id"] == data["workspaceId"]
    assert "$argon2" not in r.get_data(as_text=True)


def test_first_user_may_name_the_workspace(app, client):
    empty_install(app)
    r = client.post(SIGN_UP, json={"email": "zed@example.com", "password": PASSWORD,
                                   "workspaceName": "Zed Labs"})
    assert r.status_code == 201
    assert Workspace.get(Workspace.public_id == r.get_json()["data"]["workspaceId"]).name == \
        "Zed Labs"


def test_sign_up_is_closed_once_a_user_exists(app, client):
    before = db_snapshot(app)
    r = client.post(SIGN_UP, json={"email": "new@example.com", "password": PASSWORD})
    assert_rejected(r, 403, "SIGNUP_CLOSED")
    assert db_snapshot(app) == before
    # no account enumeration while closed: an existing address answers the same
    r = client.post(SIGN_UP, json={"email": "alice@example.com", "password": PASSWORD})
    assert_rejected(r, 403, "SIGNUP_CLOSED")
    assert db_snapshot(app) == before


@pytest.mark.parametrize("settings_overrides", [{"OPEN_SIGNUP": True}])
def test_open_sign_up_creates_an_unverified_user_without_workspace(app, client):
    r = client.post(SIGN_UP, json={"email": "dora@example.com", "password": PASSWORD})
    assert r.status_code == 201
    data = r.get_json()["data"]
    assert data["workspaceId"] is None and data["user"]["emailVerified"] is False
    assert User.get(User.email == "dora@example.com").email_verified_at is None
    assert client.get("/api/auth/session").status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"OPEN_SIGNUP": True}])
def test_signing_up_again_unverified_resends_and_keeps_the_password(app, client):
    assert client.post(SIGN_UP, json={"email": "dora@example.com",
                                      "password": PASSWORD}).status_code == 201
    other = app.test_client()
    r = other.post(SIGN_UP, json={"email": "dora@example.com", "password": NEW_PASSWORD})
    assert r.status_code == 200
    assert r.get_json()["data"] == {"email": "dora@example.com", "verificationSent": True}
    assert other.get("/api/auth/session").status_code == 401  # not signed in by a re-sign-up
    assert EmailLog.select().where(EmailLog.kind == "verify_email").count() == 2
    assert app.test_client().post(SIGN_IN, json={"email": "dora@example.com",
                                                 "password": PASSWORD}).status_code == 200
    assert_rejected(app.test_client().post(SIGN_IN, json={
        "email": "dora@example.com", "password": NEW_PASSWORD}), 401, "INVALID_CREDENTIALS")


@pytest.mark.parametrize("settings_overrides", [{"OPEN_SIGNUP": True}])
def test_signing_up_with_a_verified_address_is_email_taken(app, client, alice):
    User.update(email_verified_at=clock.now()).where(User.email == alice.email).execute()
    before = db_snapshot(app)
    r = client.post(SIGN_UP, json={"email": "ALICE@example.com", "password": NEW_PASSWORD})
    assert_rejected(r, 409, "EMAIL_TAKEN")
    assert db_snapshot(app) == before


def _invite(app, alice, address: str = "dan@example.com") -> str:
    from linkhub.services import invitations

    with app.test_request_context():
        _, token = invitations.invite(alice.workspace, alice.user, address, "editor")
    return token


def test_an_invitation_opens_sign_up_and_joins_the_workspace(app, client, alice):
    token = _invite(app, alice)
    r = client.post(SIGN_UP, json={"email": "dan@example.com", "password": PASSWORD,
                                   "name": "Dan", "inviteToken": token})
    assert r.status_code == 201, r.get_json()
    data = r.get_json()["data"]
    assert data["workspaceId"] == alice.workspace_id
    user = User.get(User.public_id == data["user"]["id"])
    assert Member.get(Member.user == user).role == "editor"
    assert user.default_workspace.public_id == alice.workspace_id
    assert Invitation.get(Invitation.email == "dan@example.com").accepted_at is not None


def test_an_invitation_is_for_its_own_address(app, client, alice):
    token = _invite(app, alice)
    before = db_snapshot(app)
    r = client.post(SIGN_UP, json={"email": "eve@example.com", "password": PASSWORD,
                                   "inviteToken": token})
    assert_rejected(r, 400, "VALIDATION_ERROR", "email")
    assert db_snapshot(app) == before


def test_a_bad_invitation_token_is_rejected(app, client):
    before = db_snapshot(app)
    r = client.post(SIGN_UP, json={"email": "eve@example.com", "password": PASSWORD,
                                   "inviteToken": "nope"})
    assert_rejected(r, 400, "VALIDATION_ERROR", "inviteToken")
    assert db_snapshot(app) == before


@pytest.mark.parametrize("settings_overrides", [{"REQUIRE_EMAIL_VERIFICATION": True}])
def test_sign_up_with_required_verification_does_not_sign_in(app, client):
    empty_install(app)
    r = client.post(SIGN_UP, json={"email": "zed@example.com", "password": PASSWORD})
    assert r.status_code == 201
    assert r.get_json()["data"]["csrfToken"] is None
    assert client.get("/api/auth/me").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({}, "email"),
    ({"email": "zed@example.com"}, "password"),
    ({"password": PASSWORD}, "email"),
    ({"email": 42, "password": PASSWORD}, "email"),
    ({"email": "zed@example.com", "password": ["x"]}, "password"),
    ({"email": "not-an-address", "password": PASSWORD}, "email"),
    ({"email": "zed@example.com", "password": "short"}, "password"),
    ({"email": "zed@example.com", "password": "password123"}, "password"),
    ({"email": "zed@example.com", "password": "zed@example.com"}, "password"),
    ({"email": "zed@example.com", "password": PASSWORD, "name": "x" * 201}, "name"),
    ({"email": "zed@example.com", "password": PASSWORD, "name": 7}, "name"),
    ({"email": "zed@example.com", "password": PASSWORD, "workspaceName": " "}, "workspaceName"),
])
def test_sign_up_rejects_bad_bodies(app, client, body, field):
    empty_install(app)
    before = db_snapshot(app)
    assert_rejected(client.post(SIGN_UP, json=body), 400, "VALIDATION_ERROR", field)
    assert db_snapshot(app) == before


@pytest.mark.parametrize("path", [SIGN_UP, SIGN_IN, "/api/auth/forget-password",
                                  "/api/auth/reset-password"])
def test_body_routes_want_well_formed_json(app, client, path):
    before = db_snapshot(app)
    r = client.post(path, data='{"email": "a@example.com",', content_type="application/json")
    assert_rejected(r, 400, "VALIDATION_ERROR", "body")
    r = client.post(path, data="email=a@example.com", content_type="text/plain")
    assert_rejected(r, 400, "VALIDATION_ERROR", "body")
    r = client.post(path, data="[1, 2]", content_type="application/json")
    assert_rejected(r, 400, "VALIDATION_ERROR", "body")
    assert db_snapshot(app) == before


@pytest.mark.parametrize("settings_overrides", [{"OPEN_SIGNUP": True,
                                                 "RATE_LIMIT_LOGIN": "3/minute"}])
def test_sign_up_is_rate_limited(app, client):
    for _ in range(3):  # fresh clients: the first sign-up signs its client in
        assert app.test_client().post(SIGN_UP, json={
            "email": "dora@example.com", "password": PASSWORD}).status_code in (200, 201)
    before = db_snapshot(app)
    r = client.post(SIGN_UP, json={"email": "dora@example.com", "password": PASSWORD})
    assert_rejected(r, 429, "RATE_LIMITED")
    assert int(r.headers["Retry-After"]) >= 1
    assert db_snapshot(app) == before


# --- sign-in ---

def test_sign_in_starts_a_session(app, client, alice):
    r = client.post(SIGN_IN, json={"email": "Alice@Example.com", "password": PASSWORD})
    assert r.status_code == 200
    data = r.get_json()["data"]
    assert data["user"]["id"] == alice.user_id
    assert data["workspaceId"] == alice.workspace_id
    assert data["csrfToken"]
    assert "password" not in str(data["user"]).lower()
    assert UserSession.select().where(UserSession.user == alice.user).count() == 1
    assert User.get_by_id(alice.user.id).last_login_at is not None
    cookie = client.get_cookie("linkhub_session")
    assert cookie is not None and cookie.http_only and cookie.expires is not None
    assert client.get("/api/auth/me").get_json()["data"]["user"]["email"] == alice.email


def test_sign_in_rotates_the_session(app, client, alice):
    token = login(client, alice.email)
    with client.session_transaction() as flask_session:
        old_sid = flask_session["sid"]
    r = client.post(SIGN_IN, json={"email": alice.email, "password": PASSWORD},
                    headers=csrf_headers(token))
    assert r.status_code == 200
    with client.session_transaction() as flask_session:
        new_sid = flask_session["sid"]
    assert new_sid != old_sid
    assert UserSession.get_or_none(UserSession.token_hash == hash_secret(old_sid)) is None
    assert UserSession.select().where(UserSession.user == alice.user).count() == 1
    assert r.get_json()["data"]["csrfToken"] != token


def test_sign_in_while_signed_in_needs_the_csrf_token(app, client, alice):
    login(client, alice.email)
    before = db_snapshot(app)
    r = client.post(SIGN_IN, json={"email": alice.email, "password": PASSWORD})
    error = assert_rejected(r, 403, "FORBIDDEN")
    assert "CSRF" in error["message"]
    assert db_snapshot(app) == before


def test_wrong_password_and_unknown_email_answer_alike(app, client, alice):
    before = db_snapshot(app)
    wrong = client.post(SIGN_IN, json={"email": alice.email, "password": "not-the-password"})
    unknown = client.post(SIGN_IN, json={"email": "nobody@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert error_of(wrong) == error_of(unknown)
    assert error_of(wrong)["code"] == "INVALID_CREDENTIALS"
    assert db_snapshot(app) == before
    assert client.get("/api/auth/me").status_code == 401


@pytest.mark.parametrize("body, field", [
    ({}, "email"),
    ({"email": "alice@example.com"}, "password"),
    ({"email": "alice@example.com", "password": ""}, "password"),
    ({"email": ["alice@example.com"], "password": PASSWORD}, "email"),
    ({"email": "alice@example.com", "password": 12345678}, "password"),
    ({"email": "alice", "password": PASSWORD}, "email"),
])
def test_sign_in_rejects_bad_bodies(app, client, body, field):
    before = db_snapshot(app)
    assert_rejected(client.post(SIGN_IN, json=body), 400, "VALIDATION_ERROR", field)
    assert db_snapshot(app) == before


def test_repeated_failures_lock_the_account_until_it_expires(app, client, alice):
    for _ in range(5):  # LOGIN_LOCKOUT_FAILURES
        assert_rejected(client.post(SIGN_IN, json={"email": alice.email, "password": "wrong-one"}),
                        401, "INVALID_CREDENTIALS")
    before = db_snapshot(app)
    r = client.post(SIGN_IN, json={"email": alice.email, "password": PASSWORD})
    assert_rejected(r, 403, "ACCOUNT_LOCKED")
    assert int(r.headers["Retry-After"]) > 0
    assert db_snapshot(app) == before
    clock.advance(timedelta(minutes=14))
    assert_rejected(client.post(SIGN_IN, json={"email": alice.email, "password": PASSWORD}),
                    403, "ACCOUNT_LOCKED")
    clock.advance(timedelta(minutes=2))
    assert client.post(SIGN_IN, json={"email": alice.email, "password": PASSWORD}
                       ).status_code == 200


def test_a_success_resets_the_failure_count(app, client, alice):
    for _ in range(4):
        client.post(SIGN_IN, json={"email": alice.email, "password": "wrong-one"})
    assert app.test_client().post(SIGN_IN, json={"email": alice.email,
                                                 "password": PASSWORD}).status_code == 200
    for _ in range(4):
        assert_rejected(client.post(SIGN_IN, json={"email": alice.email, "password": "wrong-one"}),
                        401, "INVALID_CREDENTIALS")
    assert User.get_by_id(alice.user.id).locked_until is None


def test_brute_force_is_rate_limited(app, client):
    for _ in range(10):  # RATE_LIMIT_LOGIN 10/minute per IP and e-mail
        assert_rejected(client.post(SIGN_IN, json={"email": "nobody@example.com",
                                                   "password": "guess-guess"}),
                        401, "INVALID_CREDENTIALS")
    before = db_snapshot(app)
    r = client.post(SIGN_IN, json={"email": "nobody@example.com", "password": "guess-guess"})
    assert_rejected(r, 429, "RATE_LIMITED")
    assert "Retry-After" in r.headers
    assert db_snapshot(app) == before
    # another address from the same IP is a separate bucket
    assert client.post(SIGN_IN, json={"email": "alice@example.com",
                                      "password": PASSWORD}).status_code == 200


@pytest.mark.parametrize("settings_overrides", [{"REQUIRE_EMAIL_VERIFICATION": True}])
def test_required_verification_blocks_unverified_sign_in(app, client, alice):
    before = db_snapshot(app)
    assert_rejected(client.post(SIGN_IN, json={"email": alice.email, "password": "wrong-one"}),
                    401, "INVALID_CREDENTIALS")
    assert db_snapshot(app) == before
    assert_rejected(client.post(SIGN_IN, json={"email": alice.email, "password": PASSWORD}),
                    403, "EMAIL_NOT_VERIFIED")
    assert client.get("/api/auth/me").status_code == 401
    # the right password earns a fresh verification link (nothing else changes)
    raw = token_of(last_link("verify_email", alice.email))
    assert UserSession.select().count() == before["user_session"]
    assert client.get("/api/auth/verify-email", query_string={"token": raw}).status_code == 200
    assert client.post(SIGN_IN, json={"email": alice.email, "password": PASSWORD}
                       ).status_code == 200


def test_sign_in_rehashes_an_outdated_hash(app, client, alice):
    old = argon2.PasswordHasher(time_cost=2, memory_cost=16, parallelism=1).hash(PASSWORD)
    User.update(password_hash=old).where(User.email == alice.email).execute()
    assert client.post(SIGN_IN, json={"email": alice.email, "password": PASSWORD}
                       ).status_code == 200
    stored = User.get(User.email == alice.email).password_hash
    assert stored != old and stored.startswith("$argon2id$")


# --- sign-out, me, session ---

@pytest.mark.parametrize("path", ["/api/auth/logout", "/api/auth/sign-out"])
def test_sign_out_ends_the_session(app, client, alice, path):
    token = login(client, alice.email)
    r = client.post(path, headers=csrf_headers(token))
    assert r.status_code == 200
    assert UserSession.select().where(UserSession.user == alice.user).count() == 0
    assert_rejected(client.get("/api/auth/me"), 401, "UNAUTHORIZED")


@pytest.mark.parametrize("path", ["/api/auth/logout", "/api/auth/sign-out"])
def test_sign_out_needs_csrf_and_a_session(app, client, alice, path):
    before = db_snapshot(app)
    assert_rejected(client.post(path), 401, "UNAUTHORIZED")
    assert_rejected(client.post(path, headers=alice.headers), 403, "FORBIDDEN")
    login(client, alice.email)
    before = db_snapshot(app)
    error = assert_rejected(client.post(path), 403, "FORBIDDEN")
    assert "CSRF" in error["message"]
    assert_rejected(client.post(path, headers=csrf_headers("forged")), 403, "FORBIDDEN")
    assert db_snapshot(app) == before
    assert client.get("/api/auth/me").status_code == 200


def test_me_lists_workspaces_with_roles(app, client, alice, bob):
    from linkhub.services.workspaces import create_workspace

    with app.test_request_context():
        second = create_workspace(alice.user, "Alice Side Project")
    login(client, alice.email)
    data = client.get("/api/auth/me").get_json()["data"]
    assert data["authVia"] == "session"
    assert {(w["id"], w["role"]) for w in data["workspaces"]} == {
        (alice.workspace_id, "owner"), (second.public_id, "owner")}
    assert data["currentWorkspace"]["id"] == alice.workspace_id
    assert data["defaultWorkspaceId"] == alice.workspace_id
    picked = client.get("/api/auth/me", headers={"X-Workspace-Id": second.public_id})
    assert picked.get_json()["data"]["currentWorkspace"]["id"] == second.public_id
    other = app.test_client()
    login(other, bob.email)
    data = other.get("/api/auth/me").get_json()["data"]
    assert [(w["id"], w["role"]) for w in data["workspaces"]] == [(alice.workspace_id, "editor")]


def test_me_with_an_api_key_and_anonymous(client, charlie):
    data = client.get("/api/auth/me", headers=charlie.headers).get_json()["data"]
    assert data["authVia"] == "api_key"
    assert data["user"]["id"] == charlie.user_id
    assert [w["id"] for w in data["workspaces"]] == [charlie.workspace_id]
    assert_rejected(client.get("/api/auth/me"), 401, "UNAUTHORIZED")


def test_session_info(app, client, alice):
    login(client, alice.email)
    data = client.get("/api/auth/session").get_json()["data"]
    assert set(data) == {"user", "expiresAt", "csrfToken"}
    assert data["user"]["id"] == alice.user_id
    expires = clock.parse_iso(data["expiresAt"])
    assert timedelta(days=29) < expires - clock.now() <= timedelta(days=30)
    assert_rejected(client.get("/api/auth/session", headers=alice.headers), 403, "FORBIDDEN")
    assert_rejected(app.test_client().get("/api/auth/session"), 401, "UNAUTHORIZED")
    # the token it gives is the one session writes need
    assert client.post("/api/auth/logout", headers=csrf_headers(data["csrfToken"])
                       ).status_code == 200


def test_an_expired_session_is_signed_out(app, client, alice):
    login(client, alice.email)
    clock.advance(timedelta(days=31))
    assert_rejected(client.get("/api/auth/session"), 401, "UNAUTHORIZED")


# --- password reset ---

def test_forget_password_answers_the_same_for_everyone(app, client, alice):
    before = db_snapshot(app)
    unknown = client.post("/api/auth/forget-password", json={"email": "nobody@example.com"})
    assert db_snapshot(app) == before
    known = client.post("/api/auth/forget-password", json={"email": alice.email})
    assert unknown.status_code == known.status_code == 200
    assert unknown.get_json() == known.get_json()
    link = last_link("reset_password", alice.email)
    assert "/app/reset-password/" in link
    raw = token_of(link)
    stored = OneTimeToken.get(OneTimeToken.purpose == "reset_password")
    assert stored.token_hash == hash_secret(raw) and raw not in stored.token_hash
    assert stored.expires_at - clock.now() <= timedelta(hours=1)


@pytest.mark.parametrize("body", [{}, {"email": "nope"}, {"email": 3}])
def test_forget_password_rejects_bad_bodies(app, client, body):
    before = db_snapshot(app)
    assert_rejected(client.post("/api/auth/forget-password", json=body), 400, "VALIDATION_ERROR",
                    "email")
    assert db_snapshot(app) == before


@pytest.mark.parametrize("settings_overrides", [{"RATE_LIMIT_LOGIN": "2/minute"}])
def test_forget_password_is_rate_limited(app, client, alice):
    for _ in range(2):
        assert client.post("/api/auth/forget-password", json={"email": alice.email}
                           ).status_code == 200
    before = db_snapshot(app)
    assert_rejected(client.post("/api/auth/forget-password", json={"email": alice.email}),
                    429, "RATE_LIMITED")
    assert db_snapshot(app) == before


def _reset_token(client, address: str) -> str:
    assert client.post("/api/auth/forget-password", json={"email": address}).status_code == 200
    return token_of(last_link("reset_password", address))


def test_reset_password_sets_it_and_ends_every_session(app, client, alice):
    elsewhere = app.test_client()
    login(elsewhere, alice.email)
    for _ in range(5):
        client.post(SIGN_IN, json={"email": alice.email, "password": "wrong-one"})
    assert User.get(User.email == alice.email).locked_until is not None
    token = _reset_token(client, alice.email)
    r = client.post("/api/auth/reset-password", json={"token": token, "password": NEW_PASSWORD})
    assert r.status_code == 200
    assert_rejected(elsewhere.get("/api/auth/me"), 401, "UNAUTHORIZED")
    user = User.get(User.email == alice.email)
    assert user.locked_until is None and user.email_verified_at is not None
    assert OneTimeToken.get(OneTimeToken.token_hash == hash_secret(token)).used_at is not None
    assert app.test_client().post(SIGN_IN, json={"email": alice.email,
                                                 "password": NEW_PASSWORD}).status_code == 200
    assert_rejected(app.test_client().post(SIGN_IN, json={
        "email": alice.email, "password": PASSWORD}), 401, "INVALID_CREDENTIALS")
    # the token is spent
    before = db_snapshot(app)
    assert_rejected(client.post("/api/auth/reset-password",
                                json={"token": token, "password": "yet-another-pass"}),
                    400, "VALIDATION_ERROR", "token")
    assert db_snapshot(app) == before


def test_an_expired_reset_token_is_refused(app, client, alice):
    token = _reset_token(client, alice.email)
    clock.advance(timedelta(minutes=61))
    before = db_snapshot(app)
    assert_rejected(client.post("/api/auth/reset-password",
                                json={"token": token, "password": NEW_PASSWORD}),
                    400, "VALIDATION_ERROR", "token")
    assert db_snapshot(app) == before
    assert User.get(User.email == alice.email).password_hash == alice.user.password_hash


@pytest.mark.parametrize("body, field", [
    ({"token": "nope", "password": NEW_PASSWORD}, "token"),
    ({"password": NEW_PASSWORD}, "token"),
    ({"token": "", "password": NEW_PASSWORD}, "token"),
    ({"token": 5, "password": NEW_PASSWORD}, "token"),
    ({"token": "x"}, "password"),
])
def test_reset_password_rejects_bad_bodies(app, client, body, field):
    before = db_snapshot(app)
    assert_rejected(client.post("/api/auth/reset-password", json=body), 400, "VALIDATION_ERROR",
                    field)
    assert db_snapshot(app) == before


def test_a_weak_new_password_keeps_the_token_usable(app, client, alice):
    token = _reset_token(client, alice.email)
    before = db_snapshot(app)
    assert_rejected(client.post("/api/auth/reset-password",
                                json={"token": token, "password": "short"}),
                    400, "VALIDATION_ERROR", "password")
    assert db_snapshot(app) == before
    assert client.post("/api/auth/reset-password",
                       json={"token": token, "password": NEW_PASSWORD}).status_code == 200


# --- e-mail verification ---

def test_verify_email_with_the_mailed_token(app, client):
    empty_install(app)
    client.post(SIGN_UP, json={"email": "zed@example.com", "password": PASSWORD})
    link = last_link("verify_email", "zed@example.com")
    assert "/app/verify-email/" in link
    r = client.get("/api/auth/verify-email", query_string={"token": token_of(link)})
    assert r.status_code == 200 and r.get_json()["data"]["emailVerified"] is True
    before = db_snapshot(app)
    assert_rejected(client.get("/api/auth/verify-email", query_string={"token": token_of(link)}),
                    400, "VALIDATION_ERROR", "token")
    assert db_snapshot(app) == before


@pytest.mark.parametrize("query", [{}, {"token": ""}, {"token": "forged"}])
def test_verify_email_rejects_bad_tokens(app, client, query):
    before = db_snapshot(app)
    assert_rejected(client.get("/api/auth/verify-email", query_string=query), 400,
                    "VALIDATION_ERROR", "token")
    assert db_snapshot(app) == before


def test_resend_verification(app, client, alice):
    token = login(client, alice.email)
    r = client.post("/api/auth/resend-verification", headers=csrf_headers(token))
    assert r.status_code == 200
    link = last_link("verify_email", alice.email)
    assert client.get("/api/auth/verify-email",
                      query_string={"token": token_of(link)}).status_code == 200
    before = db_snapshot(app)
    assert_rejected(client.post("/api/auth/resend-verification", headers=csrf_headers(token)),
                    409, "CONFLICT")
    assert_rejected(client.post("/api/auth/resend-verification"), 403, "FORBIDDEN")
    assert_rejected(app.test_client().post("/api/auth/resend-verification"), 401, "UNAUTHORIZED")
    assert_rejected(app.test_client().post("/api/auth/resend-verification",
                                           headers=alice.headers), 403, "FORBIDDEN")
    assert db_snapshot(app) == before


def test_a_verification_link_is_for_the_address_it_was_sent_to(app, client, alice):
    token = login(client, alice.email)
    client.post("/api/auth/resend-verification", headers=csrf_headers(token))
    raw = token_of(last_link("verify_email", alice.email))
    User.update(email="alice.new@example.com").where(User.email == alice.email).execute()
    assert_rejected(client.get("/api/auth/verify-email", query_string={"token": raw}), 400,
                    "VALIDATION_ERROR", "token")

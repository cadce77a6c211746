"""services/accounts.py, sessions.py and settings.py called directly: users, tokens, sign-up
rules, sign-in lockout, sessions and profile validation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import session

from linkhub import clock
from linkhub.auth import SESSION_KEY, hash_secret
from linkhub.errors import ApiError, Invalid
from linkhub.models import OneTimeToken, User, UserSession
from linkhub.services import accounts, sessions, settings
from tests.conftest import PASSWORD


def test_create_user_normalises_and_refuses_duplicates(ctx):
    user = accounts.create_user("  Dana@Example.COM ", PASSWORD, " Dana ")
    assert (user.email, user.name) == ("dana@example.com", "Dana")
    assert user.email_verified_at is None and user.public_id.startswith("usr_")
    assert accounts.find_by_email("DANA@example.com").id == user.id
    with pytest.raises(ApiError) as taken:
        accounts.create_user("dana@example.com", PASSWORD)
    assert taken.value.code == "EMAIL_TAKEN"


def test_create_user_lists_every_bad_field(ctx):
    with pytest.raises(Invalid) as exc:
        accounts.create_user("nope", "short", "x" * 201)
    assert set(exc.value.fields) == {"email", "password", "name"}


@pytest.mark.parametrize("raw", [None, "", "   ", "no-at-sign", "a@", 42])
def test_normalize_email_refuses(ctx, raw):
    with pytest.raises(Invalid) as exc:
        accounts.normalize_email(raw, field="newEmail")
    assert "newEmail" in exc.value.fields


def test_tokens_are_stored_hashed_and_used_once(ctx, alice):
    raw = accounts.issue_token(alice.user, "reset_password", timedelta(hours=1))
    row = OneTimeToken.get(OneTimeToken.token_hash == hash_secret(raw))
    assert raw not in row.token_hash
    assert accounts.find_token(raw, "reset_password").id == row.id
    assert accounts.find_token(raw, "verify_email") is None  # another purpose
    assert accounts.find_token("x" * 500, "reset_password") is None
    assert accounts.find_token(None, "reset_password") is None
    clock.advance(timedelta(minutes=61))
    assert accounts.find_token(raw, "reset_password") is None


def test_signup_open(app, ctx):
    assert accounts.signup_open() is False
    app.config["LINKHUB"]["OPEN_SIGNUP"] = True
    assert accounts.signup_open() is True
    app.config["LINKHUB"]["OPEN_SIGNUP"] = False
    app.extensions["linkhub.db"].execute_sql('DELETE FROM "user"')
    assert accounts.signup_open() is True and accounts.is_empty_install() is True


def test_sign_in_counts_failures_and_locks(app, ctx, alice):
    for _ in range(4):
        with pytest.raises(ApiError):
            accounts.sign_in(alice.email, "wrong-one", ip="10.0.0.1")
    assert User.get_by_id(alice.user.id).failed_logins == 4
    with pytest.raises(ApiError):
        accounts.sign_in(alice.email, "wrong-one", ip="10.0.0.1")
    locked = User.get_by_id(alice.user.id)
    assert locked.failed_logins == 0 and locked.locked_until > clock.now()
    with pytest.raises(ApiError) as exc:
        accounts.sign_in(alice.email, PASSWORD, ip="10.0.0.1")
    assert exc.value.code == "ACCOUNT_LOCKED" and "minutes" in exc.value.message
    clock.advance(timedelta(minutes=16))
    user = accounts.sign_in(alice.email, PASSWORD, ip="10.0.0.1")
    assert user.locked_until is None and user.last_login_at is not None
    assert session[SESSION_KEY]
    assert UserSession.get(UserSession.token_hash == hash_secret(session[SESSION_KEY]))


def test_sessions_start_end_and_end_all(app, ctx, alice, bob):
    first = sessions.start(alice.user)
    assert session.permanent is True
    assert first.expires_at - first.created_at == timedelta(days=30)
    second = sessions.start(alice.user)  # rotation: the first row is gone
    assert UserSession.get_or_none(UserSession.token_hash == first.token_hash) is None
    sessions.start(bob.user)
    assert UserSession.get_or_none(UserSession.token_hash == second.token_hash) is None
    other = UserSession.create(token_hash="x" * 64, user=alice.user,
                               expires_at=clock.now() + timedelta(days=1))
    keep = UserSession.create(token_hash="y" * 64, user=alice.user,
                              expires_at=clock.now() + timedelta(days=1))
    assert sessions.end_all(alice.user, keep=keep) == 1
    assert UserSession.get_or_none(UserSession.id == other.id) is None
    assert sessions.end() is True
    assert SESSION_KEY not in session
    assert sessions.end() is False


def test_purge_expired(ctx, alice):
    UserSession.create(token_hash="o" * 64, user=alice.user,
                       expires_at=clock.now() - timedelta(seconds=1))
    live = UserSession.create(token_hash="l" * 64, user=alice.user,
                              expires_at=clock.now() + timedelta(days=1))
    spent = accounts.issue_token(alice.user, "verify_email", timedelta(days=1))
    OneTimeToken.update(used_at=clock.now()).where(
        OneTimeToken.token_hash == hash_secret(spent)).execute()
    fresh = accounts.issue_token(alice.user, "verify_email", timedelta(days=1))
    assert sessions.purge_expired() == 2
    assert UserSession.get_or_none(UserSession.id == live.id) is not None
    assert accounts.find_token(fresh, "verify_email") is not None


def test_update_profile_validation(ctx, alice):
    user = settings.update_profile(alice.user, name=" New Name ", image="http://x.example/a.png")
    assert (user.name, user.image) == ("New Name", "http://x.example/a.png")
    user = settings.update_profile(user, image="")
    assert user.image is None
    with pytest.raises(Invalid) as exc:
        settings.update_profile(user, name="x" * 201, image="data:image/png;base64,AAAA")
    assert set(exc.value.fields) == {"name", "image"}
    with pytest.raises(Invalid):
        settings.update_profile(user)

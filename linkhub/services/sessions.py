"""Server-side sessions: a random token lives in the signed Flask session under `sid`, only its
keyed hash is stored (UserSession). Starting one rotates the old one away; ending one deletes
the row and clears the cookie. Who may sign in is decided in accounts.py, not here."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, g, has_request_context, request, session

from linkhub import clock, ids
from linkhub.auth import SESSION_KEY, current_session, hash_secret
from linkhub.models import OneTimeToken, User, UserSession

CSRF_FIELD = "csrf_token"


def _forget_cookie_state() -> None:
    """Drop everything the old cookie carried, including its CSRF secret (a new one is minted
    on the next csrf_token() call), so nothing survives a change of identity."""
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", CSRF_FIELD), None)


def start(user: User) -> UserSession:
    """Sign `user` in on this request: a new token and row; any session the request carried is
    deleted first (rotation: a token seen before sign-in never becomes a signed-in token)."""
    old = session.get(SESSION_KEY)
    if old:
        UserSession.delete().where(UserSession.token_hash == hash_secret(old)).execute()
    _forget_cookie_state()
    token = ids.new_token()
    days = current_app.config["LINKHUB"]["SESSION_DAYS"]
    now = clock.now()
    agent = request.headers.get("User-Agent", "")[:512] if has_request_context() else None
    row = UserSession.create(token_hash=hash_secret(token), user=user, created_at=now,
                             last_seen_at=now, expires_at=now + timedelta(days=days),
                             ip=g.get("client_ip"), user_agent=agent or None)
    session[SESSION_KEY] = token
    session.permanent = True
    return row


def end() -> bool:
    """Sign out this request's session. Returns False when there was none."""
    row = current_session()
    if row is not None:
        UserSession.delete().where(UserSession.id == row.id).execute()
    _forget_cookie_state()
    return row is not None


def end_all(user: User, keep: UserSession | None = None) -> int:
    """Delete every session of `user` (except `keep`): after a password change or reset."""
    query = UserSession.delete().where(UserSession.user == user)
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    return query.execute()


def purge_expired() -> int:
    """Delete expired sessions and spent or expired one-time tokens (a periodic job)."""
    now = clock.now()
    removed = UserSession.delete().where(UserSession.expires_at <= now).execute()
    removed += OneTimeToken.delete().where(
        (OneTimeToken.expires_at <= now) | OneTimeToken.used_at.is_null(False)).execute()
    return removed

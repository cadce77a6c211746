"""Who is calling: API keys and sessions resolved to g.user, g.workspace, g.role, g.scopes;
CSRF for session writes; `require(...)` for scopes, roles and session-only routes.
It decides access; it holds no business rules about the resources themselves."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any, Callable

from flask import current_app, g, request, session
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms.validators import ValidationError

from linkhub import clock, ids
from linkhub.errors import ApiError, Forbidden, NotFound
from linkhub.models import ApiKey, Member, User, UserSession, Workspace

ROLE_RANK = {"viewer": 1, "editor": 2, "admin": 3, "owner": 4}

# Every scope a key can carry, with the least role that may use it. A key never exceeds its
# creator's role: both the scope and the role must allow the action.
SCOPES: dict[str, str] = {
    "links:read": "viewer", "links:create": "editor", "links:update": "editor",
    "links:delete": "editor", "links:write": "editor",
    "rules:read": "viewer", "rules:create": "editor", "rules:update": "editor",
    "rules:delete": "editor", "rules:write": "editor",
    "campaigns:read": "viewer", "campaigns:write": "editor",
    "domains:read": "viewer", "domains:write": "editor",
    "pixels:read": "viewer", "pixels:create": "editor", "pixels:update": "editor",
    "pixels:delete": "editor", "pixels:write": "editor",
    "analytics:read": "viewer",
    "conversions:read": "viewer", "conversions:write": "editor",
    "customers:read": "viewer", "customers:write": "editor",
    "workspace:read": "viewer", "workspace:update": "admin",
    "members:read": "viewer", "members:invite": "admin", "members:update_roles": "admin",
    "members:remove": "admin",
    "billing:read": "admin", "billing:manage": "owner",
    "api_keys:*": "admin",
    "webhooks:read": "viewer", "webhooks:manage": "admin",
    "integrations:read": "viewer", "integrations:manage": "admin",
}
ALL_SCOPES = "*"

# A broad scope a key may hold that implies narrower ones.
_IMPLIES = {
    "links:write": ("links:create", "links:update", "links:delete"),
    "rules:write": ("rules:create", "rules:update", "rules:delete"),
    "pixels:write": ("pixels:create", "pixels:update", "pixels:delete"),
}

SESSION_KEY = "sid"


def scope_granted(granted: list[str], required: str) -> bool:
    if ALL_SCOPES in granted or required in granted:
        return True
    return any(required in _IMPLIES.get(s, ()) for s in granted)


def role_at_least(role: str | None, minimum: str) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[minimum]


def _secret(name: str) -> bytes:
    return current_app.config["LINKHUB_SECRETS"][name].encode()


def hash_secret(value: str) -> str:
    """The stored form of API keys and one-time tokens."""
    return ids.keyed_hash(_secret("hashing_key"), value)


def _api_key_from_request() -> str | None:
    key = request.headers.get("X-API-Key")
    if key:
        return key.strip()
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def _invalid_key(message: str = "The API key is invalid, disabled or expired.") -> ApiError:
    return ApiError("INVALID_API_KEY", message)


def _resolve_key(raw: str) -> None:
    if not ids.looks_like_api_key(raw):
        raise _invalid_key()
    key = ApiKey.get_or_none(ApiKey.key_hash == hash_secret(raw))
    if key is None or not key.is_usable():
        raise _invalid_key()
    workspace = key.workspace
    role = "owner"  # keys made with the CLI act with an owner's reach
    if key.created_by_id is not None:
        member = Member.get_or_none(Member.workspace == workspace, Member.user == key.created_by_id)
        if member is None:
            raise _invalid_key("The API key's creator is no longer a member of its workspace.")
        role = member.role
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at > timedelta(seconds=60):
        ApiKey.update(last_used_at=now, last_used_ip=g.client_ip).where(
            ApiKey.id == key.id).execute()
    g.auth_via, g.api_key, g.user = "api_key", key, key.created_by
    g.workspace, g.role, g.scopes, g.member = workspace, role, list(key.scopes), None


def current_session() -> UserSession | None:
    token = session.get(SESSION_KEY)
    if not token:
        return None
    row = UserSession.get_or_none(UserSession.token_hash == hash_secret(token))
    if row is None or row.expires_at <= clock.now():
        session.pop(SESSION_KEY, None)
        return None
    now = clock.now()
    if now - row.last_seen_at > timedelta(minutes=5):
        UserSession.update(last_seen_at=now).where(UserSession.id == row.id).execute()
    return row


def _membership(user: User, workspace_public_id: str | None) -> Member | None:
    query = (Member.select(Member, Workspace).join(Workspace)
             .where(Member.user == user))
    if workspace_public_id:
        return query.where(Workspace.public_id == workspace_public_id).first()
    if user.default_workspace_id:
        member = query.where(Workspace.id == user.default_workspace_id).first()
        if member:
            return member
    return query.order_by(Member.id).first()


def _resolve_session(row: UserSession) -> None:
    user = row.user
    g.auth_via, g.api_key, g.user, g.session_row = "session", None, user, row
    g.scopes = [ALL_SCOPES]
    wanted = request.headers.get("X-Workspace-Id") if request.path.startswith("/api") else None
    if wanted is None and not request.path.startswith("/api"):
        wanted = session.get("workspace_id")
    member = _membership(user, wanted)
    if member is None and wanted and request.path.startswith("/api"):
        raise NotFound("Workspace not found.")
    if member is None and wanted:
        session.pop("workspace_id", None)
        member = _membership(user, None)
    g.member = member
    g.workspace = member.workspace if member else None
    g.role = member.role if member else None


def load_principal() -> None:
    """Resolve the caller for this request (called once, before any view)."""
    g.user = g.workspace = g.member = g.role = g.api_key = None
    g.scopes, g.auth_via = [], None
    raw = _api_key_from_request() if request.path.startswith("/api") else None
    if raw is not None:
        _resolve_key(raw)
        return
    row = current_session()
    if row is not None:
        _resolve_session(row)


def principal_key() -> str:
    """The rate-limit and idempotency identity of this request."""
    if g.api_key is not None:
        return f"key:{g.api_key.id}"
    if g.user is not None:
        return f"user:{g.user.id}"
    return f"ip:{g.client_ip}"


def check_csrf() -> None:
    """Session requests that change state must carry the CSRF token."""
    if g.auth_via != "session" or request.method in ("GET", "HEAD", "OPTIONS"):
        return
    token = request.headers.get("X-CSRF-Token") or request.headers.get("X-CSRFToken")
    if not token and request.mimetype in ("application/x-www-form-urlencoded",
                                          "multipart/form-data"):
        token = request.form.get("csrf_token")
    try:
        validate_csrf(token)
    except ValidationError:
        raise Forbidden("CSRF token missing or invalid: send the session's csrfToken in the "
                        "X-CSRF-Token header.") from None


def csrf_token() -> str:
    return generate_csrf()


def require(scope: str | None = None, *, role: str | None = None, session_only: bool = False,
            workspace: bool | str = True) -> Callable:
    """Guard a view: authenticated, (optionally) session only, in a workspace, with a scope and
    at least a role. The scope's own minimum role applies as well. `workspace="path"` takes the
    workspace from the route's `workspace_id` argument instead of the key or X-Workspace-Id."""

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if g.auth_via is None:
                raise ApiError("UNAUTHORIZED", "Authentication required: send an API key "
                                               "(X-API-Key) or sign in.")
            if session_only and g.auth_via != "session":
                raise Forbidden("This route needs a signed-in session; API keys are not "
                                "accepted here.")
            if workspace == "path":
                use_workspace(kwargs["workspace_id"])
            elif workspace and g.workspace is None:
                raise NotFound("No workspace selected: create one or send X-Workspace-Id.")
            if workspace:
                enforce(scope, role)
            return view(*args, **kwargs)

        wrapper.linkhub_auth = {"scope": scope, "role": role, "session_only": session_only,
                                "workspace": workspace}
        return wrapper

    return decorator


def enforce(scope: str | None, role: str | None = None) -> None:
    """Raise 403 unless the current caller holds `scope` and the role it (and `role`) need."""
    if scope is not None:
        if not scope_granted(g.scopes, scope):
            raise Forbidden(f"The API key lacks the scope {scope}.")
        if not role_at_least(g.role, SCOPES[scope]):
            raise Forbidden(f"Your role ({g.role}) cannot do this; it needs {SCOPES[scope]}.")
    if role is not None and not role_at_least(g.role, role):
        raise Forbidden(f"Your role ({g.role}) cannot do this; it needs {role}.")


def use_workspace(workspace_public_id: str) -> Workspace:
    """Switch the request to the workspace named in the path (404 when the caller has no access)."""
    if not ids.is_valid("workspace", workspace_public_id):
        raise NotFound("Workspace not found.")
    if g.auth_via == "api_key":
        if g.workspace.public_id != workspace_public_id:
            raise NotFound("Workspace not found.")
        return g.workspace
    member = _membership(g.user, workspace_public_id)
    if member is None:
        raise NotFound("Workspace not found.")
    g.member, g.workspace, g.role = member, member.workspace, member.role
    return g.workspace

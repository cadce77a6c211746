"""API keys: creation (the secret is returned once and stored only as a keyed hash), scope
validation and the creator's-role ceiling, listing, update, disable/enable and revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from peewee import JOIN

from linkhub import clock, ids
from linkhub.auth import ALL_SCOPES, ROLE_RANK, SCOPES, hash_secret
from linkhub.errors import Forbidden, Invalid, NotFound
from linkhub.models import ApiKey, Member, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit

NAME_MAX = 100


def validate_scopes(scopes: list[str] | None) -> list[str]:
    if scopes is None or scopes == []:
        raise Invalid(fields={"scopes": "must list at least one scope (or \"*\")"})
    unknown = [s for s in scopes if s != ALL_SCOPES and s not in SCOPES]
    if unknown:
        raise Invalid(fields={"scopes": f"unknown scope(s): {', '.join(unknown)}"})
    return [ALL_SCOPES] if ALL_SCOPES in scopes else sorted(set(scopes))


def validate_name(name: str | None) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise Invalid(fields={"name": "is required"})
    if len(cleaned) > NAME_MAX:
        raise Invalid(fields={"name": f"must be at most {NAME_MAX} characters"})
    return cleaned


def validate_expiry(expires_at: datetime | None) -> datetime | None:
    if expires_at is not None and expires_at <= clock.now():
        raise Invalid(fields={"expiresAt": "must be in the future"})
    return expires_at


def validate_key_fields(name: str | None, expires_at: datetime | None) -> str:
    problems: dict[str, str] = {}
    cleaned = ""
    try:
        cleaned = validate_name(name)
    except Invalid as exc:
        problems.update(exc.fields)
    try:
        validate_expiry(expires_at)
    except Invalid as exc:
        problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    return cleaned


def actor_role(workspace: Workspace, actor: User | None) -> str:
    """The role whose reach a key made by `actor` gets (the CLI, with no actor, acts as owner)."""
    if actor is None:
        return "owner"
    member = Member.get_or_none(Member.workspace == workspace, Member.user == actor)
    if member is None:
        raise Forbidden("Only members of the workspace can manage its API keys.")
    return member.role


def check_grantable(scopes: list[str], role: str) -> None:
    """403 when a scope needs more than `role`: a key never exceeds its creator. `*` is always
    grantable because a key's reach is capped by its creator's role on every request."""
    for scope in scopes:
        if scope != ALL_SCOPES and ROLE_RANK[SCOPES[scope]] > ROLE_RANK[role]:
            raise Forbidden(f"Your role ({role}) cannot grant the scope {scope}; it needs "
                            f"{SCOPES[scope]}.")


def create_api_key(workspace: Workspace, actor: User | None, name: str,
                   scopes: list[str] | None = None,
                   expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """Returns the stored key and its secret, which is never shown again."""
    problems: dict[str, str] = {}
    cleaned, granted = "", []
    try:
        cleaned = validate_key_fields(name, expires_at)
    except Invalid as exc:
        problems.update(exc.fields)
    try:
        granted = validate_scopes([ALL_SCOPES] if scopes is None else scopes)
    except Invalid as exc:
        problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    check_grantable(granted, actor_role(workspace, actor))
    raw = ids.new_api_key()
    key = ApiKey.create(public_id=ids.new_id("api_key"), workspace=workspace, created_by=actor,
                        name=cleaned, lookup=ids.api_key_lookup(raw), key_hash=hash_secret(raw),
                        scopes=granted, expires_at=expires_at)
    audit.record("api_key.create", "api_key", key.public_id, workspace=workspace, actor=actor,
                 details={"name": cleaned, "scopes": granted})
    return key, raw


def list_keys(workspace: Workspace, page: Page) -> tuple[list[ApiKey], int]:
    query = (ApiKey.select(ApiKey, User).join(User, join_type=JOIN.LEFT_OUTER,
                                              on=(ApiKey.created_by == User.id))
             .where(ApiKey.workspace == workspace))
    total = query.count()
    rows = list(query.order_by(ApiKey.created_at.desc(), ApiKey.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, total


def get_key(workspace: Workspace, key_id: str) -> ApiKey:
    """The key of `workspace` with this id, else 404 (also for another workspace's key)."""
    key = None
    if ids.is_valid("api_key", key_id):
        key = ApiKey.get_or_none(ApiKey.workspace == workspace, ApiKey.public_id == key_id)
    if key is None:
        raise NotFound("API key not found.")
    return key


def update_api_key(workspace: Workspace, actor: User | None, key: ApiKey,
                   data: dict[str, Any]) -> ApiKey:
    """Apply the given keys of `data`: name, scopes, enabled, expires_at (None clears it)."""
    changes: dict[str, Any] = {}
    problems: dict[str, str] = {}
    checks = (("name", "name", validate_name), ("scopes", "scopes", validate_scopes),
              ("expires_at", "expires_at", validate_expiry))
    for key_name, attr, check in checks:
        if key_name not in data:
            continue
        try:
            changes[attr] = check(data[key_name])
        except Invalid as exc:
            problems.update(exc.fields)
    if "enabled" in data:
        if not isinstance(data["enabled"], bool):
            problems["enabled"] = "must be true or false"
        else:
            changes["enabled"] = data["enabled"]
    if problems:
        raise Invalid(fields=problems)
    role = actor_role(workspace, actor)
    if "scopes" in changes:
        check_grantable(changes["scopes"], role)
    changed = {k: v for k, v in changes.items() if getattr(key, k) != v}
    if changed:
        for attr, value in changed.items():
            setattr(key, attr, value)
        key.save()
        action = "api_key.update"
        if set(changed) == {"enabled"}:
            action = "api_key.enable" if key.enabled else "api_key.disable"
        audit.record(action, "api_key", key.public_id, workspace=workspace, actor=actor,
                     details={"fields": sorted(changed)})
    return key


def delete_api_key(workspace: Workspace, actor: User | None, key: ApiKey) -> None:
    """Revoke for good: the row goes, and the key then answers 401 INVALID_API_KEY."""
    actor_role(workspace, actor)
    public_id, name = key.public_id, key.name
    key.delete_instance()
    audit.record("api_key.delete", "api_key", public_id, workspace=workspace, actor=actor,
                 details={"name": name})

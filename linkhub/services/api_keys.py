"""API keys: creation (the secret is returned once and stored only as a keyed hash), scope
validation. Listing, update, disable and revoke are ruled here too."""

from __future__ import annotations

from datetime import datetime

from linkhub import clock, ids
from linkhub.auth import ALL_SCOPES, SCOPES, hash_secret
from linkhub.errors import Invalid
from linkhub.models import ApiKey, User, Workspace
from linkhub.services import audit

NAME_MAX = 100


def validate_scopes(scopes: list[str] | None) -> list[str]:
    if scopes is None or scopes == []:
        raise Invalid(fields={"scopes": "must list at least one scope (or \"*\")"})
    unknown = [s for s in scopes if s != ALL_SCOPES and s not in SCOPES]
    if unknown:
        raise Invalid(fields={"scopes": f"unknown scope(s): {', '.join(unknown)}"})
    return [ALL_SCOPES] if ALL_SCOPES in scopes else sorted(set(scopes))


def validate_key_fields(name: str | None, expires_at: datetime | None) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise Invalid(fields={"name": "is required"})
    if len(cleaned) > NAME_MAX:
        raise Invalid(fields={"name": f"must be at most {NAME_MAX} characters"})
    if expires_at is not None and expires_at <= clock.now():
        raise Invalid(fields={"expiresAt": "must be in the future"})
    return cleaned


def create_api_key(workspace: Workspace, actor: User | None, name: str,
                   scopes: list[str] | None = None,
                   expires_at: datetime | None = None) -> tuple[ApiKey, str]:
    """Returns the stored key and its secret, which is never shown again."""
    cleaned = validate_key_fields(name, expires_at)
    granted = validate_scopes([ALL_SCOPES] if scopes is None else scopes)
    raw = ids.new_api_key()
    key = ApiKey.create(public_id=ids.new_id("api_key"), workspace=workspace, created_by=actor,
                        name=cleaned, lookup=ids.api_key_lookup(raw), key_hash=hash_secret(raw),
                        scopes=granted, expires_at=expires_at)
    audit.record("api_key.create", "api_key", key.public_id, workspace=workspace, actor=actor,
                 details={"name": cleaned, "scopes": granted})
    return key, raw


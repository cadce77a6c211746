"""Reading the audit log of a workspace: filters (action, actor, resource type, time range) and
the public shape of an entry. Writing entries is services/audit.py's `record`, never here."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from linkhub import clock, ids
from linkhub.errors import Invalid
from linkhub.models import ApiKey, AuditLog, User, Workspace
from linkhub.pagination import Page

TEXT_MAX = 64


def _edge(args: Mapping[str, str], name: str, problems: dict[str, str]) -> datetime | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return clock.parse_iso(raw, end_of_day=(name == "end"))
    except ValueError:
        problems[name] = "must be an ISO 8601 date or datetime"
        return None


def filters(args: Mapping[str, str]) -> dict[str, Any]:
    """`action` (exact, or a prefix written `link.*`), `actorId` (`usr_…`), `resourceType`,
    `start`/`end` (a date-only `end` covers its whole day); 400 for malformed values."""
    problems: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name in ("action", "resourceType"):
        value = (args.get(name) or "").strip()
        if len(value) > TEXT_MAX:
            problems[name] = f"must be at most {TEXT_MAX} characters"
        elif value:
            out[name] = value
    actor = (args.get("actorId") or "").strip()
    if actor and not ids.is_valid("user", actor):
        problems["actorId"] = "must be a user id (usr_…)"
    elif actor:
        out["actorId"] = actor
    start, end = _edge(args, "start", problems), _edge(args, "end", problems)
    if start and end and start > end:
        problems["start"] = "must not be after end"
    if problems:
        raise Invalid(fields=problems)
    out.update({k: v for k, v in (("start", start), ("end", end)) if v is not None})
    return out


def search(workspace: Workspace, wanted: Mapping[str, Any],
           page: Page) -> tuple[list[AuditLog], int]:
    """The workspace's entries matching `wanted` (from `filters`), newest first."""
    query = AuditLog.select().where(AuditLog.workspace == workspace)
    action = wanted.get("action")
    if action and action.endswith(".*"):
        query = query.where(AuditLog.action.startswith(action[:-1]))
    elif action:
        query = query.where(AuditLog.action == action)
    if "resourceType" in wanted:
        query = query.where(AuditLog.resource_type == wanted["resourceType"])
    if "actorId" in wanted:
        query = query.where(AuditLog.user.in_(
            User.select(User.id).where(User.public_id == wanted["actorId"])))
    if "start" in wanted:
        query = query.where(AuditLog.created_at >= wanted["start"])
    if "end" in wanted:
        query = query.where(AuditLog.created_at <= wanted["end"])
    total = query.count()
    rows = list(query.order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, total


def serialize_all(rows: list[AuditLog]) -> list[dict[str, Any]]:
    """Entries with their actor (user and/or API key) resolved in two reads."""
    users = {row.id: row for row in User.select(User.id, User.public_id, User.email, User.name)
             .where(User.id.in_([r.user_id for r in rows if r.user_id] or [0]))}
    keys = {row.id: row for row in ApiKey.select(ApiKey.id, ApiKey.public_id, ApiKey.name)
            .where(ApiKey.id.in_([r.api_key_id for r in rows if r.api_key_id] or [0]))}
    return [_one(row, users.get(row.user_id), keys.get(row.api_key_id)) for row in rows]


def _one(row: AuditLog, user: User | None, key: ApiKey | None) -> dict[str, Any]:
    via = "api_key" if key is not None else "user" if user is not None else "system"
    return {
        "action": row.action, "resourceType": row.resource_type,
        "resourceId": row.resource_id,
        "actor": {"type": via, "id": user.public_id if user else None,
                  "email": user.email if user else None, "name": user.name if user else None,
                  "apiKeyId": key.public_id if key else None,
                  "apiKeyName": key.name if key else None},
        "details": row.details, "ip": row.ip, "createdAt": clock.iso(row.created_at),
    }


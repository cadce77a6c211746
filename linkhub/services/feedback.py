"""Feedback members send from the dashboard (or the API): kind, message, page, optional rating,
stored per workspace and listed for its admins. Validation and the per-user rate limit live
here; nothing is sent anywhere else."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import peewee

from linkhub import clock, ids, ratelimit
from linkhub.errors import Invalid
from linkhub.models import Feedback, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit

KINDS = ("bug", "idea", "praise", "other")
STATUSES = ("new",)  # triage states may come later; every entry starts as `new`
MESSAGE_MAX = 5_000
PAGE_MAX = 2_048
RATE = "30/hour"  # per user: generous for people, a brake for a script


def _kind(value: Any) -> str:
    if value is None or value == "":
        raise Invalid(fields={"kind": "is required"})
    if value not in KINDS:
        raise Invalid(fields={"kind": "must be one of " + ", ".join(KINDS)})
    return value


def _message(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(fields={"message": "is required"})
    text = value.strip()
    if len(text) > MESSAGE_MAX:
        raise Invalid(fields={"message": f"must be at most {MESSAGE_MAX:,} characters"})
    return text


def _page(value: Any) -> str | None:
    """Where the sender was: a path or URL, kept as text (never fetched or linked raw)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(fields={"page": "must be a string"})
    if len(value) > PAGE_MAX:
        raise Invalid(fields={"page": f"must be at most {PAGE_MAX:,} characters"})
    return value.strip() or None


def _rating(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise Invalid(fields={"rating": "must be a whole number from 1 to 5"})
    return value


def create_feedback(workspace: Workspace, actor: User | None,
                    data: Mapping[str, Any]) -> Feedback:
    """Every field is checked before anything is written; 429 past RATE per user."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for name, check in (("kind", _kind), ("message", _message), ("page", _page),
                        ("rating", _rating)):
        try:
            values[name] = check(data.get(name))
        except Invalid as exc:
            problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    who = f"user:{actor.id}" if actor is not None else f"workspace:{workspace.id}"
    ratelimit.enforce("feedback", who, RATE, "Too much feedback at once; try again later.")
    row = Feedback.create(public_id=ids.new_id("feedback"), workspace=workspace, user=actor,
                          status="new", created_at=clock.now(), **values)
    audit.record("feedback.create", "feedback", row.public_id, workspace=workspace, actor=actor,
                 details={"kind": row.kind})
    return row


def list_feedback(workspace: Workspace, page: Page,
                  kind: str | None = None) -> tuple[list[Feedback], int]:
    """Newest first; `kind` narrows to one kind (anything else is a 400)."""
    query = Feedback.select(Feedback, User).join(User, peewee.JOIN.LEFT_OUTER).where(
        Feedback.workspace == workspace)
    if kind:
        query = query.where(Feedback.kind == _kind(kind))
    total = query.count()
    rows = list(query.order_by(Feedback.created_at.desc(), Feedback.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, total


def serialize(row: Feedback) -> dict[str, Any]:
    user = row.user if row.user_id is not None else None
    return {"id": row.public_id, "kind": row.kind, "message": row.message, "page": row.page,
            "rating": row.rating, "status": row.status,
            "user": ({"id": user.public_id, "email": user.email, "name": user.name}
                     if user is not None else None),
            "createdAt": clock.iso(row.created_at)}

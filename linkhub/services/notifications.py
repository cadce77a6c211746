"""In-app notifications and their e-mail copies: `notify` (what other services call when
something happened), a user's list in a workspace, mark read, mark all read, and per-kind
preferences. It never decides *when* to notify: the calling service does."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from flask import current_app

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import Invalid, NotFound
from linkhub.models import Member, Notification, NotificationPreference, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit, email

# The kinds other services send, with what the preferences page says and the e-mail default.
# E-mail is on by default only where the user has to act or is waiting for a result.
KINDS: dict[str, dict[str, Any]] = {
    "webhook_disabled": {"label": "A webhook endpoint was disabled after repeated failures",
                         "email": True},
    "export_ready": {"label": "An export is ready to download", "email": True},
    "import_finished": {"label": "An import finished", "email": True},
    "bulk_finished": {"label": "A bulk operation finished", "email": False},
    "invitation_accepted": {"label": "Someone accepted an invitation to the workspace",
                            "email": False},
    "integration_notice": {"label": "A message sent by an integration (Slack)", "email": False},
}
# Unknown kinds are allowed (a module may add one before this table knows it): in-app on,
# e-mail off.
_KIND_RE = re.compile(r"^[a-z][a-z0-9_]{0,47}$")
TITLE_MAX, BODY_MAX, URL_MAX = 200, 5_000, 2_048


def defaults(kind: str) -> dict[str, bool]:
    return {"inApp": True, "email": bool(KINDS.get(kind, {}).get("email", False))}


def _choices(user_ids: list[int], kind: str) -> dict[int, dict[str, bool]]:
    """Each user's {inApp, email} for `kind`: their stored row, else the kind's default."""
    out = {uid: defaults(kind) for uid in user_ids}
    rows = NotificationPreference.select().where(NotificationPreference.user.in_(user_ids),
                                                 NotificationPreference.kind == kind)
    for row in rows:
        out[row.user_id] = {"inApp": row.in_app, "email": row.email}
    return out


def _recipients(workspace: Workspace, users: Iterable[Any] | None,
                roles: Iterable[str]) -> list[User]:
    """Members of the workspace: the given users (User rows or integer ids; non-members are
    dropped, never notified), else every member holding one of `roles`."""
    query = (User.select(User).join(Member, on=(Member.user == User.id))
             .where(Member.workspace == workspace))
    if users is not None:
        wanted = [u.id if isinstance(u, User) else int(u) for u in users]
        if not wanted:
            return []
        query = query.where(User.id.in_(wanted))
    else:
        query = query.where(Member.role.in_(list(roles)))
    return list(query.order_by(User.id))


def _absolute(url: str | None) -> str | None:
    if url and url.startswith("/"):
        return current_app.config["LINKHUB"]["BASE_URL"].rstrip("/") + url
    return url


def notify(workspace: Workspace, kind: str, title: str, body: str = "", *,
           url: str | None = None, users: Iterable[Any] | None = None,
           roles: Iterable[str] = ("owner", "admin")) -> int:
    """One in-app notification per recipient (members with `roles`, or the given `users`),
    plus an e-mail when the recipient's preference for `kind` says so. Returns how many
    recipients were reached by at least one channel. Safe inside the caller's transaction:
    e-mails are then queued for the `email-retry` job instead of sent on the spot."""
    if not _KIND_RE.fullmatch(kind):
        raise ValueError(f"bad notification kind {kind!r}")
    # one line: the title is also an e-mail subject (a line break there would be refused)
    title = " ".join(title.split())[:TITLE_MAX] or kind.replace("_", " ")
    body = (body or "")[:BODY_MAX]
    # a dashboard path or a web address; anything else (javascript:, data:) is dropped
    local = bool(url) and url.startswith("/") and not url.startswith("//")
    url = url[:URL_MAX] if url and (local or url.startswith(("https://", "http://"))) else None
    people = _recipients(workspace, users, roles)
    if not people:
        return 0
    choices = _choices([p.id for p in people], kind)
    now = clock.now()
    rows = [{"public_id": ids.new_id("notification"), "workspace": workspace.id,
             "user": p.id, "kind": kind, "title": title, "body": body, "url": url,
             "created_at": now} for p in people if choices[p.id]["inApp"]]
    if rows:
        Notification.insert_many(rows).execute()
    mailer = email.queue if database.in_transaction() else email.send
    for person in people:
        if choices[person.id]["email"]:
            mailer(f"notification.{kind}"[:48], person.email, f"[{workspace.name}] {title}",
                   "notification", {"user": person, "workspace": workspace, "title": title,
                                    "body": body, "url": _absolute(url)},
                   user=person, workspace=workspace)
    return sum(1 for p in people if choices[p.id]["inApp"] or choices[p.id]["email"])


# --- a user's notifications -------------------------------------------------------------------

def _mine(workspace: Workspace, user: User):
    return (Notification.user == user) & (Notification.workspace == workspace)


def parse_unread(value: Any) -> bool:
    """The `unread` filter: true/false (absent = false, meaning all)."""
    if value is None or value == "":
        return False
    text = str(value).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise Invalid(fields={"unread": "must be true or false"})


def list_notifications(workspace: Workspace, user: User, page: Page,
                       unread: bool = False) -> tuple[list[Notification], int]:
    query = Notification.select().where(_mine(workspace, user))
    if unread:
        query = query.where(Notification.read_at.is_null())
    total = query.count()
    rows = list(query.order_by(Notification.created_at.desc(), Notification.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, total


def unread_count(workspace: Workspace, user: User) -> int:
    return (Notification.select().where(_mine(workspace, user), Notification.read_at.is_null())
            .count())


def get_notification(workspace: Workspace, user: User, notification_id: str) -> Notification:
    """The user's own notification in this workspace; anyone else's answers 404."""
    row = None
    if ids.is_valid("notification", notification_id):
        row = Notification.get_or_none(Notification.public_id == notification_id,
                                       _mine(workspace, user))
    if row is None:
        raise NotFound("Notification not found.")
    return row


def mark_read(workspace: Workspace, user: User, notification_id: str) -> Notification:
    """Idempotent: an already read notification keeps its first read time."""
    row = get_notification(workspace, user, notification_id)
    if row.read_at is None:
        row.read_at = clock.now()
        Notification.update(read_at=row.read_at).where(Notification.id == row.id).execute()
    return row


def mark_all_read(workspace: Workspace, user: User) -> int:
    """Returns how many notifications were unread."""
    return (Notification.update(read_at=clock.now())
            .where(_mine(workspace, user), Notification.read_at.is_null()).execute())


# --- preferences ------------------------------------------------------------------------------

def preferences(user: User) -> list[dict[str, Any]]:
    """One entry per known kind (plus any kind the user stored), defaults filled in."""
    stored = {row.kind: row for row in
              NotificationPreference.select().where(NotificationPreference.user == user)}
    out = []
    for kind in [*KINDS, *sorted(k for k in stored if k not in KINDS)]:
        row = stored.get(kind)
        choice = ({"inApp": row.in_app, "email": row.email} if row else defaults(kind))
        out.append({"kind": kind, "label": KINDS.get(kind, {}).get("label", kind),
                    **choice, "default": row is None})
    return out


def set_preferences(user: User, items: Any) -> list[dict[str, Any]]:
    """Store {kind, inApp?, email?} choices (only known kinds; a missing flag keeps its
    current value). All or nothing: one bad item and nothing is stored."""
    if not isinstance(items, list) or not items:
        raise Invalid(fields={"preferences": "must be a non-empty list"})
    problems: dict[str, str] = {}
    wanted: dict[str, dict[str, bool]] = {}
    for n, item in enumerate(items):
        where = f"preferences[{n}]"
        if not isinstance(item, Mapping):
            problems[where] = "must be an object"
            continue
        kind = item.get("kind")
        if kind not in KINDS:
            problems[f"{where}.kind"] = "must be one of " + ", ".join(KINDS)
            continue
        for flag in ("inApp", "email"):
            if flag in item and not isinstance(item[flag], bool):
                problems[f"{where}.{flag}"] = "must be true or false"
        wanted[kind] = {flag: item[flag] for flag in ("inApp", "email")
                        if isinstance(item.get(flag), bool)}
    if problems:
        raise Invalid(fields=problems)
    current = {p["kind"]: p for p in preferences(user)}
    now = clock.now()
    with database.atomic():
        for kind, flags in wanted.items():
            merged = {"inApp": current[kind]["inApp"], "email": current[kind]["email"], **flags}
            (NotificationPreference.insert(user=user, kind=kind, in_app=merged["inApp"],
                                           email=merged["email"], updated_at=now)
             .on_conflict(conflict_target=[NotificationPreference.user,
                                           NotificationPreference.kind],
                          update={NotificationPreference.in_app: merged["inApp"],
                                  NotificationPreference.email: merged["email"],
                                  NotificationPreference.updated_at: now})
             .execute())
        audit.record("notification_preferences.update", "user", user.public_id, actor=user,
                     details={"kinds": sorted(wanted)})
    return preferences(user)


def serialize(row: Notification) -> dict[str, Any]:
    return {"id": row.public_id, "kind": row.kind, "title": row.title, "body": row.body,
            "url": row.url, "read": row.read_at is not None, "readAt": clock.iso(row.read_at),
            "createdAt": clock.iso(row.created_at)}

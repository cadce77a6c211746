"""/api/notifications: the caller's own notifications in the current workspace (list with an
unread filter and count, mark one or all read) and their per-kind preferences. Parse ->
services/notifications.py -> envelope; notifications are per user, so a key needs a creator."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import listing, ok
from linkhub.errors import Forbidden
from linkhub.models import User
from linkhub.schemas import notifications as s
from linkhub.services import notifications

bp = Blueprint("notifications", __name__)
TAG = "Notifications"


def _user() -> User:
    if g.user is None:
        raise Forbidden("Notifications belong to a user; this API key was made without one "
                        "(use a key created by a member, or sign in).")
    return g.user


@bp.get("/notifications")
@require()
@endpoint("List my notifications", query=s.NotificationListQuery, response=s.NotificationOut,
          listing=True, tag=TAG)
def list_notifications(query: s.NotificationListQuery) -> Response:
    """Newest first, in the current workspace. The `X-Unread-Count` header carries the number
    of unread ones (also `GET /api/notifications/unread-count`)."""
    user = _user()
    page = pagination.parse(request.args)
    unread = notifications.parse_unread(query.unread)
    rows, total = notifications.list_notifications(g.workspace, user, page, unread)
    response = listing([notifications.serialize(r) for r in rows], page, total)
    response.headers["X-Unread-Count"] = str(notifications.unread_count(g.workspace, user))
    return response


@bp.get("/notifications/unread-count")
@require()
@endpoint("Count my unread notifications", response=s.UnreadCountOut, tag=TAG)
def unread_count() -> Response:
    return ok({"unread": notifications.unread_count(g.workspace, _user())})


@bp.post("/notifications/<notification_id>/read")
@require()
@endpoint("Mark a notification read", response=s.NotificationOut, tag=TAG)
def mark_read(notification_id: str) -> Response:
    """Idempotent. Someone else's notification answers 404."""
    row = notifications.mark_read(g.workspace, _user(), notification_id)
    return ok(notifications.serialize(row))


@bp.post("/notifications/read-all")
@require()
@endpoint("Mark all my notifications read", response=s.ReadAllOut, tag=TAG)
def mark_all_read() -> Response:
    user = _user()
    marked = notifications.mark_all_read(g.workspace, user)
    return ok({"marked": marked, "unread": notifications.unread_count(g.workspace, user)})


@bp.get("/notifications/preferences")
@require()
@endpoint("My notification preferences", response=s.PreferencesOut, tag=TAG)
def get_preferences() -> Response:
    """Per kind: in-app and e-mail on or off. E-mail is on by default for webhook_disabled,
    export_ready and import_finished, off for the others; in-app is on for all."""
    return ok({"preferences": notifications.preferences(_user())})


@bp.put("/notifications/preferences")
@require()
@endpoint("Change my notification preferences", body=s.PreferencesIn,
          response=s.PreferencesOut, tag=TAG)
def put_preferences(body: s.PreferencesIn) -> Response:
    """Only the kinds sent change; a flag left out keeps its value. Unknown kinds: 400, and
    nothing is stored."""
    items = [item.model_dump(exclude_none=True) for item in body.preferences]
    return ok({"preferences": notifications.set_preferences(_user(), items)})

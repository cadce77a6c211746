"""Dashboard notifications: the header bell (unread count and the latest few, via a context
processor), the notifications page (all or unread, mark read, mark all read) and the
preferences form. Binds its forms and calls services/notifications.py like the API does."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField

from linkhub import pagination
from linkhub.auth import role_at_least
from linkhub.dashboard.forms import ActionForm, message_of
from linkhub.dashboard.guard import workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.services import notifications

bp = Blueprint("notifications", __name__)
T = "dashboard/notifications/"
PAGE_SIZE = 25
MENU_SIZE = 5


class PreferencesForm(FlaskForm):
    """Two checkboxes per known kind: `<kind>-in_app` and `<kind>-email`."""


for _kind, _info in notifications.KINDS.items():
    setattr(PreferencesForm, f"{_kind}__in_app", BooleanField(f"{_info['label']}: in the app"))
    setattr(PreferencesForm, f"{_kind}__email", BooleanField(f"{_info['label']}: by e-mail"))


def safe_next(default: str) -> str:
    """Where to go back to after a POST: a dashboard path of this site, else `default`."""
    target = request.form.get("next") or request.args.get("next") or ""
    if target.startswith("/app") and not target.startswith("//") and "\\" not in target:
        return target
    return default


@bp.app_context_processor
def _bell() -> dict[str, Any]:
    """`notification_menu()` for the layout's bell: queried only when a page calls it, and at
    most once per request."""

    def menu() -> dict[str, Any] | None:
        if g.get("auth_via") != "session" or g.get("workspace") is None:
            return None
        if "notification_menu" not in g:
            rows, _ = notifications.list_notifications(g.workspace, g.user,
                                                       pagination.Page(1, MENU_SIZE))
            g.notification_menu = {
                "unread": notifications.unread_count(g.workspace, g.user),
                "recent": [notifications.serialize(r) for r in rows],
            }
        return g.notification_menu

    return {"notification_menu": menu}


def _preferences_form(formdata: Any = None) -> PreferencesForm:
    form = PreferencesForm(formdata=formdata, prefix="pref")
    if formdata is None:
        for item in notifications.preferences(g.user):
            if item["kind"] in notifications.KINDS:
                getattr(form, f"{item['kind']}__in_app").data = item["inApp"]
                getattr(form, f"{item['kind']}__email").data = item["email"]
    return form


@bp.get("/notifications")
@workspace_required
def index():
    error = None
    try:
        unread = notifications.parse_unread(request.args.get("unread"))
        page = pagination.parse({"page": request.args.get("page", "")}, default_limit=PAGE_SIZE)
    except Invalid as exc:
        error, unread, page = message_of(exc), False, pagination.Page(1, PAGE_SIZE)
    rows, total = notifications.list_notifications(g.workspace, g.user, page, unread)
    return render_template(
        T + "index.html", rows=[notifications.serialize(r) for r in rows], total=total,
        page=page, pages=-(-total // PAGE_SIZE), unread=unread, error=error,
        unread_total=notifications.unread_count(g.workspace, g.user),
        form=_preferences_form(), kinds=notifications.KINDS, action=ActionForm(),
        is_admin=role_at_least(g.role, "admin")), 400 if error else 200


@bp.post("/notifications/<notification_id>/read")
@workspace_required
def mark_read(notification_id: str):
    if not ActionForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for(".index"), 303)
    notifications.mark_read(g.workspace, g.user, notification_id)  # 404 when not theirs
    return redirect(safe_next(url_for(".index")), 303)


@bp.post("/notifications/read-all")
@workspace_required
def mark_all_read():
    if not ActionForm().validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for(".index"), 303)
    count = notifications.mark_all_read(g.workspace, g.user)
    flash(f"{count} notification{'s' if count != 1 else ''} marked read.", "success")
    return redirect(safe_next(url_for(".index")), 303)


@bp.post("/notifications/preferences")
@workspace_required
def save_preferences():
    form = _preferences_form(request.form)
    if not form.validate_on_submit():
        flash("The form expired; try again.", "error")
        return redirect(url_for(".index"), 303)
    items = [{"kind": kind, "inApp": bool(getattr(form, f"{kind}__in_app").data),
              "email": bool(getattr(form, f"{kind}__email").data)}
             for kind in notifications.KINDS]
    try:
        notifications.set_preferences(g.user, items)
    except ApiError as exc:
        flash(message_of(exc), "error")
    else:
        flash("Notification preferences saved.", "success")
    return redirect(url_for(".index") + "#preferences", 303)

"""Dashboard feedback: the page behind the header's feedback button (its form works without
JavaScript; with it, the layout's dialog posts to /api/feedback instead) and, for admins, the
workspace's feedback list. Binds its form and calls services/feedback.py."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField

from linkhub import pagination
from linkhub.auth import role_at_least
from linkhub.dashboard.forms import copy_errors, options
from linkhub.dashboard.guard import workspace_required
from linkhub.dashboard.notifications import safe_next
from linkhub.errors import ApiError, Invalid
from linkhub.services import feedback

bp = Blueprint("feedback", __name__)
T = "dashboard/feedback/"
PAGE_SIZE = 25
KIND_LABELS = {"bug": "Something is broken", "idea": "An idea", "praise": "Praise",
               "other": "Something else"}


@bp.app_context_processor
def _kinds() -> dict:
    """The kinds the layout's feedback dialog offers (same labels as this page)."""
    return {"feedback_kinds": KIND_LABELS}


class FeedbackForm(FlaskForm):
    kind = SelectField("What is it about?", choices=options(KIND_LABELS.items()),
                       validate_choice=False)
    message = TextAreaField("Message")
    rating = SelectField("How do you like linkhub?", validate_choice=False,
                         choices=options([("", "No rating"), *((str(n), "★" * n)
                                                               for n in range(5, 0, -1))]))
    page = HiddenField()


def _render(form: FeedbackForm, status: int = 200, error: str | None = None):
    rows, total, page = [], 0, pagination.Page(1, PAGE_SIZE)
    is_admin = role_at_least(g.role, "admin")
    if is_admin:
        try:
            page = pagination.parse({"page": request.args.get("page", "")},
                                    default_limit=PAGE_SIZE)
        except Invalid:
            page = pagination.Page(1, PAGE_SIZE)
        found, total = feedback.list_feedback(g.workspace, page)
        rows = [feedback.serialize(r) for r in found]
    return render_template(T + "index.html", form=form, rows=rows, total=total, page=page,
                           pages=-(-total // PAGE_SIZE), is_admin=is_admin, error=error,
                           labels=KIND_LABELS, max_length=feedback.MESSAGE_MAX), status


@bp.get("/feedback")
@workspace_required
def index():
    form = FeedbackForm(formdata=None)
    form.page.data = request.args.get("page_path") or ""
    return _render(form)


@bp.post("/feedback")
@workspace_required
def create():
    form = FeedbackForm()
    if not form.validate_on_submit():
        return _render(form, 400, "The form expired; try again.")
    data = {"kind": form.kind.data, "message": form.message.data or "",
            "page": form.page.data or None,
            "rating": int(form.rating.data) if (form.rating.data or "").isdigit() else None}
    try:
        feedback.create_feedback(g.workspace, g.user, data)
    except ApiError as exc:
        return _render(form, exc.status, copy_errors(form, exc))
    flash("Thank you: your feedback reached the workspace's admins.", "success")
    return redirect(safe_next(url_for(".index")), 303)

"""Dashboard page for conversions: the filtered, paged list (link, campaign, status, kind,
event, date range) with a per-row status change for editors. Binds its small forms and calls
services/conversions.py and conversion_queries.py like /api/conversions does."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField

from linkhub import pagination
from linkhub.dashboard.forms import can_edit, options
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.models import Link
from linkhub.services import campaigns, conversion_queries, conversions

bp = Blueprint("conversions", __name__)
T = "dashboard/conversions/"
PAGE_SIZE = 25
FILTERS = ("linkId", "campaignId", "status", "kind", "event", "start", "end")
STATUS_BADGES = {"approved": "badge-green", "pending": "badge-amber", "refunded": "",
                 "rejected": "badge-red", "fraud": "badge-red"}


class StatusForm(FlaskForm):
    """One row's status change; the service decides which statuses exist."""

    status = SelectField("Status", choices=options((s, s.title()) for s in conversions.STATUSES),
                         validate_choice=False)


def _filters() -> dict[str, str]:
    return {name: (request.args.get(name) or "").strip() for name in FILTERS}


def _link_labels(rows: list[dict[str, Any]]) -> dict[str, str]:
    wanted = {row["linkId"] for row in rows if row["linkId"]}
    if not wanted:
        return {}
    query = (Link.select(Link.public_id, Link.title, Link.short_code)
             .where(Link.public_id.in_(list(wanted))).tuples())
    return {public_id: title or f"/{code}" for public_id, title, code in query}


def _render(error: str | None = None, status: int = 200,
            form_errors: dict[str, str] | None = None):
    filters = _filters()
    args = {k: v for k, v in filters.items() if v}
    try:
        page = pagination.parse({"page": request.args.get("page", "")}, default_limit=PAGE_SIZE)
        found, total = conversion_queries.list_conversions(g.workspace, args, page)
    except Invalid as exc:
        error = " ".join(f"{k}: {v}." for k, v in exc.fields.items())
        status, page, found, total = exc.status, pagination.Page(1, PAGE_SIZE), [], 0
    rows = conversions.serialize_many(found)
    camps, _ = campaigns.list_campaigns(g.workspace, sort="name", order="asc", offset=0,
                                        limit=1000)
    return render_template(
        T + "index.html", rows=rows, total=total, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), filters=filters, filtered=bool(args),
        pager_args=args, links=_link_labels(rows), campaign_names={
            c.public_id: c.name for c in camps}, campaigns=camps,
        statuses=conversions.STATUSES, kinds=conversions.KINDS,
        events=conversion_queries.distinct_events(g.workspace), badges=STATUS_BADGES,
        can_edit=can_edit(), error=error,
        form_errors=form_errors or {}), status


@bp.get("/conversions")
@workspace_required
def index():
    return _render()


@bp.post("/conversions/<conversion_id>/status")
@workspace_required
def change_status(conversion_id: str):
    """Change one conversion's status, then back to the same filtered list."""
    require_role("editor")
    conversion = conversions.get_conversion(g.workspace, conversion_id)
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        conversions.set_status(g.workspace, g.user, conversion, form.status.data)
    except ApiError as exc:
        message = exc.fields.get("status", exc.message) if isinstance(exc, Invalid) \
            else exc.message
        return _render(f"Status: {message}.", exc.status, {conversion_id: message})
    flash(f"Conversion {conversion.public_id} is now {conversion.status}.", "success")
    return redirect(url_for(".index", **{k: v for k, v in _filters().items() if v},
                            page=request.args.get("page") or None))

"""Dashboard exports page: the create form (type, format, columns, date range) and the list with
status, progress and download links (refreshed by static/exports.js while an export runs).
Binds the form and calls services/exports.py like /api/exports does."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, send_file, url_for
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import Length

from linkhub import clock, pagination
from linkhub.dashboard.forms import copy_errors, options
from linkhub.dashboard.guard import workspace_required
from linkhub.errors import ApiError
from linkhub.services import exports

bp = Blueprint("exports", __name__)
T = "dashboard/exports/"
PAGE_SIZE = 25
LABELS = {"links": "Links", "clicks": "Clicks", "conversions": "Conversions",
          "customers": "Customers", "events": "Events (leads and sales)"}
FORMATS = {"csv": "CSV", "json": "JSON", "xlsx": "Excel (xlsx)"}
# Service field names -> form field names (columns are per-type checkbox groups).
NAMES = {"filters.start": "start", "filters.end": "end"}


class ExportForm(FlaskForm):
    type = SelectField("Data to export", choices=options(LABELS.items()), default="links")
    format = SelectField("Format", choices=options(FORMATS.items()), default="csv")
    start = StringField("From (UTC date)", [Length(max=40)])
    end = StringField("Until (UTC date, included)", [Length(max=40)])


def _data(form: ExportForm) -> dict:
    """The API's request body from the form: columns from the chosen type's checkboxes (none
    ticked: every column), the date range as filters."""
    filters = {name: value for name in ("start", "end")
               if (value := (getattr(form, name).data or "").strip())}
    columns = request.form.getlist(f"columns_{form.type.data}") or None
    return {"type": form.type.data, "format": form.format.data, "filters": filters,
            "columns": columns}


def _render(form: ExportForm, error: str | None = None, status: int = 200,
            chosen: list[str] | None = None):
    try:
        page = pagination.parse({"page": request.args.get("page", "")},
                                default_limit=PAGE_SIZE)
    except ApiError:
        page = pagination.Page(1, PAGE_SIZE)
    rows, total = exports.list_exports(g.workspace, offset=page.offset, limit=page.limit)
    return render_template(
        T + "index.html", form=form, error=error, rows=rows, total=total, page=page,
        pages=max(1, -(-total // PAGE_SIZE)), labels=LABELS,
        columns={kind: exports.columns_of(kind) for kind in LABELS}, chosen=chosen or [],
        running=any(r.status in exports.RUNNING for r in rows), now=clock.now(),
        is_expired=exports.is_expired, retention_days=exports.RETENTION.days), status


@bp.route("/exports", methods=["GET", "POST"])
@workspace_required
def index():
    form = ExportForm()
    if not form.is_submitted():
        return _render(form)
    if not form.validate():
        return _render(form, status=400)
    data = _data(form)
    try:
        export = exports.create_export(g.workspace, g.user, data)
    except ApiError as exc:
        return _render(form, copy_errors(form, exc, NAMES), exc.status, data["columns"])
    flash(f"Export queued: {LABELS[export.type].lower()} as {FORMATS[export.format]}. "
          "It appears below when it is ready.", "success")
    return redirect(url_for(".index"))


@bp.get("/exports/<export_id>/download")
@workspace_required
def download(export_id: str):
    """The same file as GET /api/exports/{id}/download, for the workspace in the session."""
    found = exports.download(exports.get_export(g.workspace, export_id))
    response = send_file(found.path, as_attachment=True, download_name=found.name, max_age=0)
    response.headers["Content-Type"] = found.content_type
    return response

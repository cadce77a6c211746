"""Dashboard pages for bulk operations: paste or upload rows (or choose links), validate or run
them as an operation, follow it on a progress bar (static/bulk.js polls the status route), read
the per-row errors, cancel. Each view binds a form and calls services/bulk.py."""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from linkhub import pagination
from linkhub.dashboard.forms import (
    CHOICE_ROWS,
    ActionForm,
    can_edit,
    copy_errors,
    message_of,
    options,
)
from linkhub.dashboard.forms import bulk as forms
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError
from linkhub.services import bulk, bulk_rows, campaigns, link_queries
from linkhub.services.links import short_url

bp = Blueprint("bulk", __name__)
T = "dashboard/bulk/"
PAGE_SIZE = 20
PICK_SIZE = 50


def _chosen_form() -> forms.ChosenLinksForm:
    form = forms.ChosenLinksForm(prefix="pick")
    rows = campaigns.list_campaigns(g.workspace, sort="name", order="asc",
                                    limit=CHOICE_ROWS.limit)[0]
    form.campaign_id.choices = options([("", "No campaign")] + [(c.public_id, c.name)
                                                                for c in rows])
    return form


def _render_index(rows_form: forms.RowsForm, pick_form: forms.ChosenLinksForm,
                  error: str | None = None, status: int = 200):
    page = pagination.parse({"page": request.args.get("page", "")}, default_limit=PAGE_SIZE)
    ops, total = bulk.list_operations(g.workspace, page)
    q = (request.args.get("q") or "").strip()
    args = {"sortBy": "createdAt", "sortOrder": "desc", **({"search": q} if q else {})}
    candidates, found = link_queries.list_links(g.workspace, args,
                                                pagination.Page(1, PICK_SIZE))
    return render_template(
        T + "index.html", rows_form=rows_form, pick_form=pick_form, ops=ops, total=total,
        page=page, pages=max(1, -(-total // PAGE_SIZE)), q=q, candidates=candidates,
        found=found, short_url=short_url, progress=bulk.progress, error=error,
        can_edit=can_edit()), status


@bp.get("/bulk")
@workspace_required
def index():
    return _render_index(forms.RowsForm(), _chosen_form())


def _start(action: str, items: list, dry_run: bool):
    op = bulk.start(g.workspace, g.user, action, items, dry_run=dry_run)
    flash(f"{'Validation' if dry_run else 'Operation'} of {op.total:,} row"
          f"{'s' if op.total != 1 else ''} queued.", "success")
    return redirect(url_for(".detail", operation_id=op.public_id))


@bp.post("/bulk")
@workspace_required
def start_rows():
    require_role("editor")
    form, pick = forms.RowsForm(), _chosen_form()
    if not form.validate_on_submit():
        return _render_index(form, pick, status=400)
    text = form.rows.data or ""
    upload = form.upload.data
    if upload is not None and getattr(upload, "filename", ""):
        text = upload.read().decode("utf-8-sig", errors="replace")
    try:
        items = bulk_rows.parse_rows(text, form.action.data)
        return _start(form.action.data, items, dry_run=bool(form.check.data))
    except ApiError as exc:
        names = {"links": "rows", "linkIds": "rows"}
        return _render_index(form, pick, error=copy_errors(form, exc, names), status=exc.status)


start_rows.linkhub_body_limit = "BULK_MAX_BYTES"  # uploads: read by app.py before the view


@bp.post("/bulk/links")
@workspace_required
def start_links():
    require_role("editor")
    form, pick = forms.RowsForm(), _chosen_form()
    if not pick.validate_on_submit():
        return _render_index(form, pick, status=400)
    action, items = pick.items()
    try:
        return _start(action, items, dry_run=bool(pick.check.data))
    except ApiError as exc:
        names = {"links": "link_ids", "linkIds": "link_ids"}
        return _render_index(form, pick, error=copy_errors(pick, exc, names), status=exc.status)


@bp.get("/bulk/<operation_id>")
@workspace_required
def detail(operation_id: str):
    op = bulk.find(g.workspace, operation_id)
    page = pagination.parse({"page": request.args.get("page", "")}, default_limit=PAGE_SIZE)
    failures, failed_total = bulk.results(op, page, "failed")
    return render_template(
        T + "detail.html", op=op, failures=failures, failed_total=failed_total, page=page,
        pages=max(1, -(-failed_total // PAGE_SIZE)), progress=bulk.progress(op),
        active=op.status in bulk.ACTIVE, action_form=ActionForm(), can_edit=can_edit())


@bp.post("/bulk/<operation_id>/cancel")
@workspace_required
def cancel(operation_id: str):
    require_role("editor")
    op = bulk.find(g.workspace, operation_id)
    if ActionForm().validate_on_submit():
        try:
            bulk.cancel(g.workspace, g.user, op)
            flash("Operation cancelled; rows already done stay done.", "success")
        except ApiError as exc:
            flash(message_of(exc), "error")
    return redirect(url_for(".detail", operation_id=op.public_id))


@bp.post("/bulk/<operation_id>/run")
@workspace_required
def run_validated(operation_id: str):
    require_role("editor")
    op = bulk.find(g.workspace, operation_id)
    if not ActionForm().validate_on_submit():
        return redirect(url_for(".detail", operation_id=op.public_id))
    try:
        new = bulk.run_validated(g.workspace, g.user, op)
    except ApiError as exc:
        flash(message_of(exc), "error")
        return redirect(url_for(".detail", operation_id=op.public_id))
    flash(f"Operation of {new.total:,} rows queued.", "success")
    return redirect(url_for(".detail", operation_id=new.public_id))

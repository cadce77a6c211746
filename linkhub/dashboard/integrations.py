"""Dashboard integrations: what can be connected (outbound destinations and the inbound
providers), the installed outbound destinations with configure, test, delete and their
delivery log. Binds the destination form and calls services/outbound.py like the API does."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from linkhub import pagination
from linkhub.auth import role_at_least
from linkhub.dashboard.forms import ActionForm, changed, copy_errors, message_of
from linkhub.dashboard.forms import outbound as destination_form
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.models import Webhook
from linkhub.services import integrations as installations
from linkhub.services import outbound, webhooks

bp = Blueprint("integrations", __name__)
T = "dashboard/integrations/"
PAGE_SIZE = 25
INSTALLATION_ROWS = pagination.Page(page=1, limit=100)
MANAGER = "admin"  # decisions §2: admins and owners manage integrations

OUTBOUND = (
    ("webhook", "Send signed JSON (Standard Webhooks) to any HTTPS endpoint."),
    ("slack", "Post a message to a Slack channel through an incoming webhook."),
    ("zapier", "Start Zaps from linkhub events (Zapier subscribes with your API key)."),
    ("segment", "Send a Segment track call for each event (write key + endpoint)."),
)
INBOUND = (
    ("stripe", "Stripe", "Checkout and invoice payments become sales; refunds follow."),
    ("shopify", "Shopify", "Paid orders carrying lw_cid become sales."),
    ("hubspot", "HubSpot", "Contact and deal lifecycle become leads and sales."),
    ("slack", "Slack", "A /linkhub slash command shortens URLs and reports clicks."),
)
# The inbound installations' pages (dashboard/integrations_inbound.py), linked when present.
INBOUND_INDEX = "dashboard.integrations_inbound.index"
INBOUND_INSTALL = "dashboard.integrations_inbound.install"
INBOUND_DETAIL = "dashboard.integrations_inbound.detail"

@bp.context_processor
def _context() -> dict:
    return {"can_manage": role_at_least(g.get("role"), MANAGER), "state_of": webhooks.state_of,
            "labels": outbound.KIND_LABELS, "action": ActionForm(),
            "mask_write_key": outbound.mask_write_key}


def _inbound_links() -> dict[str, bool]:
    """Which of the inbound pages this install has (the templates link to those)."""
    return {name: endpoint in current_app.view_functions for name, endpoint in (
        ("index", INBOUND_INDEX), ("install", INBOUND_INSTALL), ("detail", INBOUND_DETAIL))}


@bp.get("/integrations")
@workspace_required
def index():
    rows, total = outbound.list_destinations(g.workspace, limit=outbound.MAX_PER_WORKSPACE)
    inbound_rows, _ = installations.list_integrations(g.workspace, INSTALLATION_ROWS)
    return render_template(T + "index.html", rows=rows, total=total, outbound_kinds=OUTBOUND,
                           installations=inbound_rows,
                           inbound=INBOUND, inbound_pages=_inbound_links(),
                           webhooks_page="dashboard.webhooks.index" in current_app.view_functions)


def _render_form(form, kind: str, row: Webhook | None = None, status: int = 200,
                 error: str | None = None, **extra):
    return render_template(T + "form.html", form=form, kind=kind, row=row, error=error,
                           events=destination_form.descriptions(), **extra), status


@bp.route("/integrations/outbound/new", methods=["GET", "POST"])
@workspace_required
def create():
    require_role(MANAGER)
    kind = request.args.get("kind", "webhook")
    if kind not in outbound.KINDS:
        abort(404)
    form = destination_form.fill_choices(destination_form.DestinationForm())
    if not form.is_submitted():
        return _render_form(form, kind)
    if not form.validate():
        return _render_form(form, kind, status=400)
    data = {"kind": kind, **destination_form.to_api(form, kind)}
    try:
        row = outbound.create_destination(g.workspace, g.user, data)
    except ApiError as exc:
        return _render_form(form, kind, status=exc.status, error=copy_errors(
            form, exc, destination_form.error_names(data)))
    flash(f"{outbound.KIND_LABELS[kind]} destination added. Send a test to check it.",
          "success")
    if kind == "webhook":  # its signing secret is shown this once
        return _render_detail(row, 201, secret=row.secret)
    return redirect(url_for(".detail", destination_id=row.public_id))


def _render_detail(row: Webhook, status: int = 200, *, form=None, error: str | None = None,
                   secret: str | None = None):
    if form is None:
        form = destination_form.DestinationForm(formdata=None,
                                                data=destination_form.initial(row))
        destination_form.fill_choices(form)
    state = request.args.get("status", "")
    try:
        page = pagination.parse({"page": request.args.get("page", "")},
                                default_limit=PAGE_SIZE)
        rows, total = outbound.deliveries(row, status=state or None, offset=page.offset,
                                          limit=page.limit)
    except Invalid as exc:
        error, status = message_of(exc), exc.status
        page, rows, total = pagination.Page(1, PAGE_SIZE), [], 0
    attempts = {d.id: outbound.last_attempt(d) for d in rows}
    return _render_form(
        form, row.kind, row, status, error, deliveries=rows, attempts=attempts, total=total,
        page=page, pages=max(1, -(-total // PAGE_SIZE)), status_filter=state,
        statuses=webhooks.DELIVERY_STATUSES, secret=secret,
        pager_args={"destination_id": row.public_id, **({"status": state} if state else {})})


@bp.route("/integrations/outbound/<destination_id>", methods=["GET", "POST"])
@workspace_required
def detail(destination_id: str):
    """Settings (editable by admins) and the delivery log, newest first."""
    row = outbound.get_destination(g.workspace, destination_id)
    if request.method == "GET":
        return _render_detail(row)
    require_role(MANAGER)
    form = destination_form.fill_choices(destination_form.DestinationForm())
    if not form.validate():
        return _render_detail(row, 400, form=form)
    data = destination_form.to_api(form, row.kind, editing=True)
    stored = destination_form.to_api(destination_form.DestinationForm(
        formdata=None, data=destination_form.initial(row)), row.kind, editing=True)
    try:
        outbound.update_destination(g.workspace, g.user, row, changed(data, stored))
    except ApiError as exc:
        return _render_detail(row, exc.status, form=form, error=copy_errors(
            form, exc, destination_form.error_names(data)))
    flash("Destination saved.", "success")
    return redirect(url_for(".detail", destination_id=row.public_id))


@bp.post("/integrations/outbound/<destination_id>/test")
@workspace_required
def test(destination_id: str):
    """Send a sample event now; the flash shows the status code, time and response body."""
    require_role(MANAGER)
    if not ActionForm().validate_on_submit():
        abort(400)
    row = outbound.get_destination(g.workspace, destination_id)
    try:
        result = outbound.test_result(*outbound.send_test(g.workspace, g.user, row))
    except ApiError as exc:
        flash(message_of(exc), "error")
        return redirect(url_for(".detail", destination_id=row.public_id))
    code = f"HTTP {result['statusCode']}" if result["statusCode"] else "no answer"
    timing = f" in {result['responseTimeMs']} ms" if result["responseTimeMs"] is not None else ""
    body = (result["responseBody"] or "").strip()
    detail_text = f" Response: {body[:200]}" if body else ""
    if result["error"] and not result["success"]:
        detail_text += f" ({result['error']})"
    flash(f"Test {result['event']} sent: {code}{timing}.{detail_text}",
          "success" if result["success"] else "error")
    return redirect(url_for(".detail", destination_id=row.public_id))


@bp.route("/integrations/outbound/<destination_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(destination_id: str):
    """GET asks; POST deletes."""
    require_role(MANAGER)
    row = outbound.get_destination(g.workspace, destination_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        outbound.delete_destination(g.workspace, g.user, row)
        flash(f"{outbound.KIND_LABELS[row.kind]} destination deleted.", "success")
        return redirect(url_for(".index"))
    return render_template(
        "dashboard/links/confirm.html", form=form, error=None, force_button=None,
        title="Delete this destination?", heading=row.name or row.url,
        button="Delete destination", cancel=url_for(".detail", destination_id=row.public_id),
        lead="It stops receiving events at once; its delivery log is deleted with it.")

"""Dashboard pages for webhooks (workspace and per-link): the list, create with an event picker,
the signing secret revealed once (after create and rotate), the webhook's page (settings and the
delivery log), one delivery's request and response, test, redeliver, enable and delete. Binds
the webhook form and calls services/webhooks.py like the API does."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from linkhub import pagination
from linkhub.auth import role_at_least
from linkhub.dashboard.forms import ActionForm, changed, copy_errors, message_of
from linkhub.dashboard.forms import webhooks as webhook_form
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.models import Webhook
from linkhub.services import links, webhook_fields, webhooks

bp = Blueprint("webhooks", __name__)
T = "dashboard/webhooks/"
PAGE_SIZE = 25
MANAGER = "admin"


@bp.context_processor
def _context() -> dict:
    return {"can_manage": role_at_least(g.get("role"), MANAGER), "state_of": webhooks.state_of,
            "mask": webhooks.mask, "action": ActionForm()}


def _find(webhook_id: str) -> Webhook:
    return webhooks.get_webhook(g.workspace, webhook_id, scope=None)


@bp.get("/webhooks")
@workspace_required
def index():
    try:
        page = pagination.parse({"page": request.args.get("page", "")},
                                default_limit=PAGE_SIZE)
    except Invalid:
        abort(400)
    rows, total = webhooks.list_webhooks(g.workspace, scope=None, offset=page.offset,
                                         limit=page.limit)
    return render_template(T + "index.html", rows=rows, total=total, page=page,
                           pages=max(1, -(-total // PAGE_SIZE)), limit=webhooks.MAX_WEBHOOKS)


def _render_form(form, status: int = 200, error: str | None = None):
    return render_template(T + "new.html", form=form, error=error,
                           events=webhook_form.descriptions(),
                           aliases=webhook_fields.aliases()), status


@bp.route("/webhooks/new", methods=["GET", "POST"])
@workspace_required
def create():
    require_role(MANAGER)
    form = webhook_form.fill_choices(webhook_form.WebhookForm(), g.workspace)
    if not form.is_submitted():
        return _render_form(form)
    if not form.validate():
        return _render_form(form, 400)
    data = webhook_form.to_api(form)
    try:
        link_id = webhook_form.link_of(form)
        link = links.find_link(g.workspace, link_id) if link_id else None
        webhook = webhooks.create_webhook(g.workspace, g.user, data, link=link)
    except ApiError as exc:
        if exc.code == "NOT_FOUND":
            form.link_id.errors = ["That link no longer exists."]
            return _render_form(form, 400)
        return _render_form(form, exc.status,
                            copy_errors(form, exc, webhook_form.error_names(data)))
    flash("Webhook created. Copy its signing secret now: it is shown only once.", "success")
    return _render_detail(webhook, 201, secret=webhook.secret)


def _render_detail(webhook: Webhook, status: int = 200, *, form=None, error=None, secret=None):
    if form is None:
        form = webhook_form.WebhookForm(formdata=None, data=webhook_form.initial(webhook))
        webhook_form.fill_choices(form, g.workspace, webhook)
    state = request.args.get("status", "")
    try:
        page = pagination.parse({"page": request.args.get("page", "")},
                                default_limit=PAGE_SIZE)
        rows, total = webhooks.list_deliveries(webhook, status=state or None,
                                               offset=page.offset, limit=page.limit)
    except Invalid as exc:
        error, status = message_of(exc), exc.status
        page, rows, total = pagination.Page(1, PAGE_SIZE), [], 0
    return render_template(
        T + "detail.html", webhook=webhook, form=form, error=error, secret=secret,
        deliveries=rows, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
        status_filter=state, statuses=webhooks.DELIVERY_STATUSES,
        events=webhook_form.descriptions(), per_link=webhook_fields.selectable_events("link"),
        pager_args={"webhook_id": webhook.public_id, **({"status": state} if state else {})},
    ), status


@bp.route("/webhooks/<webhook_id>", methods=["GET", "POST"])
@workspace_required
def detail(webhook_id: str):
    """Settings (editable by admins) and the delivery log, newest first."""
    webhook = _find(webhook_id)
    if request.method == "GET":
        return _render_detail(webhook)
    require_role(MANAGER)
    form = webhook_form.fill_choices(webhook_form.WebhookForm(), g.workspace, webhook)
    if not form.validate():
        return _render_detail(webhook, 400, form=form)
    data = webhook_form.to_api(form)
    stored = webhook_form.to_api(webhook_form.WebhookForm(
        formdata=None, data=webhook_form.initial(webhook)))
    try:
        webhooks.update_webhook(g.workspace, g.user, webhook, changed(data, stored))
    except ApiError as exc:
        return _render_detail(webhook, exc.status, form=form, error=copy_errors(
            form, exc, webhook_form.error_names(data)))
    flash("Webhook saved.", "success")
    return redirect(url_for(".detail", webhook_id=webhook.public_id))


def _action(webhook_id: str) -> Webhook:
    require_role(MANAGER)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _find(webhook_id)


@bp.post("/webhooks/<webhook_id>/test")
@workspace_required
def test(webhook_id: str):
    webhook = _action(webhook_id)
    try:
        delivery = webhooks.send_test(g.workspace, g.user, webhook)
    except ApiError as exc:
        flash(message_of(exc), "error")
        return redirect(url_for(".detail", webhook_id=webhook.public_id))
    outcome = "delivered" if delivery.status == "succeeded" else "not delivered"
    flash(f"Test event sent: {outcome}"
          + (f" (HTTP {delivery.last_status})." if delivery.last_status else "."),
          "success" if delivery.status == "succeeded" else "error")
    return redirect(url_for(".delivery", webhook_id=webhook.public_id,
                            delivery_id=delivery.public_id))


@bp.post("/webhooks/<webhook_id>/rotate")
@workspace_required
def rotate(webhook_id: str):
    webhook = webhooks.rotate_secret(g.workspace, g.user, _action(webhook_id))
    flash("New signing secret made. Copy it now: it is shown only once; the old one no "
          "longer signs deliveries.", "success")
    return _render_detail(webhook, secret=webhook.secret)


@bp.post("/webhooks/<webhook_id>/enable")
@workspace_required
def enable(webhook_id: str):
    webhook = webhooks.enable_webhook(g.workspace, g.user, _action(webhook_id))
    flash("Webhook enabled: new events will be delivered.", "success")
    return redirect(url_for(".detail", webhook_id=webhook.public_id))


@bp.route("/webhooks/<webhook_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(webhook_id: str):
    """GET asks; POST deletes."""
    require_role(MANAGER)
    webhook = _find(webhook_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        webhooks.delete_webhook(g.workspace, g.user, webhook)
        flash("Webhook deleted.", "success")
        return redirect(url_for(".index"))
    return render_template(
        "dashboard/links/confirm.html", form=form, error=None, force_button=None,
        title="Delete this webhook?", heading=webhook.url, button="Delete webhook",
        cancel=url_for(".detail", webhook_id=webhook.public_id),
        lead="It stops receiving events at once; its delivery log is deleted with it.")


@bp.get("/webhooks/<webhook_id>/deliveries/<delivery_id>")
@workspace_required
def delivery(webhook_id: str, delivery_id: str):
    """One delivery: the event, and each attempt's request and response."""
    webhook = _find(webhook_id)
    row = webhooks.get_delivery(webhook, delivery_id)
    return render_template(T + "delivery.html", webhook=webhook, delivery=row,
                           event=row.event, attempts=webhooks.attempts_of(row))


@bp.post("/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver")
@workspace_required
def redeliver(webhook_id: str, delivery_id: str):
    webhook = _action(webhook_id)
    old = webhooks.get_delivery(webhook, delivery_id)
    try:
        fresh = webhooks.redeliver(g.workspace, g.user, webhook, old)
    except ApiError as exc:
        flash(message_of(exc), "error")
        return redirect(url_for(".delivery", webhook_id=webhook.public_id,
                                delivery_id=old.public_id))
    flash("Event sent again " + ("and delivered." if fresh.status == "succeeded" else
                                 "but not delivered yet: it will be retried."),
          "success" if fresh.status == "succeeded" else "error")
    return redirect(url_for(".delivery", webhook_id=webhook.public_id,
                            delivery_id=fresh.public_id))

"""Dashboard pages for provider integrations: installed and available providers, install
(secrets entered once, then only masked), configure, pause/resume/disconnect, delete, and the
recent inbound events. Binds the provider's form and calls services/integrations.py like
/api/integrations does; admins and the owner change things, members look."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from linkhub import pagination
from linkhub.auth import role_at_least
from linkhub.dashboard.forms import ActionForm, copy_errors
from linkhub.dashboard.forms import integrations_inbound as forms
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError
from linkhub.models import Integration
from linkhub.services import integrations
from linkhub.services.integration_settings import PROVIDERS

bp = Blueprint("integrations_inbound", __name__)
T = "dashboard/integrations_inbound/"
ALL_ROWS = pagination.Page(page=1, limit=100)
RECENT_EVENTS = pagination.Page(page=1, limit=25)
ABOUT = {
    "stripe": "Checkout sessions and paid invoices become sales; refunds mark them refunded.",
    "shopify": "Orders become sales on the click in the lw_cid cart attribute.",
    "hubspot": "Contacts become leads and closed-won deals become sales.",
    "slack": "The /linkhub command shortens URLs and reports clicks; signed notifications.",
    "zapier": "Zaps subscribe to linkhub events with an API key.",
}
STATUS_ACTIONS = {"paused": "Pause", "active": "Resume", "disconnected": "Disconnect"}


def _context() -> dict:
    return {"is_admin": role_at_least(g.role, "admin"), "providers": PROVIDERS,
            "about": ABOUT, "label": forms.label, "help_text": forms.help_text}


def _installation(integration_id: str) -> Integration:
    try:
        return integrations.get(g.workspace, integration_id)
    except ApiError as exc:
        abort(exc.status, exc.message)


@bp.get("/integrations/inbound")
@workspace_required
def index():
    rows, total = integrations.list_integrations(g.workspace, ALL_ROWS)
    return render_template(T + "index.html", rows=rows, total=total, **_context())


@bp.route("/integrations/inbound/new/<provider>", methods=["GET", "POST"])
@workspace_required
def install(provider: str):
    require_role("admin")
    if provider not in PROVIDERS:
        abort(404, "No such provider.")
    form_type = forms.form_class(provider)
    form = form_type() if request.method == "POST" else form_type(
        formdata=None, data=forms.initial({k: o.default for k, o in
                                           PROVIDERS[provider].config.items()}, ""))
    error, status = None, 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                installation = integrations.create(
                    g.workspace, g.user, {"provider": provider, **forms.to_api(form, provider)})
            except ApiError as exc:
                error, status = copy_errors(form, exc, forms.error_names(provider)), exc.status
            else:
                flash(f"{installation.name} installed. Paste the receiver URL into "
                      f"{PROVIDERS[provider].label}.", "success")
                return redirect(url_for(".detail", integration_id=installation.public_id))
    return render_template(T + "install.html", form=form, provider=provider,
                           spec=PROVIDERS[provider], error=error, **_context()), status


@bp.route("/integrations/inbound/<integration_id>", methods=["GET", "POST"])
@workspace_required
def detail(integration_id: str):
    """Receiver URLs, settings (admins edit; empty secret fields keep the stored ones), state
    actions and the recent inbound events."""
    installation = _installation(integration_id)
    stored = integrations.settings_of(installation)
    form_type = forms.form_class(installation.provider)
    error, status = None, 200
    if request.method == "POST":
        require_role("admin")
        form = form_type()
        status = 400
        if form.validate():
            data = forms.to_api(form, installation.provider, stored=stored)
            try:
                integrations.update(g.workspace, g.user, installation, data)
            except ApiError as exc:
                error = copy_errors(form, exc, forms.error_names(installation.provider))
                status = exc.status
            else:
                flash(f"{installation.name} saved.", "success")
                return redirect(url_for(".detail", integration_id=integration_id))
    else:
        form = form_type(formdata=None, data=forms.initial(stored, installation.name))
    events, event_total = integrations.recent_events(installation, RECENT_EVENTS)
    shown = integrations.serialize(installation)
    return render_template(T + "detail.html", installation=installation, shown=shown,
                           form=form, error=error, events=events, event_total=event_total,
                           action=ActionForm(), actions=STATUS_ACTIONS, **_context()), status


@bp.post("/integrations/inbound/<integration_id>/status")
@workspace_required
def change_status(integration_id: str):
    require_role("admin")
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired: reload the page and try again.")
    installation = _installation(integration_id)
    wanted = request.form.get("status", "")
    try:
        integrations.set_status(g.workspace, g.user, installation, wanted)
    except ApiError as exc:
        flash(exc.message, "error")
    else:
        flash(f"{installation.name} is now {installation.status}.", "success")
    return redirect(url_for(".detail", integration_id=integration_id))


@bp.route("/integrations/inbound/<integration_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(integration_id: str):
    """GET asks; POST deletes."""
    require_role("admin")
    installation = _installation(integration_id)
    form = ActionForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        integrations.delete(g.workspace, g.user, installation)
        flash(f"{installation.name} removed.", "success")
        return redirect(url_for(".index"))
    return render_template(
        "dashboard/links/confirm.html", form=form, error=None, force_button=None,
        title="Remove this integration?", heading=installation.name, button="Remove",
        cancel=url_for(".detail", integration_id=integration_id),
        lead="Its secrets and inbound event log are deleted; its receiver URLs answer 404 "
        "from now on. Conversions and customers it recorded stay.")

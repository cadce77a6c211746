"""Dashboard pages for campaigns: the list with status badges and link counts, create, edit
and delete (a campaign with links answers CAMPAIGN_IN_USE; "delete anyway" sends force).
Binds the campaign form and calls services/campaigns.py like /api/campaigns does."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from linkhub import pagination
from linkhub.dashboard.forms import ActionForm, changed, copy_errors, editor_context
from linkhub.dashboard.forms import campaigns as campaign_form
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.models import Campaign
from linkhub.services import campaigns, rules

bp = Blueprint("campaigns", __name__)
bp.context_processor(editor_context)
T = "dashboard/campaigns/"
PAGE_SIZE = 25


@bp.get("/campaigns")
@workspace_required
def index():
    status_filter = request.args.get("status", "")
    search = (request.args.get("search") or "").strip()
    error, status = None, 200
    try:
        page = pagination.parse({"page": request.args.get("page", "")},
                                default_limit=PAGE_SIZE)
        rows, total = campaigns.list_campaigns(
            g.workspace, status=status_filter or None, search=search or None,
            offset=page.offset, limit=page.limit)
    except Invalid as exc:
        error, status = " ".join(f"{k}: {v}." for k, v in exc.fields.items()), exc.status
        page, rows, total = pagination.Page(1, PAGE_SIZE), [], 0
    return render_template(
        T + "index.html", rows=rows, total=total, page=page, pages=max(1, -(-total // PAGE_SIZE)),
        counts=campaigns.link_counts([c.id for c in rows]), status_filter=status_filter,
        search=search, statuses=campaigns.STATUSES, error=error,
        money=campaigns.from_micros, labels=campaign_form.COST_LABELS,
        pager_args={k: v for k, v in (("status", status_filter), ("search", search)) if v},
    ), status


def _render_form(form: campaign_form.CampaignForm, campaign: Campaign | None = None,
                 error: str | None = None, status: int = 200):
    extra = {}
    if campaign is not None:
        extra = {"link_count": campaigns.link_counts([campaign.id]).get(campaign.id, 0),
                 "campaign_rules": rules.list_rules(g.workspace,
                                                    campaign_id=campaign.public_id,
                                                    limit=1000)[0]}
    return render_template(T + "form.html", form=form, campaign=campaign, error=error,
                           currencies=sorted(campaigns.CURRENCIES), **extra), status


@bp.route("/campaigns/new", methods=["GET", "POST"])
@workspace_required
def create():
    require_role("editor")
    form = campaign_form.CampaignForm()
    if not form.is_submitted():
        return _render_form(form)
    if not form.validate():
        return _render_form(form, status=400)
    try:
        campaign = campaigns.create_campaign(g.workspace, g.user, campaign_form.to_api(form))
    except ApiError as exc:
        return _render_form(form, error=copy_errors(form, exc), status=exc.status)
    flash(f"Campaign “{campaign.name}” created.", "success")
    return redirect(url_for(".index"))


@bp.route("/campaigns/<campaign_id>/edit", methods=["GET", "POST"])
@workspace_required
def edit(campaign_id: str):
    campaign = campaigns.get_campaign(g.workspace, campaign_id)
    stored = campaign_form.initial(campaign)
    if request.method == "GET":
        form = campaign_form.CampaignForm(formdata=None, data=stored)
        return _render_form(form, campaign)
    require_role("editor")
    form = campaign_form.CampaignForm()
    if not form.validate():
        return _render_form(form, campaign, status=400)
    before = campaign_form.to_api(campaign_form.CampaignForm(formdata=None, data=stored))
    data = changed(campaign_form.to_api(form), before)
    try:
        campaigns.update_campaign(g.workspace, g.user, campaign, data)
    except ApiError as exc:
        return _render_form(form, campaign, copy_errors(form, exc), exc.status)
    flash(f"Campaign “{campaign.name}” saved." if data else "Nothing changed.", "success")
    return redirect(url_for(".index"))


@bp.route("/campaigns/<campaign_id>/delete", methods=["GET", "POST"])
@workspace_required
def delete(campaign_id: str):
    """GET asks; POST deletes. With links the service answers CAMPAIGN_IN_USE and the page
    offers "delete anyway" (force: the links keep working without a campaign)."""
    require_role("editor")
    campaign = campaigns.get_campaign(g.workspace, campaign_id)
    form, error, status, force_button = ActionForm(), None, 200, None
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            detached = campaigns.delete_campaign(g.workspace, g.user, campaign,
                                                 force=request.form.get("force") == "true")
        except ApiError as exc:
            error, status = exc.message, exc.status
            if exc.code == "CAMPAIGN_IN_USE":
                force_button = "Delete anyway (links keep working)"
        else:
            note = f" {detached} link(s) now have no campaign." if detached else ""
            flash(f"Campaign “{campaign.name}” deleted.{note}", "success")
            return redirect(url_for(".index"))
    return render_template(
        "dashboard/links/confirm.html", form=form, error=error, force_button=force_button,
        title="Delete this campaign?", heading=campaign.name, button="Delete campaign",
        cancel=url_for(".index"), lead="Its own rules are deleted. Links in it keep working "
        "without a campaign; their click history stays."), status

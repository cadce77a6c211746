"""The Embeds tab: public-stats toggles with metric checkboxes per campaign and link (URL,
rotate), and embed tokens (create, rotate, revoke, the copy-paste <iframe>). Binds the forms
and calls services/public_shares.py and services/embeds.py like the API does."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField
from wtforms.validators import InputRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from linkhub import pagination
from linkhub.dashboard.forms import (
    CHOICE_ROWS,
    ActionForm,
    copy_errors,
    editor_context,
    options,
)
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import ApiError, Invalid
from linkhub.models import Campaign, EmbedToken, Link, PublicShare
from linkhub.services import campaigns, embeds, link_queries, links, public_shares

bp = Blueprint("embeds", __name__)
bp.context_processor(editor_context)
T = "dashboard/embeds/"
PAGE_SIZE = 25
METRIC_LABELS = {"clicks": "Clicks", "uniqueClicks": "Unique visitors",
                 "timeseries": "Clicks over time", "countries": "Countries",
                 "devices": "Devices", "browsers": "Browsers", "os": "Operating systems",
                 "referrers": "Referrers"}
WIDGET_LABELS = {"stats": "Stats (clicks and unique visitors)",
                 "timeseries": "Clicks over time", "top_referrers": "Top referrers"}


class ShareForm(FlaskForm):
    """One row's form; its prefix is the link or campaign id, so every id on the page differs."""

    enabled = BooleanField("Public page")
    metrics = SelectMultipleField(
        "Metrics shown", choices=options(METRIC_LABELS.items()), validate_choice=False,
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())


class EmbedForm(FlaskForm):
    name = StringField("Name", [InputRequired("Required."), Length(max=100)])
    widget = SelectField("Widget", choices=options(WIDGET_LABELS.items()),
                         validate_choice=False)
    scope = SelectField("Covers", validate_choice=False)


def _share_form(target_id: str, share: PublicShare | None, formdata: Any = None) -> ShareForm:
    metrics = list(share.metrics) if share else list(public_shares.DEFAULT_METRICS)
    return ShareForm(formdata=formdata, prefix=target_id,
                     data={"enabled": bool(share and share.enabled), "metrics": metrics})


def _scope_choices(link_rows: list[Link], campaign_rows: list[Campaign]) -> list:
    out = [("", f"The whole workspace ({g.workspace.name})")]
    out += [(c.public_id, f"Campaign: {c.name}") for c in campaign_rows]
    out += [(link.public_id, f"Link: {link.title or link.short_code} (/{link.short_code})")
            for link in link_rows]
    return options(out)


def _shares(**where: list[int]) -> dict[int, PublicShare]:
    (column, ids), = where.items()
    field = getattr(PublicShare, column)
    rows = PublicShare.select().where(field.in_(ids or [0]),
                                      PublicShare.workspace == g.workspace)
    return {getattr(row, f"{column}_id"): row for row in rows}


def _render(*, bound: dict[str, ShareForm] | None = None, embed_form: EmbedForm | None = None,
            error: str | None = None, status: int = 200):
    bound = bound or {}
    search = (request.args.get("q") or "").strip()
    page = pagination.parse({"page": request.args.get("page", "")}, default_limit=PAGE_SIZE)
    link_rows, total = link_queries.list_links(g.workspace, {"search": search}, page)
    campaign_rows = campaigns.list_campaigns(g.workspace, limit=CHOICE_ROWS.limit)[0]
    link_shares = _shares(link=[link.id for link in link_rows])
    campaign_shares = _shares(campaign=[c.id for c in campaign_rows])
    rows = [("campaign", c, campaign_shares.get(c.id)) for c in campaign_rows]
    rows += [("link", link, link_shares.get(link.id)) for link in link_rows]
    forms = {target.public_id: bound.get(target.public_id)
             or _share_form(target.public_id, share) for _, target, share in rows}
    form = embed_form or EmbedForm(formdata=None)
    all_links = link_queries.list_links(g.workspace, {}, CHOICE_ROWS)[0]
    form.scope.choices = _scope_choices(all_links, campaign_rows)
    tokens = embeds.list_tokens(g.workspace, CHOICE_ROWS, include_revoked=True)[0]
    return render_template(
        T + "index.html", rows=rows, forms=forms, page=page, total=total, search=search,
        pages=max(1, -(-total // PAGE_SIZE)), pager_args={"q": search} if search else {},
        embed_form=form, tokens=tokens, metric_labels=METRIC_LABELS,
        widget_labels=WIDGET_LABELS, error=error, action=ActionForm(),
        url_of=public_shares.url_of, embed_url=embeds.url_of, snippet=embeds.snippet,
        frame_heights=embeds.FRAME_HEIGHTS,
        back_args={k: request.args[k] for k in ("q", "page") if request.args.get(k)},
    ), status


def _target(kind: str, target_id: str) -> dict[str, Any]:
    if kind == "link":
        return {"link": links.find_link(g.workspace, target_id)}
    if kind == "campaign":
        return {"campaign": campaigns.get_campaign(g.workspace, target_id)}
    abort(404)


def _label(link: Link | None = None, campaign: Campaign | None = None) -> str:
    return link.title or link.short_code if link is not None else campaign.name


def _back(target_id: str | None = None, anchor: str | None = None):
    args = {k: v for k, v in request.args.items() if k in ("q", "page")}
    return redirect(url_for(".index", _anchor=anchor or target_id, **args))


def _checked_action() -> None:
    require_role("editor")
    if not ActionForm().validate_on_submit():
        abort(400, "The form expired: reload the page and try again.")


@bp.get("/embeds")
@workspace_required
def index():
    try:
        return _render()
    except Invalid as exc:
        abort(400, " ".join(f"{k}: {v}." for k, v in exc.fields.items()))


@bp.post("/embeds/share/<kind>/<target_id>")
@workspace_required
def save_share(kind: str, target_id: str):
    require_role("editor")
    target = _target(kind, target_id)
    form = ShareForm(prefix=target_id)
    if not form.validate_on_submit():
        abort(400, "The form expired: reload the page and try again.")
    data = {"enabled": form.enabled.data, "metrics": form.metrics.data}
    try:
        share = public_shares.configure(g.workspace, g.user, data, **target)
    except Invalid as exc:  # `metrics.3` belongs beside the metrics checkboxes
        fields = {name.split(".")[0]: message for name, message in exc.fields.items()}
        error = copy_errors(form, Invalid(fields=fields))
        return _render(bound={target_id: form}, error=error, status=exc.status)
    flash(f"Public stats of “{_label(**target)}” {'on' if share.enabled else 'off'}.",
          "success")
    return _back(target_id)


@bp.post("/embeds/share/<kind>/<target_id>/rotate")
@workspace_required
def rotate_share(kind: str, target_id: str):
    _checked_action()
    public_shares.rotate(g.workspace, g.user, **_target(kind, target_id))
    flash("New public URL: the old one stopped working.", "success")
    return _back(target_id)


@bp.post("/embeds/tokens")
@workspace_required
def create_token():
    require_role("editor")
    form = EmbedForm()
    form.scope.choices = []
    if not form.validate_on_submit():
        return _render(embed_form=form, status=400)
    scope = form.scope.data or ""
    data = {"name": form.name.data, "widget": form.widget.data,
            "linkId": scope if scope.startswith("link_") else None,
            "campaignId": scope if scope.startswith("camp_") else None}
    try:
        token = embeds.create(g.workspace, g.user, data)
    except ApiError as exc:
        error = copy_errors(form, exc, {"linkId": "scope", "campaignId": "scope"})
        return _render(embed_form=form, error=error, status=exc.status)
    flash(f"Embed “{token.name}” created: paste the snippet into your page.", "success")
    return _back(anchor=token.public_id)


def _token(embed_id: str) -> EmbedToken:
    return embeds.get(g.workspace, embed_id)


@bp.post("/embeds/tokens/<embed_id>/rotate")
@workspace_required
def rotate_token(embed_id: str):
    _checked_action()
    token = embeds.rotate(g.workspace, g.user, _token(embed_id))
    flash(f"Embed “{token.name}” has a new token: update the snippet where it is used.",
          "success")
    return _back(anchor=token.public_id)


@bp.post("/embeds/tokens/<embed_id>/revoke")
@workspace_required
def revoke_token(embed_id: str):
    _checked_action()
    token = embeds.revoke(g.workspace, g.user, _token(embed_id))
    flash(f"Embed “{token.name}” revoked: it stopped loading everywhere.", "success")
    return _back(anchor=token.public_id)

"""/api public stats and embeds: the per-link and per-campaign public-stats toggle
(`…/public-stats`, `…/public-stats/rotate`), embed tokens (`/api/embeds`) and the widget data
(`/api/analytics/embed`). Parse -> services/public_shares.py, services/embeds.py -> envelope."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import auth, pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.errors import ApiError, Invalid
from linkhub.schemas import public_shares as s
from linkhub.services import campaigns, embeds, links, public_shares

bp = Blueprint("public_shares", __name__)
TAG = "Public stats and embeds"
READ = "analytics:read"


def _fields(body: s.PublicStatsIn | s.EmbedCreate) -> dict:
    return body.model_dump(include=body.model_fields_set)


# --- public stats of a link -------------------------------------------------------------------

def _link_share(link_id: str) -> Response:
    link = links.find_link(g.workspace, link_id)
    share = public_shares.share_of(g.workspace, link=link)
    return ok(public_shares.serialize(share, link=link))


@bp.get("/links/<link_id>/public-stats")
@require("links:read")
@endpoint("Public stats settings of a link", response=s.PublicStatsOut, tag=TAG)
def get_link_public_stats(link_id: str) -> Response:
    """`link_id` is a link id or a short code. A link never shared answers the defaults (off,
    no token)."""
    return _link_share(link_id)


@bp.put("/links/<link_id>/public-stats")
@require("links:update")
@endpoint("Turn a link's public stats on or off", body=s.PublicStatsIn,
          response=s.PublicStatsOut, tag=TAG)
def put_link_public_stats(link_id: str, body: s.PublicStatsIn) -> Response:
    """`{enabled, metrics}`; `url` is the public page (`/s/<token>`). Keeps the link's
    `publicStats` in step. Disabling stops the page at once; enabling again keeps the URL."""
    link = links.find_link(g.workspace, link_id)
    share = public_shares.configure(g.workspace, g.user, _fields(body), link=link)
    return ok(public_shares.serialize(share, link=link))


@bp.post("/links/<link_id>/public-stats/rotate")
@require("links:update")
@endpoint("New public stats URL for a link", response=s.PublicStatsOut, tag=TAG)
def rotate_link_public_stats(link_id: str) -> Response:
    """A new token; the old URL answers 404 at once."""
    link = links.find_link(g.workspace, link_id)
    share = public_shares.rotate(g.workspace, g.user, link=link)
    return ok(public_shares.serialize(share, link=link))


# --- public stats of a campaign ---------------------------------------------------------------

@bp.get("/campaigns/<campaign_id>/public-stats")
@require("campaigns:read")
@endpoint("Public stats settings of a campaign", response=s.PublicStatsOut, tag=TAG)
def get_campaign_public_stats(campaign_id: str) -> Response:
    campaign = campaigns.get_campaign(g.workspace, campaign_id)
    share = public_shares.share_of(g.workspace, campaign=campaign)
    return ok(public_shares.serialize(share, campaign=campaign))


@bp.put("/campaigns/<campaign_id>/public-stats")
@require("campaigns:write")
@endpoint("Turn a campaign's public stats on or off", body=s.PublicStatsIn,
          response=s.PublicStatsOut, tag=TAG)
def put_campaign_public_stats(campaign_id: str, body: s.PublicStatsIn) -> Response:
    """The page sums the campaign's links (those in it when the page is read)."""
    campaign = campaigns.get_campaign(g.workspace, campaign_id)
    share = public_shares.configure(g.workspace, g.user, _fields(body), campaign=campaign)
    return ok(public_shares.serialize(share, campaign=campaign))


@bp.post("/campaigns/<campaign_id>/public-stats/rotate")
@require("campaigns:write")
@endpoint("New public stats URL for a campaign", response=s.PublicStatsOut, tag=TAG)
def rotate_campaign_public_stats(campaign_id: str) -> Response:
    campaign = campaigns.get_campaign(g.workspace, campaign_id)
    share = public_shares.rotate(g.workspace, g.user, campaign=campaign)
    return ok(public_shares.serialize(share, campaign=campaign))


# --- embed tokens -----------------------------------------------------------------------------

def _include_revoked() -> bool:
    raw = (request.args.get("includeRevoked") or "false").strip().lower()
    if raw not in ("true", "false", "1", "0"):
        raise Invalid(fields={"includeRevoked": "must be true or false"})
    return raw in ("true", "1")


@bp.get("/embeds")
@require(READ)
@endpoint("List embeds", query=s.EmbedListQuery, response=s.EmbedOut, listing=True, tag=TAG)
def list_embeds(query: s.EmbedListQuery) -> Response:
    """Newest first; revoked embeds only with `includeRevoked=true`."""
    page = pagination.parse(request.args)
    rows, total = embeds.list_tokens(g.workspace, page, include_revoked=_include_revoked())
    return listing([embeds.serialize(t) for t in rows], page, total)


@bp.post("/embeds")
@require(READ, role="editor")
@endpoint("Create an embed", body=s.EmbedCreate, response=s.EmbedOut, status=201, tag=TAG)
def create_embed(body: s.EmbedCreate) -> Response:
    """`name` and `widget` (stats, timeseries, top_referrers) are required; `linkId` or
    `campaignId` narrows it, else it covers the workspace. Answers the `<iframe>` snippet."""
    return created(embeds.serialize(embeds.create(g.workspace, g.user, _fields(body))))


@bp.get("/embeds/<embed_id>")
@require(READ)
@endpoint("Get an embed", response=s.EmbedOut, tag=TAG)
def get_embed(embed_id: str) -> Response:
    """Revoked embeds too (`revoked: true`, no token)."""
    return ok(embeds.serialize(embeds.get(g.workspace, embed_id)))


@bp.delete("/embeds/<embed_id>")
@require(READ, role="editor")
@endpoint("Revoke an embed", response=s.EmbedOut, tag=TAG)
def revoke_embed(embed_id: str) -> Response:
    """The widget stops loading at once (404). Revoking again is harmless."""
    token = embeds.get(g.workspace, embed_id)
    return ok(embeds.serialize(embeds.revoke(g.workspace, g.user, token)))


@bp.post("/embeds/<embed_id>/rotate")
@require(READ, role="editor")
@endpoint("Rotate an embed's token", response=s.EmbedOut, tag=TAG, errors=("CONFLICT",))
def rotate_embed(embed_id: str) -> Response:
    """A new token and snippet; the old one answers 404 at once. A revoked embed is a 409."""
    token = embeds.get(g.workspace, embed_id)
    return ok(embeds.serialize(embeds.rotate(g.workspace, g.user, token)))


# --- widget data ------------------------------------------------------------------------------

@bp.get("/analytics/embed")
@endpoint("Embed widget data", query=s.EmbedDataQuery, response=s.EmbedDataOut, tag=TAG,
          public=True)
def analytics_embed(query: s.EmbedDataQuery) -> Response:
    """With `token`: that embed's own widget, no credentials needed (revoked or rotated: 404).
    Without: any widget (`node` or `widgetType`) over the caller's workspace, or its `linkId` /
    `campaignId`; needs an API key or session with `analytics:read`. Human clicks only."""
    if query.token is not None:
        return ok(embeds.public_data(embeds.find_public(query.token), request.args))
    if g.auth_via is None:
        raise ApiError("UNAUTHORIZED", "Send an embed token, or an API key (X-API-Key) or a "
                                       "session for your workspace's data.")
    if g.workspace is None:
        raise ApiError("NOT_FOUND", "No workspace selected: create one or send X-Workspace-Id.")
    auth.enforce(READ)
    return ok(embeds.workspace_data(g.workspace, request.args))

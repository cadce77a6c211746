"""/api/links: create, list, read (by id or short code), update, soft delete, archive, stats,
external-id lookup, upsert and transfer. Parse -> services/links.py (and link_queries.py) ->
serialise with the envelope; no business rule here."""

from __future__ import annotations

import importlib
from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import auth, clock, pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import listing, ok
from linkhub.errors import Forbidden, Invalid
from linkhub.models import Link, Rule
from linkhub.schemas import links as s
from linkhub.services import link_fields, link_queries, links

bp = Blueprint("links", __name__)
TAG = "Links"
LINK_ERRORS = ("SHORT_CODE_EXISTS", "CONFLICT")


# --- serialisers ----------------------------------------------------------------------------

def _public_id(related: Any) -> str | None:
    return related.public_id if related is not None else None


def link_json(link: Link, rel: dict[str, list[str]]) -> dict[str, Any]:
    """The one public shape of a link (`rel` from services.links.relations)."""
    domain = link.domain
    return {
        "id": link.public_id, "shortCode": link.short_code, "shortUrl": links.short_url(link),
        "domain": domain.name if domain is not None else link_fields.default_host(),
        "domainId": _public_id(domain),
        "destinationUrl": link.destination_url, "defaultDestination": link.destination_url,
        "title": link.title, "description": link.description, "notes": link.notes,
        "externalId": link.external_id, "campaignId": _public_id(link.campaign),
        "folderId": _public_id(link.folder), "utmTemplateId": _public_id(link.utm_template),
        "tags": rel["tags"], "ruleIds": rel["ruleIds"],
        "enabled": link.enabled, "archived": link.archived_at is not None,
        "archivedAt": clock.iso(link.archived_at),
        "passwordProtected": link.password_hash is not None,
        "expiresAt": clock.iso(link.expires_at), "clicksLimit": link.clicks_limit,
        "redirectBehavior": link.redirect_behavior, "redirectType": link.redirect_type,
        "expiredUrl": link.expired_url,
        "deepLinkEnabled": link.deep_link_enabled, "deepLinkIos": link.deep_link_ios,
        "deepLinkAndroid": link.deep_link_android,
        "deepLinkFallbackUrl": link.deep_link_fallback_url,
        "conversionTracking": link.conversion_tracking, "trackingType": link.tracking_type,
        "ogTitle": link.og_title, "ogDescription": link.og_description,
        "ogImage": link.og_image, "publicStats": link.public_stats,
        "trackImpressions": link.track_impressions,
        "preserveQueryParams": link.preserve_query_params, "forwardUtms": link.forward_utms,
        "inappBrowserBreakout": link.inapp_browser_breakout,
        "utmSource": link.utm_source, "utmMedium": link.utm_medium,
        "utmCampaign": link.utm_campaign, "utmTerm": link.utm_term,
        "utmContent": link.utm_content,
        "clicks": link.clicks, "uniqueClicks": link.unique_clicks, "botClicks": link.bot_clicks,
        "impressions": 0, "lastClickedAt": clock.iso(link.last_clicked_at),
        "createdAt": clock.iso(link.created_at), "updatedAt": clock.iso(link.updated_at),
    }


def rule_json(rule: Rule) -> dict[str, Any]:
    """The rules module's serialiser when it has one, else a minimal shape."""
    try:
        module = importlib.import_module("linkhub.services.rules")
    except ImportError:
        module = None
    serialize = getattr(module, "serialize_rule", None)
    if serialize is not None:
        return serialize(rule)
    return {"id": rule.public_id, "name": rule.name, "priority": rule.priority,
            "enabled": rule.enabled, "destinationUrl": rule.destination_url,
            "conditions": rule.conditions}


def one(link: Link, status: int = 200, with_rules: bool = False) -> Response:
    body = link_json(link, links.relations([link])[link.id])
    if with_rules:
        body["rules"] = [rule_json(r) for r in links.rules_of(link)]
    return ok(body, status)


def _fields(body: Any) -> dict[str, Any]:
    return body.model_dump(include=body.model_fields_set)


# --- routes ---------------------------------------------------------------------------------

@bp.get("/links")
@require("links:read")
@endpoint("List links", query=s.LinkListQuery, response=s.LinkOut, listing=True, tag=TAG)
def list_links(query: s.LinkListQuery) -> Response:
    """Live links only; archived ones only with `archived=true` (or `all`). Sorted by
    `sortBy` and `sortOrder`."""
    page = pagination.parse(request.args)
    rows, total = link_queries.list_links(g.workspace, request.args, page)
    rel = links.relations(rows)
    return listing([link_json(link, rel[link.id]) for link in rows], page, total)


@bp.post("/links")
@require("links:create")
@endpoint("Create a link", body=s.LinkCreate, response=s.LinkOut, status=201, tag=TAG,
          errors=LINK_ERRORS)
def create_link(body: s.LinkCreate) -> Response:
    """`shortCode` is generated when omitted; a code already live on the domain is a 409
    SHORT_CODE_EXISTS, a duplicate `externalId` a 409 CONFLICT."""
    link = links.create_link(g.workspace, g.user, _fields(body))
    return one(link, 201)


@bp.get("/links/stats")
@require("links:read")
@endpoint("Link totals of the workspace", response=s.LinkStatsOut, tag=TAG)
def link_stats() -> Response:
    return ok(link_queries.stats(g.workspace))


@bp.get("/links/ext/<path:external_id>")
@require("links:read")
@endpoint("Find a link by its external id", response=s.LinkOut, tag=TAG)
def get_by_external_id(external_id: str) -> Response:
    """An `ext_` prefix is accepted (and stripped when no link has the id with it)."""
    return one(links.find_by_external_id(g.workspace, external_id))


@bp.put("/links/upsert")
@require("links:create")
@endpoint("Create or update a link", body=s.LinkCreate, response=s.LinkOut, status=201,
          tag=TAG, errors=LINK_ERRORS)
def upsert_link(body: s.LinkCreate) -> Response:
    """Matches a live link on `externalId`, else on (domain, `shortCode`): it is updated with
    the fields sent (200; needs `links:update` too), or a new link is created (201)."""
    data = _fields(body)
    target = links.upsert_target(g.workspace, data)
    if target is None:
        return one(links.create_link(g.workspace, g.user, data), 201)
    auth.enforce("links:update")
    return one(links.update_link(g.workspace, g.user, target, data))


@bp.get("/links/<link_id>")
@require("links:read")
@endpoint("Get a link by id or short code", query=s.LinkGetQuery, response=s.LinkOut, tag=TAG)
def get_link(link_id: str, query: s.LinkGetQuery) -> Response:
    """`link_id` is a `link_` id or a short code (of the default domain, or of `?domain=`).
    `?include=rules` adds `rules`."""
    wanted = [part.strip() for part in (query.include or "").split(",") if part.strip()]
    if any(part != "rules" for part in wanted):
        raise Invalid(fields={"include": "may only be rules"})
    link = links.find_link(g.workspace, link_id, domain=query.domain)
    return one(link, with_rules="rules" in wanted)


@bp.patch("/links/<link_id>")
@require("links:update")
@endpoint("Update a link", body=s.LinkUpdate, response=s.LinkOut, tag=TAG, errors=LINK_ERRORS)
def update_link(link_id: str, body: s.LinkUpdate) -> Response:
    """Absent fields stay; `clicksLimit: null` removes the limit, `password: ""` or null the
    protection, `expiresAt: null` the expiry; `tags` and `ruleIds` replace the whole set."""
    link = links.find_link(g.workspace, link_id)
    return one(links.update_link(g.workspace, g.user, link, _fields(body)))


@bp.delete("/links/<link_id>")
@require("links:delete")
@endpoint("Delete a link (soft)", response=s.LinkDeletedOut, tag=TAG,
          errors=("ALREADY_DELETED",))
def delete_link(link_id: str) -> Response:
    """The short code is free at once; analytics are kept; the link's own rules are deleted
    too. A second delete answers 409 ALREADY_DELETED."""
    link = links.find_link(g.workspace, link_id, include_deleted=True)
    links.delete_link(g.workspace, g.user, link)
    return ok({"id": link.public_id, "deleted": True})


@bp.post("/links/<link_id>/archive")
@require("links:update")
@endpoint("Archive a link", response=s.LinkOut, tag=TAG)
def archive_link(link_id: str) -> Response:
    """An archived link stops redirecting and leaves the default list."""
    link = links.find_link(g.workspace, link_id)
    return one(links.set_archived(g.workspace, g.user, link, True))


@bp.post("/links/<link_id>/unarchive")
@require("links:update")
@endpoint("Restore an archived link", response=s.LinkOut, tag=TAG)
def unarchive_link(link_id: str) -> Response:
    link = links.find_link(g.workspace, link_id)
    return one(links.set_archived(g.workspace, g.user, link, False))


@bp.post("/links/<link_id>/transfer")
@require("links:delete")
@endpoint("Move a link to another campaign or workspace", body=s.LinkTransfer,
          response=s.LinkOut, tag=TAG, errors=("CONFLICT",))
def transfer_link(link_id: str, body: s.LinkTransfer) -> Response:
    """`{"campaignId"}` moves it within the workspace (null detaches it). `{"workspaceId"}`
    moves it to another workspace: a signed-in session that is admin in both (API keys get
    403); it keeps its code and own rules and drops tags, folder, campaign, UTM template and
    shared-rule attachments."""
    given = body.model_fields_set & {"campaignId", "workspaceId"}
    if len(given) != 1:
        raise Invalid(fields={"body": "send exactly one of campaignId or workspaceId"})
    link = links.find_link(g.workspace, link_id)
    if "campaignId" in given:
        return one(links.transfer_to_campaign(g.workspace, g.user, link, body.campaignId))
    if g.auth_via != "session":
        raise Forbidden("Moving a link to another workspace needs a signed-in session; an API "
                        "key belongs to one workspace.")
    if body.workspaceId is None:
        raise Invalid(fields={"workspaceId": "is required"})
    return one(links.transfer_to_workspace(g.workspace, g.user, link, body.workspaceId))

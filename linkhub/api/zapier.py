"""/api/integrations/webhooks/zapier: Zapier's REST hooks (subscribe, unsubscribe), sample
payloads, dropdown lists, the event list and the connection test. Zapier sends the workspace's
API key as `Authorization: Bearer <key>`. Parse -> services/zapier.py -> envelope."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.schemas import outbound as s
from linkhub.schemas import webhooks as ws
from linkhub.services import outbound, zapier

bp = Blueprint("zapier", __name__)
TAG = "Zapier"
BASE = "/integrations/webhooks/zapier"


@bp.post(BASE + "/subscribe")
@require("webhooks:manage")
@endpoint("Subscribe a Zapier REST hook", body=s.ZapierSubscribe,
          response=s.ZapierSubscriptionOut, status=201, tag=TAG, errors=("LIMIT_EXCEEDED",))
def subscribe(body: s.ZapierSubscribe) -> Response:
    """`hookUrl` (or Zapier's `target_url`) and one `event` are required. Creates an
    outbound destination of kind `zapier`; keep its `id` to unsubscribe."""
    row = zapier.subscribe(g.workspace, g.user, body.model_dump())
    return created(zapier.subscription_json(row))


@bp.delete(BASE + "/subscribe/<subscription_id>")
@require("webhooks:manage")
@endpoint("Unsubscribe a Zapier REST hook", response=s.DeletedOut, tag=TAG)
def unsubscribe(subscription_id: str) -> Response:
    zapier.unsubscribe(g.workspace, g.user, subscription_id)
    return ok({"id": subscription_id, "deleted": True})


@bp.get(BASE + "/sample/<event>")
@require("webhooks:read")
@endpoint("A sample Zapier payload", response=s.ZapierSampleOut, tag=TAG)
def sample(event: str) -> Response:
    """A made-up event of the given type, shaped like what the hook receives: `{id, type,
    createdAt, workspaceId, data}`. Unknown or reserved types answer 404."""
    return ok(zapier.sample(g.workspace, event))


@bp.get(BASE + "/perform-list/links")
@require("links:read")
@endpoint("Links for a Zapier dropdown", query=s.PageQuery,
          response=s.ZapierLinkOut, listing=True, tag=TAG)
def perform_list_links(query: s.PageQuery) -> Response:
    """The workspace's live links, newest first, with a `label` for the dropdown."""
    page = pagination.parse(request.args)
    items, total = zapier.link_choices(g.workspace, offset=page.offset, limit=page.limit)
    return listing(items, page, total)


@bp.get(BASE + "/perform-list/campaigns")
@require("campaigns:read")
@endpoint("Campaigns for a Zapier dropdown", query=s.PageQuery,
          response=s.ZapierCampaignOut, listing=True, tag=TAG)
def perform_list_campaigns(query: s.PageQuery) -> Response:
    """The workspace's campaigns by name."""
    page = pagination.parse(request.args)
    items, total = zapier.campaign_choices(g.workspace, offset=page.offset, limit=page.limit)
    return listing(items, page, total)


@bp.get(BASE + "/events")
@require("webhooks:read")
@endpoint("Zapier trigger events", query=s.PageQuery, response=ws.EventTypeOut, listing=True,
          tag=TAG)
def events(query: s.PageQuery) -> Response:
    """The events a Zapier trigger can subscribe to, with each event's data schema."""
    page = pagination.parse(request.args)
    items, total = outbound.trigger_events_page(offset=page.offset, limit=page.limit)
    return listing(items, page, total)


@bp.post(BASE + "/test")
@require()
@endpoint("Test a Zapier connection", response=s.ZapierAuthOut, tag=TAG)
def auth_test() -> Response:
    """Answers the workspace, the API key (name, prefix, scopes) and its owner when the key
    works; 401 otherwise."""
    return ok(zapier.auth_info(g.workspace, g.user, g.api_key))

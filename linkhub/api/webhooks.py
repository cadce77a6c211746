"""/api/webhooks-manage: the workspace's webhook endpoints (list, create, read, update, delete,
test, enable, rotate the secret), their delivery log and redelivery, and the event catalogue.
Parse -> services/webhooks.py -> envelope; no rule here."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.schemas import webhooks as s
from linkhub.services import webhook_delivery, webhooks

bp = Blueprint("webhooks", __name__)
TAG = "Webhooks"
MANAGE = "admin"  # decisions §2: admins and owners manage webhooks


def one(webhook, *, reveal: bool = False) -> Response:
    return ok(webhooks.serialize(webhook, reveal=reveal))


def delivery(row, *, attempts: bool = True) -> dict:
    return webhook_delivery.serialize_delivery(row, attempts=attempts)


def delivery_page(webhook, query: s.DeliveryListQuery) -> Response:
    page = pagination.parse(request.args)
    rows, total = webhooks.list_deliveries(webhook, status=query.status or None,
                                           offset=page.offset, limit=page.limit)
    return listing([delivery(r, attempts=False) for r in rows], page, total)


@bp.get("/webhooks-manage")
@require("links:read")
@endpoint("List workspace webhooks", query=s.WebhookListQuery, response=s.WebhookOut,
          listing=True, tag=TAG)
def list_webhooks(query: s.WebhookListQuery) -> Response:
    """Newest first; `enabled=true|false` filters. Secrets are masked. Per-link webhooks are
    listed under their link (`/api/links/{linkId}/webhooks`)."""
    page = pagination.parse(request.args)
    rows, total = webhooks.list_webhooks(g.workspace, enabled=webhooks.bool_filter(
        query.enabled, "enabled"), offset=page.offset, limit=page.limit)
    return listing([webhooks.serialize(w) for w in rows], page, total)


@bp.post("/webhooks-manage")
@require("links:create", role=MANAGE)
@endpoint("Create a workspace webhook", body=s.WebhookCreate, response=s.WebhookOut,
          status=201, tag=TAG, errors=("LIMIT_EXCEEDED",))
def create_webhook(body: s.WebhookCreate) -> Response:
    """`url` and `events` are required. The answer carries the signing secret in full, the
    only time it is shown (rotate-secret makes a new one). At most 25 webhooks per workspace
    (403 LIMIT_EXCEEDED)."""
    webhook = webhooks.create_webhook(g.workspace, g.user,
                                      body.model_dump(include=body.model_fields_set))
    return created(webhooks.serialize(webhook, reveal=True))


@bp.get("/webhooks-manage/events")
@require("links:read")
@endpoint("The webhook event catalogue", query=s.EventsQuery, response=s.EventCatalogueOut,
          tag=TAG)
def event_catalogue(query: s.EventsQuery) -> Response:
    """Every event type with the JSON schema of its `data`, the per-link short names, the
    envelope every delivery has and how it is signed (Standard Webhooks)."""
    return ok(webhooks.catalogue_document(webhooks.scope_filter(query.scope)))


@bp.get("/webhooks-manage/<webhook_id>")
@require("links:read")
@endpoint("Get a workspace webhook", response=s.WebhookOut, tag=TAG)
def get_webhook(webhook_id: str) -> Response:
    """The secret is masked (`whsec_…` and its last four characters)."""
    return one(webhooks.get_webhook(g.workspace, webhook_id))


@bp.patch("/webhooks-manage/<webhook_id>")
@require("links:update", role=MANAGE)
@endpoint("Update a workspace webhook", body=s.WebhookUpdate, response=s.WebhookOut, tag=TAG)
def update_webhook(webhook_id: str, body: s.WebhookUpdate) -> Response:
    """Send only what changes; `events` replaces the list; a new `url` restarts the failure
    count; `enabled: true` re-enables an auto-disabled webhook."""
    webhook = webhooks.get_webhook(g.workspace, webhook_id)
    return one(webhooks.update_webhook(g.workspace, g.user, webhook,
                                       body.model_dump(include=body.model_fields_set)))


@bp.delete("/webhooks-manage/<webhook_id>")
@require("links:delete", role=MANAGE)
@endpoint("Delete a workspace webhook", response=s.WebhookDeletedOut, tag=TAG)
def delete_webhook(webhook_id: str) -> Response:
    """Its pending deliveries are dropped with its delivery log."""
    webhook = webhooks.get_webhook(g.workspace, webhook_id)
    webhooks.delete_webhook(g.workspace, g.user, webhook)
    return ok({"id": webhook_id, "deleted": True})


@bp.post("/webhooks-manage/<webhook_id>/test")
@require("links:update", role=MANAGE)
@endpoint("Send a test event", response=s.DeliveryOut, tag=TAG)
def test_webhook(webhook_id: str) -> Response:
    """Sends a sample event of the webhook's first event type now, signed like any other,
    and answers the logged delivery with its attempt (status code, response body, time)."""
    webhook = webhooks.get_webhook(g.workspace, webhook_id)
    return ok(delivery(webhooks.send_test(g.workspace, g.user, webhook)))


@bp.post("/webhooks-manage/<webhook_id>/enable")
@require("links:update", role=MANAGE)
@endpoint("Re-enable a webhook", response=s.WebhookOut, tag=TAG)
def enable_webhook(webhook_id: str) -> Response:
    """Clears the failure count and an auto-disable. Deliveries given up on meanwhile stay
    failed; redeliver the ones you need."""
    webhook = webhooks.get_webhook(g.workspace, webhook_id)
    return one(webhooks.enable_webhook(g.workspace, g.user, webhook))


@bp.post("/webhooks-manage/<webhook_id>/rotate-secret")
@require("links:update", role=MANAGE)
@endpoint("Rotate the signing secret", response=s.WebhookOut, tag=TAG)
def rotate_secret(webhook_id: str) -> Response:
    """The new secret (in full, shown this once) signs every delivery from now on."""
    webhook = webhooks.get_webhook(g.workspace, webhook_id)
    return one(webhooks.rotate_secret(g.workspace, g.user, webhook), reveal=True)


@bp.get("/webhooks-manage/<webhook_id>/deliveries")
@require("links:read")
@endpoint("A webhook's delivery log", query=s.DeliveryListQuery, response=s.DeliveryOut,
          listing=True, tag=TAG)
def list_deliveries(webhook_id: str, query: s.DeliveryListQuery) -> Response:
    """Newest first; `status` filters (pending, delivering, succeeded, failed)."""
    return delivery_page(webhooks.get_webhook(g.workspace, webhook_id), query)


@bp.get("/webhooks-manage/<webhook_id>/deliveries/<delivery_id>")
@require("links:read")
@endpoint("One delivery with its attempts", response=s.DeliveryOut, tag=TAG)
def get_delivery(webhook_id: str, delivery_id: str) -> Response:
    """Each attempt shows the request sent (URL, headers, body) and what came back (status,
    headers, body truncated to 4 KB, latency) or the error."""
    webhook = webhooks.get_webhook(g.workspace, webhook_id)
    return ok(delivery(webhooks.get_delivery(webhook, delivery_id)))


@bp.post("/webhooks-manage/<webhook_id>/redeliver/<delivery_id>")
@require("links:update", role=MANAGE)
@endpoint("Redeliver an event", response=s.DeliveryOut, tag=TAG)
def redeliver(webhook_id: str, delivery_id: str) -> Response:
    """A new delivery of the same event (same `webhook-id`, so receivers can deduplicate),
    tried once now; the answer is that delivery with its attempt."""
    webhook = webhooks.get_webhook(g.workspace, webhook_id)
    old = webhooks.get_delivery(webhook, delivery_id)
    return ok(delivery(webhooks.redeliver(g.workspace, g.user, webhook, old)))

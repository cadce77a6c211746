"""/api/links/{linkId}/webhooks: per-link webhook endpoints (list, create, read, update,
delete, test, enable, rotate the secret), their deliveries and redelivery. The link must be
the caller's workspace's (else 404). Parse -> services/webhooks.py -> envelope; no rule here."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.api.webhooks import MANAGE, delivery, delivery_page, one
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.schemas import webhooks as s
from linkhub.services import links, webhooks

bp = Blueprint("link_webhooks", __name__)
TAG = "Link webhooks"
BASE = "/links/<link_id>/webhooks"


def _webhook(link_id: str, webhook_id: str):
    link = links.find_link(g.workspace, link_id)
    return webhooks.get_webhook(g.workspace, webhook_id, scope="link", link=link)


@bp.get(BASE)
@require("links:read")
@endpoint("List a link's webhooks", query=s.WebhookListQuery, response=s.WebhookOut,
          listing=True, tag=TAG)
def list_webhooks(link_id: str, query: s.WebhookListQuery) -> Response:
    """Newest first; `enabled=true|false` filters. Secrets are masked."""
    page = pagination.parse(request.args)
    link = links.find_link(g.workspace, link_id)
    rows, total = webhooks.list_webhooks(
        g.workspace, scope="link", link=link,
        enabled=webhooks.bool_filter(query.enabled, "enabled"), offset=page.offset,
        limit=page.limit)
    return listing([webhooks.serialize(w) for w in rows], page, total)


@bp.post(BASE)
@require("links:create", role=MANAGE)
@endpoint("Create a link webhook", body=s.WebhookCreate, response=s.WebhookOut, status=201,
          tag=TAG, errors=("LIMIT_EXCEEDED",))
def create_webhook(link_id: str, body: s.WebhookCreate) -> Response:
    """`url` and `events` (`click`, `qr_scan`, `conversion`, or their dotted names) are
    required; only this link's events are sent. The answer carries the signing secret in
    full, the only time it is shown. The workspace's limit of 25 webhooks counts these too."""
    link = links.find_link(g.workspace, link_id)
    webhook = webhooks.create_webhook(g.workspace, g.user,
                                      body.model_dump(include=body.model_fields_set), link=link)
    return created(webhooks.serialize(webhook, reveal=True))


@bp.get(BASE + "/<webhook_id>")
@require("links:read")
@endpoint("Get a link webhook", response=s.WebhookOut, tag=TAG)
def get_webhook(link_id: str, webhook_id: str) -> Response:
    """The secret is masked."""
    return one(_webhook(link_id, webhook_id))


@bp.patch(BASE + "/<webhook_id>")
@require("links:update", role=MANAGE)
@endpoint("Update a link webhook", body=s.WebhookUpdate, response=s.WebhookOut, tag=TAG)
def update_webhook(link_id: str, webhook_id: str, body: s.WebhookUpdate) -> Response:
    """Send only what changes; `events` replaces the list; `enabled: true` re-enables."""
    webhook = _webhook(link_id, webhook_id)
    return one(webhooks.update_webhook(g.workspace, g.user, webhook,
                                       body.model_dump(include=body.model_fields_set)))


@bp.delete(BASE + "/<webhook_id>")
@require("links:delete", role=MANAGE)
@endpoint("Delete a link webhook", response=s.WebhookDeletedOut, tag=TAG)
def delete_webhook(link_id: str, webhook_id: str) -> Response:
    webhook = _webhook(link_id, webhook_id)
    webhooks.delete_webhook(g.workspace, g.user, webhook)
    return ok({"id": webhook_id, "deleted": True})


@bp.get(BASE + "/<webhook_id>/deliveries")
@require("links:read")
@endpoint("A link webhook's deliveries", query=s.DeliveryListQuery, response=s.DeliveryOut,
          listing=True, tag=TAG)
def list_deliveries(link_id: str, webhook_id: str, query: s.DeliveryListQuery) -> Response:
    """Newest first; `status` filters (pending, delivering, succeeded, failed)."""
    return delivery_page(_webhook(link_id, webhook_id), query)


@bp.get(BASE + "/<webhook_id>/deliveries/<delivery_id>")
@require("links:read")
@endpoint("One delivery of a link webhook", response=s.DeliveryOut, tag=TAG)
def get_delivery(link_id: str, webhook_id: str, delivery_id: str) -> Response:
    """With every attempt: request sent, response (truncated to 4 KB), latency or error."""
    webhook = _webhook(link_id, webhook_id)
    return ok(delivery(webhooks.get_delivery(webhook, delivery_id)))


@bp.post(BASE + "/<webhook_id>/test")
@require("links:update", role=MANAGE)
@endpoint("Send a test event to a link webhook", response=s.DeliveryOut, tag=TAG)
def test_webhook(link_id: str, webhook_id: str) -> Response:
    """A sample event of the webhook's first event type, sent now; the answer is the logged
    delivery with its attempt."""
    webhook = _webhook(link_id, webhook_id)
    return ok(delivery(webhooks.send_test(g.workspace, g.user, webhook)))


@bp.post(BASE + "/<webhook_id>/redeliver/<delivery_id>")
@require("links:update", role=MANAGE)
@endpoint("Redeliver an event to a link webhook", response=s.DeliveryOut, tag=TAG)
def redeliver(link_id: str, webhook_id: str, delivery_id: str) -> Response:
    """A new delivery of the same event (same `webhook-id`), tried once now."""
    webhook = _webhook(link_id, webhook_id)
    old = webhooks.get_delivery(webhook, delivery_id)
    return ok(delivery(webhooks.redeliver(g.workspace, g.user, webhook, old)))


@bp.post(BASE + "/<webhook_id>/rotate-secret")
@require("links:update", role=MANAGE)
@endpoint("Rotate a link webhook's signing secret", response=s.WebhookOut, tag=TAG)
def rotate_secret(link_id: str, webhook_id: str) -> Response:
    """The new secret (in full, shown this once) signs every delivery from now on."""
    webhook = _webhook(link_id, webhook_id)
    return one(webhooks.rotate_secret(g.workspace, g.user, webhook), reveal=True)


@bp.post(BASE + "/<webhook_id>/enable")
@require("links:update", role=MANAGE)
@endpoint("Re-enable a link webhook", response=s.WebhookOut, tag=TAG)
def enable_webhook(link_id: str, webhook_id: str) -> Response:
    """Clears the failure count and an auto-disable."""
    webhook = _webhook(link_id, webhook_id)
    return one(webhooks.enable_webhook(g.workspace, g.user, webhook))

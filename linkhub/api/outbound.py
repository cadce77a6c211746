"""/api/integrations/outbound: outbound automation destinations (webhook, Slack, Zapier,
Segment): list, trigger events, create, read, update, delete, test send and delivery log.
Parse -> services/outbound.py -> envelope; no business rule here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import clock, pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.models import Webhook
from linkhub.schemas import outbound as s
from linkhub.schemas import webhooks as ws
from linkhub.services import outbound, webhook_delivery, webhooks

bp = Blueprint("outbound", __name__)
TAG = "Integrations"
READ, MANAGE = "integrations:read", "integrations:manage"
BASE = "/integrations/outbound"


def destination_json(row: Webhook, *, reveal: bool = False) -> dict[str, Any]:
    config = dict(row.config or {})
    if row.kind == "segment":
        config = {"writeKey": outbound.mask_write_key(config.get("writeKey")),
                  "endpoint": row.url}
    return {
        "id": row.public_id, "kind": row.kind, "name": row.name, "url": row.url,
        "events": list(row.events or []), "enabled": row.enabled,
        "state": webhooks.state_of(row), "config": config,
        "secret": row.secret if reveal else webhooks.mask(row.secret),
        "consecutiveFailures": row.consecutive_failures,
        "disabledReason": row.disabled_reason, "disabledAt": clock.iso(row.disabled_at),
        "lastDeliveryAt": clock.iso(row.last_delivery_at), "lastStatus": row.last_status,
        "createdAt": clock.iso(row.created_at), "updatedAt": clock.iso(row.updated_at),
    }


def _given(body: s.ApiModel) -> dict[str, Any]:
    return body.model_dump(include=body.model_fields_set)


@bp.get(BASE)
@require(READ)
@endpoint("List outbound destinations", query=s.DestinationListQuery,
          response=s.DestinationOut, listing=True, tag=TAG)
def list_destinations(query: s.DestinationListQuery) -> Response:
    """Newest first; `kind` filters (webhook, slack, zapier, segment)."""
    page = pagination.parse(request.args)
    rows, total = outbound.list_destinations(g.workspace, kind=query.kind or None,
                                             offset=page.offset, limit=page.limit)
    return listing([destination_json(r) for r in rows], page, total)


@bp.get(BASE + "/events")
@require(READ)
@endpoint("List trigger events", query=s.PageQuery, response=ws.EventTypeOut, listing=True,
          tag=TAG)
def list_events(query: s.PageQuery) -> Response:
    """The event catalogue a destination can subscribe to, with each event's data schema
    (partner, commission, bounty and payout events are reserved for later modules)."""
    page = pagination.parse(request.args)
    items, total = outbound.trigger_events_page(offset=page.offset, limit=page.limit)
    return listing(items, page, total)


@bp.post(BASE)
@require(MANAGE)
@endpoint("Create an outbound destination", body=s.DestinationCreate,
          response=s.DestinationOut, status=201, tag=TAG)
def create_destination(body: s.DestinationCreate) -> Response:
    """Private, loopback and link-local targets are refused unless WEBHOOK_ALLOW_PRIVATE is
    on. The `webhook` kind signs each delivery with `secret`, shown whole only here."""
    row = outbound.create_destination(g.workspace, g.user, _given(body))
    return created(destination_json(row, reveal=True))


@bp.get(BASE + "/<destination_id>")
@require(READ)
@endpoint("Get an outbound destination", response=s.DestinationOut, tag=TAG)
def get_destination(destination_id: str) -> Response:
    return ok(destination_json(outbound.get_destination(g.workspace, destination_id)))


@bp.patch(BASE + "/<destination_id>")
@require(MANAGE)
@endpoint("Update an outbound destination", body=s.DestinationUpdate,
          response=s.DestinationOut, tag=TAG)
def update_destination(destination_id: str, body: s.DestinationUpdate) -> Response:
    """`enabled: true` re-enables an auto-disabled destination and resets its failures."""
    row = outbound.get_destination(g.workspace, destination_id)
    row = outbound.update_destination(g.workspace, g.user, row, _given(body))
    return ok(destination_json(row))


@bp.delete(BASE + "/<destination_id>")
@require(MANAGE)
@endpoint("Delete an outbound destination", response=s.DeletedOut, tag=TAG)
def delete_destination(destination_id: str) -> Response:
    row = outbound.get_destination(g.workspace, destination_id)
    outbound.delete_destination(g.workspace, g.user, row)
    return ok({"id": destination_id, "deleted": True})


@bp.post(BASE + "/<destination_id>/test")
@require(MANAGE)
@endpoint("Send a test to an outbound destination", response=s.TestResultOut, tag=TAG)
def test_destination(destination_id: str) -> Response:
    """Sends a sample of the destination's first event now, formatted for its kind, and
    answers the status code, the (truncated) response body and the response time."""
    row = outbound.get_destination(g.workspace, destination_id)
    delivery, attempt = outbound.send_test(g.workspace, g.user, row)
    return ok(outbound.test_result(delivery, attempt))


@bp.get(BASE + "/<destination_id>/deliveries")
@require(READ)
@endpoint("List an outbound destination's deliveries", query=s.DeliveryListQuery,
          response=ws.DeliveryOut, listing=True, tag=TAG)
def list_deliveries(destination_id: str, query: s.DeliveryListQuery) -> Response:
    """Newest first, test sends included; `status` filters."""
    page = pagination.parse(request.args)
    row = outbound.get_destination(g.workspace, destination_id)
    rows, total = outbound.deliveries(row, status=query.status or None, offset=page.offset,
                                      limit=page.limit)
    return listing([webhook_delivery.serialize_delivery(d, attempts=False) for d in rows],
                   page, total)

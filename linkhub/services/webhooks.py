"""Workspace and per-link webhook endpoints: create, list, read, update, delete, enable, rotate
the signing secret, test, the delivery log and redelivery, and the endpoint limit; the field
rules are in webhook_fields. Signing, sending and retries belong to webhook_delivery; no HTTP
request handling here."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Mapping
from typing import Any

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Invalid, NotFound
from linkhub.models import Link, User, Webhook, WebhookAttempt, WebhookDelivery, Workspace
from linkhub.services import audit, webhook_delivery, webhook_events, webhook_fields

MAX_WEBHOOKS = 25  # workspace and per-link endpoints together, per workspace
SECRET_PREFIX = "whsec_"
SCOPES = ("workspace", "link")
DELIVERY_STATUSES = ("pending", "delivering", "succeeded", "failed")


# --- secrets ----------------------------------------------------------------------------------

def new_secret() -> str:
    """`whsec_` + base64 of 24 random bytes (the Standard Webhooks secret form)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def mask(secret: str) -> str:
    """What reads show: `whsec_…` and the last four characters."""
    return f"{SECRET_PREFIX}…{secret[-4:]}"


# --- reads ------------------------------------------------------------------------------------

def _endpoints(workspace: Workspace, scope: str | None, link: Link | None):
    query = Webhook.select().where(Webhook.workspace == workspace)
    if scope is None:
        query = query.where(Webhook.scope.in_(SCOPES))
    else:
        query = query.where(Webhook.scope == scope)
    if link is not None:
        query = query.where(Webhook.link == link)
    return query


def list_webhooks(workspace: Workspace, *, scope: str | None = "workspace",
                  link: Link | None = None, enabled: bool | None = None, offset: int = 0,
                  limit: int = 20) -> tuple[list[Webhook], int]:
    """Endpoints of one scope (None: workspace and per-link together), newest first."""
    query = _endpoints(workspace, scope, link)
    if enabled is not None:
        query = query.where(Webhook.enabled == enabled)
    total = query.count()
    rows = list(query.order_by(Webhook.created_at.desc(), Webhook.id.desc())
                .offset(offset).limit(limit))
    return rows, total


def get_webhook(workspace: Workspace, public_id: str, *, scope: str | None = "workspace",
                link: Link | None = None) -> Webhook:
    """The workspace's endpoint of `scope` (and `link`), or 404: another workspace's, another
    scope's, a malformed id and a missing one all answer alike."""
    webhook = None
    if ids.is_valid("webhook", public_id):
        webhook = _endpoints(workspace, scope, link).where(
            Webhook.public_id == public_id).first()
    if webhook is None:
        raise NotFound("Webhook not found.")
    return webhook


def list_deliveries(webhook: Webhook, *, status: str | None = None, offset: int = 0,
                    limit: int = 20) -> tuple[list[WebhookDelivery], int]:
    """The endpoint's deliveries, newest first, optionally of one status."""
    query = WebhookDelivery.select().where(WebhookDelivery.webhook == webhook)
    if status:
        if status not in DELIVERY_STATUSES:
            raise Invalid(fields={"status": f"must be one of {', '.join(DELIVERY_STATUSES)}"})
        query = query.where(WebhookDelivery.status == status)
    total = query.count()
    rows = list(query.order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id.desc())
                .offset(offset).limit(limit))
    return rows, total


def get_delivery(webhook: Webhook, public_id: str) -> WebhookDelivery:
    """One delivery of this endpoint, or 404 (another endpoint's included)."""
    delivery = None
    if ids.is_valid("webhook_delivery", public_id):
        delivery = WebhookDelivery.get_or_none(WebhookDelivery.webhook == webhook,
                                               WebhookDelivery.public_id == public_id)
    if delivery is None:
        raise NotFound("Delivery not found.")
    return delivery


def attempts_of(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    """The delivery's HTTP tries, first to last."""
    return list(WebhookAttempt.select().where(WebhookAttempt.delivery == delivery)
                .order_by(WebhookAttempt.number, WebhookAttempt.id))


def state_of(webhook: Webhook) -> str:
    """active | disabled (by a person) | auto_disabled (after repeated failures)."""
    if webhook.enabled:
        return "active"
    return "auto_disabled" if webhook.disabled_at is not None else "disabled"


def serialize(webhook: Webhook, *, reveal: bool = False) -> dict[str, Any]:
    """The API shape; the secret in full only when `reveal` (create and rotate)."""
    return {
        "id": webhook.public_id, "scope": webhook.scope,
        "linkId": webhook.link.public_id if webhook.link_id else None,
        "url": webhook.url, "description": webhook.name, "events": list(webhook.events or []),
        "enabled": webhook.enabled, "state": state_of(webhook),
        "secret": webhook.secret if reveal else mask(webhook.secret),
        "consecutiveFailures": webhook.consecutive_failures,
        "disabledReason": webhook.disabled_reason, "disabledAt": clock.iso(webhook.disabled_at),
        "lastDeliveryAt": clock.iso(webhook.last_delivery_at),
        "lastStatus": webhook.last_status,
        "secretRotatedAt": clock.iso(webhook.secret_rotated_at),
        "createdAt": clock.iso(webhook.created_at), "updatedAt": clock.iso(webhook.updated_at),
    }


def bool_filter(value: str | None, field: str) -> bool | None:
    """A `true`/`false` query filter (absent or empty: no filter)."""
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise Invalid(fields={field: "must be true or false"})


def scope_filter(value: str | None) -> str | None:
    if value in (None, ""):
        return None
    if value not in SCOPES:
        raise Invalid(fields={"scope": "must be workspace or link"})
    return value


PAYLOAD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "type", "createdAt", "workspaceId", "data"],
    "properties": {
        "id": {"type": "string", "description": "`evt_…`, also sent as `webhook-id`; the same "
                                                "on every retry and redelivery."},
        "type": {"type": "string", "description": "The dotted event type."},
        "createdAt": {"type": "string", "format": "date-time"},
        "workspaceId": {"type": "string", "description": "`ws_…`"},
        "data": {"type": "object", "description": "Shaped by the event type's schema."},
    },
}
SIGNING: dict[str, Any] = {
    "scheme": "Standard Webhooks (https://www.standardwebhooks.com)",
    "headers": ["webhook-id", "webhook-timestamp", "webhook-signature", "svix-id",
                "svix-timestamp", "svix-signature"],
    "signature": "v1,<base64 HMAC-SHA256 of `{webhook-id}.{webhook-timestamp}.{body}` keyed "
                 "with the base64-decoded part of the secret after `whsec_`>",
    "secretFormat": "whsec_<base64>",
    "retries": "about 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; disabled after 20 "
               "consecutive failures",
}


def event_catalogue(scope: str | None = None) -> list[dict[str, Any]]:
    """Every catalogue event with its `data` schema; `scope="link"` keeps the per-link ones."""
    return [{"type": key, "description": info.get("description", ""),
             "linkAlias": info.get("linkAlias"), "reserved": bool(info.get("reserved")),
             "schema": info.get("schema") or {}}
            for key, info in webhook_events.CATALOGUE.items()
            if scope != "link" or info.get("linkAlias")]


def catalogue_document(scope: str | None = None) -> dict[str, Any]:
    """What GET /api/webhooks-manage/events publishes."""
    return {"events": event_catalogue(scope), "linkAliases": webhook_fields.aliases(),
            "payload": PAYLOAD_SCHEMA, "signing": SIGNING}


# --- writes -----------------------------------------------------------------------------------

def _check_limit(workspace: Workspace) -> None:
    count = _endpoints(workspace, None, None).count()
    if count >= MAX_WEBHOOKS:
        raise ApiError("LIMIT_EXCEEDED", f"This workspace already has {count} webhooks, the "
                                         f"most allowed ({MAX_WEBHOOKS}); delete one first.")


def _written(workspace: Workspace) -> None:
    webhook_events.invalidate(workspace.id)


def create_webhook(workspace: Workspace, actor: User | None, data: Mapping[str, Any], *,
                   link: Link | None = None) -> Webhook:
    """A workspace endpoint, or a per-link one when `link` is given. `url` and `events` are
    required; a fresh secret is generated (read it from the row once: reads mask it)."""
    scope = "link" if link is not None else "workspace"
    data = {k: v for k, v in data.items() if v is not None or k in webhook_fields.NOT_NULL}
    data.setdefault("url", None)
    data.setdefault("events", None)
    problems = {k: "is required" for k in ("url", "events") if data[k] is None}
    try:
        given = {k: v for k, v in data.items() if k not in problems}
        changes = webhook_fields.changes(given, scope)
    except Invalid as exc:
        problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    _check_limit(workspace)
    with database.atomic():
        webhook = Webhook.create(public_id=ids.new_id("webhook"), workspace=workspace,
                                 link=link, scope=scope, kind="webhook", secret=new_secret(),
                                 created_by=actor, **changes)
        audit.record("webhook.create", "webhook", webhook.public_id, workspace=workspace,
                     actor=actor, details={"scope": scope, "events": webhook.events,
                                           **({"linkId": link.public_id} if link else {})})
    _written(workspace)
    return webhook


def _reenable(webhook: Webhook) -> None:
    webhook.enabled = True
    webhook.consecutive_failures = 0
    webhook.disabled_at = None
    webhook.disabled_reason = None


def update_webhook(workspace: Workspace, actor: User | None, webhook: Webhook,
                   data: Mapping[str, Any]) -> Webhook:
    """Apply the given keys. `enabled: true` re-enables like `enable`; a new URL starts the
    failure count again; `description: null` clears it."""
    changes = webhook_fields.changes(data, webhook.scope)
    changed = {column: value for column, value in changes.items()
               if getattr(webhook, column) != value}
    if changes.get("enabled") is True and webhook.disabled_at is not None:
        changed["enabled"] = True
    if not changed:
        return webhook
    with database.atomic():
        for column, value in changed.items():
            setattr(webhook, column, value)
        if changed.get("enabled") is True:
            _reenable(webhook)
        if changed.get("enabled") is False:
            webhook.disabled_reason = None  # switched off by a person, not by failures
        if "url" in changed:
            webhook.consecutive_failures = 0
        webhook.save()
        audit.record("webhook.update", "webhook", webhook.public_id, workspace=workspace,
                     actor=actor, details={"fields": sorted(
                         "description" if c == "name" else c for c in changed)})
    _written(workspace)
    return webhook


def delete_webhook(workspace: Workspace, actor: User | None, webhook: Webhook) -> None:
    """The endpoint goes with its deliveries and their attempts."""
    public_id, url = webhook.public_id, webhook.url
    with database.atomic():
        webhook.delete_instance()
        audit.record("webhook.delete", "webhook", public_id, workspace=workspace, actor=actor,
                     details={"url": url})
    _written(workspace)


def enable_webhook(workspace: Workspace, actor: User | None, webhook: Webhook) -> Webhook:
    """Switch the endpoint back on (after an auto-disable too): failures and the disable
    reason are cleared. Deliveries given up on while it was off stay failed: redeliver them."""
    with database.atomic():
        _reenable(webhook)
        webhook.save()
        audit.record("webhook.enable", "webhook", webhook.public_id, workspace=workspace,
                     actor=actor)
    _written(workspace)
    return webhook


def rotate_secret(workspace: Workspace, actor: User | None, webhook: Webhook) -> Webhook:
    """A new signing secret for every signature from now on (read it from the row once)."""
    with database.atomic():
        webhook.secret = new_secret()
        webhook.secret_rotated_at = clock.now()
        webhook.save()
        audit.record("webhook.rotate_secret", "webhook", webhook.public_id,
                     workspace=workspace, actor=actor)
    _written(workspace)
    return webhook


def send_test(workspace: Workspace, actor: User | None, webhook: Webhook) -> WebhookDelivery:
    """A sample event of the endpoint's first type, sent now and logged as a test."""
    delivery = webhook_delivery.test_event(webhook)
    audit.record("webhook.test", "webhook", webhook.public_id, workspace=workspace,
                 actor=actor, details={"deliveryId": delivery.public_id})
    return WebhookDelivery.get_by_id(delivery.id)


def redeliver(workspace: Workspace, actor: User | None, webhook: Webhook,
              delivery: WebhookDelivery) -> WebhookDelivery:
    """A fresh delivery of the same event (same `webhook-id`), tried once now; later tries
    follow the usual retry schedule."""
    fresh = webhook_delivery.redeliver(delivery)
    try:
        webhook_delivery.send_now(fresh)
    except ApiError as exc:
        if exc.status != 409:
            raise  # 409: the engine picked it up first and is sending it; that is the same
    audit.record("webhook.redeliver", "webhook", webhook.public_id, workspace=workspace,
                 actor=actor, details={"deliveryId": delivery.public_id,
                                       "newDeliveryId": fresh.public_id})
    return WebhookDelivery.get_by_id(fresh.id)

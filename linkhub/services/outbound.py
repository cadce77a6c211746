"""Outbound automation destinations: `Webhook` rows with scope `outbound` and a kind (webhook,
slack, zapier, segment) whose formatter the delivery engine applies. Owns the per-kind field
rules, CRUD, test sends and the delivery log; the sending itself is services/webhook_delivery."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Invalid, NotFound
from linkhub.models import User, Webhook, WebhookAttempt, WebhookDelivery, Workspace
from linkhub.services import audit, webhook_delivery, webhook_events, webhook_fields, webhooks
from linkhub.services.field_checks import boolean
from linkhub.services.webhook_formats import SEGMENT_ENDPOINT

SCOPE = "outbound"
KINDS = ("webhook", "slack", "zapier", "segment")
KIND_LABELS = {"webhook": "Webhook", "slack": "Slack", "zapier": "Zapier",
               "segment": "Segment"}
SLACK_PREFIX = "https://hooks.slack.com/"
NAME_MAX = 200
WRITE_KEY_MAX = 200
MAX_PER_WORKSPACE = 100


# --- the trigger catalogue --------------------------------------------------------------------

def trigger_events() -> list[dict[str, Any]]:
    """Event types a destination may subscribe to (the reserved partner events left out)."""
    selectable = set(webhook_fields.selectable_events("workspace"))
    return [e for e in webhooks.event_catalogue() if e["type"] in selectable]


def trigger_events_page(*, offset: int = 0,
                        limit: int = 20) -> tuple[list[dict[str, Any]], int]:
    events = trigger_events()
    return events[offset:offset + limit], len(events)


def event_type(value: Any, field: str = "event") -> str:
    """One subscribable event type; the per-link short names (`click`, …) are accepted too."""
    if value is None or value == "":
        raise Invalid(fields={field: "is required"})
    try:
        return webhook_fields.clean_events([value], "workspace")[0]
    except Invalid as exc:
        raise Invalid(fields={field: next(iter(exc.fields.values()))}) from None


# --- field checks -----------------------------------------------------------------------------

def _text(value: Any, field: str, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(fields={field: "must be a string"})
    cleaned = value.strip()
    if len(cleaned) > limit:
        raise Invalid(fields={field: f"must be at most {limit} characters"})
    return cleaned or None


def _url(value: Any, kind: str, field: str = "url") -> str:
    """The webhooks' URL rule (http(s), no private target unless allowed), plus Slack's own
    host when private targets are not allowed (a test receiver is then any URL)."""
    try:
        url = webhook_fields.clean_url(value)
    except Invalid as exc:  # the rule names `url`; report the field the caller sent
        raise Invalid(fields={field: next(iter(exc.fields.values()), "is not allowed")}) \
            from None
    if kind == "slack" and not webhook_fields.allow_private() and not url.startswith(SLACK_PREFIX):
        raise Invalid(fields={field: "must be a Slack incoming-webhook URL "
                                     f"({SLACK_PREFIX}services/…)"})
    return url



def _write_key(value: Any) -> str:
    key = _text(value, "writeKey", WRITE_KEY_MAX)
    if key is None:
        raise Invalid(fields={"writeKey": "is required for a Segment destination"})
    if any(ch.isspace() for ch in key):
        raise Invalid(fields={"writeKey": "must not contain spaces"})
    return key


def _target(kind: str, data: Mapping[str, Any], current: Webhook | None) -> dict[str, Any]:
    """url and config for the kind, from the given keys over what is stored (every problem
    reported together)."""
    changes: dict[str, Any] = {}
    if kind != "segment":
        if "url" in data or current is None:
            changes["url"] = _url(data.get("url"), kind)
        return changes
    config = dict(current.config or {}) if current is not None else {}
    problems: dict[str, str] = {}
    if "writeKey" in data or current is None:
        try:
            config["writeKey"] = _write_key(data.get("writeKey"))
        except Invalid as exc:
            problems.update(exc.fields)
    if "endpoint" in data or "url" in data or current is None:
        given = data.get("endpoint", data.get("url"))
        field = "endpoint" if "endpoint" in data else "url"
        try:
            changes["url"] = config["endpoint"] = _url(given or SEGMENT_ENDPOINT, kind, field)
        except Invalid as exc:
            problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    changes["config"] = config  # the formatter reads writeKey and endpoint from here
    return changes


def _changes(data: Mapping[str, Any], current: Webhook | None = None) -> dict[str, Any]:
    """Check every given field (all problems reported together)."""
    problems: dict[str, str] = {}
    changes: dict[str, Any] = {}
    kind = current.kind if current is not None else data.get("kind")
    if current is None and kind not in KINDS:
        problems["kind"] = ("is required" if kind is None
                            else f"must be one of {', '.join(KINDS)}")
    if current is not None and "kind" in data and data["kind"] != current.kind:
        problems["kind"] = "cannot be changed; create another destination"
    checks = (("name", lambda: _text(data["name"], "name", NAME_MAX)),
              ("events", lambda: webhook_fields.clean_events(data["events"], "workspace")),
              ("enabled", lambda: boolean(data["enabled"], "enabled")))
    if current is None and "events" not in data:
        problems["events"] = "is required: choose at least one event"
    for field, check in checks:
        if field in data:
            try:
                changes[field] = check()
            except Invalid as exc:
                problems.update(exc.fields)
    if kind in KINDS:
        try:
            changes.update(_target(kind, data, current))
        except Invalid as exc:
            problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    return changes


# --- reads ------------------------------------------------------------------------------------

def _query(workspace: Workspace):
    return Webhook.select().where(Webhook.workspace == workspace, Webhook.scope == SCOPE)


def get_destination(workspace: Workspace, public_id: str, *, kind: str | None = None) -> Webhook:
    """The workspace's outbound destination (of `kind`, when given), or 404."""
    row = None
    if ids.is_valid("webhook", public_id):
        query = _query(workspace).where(Webhook.public_id == public_id)
        if kind is not None:
            query = query.where(Webhook.kind == kind)
        row = query.first()
    if row is None:
        raise NotFound("Destination not found.")
    return row


def list_destinations(workspace: Workspace, *, kind: str | None = None, offset: int = 0,
                      limit: int = 20) -> tuple[list[Webhook], int]:
    query = _query(workspace)
    if kind is not None:
        if kind not in KINDS:
            raise Invalid(fields={"kind": f"must be one of {', '.join(KINDS)}"})
        query = query.where(Webhook.kind == kind)
    total = query.count()
    rows = list(query.order_by(Webhook.created_at.desc(), Webhook.id.desc())
                .offset(offset).limit(limit))
    return rows, total


def mask_write_key(key: str | None) -> str | None:
    """Reads show a Segment write key's last four characters only."""
    return f"…{key[-4:]}" if key else None


def deliveries(webhook: Webhook, *, status: str | None = None, offset: int = 0,
               limit: int = 20) -> tuple[list[WebhookDelivery], int]:
    """The destination's delivery log, newest first (test sends included)."""
    return webhooks.list_deliveries(webhook, status=status, offset=offset, limit=limit)


def last_attempt(delivery: WebhookDelivery) -> WebhookAttempt | None:
    return (WebhookAttempt.select().where(WebhookAttempt.delivery == delivery)
            .order_by(WebhookAttempt.number.desc(), WebhookAttempt.id.desc()).first())


# --- writes -----------------------------------------------------------------------------------

def create_destination(workspace: Workspace, actor: User | None,
                       data: Mapping[str, Any]) -> Webhook:
    """`kind`, `events` and the kind's target (`url`; Segment: `writeKey`, optional
    `endpoint`) are required; `name` and `enabled` are optional."""
    changes = _changes({k: v for k, v in data.items() if v is not None})
    if _query(workspace).count() >= MAX_PER_WORKSPACE:
        raise ApiError("LIMIT_EXCEEDED", f"A workspace may have at most {MAX_PER_WORKSPACE} "
                                         "outbound destinations.")
    with database.atomic():
        row = Webhook.create(public_id=ids.new_id("webhook"), workspace=workspace,
                             scope=SCOPE, kind=data["kind"], secret=webhooks.new_secret(),
                             created_by=actor, **{"config": {}, **changes})
        audit.record("outbound.create", "webhook", row.public_id, workspace=workspace,
                     actor=actor, details={"kind": row.kind})
    webhook_events.invalidate(workspace.id)
    return row


def update_destination(workspace: Workspace, actor: User | None, webhook: Webhook,
                       data: Mapping[str, Any]) -> Webhook:
    """Apply the given keys (kind stays). Turning a destination on again clears its failure
    count and auto-disable mark."""
    nullable = {"name"}
    bad = {k: "cannot be null" for k, v in data.items()
           if v is None and k not in nullable and k in ("events", "enabled", "url", "writeKey",
                                                        "endpoint", "kind")}
    if bad:
        raise Invalid(fields=bad)
    changes = _changes(data, webhook)
    if changes.get("enabled") is True and not webhook.enabled:
        changes.update(consecutive_failures=0, disabled_at=None, disabled_reason=None)
    changed = {k: v for k, v in changes.items() if getattr(webhook, k) != v}
    if not changed:
        return webhook
    with database.atomic():
        for column, value in changed.items():
            setattr(webhook, column, value)
        webhook.save()
        audit.record("outbound.update", "webhook", webhook.public_id, workspace=workspace,
                     actor=actor, details={"fields": sorted(changed)})
    webhook_events.invalidate(workspace.id)
    return webhook


def delete_destination(workspace: Workspace, actor: User | None, webhook: Webhook) -> None:
    """The destination and its delivery log go."""
    with database.atomic():
        public_id = webhook.public_id
        webhook.delete_instance()
        audit.record("outbound.delete", "webhook", public_id, workspace=workspace, actor=actor,
                     details={"kind": webhook.kind})
    webhook_events.invalidate(workspace.id)


def send_test(workspace: Workspace, actor: User | None,
              webhook: Webhook) -> tuple[WebhookDelivery, WebhookAttempt | None]:
    """Send a sample of the destination's first event now; returns the delivery and its try."""
    delivery = webhook_delivery.test_event(webhook)
    audit.record("outbound.test", "webhook", webhook.public_id, workspace=workspace,
                 actor=actor, details={"deliveryId": delivery.public_id})
    delivery = WebhookDelivery.get_by_id(delivery.id)  # as sent, not as queued
    return delivery, last_attempt(delivery)


def test_result(delivery: WebhookDelivery, attempt: WebhookAttempt | None) -> dict[str, Any]:
    """What a test send shows: the status code, the response body and the time it took."""
    status = attempt.status_code if attempt is not None else delivery.last_status
    return {
        "deliveryId": delivery.public_id,
        "event": delivery.event.type,
        "success": delivery.status == "succeeded",
        "statusCode": status,
        "responseBody": attempt.response_body if attempt is not None else None,
        "responseTimeMs": attempt.latency_ms if attempt is not None else None,
        "error": (attempt.error if attempt is not None else None) or delivery.last_error,
        "sentAt": clock.iso(attempt.created_at if attempt is not None else delivery.updated_at),
    }

"""One webhook try and what follows from it: build the request (webhook_formats), send it
through net_guard, record a WebhookAttempt, then mark the delivery succeeded, schedule its
retry (decisions §6 backoff) or fail it, and auto-disable an endpoint after 20 consecutive
failures (with a notification). No choosing of what to send when: webhook_delivery does that."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from linkhub import clock
from linkhub.db import database
from linkhub.models import Webhook, WebhookDelivery, Workspace
from linkhub.services import net_guard, webhook_events, webhook_formats

log = logging.getLogger(__name__)

# Waits before the 2nd, 3rd, ... try; after the last one the delivery is failed.
SCHEDULE = (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30),
            timedelta(hours=2), timedelta(hours=5), timedelta(hours=10), timedelta(hours=10))
DISABLE_AFTER = 20  # consecutive failed tries of an endpoint
KEEP_BYTES = 4096  # of a response body, in the log
READ_BYTES = 65_536  # read at most this much of a response (the rest is not wanted)
DELIVERY = WebhookDelivery._meta.table_name
BY_STATUS = "webhook_delivery_status_next_attempt_at"  # walk the backlog, not the history


def settings() -> dict[str, Any]:
    return current_app.config["LINKHUB"]


def lease_for(seconds: float) -> timedelta:
    """How long a claimed delivery stays ours: longer than any try can take (the timeout
    bounds the whole try, connecting included) plus the time to record it."""
    return timedelta(seconds=seconds + 10)


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"))


@dataclass
class Endpoint:
    """The Webhook columns a try needs (read with one statement; formats take it too)."""

    id: int
    workspace_id: int
    public_id: str
    url: str
    kind: str
    secret: str
    config: dict
    enabled: bool
    name: str | None


@dataclass
class Outgoing:
    payload: dict
    attempts: int
    is_test: bool


# The hot path is plain SQL: a busy endpoint gets hundreds of tries a second, one at a time.
_LOAD = (f'SELECT d."attempts", d."is_test", e."payload", w."id", w."workspace_id", '
         'w."public_id", w."url", w."kind", w."secret", w."config", w."enabled", w."name" '
         f'FROM "{DELIVERY}" AS d JOIN "webhook_event" AS e ON e."id" = d."event_id" '
         'JOIN "webhook" AS w ON w."id" = d."webhook_id" WHERE d."id" = ?')
_RECORD = ('INSERT INTO "webhook_attempt" ("delivery_id", "number", "created_at", '
           '"request_url", "request_headers", "request_body", "status_code", '
           '"response_headers", "response_body", "latency_ms", "error") '
           'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
_SETTLE = (f'UPDATE "{DELIVERY}" SET "status" = ?, "attempts" = ?, "last_status" = ?, '
           '"last_error" = ?, "lease_until" = NULL, "updated_at" = ?, "next_attempt_at" = ?, '
           '"delivered_at" = COALESCE(?, "delivered_at") WHERE "id" = ?')
_MINE = ' AND "status" = \'delivering\' AND "lease_until" = ?'
_SUCCEEDED = ('UPDATE "webhook" SET "consecutive_failures" = 0, "last_delivery_at" = ?, '
              '"last_status" = ?, "updated_at" = ? WHERE "id" = ?')
_FAILED = ('UPDATE "webhook" SET "consecutive_failures" = "consecutive_failures" + 1, '
           '"last_delivery_at" = ?, "last_status" = ?, "updated_at" = ? WHERE "id" = ?')


def load(delivery_id: int) -> tuple[Outgoing, Endpoint] | None:
    """The delivery's event and endpoint; None once the endpoint (and its log) was deleted."""
    row = database.execute_sql(_LOAD, (delivery_id,)).fetchone()
    if row is None:
        return None
    attempts, is_test, payload, *columns = row
    endpoint = Endpoint(*columns)
    endpoint.config = json.loads(endpoint.config) if endpoint.config else {}
    endpoint.enabled = bool(endpoint.enabled)
    return Outgoing(json.loads(payload), attempts, bool(is_test)), endpoint


def attempt(delivery_id: int, lease: datetime | None) -> tuple[str, int | None]:
    """Send the delivery once (the caller holds its lease, `lease` = its lease_until) and
    record the outcome. Returns ("succeeded" | "retrying" | "failed", the attempt's id or
    None when nothing was sent)."""
    loaded = load(delivery_id)
    if loaded is None:
        return "failed", None
    outgoing, webhook = loaded
    if not webhook.enabled and not outgoing.is_test:
        with database.atomic():
            fail_pending(webhook, "endpoint disabled", also=delivery_id)
        return "failed", None
    number = outgoing.attempts + 1
    config = settings()
    timeout = float(config["WEBHOOK_TIMEOUT_SECONDS"])
    status: int | None = None
    response_headers: dict[str, str] | None = None
    response_body: str | None = None
    latency: int | None = None
    error: str | None = None
    url, headers, body = webhook.url, {}, b""
    try:
        url, headers, body = webhook_formats.build(webhook, outgoing, number)
        fetched = net_guard.fetch("POST", url, headers=headers, body=body,
                                  allow_private=bool(config["WEBHOOK_ALLOW_PRIVATE"]),
                                  connect_timeout=min(5.0, timeout), total_timeout=timeout,
                                  max_bytes=READ_BYTES)
    except net_guard.FetchError as exc:
        error = str(exc)
    except Exception as exc:  # noqa: BLE001 (a broken endpoint config is this try's failure)
        log.exception("webhook %s: building or sending failed", webhook.public_id)
        error = f"could not send: {exc}"
    else:
        status, latency = fetched.status, fetched.elapsed_ms
        response_headers = fetched.headers
        response_body = _text(fetched.body[:KEEP_BYTES])
        if not 200 <= status < 300:
            error = f"HTTP {status}"
    error = error[:500] if error else None
    with database.atomic():
        attempt_id = database.execute_sql(_RECORD, (
            delivery_id, number, clock.now(), url[:2048],
            _json(webhook_formats.redact(headers)), _text(body), status,
            _json(response_headers), response_body, latency, error)).lastrowid
        outcome = _settle(delivery_id, outgoing.is_test, webhook, number, status, error, lease)
    if outcome == "disabled":
        webhook_events.invalidate(webhook.workspace_id)  # again, now that it is committed
        outcome = "failed"
    return outcome, attempt_id


def _settle(delivery_id: int, is_test: bool, webhook: Endpoint, number: int,
            status: int | None, error: str | None, lease: datetime | None) -> str:
    """Inside the attempt's transaction: the delivery's new state and the endpoint's
    counters. Only the lease holder changes the delivery (a lost lease records the try only)."""
    now = clock.now()
    if error is None:
        outcome, state, next_at, delivered = "succeeded", "succeeded", None, now
    elif is_test or number > len(SCHEDULE):
        outcome, state, next_at, delivered = "failed", "failed", None, None
    else:
        outcome, state = "retrying", "pending"
        next_at, delivered = now + SCHEDULE[number - 1], None
    params = [state, number, status, error, now, next_at, delivered, delivery_id]
    sql = _SETTLE
    if lease is not None:
        sql += _MINE
        params.append(lease)
    if database.execute_sql(sql, params).rowcount != 1 or is_test:
        return outcome
    if error is None:
        database.execute_sql(_SUCCEEDED, (now, status, now, webhook.id))
        return outcome
    database.execute_sql(_FAILED, (now, status, now, webhook.id))
    failures = (Webhook.select(Webhook.consecutive_failures)
                .where(Webhook.id == webhook.id).scalar())
    if failures is not None and failures >= DISABLE_AFTER and disable(webhook, failures, error):
        return "disabled"
    return outcome


def fail_pending(webhook: Endpoint | Webhook, reason: str, also: int | None = None) -> int:
    """Fail every pending delivery of the endpoint (and `also`, whatever its state)."""
    now = clock.now()
    count = database.execute_sql(
        f'UPDATE "{DELIVERY}" INDEXED BY "{BY_STATUS}" SET "status" = ?, "last_error" = ?, '
        '"next_attempt_at" = NULL, "lease_until" = NULL, "updated_at" = ? '
        'WHERE "status" = ? AND "webhook_id" = ?',
        ("failed", reason, now, "pending", webhook.id)).rowcount
    if also is not None:
        count += WebhookDelivery.update(status="failed", last_error=reason, lease_until=None,
                                        next_attempt_at=None, updated_at=now).where(
            WebhookDelivery.id == also, WebhookDelivery.status != "succeeded").execute()
    return count


def disable(webhook: Endpoint | Webhook, failures: int, error: str | None) -> bool:
    """Turn the endpoint off after DISABLE_AFTER consecutive failures: its pending deliveries
    fail, the workspace's owners and admins are notified. False if it was already off."""
    now = clock.now()
    reason = f"{failures} consecutive failed deliveries" + (f" (last: {error})" if error
                                                           else "")
    changed = Webhook.update(enabled=False, disabled_reason=reason[:255], disabled_at=now,
                             updated_at=now).where(Webhook.id == webhook.id,
                                                   Webhook.enabled == True).execute()  # noqa: E712
    if not changed:
        return False
    fail_pending(webhook, "endpoint disabled after repeated failures")
    webhook_events.invalidate(webhook.workspace_id)
    _notify(webhook, reason)
    return True


def _notify(webhook: Endpoint | Webhook, reason: str) -> None:
    """services.notifications.notify, when that module is installed (it is optional here)."""
    try:
        from linkhub.services import notifications
    except ImportError:
        log.warning("webhook %s disabled (%s); notifications are not installed",
                    webhook.public_id, reason)
        return
    name = webhook.name or webhook.url
    try:
        notifications.notify(
            Workspace.get_by_id(webhook.workspace_id), "webhook_disabled",
            f"Webhook disabled: {name}"[:200],
            f"The endpoint {webhook.url} ({webhook.public_id}) was turned off after "
            f"{reason}. Fix the receiver, then enable it again; its failed deliveries can "
            "be redelivered.")
    except Exception:  # noqa: BLE001 (a notification problem must not undo the disabling)
        log.exception("could not notify about disabled webhook %s", webhook.public_id)

"""The webhook delivery engine: claims due deliveries with a lease (two engines never send the
same one; an expired lease is pending again, so a crash resends at most once more with the same
`webhook-id`), in order per endpoint (only its oldest unfinished delivery is ever in flight),
on a bounded thread pool. Also send-now, redeliver, test sends and the serialised shapes.
One try and its bookkeeping live in webhook_attempts; choosing what is due lives here."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import Conflict
from linkhub.models import Webhook, WebhookAttempt, WebhookDelivery, WebhookEvent, Workspace
from linkhub.services import webhook_attempts, webhook_events
from linkhub.services.webhook_attempts import BY_STATUS, DELIVERY, lease_for

log = logging.getLogger(__name__)

ACTIVE = ("pending", "delivering")
CHAIN_MAX = 500  # deliveries one worker sends to one endpoint in a row before letting go
CHAIN_SECONDS = 5.0
FLOORS_SECONDS = 300.0  # per-endpoint cursors are rebuilt this often (and on any invalidate)
_HEAD = (f'SELECT "id", "status", "next_attempt_at", "lease_until" FROM "{DELIVERY}" '
         'NOT INDEXED WHERE "id" >= ? AND "webhook_id" = ? AND "status" IN (?, ?) '
         'ORDER BY "id" LIMIT 1')
_FLOOR = (f'SELECT MIN("id") FROM "{DELIVERY}" INDEXED BY "{BY_STATUS}" '
          'WHERE "status" IN (?, ?) AND "webhook_id" = ?')
_DUE = (f'SELECT "webhook_id", MIN("next_attempt_at") FROM "{DELIVERY}" '
        'WHERE "status" = ? AND "next_attempt_at" <= ? GROUP BY "webhook_id" ORDER BY 2')
_EXPIRED = (f'SELECT DISTINCT "webhook_id" FROM "{DELIVERY}" '
            'WHERE "status" = ? AND "lease_until" <= ?')
_PUSH_BACK = (f'UPDATE "{DELIVERY}" INDEXED BY "{BY_STATUS}" SET "next_attempt_at" = ? '
              'WHERE "status" = ? AND "next_attempt_at" < ? AND "webhook_id" = ? AND "id" > ?')
_CLAIM = (f'UPDATE "{DELIVERY}" SET "status" = ?, "lease_until" = ?, "updated_at" = ? '
          'WHERE "id" = ? AND (("status" = ? AND "next_attempt_at" <= ?) '
          'OR ("status" = ? AND "lease_until" <= ?))')


class Engine:
    """Per app: the worker pool, the endpoints in flight here, and per-endpoint cursors (an id
    at or below the endpoint's oldest unfinished delivery, so finding it never walks the
    endpoint's whole history)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.workers = int(app.config["LINKHUB"]["WEBHOOK_WORKERS"])
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.inflight: set[int] = set()
        self.floors: dict[int, int] = {}
        self._floors_key = (webhook_events.generation(), time.monotonic())
        self.stopping = False
        self.idle = threading.Event()  # set whenever a worker lets an endpoint go
        self.idle.set()

    def executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.workers,
                                                    thread_name_prefix="linkhub-webhook")
            return self._executor

    def shutdown(self, wait: bool = True) -> None:
        """Stop taking work; with `wait`, let the tries in flight finish (bounded by their
        timeouts). What was not started stays pending in the table."""
        self.stopping = True
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=True)

    # ---- finding the head of each endpoint's queue -----------------------------------------
    def _fresh_floors(self) -> None:
        generation, since = self._floors_key
        if generation != webhook_events.generation() or time.monotonic() - since > FLOORS_SECONDS:
            self.floors = {}
            self._floors_key = (webhook_events.generation(), time.monotonic())

    def head(self, webhook_id: int) -> tuple | None:
        """(id, status, next_attempt_at, lease_until) of the endpoint's oldest unfinished
        delivery, or None."""
        floor = self.floors.get(webhook_id)
        if floor is None:
            floor = database.execute_sql(_FLOOR, (*ACTIVE, webhook_id)).fetchone()[0]
            if floor is None:
                return None
        row = database.execute_sql(_HEAD, (floor, webhook_id, *ACTIVE)).fetchone()
        if row is None:
            self.floors.pop(webhook_id, None)
            return None
        self.floors[webhook_id] = row[0]
        return row[0], row[1], _when(row[2]), _when(row[3])

    def claim(self, delivery_id: int, now: datetime) -> datetime | None:
        """Take the lease on a due delivery; its lease_until, or None if it was not ours."""
        lease = now + lease_for(float(self.app.config["LINKHUB"]["WEBHOOK_TIMEOUT_SECONDS"]))
        changed = database.execute_sql(_CLAIM, ("delivering", lease, now, delivery_id,
                                                "pending", now, "delivering", now)).rowcount
        return lease if changed == 1 else None

    def _claim_head(self, webhook_id: int, now: datetime) -> tuple[int, datetime] | None:
        head = self.head(webhook_id)
        if head is None:
            return None
        delivery_id, status, next_at, lease_until = head
        if status == "delivering":
            if lease_until is not None and lease_until > now:
                return None  # another engine is sending it
        elif next_at is None or next_at > now:
            if next_at is not None:  # later ones wait behind it: out of the due range
                database.execute_sql(_PUSH_BACK, (next_at, "pending", next_at, webhook_id,
                                                  delivery_id))
            return None
        lease = self.claim(delivery_id, now)
        return (delivery_id, lease) if lease is not None else None

    # ---- one pass ------------------------------------------------------------------------
    def run_pass(self, wait: bool) -> dict[str, Any]:
        self._fresh_floors()
        now = clock.now()
        due = [row[0] for row in database.execute_sql(_DUE, ("pending", now))]
        expired = [row[0] for row in database.execute_sql(_EXPIRED, ("delivering", now))]
        started: list[Future] = []
        for webhook_id in dict.fromkeys(expired + due):
            with self._lock:
                if self.stopping or len(self.inflight) >= self.workers:
                    break
                if webhook_id in self.inflight:
                    continue
                self.inflight.add(webhook_id)
            claimed = None
            try:
                claimed = self._claim_head(webhook_id, now)
            finally:
                if claimed is None:
                    self._release(webhook_id)
            if claimed is not None:
                self.idle.clear()
                started.append(self.executor().submit(self._chain, webhook_id, *claimed))
        result: dict[str, Any] = {"started": len(started)}
        if wait and started:
            wait_for(started)
            totals = {"succeeded": 0, "retrying": 0, "failed": 0}
            for future in started:
                for key, count in future.result().items():
                    totals[key] = totals.get(key, 0) + count
            result.update(totals)
        return result

    def _release(self, webhook_id: int) -> None:
        with self._lock:
            self.inflight.discard(webhook_id)
            if not self.inflight:
                self.idle.set()
        webhook_events.wakeup.set()  # a worker is free: the dispatcher may start more

    def _chain(self, webhook_id: int, delivery_id: int, lease: datetime) -> dict[str, int]:
        """In a worker: send the claimed delivery, then the endpoint's next ones while they
        succeed and are due (bounded), so a busy endpoint is not limited to one per pass."""
        counts = {"succeeded": 0, "retrying": 0, "failed": 0}
        started = time.monotonic()
        try:
            with self.app.app_context():
                while True:  # never leave the loop holding a claim it did not send
                    outcome, _ = webhook_attempts.attempt(delivery_id, lease)
                    counts[outcome] += 1
                    if (outcome != "succeeded" or self.stopping or sum(counts.values())
                            >= CHAIN_MAX or time.monotonic() - started > CHAIN_SECONDS):
                        break
                    claimed = self._claim_head(webhook_id, clock.now())
                    if claimed is None:
                        break
                    delivery_id, lease = claimed
        except Exception:  # the lease lapses and the delivery is tried again
            log.exception("webhook delivery worker failed (endpoint %s)", webhook_id)
        finally:
            database.close()
            self._release(webhook_id)
        return counts


def _when(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


_engines_lock = threading.Lock()


def engine(app: Flask | None = None) -> Engine:
    """The app's engine (created on first use; never started by create_app)."""
    app = app or current_app._get_current_object()
    with _engines_lock:
        found = app.extensions.get("linkhub.webhook_engine")
        if found is None or found.stopping:
            found = app.extensions["linkhub.webhook_engine"] = Engine(app)
        return found


def deliver_due(wait: bool = True) -> dict[str, Any]:
    """One pass of the engine (the `webhook-deliver` job): claim the oldest due delivery of
    each endpoint with work, as many as there are free workers, and send them. With `wait`
    (the job) it returns when those sends are done; the dispatcher does not wait."""
    return engine().run_pass(wait)


# --- operator actions -------------------------------------------------------------------------

def send_now(delivery: WebhookDelivery) -> WebhookAttempt:
    """One synchronous try of `delivery`, recorded (test and redeliver). 409 CONFLICT while
    another worker is sending it."""
    now = clock.now()
    lease = now + lease_for(float(current_app.config["LINKHUB"]["WEBHOOK_TIMEOUT_SECONDS"]))
    taken = WebhookDelivery.update(status="delivering", lease_until=lease, updated_at=now).where(
        (WebhookDelivery.id == delivery.id)
        & ((WebhookDelivery.status != "delivering") | (WebhookDelivery.lease_until <= now))
    ).execute()
    if not taken:
        raise Conflict("CONFLICT", "This delivery is being sent right now; try again shortly.")
    _, attempt_id = webhook_attempts.attempt(delivery.id, lease)
    if attempt_id is None:  # the endpoint is disabled: nothing was sent
        return WebhookAttempt(delivery=delivery.id, number=delivery.attempts, created_at=now,
                              request_url=Webhook.get_by_id(delivery.webhook_id).url,
                              request_headers={}, request_body="", error="endpoint disabled")
    return WebhookAttempt.get_by_id(attempt_id)


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """A fresh pending delivery of the same event to the same endpoint (same `webhook-id`)."""
    now = clock.now()
    fresh = WebhookDelivery.create(
        public_id=ids.new_id("webhook_delivery"), webhook=delivery.webhook_id,
        event=delivery.event_id, status="pending", attempts=0, next_attempt_at=now,
        is_test=delivery.is_test, created_at=now, updated_at=now)
    webhook_events.wakeup.set()
    return fresh


def test_event(webhook: Webhook) -> WebhookDelivery:
    """A test delivery of a sample event of the endpoint's first type, sent now (no retries,
    not counted against the endpoint). Returns the delivery as it stands after the try."""
    names = [webhook_events.full_name(n) for n in (webhook.events or []) if isinstance(n, str)]
    type_ = next((n for n in names if n in webhook_events.CATALOGUE
                  and not webhook_events.CATALOGUE[n]["reserved"]), "link.created")
    now = clock.now()
    workspace = Workspace.get_by_id(webhook.workspace_id)
    public_id = ids.new_id("event")
    event = WebhookEvent.create(
        public_id=public_id, workspace=webhook.workspace_id, link=webhook.link_id, type=type_,
        payload=webhook_events.payload(public_id, type_, now, workspace.public_id,
                                       webhook_events.sample(type_)), created_at=now)
    lease = now + lease_for(float(current_app.config["LINKHUB"]["WEBHOOK_TIMEOUT_SECONDS"]))
    delivery = WebhookDelivery.create(
        public_id=ids.new_id("webhook_delivery"), webhook=webhook.id, event=event.id,
        status="delivering", lease_until=lease, attempts=0, is_test=True, created_at=now,
        updated_at=now)
    webhook_attempts.attempt(delivery.id, lease)
    return WebhookDelivery.get_by_id(delivery.id)


# --- shapes -----------------------------------------------------------------------------------

def serialize_attempt(a: WebhookAttempt) -> dict[str, Any]:
    return {
        "number": a.number, "createdAt": clock.iso(a.created_at), "requestUrl": a.request_url,
        "requestHeaders": a.request_headers, "requestBody": a.request_body,
        "statusCode": a.status_code, "responseHeaders": a.response_headers,
        "responseBody": a.response_body, "latencyMs": a.latency_ms, "error": a.error,
    }


def serialize_delivery(d: WebhookDelivery, *, attempts: bool) -> dict[str, Any]:
    """A delivery as the API shows it; with `attempts`, every try (oldest first) as well."""
    event = WebhookEvent.get_by_id(d.event_id)
    webhook_public = (Webhook.select(Webhook.public_id).where(Webhook.id == d.webhook_id)
                      .scalar())
    out = {
        "id": d.public_id, "webhookId": webhook_public, "eventId": event.public_id,
        "eventType": event.type, "status": d.status, "attemptCount": d.attempts,
        "nextAttemptAt": clock.iso(d.next_attempt_at) if d.status == "pending" else None,
        "lastStatus": d.last_status, "lastError": d.last_error,
        "deliveredAt": clock.iso(d.delivered_at), "test": d.is_test,
        "createdAt": clock.iso(d.created_at), "updatedAt": clock.iso(d.updated_at),
        "payload": event.payload,
    }
    if attempts:
        rows = (WebhookAttempt.select().where(WebhookAttempt.delivery == d.id)
                .order_by(WebhookAttempt.number, WebhookAttempt.id))
        out["attempts"] = [serialize_attempt(a) for a in rows]
    return out

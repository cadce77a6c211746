"""The webhook event catalogue and the outbox writer: `emit` records an event plus one pending
delivery per subscribed endpoint inside the caller's transaction (nothing when nobody
subscribes, found with one dict lookup); `emit_clicks` does it for a flushed click batch. No
sending here (webhook_delivery does that)."""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from linkhub import clock, ids
from linkhub.db import database
from linkhub.models import Link, Webhook, WebhookDelivery, WebhookEvent, Workspace
from linkhub.services.webhook_catalogue import CATALOGUE, sample  # noqa: F401 (interface)

log = logging.getLogger(__name__)

CACHE_SECONDS = 60.0  # a safety net: services invalidate after every endpoint write
CHUNK = 200

# Set whenever an event is written: the dispatcher wakes up at once instead of at its tick.
wakeup = threading.Event()

# Subscriptions per database (each test app has its own) and workspace:
# {event type: [(webhook id, link id or None), ...]}, with the time they were read.
Subscriptions = dict[str, list[tuple[int, int | None]]]
_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_generation = 0
_lock = threading.Lock()
_ALIASES = {info["linkAlias"]: name for name, info in CATALOGUE.items() if info["linkAlias"]}


def generation() -> int:
    """Bumped by every invalidate(): the delivery engine drops its per-endpoint cursors."""
    return _generation


def _cache() -> dict[int, tuple[float, Subscriptions]]:
    db = database.obj
    found = _caches.get(db)
    if found is None:
        found = _caches.setdefault(db, {})
    return found


def invalidate(workspace_id: int) -> None:
    """Forget the workspace's subscriptions (call after every endpoint write, and commit)."""
    global _generation
    with _lock:
        _generation += 1
        _cache().pop(workspace_id, None)


def full_name(name: str) -> str:
    """`click` -> `link.clicked`; full names unchanged."""
    return _ALIASES.get(name, name)


def subscriptions(workspace_id: int) -> Subscriptions:
    """Event type -> enabled endpoints of the workspace receiving it."""
    cache = _cache()
    entry = cache.get(workspace_id)
    now = time.monotonic()
    if entry is not None and now - entry[0] < CACHE_SECONDS:
        return entry[1]
    started = _generation
    subs: Subscriptions = {}
    rows = (Webhook.select(Webhook.id, Webhook.link, Webhook.scope, Webhook.events)
            .where(Webhook.workspace == workspace_id, Webhook.enabled == True)  # noqa: E712
            .order_by(Webhook.id))
    for row in rows:
        link_id = row.link_id if row.scope == "link" else None
        if row.scope == "link" and link_id is None:
            continue
        for name in row.events or []:
            if isinstance(name, str):
                subs.setdefault(full_name(name), []).append((row.id, link_id))
    with _lock:
        if started == _generation:  # an invalidate() meanwhile: do not keep what we read
            cache[workspace_id] = (now, subs)
    return subs


def _matching(subs: Subscriptions, type_: str, link_id: int | None) -> list[int]:
    return [webhook_id for webhook_id, only_link in subs.get(type_, ())
            if only_link is None or only_link == link_id]


def _id_of(value: Any) -> int | None:
    if value is None:
        return None
    return value if isinstance(value, int) else value.id


def emit(workspace: Workspace | int, type: str, data: dict | Callable[[], dict], *,
         link: Link | int | None = None, created_at: Any = None) -> WebhookEvent | None:
    """Write the event and one pending delivery per enabled endpoint subscribed to `type`
    (per-link endpoints only for their `link`), in the caller's transaction. `data` may be a
    callable, called only when someone subscribes. None (nothing written) when nobody does."""
    workspace_id = _id_of(workspace)
    link_id = _id_of(link)
    targets = _matching(subscriptions(workspace_id), type, link_id)
    if not targets:
        return None
    public_ws = (workspace.public_id if isinstance(workspace, Workspace)
                 else Workspace.get_by_id(workspace_id).public_id)
    body = data() if callable(data) else data
    now = clock.now()
    at = created_at or now
    public_id = ids.new_id("event")
    event = WebhookEvent.create(
        public_id=public_id, workspace=workspace_id, link=link_id, type=type,
        payload=payload(public_id, type, at, public_ws, body), created_at=at)
    WebhookDelivery.insert_many([_delivery(webhook_id, event.id, now)
                                 for webhook_id in targets]).execute()
    wakeup.set()
    return event


def payload(public_id: str, type_: str, at: Any, workspace_public_id: str,
            data: dict) -> dict[str, Any]:
    return {"id": public_id, "type": type_, "createdAt": clock.iso(at),
            "workspaceId": workspace_public_id, "data": data}


def _delivery(webhook_id: int, event_id: int, now: Any) -> dict[str, Any]:
    return {"public_id": ids.new_id("webhook_delivery"), "webhook": webhook_id,
            "event": event_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
            "created_at": now, "updated_at": now, "is_test": False}


# --- the services' events -------------------------------------------------------------------

def link_data(link: Link) -> dict[str, Any]:
    """The link as the API shows it (the links API's own serialiser)."""
    from linkhub.api.links import link_json  # the one public shape of a link
    from linkhub.services import links

    return link_json(link, links.relations([link])[link.id])


def emit_link(workspace: Workspace, type_: str, link: Link) -> WebhookEvent | None:
    """`link.created` / `link.updated` / `link.deleted` for `link` (inside the write's
    transaction)."""
    return emit(workspace, type_, lambda: link_data(link), link=link)


def emit_conversion(workspace: Workspace, conversion: Any) -> list[WebhookEvent]:
    """`conversion.created`, plus `lead.created` or `sale.created` by the event's kind."""
    from linkhub.services import conversions

    kind = conversions.kind_of(conversion.event)
    types = ["conversion.created"] + ([f"{kind}.created"] if kind in ("lead", "sale") else [])
    subs = subscriptions(workspace.id)
    if not any(_matching(subs, t, conversion.link_id) for t in types):
        return []
    data = conversions.serialize(conversion)
    events = [emit(workspace, t, data, link=conversion.link_id) for t in types]
    return [e for e in events if e is not None]


# --- clicks (inside the click writer's flush transaction) ------------------------------------

_CLICK_TYPES = ("link.clicked", "qr.scanned")


def emit_clicks(rows: list[dict[str, Any]]) -> int:
    """`link.clicked` (or `qr.scanned` for QR scans) for each human click of a flushed batch,
    called by the click writer inside its transaction. Costs one dict lookup per workspace
    when nobody subscribes. A row it cannot describe is skipped and logged, never raised (a
    raise would roll the click batch back); database errors do propagate, by design."""
    workspaces = {row.get("workspace") for row in rows}
    if not any(subscriptions(ws) for ws in workspaces if ws is not None):
        return 0  # the usual case: one cached lookup per workspace, no pass over the rows
    wanted: list[tuple[dict[str, Any], str, list[int]]] = []
    subs_by_ws: dict[int, Subscriptions] = {}
    for row in rows:
        if row.get("bot"):
            continue
        try:
            ws = row["workspace"]
            subs = subs_by_ws.get(ws)
            if subs is None:
                subs = subs_by_ws[ws] = subscriptions(ws)
            if not subs:
                continue
            type_ = "qr.scanned" if row.get("trigger") == "qr" else "link.clicked"
            targets = _matching(subs, type_, row["link"])
        except Exception:  # noqa: BLE001 (a malformed row must not cost the batch)
            log.exception("webhook events: skipped a click row")
            continue
        if targets:
            wanted.append((row, type_, targets))
    if not wanted:
        return 0
    links = _links({row["link"] for row, _, _ in wanted})
    spaces = dict(Workspace.select(Workspace.id, Workspace.public_id)
                  .where(Workspace.id.in_(list({row["workspace"] for row, _, _ in wanted})))
                  .tuples())
    now = clock.now()
    events: list[dict[str, Any]] = []
    targets_of: list[list[int]] = []
    for row, type_, targets in wanted:
        try:
            public_id = ids.new_id("event")
            data = click_data(row, links.get(row["link"]))
            events.append({"public_id": public_id, "workspace": row["workspace"],
                           "link": row["link"], "type": type_, "created_at": row["created_at"],
                           "payload": payload(public_id, type_, row["created_at"],
                                              spaces[row["workspace"]], data)})
            targets_of.append(targets)
        except Exception:  # noqa: BLE001
            log.exception("webhook events: could not describe click %s", row.get("public_id"))
    if not events:
        return 0
    for start in range(0, len(events), CHUNK):
        chunk = events[start:start + CHUNK]
        chunk_targets = targets_of[start:start + CHUNK]
        new_ids = dict((public_id, pk) for pk, public_id in WebhookEvent.insert_many(chunk)
                       .returning(WebhookEvent.id, WebhookEvent.public_id).tuples().execute())
        deliveries = [_delivery(webhook_id, new_ids[event["public_id"]], now)
                      for event, targets in zip(chunk, chunk_targets, strict=True)
                      for webhook_id in targets]
        for part in range(0, len(deliveries), CHUNK):
            WebhookDelivery.insert_many(deliveries[part:part + CHUNK]).execute()
    wakeup.set()
    return len(events)


def _links(link_ids: set[int]) -> dict[int, tuple[str, str]]:
    rows = (Link.select(Link.id, Link.public_id, Link.short_code)
            .where(Link.id.in_(list(link_ids))).tuples())
    return {pk: (public_id, code) for pk, public_id, code in rows}


def click_data(row: dict[str, Any], link: tuple[str, str] | None) -> dict[str, Any]:
    public_id, code = link if link is not None else (None, None)
    return {
        "clickId": row.get("public_id"), "linkId": public_id, "shortCode": code,
        "trigger": row.get("trigger") or "link", "unique": bool(row.get("is_unique")),
        "country": row.get("country"), "city": row.get("city"),
        "device": row.get("device_type"), "browser": row.get("browser"), "os": row.get("os"),
        "referrer": row.get("referrer"), "referrerDomain": row.get("referrer_domain"),
        "ruleId": row.get("rule_public_id"), "destinationUrl": row.get("destination_url"),
        "timestamp": clock.iso(row.get("created_at")),
    }

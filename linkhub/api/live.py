"""/api/analytics/live…: the live feed as a poll, counters, a Server-Sent Events stream, and
the WebSocket route that points to the stream (waitress cannot upgrade). The stream is bounded
in time and in number, so it never holds a waitress worker thread for long."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request

from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import ok
from linkhub.errors import ApiError
from linkhub.schemas import analytics_revenue as s
from linkhub.services import live

log = logging.getLogger(__name__)
bp = Blueprint("live", __name__, url_prefix="/analytics")
TAG = "Analytics"
READ = "analytics:read"
STREAM_PATH = "/api/analytics/live/stream"

STREAM_SECONDS = 300.0  # then `event: end`; EventSource reconnects after RETRY_MS
HEARTBEAT_SECONDS = 15.0  # a comment line; also how a gone client is noticed
POLL_SECONDS = 1.0  # the click writer flushes every second
RETRY_MS = 3000


def _slots(app: Flask) -> threading.BoundedSemaphore:
    """At most a quarter of the worker threads (at least one) may serve streams at once."""
    slots = app.extensions.get("linkhub.live_streams")
    if slots is None:
        slots = app.extensions.setdefault("linkhub.live_streams", threading.BoundedSemaphore(
            max(1, app.config["LINKHUB"]["THREADS"] // 4)))
    return slots


@bp.get("/live")
@require(READ)
@endpoint("Recent live events", query=s.LiveQuery, response=s.LiveEventsOut, tag=TAG)
def live_events(query: s.LiveQuery) -> Response:
    """Clicks (`click`), QR scans (`qr_scan`) and conversions (`conversion`) of the last
    `minutes`, newest first, with `linkTitle` and `campaignName`; `meta` has the window's
    counts. Clicks appear once the writer has flushed them (at most about a second)."""
    events, meta = live.recent(g.workspace, live.parse(request.args))
    return ok(events, meta=meta)


@bp.get("/live/stats")
@require(READ)
@endpoint("Live counters", query=s.LiveStreamQuery, response=s.LiveStatsOut, tag=TAG)
def live_stats(query: s.LiveStreamQuery) -> Response:
    """Clicks, QR scans, conversions, leads, sales and USD revenue of the last minute, five
    minutes and hour."""
    return ok(live.stats(g.workspace, live.parse(request.args).include_bots))


def _frame(data: dict[str, Any], *, event: str | None = None, cursor: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    head += f"id: {cursor}\n" if cursor else ""
    return head + "data: " + json.dumps(data, separators=(",", ":")) + "\n\n"


def _stream(workspace: Any, cursor: live.Cursor, include_bots: bool) -> Iterator[str]:
    started = time.monotonic()
    beat = started + HEARTBEAT_SECONDS
    yield f"retry: {RETRY_MS}\n: linkhub live stream\n\n"
    yield _frame({"maxSeconds": STREAM_SECONDS, "heartbeatSeconds": HEARTBEAT_SECONDS},
                 event="ready", cursor=live.cursor_text(cursor))
    while True:
        try:
            events = live.since_cursor(workspace, cursor, include_bots)
        except Exception:
            log.exception("live stream read failed")
            yield _frame({"reason": "error", "retryMs": RETRY_MS}, event="end")
            return
        for position, item in enumerate(events, 1):
            last = position == len(events)
            yield _frame(item, cursor=live.cursor_text(cursor) if last else None)
        now = time.monotonic()
        if now >= beat:
            yield ": heartbeat\n\n"
            beat = now + HEARTBEAT_SECONDS
        left = started + STREAM_SECONDS - now
        if left <= 0:
            yield _frame({"reason": "timeout", "retryMs": RETRY_MS}, event="end",
                         cursor=live.cursor_text(cursor))
            return
        time.sleep(min(POLL_SECONDS, left, max(beat - now, 0.01)))


@bp.get("/live/stream")
@require(READ)
@endpoint("Live events as Server-Sent Events", query=s.LiveStreamQuery, tag=TAG,
          media_type="text/event-stream", errors=("SERVICE_UNAVAILABLE",))
def live_stream(query: s.LiveStreamQuery) -> Response:
    """`text/event-stream`: one unnamed event per new click, QR scan or conversion (the same
    JSON as GET /live), a `: heartbeat` comment every 15 s, and after at most 5 minutes an
    `end` event; EventSource then reconnects (`retry: 3000`) and resumes from `Last-Event-ID`.
    Only a few streams may be open at once (503 SERVICE_UNAVAILABLE: poll GET /live)."""
    include_bots = live.parse(request.args).include_bots
    if request.method == "HEAD":  # headers only: never hold a worker for a body nobody reads
        return Response(mimetype="text/event-stream", headers={"Cache-Control": "no-store"})
    slots = _slots(current_app)
    if not slots.acquire(blocking=False):
        raise ApiError("SERVICE_UNAVAILABLE", "Too many live streams are open; poll GET "
                       "/api/analytics/live instead or retry later.",
                       headers={"Retry-After": "30"})
    try:
        cursor = live.resume_cursor(request.headers.get("Last-Event-ID"))
    except BaseException:
        slots.release()
        raise
    # The generator needs no request context (models, clock and JSON only), so none is kept
    # alive for the stream's minutes.
    response = Response(_stream(g.workspace, cursor, include_bots), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})
    response.call_on_close(slots.release)
    return response


# A real WebSocket handshake (`Connection: Upgrade` + `Upgrade: websocket`) only matches a rule
# marked websocket=True in werkzeug (else 400 before any view): the same view serves both.
@bp.route("/live/ws", methods=["GET"], websocket=True, endpoint="live_ws_handshake")
@bp.get("/live/ws")
@require(READ)
@endpoint("Live events over WebSocket (not available: use the SSE stream)", tag=TAG,
          errors=("UPGRADE_REQUIRED", "SERVICE_UNAVAILABLE"))
def live_ws() -> Response:
    """waitress cannot upgrade a connection: 426 UPGRADE_REQUIRED without an `Upgrade`
    header, 503 SERVICE_UNAVAILABLE with one; both name the SSE stream to use instead."""
    extra = {"stream": STREAM_PATH}
    if not request.headers.get("Upgrade"):
        raise ApiError("UPGRADE_REQUIRED", "This is a WebSocket endpoint; this server streams "
                       f"live events as Server-Sent Events at {STREAM_PATH}.", extra=extra)
    raise ApiError("SERVICE_UNAVAILABLE", "WebSockets are not available on this server; use "
                   f"the Server-Sent Events stream at {STREAM_PATH}.", extra=extra)

"""/api/events: the conversion event stream (leads and sales) with its own `meta` envelope
(`page`, `limit`, `hasMore`; no total). Parse, call services/events.py, serialise."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import stream
from linkhub.schemas import events as s
from linkhub.services import events

bp = Blueprint("events", __name__)
TAG = "Events"
DEFAULT_LIMIT = 50


@bp.get("/events")
@require("links:read")
@endpoint("The conversion event stream", query=s.EventQuery, response=s.EventList, tag=TAG)
def list_events(query: s.EventQuery) -> Response:
    """Lead and sale events, newest first. Filters `type` (lead|sale), `linkId`,
    `customerId`, `start`/`end` (a date-only `end` means 23:59:59); `sortBy` timestamp,
    event_type, event_name, amount_in_usd, country or customer_external_id; `page`, `limit`
    (default 50, at most 100). The answer is `data` plus `meta: {page, limit, hasMore}`. Bad
    filters answer 400 VALIDATION_ERROR."""
    page = pagination.parse(request.args, default_limit=DEFAULT_LIMIT)
    rows, more = events.stream(g.workspace, type=query.type, link_id=query.linkId,
                               customer_id=query.customerId, start=query.start,
                               end=query.end, sort_by=query.sortBy,
                               sort_order=query.sortOrder, offset=page.offset,
                               limit=page.limit)
    return stream(rows, page, more)

"""/api/conversions: track, postback, the old public /s2s, list, get and status change. Parse,
call services/conversions.py, serialise with the envelope; no business rule here (field names
are only renamed to the ones each route's callers sent)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.errors import Invalid
from linkhub.models import Conversion
from linkhub.schemas import conversions as s
from linkhub.services import conversion_queries, conversions

bp = Blueprint("conversions", __name__)
TAG = "Conversions"
POSTBACK_NAMES = {"clickId": "lw_cid", "value": "amount"}


def _renamed(exc: Invalid, names: dict[str, str]) -> Invalid:
    return Invalid(fields={names.get(k, k): v for k, v in exc.fields.items()})


def _tracked(conversion: Conversion) -> dict[str, Any]:
    data = conversions.serialize(conversion)
    return {
        "conversionId": data["id"], "clickId": data["clickId"], "event": data["event"],
        "value": data["value"], "currency": data["currency"], "valueUsd": data["valueUsd"],
        "orderId": data["orderId"], "tracked": True, "timestamp": data["occurredAt"],
        "linkId": data["linkId"], "campaignId": data["campaignId"],
        "customerId": data["customerId"],
    }


@bp.post("/conversions/track")
@require("conversions:write")
@endpoint("Track a conversion", body=s.TrackBody, response=s.TrackOut, status=201, tag=TAG,
          errors=("DUPLICATE_ORDER",))
def track(body: s.TrackBody) -> Response:
    """The click id must belong to this workspace and be inside its attribution window
    (default 30 days), else 400 VALIDATION_ERROR on `clickId`; a click still in the write
    buffer counts at once. A repeated `orderId` is 409 DUPLICATE_ORDER. Values are stored in
    `currency` and converted to USD at the day's rate."""
    conversion = conversions.track(g.workspace, g.user, body.model_dump())
    return created(_tracked(conversion))


@bp.get("/conversions/postback")
@require("conversions:write")
@endpoint("Record a conversion from a server postback", query=s.PostbackQuery,
          response=s.PostbackOut, tag=TAG, errors=("DUPLICATE_ORDER",))
def postback(query: s.PostbackQuery) -> Response:
    """For shop-style postbacks (`?lw_cid=…&amount=…`). An unknown, foreign or expired click
    id answers 200 with `tracked: false` (postback callers retry on errors); other bad input
    is 400."""
    if not query.lw_cid:
        raise Invalid(fields={"lw_cid": "is required"})
    problems: dict[str, str] = {}
    amounts: dict[str, Any] = {}
    for name, field in (("amount", "value"), ("payout", "payout")):
        try:
            amounts[field] = conversions.parse_amount(getattr(query, name), name)
        except Invalid as exc:
            problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    data = {"clickId": query.lw_cid, "event": query.event, "currency": query.currency,
            "orderId": query.orderId, **amounts}
    try:
        conversion = conversions.track(g.workspace, g.user, data, source="postback")
    except conversions.UnknownClick as exc:
        return ok({"conversionId": None, "clickId": query.lw_cid, "tracked": False,
                   "reason": f"lw_cid {exc.fields.get('clickId', 'is invalid')}"})
    except Invalid as exc:
        raise _renamed(exc, POSTBACK_NAMES) from None
    return ok({"conversionId": conversion.public_id, "clickId": conversion.click_public_id,
               "tracked": True, "reason": None})


@bp.post("/conversions/s2s")
@endpoint("Record a conversion server-to-server (old, no key)", body=s.S2sBody,
          response=s.S2sOut, status=201, tag=TAG, public=True, errors=("RATE_LIMITED",))
def server_to_server(body: s.S2sBody) -> Response:
    """No credentials: the click id is the secret and picks the workspace. Rate-limited per
    IP. 201 the first time; a repeated `order_id` answers 200 with `duplicate: true` and the
    first conversion's id."""
    conversion, duplicate = conversions.s2s(body.model_dump(), g.client_ip)
    data = conversions.serialize(conversion)
    out = {"conversionId": data["id"], "attributed": data["clickId"] is not None,
           "linkId": data["linkId"], "campaignId": data["campaignId"], "duplicate": duplicate}
    return ok(out) if duplicate else created(out)


@bp.get("/conversions")
@require("conversions:read")
@endpoint("List conversions", query=s.ConversionListQuery, response=s.ConversionOut,
          listing=True, tag=TAG)
def list_conversions(query: s.ConversionListQuery) -> Response:
    """Filters `linkId`, `campaignId`, `customerId` (`cus_…` or `ext_…`), `status`, `event`,
    `kind` (lead|sale|custom), `start`/`end` (on the time it happened; date-only `end` is the
    whole day). Newest first; `sortBy` occurredAt|createdAt|value with `sortOrder`."""
    page = pagination.parse(request.args)
    rows, total = conversion_queries.list_conversions(g.workspace, request.args, page)
    return listing(conversions.serialize_many(rows), page, total)


@bp.get("/conversions/<conversion_id>")
@require("conversions:read")
@endpoint("Get a conversion", response=s.ConversionOut, tag=TAG)
def get_conversion(conversion_id: str) -> Response:
    return ok(conversions.serialize(conversions.get_conversion(g.workspace, conversion_id)))


@bp.patch("/conversions/<conversion_id>")
@require("conversions:write")
@endpoint("Change a conversion's status", body=s.StatusBody, response=s.ConversionOut, tag=TAG)
def update_conversion(conversion_id: str, body: s.StatusBody) -> Response:
    """`status`: pending, approved, refunded, rejected or fraud."""
    conversion = conversions.get_conversion(g.workspace, conversion_id)
    conversion = conversions.set_status(g.workspace, g.user, conversion, body.status)
    return ok(conversions.serialize(conversion))


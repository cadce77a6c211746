"""/api/track/lead|sale|open: the public client endpoints authenticated by a publishable key
(`X-Publishable-Key`, or `publishableKey` in the body), with real CORS: preflights are answered
for allowed origins only and a grant is sent only after the key allowed the Origin."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import clock
from linkhub.api.spec import endpoint
from linkhub.envelope import created, ok
from linkhub.errors import Forbidden
from linkhub.models import PublishableKey
from linkhub.schemas import tracking as s
from linkhub.services import client_tracking, conversions, links, publishable_keys

bp = Blueprint("track", __name__)
TAG = "Client tracking"
HEADER = "X-Publishable-Key"
ALLOW_METHODS = "POST, OPTIONS"
ALLOW_HEADERS = f"Content-Type, {HEADER}"
EXPOSE_HEADERS = "X-Request-Id, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Reset, " \
                 "Retry-After"
MAX_AGE = "600"
PATHS = ("/track/lead", "/track/sale", "/track/open")


def _origin() -> str | None:
    return request.headers.get("Origin")


def _grant(key: PublishableKey) -> PublishableKey:
    """Remember the checked Origin so the answer (errors included) carries the CORS grant."""
    g.cors_origin = _origin()
    return key


@bp.before_request
def _header_key() -> None:
    """A key in the header is checked before the body is read: a browser from another origin
    gets 403 without any grant, and body errors of an allowed one are readable."""
    if request.method == "OPTIONS" or request.headers.get(HEADER) is None:
        return
    g.track_key = _grant(publishable_keys.authenticate(request.headers[HEADER], _origin()))


def _key(body: s.TrackBase) -> PublishableKey:
    """The header's key (checked already), else the body's; then the per key+IP limit."""
    key = g.get("track_key")
    if key is None:
        key = _grant(publishable_keys.authenticate(body.publishableKey, _origin()))
    client_tracking.throttle(key, g.client_ip)
    return key


@bp.after_request
def _cors(response: Response) -> Response:
    origin = g.get("cors_origin")
    if origin:
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
    response.vary.add("Origin")
    return response


def _preflight() -> Response:
    """204 with the grant for an origin some enabled key allows; 403 with none otherwise."""
    origin = _origin()
    if origin is None:  # not a CORS preflight: say what the path takes
        return Response(status=204, headers={"Allow": ALLOW_METHODS})
    method = (request.headers.get("Access-Control-Request-Method") or "POST").upper()
    if method != "POST" or not publishable_keys.allowed_anywhere(origin):
        raise Forbidden(f"The origin {origin[:100]} may not call this endpoint.")
    return Response(status=204, headers={
        "Access-Control-Allow-Origin": origin, "Access-Control-Allow-Methods": ALLOW_METHODS,
        "Access-Control-Allow-Headers": ALLOW_HEADERS, "Access-Control-Max-Age": MAX_AGE})


for _path in PATHS:
    bp.add_url_rule(_path, f"preflight_{_path.rsplit('/', 1)[1]}", _preflight,
                    methods=["OPTIONS"])


def _tracked(result: client_tracking.Tracked) -> dict[str, Any]:
    """A deliberately small public shape: no customer details leave through a public key."""
    c = result.conversion
    link_id = c.link.public_id if c.link_id else None
    return {"tracked": True, "duplicate": result.duplicate, "conversionId": c.public_id,
            "event": c.event, "kind": c.kind, "status": c.status,
            "clickId": c.click_public_id, "linkId": link_id,
            "customerId": result.customer.public_id if result.customer else None,
            "amount": conversions.money(c.value_micros), "currency": c.currency,
            "orderId": c.order_id, "createdAt": clock.iso(c.created_at)}


@bp.post("/track/lead", provide_automatic_options=False)
@endpoint("Track a lead from a browser or app", body=s.TrackLeadIn, response=s.TrackOut,
          status=201, tag=TAG, public=True,
          errors=("INVALID_API_KEY", "FORBIDDEN", "RATE_LIMITED"))
def track_lead(body: s.TrackLeadIn) -> Response:
    """Upserts the customer `customerExternalId` (filling only empty details) and records a
    lead (`event`, default `lead`) on `clickId`, else on the customer's first click. A repeat
    of the same customer and event answers 200 with the first lead and `duplicate: true`."""
    key = _key(body)
    result = client_tracking.track_lead(key, body.model_dump(include=body.model_fields_set))
    return (ok if result.duplicate else created)(_tracked(result))


@bp.post("/track/sale", provide_automatic_options=False)
@endpoint("Track a sale from a browser or app", body=s.TrackSaleIn, response=s.TrackOut,
          status=201, tag=TAG, public=True,
          errors=("INVALID_API_KEY", "FORBIDDEN", "DUPLICATE_ORDER", "RATE_LIMITED"))
def track_sale(body: s.TrackSaleIn) -> Response:
    """A sale (`event`, default `purchase`) of `amount` `currency` (default USD) on `clickId`,
    or on the customer `customerExternalId`. A repeated `orderId` is 409 DUPLICATE_ORDER."""
    key = _key(body)
    result = client_tracking.track_sale(key, body.model_dump(include=body.model_fields_set))
    return created(_tracked(result))


@bp.post("/track/open", provide_automatic_options=False)
@endpoint("Match a deferred deep-link open to its click", body=s.TrackOpenIn,
          response=s.TrackOpenOut, tag=TAG, public=True,
          errors=("INVALID_API_KEY", "FORBIDDEN", "RATE_LIMITED"))
def track_open(body: s.TrackOpenIn) -> Response:
    """The click `clickId`, else the workspace's newest click from the same IP and user agent
    in the last hour, with its link's destination and deep links; `matched: false` when none."""
    key = _key(body)
    found = client_tracking.track_open(key, body.model_dump(include=body.model_fields_set),
                                       ip=g.client_ip,
                                       user_agent=request.headers.get("User-Agent", ""))
    if found is None:
        return ok({"matched": False, "matchedBy": None, "clickId": None, "clickedAt": None,
                   "destinationUrl": None, "link": None})
    link = found.link
    return ok({"matched": True, "matchedBy": found.matched_by, "clickId": found.click_id,
               "clickedAt": clock.iso(found.clicked_at),
               "destinationUrl": found.destination_url or link.destination_url,
               "link": {"id": link.public_id, "shortCode": link.short_code,
                        "shortUrl": links.short_url(link),
                        "destinationUrl": link.destination_url,
                        "deepLinkEnabled": link.deep_link_enabled,
                        "deepLinkIos": link.deep_link_ios,
                        "deepLinkAndroid": link.deep_link_android,
                        "deepLinkFallbackUrl": link.deep_link_fallback_url}})

"""The inbound provider receivers under /api/integrations/webhooks (Stripe, Shopify, HubSpot,
Slack events/commands/notify): public, no CSRF, the raw body handed to
services/inbound_<provider>.py, which verifies the signature before any work. The Zapier
routes live elsewhere. No business rule here."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from linkhub.api.spec import endpoint
from linkhub.envelope import ok
from linkhub.models import Integration
from linkhub.schemas import integrations as s
from linkhub.services import (
    inbound,
    inbound_hubspot,
    inbound_shopify,
    inbound_slack,
    inbound_stripe,
)

bp = Blueprint("inbound", __name__)
TAG = "Integrations: inbound receivers"
ERRORS = ("UNAUTHORIZED", "NOT_FOUND", "GONE", "SERVICE_UNAVAILABLE")
PREFIX = "/integrations/webhooks"


def _request() -> inbound.InboundRequest:
    query = request.query_string.decode("latin-1")
    public = current_app.config["LINKHUB"]["BASE_URL"] + request.path + (
        f"?{query}" if query else "")
    return inbound.InboundRequest(
        method=request.method, urls=tuple(dict.fromkeys((request.url, public))),
        headers=request.headers, args=request.args, body=request.get_data(cache=True))


def _answer(installation: Integration, receipts: list[inbound.Receipt]) -> Response:
    return ok(inbound.serialize(installation, receipts))


@bp.post(f"{PREFIX}/stripe")
@endpoint("Receive Stripe events", response=s.InboundOut, tag=TAG, public=True, errors=ERRORS)
def stripe() -> Response:
    """The installation is named by `?installationId=int_…`. `Stripe-Signature` is checked
    with the endpoint secret (5-minute tolerance) before anything else: 401 when missing,
    forged or old, 404 for an unknown installation. `checkout.session.completed` and
    `invoice.paid` record a sale attributed through `client_reference_id` or metadata
    `lw_cid`; `charge.refunded` marks it refunded. A replayed event id answers 200 with
    `duplicate: true` and changes nothing. Paused installations answer 503, disconnected 410."""
    return _answer(*inbound_stripe.receive(_request()))


@bp.post(f"{PREFIX}/shopify")
@endpoint("Receive Shopify webhooks", response=s.InboundOut, tag=TAG, public=True,
          errors=ERRORS)
def shopify() -> Response:
    """`X-Shopify-Hmac-Sha256` is checked with the webhook secret. The installation comes from
    `?installationId=` or the `X-Shopify-Shop-Domain` header. orders/create and orders/paid
    record a sale (`lw_cid` note attribute), orders/cancelled rejects it; idempotent on
    `X-Shopify-Webhook-Id`."""
    return _answer(*inbound_shopify.receive(_request()))


@bp.post(f"{PREFIX}/hubspot/<integration_id>")
@endpoint("Receive HubSpot webhooks for an installation", response=s.InboundOut, tag=TAG,
          public=True, errors=ERRORS)
def hubspot_installation(integration_id: str) -> Response:
    """Signature v3 (`X-HubSpot-Signature-v3`, `X-HubSpot-Request-Timestamp` within 5 minutes)
    with the app's client secret. A contact with an `lw_cid` property becomes a lead; a deal
    moved to the closed-won stage becomes a sale. Each event of the batch is idempotent."""
    return _answer(*inbound_hubspot.receive(_request(), integration_id))


@bp.post(f"{PREFIX}/hubspot")
@endpoint("Receive HubSpot webhooks", response=s.InboundOut, tag=TAG, public=True,
          errors=ERRORS)
def hubspot() -> Response:
    """As the route with the installation in the path; the installation comes from
    `?installationId=` or the batch's `appId` matched against the installations' `appId`."""
    return _answer(*inbound_hubspot.receive(_request(), None))


@bp.post(f"{PREFIX}/slack/events")
@endpoint("Receive Slack Events API requests", response=s.InboundOut, tag=TAG, public=True,
          errors=ERRORS)
def slack_events() -> Response:
    """`X-Slack-Signature` (v0) with the signing secret, 5-minute replay window. The
    `url_verification` challenge is answered as text/plain; `app_uninstalled` and
    `tokens_revoked` disconnect the installation; other events are logged and ignored."""
    installation, receipts = inbound_slack.receive("events", _request())
    first = receipts[0]
    if first.type == "url_verification" and (first.result or {}).get("challenge"):
        return Response(first.result["challenge"], mimetype="text/plain")
    return _answer(installation, receipts)


@bp.post(f"{PREFIX}/slack/commands")
@endpoint("Run the /linkhub Slack slash command", tag=TAG, public=True, errors=ERRORS,
          media_type="text/plain")
def slack_commands() -> Response:
    """Signed like the events. `/linkhub shorten <url>` creates a link and answers its short
    URL; `/linkhub stats <code>` answers the link's clicks; anything else the usage. The
    answer is text Slack shows to the user who typed it."""
    _, receipts = inbound_slack.receive("commands", _request())
    return Response(inbound_slack.reply_of(receipts[0]), mimetype="text/plain")


@bp.post(f"{PREFIX}/slack/notify/<integration_id>")
@endpoint("Post a notification through a Slack installation", response=s.InboundOut,
          tag=TAG, public=True, errors=ERRORS)
def slack_notify(integration_id: str) -> Response:
    """Signed like the Slack requests (v0, signing secret). A JSON (or form) body with `text`
    and optionally `title`, `url` and `id` becomes an in-app notification for the workspace's
    owners and admins; a replayed `id` (or identical signed body) changes nothing."""
    return _answer(*inbound_slack.receive("notify", _request(), integration_id))

"""HubSpot webhooks: the v3 signature (`X-HubSpot-Signature-v3`, base64 HMAC-SHA256 of method +
URI + body + timestamp with the app's client secret, `X-HubSpot-Request-Timestamp` within 5
minutes) and the lifecycle: a contact becomes a lead once its `lw_cid` property is known, a deal
moved to the closed-won stage becomes a sale. Property changes are remembered in the event log
(a deal's amount or click id usually arrives before it closes)."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import unquote

import peewee

from linkhub.errors import Invalid
from linkhub.models import Integration, IntegrationEvent
from linkhub.services import inbound, inbound_conversions, integrations
from linkhub.services.inbound import BadSignature, Event, InboundRequest, Outcome

SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
MAX_EVENTS = 100  # HubSpot batches at most 100 events per request


def verify(request: InboundRequest) -> Callable[[Integration, dict[str, str]], None]:
    signature = inbound.header(request, SIGNATURE_HEADER)
    timestamp = inbound.header(request, TIMESTAMP_HEADER)
    # the URI as HubSpot called it: the request's own URL or the public BASE_URL one, with
    # or without the percent-decoding HubSpot's algorithm applies
    uris = dict.fromkeys(u for url in request.urls for u in (url, unquote(url)))

    def check(installation: Integration, secrets: dict[str, str]) -> None:
        secret = secrets.get("clientSecret", "")
        for uri in uris:
            source = request.method.upper().encode() + uri.encode() + request.body + \
                timestamp.encode()
            expected = base64.b64encode(inbound.hmac_sha256(secret, source)).decode()
            if inbound.same(expected, signature):
                inbound.check_fresh(timestamp, milliseconds=True)
                return
        raise BadSignature("The HubSpot v3 signature does not match.")

    return check


def _events(body: bytes) -> list[dict[str, Any]]:
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list) or not payload or len(payload) > MAX_EVENTS or \
            not all(isinstance(e, dict) and e.get("objectId") is not None for e in payload):
        raise Invalid(fields={"body": f"is not a HubSpot webhook batch (1 to {MAX_EVENTS} "
                                      "events with objectId)"})
    return payload


def parse(request: InboundRequest) -> list[Event]:
    found = []
    for item in _events(request.body):
        kind = str(item.get("subscriptionType") or "object.event")[:100]
        event_id = f"{kind}:{item.get('objectId')}:{item.get('eventId', '')}"
        found.append(Event(event_id, kind, item))
    return found


def app_id_of(body: bytes) -> str | None:
    """The app id the batch names (to find the installation when the URL names none)."""
    try:
        first = _events(body)[0]
    except Invalid:
        return None
    return str(first["appId"]) if first.get("appId") is not None else None


# --- properties: in the event, else remembered from earlier property changes ------------------

def _value(raw: Any) -> Any:
    return raw.get("value") if isinstance(raw, dict) else raw


def _properties(installation: Integration, event: Event) -> dict[str, Any]:
    """What is known of the event's object: earlier property changes in the log, then the
    properties the event itself carries (workflow-style payloads)."""
    object_type = event.type.split(".", 1)[0]
    known: dict[str, Any] = {}
    rows = (IntegrationEvent.select(IntegrationEvent.result)
            .where(IntegrationEvent.installation == installation,
                   IntegrationEvent.type == f"{object_type}.propertyChange",
                   peewee.fn.json_extract(IntegrationEvent.result, "$.objectId")
                   == str(event.payload.get("objectId")))
            .order_by(IntegrationEvent.id))
    for row in rows:
        if row.result and row.result.get("property"):
            known[row.result["property"]] = row.result.get("value")
    given = event.payload.get("properties")
    if isinstance(given, dict):
        known.update({k: _value(v) for k, v in given.items()})
    return known


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def _lead(installation: Integration, event: Event, props: dict[str, Any]) -> Outcome:
    settings = integrations.settings_of(installation)
    contact = str(event.payload.get("objectId"))
    return inbound_conversions.record(installation, inbound_conversions.Sale(
        event=settings["leadEvent"], order_id=f"hubspot-contact-{contact}",
        click_id=props.get(settings["clickProperty"]), email=props.get("email"),
        name=" ".join(str(props[k]) for k in ("firstname", "lastname") if props.get(k)) or None,
        external_id=f"hubspot-contact-{contact}",
        metadata={"hubspotPortal": event.payload.get("portalId"), "hubspotContact": contact}))


def _sale(installation: Integration, event: Event, props: dict[str, Any]) -> Outcome:
    settings = integrations.settings_of(installation)
    deal = str(event.payload.get("objectId"))
    return inbound_conversions.record(installation, inbound_conversions.Sale(
        event=settings["saleEvent"], order_id=f"hubspot-deal-{deal}",
        click_id=props.get(settings["clickProperty"]), value=_decimal(props.get("amount")),
        currency=props.get("deal_currency_code") or settings["currency"],
        email=props.get("email"),
        metadata={"hubspotPortal": event.payload.get("portalId"), "hubspotDeal": deal}))


def _remembered(event: Event, outcome: Outcome) -> Outcome:
    """A property change is kept in the log's result so later events can read it."""
    if event.type.endswith(".propertyChange"):
        outcome.result.update({"objectId": str(event.payload.get("objectId")),
                               "property": event.payload.get("propertyName"),
                               "value": event.payload.get("propertyValue")})
    return outcome


def handle(installation: Integration, event: Event) -> Outcome:
    settings = integrations.settings_of(installation)
    props = _properties(installation, event)
    name, value = event.payload.get("propertyName"), event.payload.get("propertyValue")
    if event.type == "contact.creation" or (event.type == "contact.propertyChange"
                                            and name == settings["clickProperty"]):
        if event.type == "contact.propertyChange":
            props[name] = value
        return _remembered(event, _lead(installation, event, props))
    if event.type in ("deal.propertyChange", "deal.creation"):
        if event.type == "deal.propertyChange":
            props[name] = value
        if props.get("dealstage") == settings["closedWonStage"]:
            return _remembered(event, _sale(installation, event, props))
        return _remembered(event, Outcome("ignored", {"reason": "the deal is not closed won"}))
    return _remembered(event, Outcome("ignored", {
        "reason": f"linkhub does not use {event.type} events"}))


def receive(request: InboundRequest,
            installation_id: str | None) -> tuple[Integration, list[inbound.Receipt]]:
    """The installation from the path (or `installationId`), else from the batch's appId."""
    named = installation_id or request.args.get("installationId")
    return inbound.receive("hubspot", installation_id=named,
                           ref=None if named else app_id_of(request.body),
                           verify=verify(request), parse=lambda _: parse(request),
                           handle=handle)

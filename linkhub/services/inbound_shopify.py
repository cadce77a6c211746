"""Shopify webhooks: the `X-Shopify-Hmac-Sha256` check (base64 HMAC-SHA256 of the raw body
with the app's secret) and the topics: orders/create and orders/paid become a sale (click from
the `lw_cid` note attribute, else the landing page's `lw_cid`), a later orders/paid approves a
pending one, orders/cancelled rejects it, app/uninstalled disconnects the installation."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qs, urlsplit

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import Integration
from linkhub.services import conversions, inbound, inbound_conversions, integrations
from linkhub.services.inbound import BadSignature, Event, InboundRequest, Outcome

SIGNATURE_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
SHOP_HEADER = "X-Shopify-Shop-Domain"
ID_HEADERS = ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id")


def verify(request: InboundRequest) -> Callable[[Integration, dict[str, str]], None]:
    signature = inbound.header(request, SIGNATURE_HEADER)
    shop = (request.headers.get(SHOP_HEADER) or "").strip().lower()

    def check(installation: Integration, secrets: dict[str, str]) -> None:
        digest = inbound.hmac_sha256(secrets.get("webhookSecret", ""), request.body)
        if not inbound.same(base64.b64encode(digest).decode(), signature):
            raise BadSignature("The Shopify HMAC does not match.")
        configured = (installation.config or {}).get("shopDomain")
        if shop and configured and shop != configured:
            raise BadSignature("The shop domain does not match this installation.")

    return check


def parse(request: InboundRequest) -> list[Event]:
    topic = (request.headers.get(TOPIC_HEADER) or "").strip()
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    if not topic or not isinstance(payload, dict):
        raise Invalid(fields={"body": "is not a Shopify webhook (X-Shopify-Topic and a JSON "
                                      "object)"})
    event_id = next((request.headers[h].strip() for h in ID_HEADERS
                     if (request.headers.get(h) or "").strip()), None)
    return [Event(event_id or inbound.body_hash(topic, request.body), topic, payload)]


# --- reading an order -------------------------------------------------------------------------

def click_of(order: dict[str, Any]) -> str | None:
    """`lw_cid` from the order's note attributes (the cart attribute the storefront snippet
    sets), else from the landing page's query string."""
    for attribute in order.get("note_attributes") or ():
        if isinstance(attribute, dict) and attribute.get("name") == "lw_cid" and \
                isinstance(attribute.get("value"), str):
            return attribute["value"].strip()
    landing = order.get("landing_site")
    if isinstance(landing, str) and "lw_cid=" in landing:
        found = parse_qs(urlsplit(landing).query).get("lw_cid")
        return found[0] if found else None
    return None


def _price(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def _name(order: dict[str, Any]) -> str | None:
    customer = order.get("customer") if isinstance(order.get("customer"), dict) else {}
    parts = [customer.get("first_name"), customer.get("last_name")]
    return " ".join(p for p in parts if isinstance(p, str) and p.strip()) or None


def _order(installation: Integration, event: Event) -> Outcome:
    order = event.payload
    order_id = str(order.get("id") or "")
    if not order_id:
        raise Invalid(fields={"id": "the order has no id"})
    paid = event.type == "orders/paid" or order.get("financial_status") == "paid"
    first = conversions.find_by_order(installation.workspace, order_id)
    if first is not None and paid and first.status == "pending":
        return inbound_conversions.set_status(installation, first, "approved", order_id)
    customer = order.get("customer") if isinstance(order.get("customer"), dict) else {}
    return inbound_conversions.record(installation, inbound_conversions.Sale(
        event=integrations.settings_of(installation)["saleEvent"], order_id=order_id,
        click_id=click_of(order), value=_price(order.get("total_price")),
        currency=order.get("currency"),
        email=order.get("email") or customer.get("email") or order.get("contact_email"),
        name=_name(order), status="approved" if paid else "pending",
        metadata={"shopifyOrder": order.get("name"), "shopifyTopic": event.type,
                  "test": bool(order.get("test"))}))


def _cancelled(installation: Integration, event: Event) -> Outcome:
    order_id = str(event.payload.get("id") or "")
    first = conversions.find_by_order(installation.workspace, order_id) if order_id else None
    return inbound_conversions.set_status(installation, first, "rejected", f"order {order_id}")


def _uninstalled(installation: Integration, event: Event) -> Outcome:
    integrations.disconnect(installation, "The Shopify app was uninstalled.")
    return Outcome("processed", {"status": "disconnected", "at": clock.iso(clock.now())})


HANDLERS: dict[str, Callable[[Integration, Event], Outcome]] = {
    "orders/create": _order, "orders/paid": _order, "orders/cancelled": _cancelled,
    "app/uninstalled": _uninstalled,
}


def handle(installation: Integration, event: Event) -> Outcome:
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Outcome("ignored", {"reason": f"linkhub does not use the {event.type} topic"})
    return handler(installation, event)


def receive(request: InboundRequest) -> tuple[Integration, list[inbound.Receipt]]:
    """The installation comes from `installationId` in the query string, else from the shop
    domain header matched against the installations' `shopDomain`."""
    shop = (request.headers.get(SHOP_HEADER) or "").strip().lower() or None
    return inbound.receive("shopify", installation_id=request.args.get("installationId"),
                           ref=shop, verify=verify(request),
                           parse=lambda _: parse(request), handle=handle)

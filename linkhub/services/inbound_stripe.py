"""Stripe events: the `Stripe-Signature` check (`t=…,v1=…`, HMAC-SHA256 of `t.payload` with the
endpoint secret, 5-minute tolerance) and the handlers: a completed checkout session or a paid
invoice becomes a sale (click from `client_reference_id` or metadata `lw_cid`), a fully
refunded charge marks its conversion refunded. Other event types are logged and ignored."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from functools import reduce
from typing import Any

import peewee

from linkhub import ids
from linkhub.errors import Invalid
from linkhub.models import Conversion, Integration
from linkhub.services import inbound, inbound_conversions, integrations
from linkhub.services.inbound import BadSignature, Event, InboundRequest, Outcome

SIGNATURE_HEADER = "Stripe-Signature"
# Stripe amounts are in the currency's smallest unit; these have none, or three decimals.
ZERO_DECIMAL = frozenset({"BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF",
                          "UGX", "VND", "VUV", "XAF", "XOF", "XPF"})
THREE_DECIMAL = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def verify(request: InboundRequest) -> Callable[[Integration, dict[str, str]], None]:
    signature = inbound.header(request, SIGNATURE_HEADER)

    def check(installation: Integration, secrets: dict[str, str]) -> None:
        timestamp, signatures = "", []
        for item in signature.split(","):
            key, _, value = item.strip().partition("=")
            if key == "t":
                timestamp = value
            elif key == "v1":
                signatures.append(value)
        if not timestamp or not signatures:
            raise BadSignature("The Stripe-Signature header is malformed.")
        expected = inbound.hmac_sha256(secrets.get("endpointSecret", ""),
                                       timestamp.encode() + b"." + request.body).hex()
        if not any(inbound.same(expected, given) for given in signatures):
            raise BadSignature("The Stripe signature does not match.")
        inbound.check_fresh(timestamp)

    return check


def parse(request: InboundRequest) -> list[Event]:
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    if not (isinstance(payload, dict) and isinstance(payload.get("id"), str)
            and isinstance(payload.get("type"), str)
            and isinstance((payload.get("data") or {}).get("object"), dict)):
        raise Invalid(fields={"body": "is not a Stripe event (id, type, data.object)"})
    return [Event(payload["id"], payload["type"], payload)]


# --- reading Stripe objects -------------------------------------------------------------------

def _id(value: Any) -> str | None:
    """An id field that may also arrive expanded into its object."""
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _meta(obj: Any, *path: str) -> dict[str, Any]:
    for key in path:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj if isinstance(obj, dict) else {}


def amount(minor: Any, currency: Any) -> Decimal | None:
    """Minor units (cents) to a decimal amount in the currency's units."""
    if not isinstance(minor, int) or isinstance(minor, bool):
        return None
    code = currency.upper() if isinstance(currency, str) else ""
    exponent = 0 if code in ZERO_DECIMAL else 3 if code in THREE_DECIMAL else 2
    return Decimal(minor).scaleb(-exponent)


def _created(event: Event) -> datetime | None:
    created = event.payload.get("created")
    if isinstance(created, int) and not isinstance(created, bool):
        return datetime.fromtimestamp(created, UTC).replace(tzinfo=None)
    return None


def _sale(installation: Integration, event: Event, obj: dict[str, Any], *, click: Any,
          value: Decimal | None, order_id: str, email: Any, name: Any,
          refs: dict[str, Any]) -> Outcome:
    if not value:
        return Outcome("ignored", {"reason": "nothing was paid", "orderId": order_id})
    metadata = {"stripeEventId": event.event_id, "livemode": bool(event.payload.get("livemode")),
                **{k: v for k, v in refs.items() if v}}
    return inbound_conversions.record(installation, inbound_conversions.Sale(
        event=integrations.settings_of(installation)["saleEvent"], order_id=order_id,
        click_id=click if isinstance(click, str) else None, value=value,
        currency=obj.get("currency"), email=email, name=name, metadata=metadata,
        occurred_at=_created(event)))


# --- the handlers -----------------------------------------------------------------------------

def _checkout(installation: Integration, event: Event) -> Outcome:
    session = event.payload["data"]["object"]
    if session.get("payment_status") not in ("paid", "no_payment_required"):
        return Outcome("ignored", {"reason": "the payment is not complete yet "
                                             f"(payment_status {session.get('payment_status')})"})
    reference = session.get("client_reference_id")
    click = reference if ids.is_valid("click", reference) else _meta(session, "metadata").get(
        "lw_cid")
    details = _meta(session, "customer_details")
    # a subscription checkout also pays an invoice: keyed on it, its invoice.paid is a replay
    order_id = _id(session.get("invoice")) or session.get("id") or event.event_id
    return _sale(installation, event, session, click=click,
                 value=amount(session.get("amount_total"), session.get("currency")),
                 order_id=order_id, email=details.get("email") or session.get("customer_email"),
                 name=details.get("name"),
                 refs={"stripeSession": session.get("id"),
                       "stripePaymentIntent": _id(session.get("payment_intent")),
                       "stripeCustomer": _id(session.get("customer")),
                       "stripeSubscription": _id(session.get("subscription"))})


def _invoice(installation: Integration, event: Event) -> Outcome:
    invoice = event.payload["data"]["object"]
    click = (_meta(invoice, "metadata").get("lw_cid")
             or _meta(invoice, "subscription_details", "metadata").get("lw_cid")
             or _meta(invoice, "parent", "subscription_details", "metadata").get("lw_cid"))
    return _sale(installation, event, invoice, click=click,
                 value=amount(invoice.get("amount_paid"), invoice.get("currency")),
                 order_id=invoice.get("id") or event.event_id,
                 email=invoice.get("customer_email"), name=invoice.get("customer_name"),
                 refs={"stripePaymentIntent": _id(invoice.get("payment_intent")),
                       "stripeCharge": _id(invoice.get("charge")),
                       "stripeCustomer": _id(invoice.get("customer")),
                       "stripeSubscription": _id(invoice.get("subscription"))})


def _refund(installation: Integration, event: Event) -> Outcome:
    charge = event.payload["data"]["object"]
    if not charge.get("refunded"):
        return Outcome("ignored", {"reason": "a partial refund leaves the sale as it is",
                                   "amountRefunded": charge.get("amount_refunded")})
    matches = []
    for column, value in (("order_id", _id(charge.get("invoice"))),
                          ("$.stripePaymentIntent", _id(charge.get("payment_intent"))),
                          ("$.stripeCharge", _id(charge.get("id")))):
        if value:
            matches.append(Conversion.order_id == value if column == "order_id" else
                           peewee.fn.json_extract(Conversion.metadata, column) == value)
    conversion = None
    if matches:
        conversion = (Conversion.select()
                      .where(Conversion.workspace == installation.workspace_id,
                             Conversion.source == "stripe", reduce(operator.or_, matches))
                      .order_by(Conversion.id).first())
    return inbound_conversions.set_status(installation, conversion, "refunded",
                                          f"charge {charge.get('id')}")


HANDLERS: dict[str, Callable[[Integration, Event], Outcome]] = {
    "checkout.session.completed": _checkout,
    "checkout.session.async_payment_succeeded": _checkout,
    "invoice.paid": _invoice,
    "charge.refunded": _refund,
}


def handle(installation: Integration, event: Event) -> Outcome:
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Outcome("ignored", {"reason": f"linkhub does not use {event.type} events"})
    return handler(installation, event)


def receive(request: InboundRequest) -> tuple[Integration, list[inbound.Receipt]]:
    """The installation is named in the query string (`installationId`)."""
    installation_id = request.args.get("installationId") or request.args.get("installation")
    return inbound.receive("stripe", installation_id=installation_id, ref=None,
                           verify=verify(request), parse=lambda _: parse(request),
                           handle=handle)

"""Client-side tracking with a publishable key: leads and sales reported by browsers and apps,
deferred deep-link opens matched to their click, and the per key+IP rate limit. Conversions and
customers are recorded through their own services; key and origin checks are publishable_keys'."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app

from linkhub import clock, ids, ratelimit
from linkhub.db import database
from linkhub.errors import Invalid, NotFound
from linkhub.models import Click, Conversion, Customer, Link, PublishableKey
from linkhub.redirect import facts
from linkhub.redirect.agents import MAX_UA
from linkhub.services import conversions, customers

RATE_LIMIT = "60/minute"  # per publishable key and client IP, on top of the anonymous API limit
OPEN_WINDOW = timedelta(hours=1)
LEAD_EVENT, SALE_EVENT = "lead", "purchase"
# a public key may fill a customer's empty details, never overwrite what the workspace has
CUSTOMER_FIELDS = {"email": "email", "name": "name", "avatarUrl": "avatar_url"}


@dataclass(frozen=True)
class Tracked:
    conversion: Conversion
    customer: Customer | None
    duplicate: bool


@dataclass(frozen=True)
class OpenMatch:
    click_id: str
    clicked_at: datetime
    matched_by: str  # clickId | ipUserAgent
    link: Link
    destination_url: str | None


def throttle(key: PublishableKey, ip: str) -> None:
    """429 RATE_LIMITED past RATE_LIMIT requests a minute from one IP with one key."""
    if current_app.config["LINKHUB"]["RATE_LIMIT_ENABLED"]:
        ratelimit.enforce("track", f"{key.id}|{ip}", RATE_LIMIT,
                          "Too many tracking calls from this address; slow down.")


def _event(value: Any, default: str, refused: str, hint: str) -> str:
    name = conversions.event_name(default if value is None else value)
    if conversions.kind_of(name) == refused:
        raise Invalid(fields={"event": f"{name} is a {refused} event: send it to {hint}"})
    return name


def _existing(workspace: Any, external_id: Any) -> Customer | None:
    if not isinstance(external_id, str) or not external_id.strip():
        raise Invalid(fields={"customerExternalId": "is required"})
    try:
        return customers.find(workspace, customers.EXT_PREFIX + external_id.strip())
    except NotFound:
        return None


def _upsert(workspace: Any, data: dict[str, Any], existing: Customer | None,
            click_id: str | None) -> Customer:
    """Create the customer, or fill the blanks of the existing one (first touch included)."""
    payload: dict[str, Any] = {"externalId": data["customerExternalId"]}
    for api_name, column in CUSTOMER_FIELDS.items():
        if data.get(api_name) is not None and (existing is None
                                               or getattr(existing, column) is None):
            payload[api_name] = data[api_name]
    if click_id and (existing is None or existing.click_public_id is None):
        payload["clickId"] = click_id
    if existing is not None and len(payload) == 1:
        return existing
    try:
        customer, _ = customers.upsert(workspace, None, payload)
    except Invalid as exc:
        raise Invalid(fields={("customerExternalId" if k == "externalId" else k): v
                              for k, v in exc.fields.items()}) from None
    return customer


def _click_format(click_id: Any) -> str | None:
    if click_id is None or click_id == "":
        return None
    if not ids.is_valid("click", click_id):
        raise Invalid(fields={"clickId": "must be a click id (clk_…), the lw_cid value"})
    return click_id


def track_lead(key: PublishableKey, data: dict[str, Any]) -> Tracked:
    """A lead for `customerExternalId` (upserted) attributed to `clickId`, else to the
    customer's known first click (400 when there is none). One lead per customer and event
    name: a repeat answers the first one with `duplicate`."""
    workspace = key.workspace
    event = _event(data.get("event"), LEAD_EVENT, "sale", "/api/track/sale")
    given = _click_format(data.get("clickId"))
    with database.atomic():
        existing = _existing(workspace, data.get("customerExternalId"))
        if existing is not None:
            first = (Conversion.select().where(Conversion.customer == existing,
                                               Conversion.event == event)
                     .order_by(Conversion.id).first())
            if first is not None:
                return Tracked(first, existing, True)
        click_id = given or (existing.click_public_id if existing is not None else None)
        if click_id is None:
            raise Invalid(fields={"clickId": "is required: no click is known for this "
                                             "customer (send the lw_cid value)"})
        customer = _upsert(workspace, data, existing, click_id)
        conversion = conversions.record(workspace, click_id=click_id, event=event,
                                        metadata=data.get("metadata"), source="client",
                                        customer=customer)
    return Tracked(conversion, customer, False)


def _record_sale(workspace: Any, click_id: str | None, from_customer: bool,
                 **fields: Any) -> Conversion:
    """Record with the click; a customer's remembered click that is no longer attributable
    (outside the window) leaves the sale on the customer alone."""
    if click_id is not None:
        try:
            with database.atomic():
                return conversions.record(workspace, click_id=click_id, **fields)
        except conversions.UnknownClick:
            if not from_customer:
                raise
    return conversions.record(workspace, click_id=None, require_click=False, **fields)


def track_sale(key: PublishableKey, data: dict[str, Any]) -> Tracked:
    """A sale attributed to `clickId`, or to the customer named by `customerExternalId` (an
    unknown customer needs `clickId` too, and is then created). `orderId` deduplicates."""
    workspace = key.workspace
    event = _event(data.get("event"), SALE_EVENT, "lead", "/api/track/lead")
    given = _click_format(data.get("clickId"))
    external = data.get("customerExternalId")
    if data.get("amount") is None:
        raise Invalid(fields={"amount": "is required"})
    if given is None and external is None:
        raise Invalid(fields={"clickId": "send clickId (the lw_cid value) or "
                                         "customerExternalId"})
    with database.atomic():
        customer = None
        if external is not None:
            existing = _existing(workspace, external)
            if existing is None and given is None:
                raise Invalid(fields={"customerExternalId": "is not a known customer: send "
                                                            "clickId as well"})
            customer = _upsert(workspace, data, existing, given)
        click_id = given or (customer.click_public_id if customer is not None else None)
        try:
            conversion = _record_sale(
                workspace, click_id, given is None, event=event, value=data.get("amount"),
                currency=data.get("currency"), order_id=data.get("orderId"),
                metadata=data.get("metadata"), source="client", customer=customer)
        except Invalid as exc:
            raise type(exc)(fields={("amount" if k == "value" else k): v
                                    for k, v in exc.fields.items()}) from None
    return Tracked(conversion, customer, False)


def _destination(ref: conversions.ClickRef) -> str | None:
    """Where the click was sent (rule or link destination), buffered or stored."""
    from linkhub.redirect import clicks

    event = clicks.for_app(current_app).buffer.find(ref.public_id)
    if event is not None:
        return event.destination_url
    return Click.select(Click.destination_url).where(Click.public_id == ref.public_id).scalar()


def _by_ip_and_agent(key: PublishableKey, ip: str, user_agent: str) -> Click | None:
    """The newest human click of the workspace from this IP hash and user agent within
    OPEN_WINDOW (flushed clicks: a deferred open comes long after the writer's second)."""
    agent = user_agent.strip()[:MAX_UA]
    if not agent or not ip:
        return None
    secret = current_app.config["LINKHUB_SECRETS"]["hashing_key"].encode()
    return (Click.select(Click.public_id)
            .where(Click.workspace == key.workspace_id,
                   Click.created_at >= clock.now() - OPEN_WINDOW,
                   Click.ip_hash == facts.ip_hash(ip, secret), Click.user_agent == agent,
                   Click.bot == False)  # noqa: E712 (peewee builds SQL from ==)
            .order_by(Click.created_at.desc(), Click.id.desc()).first())


def track_open(key: PublishableKey, data: dict[str, Any], *, ip: str,
               user_agent: str) -> OpenMatch | None:
    """A deferred deep-link open: the click named by `clickId`, else the workspace's newest
    click of the same IP and user agent (`userAgent` in the body wins over the header) within
    the last hour; None when nothing matches. Reads only."""
    workspace = key.workspace
    given = _click_format(data.get("clickId"))
    agent = data.get("userAgent")
    if agent is not None and (not isinstance(agent, str) or len(agent) > MAX_UA):
        raise Invalid(fields={"userAgent": f"must be a string of at most {MAX_UA} characters"})
    ref, matched_by = None, "clickId"
    if given is not None:
        ref = conversions.resolve_click(workspace, given)
    if ref is None:
        found = _by_ip_and_agent(key, ip, agent or user_agent)
        if found is not None:
            ref, matched_by = conversions.resolve_click(workspace, found.public_id), \
                "ipUserAgent"
    if ref is None:
        return None
    link = Link.get_or_none(Link.id == ref.link_id, Link.workspace == workspace)
    if link is None:
        return None
    return OpenMatch(ref.public_id, ref.created_at, matched_by, link, _destination(ref))

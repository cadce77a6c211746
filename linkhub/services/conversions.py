"""Conversions: every rule about recording one (click resolution in the buffer or on disk,
workspace and attribution window, amounts in micro-units, currencies, USD conversion, orderId
deduplication, customers), the old public /s2s flow, status changes and the serialised shape.
Listing and filters live in services/conversion_queries.py. No HTTP here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import peewee
from flask import current_app, has_app_context

from linkhub import clock, ids, ratelimit
from linkhub.db import database
from linkhub.errors import Conflict, Invalid, NotFound
from linkhub.models import Campaign, Click, Conversion, Customer, Link, User, Workspace
from linkhub.services import audit, fx, webhook_events
from linkhub.services.conversion_values import (  # noqa: F401 (re-exported for other services)
    KINDS,
    MAX_AMOUNT,
    MICROS,
    STATUSES,
    amount_micros,
    currency_code,
    event_name,
    kind_of,
    metadata_object,
    money,
    order_ref,
    parse_amount,
    parse_timestamp,
    status_value,
)

DEFAULT_WINDOW_DAYS = 30
CLOCK_SLACK = timedelta(minutes=5)  # a client's timestamp may run this far ahead of ours
S2S_RATE = "60/minute"  # per client IP on the unauthenticated /s2s endpoint


@dataclass(frozen=True)
class ClickRef:
    """A click as the conversion needs it, from the buffer or the Click table (integer pks)."""

    public_id: str
    link_id: int
    campaign_id: int | None
    workspace_id: int
    created_at: datetime
    country: str | None
    ip_hash: str | None
    user_agent: str | None


class UnknownClick(Invalid):
    """400 VALIDATION_ERROR on `clickId` alone: unknown, another workspace's, or outside the
    attribution window (the postback answers it with `tracked: false` instead)."""


def _checked(problems: dict[str, str], check: Any, *args: Any) -> Any:
    try:
        return check(*args)
    except Invalid as exc:
        problems.update(exc.fields)
        return None


# --- clicks -----------------------------------------------------------------------------------

def _buffered(click_id: str) -> ClickRef | None:
    """A click still waiting in the click writer's buffer (the conversion may arrive first)."""
    if not has_app_context() or "linkhub.clicks" not in current_app.extensions:
        return None
    from linkhub.redirect import clicks

    pipeline = clicks.for_app(current_app)
    event = pipeline.buffer.find(click_id)
    if event is None:
        return None
    try:  # the writer's own (pure) description of the visitor: country, hashed IP, agent
        row = pipeline.writer.describe(event)
    except Exception:  # noqa: BLE001 - a description is a nicety; attribution must not fail
        row = {}
    workspace = Workspace.get_or_none(Workspace.id == event.workspace_id)
    campaign_id = Link.select(Link.campaign).where(Link.id == event.link_id).scalar()
    store_ip = workspace is None or workspace.store_ip
    store_ua = workspace is None or workspace.store_user_agent
    return ClickRef(event.click_id, event.link_id, campaign_id, event.workspace_id,
                    event.created_at, row.get("country"),
                    row.get("ip_hash") if store_ip else None,
                    row.get("user_agent") if store_ua else None)


def resolve_click(workspace: Workspace | None, click_id: Any) -> ClickRef | None:
    """The click behind a `clk_` id: buffered, else stored. None when it is malformed, unknown
    or (with a workspace) another workspace's; `workspace=None` finds any (the /s2s flow)."""
    if not ids.is_valid("click", click_id):
        return None
    ref = _buffered(click_id)
    if ref is None:
        row = (Click.select(Click.public_id, Click.link, Click.workspace, Click.created_at,
                            Click.country, Click.ip_hash, Click.user_agent, Link.campaign)
               .join(Link, on=(Click.link == Link.id))
               .where(Click.public_id == click_id).tuples().first())
        if row is None:
            return None
        public_id, link_id, workspace_id, created_at, country, ip_hash, agent, campaign = row
        ref = ClickRef(public_id, link_id, campaign, workspace_id, created_at, country,
                       ip_hash, agent)
    if workspace is not None and ref.workspace_id != workspace.id:
        return None
    return ref


def window_days(workspace: Workspace) -> int:
    days = workspace.attribution_window_days
    return days if days and days > 0 else DEFAULT_WINDOW_DAYS


def _click_problem(workspace: Workspace, click_id: Any,
                   require_click: bool) -> tuple[ClickRef | None, str | None]:
    if click_id is None or click_id == "":
        return None, ("is required" if require_click else None)
    if not isinstance(click_id, str):
        return None, "must be a click id (clk_…)"
    ref = resolve_click(workspace, click_id.strip())
    if ref is None:
        return None, "is not a known click id of this workspace"
    days = window_days(workspace)
    if ref.created_at < clock.now() - timedelta(days=days):
        return None, f"is older than the attribution window ({days} days)"
    return ref, None


# --- recording --------------------------------------------------------------------------------

def _prepare(workspace: Workspace, *, click_id: Any, event: Any, value: Any, currency: Any,
             order_id: Any, metadata: Any, payout: Any, occurred_at: datetime | None,
             status: Any, require_click: bool) -> dict[str, Any]:
    """Every check, no write: the Conversion columns, or Invalid/UnknownClick/Conflict."""
    problems: dict[str, str] = {}
    columns = {
        "event": _checked(problems, event_name, event),
        "value_micros": _checked(problems, amount_micros, value, "value"),
        "currency": _checked(problems, currency_code, currency),
        "payout_micros": _checked(problems, amount_micros, payout, "payout"),
        "order_id": _checked(problems, order_ref, order_id),
        "metadata": _checked(problems, metadata_object, metadata),
        "status": _checked(problems, status_value, status),
    }
    now = clock.now()
    if occurred_at is not None and occurred_at > now + CLOCK_SLACK:
        problems["timestamp"] = "must not be in the future"
    ref, click_problem = _click_problem(workspace, click_id, require_click)
    if click_problem and problems:
        raise Invalid(fields={"clickId": click_problem, **problems})
    if problems:
        raise Invalid(fields=problems)
    if click_problem:
        raise UnknownClick(fields={"clickId": click_problem})
    if columns["order_id"] is not None:
        first = find_by_order(workspace, columns["order_id"])
        if first is not None:
            raise _duplicate(first)
    occurred = occurred_at or now
    columns.update(
        kind=kind_of(columns["event"]), value_micros=columns["value_micros"] or 0,
        value_usd_micros=fx.to_usd_micros(columns["value_micros"] or 0, columns["currency"],
                                          occurred.date()),
        occurred_at=occurred, click_public_id=ref.public_id if ref else None,
        link=ref.link_id if ref else None, campaign=ref.campaign_id if ref else None,
        country=ref.country if ref else None)
    return columns


def _duplicate(first: Conversion) -> Conflict:
    return Conflict("DUPLICATE_ORDER", "A conversion with this orderId already exists in the "
                    "workspace.", extra={"conversionId": first.public_id})


def find_by_order(workspace: Workspace, order_id: str) -> Conversion | None:
    return Conversion.get_or_none(Conversion.workspace == workspace,
                                  Conversion.order_id == order_id)


def _insert(workspace: Workspace, columns: dict[str, Any], *, source: str,
            pixel_public_id: str | None, customer: Customer | None,
            actor: User | None) -> Conversion:
    with database.atomic():
        try:
            with database.atomic():
                conversion = Conversion.create(
                    public_id=ids.new_id("conversion"), workspace=workspace, source=source,
                    pixel_public_id=pixel_public_id, customer=customer, **columns)
        except peewee.IntegrityError:  # the same orderId committed by a concurrent request
            first = find_by_order(workspace, columns["order_id"] or "")
            if first is None:
                raise
            raise _duplicate(first) from None
        if customer is not None:
            from linkhub.services import customers

            customers.add_conversion(customer, conversion)
        audit.record("conversion.create", "conversion", conversion.public_id,
                     workspace=workspace, actor=actor,
                     details={"source": source, "event": conversion.event})
        webhook_events.emit_conversion(workspace, conversion)
    return conversion


def record(workspace: Workspace, *, click_id: str | None, event: str = "conversion",
           value: Any = None, currency: str | None = "USD", order_id: str | None = None,
           metadata: dict | None = None, source: str = "api", pixel_public_id: str | None = None,
           customer: Customer | None = None, payout: Any = None,
           occurred_at: datetime | None = None, status: str = "approved",
           require_click: bool = True, actor: User | None = None) -> Conversion:
    """Validate, attribute and store one conversion. `require_click=False` lets `click_id` be
    None (an unattributed conversion); a given click id must still be valid and in window."""
    columns = _prepare(workspace, click_id=click_id, event=event, value=value, currency=currency,
                       order_id=order_id, metadata=metadata, payout=payout,
                       occurred_at=occurred_at, status=status, require_click=require_click)
    return _insert(workspace, columns, source=source, pixel_public_id=pixel_public_id,
                   customer=customer, actor=actor)


def _customer(workspace: Workspace, actor: User | None, data: Mapping[str, Any],
              click_id: Any) -> Customer | None:
    """`customerId` (cus_… or ext_…) must exist; `customerExternalId` is upserted."""
    from linkhub.services import customers

    if data.get("customerId") is not None:
        ref = data["customerId"]
        try:
            if not isinstance(ref, str):
                raise NotFound()
            return customers.find(workspace, ref.strip())
        except NotFound:
            raise Invalid(fields={"customerId": "is not a customer of this workspace"}) from None
    external = data.get("customerExternalId")
    if external is None:
        return None
    try:
        customer, _ = customers.upsert(workspace, actor, {"externalId": external,
                                                          "clickId": click_id})
    except Invalid as exc:
        raise Invalid(fields={("customerExternalId" if k == "externalId" else k): v
                              for k, v in exc.fields.items()}) from None
    return customer


def track(workspace: Workspace, actor: User | None, data: Mapping[str, Any], *,
          source: str = "api") -> Conversion:
    """The API's track/postback flow: `data` has the API's camelCase names (clickId, event,
    value, currency, orderId, metadata, payout, status, timestamp, pixelId, customerId,
    customerExternalId). All checks first; the customer upsert and the conversion are one
    transaction, so a rejected conversion leaves nothing behind."""
    problems: dict[str, str] = {}
    occurred = _checked(problems, parse_timestamp, data.get("timestamp"))
    pixel = data.get("pixelId")
    if pixel is not None and (not isinstance(pixel, str) or not pixel.strip()
                              or len(pixel) > 40):
        problems["pixelId"] = "must be a pixel id"
    for name in ("customerId", "customerExternalId"):
        if data.get(name) is not None and not isinstance(data[name], str):
            problems[name] = "must be a string"
    if problems:
        raise Invalid(fields=problems)
    click_id = data.get("clickId")
    columns = _prepare(workspace, click_id=click_id, event=data.get("event"),
                       value=data.get("value"), currency=data.get("currency"),
                       order_id=data.get("orderId"), metadata=data.get("metadata"),
                       payout=data.get("payout"), occurred_at=occurred,
                       status=data.get("status") or "approved", require_click=True)
    with database.atomic():
        customer = _customer(workspace, actor, data, columns["click_public_id"])
        return _insert(workspace, columns, source=source,
                       pixel_public_id=pixel.strip() if pixel else None, customer=customer,
                       actor=actor)


def s2s(data: Mapping[str, Any], client_ip: str) -> tuple[Conversion, bool]:
    """The old unauthenticated server-to-server call: the click id is the secret and names the
    workspace. Rate-limited per IP. A repeated `order_id` returns the first conversion and
    True (duplicate) instead of a conflict."""
    ratelimit.enforce("conversions-s2s", f"ip:{client_ip}", S2S_RATE)
    click_id = data.get("click_id")
    ref = resolve_click(None, click_id)
    if ref is None:
        raise UnknownClick(fields={"click_id": "is required" if click_id in (None, "")
                                   else "is not a known click id"})
    workspace = Workspace.get_by_id(ref.workspace_id)
    try:
        order_id = order_ref(data.get("order_id"), "order_id")
    except Invalid:
        order_id = None  # reported with the other fields below
    first = find_by_order(workspace, order_id) if order_id else None
    if first is not None:
        return first, True
    try:
        occurred = parse_timestamp(data.get("timestamp"))
        return record(workspace, click_id=click_id, event=data.get("event"),
                      value=data.get("value"), currency=data.get("currency"),
                      order_id=data.get("order_id"), occurred_at=occurred, source="s2s"), False
    except UnknownClick as exc:
        raise UnknownClick(fields={"click_id": exc.fields["clickId"]}) from None
    except Invalid as exc:
        names = {"clickId": "click_id", "orderId": "order_id"}
        raise Invalid(fields={names.get(k, k): v for k, v in exc.fields.items()}) from None
    except Conflict as exc:
        if exc.code == "DUPLICATE_ORDER" and order_id:
            return find_by_order(workspace, order_id), True
        raise


# --- reading and changing ---------------------------------------------------------------------

def get_conversion(workspace: Workspace, conversion_id: str) -> Conversion:
    if not ids.is_valid("conversion", conversion_id):
        raise NotFound("Conversion not found.")
    found = Conversion.get_or_none(Conversion.public_id == conversion_id,
                                   Conversion.workspace == workspace)
    if found is None:
        raise NotFound("Conversion not found.")
    return found


def set_status(workspace: Workspace, actor: User | None, conversion: Conversion,
               status: Any) -> Conversion:
    new = status_value(status)
    old = conversion.status
    if new != old:
        with database.atomic():
            conversion.status = new
            conversion.save()
            audit.record("conversion.update_status", "conversion", conversion.public_id,
                         workspace=workspace, actor=actor, details={"from": old, "to": new})
            if conversion.customer_id is not None:  # LTV counts approved conversions only
                from linkhub.services import customers

                customers.recalculate(workspace, actor, conversion.customer)
    return conversion


# --- the serialised shape ---------------------------------------------------------------------

def _public_ids(model: type[peewee.Model], pks: set[int]) -> dict[int, str]:
    if not pks:
        return {}
    return dict(model.select(model.id, model.public_id).where(model.id.in_(list(pks))).tuples())


def serialize_many(rows: list[Conversion]) -> list[dict[str, Any]]:
    """Conversions as the API shows them: three lookups for the whole page, not three a row."""
    links = _public_ids(Link, {r.link_id for r in rows if r.link_id})
    campaigns = _public_ids(Campaign, {r.campaign_id for r in rows if r.campaign_id})
    people = _public_ids(Customer, {r.customer_id for r in rows if r.customer_id})
    return [{
        "id": c.public_id, "clickId": c.click_public_id, "linkId": links.get(c.link_id),
        "campaignId": campaigns.get(c.campaign_id), "customerId": people.get(c.customer_id),
        "pixelId": c.pixel_public_id, "event": c.event, "kind": c.kind, "status": c.status,
        "source": c.source, "value": money(c.value_micros), "currency": c.currency,
        "valueUsd": money(c.value_usd_micros), "payout": money(c.payout_micros),
        "orderId": c.order_id, "metadata": c.metadata, "country": c.country,
        "occurredAt": clock.iso(c.occurred_at), "createdAt": clock.iso(c.created_at),
    } for c in rows]


def serialize(conversion: Conversion) -> dict[str, Any]:
    return serialize_many([conversion])[0]

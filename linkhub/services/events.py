"""The conversion event stream behind /api/events: lead and sale events filtered by type, link,
customer and time, sorted by the catalogue's keys, paged without a total (`hasMore` only).
Reads only; conversions are recorded by services/conversions.py."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import peewee

from linkhub import clock, ids
from linkhub.errors import Invalid
from linkhub.models import Conversion, Customer, Link, Workspace
from linkhub.services.campaigns import from_micros
from linkhub.services.customer_reports import parse_range
from linkhub.services.customers import EXT_PREFIX, refs

TYPES = ("lead", "sale")
SORTS: dict[str, Any] = {
    "timestamp": Conversion.occurred_at, "event_type": Conversion.kind,
    "event_name": Conversion.event, "amount_in_usd": Conversion.value_usd_micros,
    "country": Conversion.country, "customer_external_id": Customer.external_id,
}


def _customer_filter(workspace: Workspace, value: str) -> Any:
    if ids.is_valid("customer", value):
        match = Customer.public_id == value
    elif value.startswith(EXT_PREFIX) and len(value) > len(EXT_PREFIX):
        match = Customer.external_id == value[len(EXT_PREFIX):]
    else:
        raise Invalid(fields={"customerId": "must be a customer id (cus_…) or ext_<externalId>"})
    return Conversion.customer.in_(Customer.select(Customer.id).where(
        Customer.workspace == workspace, match))


def _filters(workspace: Workspace, type: str | None, link_id: str | None,
             customer_id: str | None, start: str | None, end: str | None) -> list[Any]:
    """WHERE clauses; every bad filter is reported at once (400)."""
    problems: dict[str, str] = {}
    where: list[Any] = [Conversion.workspace == workspace]
    if type:
        if type not in TYPES:
            problems["type"] = "must be lead or sale"
        else:
            where.append(Conversion.kind == type)
    else:  # the stream carries leads and sales; custom events stay in /api/conversions
        where.append(Conversion.kind.in_(TYPES))
    if link_id:
        if not ids.is_valid("link", link_id):
            problems["linkId"] = "must be a link id (link_…)"
        else:
            where.append(Conversion.link.in_(Link.select(Link.id).where(
                Link.workspace == workspace, Link.public_id == link_id)))
    if customer_id:
        try:
            where.append(_customer_filter(workspace, customer_id))
        except Invalid as exc:
            problems.update(exc.fields)
    low = high = None
    try:
        low, high = parse_range(start, end)
    except Invalid as exc:
        problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    if low is not None:
        where.append(Conversion.occurred_at >= low)
    if high is not None:
        where.append(Conversion.occurred_at <= high)
    return where


def stream(workspace: Workspace, *, type: str | None = None, link_id: str | None = None,
           customer_id: str | None = None, start: str | None = None, end: str | None = None,
           sort_by: str | None = None, sort_order: str | None = None, offset: int = 0,
           limit: int = 50) -> tuple[list[dict[str, Any]], bool]:
    """One page of events and whether more follow. Default order: newest first."""
    problems: dict[str, str] = {}
    sort_by = sort_by or "timestamp"
    order = (sort_order or "desc").lower()
    if sort_by not in SORTS:
        problems["sortBy"] = f"must be one of {', '.join(SORTS)}"
    if order not in ("asc", "desc"):
        problems["sortOrder"] = "must be asc or desc"
    try:
        where = _filters(workspace, type, link_id, customer_id, start, end)
    except Invalid as exc:
        problems = {**exc.fields, **problems}
    if problems:
        raise Invalid(fields=problems)
    column = SORTS[sort_by]
    ordering = [column.desc(nulls="LAST"), Conversion.id.desc()] if order == "desc" else \
        [column.asc(nulls="LAST"), Conversion.id.asc()]
    rows = list(Conversion.select(Conversion, Customer.public_id, Customer.external_id)
                .join(Customer, peewee.JOIN.LEFT_OUTER,
                      on=(Conversion.customer == Customer.id), attr="customer_row")
                .where(*where).order_by(*ordering).offset(offset).limit(limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    known = refs(rows)
    return [serialize(row, known) for row in rows], more


def serialize(conversion: Conversion, known: dict[tuple[str, int], str]) -> dict[str, Any]:
    customer = getattr(conversion, "customer_row", None)
    occurred: datetime = conversion.occurred_at
    return {
        "id": conversion.public_id, "timestamp": clock.iso(occurred),
        "eventType": conversion.kind, "eventName": conversion.event,
        "status": conversion.status, "amount": from_micros(conversion.value_micros),
        "currency": conversion.currency,
        "amountInUsd": from_micros(conversion.value_usd_micros),
        "clickId": conversion.click_public_id,
        "linkId": known.get(("link", conversion.link_id)),
        "campaignId": known.get(("campaign", conversion.campaign_id)),
        "customerId": customer.public_id if customer and conversion.customer_id else None,
        "customerExternalId": customer.external_id if customer and conversion.customer_id
        else None,
        "country": conversion.country, "orderId": conversion.order_id,
        "source": conversion.source, "metadata": conversion.metadata,
    }

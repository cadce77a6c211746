"""Listing conversions: the query-string filters (linkId, campaignId, customerId, status,
event, kind, start, end), sorting and paging. Read-only; recording rules are in
services/conversions.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linkhub import ids, pagination
from linkhub.errors import Invalid
from linkhub.models import Campaign, Conversion, Customer, Link, Workspace
from linkhub.pagination import Page
from linkhub.services.conversion_values import KINDS, STATUSES
from linkhub.services.link_queries import date_param, id_param

SORTS = {"occurredAt": Conversion.occurred_at, "createdAt": Conversion.created_at,
         "value": Conversion.value_usd_micros}
EVENT_MAX = 64


def _choice(args: Mapping[str, str], name: str, allowed: tuple[str, ...]) -> str | None:
    raw = (args.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw not in allowed:
        raise Invalid(fields={name: f"must be one of {', '.join(allowed)}"})
    return raw


def _customer_filter(workspace: Workspace, raw: str) -> Any:
    """`cus_…` or `ext_<externalId>`, as everywhere customers are named."""
    if raw.startswith("ext_") and len(raw) > 4:
        match = Customer.external_id == raw[4:]
    elif ids.is_valid("customer", raw):
        match = Customer.public_id == raw
    else:
        raise Invalid(fields={"customerId": "must be a customer id (cus_…) or ext_<externalId>"})
    return Conversion.customer.in_(Customer.select(Customer.id).where(
        Customer.workspace == workspace, match))


def filters(workspace: Workspace, args: Mapping[str, str]) -> list[Any]:
    """WHERE conditions for the list's query string; every bad value is reported at once.
    A well-formed id of nothing in this workspace simply matches nothing."""
    problems: dict[str, str] = {}
    where: list[Any] = [Conversion.workspace == workspace]

    def collect(parse: Any, *rest: Any) -> Any:
        try:
            return parse(args, *rest)
        except Invalid as exc:
            problems.update(exc.fields)
            return None

    for name, kind, model, column in (("linkId", "link", Link, Conversion.link),
                                      ("campaignId", "campaign", Campaign, Conversion.campaign)):
        value = collect(id_param, name, kind)
        if value:
            where.append(column.in_(model.select(model.id).where(
                model.public_id == value, model.workspace == workspace)))
    customer = (args.get("customerId") or "").strip()
    if customer:
        try:
            where.append(_customer_filter(workspace, customer))
        except Invalid as exc:
            problems.update(exc.fields)
    status = collect(_choice, "status", STATUSES)
    if status:
        where.append(Conversion.status == status)
    kind = collect(_choice, "kind", KINDS)
    if kind:
        where.append(Conversion.kind == kind)
    event = (args.get("event") or "").strip().lower()
    if len(event) > EVENT_MAX:
        problems["event"] = f"must be at most {EVENT_MAX} characters"
    elif event:
        where.append(Conversion.event == event)
    start = collect(date_param, "start", False)
    end = collect(date_param, "end", True)
    if start is not None and end is not None and start > end:
        problems["start"] = "must not be after end"
    if start is not None:
        where.append(Conversion.occurred_at >= start)
    if end is not None:
        where.append(Conversion.occurred_at <= end)
    if problems:
        raise Invalid(fields=problems)
    return where


def list_conversions(workspace: Workspace, args: Mapping[str, str],
                     page: Page) -> tuple[list[Conversion], int]:
    """One page (newest first unless `sortBy`/`sortOrder` say otherwise) and the total."""
    sort_by, order = pagination.sort_order(args, tuple(SORTS), "occurredAt")
    where = filters(workspace, args)
    return pagination.ordered_page(Conversion.select().where(*where),
                                   Conversion.select(Conversion.id).where(*where),
                                   SORTS[sort_by], Conversion.id, order, page)


def distinct_events(workspace: Workspace) -> list[str]:
    """The event names used in the workspace (the dashboard's filter choices)."""
    query = (Conversion.select(Conversion.event).where(Conversion.workspace == workspace)
             .distinct().order_by(Conversion.event).limit(200).tuples())
    return [event for (event,) in query]

"""Customers: upsert by the workspace's `externalId`, lookups (`cus_…` or `ext_<externalId>`),
update, soft delete with PII scrub, and the LTV/lead/sale aggregates kept from conversions.
Every customer rule lives here; lists in customer_queries.py, reports in customer_reports.py,
journeys in customer_journey.py. No HTTP here."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import peewee

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import Conflict, Invalid, NotFound
from linkhub.models import Campaign, Conversion, Customer, Link, User, Workspace
from linkhub.services import audit
from linkhub.services.accounts import normalize_email
from linkhub.services.campaigns import from_micros
from linkhub.services.field_checks import checked
from linkhub.services.urls import check_url

EXTERNAL_ID_MAX = 255
NAME_MAX = 200
METADATA_MAX_BYTES = 10_000
EXT_PREFIX = "ext_"
# what counts toward LTV and the lead/sale counts (refunded, rejected, fraud, pending do not)
COUNTED_STATUS = "approved"
WRITABLE = ("externalId", "email", "name", "avatarUrl", "metadata", "clickId")


# --- value checks -----------------------------------------------------------------------------

def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(fields={field: "is required"})
        return None
    if not isinstance(value, str):
        raise Invalid(fields={field: "must be a string"})
    value = value.strip()
    if len(value) > limit:
        raise Invalid(fields={field: f"must be at most {limit} characters"})
    if any(ord(ch) < 32 for ch in value):
        raise Invalid(fields={field: "must not contain control characters"})
    return value


def _email(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise Invalid(fields={"email": "must be a string"})
    return normalize_email(value, "email")


def _metadata(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Invalid(fields={"metadata": "must be an object"})
    if len(json.dumps(value, separators=(",", ":"))) > METADATA_MAX_BYTES:
        raise Invalid(fields={"metadata": f"must be at most {METADATA_MAX_BYTES} bytes as "
                                          "JSON"})
    return value


_CHECKS: dict[str, tuple[str, Any]] = {
    "externalId": ("external_id", lambda v: _text(v, "externalId", EXTERNAL_ID_MAX,
                                                  required=True)),
    "email": ("email", _email),
    "name": ("name", lambda v: _text(v, "name", NAME_MAX)),
    "avatarUrl": ("avatar_url", lambda v: check_url(v, "avatarUrl")),
    "metadata": ("metadata", _metadata),
}


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    """Check every given field (all problems reported together); column -> clean value."""
    click_id = data.get("clickId")
    bad_click = click_id is not None and not isinstance(click_id, str)
    return checked(data, _CHECKS, {"clickId": "must be a string"} if bad_click else None)


def _first_touch(workspace: Workspace, click_id: str | None) -> dict[str, Any]:
    """Customer columns for the click that brought them: link, campaign, country, source and
    the click's time. 400 for a click id unknown in this workspace."""
    if not click_id or not click_id.strip():
        return {}
    from linkhub.services import conversions, customer_journey

    ref = conversions.resolve_click(workspace, click_id.strip())
    if ref is None:
        raise Invalid(fields={"clickId": "is not a click of this workspace"})
    touch = customer_journey.touches(workspace, [ref.public_id]).get(ref.public_id)
    return {"click_public_id": ref.public_id, "link": ref.link_id, "campaign": ref.campaign_id,
            "country": ref.country or (touch.country if touch else None),
            "source": touch.source if touch else None, "first_seen_at": ref.created_at}


# --- reads ------------------------------------------------------------------------------------

def find(workspace: Workspace, id_or_ext: str) -> Customer:
    """A live customer of the workspace by `cus_…` or `ext_<externalId>`; else 404."""
    query = Customer.select().where(Customer.workspace == workspace,
                                    Customer.deleted_at.is_null())
    customer = None
    if ids.is_valid("customer", id_or_ext):
        customer = query.where(Customer.public_id == id_or_ext).first()
    elif isinstance(id_or_ext, str) and id_or_ext.startswith(EXT_PREFIX) and \
            len(id_or_ext) > len(EXT_PREFIX):
        customer = query.where(Customer.external_id == id_or_ext[len(EXT_PREFIX):]).first()
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


def refs(rows: list[Any]) -> dict[tuple[str, int], str]:
    """Public ids of the links and campaigns the rows (customers, conversions) point at, in
    two queries: {("link", pk): "link_…", ("campaign", pk): "camp_…"}."""
    found: dict[tuple[str, int], str] = {}
    for name, model in (("link", Link), ("campaign", Campaign)):
        keys = {getattr(row, f"{name}_id") for row in rows} - {None}
        if keys:
            for pk, public_id in model.select(model.id, model.public_id).where(
                    model.id.in_(keys)).tuples():
                found[(name, pk)] = public_id
    return found


def serialize(customer: Customer, known: dict[tuple[str, int], str] | None = None) -> dict:
    """The API shape; money is USD in currency units."""
    known = known if known is not None else refs([customer])
    return {
        "id": customer.public_id, "externalId": customer.external_id,
        "email": customer.email, "name": customer.name, "avatarUrl": customer.avatar_url,
        "metadata": customer.metadata, "country": customer.country,
        "clickId": customer.click_public_id,
        "linkId": known.get(("link", customer.link_id)),
        "campaignId": known.get(("campaign", customer.campaign_id)),
        "source": customer.source,
        "ltvUsd": from_micros(customer.ltv_micros),
        "leadCount": customer.lead_count, "saleCount": customer.sale_count,
        "firstSeenAt": clock.iso(customer.first_seen_at),
        "lastSeenAt": clock.iso(customer.last_seen_at),
        "createdAt": clock.iso(customer.created_at),
        "updatedAt": clock.iso(customer.updated_at),
    }


# --- writes -----------------------------------------------------------------------------------

def upsert(workspace: Workspace, actor: User | None, data: dict[str, Any]
           ) -> tuple[Customer, bool]:
    """Create the customer with this `externalId`, or update the live one that has it (given
    keys only; `null` clears). `clickId` sets the first touch when there is none yet. Returns
    (customer, created)."""
    data = {k: v for k, v in data.items() if k in WRITABLE}
    changes = _changes({**data, "externalId": data.get("externalId")})
    touch = _first_touch(workspace, data.get("clickId"))
    existing = Customer.get_or_none(Customer.workspace == workspace,
                                    Customer.external_id == changes["external_id"],
                                    Customer.deleted_at.is_null())
    if existing is not None:
        return _apply(workspace, actor, existing, changes, touch), False
    now = clock.now()
    first_seen = min(touch.get("first_seen_at") or now, now)
    try:
        with database.atomic():
            customer = Customer.create(
                public_id=ids.new_id("customer"), workspace=workspace,
                **{**changes, **touch, "first_seen_at": first_seen, "last_seen_at": now})
            audit.record("customer.create", "customer", customer.public_id,
                         workspace=workspace, actor=actor)
    except peewee.IntegrityError:  # created by a concurrent request: that one is ours now
        existing = Customer.get(Customer.workspace == workspace,
                                Customer.external_id == changes["external_id"])
        return _apply(workspace, actor, existing, changes, touch), False
    return customer, True


def update(workspace: Workspace, actor: User | None, customer: Customer,
           data: dict[str, Any]) -> Customer:
    """PATCH: the given keys only. A new `externalId` must be free (409 CONFLICT)."""
    data = {k: v for k, v in data.items() if k in WRITABLE}
    changes = _changes(data)
    touch = _first_touch(workspace, data.get("clickId"))
    return _apply(workspace, actor, customer, changes, touch)


def _apply(workspace: Workspace, actor: User | None, customer: Customer,
           changes: dict[str, Any], touch: dict[str, Any]) -> Customer:
    new_ext = changes.get("external_id")
    if new_ext and new_ext != customer.external_id and Customer.select().where(
            Customer.workspace == workspace, Customer.external_id == new_ext).exists():
        raise Conflict("CONFLICT", "Another customer already has that externalId.")
    changed = {k: v for k, v in changes.items() if getattr(customer, k) != v}
    if touch and customer.click_public_id is None:
        first_seen = touch.pop("first_seen_at")
        changed.update({k: v for k, v in touch.items() if v is not None})
        if first_seen and first_seen < customer.first_seen_at:
            changed["first_seen_at"] = first_seen
    if not changed:
        return customer
    with database.atomic():
        for key, value in changed.items():
            setattr(customer, key, value)
        customer.save()
        audit.record("customer.update", "customer", customer.public_id, workspace=workspace,
                     actor=actor, details={"fields": sorted(changed)})
    return customer


def delete(workspace: Workspace, actor: User | None, customer: Customer) -> None:
    """Soft delete: e-mail, name, avatar, metadata and externalId are erased at once; the
    aggregates and first touch stay for reports. The customer then answers 404."""
    with database.atomic():
        Customer.update(email=None, name=None, avatar_url=None, metadata=None,
                        external_id=None, deleted_at=clock.now(), updated_at=clock.now()
                        ).where(Customer.id == customer.id).execute()
        audit.record("customer.delete", "customer", customer.public_id, workspace=workspace,
                     actor=actor)


def add_conversion(customer: Customer, conversion: Conversion) -> None:
    """Fold one new conversion into the customer's aggregates (called by conversions.record,
    inside its transaction). Only approved conversions add to LTV and the counts; any
    conversion moves last-seen, and supplies the first touch when the customer has none."""
    values: dict[Any, Any] = {}
    if conversion.status == COUNTED_STATUS:
        values.update({
            Customer.ltv_micros: Customer.ltv_micros + (conversion.value_usd_micros or 0),
            Customer.lead_count: Customer.lead_count + int(conversion.kind == "lead"),
            Customer.sale_count: Customer.sale_count + int(conversion.kind == "sale")})
    at: datetime = conversion.occurred_at or clock.now()
    if at > customer.last_seen_at:
        values[Customer.last_seen_at] = at
    if at < customer.first_seen_at:
        values[Customer.first_seen_at] = at
    if customer.click_public_id is None and conversion.click_public_id:
        from linkhub.services import customer_journey

        touch = customer_journey.touches(customer.workspace, [conversion.click_public_id])
        found = touch.get(conversion.click_public_id)
        values.update({Customer.click_public_id: conversion.click_public_id,
                       Customer.link: conversion.link_id, Customer.campaign:
                       conversion.campaign_id,
                       Customer.country: customer.country or conversion.country,
                       Customer.source: found.source if found else None})
    if not values:
        return
    values[Customer.updated_at] = clock.now()
    Customer.update(values).where(Customer.id == customer.id).execute()
    fresh = Customer.get_by_id(customer.id)
    for field in Customer._meta.sorted_field_names:
        setattr(customer, field, getattr(fresh, field))


def totals(customer: Customer) -> tuple[int, int, int]:
    """(ltv micros, leads, sales) over the customer's approved conversions, from the rows."""
    rows = (Conversion.select(Conversion.kind, peewee.fn.COUNT(Conversion.id),
                              peewee.fn.SUM(Conversion.value_usd_micros))
            .where(Conversion.customer == customer, Conversion.status == COUNTED_STATUS)
            .group_by(Conversion.kind).tuples())
    ltv = leads = sales = 0
    for kind, n, money in rows:
        ltv += money or 0
        leads += n if kind == "lead" else 0
        sales += n if kind == "sale" else 0
    return ltv, leads, sales


def recalculate(workspace: Workspace, actor: User | None, customer: Customer) -> Customer:
    """Recompute LTV, lead and sale counts from the approved conversions (refunded, rejected,
    fraud and pending ones are left out). Conversions call this after a status change."""
    ltv, leads, sales = totals(customer)
    if (customer.ltv_micros, customer.lead_count, customer.sale_count) == (ltv, leads, sales):
        return customer
    before = from_micros(customer.ltv_micros)
    with database.atomic():
        customer.ltv_micros, customer.lead_count, customer.sale_count = ltv, leads, sales
        customer.save()
        audit.record("customer.recalculate_ltv", "customer", customer.public_id,
                     workspace=workspace, actor=actor,
                     details={"ltvUsdBefore": before, "ltvUsd": from_micros(ltv)})
    return customer

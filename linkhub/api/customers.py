"""/api/customers: list, count, get (`cus_…` or `ext_<externalId>`), upsert by externalId,
update, soft delete, cohorts, LTV cohorts and recalculation, journey and attribution. Parse,
call services/customers.py (and its report modules), serialise; no business rule here."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.schemas import customers as s
from linkhub.services import customer_journey, customer_queries, customer_reports, customers

bp = Blueprint("customers", __name__)
TAG = "Customers"
READ, WRITE = "customers:read", "customers:write"


def _given(body: s.CustomerUpdate) -> dict:
    return body.model_dump(include=body.model_fields_set)


@bp.get("/customers")
@require(READ)
@endpoint("List customers", query=s.CustomerListQuery, response=s.CustomerOut, listing=True,
          tag=TAG)
def list_customers(query: s.CustomerListQuery) -> Response:
    """Live customers (deleted ones are left out), newest first; `search` matches e-mail,
    name and externalId; `sortOrder` asc|desc; `limit` up to 100."""
    page = pagination.parse(request.args)
    sort, order = pagination.sort_order(request.args, tuple(customer_queries.SORTS), "createdAt")
    rows, total = customer_queries.list_customers(g.workspace, search=query.search, sort=sort,
                                                 order=order, offset=page.offset,
                                                 limit=page.limit)
    known = customers.refs(rows)
    return listing([customers.serialize(c, known) for c in rows], page, total)


@bp.get("/customers/count")
@require(READ)
@endpoint("Count customers", query=s.CountQuery, response=s.CountOut, tag=TAG)
def count_customers(query: s.CountQuery) -> Response:
    """Live customers, optionally those matching `search`."""
    return ok({"count": customer_queries.count(g.workspace, search=query.search)})


@bp.post("/customers")
@require(WRITE)
@endpoint("Create or update a customer by externalId", body=s.CustomerUpsert,
          response=s.CustomerOut, status=201, tag=TAG, errors=("CONFLICT",))
def upsert_customer(body: s.CustomerUpsert) -> Response:
    """Creates the customer (201), or updates the live customer with the same `externalId`
    (200, given fields only). `clickId` links the first touch: its link, campaign, country
    and source."""
    customer, was_created = customers.upsert(g.workspace, g.user, _given(body))
    data = customers.serialize(customer)
    return created(data) if was_created else ok(data)


@bp.get("/customers/cohorts")
@require(READ)
@endpoint("Customer cohorts", query=s.CohortQuery, response=s.CohortsOut, tag=TAG)
def cohorts(query: s.CohortQuery) -> Response:
    """Customers first seen between `start` and `end`, grouped by `group_by` (week, month,
    campaign or source; anything else is a 400), with their approved leads, sales and
    revenue in USD."""
    return ok(customer_reports.cohorts(g.workspace, group_by=query.group_by,
                                       start=query.start, end=query.end))


@bp.get("/customers/ltv-cohorts")
@require(READ)
@endpoint("Customer LTV cohorts", query=s.RangeQuery, response=s.LtvCohortsOut, tag=TAG)
def ltv_cohorts(query: s.RangeQuery) -> Response:
    """By first-seen month: customers, total and average LTV (USD), and cumulative revenue
    for each month since."""
    return ok(customer_reports.ltv_cohorts(g.workspace, start=query.start, end=query.end))


@bp.get("/customers/<customer_id>")
@require(READ)
@endpoint("Get a customer", response=s.CustomerOut, tag=TAG)
def get_customer(customer_id: str) -> Response:
    """`customer_id` is a `cus_…` id or `ext_<externalId>`."""
    return ok(customers.serialize(customers.find(g.workspace, customer_id)))


@bp.patch("/customers/<customer_id>")
@require(WRITE)
@endpoint("Update a customer", body=s.CustomerUpdate, response=s.CustomerOut, tag=TAG,
          errors=("CONFLICT",))
def update_customer(customer_id: str, body: s.CustomerUpdate) -> Response:
    """Given fields only; `null` clears (not externalId, which must stay unique)."""
    customer = customers.find(g.workspace, customer_id)
    return ok(customers.serialize(customers.update(g.workspace, g.user, customer,
                                                   _given(body))))


@bp.delete("/customers/<customer_id>")
@require(WRITE)
@endpoint("Delete a customer (soft delete and PII scrub)", response=s.DeletedOut, tag=TAG)
def delete_customer(customer_id: str) -> Response:
    """E-mail, name, avatar, metadata and externalId are erased; LTV and counts stay in the
    reports. The customer then answers 404 (a second delete too)."""
    customer = customers.find(g.workspace, customer_id)
    customers.delete(g.workspace, g.user, customer)
    return ok({"id": customer.public_id, "deleted": True})


@bp.post("/customers/<customer_id>/recalculate-ltv")
@require(WRITE)
@endpoint("Recalculate a customer's LTV", response=s.CustomerOut, tag=TAG)
def recalculate_ltv(customer_id: str) -> Response:
    """LTV, lead and sale counts recomputed from the approved conversions (refunded, rejected,
    fraud and pending ones do not count)."""
    customer = customers.find(g.workspace, customer_id)
    return ok(customers.serialize(customers.recalculate(g.workspace, g.user, customer)))


@bp.get("/customers/<customer_id>/journey")
@require(READ)
@endpoint("A customer's journey", response=s.JourneyOut, tag=TAG)
def journey(customer_id: str) -> Response:
    """Every click (the first touch and the conversions' clicks, including ones not yet
    written to disk) and every conversion, oldest first."""
    return ok(customer_journey.journey(customers.find(g.workspace, customer_id)))


@bp.get("/customers/<customer_id>/attribution")
@require(READ)
@endpoint("A customer's attribution detail", response=s.AttributionOut, tag=TAG)
def attribution(customer_id: str) -> Response:
    """First-click, last-click and linear credit of the approved conversions per link and
    campaign, with revenue shares; a conversion's touchpoints are the clicks before it."""
    return ok(customer_journey.attribution(customers.find(g.workspace, customer_id)))

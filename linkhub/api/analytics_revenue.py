"""/api/analytics unified (conversion) routes: overview, conversion details, leads and sales
(metrics, timeseries, breakdown), composite, funnel, and the audit log. Parse -> services ->
envelope; the numbers are computed in services/analytics/revenue*.py."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import listing, ok
from linkhub.schemas import analytics_revenue as s
from linkhub.services import audit_log
from linkhub.services.analytics import ranges, revenue, revenue_rows
from linkhub.services.analytics.ranges import Range
from linkhub.services.analytics.revenue import Scope

bp = Blueprint("analytics_revenue", __name__, url_prefix="/analytics")
TAG = "Analytics"
READ = "analytics:read"


def _measured() -> tuple[Scope, Range]:
    """The range (400 on bad parameters), then the link/campaign scope (404 when not ours)."""
    rng = ranges.parse(request.args, g.workspace)
    return revenue.scope(g.workspace, request.args), rng


@bp.get("/overview")
@require(READ)
@endpoint("Unified overview: clicks, leads, sales, revenue", query=s.RangeQuery,
          response=s.OverviewOut, tag=TAG)
def overview(query: s.RangeQuery) -> Response:
    """Clicks and unique clicks (hourly rollups), approved + pending leads, sales and all
    conversions, their revenue in `currency`, conversion rate (% of clicks) and EPC.
    Refunded, rejected and fraud conversions are not counted."""
    return ok(revenue.overview(*_measured()))


@bp.get("/conversions/details")
@require(READ)
@endpoint("Conversion detail rows", query=s.DetailsQuery, response=s.ConversionDetailOut,
          listing=True, tag=TAG)
def conversion_details(query: s.DetailsQuery) -> Response:
    """The range's conversions (every status unless `status` is given), newest first, with
    link title, campaign name and customer external id; `converted` is the value in
    `currency`."""
    sc, rng = _measured()
    filters = revenue_rows.detail_filters(request.args)
    page = pagination.parse(request.args)
    rows, total = revenue_rows.details(sc, rng, filters, page)
    return listing(rows, page, total)


@bp.get("/leads")
@require(READ)
@endpoint("Lead metrics", query=s.RangeQuery, response=s.LeadsOut, tag=TAG)
def lead_metrics(query: s.RangeQuery) -> Response:
    return ok(revenue.leads(*_measured()))


@bp.get("/leads/timeseries")
@require(READ)
@endpoint("Lead trend", query=s.RangeQuery, response=s.KindTimeseriesOut, tag=TAG)
def lead_timeseries(query: s.RangeQuery) -> Response:
    return ok(revenue.kind_timeseries(*_measured(), "lead"))


@bp.get("/leads/breakdown")
@require(READ)
@endpoint("Lead breakdown", query=s.BreakdownQuery, response=s.BreakdownOut, tag=TAG)
def lead_breakdown(query: s.BreakdownQuery) -> Response:
    sc, rng = _measured()
    return ok(revenue_rows.breakdown(sc, rng, "lead",
                                     *revenue_rows.breakdown_options(request.args)))


@bp.get("/sales")
@require(READ)
@endpoint("Sale metrics", query=s.RangeQuery, response=s.SalesOut, tag=TAG)
def sale_metrics(query: s.RangeQuery) -> Response:
    """Count, revenue and average order value of approved + pending sales; refunded sales
    are reported apart (`refunds`)."""
    return ok(revenue.sales(*_measured()))


@bp.get("/sales/timeseries")
@require(READ)
@endpoint("Sale trend", query=s.RangeQuery, response=s.KindTimeseriesOut, tag=TAG)
def sale_timeseries(query: s.RangeQuery) -> Response:
    return ok(revenue.kind_timeseries(*_measured(), "sale"))


@bp.get("/sales/breakdown")
@require(READ)
@endpoint("Sale breakdown", query=s.BreakdownQuery, response=s.BreakdownOut, tag=TAG)
def sale_breakdown(query: s.BreakdownQuery) -> Response:
    sc, rng = _measured()
    return ok(revenue_rows.breakdown(sc, rng, "sale",
                                     *revenue_rows.breakdown_options(request.args)))


@bp.get("/composite")
@require(READ)
@endpoint("Composite metrics per bucket", query=s.RangeQuery, response=s.CompositeOut,
          tag=TAG)
def composite(query: s.RangeQuery) -> Response:
    """Clicks, unique clicks, leads, sales, conversions and revenue in each bucket."""
    return ok(revenue.composite(*_measured()))


@bp.get("/funnel")
@require(READ)
@endpoint("Funnel: clicks -> leads -> sales", query=s.RangeQuery, response=s.FunnelOut,
          tag=TAG)
def funnel(query: s.RangeQuery) -> Response:
    return ok(revenue.funnel(*_measured()))


@bp.get("/audit-log")
@require("workspace:update")
@endpoint("Audit log", query=s.AuditLogQuery, response=s.AuditEntryOut, listing=True,
          tag=TAG)
def audit_entries(query: s.AuditLogQuery) -> Response:
    """Every recorded write of the workspace (API and dashboard), newest first, with actor,
    action, resource and time."""
    wanted = audit_log.filters(request.args)
    page = pagination.parse(request.args, default_limit=50, max_limit=500)
    rows, total = audit_log.search(g.workspace, wanted, page)
    return listing(audit_log.serialize_all(rows), page, total)

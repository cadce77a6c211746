"""/api/analytics click routes: workspace reports, per-link reports (`link_…` ids; a deleted or
another workspace's link is a 404), batch and export. Parse -> services/analytics -> envelope;
the conversion side (overview, leads, sales, funnel, live, audit log) is analytics_revenue.py."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import ok
from linkhub.models import Link
from linkhub.schemas import analytics as s
from linkhub.schemas import analytics_links as sl
from linkhub.schemas import analytics_reports as sr
from linkhub.services import rules
from linkhub.services.analytics import (
    batch,
    breakdowns,
    export,
    link_reports,
    ranges,
    rankings,
    rollups,
)
from linkhub.services.analytics.ranges import Range
from linkhub.services.analytics.rollups import Scope

bp = Blueprint("analytics", __name__, url_prefix="/analytics")
TAG = "Analytics"
READ = "analytics:read"


def _range() -> Range:
    return ranges.parse(request.args, g.workspace)


def _ws() -> tuple[Scope, Range]:
    return Scope(g.workspace), _range()


def _link(link_id: str) -> tuple[Link, Range]:
    """The live link first (404), then the range (400)."""
    return rules.live_link(g.workspace, link_id), _range()


def _limit() -> int:
    return breakdowns.top_limit(request.args)


def _link_report(link_id: str, report, *extra) -> Response:
    """A scope report of the link, `extra` arguments computed after the range is parsed."""
    link, rng = _link(link_id)
    return ok(report(Scope.of_link(link), rng, *(f() for f in extra)))



@bp.get("/workspace/overview")
@require(READ)
@endpoint("Workspace KPIs", query=s.ClickRangeQuery, response=sr.WorkspaceOverviewOut, tag=TAG)
def workspace_overview(query: s.ClickRangeQuery) -> Response:
    """Clicks, unique visitors, bots, QR scans, conversions and revenue of the range, the
    previous range of the same length and the change, and link counts."""
    return ok(rankings.workspace_overview(g.workspace, _range()))


@bp.get("/workspace/timeseries")
@require(READ)
@endpoint("Workspace trend", query=s.ClickRangeQuery, response=s.TimeseriesOut, tag=TAG)
def workspace_timeseries(query: s.ClickRangeQuery) -> Response:
    """One point per local bucket of `granularity` in `timezone`, empty buckets included."""
    return ok(rollups.timeseries(*_ws()))


@bp.get("/workspace/regions")
@require(READ)
@endpoint("Workspace regions", query=s.ClickRegionQuery, response=s.RegionsOut, tag=TAG)
def workspace_regions(query: s.ClickRegionQuery) -> Response:
    """From raw clicks; regions are known only when a city database is configured."""
    scope, rng = _ws()
    return ok(breakdowns.regions(scope, rng, breakdowns.country_filter(request.args), _limit()))


@bp.get("/workspace/continents")
@require(READ)
@endpoint("Workspace continents", query=s.ClickRangeQuery, response=s.ContinentsOut, tag=TAG)
def workspace_continents(query: s.ClickRangeQuery) -> Response:
    return ok(breakdowns.continents(*_ws()))


@bp.get("/workspace/coordinates")
@require(READ)
@endpoint("Workspace map points", query=s.ClickTopQuery, response=s.PointsOut, tag=TAG)
def workspace_coordinates(query: s.ClickTopQuery) -> Response:
    """Country centroids with their clicks (clicks keep a country, not a position)."""
    return ok(breakdowns.coordinates(*_ws(), _limit()))


@bp.get("/workspace/devices")
@require(READ)
@endpoint("Workspace devices, browsers and OS", query=s.ClickTopQuery,
          response=s.DevicesOut, tag=TAG)
def workspace_devices(query: s.ClickTopQuery) -> Response:
    return ok(breakdowns.devices(*_ws(), _limit()))


@bp.get("/workspace/triggers")
@require(READ)
@endpoint("Workspace triggers", query=s.ClickRangeQuery, response=s.TriggersOut, tag=TAG)
def workspace_triggers(query: s.ClickRangeQuery) -> Response:
    return ok(breakdowns.triggers(*_ws()))


@bp.get("/workspace/top-folders")
@require(READ)
@endpoint("Top folders", query=s.ClickTopQuery, response=sr.FoldersOut, tag=TAG)
def top_folders(query: s.ClickTopQuery) -> Response:
    return ok(rankings.top_folders(g.workspace, _range(), _limit()))


@bp.get("/workspace/top-tags")
@require(READ)
@endpoint("Top tags", query=s.ClickTopQuery, response=sr.TagsOut, tag=TAG)
def top_tags(query: s.ClickTopQuery) -> Response:
    """A link with several tags counts for each of them."""
    return ok(rankings.top_tags(g.workspace, _range(), _limit()))


@bp.get("/workspace/campaigns/ranking")
@require(READ)
@endpoint("Campaign ranking", query=s.CampaignRankingQuery, response=sr.CampaignRankingOut,
          tag=TAG)
def campaign_ranking(query: s.CampaignRankingQuery) -> Response:
    return ok(rankings.campaign_ranking(g.workspace, _range(), request.args, _limit()))


@bp.get("/workspace/budgets")
@require(READ)
@endpoint("Campaign budget use", query=s.ClickRangeQuery, response=sr.BudgetsOut, tag=TAG)
def budgets(query: s.ClickRangeQuery) -> Response:
    """Spend today (the zone's day) and over each campaign's life against its budgets."""
    return ok(rankings.budgets(g.workspace, _range()))


@bp.get("/workspace/usage")
@require(READ)
@endpoint("Usage counters", query=s.ClickRangeQuery, response=sr.UsageOut, tag=TAG)
def usage(query: s.ClickRangeQuery) -> Response:
    return ok(rankings.usage(g.workspace, _range()))


@bp.get("/city/breakdown")
@require(READ)
@endpoint("City breakdown", query=s.CityBreakdownQuery, response=s.CitiesOut, tag=TAG)
def city_breakdown(query: s.CityBreakdownQuery) -> Response:
    """From raw clicks (cities need a configured city database); `campaignId` or `linkId`
    narrow it (404 when not the workspace's)."""
    scope = rollups.resolve_scope(g.workspace, request.args)
    return ok(breakdowns.cities(scope, _range(), breakdowns.country_filter(request.args),
                                _limit()))



@bp.get("/<link_id>/summary")
@require(READ)
@endpoint("Link summary", query=s.ClickRangeQuery, response=sr.LinkSummaryOut, tag=TAG)
def link_summary(link_id: str, query: s.ClickRangeQuery) -> Response:
    return ok(rankings.link_summary(*_link(link_id)))


@bp.get("/<link_id>/timeseries")
@require(READ)
@endpoint("Link trend", query=s.ClickRangeQuery, response=s.TimeseriesOut, tag=TAG)
def link_timeseries(link_id: str, query: s.ClickRangeQuery) -> Response:
    return _link_report(link_id, rollups.timeseries)


@bp.get("/<link_id>/geo")
@require(READ)
@endpoint("Link countries", query=s.ClickTopQuery, response=s.CountriesOut, tag=TAG)
def link_geo(link_id: str, query: s.ClickTopQuery) -> Response:
    """Rows `{country, name, dimension, clicks, unique_clicks, percentage}`."""
    return _link_report(link_id, breakdowns.countries, _limit)


@bp.get("/<link_id>/cities")
@require(READ)
@endpoint("Link cities", query=s.ClickRegionQuery, response=s.CitiesOut, tag=TAG)
def link_cities(link_id: str, query: s.ClickRegionQuery) -> Response:
    return _link_report(link_id, breakdowns.cities,
                        lambda: breakdowns.country_filter(request.args), _limit)


@bp.get("/<link_id>/regions")
@require(READ)
@endpoint("Link regions", query=s.ClickRegionQuery, response=s.RegionsOut, tag=TAG)
def link_regions(link_id: str, query: s.ClickRegionQuery) -> Response:
    return _link_report(link_id, breakdowns.regions,
                        lambda: breakdowns.country_filter(request.args), _limit)


@bp.get("/<link_id>/continents")
@require(READ)
@endpoint("Link continents", query=s.ClickRangeQuery, response=s.ContinentsOut, tag=TAG)
def link_continents(link_id: str, query: s.ClickRangeQuery) -> Response:
    return _link_report(link_id, breakdowns.continents)


@bp.get("/<link_id>/coordinates")
@require(READ)
@endpoint("Link map points", query=s.ClickTopQuery, response=s.PointsOut, tag=TAG)
def link_coordinates(link_id: str, query: s.ClickTopQuery) -> Response:
    return _link_report(link_id, breakdowns.coordinates, _limit)


@bp.get("/<link_id>/devices")
@require(READ)
@endpoint("Link devices, browsers and OS", query=s.ClickTopQuery, response=s.DevicesOut,
          tag=TAG)
def link_devices(link_id: str, query: s.ClickTopQuery) -> Response:
    return _link_report(link_id, breakdowns.devices, _limit)


@bp.get("/<link_id>/referrers")
@require(READ)
@endpoint("Link referrers", query=s.ClickTopQuery, response=s.ReferrersOut, tag=TAG)
def link_referrers(link_id: str, query: s.ClickTopQuery) -> Response:
    """Referrer domains; `direct` when there was none."""
    return _link_report(link_id, breakdowns.referrers, _limit)


@bp.get("/<link_id>/triggers")
@require(READ)
@endpoint("Link triggers", query=s.ClickRangeQuery, response=s.TriggersOut, tag=TAG)
def link_triggers(link_id: str, query: s.ClickRangeQuery) -> Response:
    return _link_report(link_id, breakdowns.triggers)


@bp.get("/<link_id>/rules")
@require(READ)
@endpoint("Per-rule match stats", query=s.ClickRangeQuery, response=sl.RuleStatsOut, tag=TAG)
def link_rules(link_id: str, query: s.ClickRangeQuery) -> Response:
    """Every rule applying to the link (and any other that matched in the range), plus the
    default destination (`ruleId` null)."""
    return ok(link_reports.rule_stats(*_link(link_id)))


@bp.get("/<link_id>/rules/<rule_id>/conditions")
@require(READ)
@endpoint("Per-condition stats of a rule", query=s.ClickRangeQuery,
          response=sl.ConditionStatsOut, tag=TAG)
def link_rule_conditions(link_id: str, rule_id: str, query: s.ClickRangeQuery) -> Response:
    """The rule's conditions re-evaluated against each stored click of the range (the newest
    100,000): passed, failed, and unknown (the click does not keep that fact)."""
    link, rng = _link(link_id)
    return ok(link_reports.condition_stats(link, rule_id, rng))


@bp.get("/<link_id>/traffic-flow")
@require(READ)
@endpoint("Traffic flow (source -> rule -> destination)", query=s.ClickRangeQuery,
          response=sl.TrafficFlowOut, tag=TAG)
def link_traffic_flow(link_id: str, query: s.ClickRangeQuery) -> Response:
    return ok(link_reports.traffic_flow(*_link(link_id)))


@bp.get("/<link_id>/click-paths")
@require(READ)
@endpoint("Click paths", query=s.ClickPathQuery, response=sl.ClickPathsOut, tag=TAG)
def link_click_paths(link_id: str, query: s.ClickPathQuery) -> Response:
    """Newest clicks first, each with its source, matched rule and conditions, destination
    and visitor facts; `filterType` + `filterValue` narrow them."""
    link, rng = _link(link_id)
    return ok(link_reports.click_paths(link, rng, request.args))



@bp.post("/batch")
@require(READ)
@endpoint("Batch of analytics sub-requests", body=s.BatchBody, response=sl.BatchOut, tag=TAG)
def analytics_batch(body: s.BatchBody) -> Response:
    """Up to 10 sub-requests; each result carries its own `success`, `status` and `data` or
    `error`. A bad batch (size, type, parameters) is one 400 naming `requests.<i>.<field>`."""
    results = batch.run(g.workspace, [item.model_dump() for item in body.requests])
    return ok({"results": results, "count": len(results)})


@bp.get("/export")
@require(READ)
@endpoint("Export a report as CSV or JSON", query=s.ExportQuery, response=sl.ExportOut,
          tag=TAG, media_type="text/csv")
def analytics_export(query: s.ExportQuery) -> Response:
    """CSV (default, a download) or JSON (the envelope). Cells starting with = + - @ are
    prefixed with an apostrophe so spreadsheets do not run them."""
    data = export.report(g.workspace, request.args)
    if data["format"] == "json":
        return ok(data)
    return Response(export.to_csv(data), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{export.filename(data)}"'})

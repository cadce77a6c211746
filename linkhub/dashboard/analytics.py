"""Dashboard analytics pages: the workspace report (/app/analytics) and one link's report
(/app/links/<id>/analytics) over the range and time zone of a GET picker. Every figure comes
from services/analytics, the functions behind /api/analytics; this module only arranges them
into tables and Chart.js descriptions (drawn by static/analytics.js). No figure computed here."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from flask import Blueprint, g, render_template, url_for

from linkhub.dashboard.forms import analytics as picker
from linkhub.dashboard.forms import copy_errors
from linkhub.dashboard.guard import workspace_required
from linkhub.errors import Invalid
from linkhub.models import Link
from linkhub.services import rules as rule_service
from linkhub.services.analytics import (
    breakdowns,
    export,
    link_reports,
    ranges,
    rankings,
    revenue,
    rollups,
)
from linkhub.services.analytics.ranges import Range
from linkhub.services.analytics.rollups import Scope

bp = Blueprint("analytics", __name__)
T = "dashboard/analytics/"
TOP = 10  # rows of each top-N table
PATHS = "20"  # recent click paths on a link's page
EXPORTS = (("Clicks per link", {"type": "clicks", "dimension": "link"}),
           ("Time series", {"type": "timeseries"}),
           ("Countries", {"type": "clicks", "dimension": "country"}),
           ("Devices", {"type": "clicks", "dimension": "device"}),
           ("Referrers", {"type": "clicks", "dimension": "referrer"}),
           ("Funnel", {"type": "funnel"}))
LINK_EXPORTS = (("Time series", {"type": "timeseries"}),
                ("Countries", {"type": "clicks", "dimension": "country"}),
                ("Referrers", {"type": "clicks", "dimension": "referrer"}),
                ("Rules", {"type": "clicks", "dimension": "rule"}),
                ("UTM breakdown", {"type": "utm_breakdown"}))


@dataclasses.dataclass
class Picked:
    """The bound picker, the parsed range (None when the service refused the parameters),
    the range's query parameters and an error that belongs to no field."""

    form: picker.RangeForm
    rng: Range | None
    args: dict[str, str]
    error: str | None = None


def _picked() -> Picked:
    form = picker.bind(g.workspace.timezone)
    args = picker.range_args(form)
    try:
        rng = ranges.parse(args, g.workspace)
    except Invalid as exc:
        return Picked(form, None, args, copy_errors(form, exc, picker.ERROR_FIELDS))
    if form.granularity.data == "auto":
        args["granularity"] = picker.auto_granularity(form.range.data, rng.end - rng.start)
        rng = dataclasses.replace(rng, granularity=args["granularity"])
    return Picked(form, rng, args)


def _bucket_label(timestamp: str, granularity: str) -> str:
    """`2026-03-09T00:00:00.000+01:00` as the picker's zone shows it."""
    moment = datetime.fromisoformat(timestamp)
    if granularity == "hour":
        return moment.strftime("%Y-%m-%d %H:%M")
    return moment.strftime("%Y-%m" if granularity == "month" else "%Y-%m-%d")


def _range_label(rng: Range) -> str:
    fmt = "%Y-%m-%d %H:%M"
    return (f"{rng.local(rng.start).strftime(fmt)} → {rng.local(rng.end).strftime(fmt)} "
            f"({rng.timezone})")


# --- chart descriptions (drawn by static/analytics.js) ----------------------------------------

def _series_chart(series: dict[str, Any], currency: str) -> dict[str, Any]:
    points = series["timeseries"]
    return {"type": "line",
            "labels": [_bucket_label(p["timestamp"], series["granularity"]) for p in points],
            "datasets": [
                {"label": "Clicks", "data": [p["clicks"] for p in points]},
                {"label": "Unique visitors", "data": [p["uniqueVisitors"] for p in points]},
                {"label": "Conversions", "data": [p["conversions"] for p in points],
                 "kind": "bar"},
                {"label": f"Revenue ({currency})", "data": [p["revenue"] for p in points],
                 "axis": "y1"}]}


def _share_chart(rows: list[dict[str, Any]], key: str, kind: str = "doughnut",
                 label: Any = None) -> dict[str, Any] | None:
    """A doughnut (or bar) of a breakdown's rows; None when nothing was counted."""
    rows = [r for r in rows if r["clicks"]]
    if not rows:
        return None
    return {"type": kind, "horizontal": kind == "bar",
            "labels": [label(r) if label else r[key] for r in rows],
            "datasets": [{"label": "Clicks", "data": [r["clicks"] for r in rows]}]}


def _funnel_chart(funnel: dict[str, Any]) -> dict[str, Any]:
    steps = funnel["steps"]
    return {"type": "bar", "labels": [s["name"].title() for s in steps],
            "datasets": [{"label": "Count", "data": [s["count"] for s in steps]}]}


def _charts(series: dict, devices: dict, countries: dict, triggers: dict, funnel: dict,
            currency: str) -> dict[str, Any]:
    return {
        "timeseries": _series_chart(series, currency),
        "countries": _share_chart(countries["countries"], "country", "bar",
                                  lambda r: r["name"] or r["country"]),
        "devices": _share_chart(devices["deviceData"], "device"),
        "browsers": _share_chart(devices["browserData"], "browser"),
        "os": _share_chart(devices["osData"], "os"),
        "triggers": _share_chart(triggers["triggers"], "trigger"),
        "funnel": _funnel_chart(funnel),
    }


def _exports(args: dict[str, str], wanted: tuple, **scope: str) -> list[tuple[str, str]]:
    """(label, URL) of CSV downloads from GET /api/analytics/export over the same range."""
    return [(label, url_for("api.analytics.analytics_export", format="csv", **extra, **scope,
                            **args)) for label, extra in wanted]


def _top_links(workspace: Any, args: dict[str, str]) -> list[dict[str, Any]]:
    data = export.report(workspace, {**args, "format": "json", "type": "clicks",
                                     "dimension": "link"})
    rows = [dict(zip(data["columns"], row, strict=True)) for row in data["rows"]]
    return [r for r in rows if r["clicks"]][:TOP]


def _common(scope: Scope, rng: Range) -> dict[str, Any]:
    """The breakdowns both pages show."""
    return {"series": rollups.timeseries(scope, rng),
            "countries": breakdowns.countries(scope, rng, TOP),
            "devices": breakdowns.devices(scope, rng, TOP),
            "referrers": breakdowns.referrers(scope, rng, TOP),
            "triggers": breakdowns.triggers(scope, rng)}


def _refused(template: str, picked: Picked, **context: Any):
    return render_template(T + template, form=picked.form, error=picked.error, report=None,
                           **context), 400


@bp.get("/analytics")
@workspace_required
def index():
    picked = _picked()
    if picked.rng is None:
        return _refused("index.html", picked)
    ws, rng = g.workspace, picked.rng
    report = _common(Scope(ws), rng)
    report.update(
        overview=rankings.workspace_overview(ws, rng),
        funnel=revenue.funnel(revenue.Scope(ws), rng),
        links=_top_links(ws, picked.args),
        tags=rankings.top_tags(ws, rng, TOP)["tags"],
        folders=rankings.top_folders(ws, rng, TOP)["folders"],
        campaigns=rankings.campaign_ranking(ws, rng, {}, TOP)["campaigns"])
    charts = _charts(report["series"], report["devices"], report["countries"],
                     report["triggers"], report["funnel"], rng.currency)
    return render_template(T + "index.html", form=picked.form, error=None, report=report,
                           charts=charts, rng=rng, range_label=_range_label(rng),
                           exports=_exports(picked.args, EXPORTS),
                           query=picker.query_of(picked.form))


def _flow_rows(flow: dict[str, Any]) -> list[dict[str, Any]]:
    """Traffic-flow edges as table rows: source -> rule first, then rule -> destination."""
    nodes = {n["id"]: n for n in flow["nodes"]}
    order = {"source": 0, "rule": 1}
    rows = [{"stage": nodes[e["source"]]["type"], "from": nodes[e["source"]]["name"],
             "to": nodes[e["target"]]["name"], "clicks": e["value"],
             "percentage": e["percentage"]} for e in flow["links"]]
    return sorted(rows, key=lambda r: order.get(r["stage"], 2))


@bp.get("/links/<link_id>/analytics")
@workspace_required
def link(link_id: str):
    target: Link = rule_service.live_link(g.workspace, link_id)  # 404 before the range
    picked = _picked()
    if picked.rng is None:
        return _refused("link.html", picked, link=target)
    rng = picked.rng
    report = _common(Scope.of_link(target), rng)
    report.update(
        summary=rankings.link_summary(target, rng),
        funnel=revenue.funnel(revenue.Scope(g.workspace, link=target), rng),
        rules=link_reports.rule_stats(target, rng)["rules"],
        flow=_flow_rows(link_reports.traffic_flow(target, rng)),
        paths=link_reports.click_paths(target, rng, {"limit": PATHS})["clickPaths"])
    charts = _charts(report["series"], report["devices"], report["countries"],
                     report["triggers"], report["funnel"], rng.currency)
    charts["rules"] = _share_chart(report["rules"], "name", "bar")
    return render_template(T + "link.html", form=picked.form, error=None, report=report,
                           charts=charts, rng=rng, range_label=_range_label(rng), link=target,
                           exports=_exports(picked.args, LINK_EXPORTS,
                                            linkId=target.public_id),
                           query=picker.query_of(picked.form))

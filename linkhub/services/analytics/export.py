"""`GET /api/analytics/export`: one report as rows (columns + values) for CSV or JSON: click
stats (per link, or per value of a `dimension`), timeseries, composite and funnel (the
conversion side's reports), UTM breakdown. CSV cells that a spreadsheet would run as a formula
(= + - @, tab, CR) get a leading apostrophe (services/export_writers.escape_cell). Read-only."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import peewee

from linkhub.errors import Invalid
from linkhub.models import Click, ClickRollup, Link, Workspace
from linkhub.services.analytics import breakdowns, ranges, rollups
from linkhub.services.analytics.ranges import Range
from linkhub.services.analytics.rollups import Counts, Scope
from linkhub.services.export_writers import escape_cell as _cell

FORMATS = ("csv", "json")
TYPES = ("clicks", "timeseries", "composite", "funnel", "utm_breakdown")
DIMENSIONS = ("link", "country", "device", "os", "browser", "referrer", "rule", "trigger")


def parse(args: Mapping[str, str], workspace: Workspace) -> tuple[str, str, str, Range]:
    """(format, type, dimension, range); every bad parameter is one 400."""
    errors: dict[str, str] = {}
    fmt = (args.get("format") or "csv").strip().lower()
    kind = (args.get("type") or "clicks").strip().lower()
    dimension = (args.get("dimension") or "link").strip()
    if fmt not in FORMATS:
        errors["format"] = "must be csv or json"
    if kind not in TYPES:
        errors["type"] = f"must be one of {', '.join(TYPES)}"
    if dimension not in DIMENSIONS:
        errors["dimension"] = f"must be one of {', '.join(DIMENSIONS)}"
    try:
        rng = ranges.parse(args, workspace)
    except Invalid as exc:
        errors.update(exc.fields)
    if errors:
        raise Invalid(fields=errors)
    return fmt, kind, dimension, rng


def report(workspace: Workspace, args: Mapping[str, str]) -> dict[str, Any]:
    """{format, type, columns, rows, range}: rows are lists in `columns` order."""
    fmt, kind, dimension, rng = parse(args, workspace)
    if kind in ("composite", "funnel"):
        columns, rows = _revenue_rows(workspace, args, rng, kind)
    else:
        scope = rollups.resolve_scope(workspace, args)
        if kind == "timeseries":
            columns, rows = _timeseries(scope, rng)
        elif kind == "utm_breakdown":
            columns, rows = _utm(scope, rng)
        elif dimension == "link":
            columns, rows = _per_link(scope, rng)
        else:
            columns, rows = _per_value(scope, rng, dimension)
    return {"format": fmt, "type": kind, "dimension": dimension if kind == "clicks" else None,
            "columns": columns, "rows": rows, "range": rng.as_json()}


def _timeseries(scope: Scope, rng: Range) -> tuple[list[str], list[list]]:
    columns = ["timestamp", "clicks", "uniqueVisitors", "botClicks", "conversions", "revenue"]
    points = rollups.timeseries(scope, rng)["timeseries"]
    return columns, [[p[c] for c in columns] for p in points]


def _per_link(scope: Scope, rng: Range) -> tuple[list[str], list[list]]:
    query = (ClickRollup.select(Link.public_id, Link.short_code, Link.title,
                                Link.destination_url, peewee.fn.SUM(ClickRollup.clicks),
                                peewee.fn.SUM(ClickRollup.unique_clicks),
                                peewee.fn.SUM(ClickRollup.bot_clicks))
             .join(Link, on=(ClickRollup.link == Link.id))
             .where(ClickRollup.workspace == scope.workspace, ClickRollup.hour >= rng.start,
                    ClickRollup.hour < rng.end))
    if scope.links is not None:
        query = query.where(ClickRollup.link.in_(scope.links))
    columns = ["linkId", "shortCode", "title", "destinationUrl", "clicks", "uniqueClicks",
               "botClicks"]
    rows = []
    for *link, clicks, unique, bots in query.group_by(ClickRollup.link).tuples():
        counts = Counts()
        counts.add(clicks, unique, bots)
        rows.append([*link, counts.shown(rng.include_bots), counts.unique, counts.bots])
    rows.sort(key=lambda r: (-r[4], r[0]))
    return columns, rows


def _per_value(scope: Scope, rng: Range, dimension: str) -> tuple[list[str], list[list]]:
    counts = rollups.by_value(scope, rng, dimension)
    found, _ = breakdowns.rows(counts, rng, "value", dimension)
    columns = ["dimension", "value", "clicks", "uniqueClicks", "botClicks", "percentage"]
    return columns, [[dimension, r["value"], r["clicks"], r["unique_clicks"],
                      counts[r["value"]].bots, r["percentage"]] for r in found]


def _utm(scope: Scope, rng: Range) -> tuple[list[str], list[list]]:
    keys = (Click.utm_source, Click.utm_medium, Click.utm_campaign)
    query = breakdowns.raw_clicks(scope, rng, *keys, peewee.fn.COUNT(Click.id),
                                  peewee.fn.SUM(Click.is_unique)).group_by(*keys)
    rows = [[s or "", m or "", c or "", n, int(u or 0)] for s, m, c, n, u in query.tuples()]
    rows.sort(key=lambda r: (-r[3], r[:3]))
    return ["utmSource", "utmMedium", "utmCampaign", "clicks", "uniqueClicks"], rows


def _revenue_rows(workspace: Workspace, args: Mapping[str, str], rng: Range,
                  kind: str) -> tuple[list[str], list[list]]:
    from linkhub.services.analytics import revenue  # the conversion side's reports

    scope = revenue.scope(workspace, args)
    if kind == "funnel":
        steps = revenue.funnel(scope, rng)["steps"]
        columns = ["name", "count", "rate", "overallRate", "dropOff"]
        return columns, [[s[c] for c in columns] for s in steps]
    points = revenue.composite(scope, rng)["timeseries"]
    columns = ["timestamp", "clicks", "uniqueClicks", "leads", "sales", "conversions",
               "revenue"]
    return columns, [[p.get(c) for c in columns] for p in points]


def to_csv(data: Mapping[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_cell(c) for c in data["columns"]])
    for row in data["rows"]:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def filename(data: Mapping[str, Any]) -> str:
    day = (data["range"]["start"] or "")[:10]
    return f"analytics-{data['type']}-{day}.{data['format']}"

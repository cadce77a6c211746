"""`POST /api/analytics/batch`: up to 10 typed sub-requests (overview, timeseries,
city_breakdown and the QR reports), each with its own parameters. The whole batch is validated
before anything runs; a sub-request that fails later (a 404) answers its error in place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import peewee

from linkhub.errors import ApiError, Invalid
from linkhub.models import Click, ClickRollup, Link, Workspace
from linkhub.services.analytics import breakdowns, ranges, rankings, rollups
from linkhub.services.analytics.geo_tables import country_name
from linkhub.services.analytics.ranges import Range
from linkhub.services.analytics.rollups import Counts, Scope

MAX_REQUESTS = 10
TYPES = ("overview", "timeseries", "city_breakdown", "qr_analytics", "qr_geo_breakdown",
         "qr_timeseries")
_SCALARS = (str, int, float, bool)


def _params(raw: Any, where: str) -> dict[str, str]:
    """Sub-request parameters as the query strings the single routes take."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise Invalid(fields={where: "must be an object"})
    out = {}
    for key, value in raw.items():
        if value is None:
            continue
        if not isinstance(value, _SCALARS):
            raise Invalid(fields={f"{where}.{key}": "must be a string, number or boolean"})
        out[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)
    return out


def validate(workspace: Workspace, items: Any) -> list[tuple[str | None, str, dict, Range]]:
    """(id, type, params, range) per sub-request; 400 naming `requests.<i>.…` otherwise."""
    if not isinstance(items, list) or not 1 <= len(items) <= MAX_REQUESTS:
        raise Invalid(fields={"requests": f"must hold 1 to {MAX_REQUESTS} sub-requests"})
    out = []
    for i, item in enumerate(items):
        where = f"requests.{i}"
        if not isinstance(item, Mapping):
            raise Invalid(fields={where: "must be an object"})
        kind = item.get("type")
        if kind not in TYPES:
            raise Invalid(fields={f"{where}.type": f"must be one of {', '.join(TYPES)}"})
        params = _params(item.get("params"), f"{where}.params")
        try:
            rng = ranges.parse(params, workspace)
            if kind == "city_breakdown":
                breakdowns.country_filter(params)
            breakdowns.top_limit(params)
        except Invalid as exc:
            raise Invalid(fields={f"{where}.params.{k}": v for k, v in exc.fields.items()}
                          ) from None
        ident = item.get("id")
        out.append((None if ident is None else str(ident), kind, params, rng))
    return out


def run(workspace: Workspace, items: Any) -> list[dict[str, Any]]:
    results = []
    for ident, kind, params, rng in validate(workspace, items):
        try:
            data = _HANDLERS[kind](workspace, params, rng)
        except ApiError as exc:
            results.append({"id": ident, "type": kind, "success": False, "status": exc.status,
                            "error": {"code": exc.code, "message": exc.message}})
            continue
        results.append({"id": ident, "type": kind, "success": True, "status": 200,
                        "data": data})
    return results


# --- the sub-requests -------------------------------------------------------------------------

def overview(workspace: Workspace, params: Mapping[str, str], rng: Range) -> dict[str, Any]:
    scope = rollups.resolve_scope(workspace, params)
    if scope.links is None:
        return rankings.workspace_overview(workspace, rng)
    return rankings.kpis(scope, rng)


def timeseries(workspace: Workspace, params: Mapping[str, str], rng: Range) -> dict[str, Any]:
    return rollups.timeseries(rollups.resolve_scope(workspace, params), rng)


def city_breakdown(workspace: Workspace, params: Mapping[str, str],
                   rng: Range) -> dict[str, Any]:
    scope = rollups.resolve_scope(workspace, params)
    return breakdowns.cities(scope, rng, breakdowns.country_filter(params),
                             breakdowns.top_limit(params))


def qr_analytics(workspace: Workspace, params: Mapping[str, str], rng: Range) -> dict[str, Any]:
    """QR scans (clicks with trigger `qr`): totals, share of all clicks, top links."""
    scope = rollups.resolve_scope(workspace, params)
    qr = rollups.by_value(scope, rng, "trigger").get("qr", Counts())
    clicks = rollups.totals(scope, rng).shown(rng.include_bots)
    scans = qr.shown(rng.include_bots)
    query = (ClickRollup.select(Link.public_id, Link.short_code, Link.title,
                                peewee.fn.SUM(ClickRollup.clicks),
                                peewee.fn.SUM(ClickRollup.unique_clicks),
                                peewee.fn.SUM(ClickRollup.bot_clicks))
             .join(Link, on=(ClickRollup.link == Link.id))
             .where(ClickRollup.workspace == workspace, ClickRollup.hour >= rng.start,
                    ClickRollup.hour < rng.end, ClickRollup.trigger == "qr"))
    if scope.links is not None:
        query = query.where(ClickRollup.link.in_(scope.links))
    links = []
    for public_id, code, title, humans, unique, bots in query.group_by(Link.id).tuples():
        count = Counts()
        count.add(humans, unique, bots)
        if count.shown(rng.include_bots):
            links.append({"linkId": public_id, "shortCode": code, "title": title,
                          "scans": count.shown(rng.include_bots), "uniqueScans": count.unique})
    links.sort(key=lambda r: (-r["scans"], r["linkId"]))
    return {"scans": scans, "uniqueScans": qr.unique, "botScans": qr.bots,
            "totalClicks": clicks, "scanShare": breakdowns.percentage(scans, clicks),
            "links": links[:breakdowns.top_limit(params)], "range": rng.as_json()}


def qr_geo_breakdown(workspace: Workspace, params: Mapping[str, str],
                     rng: Range) -> dict[str, Any]:
    """Countries of QR scans (raw clicks: rollups keep trigger and country apart)."""
    scope = rollups.resolve_scope(workspace, params)
    query = (breakdowns.raw_clicks(scope, rng, Click.country, peewee.fn.COUNT(Click.id),
                                   peewee.fn.SUM(Click.is_unique))
             .where(Click.trigger == "qr").group_by(Click.country))
    counts: dict[str, Counts] = {}
    for code, count, unique in query.tuples():
        counts.setdefault(code or breakdowns.UNKNOWN, Counts()).add(count, unique, 0)
    as_humans = Range(rng.start, rng.end, rng.granularity, rng.timezone, rng.tz, rng.currency,
                      False)  # raw counts already honour includeBots
    found, total = breakdowns.rows(counts, as_humans, "country", "country",
                                   breakdowns.top_limit(params),
                                   lambda code: {"name": country_name(code)})
    return {"countries": found, "totalScans": total}


def qr_timeseries(workspace: Workspace, params: Mapping[str, str],
                  rng: Range) -> dict[str, Any]:
    scope: Scope = rollups.resolve_scope(workspace, params)
    buckets = rollups.by_bucket(scope, rng, "trigger", "qr")
    points = [{"timestamp": rng.label(b), "scans": buckets[b].shown(rng.include_bots),
               "uniqueScans": buckets[b].unique} for b in rng.buckets()]
    return {"timeseries": points, "granularity": rng.granularity, "timezone": rng.timezone}


_HANDLERS = {"overview": overview, "timeseries": timeseries, "city_breakdown": city_breakdown,
             "qr_analytics": qr_analytics, "qr_geo_breakdown": qr_geo_breakdown,
             "qr_timeseries": qr_timeseries}

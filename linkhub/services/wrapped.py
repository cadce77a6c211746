"""A workspace's year in review ("wrapped"), read from the hourly rollups and the conversions:
totals, top links and countries, the busiest local day, month-by-month growth against the
year before, conversions and revenue in USD. Read-only; raw clicks are never read."""

from __future__ import annotations

import zoneinfo
from datetime import UTC, date, datetime
from typing import Any

import peewee

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import ClickRollup, Link, Workspace
from linkhub.services.analytics import rollups
from linkhub.services.analytics.ranges import Range, ceil_hour, floor_hour

FIRST_YEAR = 2000
TOP = 5


def _zone(workspace: Workspace) -> tuple[str, zoneinfo.ZoneInfo]:
    name = workspace.timezone or "UTC"
    try:
        return name, zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return "UTC", zoneinfo.ZoneInfo("UTC")


def this_year(workspace: Workspace) -> int:
    return clock.now().replace(tzinfo=UTC).astimezone(_zone(workspace)[1]).year


def parse_year(workspace: Workspace, value: Any) -> int:
    """`year`: 2000 up to the current year in the workspace's time zone (default: it)."""
    if value is None or value == "":
        return this_year(workspace)
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        raise Invalid(fields={"year": "must be a four-digit year"})
    year, current = int(text), this_year(workspace)
    if year < FIRST_YEAR:
        raise Invalid(fields={"year": f"must be {FIRST_YEAR} or later"})
    if year > current:
        raise Invalid(fields={"year": f"must not be in the future (at most {current})"})
    return year


def _range(year: int, granularity: str, name: str, tz: zoneinfo.ZoneInfo) -> Range:
    """The local calendar year as UTC hours (zones off the hour round outwards)."""
    def utc(local: datetime) -> datetime:
        return local.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)

    start, end = utc(datetime(year, 1, 1)), utc(datetime(year + 1, 1, 1))
    return Range(floor_hour(start), ceil_hour(end), granularity, name, tz, "USD", False)


def _top_links(workspace: Workspace, rng: Range) -> list[dict[str, Any]]:
    clicks = peewee.fn.SUM(ClickRollup.clicks)
    rows = (ClickRollup.select(ClickRollup.link, clicks.alias("c"),
                               peewee.fn.SUM(ClickRollup.unique_clicks).alias("u"))
            .where(ClickRollup.workspace == workspace, ClickRollup.hour >= rng.start,
                   ClickRollup.hour < rng.end)
            .group_by(ClickRollup.link).having(clicks > 0)
            .order_by(clicks.desc(), ClickRollup.link).limit(TOP).tuples())
    found = list(rows)
    links = {link.id: link for link in
             Link.select().where(Link.id.in_([link_id for link_id, _, _ in found]))}
    out = []
    for link_id, count, unique in found:
        link = links[link_id]
        out.append({"id": link.public_id, "shortCode": link.short_code, "title": link.title,
                    "destinationUrl": link.destination_url, "deleted": link.deleted_at is not None,
                    "clicks": int(count), "uniqueClicks": int(unique or 0)})
    return out


def _top_countries(scope: rollups.Scope, rng: Range, total: int) -> list[dict[str, Any]]:
    counts = rollups.by_value(scope, rng, "country")
    ranked = sorted(((value, c.clicks) for value, c in counts.items()
                     if c.clicks and value != ClickRollup.UNKNOWN["country"]),
                    key=lambda item: (-item[1], item[0]))[:TOP]
    return [{"country": value, "clicks": clicks,
             "share": round(clicks * 100 / total, 2) if total else 0.0}
            for value, clicks in ranked]


def _busiest_day(scope: rollups.Scope, rng: Range) -> dict[str, Any] | None:
    by_day = rollups.by_bucket(scope, rng)
    best = max(by_day.items(), key=lambda item: (item[1].clicks, -item[0].toordinal()),
               default=None)
    if best is None or best[1].clicks == 0:
        return None
    day: date = best[0].date()
    return {"date": day.isoformat(), "weekday": day.strftime("%A"), "clicks": best[1].clicks}


def year_in_review(workspace: Workspace, year: int) -> dict[str, Any]:
    """The wrapped report of one local calendar year (the current one: so far)."""
    name, tz = _zone(workspace)
    scope = rollups.Scope(workspace)
    now_rng, before_rng = _range(year, "month", name, tz), _range(year - 1, "month", name, tz)
    now_total, before_total = rollups.totals(scope, now_rng), rollups.totals(scope, before_rng)
    now_months, before_months = (rollups.by_bucket(scope, now_rng),
                                 rollups.by_bucket(scope, before_rng))
    months = []
    for bucket in now_rng.buckets():
        current = now_months.get(bucket, rollups.Counts())
        earlier = before_months.get(bucket.replace(year=year - 1), rollups.Counts())
        months.append({"month": bucket.strftime("%Y-%m"), "clicks": current.clicks,
                       "uniqueClicks": current.unique, "previousYearClicks": earlier.clicks,
                       "growth": rollups.change(current.clicks, earlier.clicks)})
    money, money_before = rollups.money(scope, now_rng), rollups.money(scope, before_rng)
    revenue, revenue_before = (money.revenue_micros("USD"), money_before.revenue_micros("USD"))
    return {
        "year": year, "timezone": name,
        "complete": now_rng.end <= clock.now(),
        "start": clock.iso(now_rng.start), "end": clock.iso(now_rng.end),
        "clicks": now_total.clicks, "uniqueClicks": now_total.unique,
        "previousYearClicks": before_total.clicks,
        "clicksGrowth": rollups.change(now_total.clicks, before_total.clicks),
        "topLinks": _top_links(workspace, now_rng),
        "topCountries": _top_countries(scope, now_rng, now_total.clicks),
        "busiestDay": _busiest_day(scope, _range(year, "day", name, tz)),
        "months": months,
        "conversions": money.conversions, "previousYearConversions": money_before.conversions,
        "revenue": rollups.amount(revenue), "previousYearRevenue": rollups.amount(revenue_before),
        "revenueGrowth": rollups.change(revenue, revenue_before),
        "currency": "USD",
    }

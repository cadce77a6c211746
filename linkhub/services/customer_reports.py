"""Customer reports: cohort tables (by first-seen week or month, first-touch campaign or
source) and LTV cohorts (by first-seen month, cumulative revenue per month since). Customers
are grouped by when they were first seen (UTC); their lifetime outcomes come from their
approved conversions. Deleted customers still count: their aggregates are kept for reports."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any

import peewee

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import Campaign, Conversion, Customer, Workspace
from linkhub.services.campaigns import from_micros

GROUPS = ("week", "month", "campaign", "source")
COUNTED_STATUS = "approved"


def parse_range(start: str | None, end: str | None) -> tuple[datetime | None, datetime | None]:
    """ISO 8601 bounds, both inclusive; a date-only `start` is 00:00:00 and a date-only `end`
    the last instant of that day. 400 for unparsable values or `start` after `end`."""
    problems: dict[str, str] = {}
    bounds: list[datetime | None] = []
    for name, raw, end_of_day in (("start", start, False), ("end", end, True)):
        if raw is None or not raw.strip():
            bounds.append(None)
            continue
        try:
            bounds.append(clock.parse_iso(raw, end_of_day=end_of_day))
        except ValueError:
            problems[name] = "must be an ISO 8601 date or date-time"
            bounds.append(None)
    if problems:
        raise Invalid(fields=problems)
    low, high = bounds
    if low is not None and high is not None and low > high:
        raise Invalid(fields={"start": "must not be after end"})
    return low, high


def _selected(workspace: Workspace, low: datetime | None, high: datetime | None
              ) -> peewee.ModelSelect:
    """The workspace's customers (deleted ones too) first seen in [low, high]."""
    query = Customer.select(Customer.id, Customer.first_seen_at, Customer.campaign,
                            Customer.source).where(Customer.workspace == workspace)
    if low is not None:
        query = query.where(Customer.first_seen_at >= low)
    if high is not None:
        query = query.where(Customer.first_seen_at <= high)
    return query


def _outcomes(workspace: Workspace, selected: peewee.ModelSelect
              ) -> dict[int, tuple[int, int, int]]:
    """customer id -> (leads, sales, revenue USD micros) over approved conversions."""
    is_lead = peewee.Case(None, [(Conversion.kind == "lead", 1)], 0)
    is_sale = peewee.Case(None, [(Conversion.kind == "sale", 1)], 0)
    rows = (Conversion.select(Conversion.customer, peewee.fn.SUM(is_lead),
                              peewee.fn.SUM(is_sale), peewee.fn.SUM(Conversion.value_usd_micros))
            .where(Conversion.workspace == workspace, Conversion.status == COUNTED_STATUS,
                   Conversion.customer.in_(selected.select(Customer.id)))
            .group_by(Conversion.customer).tuples())
    return {cid: (leads or 0, sales or 0, money or 0) for cid, leads, sales, money in rows}


def _campaign_names(keys: list[int]) -> dict[int, tuple[str, str]]:
    if not keys:
        return {}
    rows = Campaign.select(Campaign.id, Campaign.public_id, Campaign.name).where(
        Campaign.id.in_(keys)).tuples()
    return {pk: (public_id, name) for pk, public_id, name in rows}


def _week_key(at: datetime) -> tuple[str, date]:
    year, week, _ = at.isocalendar()
    return f"{year}-W{week:02d}", at.date() - timedelta(days=at.weekday())


def _key(group_by: str, first_seen: datetime, campaign_id: int | None, source: str | None
         ) -> tuple[Any, date | None]:
    if group_by == "week":
        return _week_key(first_seen)
    if group_by == "month":
        return f"{first_seen:%Y-%m}", first_seen.date().replace(day=1)
    if group_by == "campaign":
        return campaign_id, None
    return source, None


def cohorts(workspace: Workspace, *, group_by: str | None, start: str | None = None,
            end: str | None = None) -> dict[str, Any]:
    """Customers first seen in [start, end], grouped by `group_by` (default month): per
    cohort the customers, those with an approved sale, and their approved leads, sales and
    revenue (lifetime, in USD). Periods run oldest first; campaigns and sources largest first."""
    group_by = group_by or "month"
    if group_by not in GROUPS:
        raise Invalid(fields={"group_by": f"must be one of {', '.join(GROUPS)}"})
    low, high = parse_range(start, end)
    selected = _selected(workspace, low, high)
    outcomes = _outcomes(workspace, selected)
    table: dict[Any, dict[str, Any]] = {}
    for cid, first_seen, campaign_id, source in selected.tuples():
        key, period = _key(group_by, first_seen, campaign_id, source)
        row = table.setdefault(key, {"period": period, "customers": 0, "converted": 0,
                                     "leads": 0, "sales": 0, "micros": 0})
        leads, sales, micros = outcomes.get(cid, (0, 0, 0))
        row["customers"] += 1
        row["converted"] += int(sales > 0)
        row["leads"] += leads
        row["sales"] += sales
        row["micros"] += micros
    names = _campaign_names([k for k in table if k is not None]) \
        if group_by == "campaign" else {}
    rows = []
    for key, row in table.items():
        cohort, label = key, key
        if group_by == "campaign":
            cohort, label = names.get(key, (None, "No campaign"))
        elif group_by == "source" and key is None:
            label = "Direct / unknown"
        rows.append({
            "cohort": cohort, "label": label,
            "periodStart": row["period"].isoformat() if row["period"] else None,
            "customers": row["customers"], "convertedCustomers": row["converted"],
            "conversionRate": round(row["converted"] / row["customers"], 4),
            "leads": row["leads"], "sales": row["sales"],
            "revenueUsd": from_micros(row["micros"]),
        })
    if group_by in ("week", "month"):
        rows.sort(key=lambda r: r["periodStart"])
    else:
        rows.sort(key=lambda r: (-r["customers"], r["cohort"] is None, str(r["label"])))
    return {"groupBy": group_by, "start": clock.iso(low), "end": clock.iso(high),
            "cohorts": rows}


def _months_between(earlier: date, later: date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _average(micros: int, n: int) -> int:
    """Micro-units divided by n, to the nearest micro-unit (halves up)."""
    return (2 * micros + n) // (2 * n)


def ltv_cohorts(workspace: Workspace, *, start: str | None = None,
                end: str | None = None) -> dict[str, Any]:
    """Customers by first-seen month: how many, their total and average LTV (approved
    revenue, USD), and the cohort's cumulative revenue for each month since (index 0 = the
    first-seen month, up to the current month)."""
    low, high = parse_range(start, end)
    selected = _selected(workspace, low, high)
    cohort_of = {cid: first_seen.date().replace(day=1)
                 for cid, first_seen, _, _ in selected.tuples()}
    sizes: dict[date, int] = defaultdict(int)
    for month in cohort_of.values():
        sizes[month] += 1
    this_month = clock.now().date().replace(day=1)
    by_month: dict[date, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    if cohort_of:
        rows = (Conversion.select(Conversion.customer, Conversion.occurred_at,
                                  Conversion.value_usd_micros)
                .where(Conversion.workspace == workspace, Conversion.status == COUNTED_STATUS,
                       Conversion.customer.in_(selected.select(Customer.id))).tuples())
        for cid, occurred_at, micros in rows:
            month = cohort_of.get(cid)
            if month is None:  # a customer made between the two reads
                continue
            since = _months_between(month, occurred_at.date().replace(day=1))
            span = max(_months_between(month, this_month), 0)
            by_month[month][min(max(since, 0), span)] += micros or 0
    result = []
    for month in sorted(sizes):
        span = max(_months_between(month, this_month), 0)
        running, cumulative = 0, []
        for offset in range(span + 1):
            running += by_month[month].get(offset, 0)
            cumulative.append(from_micros(running))
        result.append({
            "cohort": f"{month:%Y-%m}", "customers": sizes[month],
            "totalLtvUsd": from_micros(running),
            "averageLtvUsd": from_micros(_average(running, sizes[month])),
            "cumulativeRevenueUsd": cumulative,
        })
    return {"start": clock.iso(low), "end": clock.iso(high), "cohorts": result}

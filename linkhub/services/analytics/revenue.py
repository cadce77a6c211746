"""Unified analytics (clicks + conversions): overview, lead and sale metrics and trends, the
composite series and the clicks -> leads -> sales funnel. Clicks come from the hourly rollups,
conversions from `Conversion` rows (grouped by UTC hour, like the rollups). Read only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import peewee

from linkhub import ids
from linkhub.errors import NotFound
from linkhub.models import Campaign, Conversion, Link, Workspace
from linkhub.services.analytics import rollups
from linkhub.services.analytics.ranges import Range
from linkhub.services.campaigns import from_micros, get_campaign

COUNTED = rollups.COUNTED_STATUSES  # approved, pending; refunded, rejected, fraud are not
STATUSES = ("pending", "approved", "refunded", "rejected", "fraud")
KINDS = ("lead", "sale", "custom")
_HOUR_SQL = rollups.HOUR_OF


@dataclass(frozen=True)
class Scope:
    """What is measured: the workspace, or one link / campaign of it (both: their overlap)."""

    workspace: Workspace
    link: Link | None = None
    campaign: Campaign | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"linkId": self.link.public_id if self.link else None,
                "campaignId": self.campaign.public_id if self.campaign else None}


def find_link(workspace: Workspace, public_id: str) -> Link:
    """A live link of the workspace; 404 for anything else (deleted, another workspace's)."""
    link = None
    if ids.is_valid("link", public_id):
        link = Link.get_or_none(Link.workspace == workspace, Link.public_id == public_id,
                                Link.deleted_at.is_null())
    if link is None:
        raise NotFound("Link not found.")
    return link


def scope(workspace: Workspace, args: Mapping[str, str]) -> Scope:
    """`linkId` / `campaignId` from the query (404 when not the workspace's)."""
    link_id = (args.get("linkId") or "").strip()
    campaign_id = (args.get("campaignId") or "").strip()
    return Scope(workspace, find_link(workspace, link_id) if link_id else None,
                 get_campaign(workspace, campaign_id) if campaign_id else None)


def conversions_of(sc: Scope, rng: Range) -> peewee.ModelSelect:
    """The scope's conversion rows inside the range (by when they happened)."""
    query = Conversion.select().where(Conversion.workspace == sc.workspace,
                                      Conversion.occurred_at >= rng.start,
                                      Conversion.occurred_at < rng.end)
    if sc.link is not None:
        query = query.where(Conversion.link == sc.link)
    if sc.campaign is not None:
        query = query.where(Conversion.campaign == sc.campaign)
    return query


# --- money --------------------------------------------------------------------------------------

Usd = dict[date, int]  # USD micro-dollars per UTC day


class Money:
    """USD micro-dollars per UTC day to micro-units of the range's currency: each day's sum at
    that day's rate, rounded half-even (as rollups.to_currency does), rates read once."""

    def __init__(self, currency: str) -> None:
        self.currency = currency
        self._rates: dict[date, Decimal] = {}

    def _rate(self, day: date) -> Decimal:
        if day not in self._rates:
            from linkhub.services import fx

            self._rates[day] = Decimal(repr(fx.rate(self.currency, day)))
        return self._rates[day]

    def convert(self, usd_by_day: Usd) -> int:
        if self.currency == "USD":
            return sum(usd_by_day.values())
        return sum(int((Decimal(usd) * self._rate(day)).to_integral_value(ROUND_HALF_EVEN))
                   for day, usd in usd_by_day.items() if usd)


def amount(micros: int) -> float | int:
    return from_micros(int(micros)) or 0


def rate(part: int, whole: int) -> float:
    """A percentage with two decimals (0 when there is nothing to divide by)."""
    return round(100 * part / whole, 2) if whole else 0.0


def per(micros: int, count: int) -> float | int:
    return amount(round(micros / count)) if count else 0


def _merge(*parts: Usd) -> Usd:
    out: Usd = defaultdict(int)
    for part in parts:
        for day, usd in part.items():
            out[day] += usd
    return out


# --- tallies --------------------------------------------------------------------------------------

@dataclass
class Tally:
    """Clicks, counted conversions per kind with their USD per day, and refunded sales."""

    clicks: int = 0
    unique_clicks: int = 0
    count: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    usd: dict[str, Usd] = field(default_factory=lambda: {k: defaultdict(int) for k in KINDS})
    refunds: int = 0
    refunded_usd: Usd = field(default_factory=lambda: defaultdict(int))

    @property
    def conversions(self) -> int:
        return sum(self.count.values())

    def revenue(self, money: Money, kind: str | None = None) -> int:
        """Micro-units of the range's currency: one kind, or all kinds (None)."""
        return money.convert(self.usd[kind] if kind else _merge(*self.usd.values()))


def _click_scope(sc: Scope) -> rollups.Scope | None:
    """The same slice for the click rollups (None: a link outside the campaign, no clicks)."""
    if sc.link is not None:
        if sc.campaign is not None and sc.link.campaign_id != sc.campaign.id:
            return None
        return rollups.Scope(sc.workspace, [sc.link.id], link_id=sc.link.id)
    if sc.campaign is not None:
        return rollups.Scope.of_campaign(sc.workspace, sc.campaign.id)
    return rollups.Scope(sc.workspace)


def conversion_hours(sc: Scope, rng: Range) -> list[tuple[datetime, str, str, int, int]]:
    """(UTC hour, kind, status, count, USD micro-dollars) of the scope's conversions."""
    query = (conversions_of(sc, rng)
             .select(_HOUR_SQL, Conversion.kind, Conversion.status, peewee.fn.COUNT(1),
                     peewee.fn.SUM(Conversion.value_usd_micros))
             .group_by(_HOUR_SQL, Conversion.kind, Conversion.status))
    return [(datetime.fromisoformat(hour), kind, status, count, usd or 0)
            for hour, kind, status, count, usd in query.tuples()]


def tallies(sc: Scope, rng: Range, *, clicks: bool = True) -> tuple[dict[datetime, Tally], Tally]:
    """Per local bucket (every bucket of the range) and in total: clicks (hourly rollups),
    counted conversions and their USD per kind, and refunded sales."""
    buckets = {bucket: Tally() for bucket in rng.buckets()}
    total = Tally()
    click_scope = _click_scope(sc) if clicks else None
    if click_scope is not None:
        for bucket, counts in rollups.by_bucket(click_scope, rng).items():
            for tally in (buckets.setdefault(bucket, Tally()), total):
                tally.clicks += counts.shown(rng.include_bots)
                tally.unique_clicks += counts.unique
    for hour, kind, status, count, usd in conversion_hours(sc, rng):
        kind = kind if kind in KINDS else "custom"
        for tally in (buckets.setdefault(rng.bucket_of(hour), Tally()), total):
            if status in COUNTED:
                tally.count[kind] += count
                tally.usd[kind][hour.date()] += usd
            elif status == "refunded" and kind == "sale":
                tally.refunds += count
                tally.refunded_usd[hour.date()] += usd
    return buckets, total


def customers(sc: Scope, rng: Range, kind: str) -> int:
    """Distinct customers behind the counted conversions of one kind."""
    return (conversions_of(sc, rng)
            .select(peewee.fn.COUNT(Conversion.customer.distinct()))
            .where(Conversion.kind == kind, Conversion.status.in_(COUNTED)).scalar() or 0)


# --- the reports ----------------------------------------------------------------------------------

def _frame(sc: Scope, rng: Range) -> dict[str, Any]:
    return {"range": rng.as_json(), "currency": rng.currency, **sc.as_json()}


def overview(sc: Scope, rng: Range) -> dict[str, Any]:
    _, t = tallies(sc, rng)
    revenue = t.revenue(Money(rng.currency))
    return {"clicks": t.clicks, "uniqueClicks": t.unique_clicks, "leads": t.count["lead"],
            "sales": t.count["sale"], "conversions": t.conversions,
            "revenue": amount(revenue), "conversionRate": rate(t.conversions, t.clicks),
            "epc": per(revenue, t.clicks), **_frame(sc, rng)}


def leads(sc: Scope, rng: Range) -> dict[str, Any]:
    _, t = tallies(sc, rng)
    n = t.count["lead"]
    return {"leads": n, "customers": customers(sc, rng, "lead"), "clicks": t.clicks,
            "uniqueClicks": t.unique_clicks, "conversionRate": rate(n, t.clicks),
            "revenue": amount(t.revenue(Money(rng.currency), "lead")), **_frame(sc, rng)}


def sales(sc: Scope, rng: Range) -> dict[str, Any]:
    _, t = tallies(sc, rng)
    money = Money(rng.currency)
    n, revenue = t.count["sale"], t.revenue(money, "sale")
    return {"sales": n, "revenue": amount(revenue), "averageOrderValue": per(revenue, n),
            "refunds": {"count": t.refunds, "amount": amount(money.convert(t.refunded_usd))},
            "customers": customers(sc, rng, "sale"), "clicks": t.clicks,
            "uniqueClicks": t.unique_clicks, "conversionRate": rate(n, t.clicks),
            "epc": per(revenue, t.clicks), **_frame(sc, rng)}


def _series(sc: Scope, rng: Range, buckets: dict[datetime, Tally], total: Tally,
            row: Any) -> dict[str, Any]:
    return {"granularity": rng.granularity, "timezone": rng.timezone,
            "timeseries": [{"timestamp": rng.label(b), **row(t)}
                           for b, t in sorted(buckets.items())],
            "totals": row(total), **_frame(sc, rng)}


def kind_timeseries(sc: Scope, rng: Range, kind: str) -> dict[str, Any]:
    """`lead` or `sale` counts and revenue per bucket (sales also their refunds)."""

    money = Money(rng.currency)

    def row(t: Tally) -> dict[str, Any]:
        out = {"count": t.count[kind], "revenue": amount(t.revenue(money, kind))}
        if kind == "sale":
            out["refunds"] = t.refunds
        return out

    buckets, total = tallies(sc, rng, clicks=False)
    return _series(sc, rng, buckets, total, row)


def composite(sc: Scope, rng: Range) -> dict[str, Any]:
    """Clicks, unique clicks, leads, sales, all conversions and revenue per bucket."""
    money = Money(rng.currency)

    def row(t: Tally) -> dict[str, Any]:
        return {"clicks": t.clicks, "uniqueClicks": t.unique_clicks, "leads": t.count["lead"],
                "sales": t.count["sale"], "conversions": t.conversions,
                "revenue": amount(t.revenue(money))}

    buckets, total = tallies(sc, rng)
    return _series(sc, rng, buckets, total, row)


def funnel(sc: Scope, rng: Range) -> dict[str, Any]:
    """clicks -> leads -> sales: each step's rate against the step before and against clicks
    (a step may exceed the one before it when sales are tracked without leads)."""
    _, t = tallies(sc, rng)
    counts = (("clicks", t.clicks), ("leads", t.count["lead"]), ("sales", t.count["sale"]))
    steps, previous = [], None
    for name, count in counts:
        steps.append({"name": name, "count": count,
                      "rate": rate(count, count if previous is None else previous),
                      "overallRate": rate(count, t.clicks),
                      "dropOff": 0 if previous is None else max(previous - count, 0)})
        previous = count
    return {"steps": steps, "uniqueClicks": t.unique_clicks,
            "revenue": amount(t.revenue(Money(rng.currency), "sale")), **_frame(sc, rng)}

"""Range reads over the hourly rollups (WorkspaceRollup workspace-wide, ClickRollup for a link
or a set of links) and over Conversion rows, bucketed into the range's local buckets, plus the
timeseries built from them. Read-only; raw clicks are never read here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import peewee

from linkhub.errors import NotFound
from linkhub.models import ClickRollup, Conversion, Link, QrCode, Workspace, WorkspaceRollup
from linkhub.services import campaigns, fx, rules
from linkhub.services.analytics.ranges import Range

# Conversions that count in analytics: rejected, fraudulent and refunded ones do not.
COUNTED_STATUSES = ("approved", "pending")


@dataclass
class Counts:
    """Human clicks, first-time visitors and bot clicks of some slice."""

    clicks: int = 0
    unique: int = 0
    bots: int = 0

    def add(self, clicks: int, unique: int, bots: int) -> None:
        self.clicks += int(clicks or 0)
        self.unique += int(unique or 0)
        self.bots += int(bots or 0)

    def shown(self, include_bots: bool) -> int:
        """The `clicks` figure answered: humans, plus bots when asked (`includeBots`)."""
        return self.clicks + self.bots if include_bots else self.clicks


@dataclass(frozen=True)
class Scope:
    """What a report covers: the whole workspace (links None), or some links (a list of ids or
    a sub-query). `campaign_id`/`link_id` narrow conversions the same way."""

    workspace: Workspace
    links: Any = None
    campaign_id: int | None = None
    link_id: int | None = None

    @classmethod
    def of_link(cls, link: Link) -> Scope:
        return cls(link.workspace, [link.id], link_id=link.id)

    @classmethod
    def of_campaign(cls, workspace: Workspace, campaign_id: int) -> Scope:
        ids = Link.select(Link.id).where(Link.workspace == workspace, Link.campaign == campaign_id)
        return cls(workspace, ids, campaign_id=campaign_id)


def resolve_scope(workspace: Workspace, args: Mapping[str, Any]) -> Scope:
    """The scope named by `linkId`, `qrId` (its link) or `campaignId`, else the workspace.
    Anything not a live resource of this workspace is a 404."""
    link_id = str(args.get("linkId") or "").strip()
    qr_id = str(args.get("qrId") or "").strip()
    campaign_id = str(args.get("campaignId") or "").strip()
    if qr_id:
        qr = QrCode.get_or_none(QrCode.workspace == workspace, QrCode.public_id == qr_id)
        if qr is None:
            raise NotFound("QR code not found.")
        link_id = Link.get_by_id(qr.link_id).public_id
    if link_id:
        return Scope.of_link(rules.live_link(workspace, link_id))
    if campaign_id:
        return Scope.of_campaign(workspace, campaigns.get_campaign(workspace, campaign_id).id)
    return Scope(workspace)


@dataclass
class Money:
    """Conversion totals of a slice: counts by kind and revenue in USD micros per UTC day."""

    conversions: int = 0
    leads: int = 0
    sales: int = 0
    usd_by_day: dict[date, int] = field(default_factory=lambda: defaultdict(int))

    def revenue_micros(self, currency: str) -> int:
        return to_currency(self.usd_by_day, currency)


def _sums(model: Any) -> list[Any]:
    return [peewee.fn.SUM(model.clicks), peewee.fn.SUM(model.unique_clicks),
            peewee.fn.SUM(model.bot_clicks)]


def _rollup_query(scope: Scope, rng: Range, dimension: str, *group: str) -> peewee.ModelSelect:
    """SUMs of the scope's rollup rows of one dimension in the range, grouped by `group`
    (`value` meaning the dimension's value). Workspace rollups keep a row per dimension and
    value; link rollups a row per combination of values, grouped here by the one column."""
    if scope.links is None:
        model: Any = WorkspaceRollup
        columns = [getattr(model, name) for name in group]
        query = model.select(*columns, *_sums(model)).where(
            model.workspace == scope.workspace, model.hour >= rng.start,
            model.hour < rng.end, model.dimension == dimension)
        return query.group_by(*columns) if columns else query
    model = ClickRollup
    columns = [model.column(dimension) if name == "value" else getattr(model, name)
               for name in group]
    links = scope.links
    query = model.select(*columns, *_sums(model)).where(
        model.workspace == scope.workspace, model.hour >= rng.start, model.hour < rng.end,
        model.link == links[0] if isinstance(links, list) and len(links) == 1
        else model.link.in_(links))
    return query.group_by(*columns) if columns else query


def by_value(scope: Scope, rng: Range, dimension: str) -> dict[str, Counts]:
    """Counts per value of a dimension (`country`, `device`, `referrer`, `rule`, …)."""
    out: dict[str, Counts] = {}
    for value, clicks, unique, bots in _rollup_query(scope, rng, dimension, "value").tuples():
        out.setdefault(value, Counts()).add(clicks, unique, bots)
    return out


def totals(scope: Scope, rng: Range) -> Counts:
    out = Counts()
    for clicks, unique, bots in _rollup_query(scope, rng, "total").tuples():
        out.add(clicks, unique, bots)
    return out


def by_bucket(scope: Scope, rng: Range, dimension: str = "total",
              value: str | None = None) -> dict[datetime, Counts]:
    """Counts per local bucket: every UTC hour row goes to the bucket of its local time."""
    query = _rollup_query(scope, rng, dimension, "hour")
    if value is not None:
        query = query.where(WorkspaceRollup.value == value if scope.links is None
                            else ClickRollup.matches(dimension, value))
    out: dict[datetime, Counts] = {bucket: Counts() for bucket in rng.buckets()}
    for hour, clicks, unique, bots in query.tuples():
        out.setdefault(rng.bucket_of(_as_datetime(hour)), Counts()).add(clicks, unique, bots)
    return out


def _as_datetime(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


# --- conversions ------------------------------------------------------------------------------

def _conversion_query(scope: Scope, rng: Range, *columns: Any) -> peewee.ModelSelect:
    query = Conversion.select(*columns).where(
        Conversion.workspace == scope.workspace, Conversion.occurred_at >= rng.start,
        Conversion.occurred_at < rng.end, Conversion.status.in_(COUNTED_STATUSES))
    if scope.link_id is not None:
        query = query.where(Conversion.link == scope.link_id)
    elif scope.campaign_id is not None:
        query = query.where(Conversion.campaign == scope.campaign_id)
    elif scope.links is not None:
        query = query.where(Conversion.link.in_(scope.links))
    return query


# The UTC hour of a stored timestamp ("YYYY-MM-DD HH:MM:SS[.ffffff]"): a prefix, far cheaper
# than strftime over tens of thousands of conversions.
HOUR_OF = peewee.fn.substr(Conversion.occurred_at, 1, 13).concat(":00:00").coerce(False)


def money_by_hour(scope: Scope, rng: Range) -> list[tuple[datetime, str, int, int]]:
    """(UTC hour, kind, count, USD micros) rows of the counted conversions in the range."""
    query = _conversion_query(scope, rng, HOUR_OF.alias("h"), Conversion.kind,
                              peewee.fn.COUNT(Conversion.id),
                              peewee.fn.SUM(Conversion.value_usd_micros))
    return [(_as_datetime(h), kind, count, int(usd or 0))
            for h, kind, count, usd in query.group_by(HOUR_OF, Conversion.kind).tuples()]


def money(scope: Scope, rng: Range) -> Money:
    out = Money()
    for hour, kind, count, usd in money_by_hour(scope, rng):
        _add(out, hour, kind, count, usd)
    return out


def money_by_bucket(scope: Scope, rng: Range) -> dict[datetime, Money]:
    out: dict[datetime, Money] = {}
    for hour, kind, count, usd in money_by_hour(scope, rng):
        _add(out.setdefault(rng.bucket_of(hour), Money()), hour, kind, count, usd)
    return out


def _add(target: Money, hour: datetime, kind: str, count: int, usd: int) -> None:
    target.conversions += count
    target.leads += count if kind == "lead" else 0
    target.sales += count if kind == "sale" else 0
    target.usd_by_day[hour.date()] += usd


def to_currency(usd_by_day: dict[date, int], currency: str) -> int:
    """USD micros (per UTC day) in `currency` micros at each day's rate (services.fx),
    rounded half-even per day as services/analytics/revenue.py does."""
    if currency == "USD":
        return sum(usd_by_day.values())
    return sum(int((Decimal(usd) * Decimal(repr(fx.rate(currency, day))))
                   .to_integral_value(ROUND_HALF_EVEN))
               for day, usd in usd_by_day.items() if usd)


def amount(micros: int) -> float | int:
    """Micro-units as a JSON number in currency units (12 for 12000000, 0.5 for 500000)."""
    return campaigns.from_micros(int(micros)) or 0


# --- the timeseries ---------------------------------------------------------------------------

def timeseries(scope: Scope, rng: Range) -> dict[str, Any]:
    """`{timeseries: [{timestamp, clicks, uniqueVisitors, conversions, revenue}], granularity,
    currency, timezone}`: one point per local bucket, empty buckets included."""
    clicks = by_bucket(scope, rng)
    sales = money_by_bucket(scope, rng)
    points = []
    for bucket in rng.buckets():
        counts, cash = clicks.get(bucket, Counts()), sales.get(bucket, Money())
        points.append({
            "timestamp": rng.label(bucket), "clicks": counts.shown(rng.include_bots),
            "uniqueVisitors": counts.unique, "botClicks": counts.bots,
            "conversions": cash.conversions, "revenue": amount(cash.revenue_micros(rng.currency)),
        })
    return {"timeseries": points, "granularity": rng.granularity, "currency": rng.currency,
            "timezone": rng.timezone}


def previous(rng: Range) -> Range:
    """The range of the same length just before `rng` (for period-over-period changes)."""
    span = rng.end - rng.start
    return Range(rng.start - span, rng.start, rng.granularity, rng.timezone, rng.tz,
                 rng.currency, rng.include_bots)


def change(current: float, before: float) -> float | None:
    """Percent change, None when there is nothing to compare with."""
    if not before:
        return None
    return round((current - before) * 100 / before, 2)



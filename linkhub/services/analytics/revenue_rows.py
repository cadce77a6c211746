"""Conversion rows for the unified analytics: the paginated detail list (with link title,
campaign name and customer external id) and the lead/sale breakdowns by link, campaign,
country, event or traffic source. Read only; the totals live in revenue.py."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import peewee

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import Campaign, Click, Conversion, Customer, Link
from linkhub.pagination import Page
from linkhub.services.analytics.ranges import Range
from linkhub.services.analytics.revenue import (
    COUNTED,
    STATUSES,
    Money,
    Scope,
    amount,
    conversions_of,
    rate,
)

BREAKDOWNS = ("link", "campaign", "country", "event", "source")
DEFAULT_ROWS = 50
MAX_ROWS = 100
EVENT_MAX = 64
_DAY_SQL = peewee.fn.date(Conversion.occurred_at).coerce(False)
# The click's traffic source: utm_source, else the referrer's domain, else direct; a click row
# that is gone (retention) or never existed gives `unknown`.
_SOURCE_SQL = peewee.Case(None, [(Click.id.is_null(), "unknown")], peewee.fn.COALESCE(
    peewee.fn.NULLIF(Click.utm_source, ""), peewee.fn.NULLIF(Click.referrer_domain, ""),
    "direct"))


# --- detail rows ---------------------------------------------------------------------------------

def detail_filters(args: Mapping[str, str]) -> dict[str, str]:
    """`event` (exact name) and `status` (one of the five) from the query; 400 otherwise."""
    out: dict[str, str] = {}
    event = (args.get("event") or "").strip()
    status = (args.get("status") or "").strip().lower()
    problems: dict[str, str] = {}
    if event:
        if len(event) > EVENT_MAX:
            problems["event"] = f"must be at most {EVENT_MAX} characters"
        out["event"] = event
    if status:
        if status not in STATUSES:
            problems["status"] = f"must be one of {', '.join(STATUSES)}"
        out["status"] = status
    if problems:
        raise Invalid(fields=problems)
    return out


def details(sc: Scope, rng: Range, filters: Mapping[str, str],
            page: Page) -> tuple[list[dict[str, Any]], int]:
    """The range's conversions, newest first, each with its link, campaign and customer."""
    query = conversions_of(sc, rng)
    if "event" in filters:
        query = query.where(Conversion.event == filters["event"])
    if "status" in filters:
        query = query.where(Conversion.status == filters["status"])
    total = query.count()
    rows = (query.select(Conversion, Link.public_id.alias("link_pid"),
                         Link.title.alias("link_title"), Link.short_code.alias("link_code"),
                         Campaign.public_id.alias("campaign_pid"),
                         Campaign.name.alias("campaign_name"),
                         Customer.public_id.alias("customer_pid"),
                         Customer.external_id.alias("customer_ext"))
            .join_from(Conversion, Link, peewee.JOIN.LEFT_OUTER,
                       on=(Conversion.link == Link.id))
            .join_from(Conversion, Campaign, peewee.JOIN.LEFT_OUTER,
                       on=(Conversion.campaign == Campaign.id))
            .join_from(Conversion, Customer, peewee.JOIN.LEFT_OUTER,
                       on=(Conversion.customer == Customer.id))
            .order_by(Conversion.occurred_at.desc(), Conversion.id.desc())
            .offset(page.offset).limit(page.limit).objects())
    money = Money(rng.currency)
    return [_detail(row, money) for row in rows], total


def _detail(row: Any, money: Money) -> dict[str, Any]:
    return {
        "id": row.public_id, "event": row.event, "kind": row.kind, "status": row.status,
        "source": row.source, "value": amount(row.value_micros), "currency": row.currency,
        "valueUsd": amount(row.value_usd_micros),
        "converted": {"value": amount(money.convert({row.occurred_at.date():
                                                     row.value_usd_micros})),
                      "currency": money.currency},
        "orderId": row.order_id, "clickId": row.click_public_id, "country": row.country,
        "linkId": row.link_pid, "linkTitle": row.link_title, "shortCode": row.link_code,
        "campaignId": row.campaign_pid, "campaignName": row.campaign_name,
        "customerId": row.customer_pid, "customerExternalId": row.customer_ext,
        "occurredAt": clock.iso(row.occurred_at), "createdAt": clock.iso(row.created_at),
    }


# --- breakdowns -----------------------------------------------------------------------------------

def breakdown_options(args: Mapping[str, str]) -> tuple[str, int]:
    """`by` (link, campaign, country, event or source; default link) and `limit` (1-100)."""
    problems: dict[str, str] = {}
    by = (args.get("by") or "link").strip().lower()
    if by not in BREAKDOWNS:
        problems["by"] = f"must be one of {', '.join(BREAKDOWNS)}"
    raw = (args.get("limit") or "").strip()
    limit = DEFAULT_ROWS
    if raw:
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_ROWS:
            problems["limit"] = f"must be a whole number from 1 to {MAX_ROWS}"
        else:
            limit = int(raw)
    if problems:
        raise Invalid(fields=problems)
    return by, limit


def _grouped(sc: Scope, rng: Range, kind: str, by: str) -> peewee.ModelSelect:
    column = {"link": Conversion.link, "campaign": Conversion.campaign,
              "country": Conversion.country, "event": Conversion.event,
              "source": _SOURCE_SQL}[by]
    query = (conversions_of(sc, rng)
             .select(column, _DAY_SQL, peewee.fn.COUNT(1),
                     peewee.fn.SUM(Conversion.value_usd_micros))
             .where(Conversion.kind == kind, Conversion.status.in_(COUNTED))
             .group_by(column, _DAY_SQL))
    if by == "source":
        query = query.join(Click, peewee.JOIN.LEFT_OUTER,
                           on=(Click.public_id == Conversion.click_public_id))
    return query


def _labels(by: str, keys: set[Any]) -> dict[Any, tuple[str | None, str]]:
    """Row key -> (public id, label) for links and campaigns; others label themselves."""
    wanted = [k for k in keys if k is not None]
    if by == "link":
        return {pk: (pid, title or code) for pk, pid, title, code in Link.select(
            Link.id, Link.public_id, Link.title, Link.short_code)
            .where(Link.id.in_(wanted or [0])).tuples()}
    if by == "campaign":
        return {pk: (pid, name) for pk, pid, name in Campaign.select(
            Campaign.id, Campaign.public_id, Campaign.name)
            .where(Campaign.id.in_(wanted or [0])).tuples()}
    return {k: (k, k) for k in wanted}


def breakdown(sc: Scope, rng: Range, kind: str, by: str, limit: int) -> dict[str, Any]:
    """Counted `kind` conversions and their revenue per value of `by`, most first; rows without
    a value (no link, no campaign, unknown country) are one `null` row."""
    money = Money(rng.currency)
    days: dict[Any, dict[date, int]] = {}
    counts: dict[Any, int] = {}
    for key, day, count, usd in _grouped(sc, rng, kind, by).tuples():
        counts[key] = counts.get(key, 0) + count  # one row per (key, day)
        days.setdefault(key, {})[date.fromisoformat(day)] = usd or 0
    sums = {key: (counts[key], money.convert(days[key])) for key in counts}
    labels = _labels(by, set(sums))
    total_count = sum(c for c, _ in sums.values())
    total_revenue = sum(r for _, r in sums.values())
    ranked = sorted(((count, revenue, *labels.get(key, (None, None)))
                     for key, (count, revenue) in sums.items()),
                    key=lambda r: (-r[0], -r[1], r[3] or ""))
    rows = [{"key": public, "label": label, "count": count, "revenue": amount(revenue),
             "percentage": rate(count, total_count)}
            for count, revenue, public, label in ranked]
    return {"by": by, "kind": kind, "rows": rows[:limit], "totalRows": len(rows),
            "totals": {"count": total_count, "revenue": amount(total_revenue)},
            "range": rng.as_json(), "currency": rng.currency, **sc.as_json()}

"""Headline figures and rankings: workspace overview and usage, link summary, top folders, top
tags, campaign ranking and budget use, from the rollups and Conversion rows. Read-only."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import peewee

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import Campaign, ClickRollup, Conversion, Folder, Link, LinkTag, Tag, Workspace
from linkhub.services import links as link_service
from linkhub.services.analytics.breakdowns import percentage
from linkhub.services.analytics.ranges import Range
from linkhub.services.analytics.rollups import (
    COUNTED_STATUSES,
    Counts,
    Money,
    Scope,
    amount,
    by_value,
    change,
    money,
    previous,
    to_currency,
    totals,
)

RANKING_SORTS = ("clicks", "uniqueVisitors", "conversions", "revenue", "conversionRate")


def kpis(scope: Scope, rng: Range) -> dict[str, Any]:
    counts, cash = totals(scope, rng), money(scope, rng)
    before, cash_before = totals(scope, previous(rng)), money(scope, previous(rng))
    qr = by_value(scope, rng, "trigger").get("qr", Counts())
    clicks, revenue = counts.shown(rng.include_bots), cash.revenue_micros(rng.currency)
    old_clicks, old_revenue = before.shown(rng.include_bots), cash_before.revenue_micros(
        rng.currency)
    return {
        "clicks": clicks, "uniqueVisitors": counts.unique, "botClicks": counts.bots,
        "qrScans": qr.shown(rng.include_bots), "conversions": cash.conversions,
        "leads": cash.leads, "sales": cash.sales, "revenue": amount(revenue),
        "currency": rng.currency, "conversionRate": percentage(cash.conversions, clicks),
        "previous": {"clicks": old_clicks, "uniqueVisitors": before.unique,
                     "conversions": cash_before.conversions, "revenue": amount(old_revenue)},
        "change": {"clicks": change(clicks, old_clicks),
                   "uniqueVisitors": change(counts.unique, before.unique),
                   "conversions": change(cash.conversions, cash_before.conversions),
                   "revenue": change(revenue, old_revenue)},
        "range": rng.as_json(),
    }


def workspace_overview(workspace: Workspace, rng: Range) -> dict[str, Any]:
    live = Link.select().where(Link.workspace == workspace, Link.deleted_at.is_null())
    active = live.where(Link.enabled == True, Link.archived_at.is_null())  # noqa: E712
    out = kpis(Scope(workspace), rng)
    out["links"] = {"total": live.count(), "active": active.count()}
    return out


def _top(counts: Mapping[str, Counts], rng: Range) -> str | None:
    ranked = sorted((v for v, c in counts.items() if c.shown(rng.include_bots)),
                    key=lambda v: (-counts[v].shown(rng.include_bots), v))
    return ranked[0] if ranked else None


def link_summary(link: Link, rng: Range) -> dict[str, Any]:
    scope = Scope.of_link(link)
    out = kpis(scope, rng)
    out["link"] = {"id": link.public_id, "shortCode": link.short_code,
                   "shortUrl": link_service.short_url(link), "title": link.title,
                   "destinationUrl": link.destination_url,
                   "createdAt": clock.iso(link.created_at)}
    out["lifetime"] = {"clicks": link.clicks, "uniqueClicks": link.unique_clicks,
                       "botClicks": link.bot_clicks,
                       "lastClickedAt": clock.iso(link.last_clicked_at)}
    for key, dimension in (("topCountry", "country"), ("topReferrer", "referrer"),
                           ("topDevice", "device")):
        out[key] = _top(by_value(scope, rng, dimension), rng)
    return out


def usage(workspace: Workspace, rng: Range) -> dict[str, Any]:
    scope = Scope(workspace)
    counts, cash = totals(scope, rng), money(scope, rng)
    qr = by_value(scope, rng, "trigger").get("qr", Counts())
    created = Link.select().where(Link.workspace == workspace, Link.created_at >= rng.start,
                                  Link.created_at < rng.end).count()
    return {"clicks": counts.shown(rng.include_bots), "uniqueVisitors": counts.unique,
            "botClicks": counts.bots, "qrScans": qr.shown(rng.include_bots),
            "conversions": cash.conversions, "leads": cash.leads, "sales": cash.sales,
            "linksCreated": created, "range": rng.as_json()}


# --- folders and tags -------------------------------------------------------------------------

def _by_owner(workspace: Workspace, rng: Range, owner: Any, join: Any,
              on: Any) -> dict[int, tuple[Counts, int]]:
    """owner id -> (Counts, links with clicks) from the links' rollups, joined in SQL."""
    shown = ClickRollup.clicks > 0
    if rng.include_bots:
        shown = shown | (ClickRollup.bot_clicks > 0)
    query = (ClickRollup.select(owner, peewee.fn.SUM(ClickRollup.clicks),
                                peewee.fn.SUM(ClickRollup.unique_clicks),
                                peewee.fn.SUM(ClickRollup.bot_clicks),
                                peewee.fn.COUNT(ClickRollup.link.distinct()))
             .join(join, on=on)
             .where(ClickRollup.workspace == workspace, ClickRollup.hour >= rng.start,
                    ClickRollup.hour < rng.end, owner.is_null(False), shown)
             .group_by(owner))
    out: dict[int, tuple[Counts, int]] = {}
    for owner_id, clicks, unique, bots, links in query.tuples():
        counts = Counts()
        counts.add(clicks, unique, bots)
        out[owner_id] = (counts, links)
    return out


def _owner_rows(grouped: dict[int, tuple[Counts, int]], names: dict[int, tuple[str, str]],
                rng: Range, whole: int, key: str, limit: int) -> list[dict[str, Any]]:
    shown = {o: e[0].shown(rng.include_bots) for o, e in grouped.items() if o in names}
    ranked = sorted((o for o in shown if shown[o]), key=lambda o: (-shown[o], names[o][1]))
    return [{key: names[o][0], "name": names[o][1], "clicks": shown[o],
             "uniqueVisitors": grouped[o][0].unique, "links": grouped[o][1],
             "percentage": percentage(shown[o], whole)} for o in ranked[:limit]]


def top_folders(workspace: Workspace, rng: Range, limit: int) -> dict[str, Any]:
    """Folders by clicks of their links (direct members; sub-folders count apart)."""
    whole = totals(Scope(workspace), rng).shown(rng.include_bots)
    grouped = _by_owner(workspace, rng, Link.folder, Link, ClickRollup.link == Link.id)
    names = {f.id: (f.public_id, f.name) for f in Folder.select().where(
        Folder.workspace == workspace, Folder.id.in_(list(grouped)))}
    rows = _owner_rows(grouped, names, rng, whole, "folderId", limit)
    return {"folders": rows, "totalClicks": whole}


def top_tags(workspace: Workspace, rng: Range, limit: int) -> dict[str, Any]:
    """Tags by clicks of their links; a link with several tags counts for each."""
    whole = totals(Scope(workspace), rng).shown(rng.include_bots)
    grouped = _by_owner(workspace, rng, LinkTag.tag, LinkTag, ClickRollup.link == LinkTag.link)
    names = {t.id: (t.public_id, t.name) for t in Tag.select().where(
        Tag.workspace == workspace, Tag.id.in_(list(grouped)))}
    rows = _owner_rows(grouped, names, rng, whole, "tagId", limit)
    return {"tags": rows, "totalClicks": whole}


# --- campaigns --------------------------------------------------------------------------------

def _campaign_clicks(workspace: Workspace, start: datetime | None,
                     end: datetime | None) -> dict[int, Counts]:
    query = (ClickRollup.select(Link.campaign, peewee.fn.SUM(ClickRollup.clicks),
                                peewee.fn.SUM(ClickRollup.unique_clicks),
                                peewee.fn.SUM(ClickRollup.bot_clicks))
             .join(Link, on=(ClickRollup.link == Link.id))
             .where(ClickRollup.workspace == workspace, Link.campaign.is_null(False)))
    if start is not None:
        query = query.where(ClickRollup.hour >= start, ClickRollup.hour < end)
    out: dict[int, Counts] = {}
    for campaign_id, clicks, unique, bots in query.group_by(Link.campaign).tuples():
        out.setdefault(campaign_id, Counts()).add(clicks, unique, bots)
    return out


def _campaign_money(workspace: Workspace, start: datetime | None,
                    end: datetime | None) -> dict[int, Money]:
    day = peewee.fn.date(Conversion.occurred_at)
    query = (Conversion.select(Conversion.campaign, Conversion.kind, day.alias("d"),
                               peewee.fn.COUNT(Conversion.id),
                               peewee.fn.SUM(Conversion.value_usd_micros))
             .where(Conversion.workspace == workspace, Conversion.campaign.is_null(False),
                    Conversion.status.in_(COUNTED_STATUSES)))
    if start is not None:
        query = query.where(Conversion.occurred_at >= start, Conversion.occurred_at < end)
    out: dict[int, Money] = {}
    for campaign_id, kind, d, count, usd in query.group_by(
            Conversion.campaign, Conversion.kind, day).tuples():
        entry = out.setdefault(campaign_id, Money())
        entry.conversions += count
        entry.leads += count if kind == "lead" else 0
        entry.sales += count if kind == "sale" else 0
        entry.usd_by_day[_day(d)] += int(usd or 0)
    return out


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def campaign_ranking(workspace: Workspace, rng: Range, args: Mapping[str, str],
                     limit: int) -> dict[str, Any]:
    sort_by = (args.get("sortBy") or "clicks").strip()
    if sort_by not in RANKING_SORTS:
        raise Invalid(fields={"sortBy": f"must be one of {', '.join(RANKING_SORTS)}"})
    clicks = _campaign_clicks(workspace, rng.start, rng.end)
    cash = _campaign_money(workspace, rng.start, rng.end)
    link_counts = dict(Link.select(Link.campaign, peewee.fn.COUNT(Link.id))
                       .where(Link.workspace == workspace, Link.deleted_at.is_null(),
                              Link.campaign.is_null(False)).group_by(Link.campaign).tuples())
    rows = []
    for campaign in Campaign.select().where(Campaign.workspace == workspace):
        counts, paid = clicks.get(campaign.id, Counts()), cash.get(campaign.id, Money())
        shown = counts.shown(rng.include_bots)
        rows.append({
            "campaignId": campaign.public_id, "name": campaign.name, "status": campaign.status,
            "links": link_counts.get(campaign.id, 0), "clicks": shown,
            "uniqueVisitors": counts.unique, "conversions": paid.conversions,
            "leads": paid.leads, "sales": paid.sales,
            "revenue": amount(paid.revenue_micros(rng.currency)),
            "conversionRate": percentage(paid.conversions, shown),
        })
    rows.sort(key=lambda r: (-r[sort_by], -r["clicks"], r["name"].lower(), r["campaignId"]))
    for rank, row in enumerate(rows, 1):
        row["rank"] = rank
    return {"campaigns": rows[:limit], "sortBy": sort_by, "currency": rng.currency,
            "range": rng.as_json()}


def _spend(campaign: Campaign, counts: Counts, paid: Money) -> int:
    """Cost in the campaign's currency micros: CPC clicks x rate, CPM clicks / 1000 x rate,
    CPA conversions x rate, revshare revenue x rate % (the catalogue's formulas)."""
    rate = campaign.cost_override_micros or 0
    if campaign.cost_model == "cpc":
        return counts.clicks * rate
    if campaign.cost_model == "cpm":
        return counts.clicks * rate // 1000
    if campaign.cost_model == "cpa":
        return paid.conversions * rate
    if campaign.cost_model == "revshare":
        return to_currency(paid.usd_by_day, campaign.cost_currency) * rate // 100_000_000
    return 0


def budgets(workspace: Workspace, rng: Range) -> dict[str, Any]:
    """Budget use of every campaign with a budget or a cost model: spend today (the range's
    local day) and over the campaign's life, against the daily and total budgets."""
    today = clock.now().replace(tzinfo=UTC).astimezone(rng.tz).date()
    local = datetime.combine(today, time.min).replace(tzinfo=rng.tz).astimezone(UTC)
    day_start = local.replace(tzinfo=None)
    day_end = day_start + timedelta(days=1)
    day_clicks, day_cash = (_campaign_clicks(workspace, day_start, day_end),
                            _campaign_money(workspace, day_start, day_end))
    all_clicks, all_cash = _campaign_clicks(workspace, None, None), _campaign_money(
        workspace, None, None)
    rows = []
    for c in Campaign.select().where(Campaign.workspace == workspace).order_by(Campaign.name):
        if c.cost_model == "none" and not c.daily_budget_micros and not c.total_budget_micros:
            continue
        spent_today = _spend(c, day_clicks.get(c.id, Counts()), day_cash.get(c.id, Money()))
        spent_total = _spend(c, all_clicks.get(c.id, Counts()), all_cash.get(c.id, Money()))
        daily, total = c.daily_budget_micros, c.total_budget_micros
        rows.append({
            "campaignId": c.public_id, "name": c.name, "status": c.status,
            "costModel": c.cost_model, "costCurrency": c.cost_currency,
            "costOverride": None if c.cost_override_micros is None
            else amount(c.cost_override_micros),
            "dailyBudget": None if daily is None else amount(daily),
            "totalBudget": None if total is None else amount(total),
            "spentToday": amount(spent_today), "spentTotal": amount(spent_total),
            "dailyUtilization": percentage(spent_today, daily) if daily else None,
            "totalUtilization": percentage(spent_total, total) if total else None,
            "remainingTotal": None if total is None else amount(max(total - spent_total, 0)),
            "overBudget": bool((daily and spent_today > daily) or (total and spent_total > total)),
        })
    return {"budgets": rows, "day": today.isoformat(), "timezone": rng.timezone}

"""The live feed: a workspace's recent clicks, QR scans and conversions (newest first, with link
titles and campaign names), live counters, and the id cursor the SSE stream follows. Read only:
it reads flushed `Click` rows and `Conversion` rows and never touches the click buffer."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import peewee

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import Campaign, Click, Conversion, Customer, Link, Workspace
from linkhub.services.campaigns import from_micros

DEFAULT_MINUTES = 5
MAX_MINUTES = 60
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
TYPE_OF_TRIGGER = {"link": "click", "deeplink": "click", "qr": "qr_scan"}
WINDOWS = (("lastMinute", 1), ("last5Minutes", 5), ("lastHour", 60))
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off", "")


@dataclass(frozen=True)
class Options:
    minutes: int = DEFAULT_MINUTES
    limit: int = DEFAULT_LIMIT
    include_bots: bool = False


@dataclass
class Cursor:
    """The last click and conversion rows a stream has sent (row ids: rows are only appended)."""

    click: int
    conversion: int


def _whole(args: Mapping[str, str], name: str, default: int, maximum: int,
           errors: dict[str, str]) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        errors[name] = f"must be a whole number from 1 to {maximum}"
        return default
    return int(raw)


def parse(args: Mapping[str, str]) -> Options:
    """`minutes` (1-60, default 5), `limit` (1-500, default 100), `includeBots`; 400 otherwise."""
    errors: dict[str, str] = {}
    minutes = _whole(args, "minutes", DEFAULT_MINUTES, MAX_MINUTES, errors)
    limit = _whole(args, "limit", DEFAULT_LIMIT, MAX_LIMIT, errors)
    bots = (args.get("includeBots") or "").strip().lower()
    if bots not in _TRUE + _FALSE:
        errors["includeBots"] = "must be true or false"
    if errors:
        raise Invalid(fields=errors)
    return Options(minutes, limit, bots in _TRUE)


# --- reading rows ----------------------------------------------------------------------------

_CLICK_COLUMNS = (Click.id, Click.public_id, Click.link, Click.created_at, Click.trigger,
                  Click.bot, Click.is_unique, Click.country, Click.city, Click.device_type,
                  Click.os, Click.browser, Click.referrer_domain)


def _clicks(workspace: Workspace, include_bots: bool) -> peewee.ModelSelect:
    query = Click.select(*_CLICK_COLUMNS).where(Click.workspace == workspace)
    return query if include_bots else query.where(Click.bot == False)  # noqa: E712


def _conversions(workspace: Workspace) -> peewee.ModelSelect:
    return (Conversion.select(Conversion, Customer.public_id.alias("customer_public_id"))
            .join(Customer, peewee.JOIN.LEFT_OUTER, on=(Conversion.customer == Customer.id))
            .where(Conversion.workspace == workspace).objects())  # the alias on the row


def _names(link_ids: Iterable[int], campaign_ids: Iterable[int]) -> tuple[dict, dict]:
    """Link id -> (public id, title, short code, campaign id); campaign id -> (public id, name)."""
    links = {row[0]: row[1:] for row in Link.select(
        Link.id, Link.public_id, Link.title, Link.short_code, Link.campaign)
        .where(Link.id.in_(list(set(link_ids)) or [0])).tuples()}
    wanted = set(campaign_ids) | {row[3] for row in links.values() if row[3]}
    campaigns = {row[0]: row[1:] for row in Campaign.select(
        Campaign.id, Campaign.public_id, Campaign.name)
        .where(Campaign.id.in_(list(wanted) or [0])).tuples()}
    return links, campaigns


def _common(kind: str, public_id: str, at: datetime, link_id: int | None,
            campaign_id: int | None, links: dict, campaigns: dict) -> dict[str, Any]:
    link = links.get(link_id) if link_id else None
    if campaign_id is None and link is not None:
        campaign_id = link[3]
    campaign = campaigns.get(campaign_id) if campaign_id else None
    return {"id": public_id, "type": kind, "timestamp": clock.iso(at),
            "linkId": link[0] if link else None, "linkTitle": link[1] if link else None,
            "shortCode": link[2] if link else None,
            "campaignId": campaign[0] if campaign else None,
            "campaignName": campaign[1] if campaign else None}


def _click_event(row: Click, links: dict, campaigns: dict) -> dict[str, Any]:
    event = _common(TYPE_OF_TRIGGER.get(row.trigger, "click"), row.public_id, row.created_at,
                    row.link_id, None, links, campaigns)
    event.update({"trigger": row.trigger, "country": row.country, "city": row.city,
                  "device": row.device_type, "os": row.os, "browser": row.browser,
                  "referrer": row.referrer_domain, "unique": bool(row.is_unique),
                  "bot": bool(row.bot)})
    return event


def _conversion_event(row: Conversion, links: dict, campaigns: dict) -> dict[str, Any]:
    event = _common("conversion", row.public_id, row.occurred_at, row.link_id,
                    row.campaign_id, links, campaigns)
    event.update({"country": row.country, "event": row.event, "kind": row.kind,
                  "status": row.status, "value": from_micros(row.value_micros),
                  "currency": row.currency, "valueUsd": from_micros(row.value_usd_micros),
                  "orderId": row.order_id, "clickId": row.click_public_id,
                  "customerId": getattr(row, "customer_public_id", None)})
    return event


def events_of(clicks: list[Click], conversions: list[Conversion]) -> list[dict[str, Any]]:
    """Feed events for these rows, newest first (ties: conversions after the clicks)."""
    links, campaigns = _names([c.link_id for c in clicks] + [v.link_id for v in conversions
                                                             if v.link_id],
                              [v.campaign_id for v in conversions if v.campaign_id])
    tagged = [(c.created_at, 1, c.id, _click_event(c, links, campaigns)) for c in clicks]
    tagged += [(v.occurred_at, 0, v.id, _conversion_event(v, links, campaigns))
               for v in conversions]
    tagged.sort(key=lambda item: item[:3], reverse=True)
    return [item[3] for item in tagged]


# --- the poll ---------------------------------------------------------------------------------

def _counts(workspace: Workspace, since: datetime, include_bots: bool) -> dict[str, Any]:
    by_trigger = dict(_clicks(workspace, include_bots).select(Click.trigger, peewee.fn.COUNT(1))
                      .where(Click.created_at >= since).group_by(Click.trigger).tuples())
    scans = by_trigger.pop("qr", 0)
    kinds: dict[str, int] = {}
    revenue = 0
    for kind, status, count, usd in (
            Conversion.select(Conversion.kind, Conversion.status, peewee.fn.COUNT(1),
                              peewee.fn.SUM(Conversion.value_usd_micros))
            .where(Conversion.workspace == workspace, Conversion.occurred_at >= since)
            .group_by(Conversion.kind, Conversion.status).tuples()):
        kinds[kind] = kinds.get(kind, 0) + count
        if status in ("approved", "pending"):
            revenue += usd or 0
    clicks = sum(by_trigger.values())
    conversions = sum(kinds.values())
    return {"clicks": clicks, "qrScans": scans, "conversions": conversions,
            "leads": kinds.get("lead", 0), "sales": kinds.get("sale", 0),
            "revenueUsd": from_micros(revenue), "total": clicks + scans + conversions}


def recent(workspace: Workspace, options: Options) -> tuple[list[dict[str, Any]], dict]:
    """The events of the last `minutes`, newest first (at most `limit`), and the `meta` with
    the window's counts (they count every event, not only the returned ones)."""
    now = clock.now()
    since = now - timedelta(minutes=options.minutes)
    clicks = list(_clicks(workspace, options.include_bots).where(Click.created_at >= since)
                  .order_by(Click.created_at.desc(), Click.id.desc()).limit(options.limit))
    conversions = list(_conversions(workspace).where(Conversion.occurred_at >= since)
                       .order_by(Conversion.occurred_at.desc(), Conversion.id.desc())
                       .limit(options.limit))
    events = events_of(clicks, conversions)[:options.limit]
    counts = _counts(workspace, since, options.include_bots)
    meta = {"minutes": options.minutes, "since": clock.iso(since), "until": clock.iso(now),
            "includeBots": options.include_bots, "limit": options.limit,
            "returned": len(events), "truncated": counts["total"] > len(events),
            "counts": counts}
    return events, meta


def stats(workspace: Workspace, include_bots: bool = False) -> dict[str, Any]:
    """Counters for the last minute, 5 minutes and hour."""
    now = clock.now()
    out: dict[str, Any] = {"at": clock.iso(now), "includeBots": include_bots}
    for name, minutes in WINDOWS:
        out[name] = _counts(workspace, now - timedelta(minutes=minutes), include_bots)
    return out


# --- the stream --------------------------------------------------------------------------------

def start_cursor() -> Cursor:
    """A cursor at the newest rows: a stream sends only what arrives after it starts."""
    click = Click.select(peewee.fn.MAX(Click.id)).scalar() or 0
    conversion = Conversion.select(peewee.fn.MAX(Conversion.id)).scalar() or 0
    return Cursor(click, conversion)


def resume_cursor(last_event_id: str | None) -> Cursor:
    """Where a stream starts: after the SSE `Last-Event-ID` it was given (`<click>.<conversion>`
    as `cursor_text` writes it; never beyond the newest rows), else at the newest rows."""
    top = start_cursor()
    parts = (last_event_id or "").strip().split(".")
    if len(parts) != 2 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        return top
    return Cursor(min(int(parts[0]), top.click), min(int(parts[1]), top.conversion))


def cursor_text(cursor: Cursor) -> str:
    return f"{cursor.click}.{cursor.conversion}"


def since_cursor(workspace: Workspace, cursor: Cursor, include_bots: bool,
                 limit: int = MAX_LIMIT) -> list[dict[str, Any]]:
    """The workspace's rows appended after `cursor`, oldest first (at most `limit` of each kind,
    none older than MAX_MINUTES). The cursor moves past them, and past other workspaces' rows
    too, so a stream never rescans traffic that is not its own."""
    top = start_cursor()  # rows are appended in id order, one writer at a time
    floor = clock.now() - timedelta(minutes=MAX_MINUTES)
    clicks = list(_clicks(workspace, include_bots)
                  .where(Click.id > cursor.click, Click.id <= top.click,
                         Click.created_at >= floor)
                  .order_by(Click.id).limit(limit))
    conversions = list(_conversions(workspace)
                       .where(Conversion.id > cursor.conversion,
                              Conversion.id <= top.conversion, Conversion.created_at >= floor)
                       .order_by(Conversion.id).limit(limit))
    cursor.click = clicks[-1].id if len(clicks) == limit else max(cursor.click, top.click)
    cursor.conversion = (conversions[-1].id if len(conversions) == limit
                         else max(cursor.conversion, top.conversion))
    return list(reversed(events_of(clicks, conversions)))

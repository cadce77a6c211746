"""Scan metrics of a QR code: its link's clicks with trigger `qr`. Totals and days come from
the hourly rollups (kept when raw clicks expire); countries and devices from raw clicks. Bots
are counted apart and left out of every other number. Reads only."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import peewee

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import Click, ClickRollup, QrCode, Workspace
from linkhub.services.qr_codes import encoded_url

DAYS_DEFAULT, DAYS_MAX = 30, 365


def _days(raw: str | None) -> int:
    if raw in (None, ""):
        return DAYS_DEFAULT
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= DAYS_MAX:
        raise Invalid(fields={"days": f"must be a whole number from 1 to {DAYS_MAX}"})
    return int(raw)


def _zone(raw: str | None, workspace: Workspace) -> tuple[str, tzinfo]:
    name = raw or workspace.timezone or "UTC"
    try:
        return name, ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        if raw:
            raise Invalid(fields={"timezone": "must be an IANA time zone such as "
                                              "Europe/Paris"}) from None
        return "UTC", UTC


def _local_day(utc_naive: datetime, zone: tzinfo) -> str:
    return utc_naive.replace(tzinfo=UTC).astimezone(zone).date().isoformat()


def _rows(query: peewee.ModelSelect, key: str) -> list[dict[str, Any]]:
    out = [{key: value or "unknown", "total": total, "unique": int(unique or 0)}
           for value, total, unique in query.tuples()]
    return sorted(out, key=lambda row: (-row["total"], row[key]))


def scans(workspace: Workspace, qr: QrCode, args: Mapping[str, str]) -> dict[str, Any]:
    """Scans of the last `days` local days (default 30, today included) in `timezone`
    (default the workspace's), plus all-time totals. Every QR code of a link encodes the
    same URL, so the numbers are the link's QR scans."""
    days = _days(args.get("days"))
    zone_name, zone = _zone(args.get("timezone"), workspace)
    now = clock.now()
    today = now.replace(tzinfo=UTC).astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = (datetime.combine(first, time.min, tzinfo=zone).astimezone(UTC)
             .replace(tzinfo=None, minute=0, second=0, microsecond=0))  # rollups are hourly
    link = qr.link
    rollups = ClickRollup.select(ClickRollup.hour, ClickRollup.clicks,
                                 ClickRollup.unique_clicks, ClickRollup.bot_clicks).where(
        ClickRollup.link == link, ClickRollup.trigger == "qr")
    by_day = {(first + timedelta(days=n)).isoformat(): [0, 0] for n in range(days)}
    totals, all_time = [0, 0, 0], [0, 0, 0]
    for hour, humans, uniques, bots in rollups.tuples():
        all_time = [all_time[0] + humans, all_time[1] + uniques, all_time[2] + bots]
        if hour < start:
            continue
        totals = [totals[0] + humans, totals[1] + uniques, totals[2] + bots]
        day = max(_local_day(hour, zone), first.isoformat())  # hour flooring: first day
        if day in by_day:
            by_day[day][0] += humans
            by_day[day][1] += uniques
    human_scans = Click.select().where(Click.link == link, Click.trigger == "qr",
                                       Click.bot == False, Click.created_at >= start)  # noqa: E712
    unique = peewee.fn.SUM(Click.is_unique)
    by_country = human_scans.select(Click.country, peewee.fn.COUNT(Click.id), unique).group_by(
        Click.country)
    by_device = human_scans.select(Click.device_type, peewee.fn.COUNT(Click.id),
                                   unique).group_by(Click.device_type)
    last = (Click.select(Click.created_at).where(
        Click.link == link, Click.trigger == "qr", Click.bot == False)  # noqa: E712
        .order_by(Click.created_at.desc()).first())
    return {
        "qrId": qr.public_id, "linkId": link.public_id, "encodedUrl": encoded_url(link),
        "scope": "link", "days": days, "timezone": zone_name,
        "start": clock.iso(start), "end": clock.iso(now),
        "total": totals[0], "unique": totals[1], "bots": totals[2],
        "allTime": {"total": all_time[0], "unique": all_time[1], "bots": all_time[2]},
        "lastScannedAt": clock.iso(last.created_at) if last is not None else None,
        "byDay": [{"date": day, "total": v[0], "unique": v[1]} for day, v in by_day.items()],
        "byCountry": _rows(by_country, "country"),
        "byDevice": _rows(by_device, "device"),
    }

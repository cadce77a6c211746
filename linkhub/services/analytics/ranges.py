"""The analytics time range: parses `days`/`start`/`end`/`granularity`/`timezone`/`currency`/
`includeBots` into a `Range` and maps UTC hours onto the zone's local buckets. Reads no clicks
(only asks services.fx whether a currency is known)."""

from __future__ import annotations

import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.services import fx

GRANULARITIES = ("hour", "day", "month")
DEFAULT_DAYS = 30
MAX_DAYS = 731
MAX_HOUR_DAYS = 31
_HOUR = timedelta(hours=1)
_SLACK = timedelta(hours=2)  # DST shifts and hour rounding never make a legal span illegal
_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off", "")


@dataclass(frozen=True)
class Range:
    """`start`/`end` are naive UTC hour boundaries (end exclusive): rollups are hourly, so raw
    clicks are read over exactly the same hours and both agree to the unit."""

    start: datetime
    end: datetime
    granularity: str = "day"
    timezone: str = "UTC"
    tz: zoneinfo.ZoneInfo = field(default_factory=lambda: zoneinfo.ZoneInfo("UTC"))
    currency: str = "USD"
    include_bots: bool = False

    def local(self, utc_naive: datetime) -> datetime:
        """The zone's local wall time (naive) of a naive UTC instant."""
        return utc_naive.replace(tzinfo=UTC).astimezone(self.tz).replace(tzinfo=None)

    def bucket_of(self, utc_naive: datetime) -> datetime:
        """The local bucket start (naive) holding this UTC instant."""
        loc = self.local(utc_naive)
        if self.granularity == "hour":
            return loc.replace(minute=0, second=0, microsecond=0)
        if self.granularity == "day":
            return datetime.combine(loc.date(), time.min)
        return datetime(loc.year, loc.month, 1)

    def hours(self) -> list[datetime]:
        """Every UTC hour start in the range."""
        out, hour = [], self.start
        while hour < self.end:
            out.append(hour)
            hour += _HOUR
        return out

    def buckets(self) -> list[datetime]:
        """Local bucket starts, oldest first, covering every hour of the range (a DST gap has
        no hour bucket; a repeated local hour is one bucket)."""
        if self.end <= self.start:
            return []
        if self.granularity == "hour":
            return list(dict.fromkeys(self.bucket_of(h) for h in self.hours()))
        first, last = self.bucket_of(self.start), self.bucket_of(self.end - _HOUR)
        out, bucket = [], first
        while bucket <= last:
            out.append(bucket)
            bucket = _next(bucket, self.granularity)
        return out

    def label(self, bucket: datetime) -> str:
        """ISO 8601 of a local bucket start with the zone's offset, milliseconds included."""
        aware = bucket.replace(tzinfo=self.tz)
        return aware.isoformat(timespec="milliseconds")

    def as_json(self) -> dict[str, Any]:
        return {"start": clock.iso(self.start), "end": clock.iso(self.end),
                "granularity": self.granularity, "timezone": self.timezone,
                "currency": self.currency, "includeBots": self.include_bots}


def _next(bucket: datetime, granularity: str) -> datetime:
    if granularity == "hour":
        return bucket + _HOUR
    if granularity == "day":
        return bucket + timedelta(days=1)
    return datetime(bucket.year + bucket.month // 12, bucket.month % 12 + 1, 1)


def floor_hour(value: datetime) -> datetime:
    return value.replace(minute=0, second=0, microsecond=0)


def ceil_hour(value: datetime) -> datetime:
    floored = floor_hour(value)
    return floored if floored == value else floored + _HOUR


def _to_utc(local_naive: datetime, tz: zoneinfo.ZoneInfo) -> datetime:
    return local_naive.replace(tzinfo=tz).astimezone(UTC).replace(tzinfo=None)


def _zone(args: Mapping[str, str], workspace: Any, errors: dict[str, str]) -> tuple[str, Any]:
    name = (args.get("timezone") or "").strip() or getattr(workspace, "timezone", None) or "UTC"
    try:
        return name, zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        errors["timezone"] = "must be an IANA time zone name such as Europe/Paris"
        return "UTC", zoneinfo.ZoneInfo("UTC")


def _days(args: Mapping[str, str], errors: dict[str, str]) -> int:
    raw = (args.get("days") or "").strip()
    if not raw:
        return DEFAULT_DAYS
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        errors["days"] = f"must be a whole number from 1 to {MAX_DAYS}"
        return DEFAULT_DAYS
    return int(raw)


def _edge(args: Mapping[str, str], name: str, tz: Any,
          errors: dict[str, str]) -> datetime | None:
    """A date-only value is the zone's local day (start: its first hour; end: the next day's
    start); a datetime is UTC unless it carries an offset."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is not None:
        local = datetime.combine(day + timedelta(days=1 if name == "end" else 0), time.min)
        return ceil_hour(_to_utc(local, tz))
    try:
        value = clock.parse_iso(raw)
    except ValueError:
        errors[name] = "must be an ISO 8601 date or datetime"
        return None
    return floor_hour(value) if name == "start" else ceil_hour(value)


def _currency(args: Mapping[str, str], errors: dict[str, str]) -> str:
    code = (args.get("currency") or "").strip().upper()
    if not code or code == "USD":
        return "USD"
    if len(code) != 3 or not code.isalpha() or not fx.known(code):
        errors["currency"] = "must be a supported ISO 4217 currency code"
        return "USD"
    return code


def _bots(args: Mapping[str, str], errors: dict[str, str]) -> bool:
    raw = (args.get("includeBots") or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw not in _FALSE:
        errors["includeBots"] = "must be true or false"
    return False


def parse(args: Mapping[str, str], workspace: Any) -> Range:
    """Build the Range from query parameters; every problem is one 400 with per-field details.
    `start`/`end` override `days`; without them the range is the last `days` local days,
    today included, up to the current hour."""
    errors: dict[str, str] = {}
    timezone, tz = _zone(args, workspace, errors)
    granularity = (args.get("granularity") or "day").strip().lower()
    if granularity not in GRANULARITIES:
        errors["granularity"] = "must be one of hour, day, month"
        granularity = "day"
    days = _days(args, errors)
    start, end = _edge(args, "start", tz, errors), _edge(args, "end", tz, errors)
    currency, include_bots = _currency(args, errors), _bots(args, errors)
    if errors:
        raise Invalid(fields=errors)
    now = clock.now()
    if start is None and end is not None:
        start = floor_hour(end - timedelta(days=days))
    elif start is None:
        today = now.replace(tzinfo=UTC).astimezone(tz).date()
        first = datetime.combine(today - timedelta(days=days - 1), time.min)
        start = ceil_hour(_to_utc(first, tz))
    if end is None:
        end = floor_hour(now) + _HOUR  # the current hour included
    if start >= end:
        raise Invalid(fields={"start": "must be before end"})
    span = end - start
    if span > timedelta(days=MAX_DAYS) + _SLACK:
        raise Invalid(fields={"end": f"the range may span at most {MAX_DAYS} days"})
    if granularity == "hour" and span > timedelta(days=MAX_HOUR_DAYS) + _SLACK:
        raise Invalid(fields={"granularity": f"hour buckets need a range of at most "
                                             f"{MAX_HOUR_DAYS} days"})
    return Range(start, end, granularity, timezone, tz, currency, include_bots)

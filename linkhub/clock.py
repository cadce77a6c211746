"""The one clock: services and jobs ask `now()` so tests can move time. Also the ISO 8601
formatting and parsing of timestamps used at the API edge. Stored datetimes are naive UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

_offset = timedelta(0)
_frozen: datetime | None = None


def now() -> datetime:
    """Current time as a naive UTC datetime (microseconds kept)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC).replace(tzinfo=None) + _offset


def freeze(at: datetime | None) -> None:
    """Test hook: pin the clock (None releases it)."""
    global _frozen
    _frozen = at.astimezone(UTC).replace(tzinfo=None) if at and at.tzinfo else at


def advance(delta: timedelta) -> None:
    """Test hook: move the clock forward (or back) by `delta`."""
    global _offset, _frozen
    if _frozen is not None:
        _frozen = _frozen + delta
    else:
        _offset += delta


def reset() -> None:
    global _offset, _frozen
    _offset, _frozen = timedelta(0), None


def iso(value: datetime | None) -> str | None:
    """`2026-01-15T10:30:00.000Z` for a naive-UTC or aware datetime; None stays None."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_iso(text: str, *, end_of_day: bool = False) -> datetime:
    """Parse any ISO 8601 date or datetime to naive UTC. A naive value is UTC; a date-only value
    is the start of that day (or its last microsecond with end_of_day). Raises ValueError."""
    text = text.strip()
    try:  # any date-only form: 2026-01-15, 20260115, 2026-W03-4
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day, time.max if end_of_day else time.min)
    parsed = datetime.fromisoformat(text.replace("z", "Z"))
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed

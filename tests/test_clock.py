"""clock: ISO 8601 output (milliseconds, Z) and input (naive = UTC, offsets, date-only days),
and the test hooks that move time."""

from datetime import UTC, datetime, timedelta, timezone

import pytest

from linkhub import clock


@pytest.fixture(autouse=True)
def _release_clock():
    clock.reset()
    yield
    clock.reset()


def test_iso_format():
    assert clock.iso(datetime(2026, 1, 15, 10, 30)) == "2026-01-15T10:30:00.000Z"


def test_iso_keeps_milliseconds_and_truncates_micro():
    assert clock.iso(datetime(2026, 1, 15, 10, 30, 5, 123987)) == "2026-01-15T10:30:05.123Z"
    assert clock.iso(datetime(2026, 1, 15, 10, 30, 5, 999)) == "2026-01-15T10:30:05.000Z"


def test_iso_converts_aware_values_to_utc():
    plus_two = timezone(timedelta(hours=2))
    assert clock.iso(datetime(2026, 1, 15, 12, 30, tzinfo=plus_two)) == "2026-01-15T10:30:00.000Z"
    minus_five = timezone(timedelta(hours=-5))
    assert clock.iso(datetime(2026, 1, 15, 22, 0, tzinfo=minus_five)) == "2026-01-16T03:00:00.000Z"
    assert clock.iso(datetime(2026, 1, 15, 10, 30, tzinfo=UTC)) == "2026-01-15T10:30:00.000Z"


def test_iso_none():
    assert clock.iso(None) is None


@pytest.mark.parametrize("text, expected", [
    ("2026-01-15T10:30:00", datetime(2026, 1, 15, 10, 30)),
    ("2026-01-15 10:30:00", datetime(2026, 1, 15, 10, 30)),
    ("2026-01-15T10:30:00Z", datetime(2026, 1, 15, 10, 30)),
    ("2026-01-15T10:30:00z", datetime(2026, 1, 15, 10, 30)),
    ("2026-01-15T10:30:00.123Z", datetime(2026, 1, 15, 10, 30, 0, 123000)),
    ("2026-01-15T12:30:00+02:00", datetime(2026, 1, 15, 10, 30)),
    ("2026-01-15T05:30:00-05:00", datetime(2026, 1, 15, 10, 30)),
    ("2026-01-16T01:00:00+14:00", datetime(2026, 1, 15, 11, 0)),
    ("  2026-01-15T10:30:00Z  ", datetime(2026, 1, 15, 10, 30)),
])
def test_parse_iso(text, expected):
    parsed = clock.parse_iso(text)
    assert parsed == expected and parsed.tzinfo is None


def test_parse_iso_round_trips_iso():
    value = datetime(2026, 3, 1, 8, 5, 9, 250000)
    assert clock.parse_iso(clock.iso(value)) == value


@pytest.mark.parametrize("text", ["2026-01-15", "20260115"])
def test_date_only_is_the_whole_day(text):
    assert clock.parse_iso(text) == datetime(2026, 1, 15, 0, 0)
    end = clock.parse_iso(text, end_of_day=True)
    assert end == datetime(2026, 1, 15, 23, 59, 59, 999999)


def test_end_of_day_does_not_touch_datetimes():
    assert clock.parse_iso("2026-01-15T10:00:00", end_of_day=True) == datetime(2026, 1, 15, 10)


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "2026-01-32", "15/01/2026",
                                  "2026-01-15T25:00:00", "2026-01-15T10:00:00+25:00"])
def test_parse_iso_rejects_garbage(text):
    with pytest.raises(ValueError):
        clock.parse_iso(text)


def test_now_is_naive_utc():
    value = clock.now()
    assert value.tzinfo is None
    assert abs(datetime.now(UTC).replace(tzinfo=None) - value) < timedelta(minutes=1)


def test_freeze_and_advance():
    clock.freeze(datetime(2026, 1, 15, 10, 30))
    assert clock.now() == datetime(2026, 1, 15, 10, 30)
    clock.advance(timedelta(hours=2))
    assert clock.now() == datetime(2026, 1, 15, 12, 30)
    clock.freeze(datetime(2026, 1, 15, 12, 30, tzinfo=timezone(timedelta(hours=2))))
    assert clock.now() == datetime(2026, 1, 15, 10, 30)
    clock.reset()
    assert clock.now() != datetime(2026, 1, 15, 10, 30)


def test_advance_without_freeze_moves_time():
    before = clock.now()
    clock.advance(timedelta(days=3))
    assert clock.now() - before >= timedelta(days=3)

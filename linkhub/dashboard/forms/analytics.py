"""The analytics pages' range picker: a GET form (preset or custom dates, IANA time zone,
bucket size) turned into the query parameters services/analytics/ranges.py parses. It checks
nothing itself: a bad date or zone comes back from ranges.parse as field errors."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask import request
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField

from linkhub import clock
from linkhub.dashboard.forms import options
from linkhub.services.analytics.ranges import floor_hour

PRESETS = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days",
           "90d": "Last 90 days", "custom": "Custom dates"}
DEFAULT_PRESET = "30d"
GROUPS = {"auto": "Automatic", "hour": "Hour", "day": "Day", "month": "Month"}
# Range parameters named by ranges.parse -> the picker field that shows their error.
ERROR_FIELDS = {"days": "range", "start": "start", "end": "end", "timezone": "timezone",
                "granularity": "granularity"}
_SKIP = ("posix/", "right/", "SystemV/", "US/", "Etc/")


@lru_cache(maxsize=1)
def zones() -> tuple[str, ...]:
    """IANA zone names for the picker: the canonical Area/City names plus UTC."""
    names = {z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith(_SKIP)}
    return ("UTC", *sorted(names))


class RangeForm(FlaskForm):
    """Bound to the query string (`?range=7d&timezone=Europe/Paris`); no CSRF on a GET."""

    class Meta:
        csrf = False

    range = SelectField("Range", choices=options(PRESETS.items()), default=DEFAULT_PRESET,
                        validate_choice=False)
    start = StringField("From")
    end = StringField("To")
    timezone = SelectField("Time zone", validate_choice=False)
    granularity = SelectField("Group by", choices=options(GROUPS.items()), default="auto",
                              validate_choice=False)


def bind(workspace_timezone: str) -> RangeForm:
    """The picker filled from the query string; the zone defaults to the workspace's."""
    form = RangeForm(formdata=request.args)
    if form.range.data not in PRESETS:
        form.range.data = DEFAULT_PRESET
    if form.granularity.data not in GROUPS:
        form.granularity.data = "auto"
    chosen = (form.timezone.data or "").strip() or workspace_timezone or "UTC"
    form.timezone.data = chosen
    listed = zones()
    extra = [] if chosen in listed else [chosen]
    form.timezone.choices = options((z, z) for z in (*extra, *listed))
    return form


def range_args(form: RangeForm, now: datetime | None = None) -> dict[str, str]:
    """The ranges.parse parameters of the picker (also put on the CSV export links)."""
    now = now or clock.now()
    preset = form.range.data
    args = {"timezone": form.timezone.data}
    if preset == "24h":
        args["start"] = clock.iso(floor_hour(now) + timedelta(hours=1) - timedelta(days=1))
    elif preset == "custom":
        for name in ("start", "end"):
            value = (getattr(form, name).data or "").strip()
            if value:
                args[name] = value
    else:
        args["days"] = preset.removesuffix("d")
    if form.granularity.data in ("hour", "day", "month"):
        args["granularity"] = form.granularity.data
    return args


def auto_granularity(preset: str, span: timedelta) -> str:
    """Hours for a day or two, months past a year, days otherwise."""
    if preset == "24h" or span <= timedelta(days=2):
        return "hour"
    return "month" if span > timedelta(days=400) else "day"


def query_of(form: RangeForm) -> dict[str, Any]:
    """The picker's own query string (to keep the range on links between the pages)."""
    out = {"range": form.range.data, "timezone": form.timezone.data}
    if form.range.data == "custom":
        out.update(start=form.start.data or None, end=form.end.data or None)
    if form.granularity.data != "auto":
        out["granularity"] = form.granularity.data
    return {k: v for k, v in out.items() if v}

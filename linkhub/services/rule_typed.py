"""The old typed rule shapes (`type` + a `conditions` object: geo, device, time, referrer, utm,
percentage, language, visitor_state) turned into canonical condition-tree items. Pure; the
values are checked by services/rule_shapes, which calls this module."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from linkhub.redirect.evaluate import DAYS
from linkhub.services import rule_shapes as shapes

TYPES = ("geo", "device", "time", "referrer", "utm", "percentage", "language", "visitor_state")
DEVICE_CLASSES = ("mobile", "tablet", "desktop")
OS_NAMES = ("ios", "android", "windows", "macos", "linux")
UTM_KEYS = {"utm_source": "utmSource", "utm_medium": "utmMedium",
            "utm_campaign": "utmCampaign", "utm_term": "utmTerm", "utm_content": "utmContent"}
_KEYS: dict[str, set[str]] = {
    "geo": {"countries", "operator"}, "device": {"devices", "os"},
    "time": {"timezone", "days", "startTime", "endTime"},
    "referrer": {"referrers", "operator"}, "utm": {*UTM_KEYS, *UTM_KEYS.values()},
    "percentage": {"percentage"}, "language": {"languages", "operator"},
    "visitor_state": {"state"},
}
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
Items = list[dict[str, Any]]
Errors = dict[str, str]


def _leaf(field: str, operator: str, value: Any) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def _all_of(items: Items) -> dict[str, Any]:
    return items[0] if len(items) == 1 else {"logic": "AND", "conditions": items}


def _values(field: str, raw: Any, key: str, errors: Errors,
            allowed: tuple[str, ...] = ()) -> list[Any] | None:
    if raw is None:
        errors.setdefault(key, "is required")
        return None
    values = shapes.value_for(shapes.FIELDS[field], "in", raw, key, errors)
    if values is shapes.BAD:
        return None
    if allowed:
        values = [str(v).lower() for v in values]
        for i, value in enumerate(values):
            if value not in allowed:
                errors.setdefault(f"{key}[{i}]", f"must be one of {', '.join(allowed)}")
                return None
    return values


def _operator(conditions: dict[str, Any], default: str, allowed: tuple[str, ...],
              errors: Errors) -> str | None:
    raw = conditions.get("operator", default)
    operator = raw.strip().lower() if isinstance(raw, str) else None
    if operator not in allowed:
        errors.setdefault("conditions.operator", f"must be one of {', '.join(allowed)}")
        return None
    return operator


def _geo(c: dict[str, Any], errors: Errors) -> Items:
    operator = _operator(c, "in", ("in", "not_in"), errors)
    countries = _values("country", c.get("countries"), "conditions.countries", errors)
    return [_leaf("country", operator, countries)] if operator and countries else []


def _device(c: dict[str, Any], errors: Errors) -> Items:
    if c.get("devices") is None and c.get("os") is None:
        errors.setdefault("conditions", "needs devices or os")
        return []
    items = []
    for key, field, allowed in (("devices", "deviceType", DEVICE_CLASSES),
                                ("os", "os", OS_NAMES)):
        if c.get(key) is not None:
            values = _values(field, c[key], f"conditions.{key}", errors, allowed)
            if values:
                items.append(_leaf(field, "in", values))
    return items


def _clock(raw: Any, key: str, errors: Errors) -> int | None:
    if raw is None or raw == "":
        return None
    text = raw.strip() if isinstance(raw, str) else ""
    if text == "24:00" and key.endswith("endTime"):
        return 1440
    match = _CLOCK.fullmatch(text)
    if not match:
        errors.setdefault(key, "must be a time HH:MM (00:00-23:59)")
        return None
    return int(match.group(1)) * 60 + int(match.group(2))


def _time(c: dict[str, Any], errors: Errors) -> Items:
    days = None
    if c.get("days") is not None:
        days = _values("dayOfWeek", c["days"], "conditions.days", errors)
    start = _clock(c.get("startTime"), "conditions.startTime", errors)
    end = _clock(c.get("endTime"), "conditions.endTime", errors)
    if any(k.startswith("conditions.") for k in errors):
        return []
    if end == 0 and start:
        end = 1440  # "22:00-00:00" runs until midnight
    if start is not None and start == end:
        errors.setdefault("conditions.endTime", "must differ from startTime")
        return []

    def after(minute: int | None) -> Items:  # minuteOfDay >= minute
        return [] if not minute else [_leaf("minuteOfDay", "greater_than", minute - 1)]

    def before(minute: int | None) -> Items:  # minuteOfDay < minute
        return [] if minute is None or minute >= 1440 else [_leaf("minuteOfDay", "less_than",
                                                                 minute)]

    def on(day_list: list[str] | None) -> Items:
        return [_leaf("dayOfWeek", "in", day_list)] if day_list else []

    if start is not None and end is not None and start > end:
        # crosses midnight: the early hours belong to the previous day's window
        next_days = [DAYS[(DAYS.index(d) + 1) % 7] for d in days] if days else None
        return [{"logic": "OR", "conditions": [_all_of(on(days) + after(start)),
                                               _all_of(on(next_days) + before(end))]}]
    items = on(days) + after(start) + before(end)
    if not items:
        errors.setdefault("conditions", "needs days, startTime or endTime that restrict time")
    return items


def _referrer(c: dict[str, Any], errors: Errors) -> Items:
    operator = _operator(c, "contains", ("contains", "not_contains", "equals", "not_equals",
                                         "in", "not_in"), errors)
    referrers = _values("referrer", c.get("referrers"), "conditions.referrers", errors)
    if not operator or not referrers:
        return []
    if operator == "contains":
        leaves = [_leaf("referrer", "contains", r) for r in referrers]
        return [leaves[0] if len(leaves) == 1 else {"logic": "OR", "conditions": leaves}]
    if operator == "not_contains":
        return [_leaf("referrer", "not_contains", r) for r in referrers]
    negated = operator.startswith("not_")
    return [_leaf("referrerDomain", "not_in" if negated else "in",
                  [r.lower() for r in referrers])]


def _utm(c: dict[str, Any], errors: Errors) -> Items:
    items = []
    for key, raw in c.items():
        field = UTM_KEYS.get(key, key)
        operator = "in" if isinstance(raw, list) else "equals"
        value = shapes.value_for(shapes.FIELDS[field], operator, raw, f"conditions.{key}",
                                 errors)
        if value is not shapes.BAD:
            items.append(_leaf(field, operator, value))
    if not c:
        errors.setdefault("conditions", "needs at least one of " + ", ".join(UTM_KEYS))
    return items


def _percentage(c: dict[str, Any], errors: Errors) -> Items:
    if c.get("percentage") is None:
        errors.setdefault("conditions.percentage", "is required")
        return []
    value = shapes.scalar(shapes.FIELDS["percentage"], c["percentage"],
                          "conditions.percentage", errors)
    return [] if value is shapes.BAD else [_leaf("percentage", "less_than", value)]


def _language(c: dict[str, Any], errors: Errors) -> Items:
    operator = _operator(c, "in", ("in", "not_in", "equals", "not_equals"), errors)
    languages = _values("language", c.get("languages"), "conditions.languages", errors)
    if not operator or not languages:
        return []
    return [_leaf("language", "not_in" if operator.startswith("not_") else "in", languages)]


def _visitor_state(c: dict[str, Any], errors: Errors) -> Items:
    state = c.get("state")
    state = state.strip().lower() if isinstance(state, str) else state
    if state not in ("new", "returning"):
        errors.setdefault("conditions.state", "must be new or returning")
        return []
    return [_leaf("isNewVisitor" if state == "new" else "isReturning", "is_true", None)]


_CONVERTERS: dict[str, Callable[[dict[str, Any], Errors], Items]] = {
    "geo": _geo, "device": _device, "time": _time, "referrer": _referrer, "utm": _utm,
    "percentage": _percentage, "language": _language, "visitor_state": _visitor_state,
}


def to_items(rule_type: str, conditions: Any, errors: Errors) -> tuple[Items, str | None]:
    """(tree items AND-combined, the time zone a `time` rule names or None)."""
    if not isinstance(conditions, dict):
        errors.setdefault("conditions", f"must be an object for a {rule_type} rule")
        return [], None
    for key in sorted(set(conditions) - _KEYS[rule_type]):
        errors.setdefault(f"conditions.{key}", f"is not a setting of a {rule_type} rule")
    if any(k.startswith("conditions") for k in errors):
        return [], None
    timezone = None
    if rule_type == "time":
        timezone = shapes.validate_timezone(conditions.get("timezone"), "conditions.timezone",
                                            errors)
    return _CONVERTERS[rule_type](conditions, errors), timezone

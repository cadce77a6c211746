"""Rule shapes: validates a rule body in either shape (the `conditions` list with nested groups, or
the old typed `type` + `conditions` object) and normalises it into the one condition tree the
engine compiles. Pure: no database, no request; raises errors.Invalid naming the field path."""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import Any

from linkhub.errors import Invalid
from linkhub.redirect import evaluate as engine

MAX_DEPTH = 5  # nested groups below the rule's own condition list
MAX_CONDITIONS = 50  # leaf conditions per rule
MAX_LIST = 500
MAX_TEXT = 1000
NAME_MAX = 200
DESCRIPTION_MAX = 2000
PRIORITY_RANGE = (0, 1000)
DEFAULT_PRIORITY = 100
DELAY_MAX_MS = 10_000

OPERATORS: dict[str, str] = {
    "equals": "Equal to the value (case-insensitive; `es` matches `es-MX` for language).",
    "not_equals": "Known and not equal to the value.",
    "contains": "Contains the text (case-insensitive).",
    "not_contains": "Known and does not contain the text.",
    "in": "Equal to one of the listed values.",
    "not_in": "Known and equal to none of the listed values.",
    "greater_than": "Greater than the number (versions compare part by part: 17.2 > 9.10).",
    "less_than": "Less than the number.",
    "is_true": "The flag is set (no value).",
    "is_false": "The flag is known and not set (no value).",
    "matches": f"RE2 regular expression (at most {engine.REGEX_MAX_PATTERN} characters, "
               f"case-insensitive), searched in the first {engine.REGEX_MAX_INPUT} characters.",
}
_EQ = ("equals", "not_equals", "in", "not_in")
KIND_OPERATORS: dict[str, tuple[str, ...]] = {
    "string": (*_EQ, "contains", "not_contains", "matches"),
    "country": _EQ, "language": _EQ, "day": _EQ,
    "number": (*_EQ, "greater_than", "less_than"),
    "version": (*_EQ, "greater_than", "less_than"),
    "boolean": ("is_true", "is_false"),
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str
    group: str
    description: str
    needs_database: bool = False
    minimum: float | None = None
    maximum: float | None = None
    integer: bool = False

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "kind": self.kind, "group": self.group,
                               "description": self.description,
                               "needsDatabase": self.needs_database,
                               "operators": list(KIND_OPERATORS[self.kind])}
        if self.minimum is not None:
            out["minimum"], out["maximum"] = self.minimum, self.maximum
        return out


_NEEDS_DB = "Needs the optional network database; unknown (so never matches) without it."
_CITY = "From the optional city database; unknown without it."
_FIELD_DOCS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("country", "location", "Country, ISO 3166-1 alpha-2 (US, DE).", {}),
    ("region", "location", f"Region or state name. {_CITY}", {}),
    ("city", "location", f"City name. {_CITY}", {}),
    ("continent", "location", "Continent code: AF, AN, AS, EU, NA, OC, SA.", {}),
    ("timezone", "location", f"Visitor's IANA time zone (Europe/Paris). {_CITY}", {}),
    ("isp", "location", f"Internet provider. {_NEEDS_DB}", {"needs_database": True}),
    ("asn", "location", f"Autonomous system number. {_NEEDS_DB}",
     {"needs_database": True, "minimum": 0, "maximum": 4294967295, "integer": True}),
    ("latitude", "location", f"Latitude in degrees. {_CITY}", {"minimum": -90, "maximum": 90}),
    ("longitude", "location", f"Longitude in degrees. {_CITY}",
     {"minimum": -180, "maximum": 180}),
    ("deviceType", "device", "Device class: mobile, tablet or desktop.", {}),
    ("os", "device", "Operating system family: iOS, Android, Windows, macOS, Linux, ...", {}),
    ("osVersion", "device", "OS version; `equals 17` matches any 17.x.", {}),
    ("browser", "device", "Browser family: Chrome, Safari, Firefox, Edge, ...", {}),
    ("browserVersion", "device", "Browser version; compared part by part.", {}),
    ("deviceBrand", "device", "Device maker: Apple, Samsung, Google, ...", {}),
    ("vpn", "security", f"Visitor uses a VPN. {_NEEDS_DB}", {"needs_database": True}),
    ("proxy", "security", f"Visitor uses a proxy. {_NEEDS_DB}", {"needs_database": True}),
    ("tor", "security", f"Visitor uses Tor. {_NEEDS_DB}", {"needs_database": True}),
    ("datacenter", "security", f"Address belongs to a hosting provider. {_NEEDS_DB}",
     {"needs_database": True}),
    ("bot", "security", "Automated client (user-agent lists, link-preview agents).", {}),
    ("isCrawler", "security", "Search-engine or social crawler.", {}),
    ("referrer", "traffic", "The full Referer URL.", {}),
    ("referrerDomain", "traffic", "Host of the referrer (facebook.com).", {}),
    ("utmSource", "traffic", "utm_source of the incoming query.", {}),
    ("utmMedium", "traffic", "utm_medium of the incoming query.", {}),
    ("utmCampaign", "traffic", "utm_campaign of the incoming query.", {}),
    ("utmTerm", "traffic", "utm_term of the incoming query.", {}),
    ("utmContent", "traffic", "utm_content of the incoming query.", {}),
    ("hour", "time", "Hour 0-23 in the rule's time zone (else the workspace's).",
     {"minimum": 0, "maximum": 23, "integer": True}),
    ("dayOfWeek", "time", "monday..sunday (or 0-6, Monday = 0) in the rule's time zone.", {}),
    ("minuteOfDay", "time", "Minutes since midnight, 0-1439, in the rule's time zone.",
     {"minimum": 0, "maximum": 1439, "integer": True}),
    ("isNewVisitor", "visitor", "First visit seen from this visitor.", {}),
    ("isReturning", "visitor", "The visitor was seen before.", {}),
    ("language", "visitor", "Accept-Language tags; `es` matches es-MX; any preferred one.", {}),
    ("percentage", "visitor", "Sticky 0-99 bucket per visitor and rule: "
     "`less_than 50` is half the traffic.", {"minimum": 0, "maximum": 100}),
]
FIELDS: dict[str, FieldSpec] = {
    name: FieldSpec(name, engine.FIELD_KINDS[name], group, doc, **extra)
    for name, group, doc, extra in _FIELD_DOCS
}
assert set(FIELDS) == set(engine.FIELD_KINDS), "rule_shapes.FIELDS and the engine disagree"
QUERY_FIELD = FieldSpec("query.<name>", "string", "traffic",
                        "Value of one incoming query parameter (name: 1-64 of A-Z a-z 0-9 _ . -).")
_QUERY_RE = re.compile(r"query\.([A-Za-z0-9_.-]{1,64})")
_ALIASES = {alias: name for name in FIELDS
            for alias in (name.lower(), re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower())}
_COUNTRY_RE = re.compile(r"[A-Za-z]{2}")
_LANGUAGE_RE = re.compile(r"[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*")
_VERSION_RE = re.compile(r"\d{1,9}(\.\d{1,9}){0,7}")
_DAY_ALIASES = {**{d: d for d in engine.DAYS}, **{d[:3]: d for d in engine.DAYS}}


def field_catalogue() -> list[dict[str, Any]]:
    """The condition fields and operators, ready for the API and the docs."""
    return [spec.as_dict() for spec in (*FIELDS.values(), QUERY_FIELD)]


class _Bad:
    """Marks a value that failed validation (its error is already recorded)."""


BAD = _Bad()


def resolve_field(raw: Any) -> FieldSpec | str | None:
    """A FieldSpec (query fields get one named after the parameter), or an error message."""
    if not isinstance(raw, str) or not raw.strip():
        return "is required"
    name = raw.strip()
    query = _QUERY_RE.fullmatch(name)
    if query:
        return FieldSpec(name, "string", "traffic", QUERY_FIELD.description)
    if name.startswith("query."):
        return "query parameter names are 1-64 characters of A-Z a-z 0-9 _ . -"
    canonical = FIELDS.get(name) or FIELDS.get(_ALIASES.get(name.lower(), ""))
    return canonical or f"unknown field {name!r}"


def _language(text: str) -> str:
    parts = text.replace("_", "-").split("-")
    out = [parts[0].lower()]
    for part in parts[1:]:
        out.append(part.upper() if len(part) == 2 else part.title() if len(part) == 4
                   else part.lower())
    return "-".join(out)


def _plain(number: float | None) -> str:
    return str(int(number)) if number is not None and number == int(number) else str(number)


def scalar(spec: FieldSpec, raw: Any, key: str, errors: dict[str, str]) -> Any:
    """One value for a field, normalised for its kind; BAD (and an error) when invalid."""
    kind = spec.kind

    def bad(message: str) -> _Bad:
        errors.setdefault(key, message)
        return BAD

    if isinstance(raw, list | tuple):
        return bad("must be a single value (use in or not_in for a list)")
    if isinstance(raw, bool) or raw is None or isinstance(raw, dict):
        return bad("must be a number" if kind == "number" else "must be a text or number value")
    if kind == "number":
        try:
            number = float(raw) if isinstance(raw, str) else raw
            finite = isinstance(number, int | float) and math.isfinite(number)
        except (ValueError, OverflowError):
            finite = False
        if not finite:
            return bad("must be a number")
        if spec.integer and number != int(number):
            return bad("must be a whole number")
        if spec.minimum is not None and not spec.minimum <= number <= spec.maximum:
            return bad(f"must be between {_plain(spec.minimum)} and {_plain(spec.maximum)}")
        return int(number) if number == int(number) else number
    text = str(raw).strip()
    if not text:
        return bad("must not be empty")
    if len(text) > MAX_TEXT:
        return bad(f"must be at most {MAX_TEXT} characters")
    if kind == "country":
        return text.upper() if _COUNTRY_RE.fullmatch(text) else bad(
            "must be a two-letter country code (ISO 3166-1 alpha-2)")
    if kind == "language":
        return _language(text) if _LANGUAGE_RE.fullmatch(text.replace("_", "-")) else bad(
            "must be a language tag such as es or es-MX")
    if kind == "version":
        return text if _VERSION_RE.fullmatch(text) else bad("must be a version such as 17.2")
    if kind == "day":
        if text.isdigit() and int(text) < 7:
            return engine.DAYS[int(text)]
        return _DAY_ALIASES.get(text.lower()) or bad(
            "must be a day name (monday..sunday) or 0-6 (Monday = 0)")
    return text


def value_for(spec: FieldSpec, operator: str, raw: Any, key: str,
              errors: dict[str, str]) -> Any:
    """The condition's value normalised for (field, operator); BAD when invalid."""
    if operator in ("is_true", "is_false"):
        return None
    if operator == "matches":
        if not isinstance(raw, str) or not raw:
            errors.setdefault(key, "must be a regular expression")
            return BAD
        if len(raw) > engine.REGEX_MAX_PATTERN:
            errors.setdefault(key, f"must be at most {engine.REGEX_MAX_PATTERN} characters")
            return BAD
        try:
            engine.compile_pattern(raw)
        except engine.re2.error as exc:
            detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
            errors.setdefault(key, f"is not a valid RE2 regular expression ({detail})")
            return BAD
        return raw
    if operator not in ("in", "not_in"):
        return scalar(spec, raw, key, errors)
    items = [p for p in raw.split(",") if p.strip()] if isinstance(raw, str) else raw
    if not isinstance(items, list | tuple):
        errors.setdefault(key, "must be a list of values")
        return BAD
    if not items:
        errors.setdefault(key, "must list at least one value")
        return BAD
    if len(items) > MAX_LIST:
        errors.setdefault(key, f"must list at most {MAX_LIST} values")
        return BAD
    out: list[Any] = []
    seen: set[Any] = set()
    for i, item in enumerate(items):
        value = scalar(spec, item, f"{key}[{i}]", errors)
        marker = value.casefold() if isinstance(value, str) else value
        if value is not BAD and marker not in seen:
            seen.add(marker)
            out.append(value)
    return BAD if len(out) == 0 or any(k.startswith(f"{key}[") for k in errors) else out


def _leaf(item: dict[str, Any], path: str, errors: dict[str, str]) -> dict[str, Any] | None:
    spec = resolve_field(item.get("field"))
    if isinstance(spec, str):
        errors.setdefault(f"{path}.field", spec)
    raw_op = item.get("operator")
    operator = raw_op.strip().lower() if isinstance(raw_op, str) else None
    if operator not in OPERATORS:
        errors.setdefault(f"{path}.operator", f"must be one of {', '.join(OPERATORS)}")
        return None
    if isinstance(spec, str):
        return None
    if operator not in KIND_OPERATORS[spec.kind]:
        errors.setdefault(f"{path}.operator", f"{operator} is not allowed for {spec.name} "
                          f"({spec.kind}); use {', '.join(KIND_OPERATORS[spec.kind])}")
        return None
    value = value_for(spec, operator, item.get("value"), f"{path}.value", errors)
    if value is BAD:
        return None
    return {"field": spec.name, "operator": operator, "value": value}


def logic_of(raw: Any, key: str, errors: dict[str, str], allowed: tuple[str, ...]) -> str:
    logic = raw.strip().upper() if isinstance(raw, str) else None
    if logic not in allowed:
        errors.setdefault(key, f"must be {' or '.join(allowed)}")
        return allowed[0]
    return logic


def condition_items(items: Any, path: str, depth: int, count: list[int],
                    errors: dict[str, str]) -> list[dict[str, Any]]:
    """Validate a list of conditions/groups; `count` accumulates the leaves seen."""
    if not isinstance(items, list):
        errors.setdefault(path, "must be a list of conditions")
        return []
    if not items:
        errors.setdefault(path, "must contain at least one condition")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        here = f"{path}[{i}]"
        if not isinstance(item, dict):
            errors.setdefault(here, "must be an object {field, operator, value} or a group")
        elif "logic" in item or ("conditions" in item and "field" not in item):
            if depth >= MAX_DEPTH:
                errors.setdefault(here, f"groups nest at most {MAX_DEPTH} levels deep")
                continue
            logic = logic_of(item.get("logic", "AND"), f"{here}.logic", errors,
                             ("AND", "OR", "NOT"))
            children = condition_items(item.get("conditions"), f"{here}.conditions",
                                       depth + 1, count, errors)
            out.append({"logic": logic, "conditions": children})
        else:
            count[0] += 1
            if count[0] > MAX_CONDITIONS:
                errors.setdefault("conditions", f"at most {MAX_CONDITIONS} conditions per rule")
                continue
            leaf = _leaf(item, here, errors)
            if leaf is not None:
                out.append(leaf)
    return out


def validate_timezone(raw: Any, key: str, errors: dict[str, str]) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or len(raw) > 64 or engine.zone(raw.strip()) is None:
        errors.setdefault(key, "must be an IANA time zone such as Europe/Paris")
        return None
    return raw.strip()


def _conditions(data: dict[str, Any], existing: dict[str, Any] | None,
                errors: dict[str, str], out: dict[str, Any]) -> None:
    """Fill shape/type/conditions/conditionLogic/tree (and a typed time rule's timezone)."""
    from linkhub.services import rule_typed  # it builds on this module's value checks

    new_type = data.get("type")
    old_shape = existing.get("shape") if existing else None
    old_type = existing.get("type") if existing else None
    if existing and new_type is not None and new_type != old_type:
        errors.setdefault("type", "cannot change after creation")
        return
    rule_type = new_type if new_type is not None else old_type
    if "conditions" in data:
        conditions = data["conditions"]
    elif existing and "conditions" in existing:
        conditions = existing["conditions"]
    else:
        errors.setdefault("conditions", "is required")
        return
    if rule_type is not None or old_shape == "typed":
        if not isinstance(rule_type, str) or rule_type not in rule_typed.TYPES:
            errors.setdefault("type", f"must be one of {', '.join(rule_typed.TYPES)}")
            return
        items, timezone = rule_typed.to_items(rule_type, conditions, errors)
        out.update(shape="typed", type=rule_type, conditions=copy.deepcopy(conditions),
                   tree={"logic": "AND", "conditions": items})
        if timezone is not None:
            out["timezone"] = timezone
        return
    if isinstance(conditions, dict):
        errors.setdefault("type", "is required when conditions is an object (typed rule)")
        return
    logic_raw = data.get("conditionLogic")
    if logic_raw is None:
        logic_raw = (existing or {}).get("conditionLogic") or "AND"
    logic = logic_of(logic_raw, "conditionLogic", errors, ("AND", "OR"))
    items = condition_items(conditions, "conditions", 0, [0], errors)
    out.update(shape="conditions", conditions=copy.deepcopy(conditions), conditionLogic=logic,
               tree={"logic": logic, "conditions": items})


def _flag(data: dict[str, Any], key: str, errors: dict[str, str], *, nullable: bool) -> Any:
    value = data.get(key)
    if isinstance(value, bool) or (value is None and nullable):
        return value
    errors.setdefault(key, "must be true, false or null" if nullable else "must be true or false")
    return None


def _integer(data: dict[str, Any], key: str, low: int, high: int, errors: dict[str, str],
             *, nullable: bool) -> int | None:
    value = data.get(key)
    if value is None and nullable:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors.setdefault(key, f"must be a whole number from {low} to {high}")
        return None
    return value


def _text(data: dict[str, Any], key: str, limit: int, errors: dict[str, str],
          *, required: bool) -> str | None:
    value = data.get(key)
    text = value.strip() if isinstance(value, str) else value
    if text is None or text == "":
        if required:
            errors.setdefault(key, "is required")
        return None
    if not isinstance(text, str):
        errors.setdefault(key, "must be text")
        return None
    if len(text) > limit:
        errors.setdefault(key, f"must be at most {limit} characters")
    return text


_NULLABLE_FLAGS = ("deepLinkEnabled", "forwardUtms", "preserveQueryParams",
                   "inappBrowserBreakout")
_PASSTHROUGH = ("destinationUrl", "deepLinkIos", "deepLinkAndroid", "deepLinkFallbackUrl")
_CONDITION_KEYS = ("conditions", "conditionLogic", "type")


def normalize_rule(data: dict[str, Any], *, partial: bool = False,
                   existing: dict[str, Any] | None = None) -> dict[str, Any]:
    """Validate a rule body and return it normalised (camelCase keys; `tree` is the canonical
    condition tree). With partial=True only the keys given come back (the tree is rebuilt from
    `existing`, a previous output, when a condition key is given); callers merge the result
    into the stored rule. URLs are passed through untouched: the links service checks them."""
    if not isinstance(data, dict):
        raise Invalid(fields={"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}

    def wants(key: str) -> bool:
        return not partial or key in data

    if wants("name"):
        out["name"] = _text(data, "name", NAME_MAX, errors, required=True)
    if wants("description"):
        out["description"] = _text(data, "description", DESCRIPTION_MAX, errors,
                                   required=False)
    for key in _PASSTHROUGH:
        if wants(key):
            out[key] = data.get(key)
    if wants("priority"):
        out["priority"] = (DEFAULT_PRIORITY if data.get("priority") is None and not partial
                           else _integer(data, "priority", *PRIORITY_RANGE, errors,
                                         nullable=False))
    if wants("enabled"):
        out["enabled"] = (True if "enabled" not in data and not partial
                          else _flag(data, "enabled", errors, nullable=False))
    if wants("timezone"):
        out["timezone"] = validate_timezone(data.get("timezone"), "timezone", errors)
    for key in _NULLABLE_FLAGS:
        if wants(key):
            out[key] = _flag(data, key, errors, nullable=True)
    if wants("redirectDelayMs"):
        out["redirectDelayMs"] = _integer(data, "redirectDelayMs", 0, DELAY_MAX_MS, errors,
                                          nullable=True)
    if not partial or any(key in data for key in _CONDITION_KEYS):
        _conditions(data, existing, errors, out)
    if errors:
        raise Invalid(fields=errors)
    return out

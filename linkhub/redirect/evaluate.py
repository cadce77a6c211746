"""The pure rule engine: compiles normalised rules (services/rule_shapes output) into immutable,
thread-safe predicates and evaluates them against visitor facts (first match wins), or explains
every rule for `POST /api/rules/test`. No I/O, no database, no Flask."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import re2

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
QUERY_PREFIX = "query."
REGEX_MAX_PATTERN = 256
REGEX_MAX_INPUT = 2048
NEGATIONS = {"not_equals": "equals", "not_contains": "contains", "not_in": "in"}

# field -> kind; the documented table (groups, descriptions) lives in services/rule_shapes.py.
FIELD_KINDS: dict[str, str] = {
    "country": "country", "region": "string", "city": "string", "continent": "string",
    "timezone": "string", "isp": "string", "asn": "number", "latitude": "number",
    "longitude": "number",
    "deviceType": "string", "os": "string", "osVersion": "version", "browser": "string",
    "browserVersion": "version", "deviceBrand": "string",
    "vpn": "boolean", "proxy": "boolean", "tor": "boolean", "datacenter": "boolean",
    "bot": "boolean", "isCrawler": "boolean",
    "referrer": "string", "referrerDomain": "string", "utmSource": "string",
    "utmMedium": "string", "utmCampaign": "string", "utmTerm": "string", "utmContent": "string",
    "hour": "number", "dayOfWeek": "day", "minuteOfDay": "number",
    "isNewVisitor": "boolean", "isReturning": "boolean", "language": "language",
    "percentage": "number",
}
TIME_FIELDS = frozenset({"hour", "dayOfWeek", "minuteOfDay"})


class Facts(Protocol):
    """What the engine asks (a plain dict qualifies); None, "" or [] means unknown:
    - a condition field's own name, except: `time` (an aware UTC datetime; naive = UTC) for
      hour/dayOfWeek/minuteOfDay, `visitorId` for percentage, and `query` (a mapping of
      parameter name -> str or list of str) for `query.<name>`;
    - `language`: the visitor's tags in preference order (a list, one tag, or a raw
      Accept-Language header); a condition holds when ANY of them matches (`not_*`: none);
    - any field may be a list (repeated query values): positive operators need one value to
      match, negated ones need none to; booleans may be bool or "true"/"false"."""

    def get(self, field: str) -> Any: ...


def kind_of(field: str) -> str | None:
    return "string" if field.startswith(QUERY_PREFIX) else FIELD_KINDS.get(field)


def fact_name(field: str) -> str:
    """The name the engine asks of the facts object for a condition field."""
    if field in TIME_FIELDS:
        return "time"
    if field == "percentage":
        return "visitorId"
    return "query" if field.startswith(QUERY_PREFIX) else field


def compile_pattern(pattern: str) -> Any:
    """RE2 (linear time), case-insensitive, no captures; raises re2.error when it cannot."""
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.never_capture = True
    options.max_mem = 2 << 20
    return re2.compile(pattern, options)


def parse_version(value: Any) -> tuple[int, ...] | None:
    """`17.2.1` / `17_2` / 17 -> (17, 2, 1); leading numeric components only; None if none."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return (value,) if value >= 0 else None
    parts: list[int] = []
    for chunk in re.split(r"[._]", str(value).strip())[:8]:
        digits = re.match(r"\d{1,9}", chunk)
        if not digits:
            break
        parts.append(int(digits.group()))
        if digits.end() != len(chunk):
            break
    return tuple(parts) or None


def language_tags(value: Any) -> list[str]:
    """A list of tags, one tag, or an Accept-Language header -> lower-case tags in order."""
    items = value if isinstance(value, list | tuple) else str(value).split(",")
    tags = []
    for item in items:
        tag = str(item).split(";")[0].strip().replace("_", "-").lower()
        if tag and tag != "*":
            tags.append(tag)
    return tags


def language_matches(wanted: str, tag: str) -> bool:
    """`es` matches `es` and `es-mx`; `es-mx` does not match `es`. Both lower-case."""
    return tag == wanted or tag.startswith(wanted + "-")


def percentage_bucket(visitor_id: str, rule_id: str) -> int:
    digest = hashlib.sha256(f"{visitor_id}:{rule_id}".encode()).hexdigest()
    return int(digest, 16) % 100


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo | None:
    """The IANA zone, or None when the name is unknown or malformed."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


def _pad(version: tuple[int, ...], size: int) -> tuple[int, ...]:
    return version + (0,) * (size - len(version))


def _version_eq(wanted: tuple[int, ...], got: tuple[int, ...]) -> bool:
    # "17" matches 17.x.y: only the components the rule names are compared.
    return _pad(got, len(wanted))[: len(wanted)] == wanted


def _version_cmp(got: tuple[int, ...], wanted: tuple[int, ...]) -> int:
    size = max(len(got), len(wanted))
    a, b = _pad(got, size), _pad(wanted, size)
    return (a > b) - (a < b)


def _to_bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        return {"true": True, "1": True, "yes": True, "false": False, "0": False,
                "no": False}.get(raw.strip().lower())
    return None


def _to_number(raw: Any) -> float | None:
    if isinstance(raw, bool) or raw is None:
        return None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _as_list(raw: Any) -> list[Any]:
    return list(raw) if isinstance(raw, list | tuple | set | frozenset) else [raw]


def _texts(raw: Any) -> list[str]:
    if type(raw) is str:  # the common case, kept cheap
        return [raw] if raw else []
    return [] if raw is None else [str(x) for x in _as_list(raw) if x is not None and x != ""]


def _text_values(raw: Any) -> list[Any]:
    return [t.casefold() for t in _texts(raw)]


def _regex_values(raw: Any) -> list[Any]:
    return [t[:REGEX_MAX_INPUT] for t in _texts(raw)]


def _country_values(raw: Any) -> list[Any]:
    return [t.strip().upper() for t in _texts(raw)]


def _day_values(raw: Any) -> list[Any]:
    return [raw] if isinstance(raw, str) else []


def _language_values(raw: Any) -> list[Any]:
    return [] if raw is None else language_tags(raw)


def _number_values(raw: Any) -> list[Any]:
    if raw is None:
        return []
    return [n for n in (_to_number(x) for x in _as_list(raw)) if n is not None]


def _version_values(raw: Any) -> list[Any]:
    if raw is None:
        return []
    return [v for v in (parse_version(x) for x in _as_list(raw)) if v is not None]


def _bool_values(raw: Any) -> list[Any]:
    value = _to_bool(raw)
    return [] if value is None else [value]


_NORMALISERS: dict[str, Callable[[Any], list[Any]]] = {
    "string": _text_values, "country": _country_values, "day": _day_values,
    "language": _language_values, "number": _number_values, "version": _version_values,
    "boolean": _bool_values,
}


def _normaliser(kind: str, operator: str) -> Callable[[Any], list[Any]]:
    """Turns a raw fact into a list of comparable values ([] = unknown)."""
    return _regex_values if operator == "matches" else _NORMALISERS[kind]


def _scalar(kind: str, value: Any) -> Any:
    """A rule value in the form facts are normalised to."""
    if kind == "number":
        return float(value)
    if kind == "version":
        version = parse_version(value)
        if version is None:
            raise ValueError(f"bad version {value!r}")
        return version
    if kind == "country":
        return str(value).upper()
    return str(value).casefold()


def _predicate(kind: str, operator: str, value: Any) -> Callable[[Any], bool]:
    """The positive test on one normalised fact value (negations are applied by the caller)."""
    op = NEGATIONS.get(operator, operator)
    if op == "is_true":
        return lambda got: got is True
    if op == "is_false":
        return lambda got: got is False
    if op == "matches":
        regex = compile_pattern(str(value))
        return lambda got: regex.search(got) is not None
    if op == "in":
        wanted = tuple(_scalar(kind, v) for v in value)
        if kind == "language":
            return lambda got: any(language_matches(w, got) for w in wanted)
        if kind == "version":
            return lambda got: any(_version_eq(w, got) for w in wanted)
        members = frozenset(wanted)
        return lambda got: got in members
    target = _scalar(kind, value)
    if op == "equals":
        if kind == "language":
            return lambda got: language_matches(target, got)
        if kind == "version":
            return lambda got: _version_eq(target, got)
        return lambda got: got == target
    if op == "contains":
        return lambda got: target in got
    if op in ("greater_than", "less_than"):
        sign = 1 if op == "greater_than" else -1
        if kind == "version":
            return lambda got: _version_cmp(got, target) == sign
        return (lambda got: got > target) if sign == 1 else (lambda got: got < target)
    raise ValueError(f"unknown operator {operator!r}")


@dataclass(frozen=True, slots=True)
class _Leaf:
    field: str
    operator: str
    value: Any
    path: str
    kind: str
    negate: bool
    test: Callable[[Any], bool]
    norm: Callable[[Any], list[Any]]


@dataclass(frozen=True, slots=True)
class _Group:
    logic: str
    children: tuple[_Leaf | _Group, ...]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    id: str
    priority: int
    zone: ZoneInfo | None
    root: _Group
    rule: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class CompiledRules:
    rules: tuple[CompiledRule, ...]
    facts: frozenset[str]  # the names evaluate() may ask of the facts object
    skipped: tuple[tuple[str, str], ...] = ()  # (ruleId, reason) for rules that cannot compile


@dataclass(frozen=True, slots=True)
class Match:
    rule_id: str
    rule: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ConditionResult:
    field: str
    operator: str
    value: Any
    actual: Any
    result: bool
    path: str

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "operator": self.operator, "value": self.value,
                "actual": self.actual, "result": self.result, "path": self.path}


@dataclass(frozen=True, slots=True)
class RuleEvaluation:
    rule_id: str
    matched: bool
    conditions: tuple[ConditionResult, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"ruleId": self.rule_id, "matched": self.matched,
                "conditions": [c.to_dict() for c in self.conditions]}


def _compile_node(node: Mapping[str, Any], path: str, names: set[str]) -> _Group | _Leaf:
    if "logic" in node:
        logic = str(node["logic"]).upper()
        if logic not in ("AND", "OR", "NOT"):
            raise ValueError(f"bad logic at {path or 'tree'}")
        children = tuple(_compile_node(child, f"{path}conditions[{i}].", names)
                         for i, child in enumerate(node["conditions"]))
        if not children:
            raise ValueError(f"empty group at {path or 'tree'}")
        return _Group(logic, children)
    field, operator = node["field"], node["operator"]
    kind = kind_of(field)
    if kind is None:
        raise ValueError(f"unknown field {field!r}")
    names.add(fact_name(field))
    return _Leaf(field, operator, node.get("value"), path.rstrip("."), kind,
                 operator in NEGATIONS, _predicate(kind, operator, node.get("value")),
                 _normaliser(kind, operator))


def _order_key(rule: Mapping[str, Any]) -> tuple[Any, ...]:
    created = rule.get("createdAt")
    if isinstance(created, datetime):
        created = created.astimezone(UTC).replace(tzinfo=None) if created.tzinfo else created
        created_key: tuple[Any, ...] = (1, created.isoformat(timespec="microseconds"))
    elif isinstance(created, int | float) and not isinstance(created, bool):
        created_key = (0, created)
    else:
        created_key = (2, "" if created is None else str(created))
    return (_priority(rule), created_key, str(rule.get("id", "")))


def _priority(rule: Mapping[str, Any]) -> int:
    try:
        return int(rule.get("priority", 100))
    except (TypeError, ValueError):
        return 100


def compile_rules(rules: list[Mapping[str, Any]]) -> CompiledRules:
    """Enabled rules in evaluation order (priority ascending, then createdAt, then id). A rule
    whose stored tree cannot compile is left out and reported in `skipped`."""
    compiled: list[CompiledRule] = []
    skipped: list[tuple[str, str]] = []
    names: set[str] = set()
    enabled = (r for r in rules if r.get("enabled") is None or r["enabled"])
    for rule in sorted(enabled, key=_order_key):
        rule_id = str(rule.get("id", ""))
        rule_zone = None
        if rule.get("timezone"):
            rule_zone = zone(str(rule["timezone"]))
            if rule_zone is None:
                skipped.append((rule_id, f"unknown timezone {rule['timezone']!r}"))
                continue
        try:
            root = _compile_node(rule["tree"], "", names)
        except (KeyError, TypeError, ValueError, re2.error) as exc:
            skipped.append((rule_id, f"cannot compile: {exc}"))
            continue
        if isinstance(root, _Leaf):
            root = _Group("AND", (root,))
        compiled.append(CompiledRule(rule_id, _priority(rule), rule_zone, root,
                                     MappingProxyType(dict(rule))))
    return CompiledRules(tuple(compiled), frozenset(names), tuple(skipped))


class _Context:
    """One evaluation: each fact is asked of the facts object at most once."""

    __slots__ = ("facts", "default_zone", "memo", "normalised")

    def __init__(self, facts: Facts, default_timezone: str) -> None:
        self.facts = facts
        self.default_zone = zone(default_timezone) or ZoneInfo("UTC")
        self.memo: dict[str, Any] = {}
        self.normalised: dict[tuple[Any, ...], list[Any]] = {}

    def values(self, leaf: _Leaf, rule: CompiledRule) -> list[Any]:
        """The leaf's fact, normalised; shared between rules unless it depends on the rule."""
        if leaf.field == "percentage":
            return leaf.norm(self.observe(leaf, rule))
        key = (leaf.field, leaf.norm, rule.zone if leaf.field in TIME_FIELDS else None)
        found = self.normalised.get(key)
        if found is None:
            found = self.normalised[key] = leaf.norm(self.observe(leaf, rule))
        return found

    def fact(self, name: str) -> Any:
        if name not in self.memo:
            self.memo[name] = self.facts.get(name)
        return self.memo[name]

    def observe(self, leaf: _Leaf, rule: CompiledRule) -> Any:
        """The raw (display) value of the leaf's field for this visitor and rule; None = unknown."""
        field = leaf.field
        if field in TIME_FIELDS:
            local = _local_time(self.fact("time"), rule.zone or self.default_zone)
            if local is None:
                return None
            if field == "hour":
                return local.hour
            return DAYS[local.weekday()] if field == "dayOfWeek" else local.hour * 60 + local.minute
        if field == "percentage":
            visitor = self.fact("visitorId")
            return None if visitor in (None, "") else percentage_bucket(str(visitor), rule.id)
        if field.startswith(QUERY_PREFIX):
            query = self.fact("query")
            return query.get(field[len(QUERY_PREFIX):]) if isinstance(query, Mapping) else None
        return self.fact(field)


def _local_time(raw: Any, tz: ZoneInfo) -> datetime | None:
    if isinstance(raw, str):
        try:
            raw = datetime.fromisoformat(raw.strip().replace("z", "Z"))
        except ValueError:
            return None
    if not isinstance(raw, datetime):
        return None
    return (raw if raw.tzinfo else raw.replace(tzinfo=UTC)).astimezone(tz)


def _leaf_result(leaf: _Leaf, values: list[Any]) -> bool:
    if not values:
        return False  # unknown fact: false, for not_* too
    test = leaf.test
    hit = any(test(v) for v in values) if len(values) > 1 else test(values[0])
    return not hit if leaf.negate else hit


def _combine(logic: str, results: list[bool]) -> bool:
    if logic == "OR":
        return any(results)
    return not all(results) if logic == "NOT" else all(results)


def _matches(node: _Group | _Leaf, ctx: _Context, rule: CompiledRule) -> bool:
    if type(node) is _Leaf:
        return _leaf_result(node, ctx.values(node, rule))
    if node.logic == "OR":
        for child in node.children:
            if _matches(child, ctx, rule):
                return True
        return False
    for child in node.children:  # AND, and NOT = not AND
        if not _matches(child, ctx, rule):
            return node.logic == "NOT"
    return node.logic != "NOT"


def evaluate(compiled: CompiledRules, facts: Facts, *,
             default_timezone: str = "UTC") -> Match | None:
    """The first rule (in order) whose conditions hold for these facts, else None."""
    ctx = _Context(facts, default_timezone)
    for rule in compiled.rules:
        if _matches(rule.root, ctx, rule):
            return Match(rule.id, rule.rule)
    return None


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_json_safe(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _explain_node(node: _Group | _Leaf, ctx: _Context, rule: CompiledRule,
                  out: list[ConditionResult]) -> bool:
    if isinstance(node, _Leaf):
        actual = ctx.observe(node, rule)
        result = _leaf_result(node, node.norm(actual))
        out.append(ConditionResult(node.field, node.operator, _json_safe(node.value),
                                   _json_safe(actual), result, node.path))
        return result
    # every child is evaluated (no short-circuit) so the report shows each condition
    results = [_explain_node(child, ctx, rule, out) for child in node.children]
    return _combine(node.logic, results)


def explain(compiled: CompiledRules, facts: Facts, *,
            default_timezone: str = "UTC") -> list[RuleEvaluation]:
    """Every compiled rule in evaluation order with each leaf condition flattened (its `path`
    locates it in the tree, e.g. `conditions[1].conditions[0]`). The first evaluation with
    `matched` is what evaluate() returns."""
    ctx = _Context(facts, default_timezone)
    evaluations = []
    for rule in compiled.rules:
        conditions: list[ConditionResult] = []
        matched = _explain_node(rule.root, ctx, rule, conditions)
        evaluations.append(RuleEvaluation(rule.id, matched, tuple(conditions)))
    return evaluations


def first_match(evaluations: list[RuleEvaluation]) -> str | None:
    return next((e.rule_id for e in evaluations if e.matched), None)

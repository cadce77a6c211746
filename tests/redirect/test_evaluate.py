"""The pure rule engine: every operator on every field kind, unknown facts, nested logic, order,
time zones, sticky percentages, language prefixes, query fields, RE2 safety, and explain()
agreeing with evaluate()."""

from __future__ import annotations

import dataclasses
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhub.redirect.evaluate import (
    CompiledRules,
    compile_rules,
    evaluate,
    explain,
    first_match,
    percentage_bucket,
)
from linkhub.services.rule_shapes import normalize_rule

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def rule(conditions: Any, logic: str = "AND", *, rid: str = "rul_1", order: int = 0,
         **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": rid, "destinationUrl": f"https://example.com/{rid}"}
    if isinstance(conditions, dict):
        body.update(type=extra.pop("type"), conditions=conditions)
    else:
        body.update(conditions=conditions, conditionLogic=logic)
    body.update(extra)
    normalised = normalize_rule(body)
    normalised.update(id=rid, createdAt=T0 + timedelta(seconds=order))
    return normalised


def cond(field: str, operator: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def hit(condition: dict[str, Any], facts: dict[str, Any], **kw: Any) -> bool:
    compiled = compile_rules([rule([condition])])
    return evaluate(compiled, facts, **kw) is not None


# ---- string fields ------------------------------------------------------------------------

@pytest.mark.parametrize(("operator", "value", "fact", "expected"), [
    ("equals", "iOS", "ios", True),
    ("equals", "iOS", "Android", False),
    ("not_equals", "iOS", "Android", True),
    ("not_equals", "ios", "IOS", False),
    ("contains", "FaceBook", "https://m.facebook.com/x", True),
    ("contains", "twitter", "https://m.facebook.com/x", False),
    ("not_contains", "twitter", "https://m.facebook.com/x", True),
    ("not_contains", "facebook", "https://m.facebook.com/x", False),
    ("in", ["Chrome", "Firefox"], "chrome", True),
    ("in", ["Chrome", "Firefox"], "Safari", False),
    ("not_in", ["Chrome", "Firefox"], "Safari", True),
    ("not_in", ["Chrome", "Firefox"], "FIREFOX", False),
    ("matches", r"^https://(www\.)?example\.(com|org)/", "https://WWW.example.org/a", True),
    ("matches", r"^https://example\.com/", "http://example.com/", False),
])
def test_string_operators(operator, value, fact, expected):
    field = {"equals": "os", "not_equals": "os", "in": "browser", "not_in": "browser"}.get(
        operator, "referrer")
    assert hit(cond(field, operator, value), {field: fact}) is expected


def test_region_city_and_friends_are_plain_strings():
    assert hit(cond("city", "equals", "helsinki"), {"city": "Helsinki"})
    assert hit(cond("continent", "in", ["eu", "na"]), {"continent": "EU"})
    assert hit(cond("timezone", "equals", "Europe/Paris"), {"timezone": "europe/paris"})
    assert hit(cond("deviceBrand", "contains", "sam"), {"deviceBrand": "Samsung"})
    assert hit(cond("utmSource", "equals", "Newsletter"), {"utmSource": "newsletter"})
    assert hit(cond("referrerDomain", "not_in", ["t.co"]), {"referrerDomain": "facebook.com"})


# ---- country, language, day ---------------------------------------------------------------

def test_country_compares_upper_case_codes():
    assert hit(cond("country", "equals", "us"), {"country": "US"})
    assert hit(cond("country", "equals", "US"), {"country": "us"})
    assert hit(cond("country", "in", ["us", "CA"]), {"country": "ca"})
    assert not hit(cond("country", "in", ["US", "CA"]), {"country": "DE"})
    assert hit(cond("country", "not_in", ["US", "CA"]), {"country": "DE"})
    assert hit(cond("country", "not_equals", "US"), {"country": "DE"})
    assert not hit(cond("country", "not_equals", "US"), {"country": "us"})


@pytest.mark.parametrize(("operator", "value", "fact", "expected"), [
    ("equals", "es", "es-MX", True),
    ("equals", "es", "es", True),
    ("equals", "es", "est", False),  # a prefix only counts up to a subtag boundary
    ("equals", "es-MX", "es", False),
    ("equals", "es-mx", ["es-MX"], True),
    ("equals", "es", ["en-US", "es-MX"], True),  # any of the visitor's languages
    ("equals", "es", "en-US,en;q=0.9,es-MX;q=0.8", True),  # a raw Accept-Language works too
    ("in", ["pt", "es"], ["fr", "pt-BR"], True),
    ("in", ["pt", "es"], ["fr", "de"], False),
    ("not_in", ["pt", "es"], ["fr", "de"], True),
    ("not_in", ["pt", "es"], ["fr", "es-ES"], False),  # not_in = none of them matches
    ("not_equals", "en", ["en-GB"], False),
    ("not_equals", "en", ["de-DE"], True),
])
def test_language_prefix_matching(operator, value, fact, expected):
    assert hit(cond("language", operator, value), {"language": fact}) is expected


def test_unknown_language_is_false_for_every_operator():
    for operator, value in (("equals", "es"), ("not_equals", "es"), ("in", ["es"]),
                            ("not_in", ["es"])):
        assert not hit(cond("language", operator, value), {"language": []})
        assert not hit(cond("language", operator, value), {"language": "*"})


MONDAY_0130_HELSINKI = datetime(2024, 1, 7, 23, 30, tzinfo=UTC)  # Sunday 23:30 UTC


def test_time_fields_use_the_rules_time_zone():
    facts = {"time": MONDAY_0130_HELSINKI}
    helsinki = {"timezone": "Europe/Helsinki"}
    for condition, in_helsinki, in_utc in (
        (cond("dayOfWeek", "equals", "monday"), True, False),
        (cond("dayOfWeek", "equals", 6), False, True),  # 6 = sunday
        (cond("hour", "equals", 1), True, False),
        (cond("hour", "equals", 23), False, True),
        (cond("minuteOfDay", "equals", 90), True, False),
    ):
        compiled = compile_rules([rule([condition], **helsinki)])
        assert (evaluate(compiled, facts) is not None) is in_helsinki
        compiled = compile_rules([rule([condition])])
        assert (evaluate(compiled, facts) is not None) is in_utc
        # without a rule time zone the default (the workspace's) applies
        assert (evaluate(compiled, facts, default_timezone="Europe/Helsinki")
                is not None) is in_helsinki


def test_time_zone_follows_daylight_saving():
    summer = datetime(2024, 7, 7, 23, 30, tzinfo=UTC)  # Helsinki is UTC+3 in July
    compiled = compile_rules([rule([cond("hour", "equals", 2)], timezone="Europe/Helsinki")])
    assert evaluate(compiled, {"time": summer}) is not None


def test_time_facts_accept_naive_utc_and_iso_strings():
    compiled = compile_rules([rule([cond("hour", "equals", 23)])])
    assert evaluate(compiled, {"time": datetime(2024, 1, 7, 23, 30)}) is not None
    assert evaluate(compiled, {"time": "2024-01-07T23:30:00Z"}) is not None
    assert evaluate(compiled, {"time": "not a time"}) is None
    assert evaluate(compiled, {}) is None


def test_day_lists_and_negation():
    facts = {"time": MONDAY_0130_HELSINKI}  # sunday in UTC
    assert hit(cond("dayOfWeek", "in", ["saturday", "sun"]), facts)
    assert hit(cond("dayOfWeek", "not_in", [0, 1, 2, 3, 4]), facts)
    assert not hit(cond("dayOfWeek", "not_equals", "sunday"), facts)


# ---- numbers, versions, booleans ----------------------------------------------------------

@pytest.mark.parametrize(("condition", "fact", "expected"), [
    (cond("latitude", "greater_than", 60), 60.17, True),
    (cond("latitude", "less_than", 60), 60.17, False),
    (cond("longitude", "less_than", 0), "-0.12", True),  # numeric strings count
    (cond("asn", "equals", 13335), 13335, True),
    (cond("asn", "not_equals", 13335), 15169, True),
    (cond("asn", "in", [13335, 15169]), "15169", True),
    (cond("asn", "not_in", [13335, 15169]), 3320, True),
    (cond("asn", "greater_than", 10), "lots", False),  # not a number: unknown
    (cond("asn", "greater_than", 10), True, False),  # a boolean is not a number
])
def test_number_operators(condition, fact, expected):
    assert hit(condition, {condition["field"]: fact}) is expected


@pytest.mark.parametrize(("condition", "fact", "expected"), [
    (cond("osVersion", "greater_than", "9.10"), "17.2", True),  # (17, 2) > (9, 10)
    (cond("osVersion", "greater_than", "17.2"), "9.10", False),
    (cond("osVersion", "less_than", "10"), "9.10.1", True),
    (cond("osVersion", "greater_than", "17"), "17.0.1", True),
    (cond("osVersion", "greater_than", "17.0"), "17", False),
    (cond("osVersion", "equals", "17"), "17.4.1", True),  # names only the parts it gives
    (cond("osVersion", "equals", "17.4"), "17.5", False),
    (cond("osVersion", "equals", "17.0"), "17", True),
    (cond("osVersion", "not_equals", "17"), "16.7", True),
    (cond("browserVersion", "in", ["120", "121"]), "121.0.6167.85", True),
    (cond("browserVersion", "not_in", ["120", "121"]), "119.0", True),
    (cond("osVersion", "greater_than", "16"), "17_2", True),  # iOS user-agent style
    (cond("osVersion", "greater_than", "1"), "unknown", False),
])
def test_version_operators(condition, fact, expected):
    assert hit(condition, {condition["field"]: fact}) is expected


@pytest.mark.parametrize("field", ["bot", "isCrawler", "isNewVisitor", "isReturning", "vpn",
                                   "proxy", "tor", "datacenter"])
def test_boolean_operators(field):
    assert hit(cond(field, "is_true"), {field: True})
    assert not hit(cond(field, "is_true"), {field: False})
    assert hit(cond(field, "is_false"), {field: False})
    assert not hit(cond(field, "is_false"), {field: True})
    assert hit(cond(field, "is_true"), {field: "true"})
    for unknown in ({}, {field: None}, {field: "maybe"}):
        assert not hit(cond(field, "is_true"), unknown)
        assert not hit(cond(field, "is_false"), unknown)


# ---- unknown facts ------------------------------------------------------------------------

@pytest.mark.parametrize("condition", [
    cond("os", "equals", "ios"), cond("os", "not_equals", "ios"),
    cond("referrer", "contains", "x"), cond("referrer", "not_contains", "x"),
    cond("browser", "in", ["a"]), cond("browser", "not_in", ["a"]),
    cond("referrer", "matches", ".*"), cond("asn", "greater_than", 1),
    cond("asn", "less_than", 1), cond("osVersion", "not_equals", "1"),
    cond("country", "not_in", ["US"]), cond("hour", "not_equals", 3),
    cond("percentage", "less_than", 100), cond("query.ref", "not_equals", "x"),
])
def test_a_condition_on_an_unknown_fact_is_false_even_when_negated(condition):
    assert not hit(condition, {})
    assert not hit(condition, {condition["field"]: None})
    assert not hit(condition, {condition["field"]: ""})


def test_needs_database_fields_are_unknown_without_the_database():
    compiled = compile_rules([rule([cond("vpn", "is_false")]), ])
    assert evaluate(compiled, {"country": "US"}) is None
    assert evaluate(compiled, {"vpn": False}) is not None


# ---- logic ----------------------------------------------------------------------------------

def test_and_or_not_nesting():
    tree = [
        cond("country", "in", ["US", "CA"]),
        {"logic": "OR", "conditions": [
            cond("deviceType", "equals", "mobile"),
            {"logic": "NOT", "conditions": [cond("bot", "is_false"),
                                            cond("browser", "equals", "chrome")]},
        ]},
    ]
    compiled = compile_rules([rule(tree)])
    base = {"country": "US", "deviceType": "desktop", "bot": False, "browser": "Chrome"}
    assert evaluate(compiled, base) is None  # NOT(true AND true) is false
    assert evaluate(compiled, {**base, "deviceType": "mobile"}) is not None
    assert evaluate(compiled, {**base, "browser": "Firefox"}) is not None  # NOT(true AND false)
    assert evaluate(compiled, {**base, "country": "DE", "deviceType": "mobile"}) is None
    either = compile_rules([rule([cond("country", "equals", "DE"),
                                  cond("deviceType", "equals", "mobile")], "OR")])
    assert evaluate(either, {"country": "DE"}) is not None
    assert evaluate(either, {"deviceType": "mobile"}) is not None
    assert evaluate(either, {"country": "FR"}) is None


def test_not_of_an_unknown_condition_is_true():
    # a leaf on an unknown fact is false, so its negation by a NOT group is true
    compiled = compile_rules([rule([{"logic": "NOT", "conditions": [cond("vpn", "is_true")]}])])
    assert evaluate(compiled, {}) is not None


# ---- order ----------------------------------------------------------------------------------

def test_first_match_wins_in_priority_order_then_creation_then_id():
    everyone = [cond("country", "equals", "US")]
    rules = [
        rule(everyone, rid="rul_late", priority=10, order=5),
        rule(everyone, rid="rul_low", priority=50, order=0),
        rule(everyone, rid="rul_early", priority=10, order=1),
        rule(everyone, rid="rul_b", priority=5, order=9),
        rule(everyone, rid="rul_a", priority=5, order=9),
    ]
    compiled = compile_rules(rules)
    assert [r.id for r in compiled.rules] == ["rul_a", "rul_b", "rul_early", "rul_late",
                                              "rul_low"]
    assert evaluate(compiled, {"country": "US"}).rule_id == "rul_a"


def test_disabled_rules_are_skipped():
    everyone = [cond("country", "equals", "US")]
    compiled = compile_rules([rule(everyone, rid="rul_off", priority=0, enabled=False),
                              rule(everyone, rid="rul_on", priority=1)])
    assert [r.id for r in compiled.rules] == ["rul_on"]
    match = evaluate(compiled, {"country": "US"})
    assert match.rule_id == "rul_on"
    assert match.rule["destinationUrl"] == "https://example.com/rul_on"


def test_no_rules_no_match():
    assert evaluate(compile_rules([]), {"country": "US"}) is None
    assert explain(compile_rules([]), {}) == []


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.tuples(st.integers(0, 3), st.integers(0, 3), st.booleans(), st.booleans()),
                min_size=1, max_size=8), st.randoms(use_true_random=False))
def test_order_is_independent_of_input_order(specs, rnd):
    rules = [rule([cond("country", "equals", "US" if matches else "DE")], rid=f"rul_{i}",
                  priority=p, order=o, enabled=on)
             for i, (p, o, matches, on) in enumerate(specs)]
    shuffled = list(rules)
    rnd.shuffle(shuffled)
    a, b = compile_rules(rules), compile_rules(shuffled)
    assert [r.id for r in a.rules] == [r.id for r in b.rules]
    keys = [(r["priority"], r["createdAt"], r["id"]) for r in rules if r["enabled"]]
    assert [r.id for r in a.rules] == [k[2] for k in sorted(keys)]
    expected = next((k[2] for k in sorted(keys)
                     if rules[int(k[2][4:])]["tree"]["conditions"][0]["value"] == "US"), None)
    match = evaluate(a, {"country": "US"})
    assert (match.rule_id if match else None) == expected


# ---- typed shapes ---------------------------------------------------------------------------

def typed(rule_type: str, conditions: dict[str, Any], **extra: Any) -> CompiledRules:
    return compile_rules([rule(conditions, type=rule_type, **extra)])


def test_typed_geo_device_referrer_utm_language_state():
    geo = typed("geo", {"countries": ["US", "CA"], "operator": "not_in"})
    assert evaluate(geo, {"country": "DE"}) and not evaluate(geo, {"country": "us"})
    device = typed("device", {"devices": ["mobile", "tablet"], "os": ["ios", "android"]})
    assert evaluate(device, {"deviceType": "mobile", "os": "iOS"})
    assert not evaluate(device, {"deviceType": "desktop", "os": "iOS"})
    assert not evaluate(device, {"deviceType": "mobile", "os": "Windows"})
    ref = typed("referrer", {"referrers": ["facebook.com", "instagram.com"],
                             "operator": "contains"})
    assert evaluate(ref, {"referrer": "https://l.instagram.com/?u=1"})
    assert not evaluate(ref, {"referrer": "https://t.co/x"})
    not_ref = typed("referrer", {"referrers": ["facebook.com", "t.co"],
                                 "operator": "not_contains"})
    assert evaluate(not_ref, {"referrer": "https://news.ycombinator.com/"})
    assert not evaluate(not_ref, {"referrer": "https://t.co/x"})
    domain = typed("referrer", {"referrers": ["T.co"], "operator": "equals"})
    assert evaluate(domain, {"referrerDomain": "t.co"})
    utm = typed("utm", {"utm_source": "newsletter", "utm_campaign": "spring_sale"})
    assert evaluate(utm, {"utmSource": "Newsletter", "utmCampaign": "spring_sale"})
    assert not evaluate(utm, {"utmSource": "newsletter", "utmCampaign": "other"})
    lang = typed("language", {"languages": ["es", "pt"], "operator": "in"})
    assert evaluate(lang, {"language": ["es-MX"]}) and not evaluate(lang, {"language": "en"})
    assert evaluate(typed("visitor_state", {"state": "new"}), {"isNewVisitor": True})
    assert evaluate(typed("visitor_state", {"state": "returning"}), {"isReturning": True})
    assert not evaluate(typed("visitor_state", {"state": "returning"}), {"isReturning": False})


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """UTC time on 2024-01-(8+day): day 0 = Monday."""
    return datetime(2024, 1, 8 + day, hour, minute, tzinfo=UTC)


def test_typed_time_window_in_its_own_time_zone():
    office = typed("time", {"timezone": "America/New_York", "days": ["monday", "friday"],
                            "startTime": "09:00", "endTime": "17:00"})
    assert office.rules[0].rule["timezone"] == "America/New_York"
    assert evaluate(office, {"time": at(0, 14)})  # Monday 09:00 in New York (UTC-5)
    assert not evaluate(office, {"time": at(0, 13, 59)})
    assert evaluate(office, {"time": at(0, 21, 59)})
    assert not evaluate(office, {"time": at(0, 22)})  # 17:00 is the end, exclusive
    assert not evaluate(office, {"time": at(1, 15)})  # Tuesday


def test_typed_time_window_crossing_midnight():
    late = typed("time", {"days": ["friday"], "startTime": "22:00", "endTime": "02:00"})
    assert evaluate(late, {"time": at(4, 22)})  # Friday 22:00
    assert evaluate(late, {"time": at(4, 23, 59)})
    assert evaluate(late, {"time": at(5, 1, 59)})  # Saturday early hours: Friday's window
    assert not evaluate(late, {"time": at(5, 2)})
    assert not evaluate(late, {"time": at(4, 1)})  # Friday early hours: Thursday's window
    assert not evaluate(late, {"time": at(5, 22, 30)})  # Saturday night is not listed
    nightly = typed("time", {"startTime": "23:00", "endTime": "01:00"})
    assert evaluate(nightly, {"time": at(2, 0, 30)}) and evaluate(nightly, {"time": at(2, 23)})
    assert not evaluate(nightly, {"time": at(2, 12)})
    sunday_night = typed("time", {"days": ["sunday"], "startTime": "23:00", "endTime": "01:00"})
    assert evaluate(sunday_night, {"time": at(0, 0, 30)})  # wraps to Monday
    to_midnight = typed("time", {"startTime": "22:00", "endTime": "00:00"})
    assert evaluate(to_midnight, {"time": at(0, 23, 59)})
    assert not evaluate(to_midnight, {"time": at(0, 0, 0)})
    until = typed("time", {"endTime": "06:00"})
    assert evaluate(until, {"time": at(0, 0)}) and not evaluate(until, {"time": at(0, 6)})


# ---- percentage -----------------------------------------------------------------------------

def test_percentage_is_sticky_per_visitor_and_rule():
    compiled = typed("percentage", {"percentage": 50})
    for visitor in ("v1", "v2", "v3", "lh_abc"):
        first = evaluate(compiled, {"visitorId": visitor})
        for _ in range(5):
            again = evaluate(compiled, {"visitorId": visitor})
            assert (again is None) == (first is None)
        bucket = percentage_bucket(visitor, "rul_1")
        assert (first is not None) == (bucket < 50)
    assert evaluate(compiled, {}) is None  # no visitor id: unknown


def test_percentage_splits_roughly_evenly():
    compiled = typed("percentage", {"percentage": 50})
    hits = sum(evaluate(compiled, {"visitorId": f"visitor-{i}"}) is not None
               for i in range(2000))
    assert 800 <= hits <= 1200
    assert not any(evaluate(typed("percentage", {"percentage": 0}), {"visitorId": f"v{i}"})
                   for i in range(200))
    assert all(evaluate(typed("percentage", {"percentage": 100}), {"visitorId": f"v{i}"})
               for i in range(200))


def test_percentage_buckets_differ_between_rules():
    buckets = [(percentage_bucket(f"v{i}", "rul_a"), percentage_bucket(f"v{i}", "rul_b"))
               for i in range(200)]
    assert sum(a == b for a, b in buckets) < 20
    greater = compile_rules([rule([cond("percentage", "greater_than", 49)])])
    lower = compile_rules([rule([cond("percentage", "less_than", 50)])])
    for i in range(100):
        facts = {"visitorId": f"v{i}"}
        assert (evaluate(greater, facts) is None) != (evaluate(lower, facts) is None)


# ---- query parameters -----------------------------------------------------------------------

def test_query_parameter_fields():
    compiled = compile_rules([rule([cond("query.ref", "equals", "Partner")])])
    assert evaluate(compiled, {"query": {"ref": "partner"}})
    assert evaluate(compiled, {"query": {"ref": ["x", "PARTNER"]}})  # any of repeated values
    assert not evaluate(compiled, {"query": {"ref": "other"}})
    assert not evaluate(compiled, {"query": {"Ref": "partner"}})  # names are case-sensitive
    assert not evaluate(compiled, {"query": {}})
    assert not evaluate(compiled, {})
    negated = compile_rules([rule([cond("query.v.x-1", "not_in", ["a", "b"])])])
    assert evaluate(negated, {"query": {"v.x-1": "c"}})
    assert not evaluate(negated, {"query": {"v.x-1": ["c", "a"]}})
    assert not evaluate(negated, {"query": {"other": "c"}})


# ---- regular expressions ---------------------------------------------------------------------

def test_catastrophic_pattern_returns_under_re2():
    compiled = compile_rules([rule([cond("referrer", "matches", "(a+)+$")])])
    assert evaluate(compiled, {"referrer": "a" * 30 + "!"}) is None
    # only the first 2,048 characters are searched: the trailing "!" is cut off
    assert evaluate(compiled, {"referrer": "a" * 2048 + "!"}) is not None
    evil = compile_rules([rule([cond("referrer", "matches", "^(a|aa)+b")])])
    assert evaluate(evil, {"referrer": "a" * 5000}) is None


def test_matches_is_case_insensitive_and_searches():
    assert hit(cond("utmCampaign", "matches", "sale-20\\d\\d"), {"utmCampaign": "SPRING-SALE-2026"})
    assert not hit(cond("utmCampaign", "matches", "^sale"), {"utmCampaign": "spring-sale"})


# ---- laziness, explain, immutability ---------------------------------------------------------

class RecordingFacts:
    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.asked: list[str] = []

    def get(self, field: str) -> Any:
        self.asked.append(field)
        return self.values.get(field)


def test_only_needed_facts_are_asked_once_each():
    compiled = compile_rules([
        rule([cond("country", "equals", "US"), cond("hour", "greater_than", 3)], rid="rul_a"),
        rule([cond("country", "equals", "DE"), cond("minuteOfDay", "less_than", 5),
              cond("percentage", "less_than", 100)], rid="rul_b", order=1),
        rule([cond("query.x", "equals", "1")], rid="rul_c", order=2),
    ])
    assert compiled.facts == {"country", "time", "visitorId", "query"}
    facts = RecordingFacts({"country": "FI", "os": "iOS"})
    assert evaluate(compiled, facts) is None
    assert sorted(facts.asked) == ["country", "query"]  # AND short-circuits, memo per call
    facts = RecordingFacts({"country": "FI"})
    explain(compiled, facts)
    assert sorted(facts.asked) == ["country", "query", "time", "visitorId"]


def test_explain_reports_every_rule_and_condition():
    compiled = compile_rules([
        rule([cond("country", "in", ["us"]),
              {"logic": "NOT", "conditions": [cond("bot", "is_true")]}], rid="rul_a"),
        rule([cond("language", "equals", "es")], rid="rul_b", order=1),
        rule([cond("deviceType", "equals", "mobile")], rid="rul_c", order=2),
    ])
    facts = {"country": "DE", "bot": False, "language": ["es-MX", "en"], "deviceType": "mobile"}
    evaluations = explain(compiled, facts)
    assert [e.to_dict() for e in evaluations] == [
        {"ruleId": "rul_a", "matched": False, "conditions": [
            {"field": "country", "operator": "in", "value": ["US"], "actual": "DE",
             "result": False, "path": "conditions[0]"},
            {"field": "bot", "operator": "is_true", "value": None, "actual": False,
             "result": False, "path": "conditions[1].conditions[0]"}]},
        {"ruleId": "rul_b", "matched": True, "conditions": [
            {"field": "language", "operator": "equals", "value": "es",
             "actual": ["es-MX", "en"], "result": True, "path": "conditions[0]"}]},
        {"ruleId": "rul_c", "matched": True, "conditions": [
            {"field": "deviceType", "operator": "equals", "value": "mobile",
             "actual": "mobile", "result": True, "path": "conditions[0]"}]},
    ]
    assert first_match(evaluations) == "rul_b" == evaluate(compiled, facts).rule_id


def test_compiled_rules_are_immutable():
    compiled = compile_rules([rule([cond("country", "equals", "US")])])
    with pytest.raises(dataclasses.FrozenInstanceError):
        compiled.rules = ()  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        compiled.rules[0].priority = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        compiled.rules[0].rule["destinationUrl"] = "https://evil.example/"  # type: ignore[index]


def test_rules_that_cannot_compile_are_skipped_and_reported():
    good = rule([cond("country", "equals", "US")], rid="rul_good", order=1)
    bad_zone = dict(good, id="rul_zone", timezone="Mars/Olympus")
    bad_tree = dict(good, id="rul_tree", tree={"logic": "AND", "conditions": [
        {"field": "nope", "operator": "equals", "value": "x"}]})
    bad_regex = dict(good, id="rul_re", tree={"logic": "AND", "conditions": [
        {"field": "referrer", "operator": "matches", "value": "(?=x)"}]})
    bad_version = dict(good, id="rul_ver", tree={"logic": "AND", "conditions": [
        {"field": "osVersion", "operator": "in", "value": ["x"]}]})
    compiled = compile_rules([bad_zone, bad_tree, bad_regex, bad_version, good])
    assert [r.id for r in compiled.rules] == ["rul_good"]
    assert sorted(rid for rid, _ in compiled.skipped) == ["rul_re", "rul_tree", "rul_ver",
                                                          "rul_zone"]


def test_unknown_default_time_zone_falls_back_to_utc():
    compiled = compile_rules([rule([cond("hour", "equals", 23)])])
    assert evaluate(compiled, {"time": MONDAY_0130_HELSINKI}, default_timezone="Nope/Nope")


# ---- property: explain agrees with evaluate ---------------------------------------------------

LEAVES = st.one_of(
    st.tuples(st.just("country"), st.sampled_from(["equals", "not_equals"]),
              st.sampled_from(["US", "DE", "FI"])),
    st.tuples(st.just("country"), st.sampled_from(["in", "not_in"]),
              st.lists(st.sampled_from(["US", "DE", "FI"]), min_size=1, max_size=3)),
    st.tuples(st.just("hour"), st.sampled_from(["equals", "greater_than", "less_than"]),
              st.integers(0, 23)),
    st.tuples(st.sampled_from(["bot", "isNewVisitor"]), st.sampled_from(["is_true", "is_false"]),
              st.none()),
    st.tuples(st.just("language"), st.sampled_from(["equals", "not_equals"]),
              st.sampled_from(["es", "en", "es-MX"])),
    st.tuples(st.just("percentage"), st.sampled_from(["less_than", "greater_than"]),
              st.integers(0, 100)),
    st.tuples(st.just("referrer"), st.sampled_from(["contains", "not_contains", "matches"]),
              st.sampled_from(["face", "t.co", "^https"])),
).map(lambda t: cond(*t))
TREES = st.recursive(
    LEAVES,
    lambda children: st.builds(lambda logic, items: {"logic": logic, "conditions": items},
                               st.sampled_from(["AND", "OR", "NOT"]),
                               st.lists(children, min_size=1, max_size=3)),
    max_leaves=5,
)
FACTS = st.fixed_dictionaries({}, optional={
    "country": st.sampled_from(["US", "de", "FI", None]),
    "time": st.integers(0, 10 ** 9).map(lambda s: T0 + timedelta(seconds=s)),
    "bot": st.booleans(), "isNewVisitor": st.sampled_from([None, True, False]),
    "language": st.lists(st.sampled_from(["es-MX", "en-US", "es", "fi"]), max_size=3),
    "visitorId": st.sampled_from(["v1", "v2", "v3", "v4", "v5", ""]),
    "referrer": st.sampled_from(["https://facebook.com/", "https://t.co/x", ""]),
})


@settings(max_examples=100, deadline=None, database=None)
@given(st.lists(st.tuples(st.lists(TREES, min_size=1, max_size=2),
                          st.sampled_from(["AND", "OR"]), st.integers(0, 3),
                          st.sampled_from([None, "Europe/Helsinki", "America/New_York"])),
                min_size=1, max_size=4), FACTS)
def test_explain_agrees_with_evaluate(specs, facts):
    rules = [rule(items, logic, rid=f"rul_{i}", priority=priority, order=i, timezone=zone)
             for i, (items, logic, priority, zone) in enumerate(specs)]
    compiled = compile_rules(rules)
    evaluations = explain(compiled, facts, default_timezone="Asia/Tokyo")
    match = evaluate(compiled, facts, default_timezone="Asia/Tokyo")
    assert [e.rule_id for e in evaluations] == [r.id for r in compiled.rules]
    assert first_match(evaluations) == (match.rule_id if match else None)
    for evaluation in evaluations:  # each rule alone gives the same verdict
        alone = compile_rules([next(r for r in rules if r["id"] == evaluation.rule_id)])
        verdict = evaluate(alone, facts, default_timezone="Asia/Tokyo") is not None
        assert verdict is evaluation.matched


def test_random_trees_compile_and_run_quickly_enough_to_finish():
    rnd = random.Random(7)
    rules = [rule([cond("country", "in", rnd.sample(["US", "DE", "FI", "SE", "NO"], 2))],
                  rid=f"rul_{i}", priority=rnd.randint(0, 5), order=i) for i in range(50)]
    compiled = compile_rules(rules)
    assert len(compiled.rules) == 50
    assert evaluate(compiled, {"country": "SE"}) is not None

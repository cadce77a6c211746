"""Rule bodies in both shapes: normalisation into the canonical tree, the field and operator
tables, rule-level flags, partial updates, and every validation error naming its path."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linkhub.errors import Invalid
from linkhub.services.rule_shapes import (
    FIELDS,
    KIND_OPERATORS,
    MAX_CONDITIONS,
    OPERATORS,
    field_catalogue,
    normalize_rule,
)


def body(conditions: Any = None, **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"name": "Rule", "destinationUrl": "https://example.com/",
                            "conditions": conditions if conditions is not None else
                            [cond("country", "equals", "US")]}
    data.update(extra)
    return data


def cond(field: Any, operator: Any, value: Any = None) -> dict[str, Any]:
    return {"field": field, "operator": operator, "value": value}


def tree_of(conditions: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return normalize_rule(body(conditions, **extra))["tree"]


def errors_of(data: dict[str, Any], **kw: Any) -> dict[str, str]:
    with pytest.raises(Invalid) as caught:
        normalize_rule(data, **kw)
    assert caught.value.status == 400 and caught.value.code == "VALIDATION_ERROR"
    return caught.value.fields


# ---- tables -------------------------------------------------------------------------------

def test_field_catalogue_lists_every_field_with_its_operators():
    catalogue = {entry["name"]: entry for entry in field_catalogue()}
    assert set(catalogue) == set(FIELDS) | {"query.<name>"}
    assert {n for n, e in catalogue.items() if e["needsDatabase"]} == {
        "vpn", "proxy", "tor", "datacenter", "isp", "asn"}
    assert catalogue["hour"]["operators"] == list(KIND_OPERATORS["number"])
    assert catalogue["hour"]["minimum"] == 0 and catalogue["hour"]["maximum"] == 23
    assert catalogue["bot"]["operators"] == ["is_true", "is_false"]
    assert "matches" in catalogue["referrer"]["operators"]
    assert "greater_than" in catalogue["osVersion"]["operators"]
    for entry in catalogue.values():
        assert entry["kind"] in KIND_OPERATORS and entry["group"] and entry["description"]
        assert set(entry["operators"]) <= set(OPERATORS)


# ---- new shape: normalisation -------------------------------------------------------------

def test_defaults_and_pass_through():
    out = normalize_rule({"name": "  Mobile  ", "destinationUrl": "not checked here",
                          "conditions": [cond("deviceType", "equals", "mobile")],
                          "deepLinkIos": "myapp://x"})
    assert out["name"] == "Mobile" and out["destinationUrl"] == "not checked here"
    assert out["priority"] == 100 and out["enabled"] is True and out["timezone"] is None
    assert out["deepLinkIos"] == "myapp://x" and out["deepLinkEnabled"] is None
    assert out["redirectDelayMs"] is None and out["description"] is None
    assert out["shape"] == "conditions" and "type" not in out
    assert out["conditionLogic"] == "AND"
    assert out["tree"] == {"logic": "AND",
                           "conditions": [cond("deviceType", "equals", "mobile")]}


def test_conditions_are_returned_as_written_and_normalised_in_the_tree():
    written = [cond("country", "IN", "us, ca ,US"), cond("utm_source", "equals", " News "),
               cond("dayOfWeek", "in", [0, "sat", "Sunday"]), cond("hour", "equals", "7"),
               cond("bot", "is_true", "ignored"), cond("language", "in", ["ES_mx", "pt"]),
               cond("osVersion", "greater_than", 17)]
    out = normalize_rule(body(written, conditionLogic="or"))
    assert out["conditions"] == written and out["conditions"] is not written
    assert out["conditionLogic"] == "OR"
    assert out["tree"] == {"logic": "OR", "conditions": [
        cond("country", "in", ["US", "CA"]),
        cond("utmSource", "equals", "News"),
        cond("dayOfWeek", "in", ["monday", "saturday", "sunday"]),
        cond("hour", "equals", 7),
        cond("bot", "is_true", None),
        cond("language", "in", ["es-MX", "pt"]),
        cond("osVersion", "greater_than", "17"),
    ]}


def test_numbers_and_query_fields():
    assert tree_of([cond("latitude", "greater_than", "60.5")])["conditions"][0]["value"] == 60.5
    assert tree_of([cond("asn", "in", [13335.0, "15169"])])["conditions"][0]["value"] == [
        13335, 15169]
    assert tree_of([cond("query.ref-id_2.x", "equals", "a")])["conditions"][0]["field"] == (
        "query.ref-id_2.x")


def test_groups_nest_and_keep_their_logic():
    tree = tree_of([cond("country", "equals", "US"),
                    {"logic": "not", "conditions": [
                        {"conditions": [cond("bot", "is_true")]},  # logic defaults to AND
                        cond("vpn", "is_true")]}])
    assert tree["conditions"][1] == {"logic": "NOT", "conditions": [
        {"logic": "AND", "conditions": [cond("bot", "is_true", None)]},
        cond("vpn", "is_true", None)]}


def test_depth_and_size_caps_allow_their_limits():
    nested: dict[str, Any] = cond("country", "equals", "US")
    for _ in range(5):
        nested = {"logic": "AND", "conditions": [nested]}
    normalize_rule(body([nested]))
    normalize_rule(body([cond("country", "equals", "US")] * MAX_CONDITIONS))
    normalize_rule(body([cond("browser", "in", [f"b{i}" for i in range(500)])]))
    normalize_rule(body([cond("referrer", "matches", "a" * 256)]))


# ---- new shape: errors name the condition -------------------------------------------------

@pytest.mark.parametrize(("conditions", "field", "message"), [
    ([cond("nope", "equals", "x")], "conditions[0].field", "unknown field"),
    ([cond(None, "equals", "x")], "conditions[0].field", "is required"),
    ([cond("query.", "equals", "x")], "conditions[0].field", "query parameter names"),
    ([cond("query." + "x" * 65, "equals", "x")], "conditions[0].field", "query parameter"),
    ([cond("query.a b", "equals", "x")], "conditions[0].field", "query parameter"),
    ([cond("os", "equals", "x"), cond("os", "like", "x")], "conditions[1].operator",
     "must be one of"),
    ([cond("os", None, "x")], "conditions[0].operator", "must be one of"),
    ([cond("os", "greater_than", "1")], "conditions[0].operator", "not allowed for os"),
    ([cond("country", "contains", "U")], "conditions[0].operator", "not allowed"),
    ([cond("country", "matches", "U.")], "conditions[0].operator", "not allowed"),
    ([cond("hour", "matches", "1")], "conditions[0].operator", "not allowed"),
    ([cond("hour", "contains", 1)], "conditions[0].operator", "not allowed"),
    ([cond("bot", "equals", True)], "conditions[0].operator", "use is_true, is_false"),
    ([cond("os", "is_true")], "conditions[0].operator", "not allowed"),
    ([cond("dayOfWeek", "greater_than", 2)], "conditions[0].operator", "not allowed"),
    ([cond("os", "equals", ["a", "b"])], "conditions[0].value", "single value"),
    ([cond("os", "equals", {"a": 1})], "conditions[0].value", "text or number"),
    ([cond("os", "equals", True)], "conditions[0].value", "text or number"),
    ([cond("os", "equals", None)], "conditions[0].value", "text or number"),
    ([cond("os", "equals", "   ")], "conditions[0].value", "must not be empty"),
    ([cond("os", "equals", "x" * 1001)], "conditions[0].value", "at most 1000"),
    ([cond("hour", "equals", "seven")], "conditions[0].value", "must be a number"),
    ([cond("hour", "equals", 24)], "conditions[0].value", "between 0 and 23"),
    ([cond("hour", "less_than", 1.5)], "conditions[0].value", "whole number"),
    ([cond("hour", "equals", True)], "conditions[0].value", "must be a number"),
    ([cond("latitude", "equals", "nan")], "conditions[0].value", "must be a number"),
    ([cond("asn", "equals", 10 ** 400)], "conditions[0].value", "must be a number"),
    ([cond("asn", "equals", -1)], "conditions[0].value", "between 0 and 4294967295"),
    ([cond("percentage", "less_than", 101)], "conditions[0].value", "between 0 and 100"),
    ([cond("minuteOfDay", "equals", 1440)], "conditions[0].value", "between 0 and 1439"),
    ([cond("country", "equals", "USA")], "conditions[0].value", "two-letter"),
    ([cond("language", "equals", "e s")], "conditions[0].value", "language tag"),
    ([cond("dayOfWeek", "equals", "funday")], "conditions[0].value", "day name"),
    ([cond("dayOfWeek", "equals", 7)], "conditions[0].value", "day name"),
    ([cond("osVersion", "equals", "v17")], "conditions[0].value", "version"),
    ([cond("country", "in", [])], "conditions[0].value", "at least one"),
    ([cond("country", "in", " , ")], "conditions[0].value", "at least one"),
    ([cond("country", "in", 5)], "conditions[0].value", "list of values"),
    ([cond("country", "in", ["US", "USA"])], "conditions[0].value[1]", "two-letter"),
    ([cond("browser", "in", [f"b{i}" for i in range(501)])], "conditions[0].value",
     "at most 500"),
    ([cond("referrer", "matches", "(?=lookahead)")], "conditions[0].value", "RE2"),
    ([cond("referrer", "matches", "(unclosed")], "conditions[0].value", "RE2"),
    ([cond("referrer", "matches", "(a)\\1")], "conditions[0].value", "RE2"),
    ([cond("referrer", "matches", "a" * 257)], "conditions[0].value", "at most 256"),
    ([cond("referrer", "matches", 5)], "conditions[0].value", "regular expression"),
    ([cond("referrer", "matches", "")], "conditions[0].value", "regular expression"),
    ([{"logic": "AND", "conditions": [cond("os", "equals", "x"), cond("os", "nah", "x")]}],
     "conditions[0].conditions[1].operator", "must be one of"),
    ([{"logic": "XOR", "conditions": [cond("os", "equals", "x")]}], "conditions[0].logic",
     "AND or OR or NOT"),
    ([{"logic": "OR", "conditions": []}], "conditions[0].conditions", "at least one"),
    ([{"logic": "OR", "conditions": "x"}], "conditions[0].conditions", "must be a list"),
    ([{"logic": "OR"}], "conditions[0].conditions", "must be a list"),
    (["country=US"], "conditions[0]", "must be an object"),
    ([], "conditions", "at least one condition"),
    ("country=US", "conditions", "must be a list"),
])
def test_condition_errors_name_the_condition(conditions, field, message):
    fields = errors_of(body(conditions))
    assert field in fields, fields
    assert message in fields[field]


def test_depth_cap():
    nested: dict[str, Any] = cond("country", "equals", "US")
    for _ in range(6):
        nested = {"logic": "OR", "conditions": [nested]}
    fields = errors_of(body([nested]))
    path = "conditions[0]" + ".conditions[0]" * 5
    assert "5 levels" in fields[path]


def test_size_cap():
    fields = errors_of(body([{"logic": "OR", "conditions": [cond("country", "equals", "US")]
                              * 30}] * 2))
    assert "at most 50" in fields["conditions"]


def test_all_errors_are_reported_together():
    fields = errors_of({"name": "", "priority": 5000, "conditions": [
        cond("nope", "equals", 1), cond("hour", "equals", 99)]})
    assert set(fields) == {"name", "priority", "conditions[0].field", "conditions[1].value"}


@pytest.mark.parametrize("logic", ["NOT", "XOR", 1])
def test_condition_logic_is_and_or_or(logic):
    assert "AND or OR" in errors_of(body(conditionLogic=logic))["conditionLogic"]


# ---- rule-level fields --------------------------------------------------------------------

@pytest.mark.parametrize(("extra", "field", "message"), [
    ({"name": None}, "name", "is required"),
    ({"name": "  "}, "name", "is required"),
    ({"name": "x" * 201}, "name", "at most 200"),
    ({"name": 5}, "name", "must be text"),
    ({"description": "x" * 2001}, "description", "at most 2000"),
    ({"priority": -1}, "priority", "0 to 1000"),
    ({"priority": 1001}, "priority", "0 to 1000"),
    ({"priority": "5"}, "priority", "whole number"),
    ({"priority": True}, "priority", "whole number"),
    ({"priority": 1.5}, "priority", "whole number"),
    ({"enabled": None}, "enabled", "true or false"),
    ({"enabled": "yes"}, "enabled", "true or false"),
    ({"timezone": "Mars/Olympus"}, "timezone", "IANA"),
    ({"timezone": "../etc/passwd"}, "timezone", "IANA"),
    ({"timezone": 3}, "timezone", "IANA"),
    ({"deepLinkEnabled": "true"}, "deepLinkEnabled", "true, false or null"),
    ({"forwardUtms": 1}, "forwardUtms", "true, false or null"),
    ({"preserveQueryParams": "no"}, "preserveQueryParams", "true, false or null"),
    ({"inappBrowserBreakout": 0}, "inappBrowserBreakout", "true, false or null"),
    ({"redirectDelayMs": 10001}, "redirectDelayMs", "0 to 10000"),
    ({"redirectDelayMs": -5}, "redirectDelayMs", "0 to 10000"),
    ({"redirectDelayMs": "100"}, "redirectDelayMs", "0 to 10000"),
])
def test_rule_field_errors(extra, field, message):
    fields = errors_of(body(**extra))
    assert message in fields[field], fields


def test_rule_fields_normalised():
    out = normalize_rule(body(priority=0, enabled=False, timezone=" Europe/Helsinki ",
                              description="  why  ", deepLinkEnabled=True, forwardUtms=False,
                              preserveQueryParams=None, redirectDelayMs=2500.0))
    assert (out["priority"], out["enabled"], out["timezone"], out["description"]) == (
        0, False, "Europe/Helsinki", "why")
    assert (out["deepLinkEnabled"], out["forwardUtms"], out["preserveQueryParams"]) == (
        True, False, None)
    assert out["redirectDelayMs"] == 2500
    assert normalize_rule(body(priority=None))["priority"] == 100


def test_body_must_be_an_object():
    assert errors_of([1, 2]) == {"body": "must be a JSON object"}  # type: ignore[arg-type]


def test_conditions_are_required_on_create():
    assert errors_of({"name": "x"}) == {"conditions": "is required"}


# ---- typed shapes -------------------------------------------------------------------------

def typed(rule_type: str, conditions: Any, **extra: Any) -> dict[str, Any]:
    return normalize_rule(body(conditions, type=rule_type, **extra))


def test_typed_shapes_convert_into_the_tree():
    geo = typed("geo", {"countries": ["us", "CA"], "operator": "not_in"})
    assert geo["shape"] == "typed" and geo["type"] == "geo"
    assert geo["conditions"] == {"countries": ["us", "CA"], "operator": "not_in"}
    assert geo["tree"] == {"logic": "AND", "conditions": [cond("country", "not_in",
                                                               ["US", "CA"])]}
    assert "conditionLogic" not in geo
    assert typed("geo", {"countries": ["US"]})["tree"]["conditions"] == [
        cond("country", "in", ["US"])]
    assert typed("device", {"devices": ["Mobile", "tablet"], "os": ["iOS"]})["tree"][
        "conditions"] == [cond("deviceType", "in", ["mobile", "tablet"]),
                          cond("os", "in", ["ios"])]
    assert typed("device", {"os": ["android"]})["tree"]["conditions"] == [
        cond("os", "in", ["android"])]
    assert typed("referrer", {"referrers": ["facebook.com", "instagram.com"],
                              "operator": "contains"})["tree"]["conditions"] == [
        {"logic": "OR", "conditions": [cond("referrer", "contains", "facebook.com"),
                                       cond("referrer", "contains", "instagram.com")]}]
    assert typed("referrer", {"referrers": ["t.co"]})["tree"]["conditions"] == [
        cond("referrer", "contains", "t.co")]
    assert typed("referrer", {"referrers": ["a.com", "b.com"], "operator": "not_contains"})[
        "tree"]["conditions"] == [cond("referrer", "not_contains", "a.com"),
                                  cond("referrer", "not_contains", "b.com")]
    assert typed("referrer", {"referrers": ["T.co"], "operator": "not_in"})["tree"][
        "conditions"] == [cond("referrerDomain", "not_in", ["t.co"])]
    assert typed("utm", {"utm_source": "newsletter", "utmCampaign": ["a", "b"]})["tree"][
        "conditions"] == [cond("utmSource", "equals", "newsletter"),
                          cond("utmCampaign", "in", ["a", "b"])]
    assert typed("percentage", {"percentage": 50})["tree"]["conditions"] == [
        cond("percentage", "less_than", 50)]
    assert typed("language", {"languages": ["es", "pt-br"], "operator": "not_in"})["tree"][
        "conditions"] == [cond("language", "not_in", ["es", "pt-BR"])]
    assert typed("visitor_state", {"state": "new"})["tree"]["conditions"] == [
        cond("isNewVisitor", "is_true", None)]
    assert typed("visitor_state", {"state": "Returning"})["tree"]["conditions"] == [
        cond("isReturning", "is_true", None)]


def test_typed_time_shapes():
    office = typed("time", {"timezone": "America/New_York", "days": ["monday", "fri"],
                            "startTime": "09:00", "endTime": "17:30"})
    assert office["timezone"] == "America/New_York"
    assert office["tree"]["conditions"] == [
        cond("dayOfWeek", "in", ["monday", "friday"]),
        cond("minuteOfDay", "greater_than", 539), cond("minuteOfDay", "less_than", 1050)]
    late = typed("time", {"days": ["sunday"], "startTime": "22:00", "endTime": "02:00"},
                 timezone="Europe/Paris")
    assert late["timezone"] == "Europe/Paris"  # the rule's own zone when the shape has none
    assert late["tree"]["conditions"] == [{"logic": "OR", "conditions": [
        {"logic": "AND", "conditions": [cond("dayOfWeek", "in", ["sunday"]),
                                        cond("minuteOfDay", "greater_than", 1319)]},
        {"logic": "AND", "conditions": [cond("dayOfWeek", "in", ["monday"]),
                                        cond("minuteOfDay", "less_than", 120)]}]}]
    assert typed("time", {"startTime": "00:00", "endTime": "24:00", "days": ["monday"]})[
        "tree"]["conditions"] == [cond("dayOfWeek", "in", ["monday"])]
    assert typed("time", {"startTime": "23:00", "endTime": "01:00"})["tree"]["conditions"] == [
        {"logic": "OR", "conditions": [cond("minuteOfDay", "greater_than", 1379),
                                       cond("minuteOfDay", "less_than", 60)]}]


@pytest.mark.parametrize(("rule_type", "conditions", "field", "message"), [
    ("weather", {"sunny": True}, "type", "must be one of geo"),
    (None, {"countries": ["US"]}, "type", "is required when conditions is an object"),
    ("geo", [cond("country", "equals", "US")], "conditions", "must be an object"),
    ("geo", {"countries": ["US"], "regions": ["x"]}, "conditions.regions", "not a setting"),
    ("geo", {"countries": ["USA"]}, "conditions.countries[0]", "two-letter"),
    ("geo", {"countries": []}, "conditions.countries", "at least one"),
    ("geo", {"operator": "in"}, "conditions.countries", "is required"),
    ("geo", {"countries": ["US"], "operator": "contains"}, "conditions.operator", "in, not_in"),
    ("device", {}, "conditions", "needs devices or os"),
    ("device", {"devices": ["phone"]}, "conditions.devices[0]", "mobile, tablet, desktop"),
    ("device", {"os": ["beos"]}, "conditions.os[0]", "ios, android"),
    ("time", {"startTime": "9am"}, "conditions.startTime", "HH:MM"),
    ("time", {"startTime": "24:00"}, "conditions.startTime", "HH:MM"),
    ("time", {"endTime": "25:00"}, "conditions.endTime", "HH:MM"),
    ("time", {"startTime": "10:00", "endTime": "10:00"}, "conditions.endTime", "differ"),
    ("time", {"days": ["someday"]}, "conditions.days[0]", "day name"),
    ("time", {"timezone": "Nowhere/Land", "days": ["monday"]}, "conditions.timezone", "IANA"),
    ("time", {"timezone": "UTC"}, "conditions", "needs days, startTime or endTime"),
    ("time", {"startTime": "00:00", "endTime": "24:00"}, "conditions", "needs days"),
    ("referrer", {"operator": "contains"}, "conditions.referrers", "is required"),
    ("referrer", {"referrers": ["a"], "operator": "near"}, "conditions.operator", "one of"),
    ("utm", {}, "conditions", "needs at least one of utm_source"),
    ("utm", {"utm_source": ""}, "conditions.utm_source", "must not be empty"),
    ("utm", {"utm_source": "a", "utm_foo": "b"}, "conditions.utm_foo", "not a setting"),
    ("percentage", {}, "conditions.percentage", "is required"),
    ("percentage", {"percentage": 150}, "conditions.percentage", "between 0 and 100"),
    ("percentage", {"percentage": "half"}, "conditions.percentage", "must be a number"),
    ("language", {"languages": ["!!"]}, "conditions.languages[0]", "language tag"),
    ("language", {"languages": ["es"], "operator": "contains"}, "conditions.operator",
     "one of"),
    ("visitor_state", {"state": "old"}, "conditions.state", "new or returning"),
    ("visitor_state", {}, "conditions.state", "new or returning"),
])
def test_typed_shape_errors(rule_type, conditions, field, message):
    data = body(conditions)
    if rule_type is not None:
        data["type"] = rule_type
    fields = errors_of(data)
    assert message in fields.get(field, ""), fields


# ---- updates ------------------------------------------------------------------------------

def test_partial_update_returns_only_given_keys():
    existing = normalize_rule(body([cond("country", "equals", "US")]))
    assert normalize_rule({"priority": 3}, partial=True, existing=existing) == {"priority": 3}
    assert normalize_rule({}, partial=True, existing=existing) == {}
    out = normalize_rule({"conditionLogic": "OR"}, partial=True, existing=existing)
    assert out["conditionLogic"] == "OR" and out["tree"]["logic"] == "OR"
    assert out["tree"]["conditions"] == existing["tree"]["conditions"]
    new = [cond("os", "equals", "iOS")]
    out = normalize_rule({"conditions": new}, partial=True, existing=dict(existing,
                                                                        conditionLogic="OR"))
    assert out["tree"] == {"logic": "OR", "conditions": new}
    assert errors_of({"name": None}, partial=True, existing=existing) == {"name": "is required"}
    assert "enabled" in errors_of({"enabled": None}, partial=True, existing=existing)


def test_partial_update_of_a_typed_rule_keeps_its_type():
    existing = typed("geo", {"countries": ["US"]})
    out = normalize_rule({"conditions": {"countries": ["DE"], "operator": "not_in"}},
                         partial=True, existing=existing)
    assert out["type"] == "geo" and out["tree"]["conditions"] == [
        cond("country", "not_in", ["DE"])]
    same = normalize_rule({"type": "geo", "name": "Renamed"}, partial=True, existing=existing)
    assert same["name"] == "Renamed" and same["tree"] == existing["tree"]
    assert normalize_rule({"type": None, "priority": 4}, partial=True,
                          existing=existing)["type"] == "geo"


@pytest.mark.parametrize(("existing", "change", "field", "message"), [
    ({"type": "geo", "conditions": {"countries": ["US"]}}, {"type": "device"}, "type",
     "cannot change after creation"),
    ({"type": "geo", "conditions": {"countries": ["US"]}},
     {"conditions": [cond("country", "equals", "US")]}, "conditions", "must be an object"),
    ({}, {"type": "geo", "conditions": {"countries": ["US"]}}, "type",
     "cannot change after creation"),
])
def test_type_cannot_change_on_update(existing, change, field, message):
    stored = normalize_rule(body(**existing))
    fields = errors_of(change, partial=True, existing=stored)
    assert message in fields[field]


def test_partial_without_stored_conditions_needs_them():
    assert errors_of({"conditionLogic": "OR"}, partial=True) == {"conditions": "is required"}


# ---- round trip -----------------------------------------------------------------------------

LEAVES = st.one_of(
    st.builds(cond, st.just("country"), st.sampled_from(["in", "not_in"]),
              st.lists(st.sampled_from(["us", "DE", "fi"]), min_size=1, max_size=3)),
    st.builds(cond, st.sampled_from(["hour", "minuteOfDay"]),
              st.sampled_from(["equals", "greater_than", "less_than"]), st.integers(0, 23)),
    st.builds(cond, st.sampled_from(["bot", "tor"]), st.sampled_from(["is_true", "is_false"])),
    st.builds(cond, st.sampled_from(["os", "utm_source", "query.ref"]),
              st.sampled_from(["equals", "contains", "not_contains", "matches"]),
              st.sampled_from(["ios", "Mail", "^a+b"])),
    st.builds(cond, st.just("dayOfWeek"), st.just("in"),
              st.lists(st.integers(0, 6), min_size=1, max_size=3)),
)
TREES = st.recursive(LEAVES, lambda kids: st.builds(
    lambda logic, items: {"logic": logic, "conditions": items},
    st.sampled_from(["and", "OR", "NOT"]), st.lists(kids, min_size=1, max_size=3)),
    max_leaves=6)


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(TREES, min_size=1, max_size=3), st.sampled_from(["AND", "or"]))
def test_normalised_tree_is_a_fixed_point(items, logic):
    tree = normalize_rule(body(items, conditionLogic=logic))["tree"]
    again = normalize_rule(body(tree["conditions"], conditionLogic=tree["logic"]))["tree"]
    assert again == tree


@settings(max_examples=30, deadline=None, database=None)
@given(st.sampled_from(["09:00", "22:30", "00:00", "23:59"]),
       st.sampled_from(["17:00", "02:00", "24:00", "00:00"]),
       st.lists(st.sampled_from(["monday", "sat", 6]), max_size=2))
def test_typed_trees_are_valid_condition_trees(start, end, days):
    conditions: dict[str, Any] = {"startTime": start, "endTime": end}
    if days:
        conditions["days"] = days
    try:
        tree = typed("time", conditions)["tree"]
    except Invalid:
        return  # an empty or zero-length window is refused; covered above
    again = normalize_rule(body(tree["conditions"]))["tree"]
    assert again == tree

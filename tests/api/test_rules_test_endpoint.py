"""POST /api/rules/test: described visitors (real user-agent strings, languages, countries,
query parameters, times in a rule's time zone, sticky percentage splits) run through the link's
own, campaign and attached shared rules by the same engine as the redirect."""

from __future__ import annotations

import pytest

from linkhub.models import LinkRule, Rule
from tests.api.test_campaigns import assert_refused, make_link
from tests.api.test_rules import create_rule, make_campaign

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/124.0.0.0 Mobile Safari/537.36")
DESKTOP = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/124.0.0.0 Safari/537.36")
LINK_DEST = "https://example.com/landing"


@pytest.fixture
def settings_overrides():
    return {"BASE_URL": "https://lnk.example.org"}


@pytest.fixture
def link(app, alice):
    return make_link(alice, code="promo", destination_url=LINK_DEST)


def run(client, persona, link, visitor=None) -> dict:
    body = {"linkId": link.public_id}
    if visitor is not None:
        body["visitor"] = visitor
    response = client.post("/api/rules/test", json=body, headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def rule(client, persona, link, name, conditions, **extra) -> str:
    return create_rule(client, persona, linkId=link.public_id, name=name,
                       destinationUrl=f"https://example.com/{name}", conditions=conditions,
                       **extra)["id"]


def test_user_agents(client, alice, link):
    ios = rule(client, alice, link, "ios", [
        {"field": "os", "operator": "equals", "value": "iOS"},
        {"field": "deviceType", "operator": "equals", "value": "mobile"}], priority=1)
    android = rule(client, alice, link, "android", [
        {"field": "os", "operator": "equals", "value": "android"},
        {"field": "browser", "operator": "equals", "value": "Chrome"}], priority=2)

    got = run(client, alice, link, {"userAgent": IPHONE})
    assert got["matchedRuleId"] == ios and got["destinationUrl"] == "https://example.com/ios"
    assert got["facts"]["deviceType"] == "mobile" and got["facts"]["os"] == "ios"
    first = got["evaluations"][0]
    assert first["ruleId"] == ios and first["matched"] is True
    assert first["conditions"][0] == {"field": "os", "operator": "equals", "value": "iOS",
                                      "actual": "ios", "result": True, "path": "conditions[0]"}
    assert [e["ruleId"] for e in got["evaluations"]] == [ios, android]

    got = run(client, alice, link, {"userAgent": ANDROID})
    assert got["matchedRuleId"] == android
    assert got["destinationUrl"] == "https://example.com/android"
    assert [e["matched"] for e in got["evaluations"]] == [False, True]

    got = run(client, alice, link, {"userAgent": DESKTOP})
    assert got["matchedRuleId"] is None and got["destinationUrl"] == LINK_DEST
    assert got["facts"]["deviceType"] == "desktop" and got["facts"]["browser"] == "chrome"
    android_eval = got["evaluations"][1]["conditions"]
    assert android_eval[0]["actual"] == "windows" and android_eval[0]["result"] is False
    assert android_eval[1]["actual"] == "chrome" and android_eval[1]["result"] is True


def test_languages(client, alice, link):
    spanish = rule(client, alice, link, "es", [
        {"field": "language", "operator": "equals", "value": "es"}])
    assert run(client, alice, link, {"language": "es-MX"})["matchedRuleId"] == spanish
    assert run(client, alice, link, {"language": ["fr-FR", "es-MX"]})["matchedRuleId"] == spanish
    assert run(client, alice, link, {"language": "pt-BR"})["matchedRuleId"] is None
    assert run(client, alice, link, {})["matchedRuleId"] is None  # unknown language: false


def test_typed_language_rule(client, alice, link):
    typed = create_rule(client, alice, linkId=link.public_id, type="language",
                        conditions={"languages": ["es", "pt"], "operator": "in"})["id"]
    assert run(client, alice, link, {"language": "pt-BR"})["matchedRuleId"] == typed
    assert run(client, alice, link, {"language": "de"})["matchedRuleId"] is None


def test_countries(client, alice, link):
    north_america = rule(client, alice, link, "na", [
        {"field": "country", "operator": "in", "value": ["US", "CA"]}])
    not_us = rule(client, alice, link, "not-us", [
        {"field": "country", "operator": "not_equals", "value": "US"}], priority=200)
    assert run(client, alice, link, {"country": "ca"})["matchedRuleId"] == north_america
    assert run(client, alice, link, {"country": "DE"})["matchedRuleId"] == not_us
    got = run(client, alice, link, {})
    assert got["matchedRuleId"] is None  # unknown country: neither `in` nor `not_*` holds
    assert got["evaluations"][1]["conditions"][0]["actual"] is None


def test_country_from_ip_and_explicit_country_wins(client, alice, link):
    us = rule(client, alice, link, "us", [
        {"field": "country", "operator": "equals", "value": "US"}])
    got = run(client, alice, link, {"ip": "8.8.8.8"})
    assert got["facts"]["country"] == "US" and got["matchedRuleId"] == us
    got = run(client, alice, link, {"ip": "8.8.8.8", "country": "FR"})
    assert got["facts"]["country"] == "FR" and got["facts"]["continent"] == "EU"
    assert got["matchedRuleId"] is None
    assert run(client, alice, link, {"ip": "10.0.0.1"})["facts"]["country"] is None


def test_query_parameters_and_referrer(client, alice, link):
    partner = rule(client, alice, link, "partner", [
        {"field": "query.ref", "operator": "equals", "value": "Partner"},
        {"field": "utmSource", "operator": "equals", "value": "newsletter"}])
    social = rule(client, alice, link, "social", [
        {"field": "referrerDomain", "operator": "in", "value": ["facebook.com", "t.co"]}])
    got = run(client, alice, link, {"query": {"ref": "partner", "utm_source": "newsletter"}})
    assert got["matchedRuleId"] == partner
    assert run(client, alice, link, {"query": {"ref": "partner"}})["matchedRuleId"] is None
    got = run(client, alice, link, {"referrer": "https://www.facebook.com/some/post"})
    assert got["matchedRuleId"] == social
    assert got["facts"]["referrerDomain"] == "facebook.com"


def test_times_in_the_rule_timezone(client, alice, link):
    office = rule(client, alice, link, "office", [
        {"field": "hour", "operator": "greater_than", "value": 8},
        {"field": "hour", "operator": "less_than", "value": 17},
        {"field": "dayOfWeek", "operator": "in", "value": ["monday", "thursday"]}],
        timezone="America/New_York")
    # 2026-01-15 is a Thursday; 14:00Z is 09:00 in New York, 03:00Z is 22:00 the day before
    got = run(client, alice, link, {"time": "2026-01-15T14:00:00Z"})
    assert got["matchedRuleId"] == office
    assert [c["actual"] for c in got["evaluations"][0]["conditions"]] == [9, 9, "thursday"]
    got = run(client, alice, link, {"time": "2026-01-15T03:00:00Z"})
    assert got["matchedRuleId"] is None
    assert got["evaluations"][0]["conditions"][0]["actual"] == 22
    assert run(client, alice, link, {"time": "2026-01-15T10:00:00-04:00"})[
        "matchedRuleId"] == office


def test_typed_time_rule_and_workspace_default_zone(client, alice, link):
    typed = create_rule(client, alice, linkId=link.public_id, type="time", conditions={
        "timezone": "Asia/Tokyo", "days": ["friday"], "startTime": "09:00",
        "endTime": "17:00"})["id"]
    # Friday 10:00 in Tokyo is Friday 01:00Z
    assert run(client, alice, link, {"time": "2026-01-16T01:00:00Z"})["matchedRuleId"] == typed
    assert run(client, alice, link, {"time": "2026-01-16T12:00:00Z"})["matchedRuleId"] is None
    utc_rule = rule(client, alice, link, "utc", [
        {"field": "hour", "operator": "equals", "value": 12}], priority=500)
    got = run(client, alice, link, {"time": "2026-01-16T12:30:00Z"})
    assert got["matchedRuleId"] == utc_rule  # the workspace's zone (UTC) by default


def test_percentage_split_is_sticky_per_visitor(client, alice, link):
    half = rule(client, alice, link, "half", [
        {"field": "percentage", "operator": "less_than", "value": 50}])
    outcomes = {}
    for n in range(40):
        visitor = {"visitorId": f"visitor-{n}"}
        first = run(client, alice, link, visitor)["matchedRuleId"]
        assert run(client, alice, link, visitor)["matchedRuleId"] == first  # sticky
        outcomes[n] = first
    assert set(outcomes.values()) == {half, None}  # both sides of the split occur


def test_campaign_and_shared_rules_take_part_in_order(client, alice, link):
    campaign = make_campaign(alice)
    link.campaign = campaign
    link.save()
    own = rule(client, alice, link, "own", [
        {"field": "country", "operator": "equals", "value": "US"}], priority=30)
    camp = create_rule(client, alice, campaignId=campaign.public_id, name="camp", priority=20,
                       destinationUrl="https://example.com/camp", conditions=[
                           {"field": "country", "operator": "equals", "value": "US"}])["id"]
    shared = create_rule(client, alice, name="shared", priority=10,
                         destinationUrl="https://example.com/shared", conditions=[
                             {"field": "country", "operator": "equals", "value": "DE"}])["id"]
    client.post(f"/api/rules/{shared}/attach", json={"linkId": link.public_id},
                headers=alice.headers)
    Rule.update(enabled=False).where(Rule.public_id == own).execute()
    rule(client, alice, make_link(alice), "elsewhere", [
        {"field": "country", "operator": "equals", "value": "US"}], priority=1)

    got = run(client, alice, link, {"country": "US"})
    assert [e["ruleId"] for e in got["evaluations"]] == [shared, camp]
    assert got["matchedRuleId"] == camp and got["destinationUrl"] == "https://example.com/camp"
    assert run(client, alice, link, {"country": "DE"})["matchedRuleId"] == shared
    LinkRule.delete().execute()
    assert run(client, alice, link, {"country": "DE"})["matchedRuleId"] is None


def test_nested_not_group(client, alice, link):
    outside_us_on_mobile = rule(client, alice, link, "nested", [
        {"logic": "NOT", "conditions": [
            {"field": "country", "operator": "equals", "value": "US"}]},
        {"field": "deviceType", "operator": "in", "value": ["mobile", "tablet"]}])
    got = run(client, alice, link, {"country": "MX", "userAgent": IPHONE})
    assert got["matchedRuleId"] == outside_us_on_mobile
    assert [c["path"] for c in got["evaluations"][0]["conditions"]] == [
        "conditions[0].conditions[0]", "conditions[1]"]
    assert run(client, alice, link, {"country": "US", "userAgent": IPHONE})[
        "matchedRuleId"] is None


def test_defaults_without_a_visitor(client, alice, link):
    got = run(client, alice, link)
    assert got["matchedRuleId"] is None and got["destinationUrl"] == LINK_DEST
    assert got["evaluations"] == [] and got["skipped"] == []
    assert got["facts"]["time"].endswith("Z")


@pytest.mark.parametrize("visitor, field", [
    ({"ip": "999.1.1.1"}, "visitor.ip"),
    ({"country": "USA"}, "visitor.country"),
    ({"country": "1A"}, "visitor.country"),
    ({"time": "yesterday"}, "visitor.time"),
    ({"language": 5}, "visitor.language"),
    ({"language": ["es", "not a tag!"]}, "visitor.language"),
    ({"query": ["ref"]}, "visitor.query"),
    ({"query": {"ref": {"nested": 1}}}, "visitor.query"),
    ({"userAgent": "x" * 2000}, "visitor.userAgent"),
    ({"visitorId": 12}, "visitor.visitorId"),
])
def test_bad_visitor(client, app, alice, link, visitor, field):
    error = assert_refused(client, app, "POST", "/api/rules/test", alice.headers, 400,
                           "VALIDATION_ERROR", json={"linkId": link.public_id,
                                                     "visitor": visitor})
    assert any(d["field"].startswith(field) for d in error["details"]), error


def test_link_required_and_isolated(client, app, alice, charlie, link):
    assert_refused(client, app, "POST", "/api/rules/test", alice.headers, 400,
                   "VALIDATION_ERROR", json={"visitor": {}})
    assert_refused(client, app, "POST", "/api/rules/test", charlie.headers, 404, "NOT_FOUND",
                   json={"linkId": link.public_id})
    assert_refused(client, app, "POST", "/api/rules/test", alice.headers, 404, "NOT_FOUND",
                   json={"linkId": "link_unknown"})

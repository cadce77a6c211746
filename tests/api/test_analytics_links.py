"""Per-link click analytics through HTTP, to the unit, over the known traffic of
tests/api/analytics_support.py with a city database configured: summary, timeseries, geo,
cities, regions, continents, map points, devices, referrers, triggers, per-rule and
per-condition stats, traffic flow, click paths and their filters. Every per-link route answers
404 for another workspace's link, a deleted link, a short code or an unknown id.

L1 /promo, newest first: #8 B DE mobile -> rule Germany; #7 D JP desktop QR -> default;
#5 A US desktop google -> default; (#4 a bot); #3 C GB mobile twitter -> rule Phones;
#2 B DE -> Germany; #1 A US google -> default. Unique: #1 #2 #3 #7."""

from __future__ import annotations

import pytest

from tests.api import analytics_support as sup
from tests.api.analytics_support import RANGE, data, get
from tests.redirect.test_geo import LONDON, MOUNTAIN_VIEW, write_mmdb

BASE = "/api/analytics"


@pytest.fixture
def settings_overrides(tmp_path):
    city = write_mmdb(tmp_path / "city.mmdb", {"81.2.69.0/24": LONDON,
                                               "8.8.8.0/24": MOUNTAIN_VIEW})
    return {**sup.SETTINGS, "GEOIP_CITY_DB": str(city)}


@pytest.fixture
def sc(app, client, alice):
    return sup.build(app, client, alice)


def link_report(client, alice, sc, route: str, extra: str = "", link: str = "L1") -> dict:
    return data(client, alice, f"{BASE}/{sc.links[link]['id']}/{route}?{RANGE}{extra}")


def pick(rows, *keys):
    return [tuple(row[k] for k in keys) for row in rows]


def test_summary_and_timeseries(client, alice, sc):
    body = link_report(client, alice, sc, "summary")
    assert pick([body], "clicks", "uniqueVisitors", "botClicks", "qrScans", "conversions",
                "leads", "sales", "revenue", "conversionRate", "topCountry", "topReferrer",
                "topDevice") == [(6, 4, 1, 1, 3, 1, 2, 35.5, 50.0, "DE", "direct", "desktop")]
    assert body["link"]["id"] == sc.links["L1"]["id"] and body["link"]["shortCode"] == "promo"
    assert body["lifetime"] == {"clicks": 6, "uniqueClicks": 4, "botClicks": 1,
                                "lastClickedAt": "2026-03-10T09:06:00.000Z"}
    series = link_report(client, alice, sc, "timeseries")["timeseries"]
    assert pick(series, "clicks", "uniqueVisitors", "botClicks", "conversions", "revenue") == [
        (4, 3, 1, 1, 25.5), (2, 1, 0, 2, 10)]
    docs = link_report(client, alice, sc, "timeseries", link="L2")["timeseries"]
    assert pick(docs, "clicks", "uniqueVisitors", "conversions") == [(1, 1, 0), (1, 1, 0)]


def test_geo_continents_coordinates(client, alice, sc):
    geo = link_report(client, alice, sc, "geo")
    assert geo["countries"][0] == {"country": "DE", "name": "Germany", "dimension": "country",
                                   "clicks": 2, "unique_clicks": 1, "percentage": 33.33}
    assert pick(geo["countries"], "country", "clicks", "unique_clicks", "percentage") == [
        ("DE", 2, 1, 33.33), ("US", 2, 1, 33.33), ("GB", 1, 1, 16.67), ("JP", 1, 1, 16.67)]
    assert geo["totalClicks"] == 6
    top = link_report(client, alice, sc, "geo", "&limit=1")
    assert pick(top["countries"], "country", "percentage") == [("DE", 33.33)]
    bots = link_report(client, alice, sc, "geo", "&includeBots=true")
    assert pick(bots["countries"], "country", "clicks", "percentage") == [
        ("US", 3, 42.86), ("DE", 2, 28.57), ("GB", 1, 14.29), ("JP", 1, 14.29)]
    continents = link_report(client, alice, sc, "continents")["continents"]
    assert pick(continents, "continent", "clicks", "unique_clicks", "percentage") == [
        ("EU", 3, 2, 50.0), ("NA", 2, 1, 33.33), ("AS", 1, 1, 16.67)]
    points = link_report(client, alice, sc, "coordinates")["points"]
    assert pick(points, "country", "latitude", "longitude", "clicks") == [
        ("DE", 51.17, 10.45, 2), ("US", 37.09, -95.71, 2), ("GB", 55.38, -3.44, 1),
        ("JP", 36.2, 138.25, 1)]


def test_regions_and_cities_from_the_city_database(client, alice, sc):
    regions = link_report(client, alice, sc, "regions")
    assert pick(regions["regions"], "country", "region", "clicks", "unique_clicks") == [
        ("DE", "unknown", 2, 1), ("US", "CA", 2, 1), ("GB", "England", 1, 1),
        ("JP", "unknown", 1, 1)]
    cities = link_report(client, alice, sc, "cities")
    assert pick(cities["cities"], "country", "region", "city", "clicks", "percentage") == [
        ("DE", "unknown", "unknown", 2, 33.33), ("US", "CA", "Mountain View", 2, 33.33),
        ("GB", "England", "London", 1, 16.67), ("JP", "unknown", "unknown", 1, 16.67)]
    us = link_report(client, alice, sc, "cities", "&country=us")
    assert (us["country"], pick(us["cities"], "city", "clicks"), us["totalClicks"]) == \
        ("US", [("Mountain View", 2)], 2)
    workspace = data(client, alice, f"{BASE}/city/breakdown?{RANGE}&limit=2")
    assert pick(workspace["cities"], "city", "clicks") == [("Mountain View", 3),
                                                           ("unknown", 2)]


def test_devices_referrers_triggers(client, alice, sc):
    devices = link_report(client, alice, sc, "devices")
    assert pick(devices["deviceData"], "device", "clicks", "unique_clicks", "percentage") == [
        ("desktop", 3, 2, 50.0), ("mobile", 3, 2, 50.0)]
    assert pick(devices["browserData"], "browser", "clicks", "unique_clicks") == [
        ("chrome", 4, 3), ("safari", 2, 1)]
    assert pick(devices["osData"], "os", "clicks") == [("windows", 3), ("ios", 2),
                                                       ("android", 1)]
    referrers = link_report(client, alice, sc, "referrers")
    assert pick(referrers["referrers"], "referrer", "clicks", "unique_clicks",
                "percentage") == [("direct", 3, 2, 50.0), ("google.com", 2, 1, 33.33),
                                  ("twitter.com", 1, 1, 16.67)]
    triggers = link_report(client, alice, sc, "triggers")["triggers"]
    assert pick(triggers, "trigger", "clicks", "unique_clicks") == [
        ("link", 5, 3), ("qr", 1, 1), ("deeplink", 0, 0)]


def test_rule_and_condition_stats(client, alice, sc):
    de, mobile = sc.rules["DE"]["id"], sc.rules["MOBILE"]["id"]
    body = link_report(client, alice, sc, "rules")
    assert body["totalClicks"] == 6
    assert pick(body["rules"], "ruleId", "name", "priority", "clicks", "uniqueClicks",
                "percentage") == [(de, "Germany", 1, 2, 1, 33.33),
                                  (mobile, "Phones", 2, 1, 1, 16.67),
                                  (None, "default", None, 3, 2, 50.0)]
    assert body["rules"][2]["destinationUrl"] == "https://example.com/landing"
    germany = link_report(client, alice, sc, f"rules/{de}/conditions")
    assert pick([germany], "ruleId", "evaluatedClicks", "matchedClicks", "wouldMatchClicks",
                "sampled") == [(de, 6, 2, 2, False)]
    assert germany["conditions"] == [{"path": "conditions[0]", "field": "country",
                                      "operator": "equals", "value": "DE", "passed": 2,
                                      "failed": 4, "unknown": 0, "passRate": 33.33}]
    phones = link_report(client, alice, sc, f"rules/{mobile}/conditions")
    assert pick([phones], "matchedClicks", "wouldMatchClicks") == [(1, 3)]
    assert pick(phones["conditions"], "field", "passed", "failed", "unknown") == [
        ("deviceType", 3, 3, 0)]
    # a rule of another link, or of another workspace, is not this link's
    other = sup._post(client, alice, "/api/rules", {
        "name": "Docs", "linkId": sc.links["L2"]["id"], "destinationUrl": "https://x.example/",
        "conditions": [{"field": "country", "operator": "equals", "value": "FR"}]})
    get(client, alice, f"{BASE}/{sc.links['L1']['id']}/rules/{other['id']}/conditions", 404)
    get(client, alice, f"{BASE}/{sc.links['L1']['id']}/rules/rule_0000000000000000/conditions",
        404)


def test_traffic_flow(client, alice, sc):
    de, mobile = sc.rules["DE"]["id"], sc.rules["MOBILE"]["id"]
    body = link_report(client, alice, sc, "traffic-flow")
    assert body["totalClicks"] == 6
    assert pick(body["nodes"], "id", "name", "type", "value") == [
        ("source:direct", "direct", "source", 3), ("source:google.com", "google.com", "source", 2),
        ("source:twitter.com", "twitter.com", "source", 1),
        ("rule:default", "default", "rule", 3), (f"rule:{de}", "Germany", "rule", 2),
        (f"rule:{mobile}", "Phones", "rule", 1),
        ("destination:example.com", "example.com", "destination", 3),
        ("destination:de.example.com", "de.example.com", "destination", 2),
        ("destination:m.example.com", "m.example.com", "destination", 1)]
    edges = {(e["source"], e["target"]): (e["value"], e["percentage"]) for e in body["links"]}
    assert edges == {
        ("source:google.com", "rule:default"): (2, 33.33),
        ("source:direct", "rule:default"): (1, 16.67),
        ("source:direct", f"rule:{de}"): (2, 33.33),
        ("source:twitter.com", f"rule:{mobile}"): (1, 16.67),
        ("rule:default", "destination:example.com"): (3, 50.0),
        (f"rule:{de}", "destination:de.example.com"): (2, 33.33),
        (f"rule:{mobile}", "destination:m.example.com"): (1, 16.67)}
    with_bots = link_report(client, alice, sc, "traffic-flow", "&includeBots=true")
    assert with_bots["totalClicks"] == 7


def paths(client, alice, sc, extra: str = "") -> list[dict]:
    return link_report(client, alice, sc, "click-paths", extra)["clickPaths"]


def test_click_paths_and_filters(client, alice, sc):
    de, mobile = sc.rules["DE"]["id"], sc.rules["MOBILE"]["id"]
    rows = paths(client, alice, sc)
    assert pick(rows, "timestamp", "source", "trigger", "destinationHost", "country") == [
        ("2026-03-10T09:06:00.000Z", "direct", "link", "de.example.com", "DE"),
        ("2026-03-10T09:05:00.000Z", "direct", "qr", "example.com", "JP"),
        ("2026-03-09T14:40:00.000Z", "google.com", "link", "example.com", "US"),
        ("2026-03-09T10:17:00.000Z", "twitter.com", "link", "m.example.com", "GB"),
        ("2026-03-09T10:16:00.000Z", "direct", "link", "de.example.com", "DE"),
        ("2026-03-09T10:15:00.000Z", "google.com", "link", "example.com", "US")]
    phone = rows[3]
    assert phone["matchedRule"] == {"id": mobile, "name": "Phones"}
    assert phone["matchedConditions"] == [{"path": "conditions[0]", "field": "deviceType",
                                           "operator": "equals", "value": "mobile",
                                           "actual": "mobile"}]
    assert pick([phone], "region", "city", "deviceType", "os", "browser", "bot", "unique") == \
        [("England", "London", "mobile", "android", "chrome", False, True)]
    assert phone["clickId"].startswith("clk_") and phone["referrer"] == sup.TWITTER
    assert phone["destinationUrl"].startswith("https://m.example.com/")
    assert rows[1]["matchedRule"] is None and rows[1]["conditionsHash"] is None
    assert rows[0]["conditionsHash"] == rows[4]["conditionsHash"] != phone["conditionsHash"]

    def countries(extra: str) -> list:
        return [r["country"] for r in paths(client, alice, sc, extra)]

    assert countries("&filterType=source&filterValue=direct") == ["DE", "JP", "DE"]
    assert countries("&filterType=source&filterValue=Google.com") == ["US", "US"]
    assert countries(f"&filterType=rule&filterValue={de}") == ["DE", "DE"]
    assert countries("&filterType=rule&filterValue=default") == ["JP", "US", "US"]
    assert countries("&filterType=destination&filterValue=m.example.com") == ["GB"]
    assert countries("&filterType=condition&filterValue=country") == ["DE", "DE"]
    assert countries(f"&filterType=condition&filterValue={rows[0]['conditionsHash']}") == \
        ["DE", "DE"]
    assert countries("&limit=2") == ["DE", "JP"]
    assert len(paths(client, alice, sc, "&includeBots=true")) == 7
    empty = data(client, alice, f"{BASE}/{sc.links['L1']['id']}/click-paths?start=2026-03-08"
                                "&end=2026-03-08")
    assert (empty["clickPaths"], empty["count"], empty["truncated"]) == ([], 0, False)


@pytest.mark.parametrize(("query", "field"), [
    ("filterType=source", "filterValue"), ("filterValue=direct", "filterType"),
    ("filterType=country&filterValue=US", "filterType"), ("limit=1001", "limit"),
    ("limit=0", "limit"), ("timezone=Nowhere/Land", "timezone"),
])
def test_click_path_bad_parameters(client, alice, query, field):
    link = sup._post(client, alice, "/api/links", {"destinationUrl": "https://example.com/"})
    body = get(client, alice, f"{BASE}/{link['id']}/click-paths?{query}", 400)
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert field in {d["field"] for d in body["error"]["details"]}


LINK_ROUTES = ["summary", "timeseries", "geo", "cities", "regions", "continents",
               "coordinates", "devices", "referrers", "triggers", "rules",
               "rules/{rule}/conditions", "traffic-flow", "click-paths"]


@pytest.mark.parametrize("route", LINK_ROUTES)
def test_per_link_routes_answer_404_for_links_that_are_not_ours(client, alice, charlie, route):
    mine = sup._post(client, alice, "/api/links", {"shortCode": "mine",
                                                   "destinationUrl": "https://example.com/"})
    rule = sup._post(client, alice, "/api/rules", {
        "name": "R", "linkId": mine["id"], "destinationUrl": "https://r.example/",
        "conditions": [{"field": "country", "operator": "equals", "value": "FR"}]})
    theirs = sup._post(client, charlie, "/api/links", {"destinationUrl": "https://example.com/"})
    gone = sup._post(client, alice, "/api/links", {"destinationUrl": "https://example.com/"})
    assert client.delete(f"/api/links/{gone['id']}", headers=alice.headers).status_code in (
        200, 204)
    path = route.replace("{rule}", rule["id"])
    assert client.get(f"{BASE}/{mine['id']}/{path}", headers=alice.headers).status_code == 200
    for link_id in (theirs["id"], gone["id"], "mine", "link_0000000000000000"):
        body = get(client, alice, f"{BASE}/{link_id}/{path}", 404)
        assert body["error"]["code"] == "NOT_FOUND", link_id
    # the owner still sees its own link
    if "{rule}" not in route:
        assert client.get(f"{BASE}/{theirs['id']}/{path}",
                          headers=charlie.headers).status_code == 200

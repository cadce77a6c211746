"""Workspace click analytics through HTTP, to the unit, over known traffic driven through real
redirects (tests/api/analytics_support.py): overview, timeseries (day, hour, month; local
midnight in another zone; DST), regions, continents, map points, devices, triggers, top folders
and tags, campaign ranking, budgets, usage, city breakdown; includeBots and currency; every bad
parameter a 400 VALIDATION_ERROR naming the field.

The traffic (humans only unless noted): L1 /promo 6 clicks (4 unique: A, B, C, D) + 1 bot,
L2 /docs 2 (A, C), L3 /third 1 (D); Mar 9: 5 clicks (4 unique), Mar 10: 4 (3 unique); US 3,
DE 2, GB 2, JP 2; desktop 5, mobile 4; QR 2; conversions: 25.50 sale (Mar 9), a lead and a
pending 10.00 sale (Mar 10), a rejected 100 sale (not counted)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal

import pytest

from linkhub import clock
from linkhub.services import fx
from tests.api import analytics_support as sup
from tests.api.analytics_support import RANGE, data, get

BASE = "/api/analytics"


@pytest.fixture
def settings_overrides():
    return dict(sup.SETTINGS)


@pytest.fixture
def sc(app, client, alice):
    return sup.build(app, client, alice)


def report(client, alice, path: str, extra: str = "") -> dict:
    return data(client, alice, f"{BASE}/{path}?{RANGE}{extra}")


def pick(rows, *keys):
    return [tuple(row[k] for k in keys) for row in rows]


def test_overview_and_usage(client, alice, sc):
    body = report(client, alice, "workspace/overview")
    assert {k: body[k] for k in ("clicks", "uniqueVisitors", "botClicks", "qrScans",
                                 "conversions", "leads", "sales", "revenue", "currency",
                                 "conversionRate")} == {
        "clicks": 9, "uniqueVisitors": 7, "botClicks": 1, "qrScans": 2, "conversions": 3,
        "leads": 1, "sales": 2, "revenue": 35.5, "currency": "USD", "conversionRate": 33.33}
    assert body["links"] == {"total": 3, "active": 3}
    assert body["previous"] == {"clicks": 0, "uniqueVisitors": 0, "conversions": 0, "revenue": 0}
    assert body["change"]["clicks"] is None
    assert body["range"] == {"start": "2026-03-09T00:00:00.000Z",
                             "end": "2026-03-11T00:00:00.000Z", "granularity": "day",
                             "timezone": "UTC", "currency": "USD", "includeBots": False}
    # the previous period is the same length just before: Mar 10 against Mar 9
    later = data(client, alice, f"{BASE}/workspace/overview?start=2026-03-10&end=2026-03-10")
    assert (later["clicks"], later["previous"]["clicks"], later["change"]["clicks"]) == \
        (4, 5, -20.0)
    assert report(client, alice, "workspace/usage") == {
        "clicks": 9, "uniqueVisitors": 7, "botClicks": 1, "qrScans": 2, "conversions": 3,
        "leads": 1, "sales": 2, "linksCreated": 3, "range": body["range"]}


def test_timeseries_day_hour_month(client, alice, sc):
    body = report(client, alice, "workspace/timeseries")
    assert (body["granularity"], body["currency"], body["timezone"]) == ("day", "USD", "UTC")
    assert body["timeseries"] == [
        {"timestamp": "2026-03-09T00:00:00.000+00:00", "clicks": 5, "uniqueVisitors": 4,
         "botClicks": 1, "conversions": 1, "revenue": 25.5},
        {"timestamp": "2026-03-10T00:00:00.000+00:00", "clicks": 4, "uniqueVisitors": 3,
         "botClicks": 0, "conversions": 2, "revenue": 10}]
    hours = report(client, alice, "workspace/timeseries", "&granularity=hour")["timeseries"]
    assert len(hours) == 48
    assert {p["timestamp"][:13]: p["clicks"] for p in hours if p["clicks"]} == {
        "2026-03-09T10": 3, "2026-03-09T14": 2, "2026-03-10T09": 4}
    assert {p["timestamp"][:13]: p["revenue"] for p in hours if p["conversions"]} == {
        "2026-03-09T16": 25.5, "2026-03-10T10": 0, "2026-03-10T11": 10}
    months = data(client, alice, f"{BASE}/workspace/timeseries?start=2026-01-15&end=2026-03-31"
                                 "&granularity=month")["timeseries"]
    assert pick(months, "timestamp", "clicks", "conversions") == [
        ("2026-01-01T00:00:00.000+00:00", 0, 0), ("2026-02-01T00:00:00.000+00:00", 0, 0),
        ("2026-03-01T00:00:00.000+00:00", 9, 3)]
    with_bots = report(client, alice, "workspace/timeseries", "&includeBots=true")
    assert [p["clicks"] for p in with_bots["timeseries"]] == [6, 4]


def test_days_default_window_ends_with_the_current_hour(client, alice, sc):
    clock.freeze(datetime(2026, 3, 10, 9, 30))  # mid-hour: the hour's clicks are in
    body = data(client, alice, f"{BASE}/workspace/timeseries?days=2")
    assert pick(body["timeseries"], "timestamp", "clicks") == [
        ("2026-03-09T00:00:00.000+00:00", 5), ("2026-03-10T00:00:00.000+00:00", 4)]
    assert len(data(client, alice, f"{BASE}/workspace/timeseries")["timeseries"]) == 30


def test_local_midnight_lands_in_the_local_day(app, client, alice):
    """New York is UTC-4 after Mar 8 2026: 03:30Z on Mar 10 is still Mar 9 there."""
    clock.freeze(datetime(2026, 3, 8, 12, 0))
    sup._post(client, alice, "/api/links", {"shortCode": "tz",
                                            "destinationUrl": "https://example.com/"})
    clients: dict = {}
    for when, who in ((datetime(2026, 3, 10, 3, 30), "A"), (datetime(2026, 3, 10, 4, 30), "B"),
                      (datetime(2026, 3, 11, 3, 59), "C"), (datetime(2026, 3, 11, 4, 0), "D")):
        clock.freeze(when)
        sup.visit(app, clients, who, "/tz")
    sup.flush(app)
    clock.freeze(datetime(2026, 3, 10, 3, 45))
    sup._post(client, alice, "/api/conversions/track",
              {"clickId": sup.click_id("tz"), "event": "purchase", "value": 7})
    clock.freeze(datetime(2026, 3, 12, 12, 0))
    ny = data(client, alice, f"{BASE}/workspace/timeseries?start=2026-03-09&end=2026-03-10"
                             "&timezone=America/New_York")
    assert ny["timezone"] == "America/New_York"
    assert pick(ny["timeseries"], "timestamp", "clicks", "conversions", "revenue") == [
        ("2026-03-09T00:00:00.000-04:00", 1, 1, 7), ("2026-03-10T00:00:00.000-04:00", 2, 0, 0)]
    utc = data(client, alice, f"{BASE}/workspace/timeseries?start=2026-03-09&end=2026-03-11"
                              "&timezone=UTC")
    assert pick(utc["timeseries"], "clicks", "conversions") == [(0, 0), (2, 1), (2, 0)]
    # the workspace's own zone is the default
    patched = client.patch(f"/api/workspaces/{alice.workspace_id}",
                           json={"timezone": "America/New_York"}, headers=alice.headers)
    assert patched.status_code == 200, patched.get_json()
    default = data(client, alice, f"{BASE}/workspace/timeseries?start=2026-03-09&end=2026-03-10")
    assert default["timeseries"] == ny["timeseries"] and default["timezone"] == "America/New_York"
    overview = data(client, alice, f"{BASE}/workspace/overview?start=2026-03-09&end=2026-03-10")
    assert overview["clicks"] == 3 and overview["range"]["start"] == "2026-03-09T04:00:00.000Z"


def test_dst_day_has_23_local_hours(client, alice):
    body = data(client, alice, f"{BASE}/workspace/timeseries?start=2026-03-08&end=2026-03-08"
                               "&granularity=hour&timezone=America/New_York")
    stamps = [p["timestamp"] for p in body["timeseries"]]
    assert len(stamps) == 23
    assert stamps[:3] == ["2026-03-08T00:00:00.000-05:00", "2026-03-08T01:00:00.000-05:00",
                          "2026-03-08T03:00:00.000-04:00"]


def test_geography(client, alice, sc):
    regions = report(client, alice, "workspace/regions")
    assert pick(regions["regions"], "country", "region", "clicks", "unique_clicks",
                "percentage") == [("US", "unknown", 3, 2, 33.33), ("DE", "unknown", 2, 1, 22.22),
                                  ("GB", "unknown", 2, 2, 22.22), ("JP", "unknown", 2, 2, 22.22)]
    assert regions["totalClicks"] == 9
    drilled = report(client, alice, "workspace/regions", "&country=gb")
    assert (drilled["country"], pick(drilled["regions"], "country", "clicks")) == \
        ("GB", [("GB", 2)])
    continents = report(client, alice, "workspace/continents")
    assert pick(continents["continents"], "continent", "name", "clicks", "unique_clicks",
                "percentage") == [("EU", "Europe", 4, 3, 44.44),
                                  ("NA", "North America", 3, 2, 33.33),
                                  ("AS", "Asia", 2, 2, 22.22)]
    points = report(client, alice, "workspace/coordinates", "&limit=2")
    assert points["points"][0] == {
        "country": "US", "name": "United States", "latitude": 37.09, "longitude": -95.71,
        "precision": "country", "dimension": "coordinates", "clicks": 3, "unique_clicks": 2,
        "percentage": 33.33}
    assert [p["country"] for p in points["points"]] == ["US", "DE"]
    assert points["totalClicks"] == 9
    cities = report(client, alice, "city/breakdown", f"&campaignId={sc.campaign['id']}")
    assert pick(cities["cities"], "country", "city", "clicks") == [
        ("DE", "unknown", 2), ("JP", "unknown", 2), ("US", "unknown", 2), ("GB", "unknown", 1)]
    bots = report(client, alice, "workspace/continents", "&includeBots=true")
    assert pick(bots["continents"], "continent", "clicks") == [("EU", 4), ("NA", 4), ("AS", 2)]


def test_devices_and_triggers(client, alice, sc):
    body = report(client, alice, "workspace/devices")
    assert pick(body["deviceData"], "device", "clicks", "unique_clicks", "percentage") == [
        ("desktop", 5, 4, 55.56), ("mobile", 4, 3, 44.44)]
    assert pick(body["browserData"], "browser", "clicks", "unique_clicks") == [
        ("chrome", 7, 6), ("safari", 2, 1)]
    assert pick(body["osData"], "os", "clicks") == [("windows", 5), ("android", 2), ("ios", 2)]
    with_bots = report(client, alice, "workspace/devices", "&includeBots=true&limit=2")
    assert pick(with_bots["deviceData"], "device", "clicks") == [("desktop", 5), ("mobile", 4)]
    assert pick(with_bots["browserData"], "browser", "clicks") == [("chrome", 7), ("safari", 2)]
    assert with_bots["totalClicks"] == 10
    everything = report(client, alice, "workspace/devices", "&includeBots=true")
    assert ("bot", 1) in pick(everything["deviceData"], "device", "clicks")
    triggers = report(client, alice, "workspace/triggers")["triggers"]
    assert pick(triggers, "trigger", "clicks", "unique_clicks", "percentage") == [
        ("link", 7, 5, 77.78), ("qr", 2, 2, 22.22), ("deeplink", 0, 0, 0.0)]


def test_folders_tags_campaigns_budgets(client, alice, sc):
    folders = report(client, alice, "workspace/top-folders")
    assert folders == {"folders": [{"folderId": sc.folder["id"], "name": "Marketing",
                                    "clicks": 8, "uniqueVisitors": 6, "links": 2,
                                    "percentage": 88.89}], "totalClicks": 9}
    tags = report(client, alice, "workspace/top-tags")["tags"]
    assert pick(tags, "name", "clicks", "uniqueVisitors", "links", "percentage") == [
        ("alpha", 8, 6, 2, 88.89), ("beta", 6, 4, 1, 66.67)]
    assert pick(report(client, alice, "workspace/top-tags", "&limit=1")["tags"], "name") == \
        [("alpha",)]
    ranking = report(client, alice, "workspace/campaigns/ranking")
    assert pick(ranking["campaigns"], "rank", "campaignId", "links", "clicks", "uniqueVisitors",
                "conversions", "leads", "sales", "revenue", "conversionRate") == [
        (1, sc.campaign["id"], 2, 7, 5, 3, 1, 2, 35.5, 42.86),
        (2, sc.empty_campaign["id"], 0, 0, 0, 0, 0, 0, 0, 0.0)]
    assert ranking["sortBy"] == "clicks"
    by_name = report(client, alice, "workspace/campaigns/ranking", "&sortBy=revenue&limit=1")
    assert [c["name"] for c in by_name["campaigns"]] == ["Spring"]
    # CPC 0.50: 3 of the campaign's 7 clicks were today (Mar 10), 7 over its life
    assert report(client, alice, "workspace/budgets") == {
        "budgets": [{"campaignId": sc.campaign["id"], "name": "Spring", "status": "active",
                     "costModel": "cpc", "costCurrency": "USD", "costOverride": 0.5,
                     "dailyBudget": 10, "totalBudget": 100, "spentToday": 1.5,
                     "spentTotal": 3.5, "dailyUtilization": 15.0, "totalUtilization": 3.5,
                     "remainingTotal": 96.5, "overBudget": False}],
        "day": "2026-03-10", "timezone": "UTC"}


def test_revenue_in_another_currency(app, client, alice, sc):
    with app.app_context():
        rates = {day: Decimal(repr(fx.rate("EUR", day)))
                 for day in (date(2026, 3, 9), date(2026, 3, 10))}

    def eur(dollars: str, day: date) -> float:
        micros = (Decimal(dollars) * 1_000_000 * rates[day]).to_integral_value(ROUND_HALF_EVEN)
        return float(micros / 1_000_000)

    body = report(client, alice, "workspace/timeseries", "&currency=eur")
    assert body["currency"] == "EUR"
    assert [p["revenue"] for p in body["timeseries"]] == [eur("25.5", date(2026, 3, 9)),
                                                         eur("10", date(2026, 3, 10))]
    overview = report(client, alice, "workspace/overview", "&currency=EUR")
    assert overview["revenue"] == pytest.approx(eur("25.5", date(2026, 3, 9))
                                                + eur("10", date(2026, 3, 10)))


WORKSPACE_ROUTES = ["workspace/overview", "workspace/timeseries", "workspace/regions",
                    "workspace/continents", "workspace/coordinates", "workspace/devices",
                    "workspace/triggers", "workspace/top-folders", "workspace/top-tags",
                    "workspace/campaigns/ranking", "workspace/budgets", "workspace/usage",
                    "city/breakdown"]
BAD = [
    ("days=0", "days"), ("days=abc", "days"), ("days=732", "days"),
    ("start=2026-03-10&end=2026-03-01", "start"), ("start=yesterday", "start"),
    ("end=2026-13-40", "end"), ("start=2020-01-01&end=2026-01-01", "end"),
    ("granularity=week", "granularity"), ("granularity=hour&days=40", "granularity"),
    ("granularity=hour&start=2026-01-01&end=2026-02-15", "granularity"),
    ("timezone=Mars/Olympus", "timezone"), ("includeBots=maybe", "includeBots"),
    ("currency=XYZ", "currency"), ("currency=euro", "currency"),
]


@pytest.mark.parametrize(("query", "field"), BAD, ids=[b[0] for b in BAD])
def test_bad_range_parameters_are_400_on_every_route(app, client, alice, query, field):
    from tests.conftest import db_snapshot

    before = db_snapshot(app)
    for route in WORKSPACE_ROUTES:
        body = get(client, alice, f"{BASE}/{route}?{query}", 400)
        assert body["error"]["code"] == "VALIDATION_ERROR", route
        assert field in {d["field"] for d in body["error"]["details"]}, route
    assert db_snapshot(app) == before


@pytest.mark.parametrize(("route", "query", "field"), [
    ("workspace/top-tags", "limit=0", "limit"), ("workspace/top-folders", "limit=501", "limit"),
    ("workspace/devices", "limit=x", "limit"), ("workspace/regions", "country=USA", "country"),
    ("city/breakdown", "country=1", "country"),
    ("workspace/campaigns/ranking", "sortBy=name", "sortBy"),
])
def test_bad_report_parameters_are_400(client, alice, route, query, field):
    body = get(client, alice, f"{BASE}/{route}?{query}", 400)
    assert [d["field"] for d in body["error"]["details"]] == [field]


def test_several_bad_parameters_are_reported_together(client, alice):
    body = get(client, alice, f"{BASE}/workspace/timeseries?days=0&granularity=x&timezone=Nope",
               400)
    assert {d["field"] for d in body["error"]["details"]} == {"days", "granularity", "timezone"}


def test_city_breakdown_campaign_of_another_workspace_is_404(client, alice, charlie):
    other = sup._post(client, charlie, "/api/campaigns", {"name": "Theirs"})
    body = get(client, alice, f"{BASE}/city/breakdown?campaignId={other['id']}", 404)
    assert body["error"]["code"] == "NOT_FOUND"


def test_reports_are_isolated_per_workspace(client, alice, charlie, sc):
    assert data(client, charlie, f"{BASE}/workspace/overview?{RANGE}")["clicks"] == 0
    assert data(client, charlie, f"{BASE}/workspace/devices?{RANGE}")["deviceData"] == []

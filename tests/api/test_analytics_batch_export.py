"""`POST /api/analytics/batch` (up to 10 typed sub-requests, validated as a whole, errors of a
sub-request answered in place) and `GET /api/analytics/export` (CSV or JSON; click stats per
link or per dimension, timeseries, composite, funnel, UTM breakdown; formula cells escaped),
over the known traffic of tests/api/analytics_support.py."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest

from linkhub import clock
from tests.api import analytics_support as sup
from tests.api.analytics_support import RANGE, data, get
from tests.conftest import db_snapshot

BASE = "/api/analytics"
PARAMS = {"start": "2026-03-09", "end": "2026-03-10", "timezone": "UTC"}


@pytest.fixture
def settings_overrides():
    return dict(sup.SETTINGS)


@pytest.fixture
def sc(app, client, alice):
    return sup.build(app, client, alice)


def batch(client, persona, requests, status: int = 200) -> dict:
    response = client.post(f"{BASE}/batch", json={"requests": requests},
                           headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_batch_runs_every_type(client, alice, sc):
    qr = client.post(f"/api/qr/links/{sc.links['L3']['id']}", json={"name": "Poster"},
                     headers=alice.headers)
    assert qr.status_code == 201, qr.get_json()
    body = batch(client, alice, [
        {"id": "a", "type": "overview", "params": PARAMS},
        {"id": "b", "type": "timeseries", "params": {**PARAMS, "linkId": sc.links["L2"]["id"]}},
        {"id": "c", "type": "city_breakdown",
         "params": {**PARAMS, "campaignId": sc.campaign["id"]}},
        {"id": "d", "type": "qr_analytics", "params": PARAMS},
        {"id": "e", "type": "qr_geo_breakdown", "params": PARAMS},
        {"id": "f", "type": "qr_timeseries", "params": PARAMS},
        {"type": "qr_analytics", "params": {**PARAMS, "qrId": qr.get_json()["data"]["id"]}},
        {"id": "h", "type": "overview", "params": {**PARAMS, "includeBots": True,
                                                   "linkId": sc.links["L1"]["id"]}},
    ])["data"]
    results = body["results"]
    assert body["count"] == 8
    assert [(r["id"], r["type"], r["success"], r["status"]) for r in results] == [
        ("a", "overview", True, 200), ("b", "timeseries", True, 200),
        ("c", "city_breakdown", True, 200), ("d", "qr_analytics", True, 200),
        ("e", "qr_geo_breakdown", True, 200), ("f", "qr_timeseries", True, 200),
        (None, "qr_analytics", True, 200), ("h", "overview", True, 200)]
    a, b, c, d, e, f, g, h = (r["data"] for r in results)
    assert (a["clicks"], a["uniqueVisitors"], a["conversions"], a["revenue"]) == (9, 7, 3, 35.5)
    assert [(p["clicks"], p["uniqueVisitors"]) for p in b["timeseries"]] == [(1, 1), (1, 1)]
    assert [(r["country"], r["clicks"]) for r in c["cities"]] == [
        ("DE", 2), ("JP", 2), ("US", 2), ("GB", 1)]
    assert {k: d[k] for k in ("scans", "uniqueScans", "botScans", "totalClicks",
                              "scanShare")} == {"scans": 2, "uniqueScans": 2, "botScans": 0,
                                                "totalClicks": 9, "scanShare": 22.22}
    assert sorted((r["shortCode"], r["scans"]) for r in d["links"]) == [("promo", 1),
                                                                        ("third", 1)]
    assert e == {"countries": [{"country": "JP", "name": "Japan", "dimension": "country",
                                "clicks": 2, "unique_clicks": 2, "percentage": 100.0}],
                 "totalScans": 2}
    assert [(p["timestamp"], p["scans"], p["uniqueScans"]) for p in f["timeseries"]] == [
        ("2026-03-09T00:00:00.000+00:00", 0, 0), ("2026-03-10T00:00:00.000+00:00", 2, 2)]
    assert (g["scans"], g["totalClicks"], [r["shortCode"] for r in g["links"]]) == \
        (1, 1, ["third"])
    assert (h["clicks"], h["botClicks"], h["range"]["includeBots"]) == (7, 1, True)


def test_a_sub_request_for_something_not_ours_fails_in_place(client, alice, charlie, sc):
    theirs = sup._post(client, charlie, "/api/links", {"destinationUrl": "https://x.example/"})
    results = batch(client, alice, [
        {"id": "mine", "type": "timeseries", "params": PARAMS},
        {"id": "theirs", "type": "timeseries", "params": {**PARAMS, "linkId": theirs["id"]}},
        {"id": "qr", "type": "qr_analytics", "params": {"qrId": "qr_0000000000000000"}},
    ])["data"]["results"]
    assert [(r["id"], r["success"], r["status"]) for r in results] == [
        ("mine", True, 200), ("theirs", False, 404), ("qr", False, 404)]
    assert results[1]["error"]["code"] == "NOT_FOUND" and "data" not in results[1]


@pytest.mark.parametrize(("requests", "field"), [
    ([{"type": "overview"}] * 11, "requests"),
    ([], "requests"),
    ([{"type": "overview"}, {"type": "raw_clicks"}], "requests.1.type"),
    ([{"type": "timeseries", "params": {"timezone": "Nowhere"}}],
     "requests.0.params.timezone"),
    ([{"type": "timeseries", "params": {"start": "2026-02-01", "end": "2026-01-01"}}],
     "requests.0.params.start"),
    ([{"type": "overview", "params": {"days": [1, 2]}}], "requests.0.params.days"),
    ([{"type": "overview", "params": "days=3"}], "requests.0.params"),
    ([{"type": "city_breakdown", "params": {"country": "Germany"}}],
     "requests.0.params.country"),
])
def test_bad_batches_are_400(app, client, alice, requests, field):
    before = db_snapshot(app)
    body = batch(client, alice, requests, 400)
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert [d["field"] for d in body["error"]["details"]] == [field]
    assert db_snapshot(app) == before


def test_batch_body_must_name_requests(client, alice):
    response = client.post(f"{BASE}/batch", json={}, headers=alice.headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"][0]["field"] == "requests"


def test_ten_sub_requests_are_fine(client, alice):
    body = batch(client, alice, [{"type": "qr_timeseries", "params": PARAMS}] * 10)
    assert body["data"]["count"] == 10


def read_csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def export(client, alice, extra: str = ""):
    return client.get(f"{BASE}/export?{RANGE}{extra}", headers=alice.headers)


def test_export_click_stats_csv_escapes_formulas(client, alice, sc):
    response = export(client, alice)
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="analytics-clicks-2026-03-09.csv"'
    rows = read_csv(response)
    assert rows[0] == ["linkId", "shortCode", "title", "destinationUrl", "clicks",
                       "uniqueClicks", "botClicks"]
    assert [r[1:] for r in rows[1:]] == [
        ["promo", "Promo", "https://example.com/landing", "6", "4", "1"],
        ["docs", "'=HYPERLINK(\"http://evil\")", "https://docs.example.org/start", "2", "2",
         "0"],
        ["third", "'@third", "https://third.example.net/", "1", "1", "0"]]
    only = read_csv(export(client, alice, f"&linkId={sc.links['L2']['id']}"))
    assert [r[1] for r in only[1:]] == ["docs"]
    json_body = data(client, alice, f"{BASE}/export?{RANGE}&format=json")
    assert (json_body["format"], json_body["type"], json_body["dimension"]) == \
        ("json", "clicks", "link")
    assert json_body["rows"][1][2] == "=HYPERLINK(\"http://evil\")"  # JSON is not a sheet


def test_export_dimension_timeseries_and_utm(app, client, alice, sc):
    rows = read_csv(export(client, alice, "&dimension=country&includeBots=true"))
    assert rows == [["dimension", "value", "clicks", "uniqueClicks", "botClicks", "percentage"],
                    ["country", "US", "4", "2", "1", "40.0"],
                    ["country", "DE", "2", "1", "0", "20.0"],
                    ["country", "GB", "2", "2", "0", "20.0"],
                    ["country", "JP", "2", "2", "0", "20.0"]]
    series = read_csv(export(client, alice, "&type=timeseries"))
    assert series == [["timestamp", "clicks", "uniqueVisitors", "botClicks", "conversions",
                       "revenue"],
                      ["2026-03-09T00:00:00.000+00:00", "5", "4", "1", "1", "25.5"],
                      ["2026-03-10T00:00:00.000+00:00", "4", "3", "0", "2", "10"]]
    clock.freeze(datetime(2026, 3, 10, 17, 0))
    sup.visit(app, {}, "C", "/docs?utm_source=%2Bplus&utm_medium=-minus&utm_campaign=%40at")
    sup.flush(app)
    clock.freeze(sup.NOW)
    utm = read_csv(export(client, alice, "&type=utm_breakdown"))
    assert utm == [["utmSource", "utmMedium", "utmCampaign", "clicks", "uniqueClicks"],
                   ["", "", "", "8", "6"], ["'+plus", "'-minus", "'@at", "1", "0"],
                   ["news", "email", "", "1", "1"]]


def test_export_conversion_reports(client, alice, sc):
    funnel = data(client, alice, f"{BASE}/export?{RANGE}&type=funnel&format=json")
    assert [(r[0], r[1]) for r in funnel["rows"]] == [("clicks", 9), ("leads", 1), ("sales", 2)]
    composite = read_csv(export(client, alice, "&type=composite"))
    assert composite[0][:2] == ["timestamp", "clicks"]
    assert [r[1] for r in composite[1:]] == ["5", "4"]


@pytest.mark.parametrize(("query", "field"), [
    ("format=xml", "format"), ("type=raw", "type"), ("dimension=city", "dimension"),
    ("days=0&format=pdf", "days"),
])
def test_export_bad_parameters(client, alice, query, field):
    body = get(client, alice, f"{BASE}/export?{query}", 400)
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert field in {d["field"] for d in body["error"]["details"]}


def test_export_of_another_workspace_link_is_404(client, alice, charlie):
    theirs = sup._post(client, charlie, "/api/links", {"destinationUrl": "https://x.example/"})
    get(client, alice, f"{BASE}/export?linkId={theirs['id']}", 404)
    get(client, alice, f"{BASE}/export?type=funnel&linkId={theirs['id']}", 404)

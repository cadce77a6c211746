"""Unified analytics through HTTP with exact numbers: known clicks driven through real redirects,
conversions tracked through POST /api/conversions/track (one refunded, one fraud, one pending,
one in EUR), then the overview, leads, sales, timeseries, breakdowns, composite, funnel and
conversion details checked to the unit, in UTC and Tokyo buckets, USD and EUR; bad parameters
are 400 and another workspace's ids 404."""

from __future__ import annotations

from datetime import date

import pytest

from linkhub.models import FxRate
from tests.api.revenue_support import (
    at,
    click,
    error,
    flush,
    get,
    make_campaign,
    make_link,
    set_status,
    track,
)

BASE = "/api/analytics"
UTC_RANGE = {"start": "2026-03-08", "end": "2026-03-09", "timezone": "UTC"}


@pytest.fixture
def world(app, client, alice):
    """Mar 8 10:15 UTC: alpha (campaign Spring) gets 3 human clicks (2 visitors) and a bot,
    beta 1 click; 11:00: a lead (customer u1) and a 100 USD sale (u1) on alpha, a lead on beta.
    Mar 9 15:40: alpha 1 QR click, beta 2 clicks; 16:00: a 50 EUR sale (= 100 USD, u2) on
    alpha, a pending 30 USD sale and a custom event on beta, a 20 USD sale on alpha refunded,
    a 999 USD sale on beta marked fraud."""
    FxRate.create(currency="EUR", day=date(2026, 3, 1), rate=0.5, source="test")
    at(2026, 3, 8, 10, 15)
    spring = make_campaign(client, alice, "Spring")
    alpha = make_link(client, alice, "alpha", "Alpha", spring)
    beta = make_link(client, alice, "beta", "Beta")
    c1 = click(app, "/alpha", "iphone-safari", "8.8.8.8")
    c2 = click(app, "/alpha?utm_source=mail", "chrome-windows", "81.2.69.142")
    c3 = click(app, "/alpha", "iphone-safari", "8.8.8.8")  # the first visitor again
    click(app, "/alpha", "googlebot", "66.249.66.1")
    c4 = click(app, "/beta", "pixel-chrome", "5.9.0.1", referrer="https://news.example/a")
    flush(app)
    at(2026, 3, 8, 11, 0)
    track(client, alice, c1, "signup", customerExternalId="u1")
    track(client, alice, c2, "purchase", 100, orderId="o1", customerExternalId="u1")
    track(client, alice, c4, "lead")
    at(2026, 3, 9, 15, 40)
    c5 = click(app, "/alpha?qr=1", "pixel-chrome", "8.8.8.8")
    c6 = click(app, "/beta", "iphone-safari", "5.9.0.1")
    click(app, "/beta", "chrome-windows", "81.2.69.142")
    flush(app)
    at(2026, 3, 9, 16, 0)
    track(client, alice, c5, "purchase", 50, currency="EUR", customerExternalId="u2")
    track(client, alice, c6, "purchase", 30, status="pending")
    set_status(client, alice, track(client, alice, c3, "order", 20), "refunded")
    track(client, alice, c6, "add_to_cart")
    track(client, alice, c4, "purchase", 999, status="fraud")
    at(2026, 3, 12, 9, 0)
    return {"spring": spring, "alpha": alpha, "beta": beta}


def data(client, persona, path: str, **params):
    return get(client, persona, BASE + path, **{**UTC_RANGE, **params})["data"]


def test_overview_counts_clicks_conversions_and_revenue(client, alice, world):
    body = data(client, alice, "/overview")
    assert {k: body[k] for k in ("clicks", "uniqueClicks", "leads", "sales", "conversions",
                                 "revenue", "conversionRate", "epc")} == {
        "clicks": 7, "uniqueClicks": 6, "leads": 2, "sales": 3, "conversions": 6,
        "revenue": 230, "conversionRate": 85.71, "epc": 32.857143}
    assert body["range"]["start"] == "2026-03-08T00:00:00.000Z"
    assert body["range"]["end"] == "2026-03-10T00:00:00.000Z"
    assert (body["currency"], body["linkId"], body["campaignId"]) == ("USD", None, None)
    assert data(client, alice, "/overview", includeBots="true")["clicks"] == 8


def test_overview_of_a_campaign_and_of_a_link(client, alice, world):
    spring = data(client, alice, "/overview", campaignId=world["spring"])
    assert (spring["clicks"], spring["uniqueClicks"], spring["leads"], spring["sales"],
            spring["conversions"], spring["revenue"], spring["conversionRate"],
            spring["epc"]) == (4, 3, 1, 2, 3, 200, 75.0, 50)
    beta = data(client, alice, "/overview", linkId=world["beta"])
    assert (beta["clicks"], beta["leads"], beta["sales"], beta["conversions"],
            beta["revenue"], beta["epc"]) == (3, 1, 1, 3, 30, 10)
    both = data(client, alice, "/overview", linkId=world["beta"], campaignId=world["spring"])
    assert (both["clicks"], both["conversions"]) == (0, 0)


def test_lead_and_sale_metrics(client, alice, world):
    leads = data(client, alice, "/leads")
    assert {k: leads[k] for k in ("leads", "customers", "clicks", "uniqueClicks",
                                  "conversionRate", "revenue")} == {
        "leads": 2, "customers": 1, "clicks": 7, "uniqueClicks": 6, "conversionRate": 28.57,
        "revenue": 0}
    sales = data(client, alice, "/sales")
    assert {k: sales[k] for k in ("sales", "revenue", "averageOrderValue", "refunds",
                                  "customers", "conversionRate", "epc")} == {
        "sales": 3, "revenue": 230, "averageOrderValue": 76.666667,
        "refunds": {"count": 1, "amount": 20}, "customers": 2, "conversionRate": 42.86,
        "epc": 32.857143}


def test_revenue_in_another_currency_uses_the_stored_rate(client, alice, world):
    sales = data(client, alice, "/sales", currency="eur")
    assert (sales["currency"], sales["revenue"], sales["averageOrderValue"],
            sales["refunds"]["amount"], sales["epc"]) == ("EUR", 115, 38.333333, 10, 16.428571)
    rows = get(client, alice, BASE + "/conversions/details", currency="EUR", event="purchase",
               linkId=world["alpha"], **UTC_RANGE)["data"]
    eur = [r for r in rows if r["currency"] == "EUR"][0]
    assert (eur["value"], eur["valueUsd"], eur["converted"]) == (
        50, 100, {"value": 50, "currency": "EUR"})


def test_timeseries_per_day_in_utc(client, alice, world):
    leads = data(client, alice, "/leads/timeseries")
    assert leads["timeseries"] == [
        {"timestamp": "2026-03-08T00:00:00.000+00:00", "count": 2, "revenue": 0},
        {"timestamp": "2026-03-09T00:00:00.000+00:00", "count": 0, "revenue": 0}]
    assert leads["totals"] == {"count": 2, "revenue": 0}
    sales = data(client, alice, "/sales/timeseries")
    assert [(p["count"], p["revenue"], p["refunds"]) for p in sales["timeseries"]] == [
        (1, 100, 0), (2, 130, 1)]
    assert sales["totals"] == {"count": 3, "revenue": 230, "refunds": 1}
    assert (sales["granularity"], sales["timezone"]) == ("day", "UTC")


def test_composite_in_utc_days_tokyo_days_and_hours(client, alice, world):
    def rows(body):
        return [(p["timestamp"], p["clicks"], p["uniqueClicks"], p["leads"], p["sales"],
                 p["conversions"], p["revenue"]) for p in body["timeseries"]]

    utc = data(client, alice, "/composite")
    assert rows(utc) == [("2026-03-08T00:00:00.000+00:00", 4, 3, 2, 1, 3, 100),
                         ("2026-03-09T00:00:00.000+00:00", 3, 3, 0, 2, 3, 130)]
    assert utc["totals"] == {"clicks": 7, "uniqueClicks": 6, "leads": 2, "sales": 3,
                             "conversions": 6, "revenue": 230}
    tokyo = data(client, alice, "/composite", timezone="Asia/Tokyo", end="2026-03-10")
    assert rows(tokyo) == [("2026-03-08T00:00:00.000+09:00", 4, 3, 2, 1, 3, 100),
                           ("2026-03-09T00:00:00.000+09:00", 0, 0, 0, 0, 0, 0),
                           ("2026-03-10T00:00:00.000+09:00", 3, 3, 0, 2, 3, 130)]
    hours = data(client, alice, "/composite", granularity="hour",
                 start="2026-03-09T15:00:00Z", end="2026-03-09T17:00:00Z")
    assert rows(hours) == [("2026-03-09T15:00:00.000+00:00", 3, 3, 0, 0, 0, 0),
                           ("2026-03-09T16:00:00.000+00:00", 0, 0, 0, 2, 3, 130)]


def test_funnel_steps_and_rates(client, alice, world):
    body = data(client, alice, "/funnel")
    assert body["steps"] == [
        {"name": "clicks", "count": 7, "rate": 100.0, "overallRate": 100.0, "dropOff": 0},
        {"name": "leads", "count": 2, "rate": 28.57, "overallRate": 28.57, "dropOff": 5},
        {"name": "sales", "count": 3, "rate": 150.0, "overallRate": 42.86, "dropOff": 0}]
    assert (body["uniqueClicks"], body["revenue"]) == (6, 230)
    spring = data(client, alice, "/funnel", campaignId=world["spring"])
    assert [(s["count"], s["rate"], s["overallRate"]) for s in spring["steps"]] == [
        (4, 100.0, 100.0), (1, 25.0, 25.0), (2, 200.0, 50.0)]


def test_breakdowns_by_every_dimension(client, alice, world):
    def rows(kind, by):
        body = data(client, alice, f"/{kind}/breakdown", by=by)
        return [(r["key"], r["label"], r["count"], r["revenue"], r["percentage"])
                for r in body["rows"]]

    assert rows("leads", "link") == [(world["alpha"], "Alpha", 1, 0, 50.0),
                                     (world["beta"], "Beta", 1, 0, 50.0)]
    assert rows("leads", "source") == [("direct", "direct", 1, 0, 50.0),
                                       ("news.example", "news.example", 1, 0, 50.0)]
    assert rows("leads", "event") == [("lead", "lead", 1, 0, 50.0),
                                      ("signup", "signup", 1, 0, 50.0)]
    assert rows("sales", "link") == [(world["alpha"], "Alpha", 2, 200, 66.67),
                                     (world["beta"], "Beta", 1, 30, 33.33)]
    assert rows("sales", "campaign") == [(world["spring"], "Spring", 2, 200, 66.67),
                                         (None, None, 1, 30, 33.33)]
    assert rows("sales", "country") == [("GB", "GB", 1, 100, 33.33),
                                        ("US", "US", 1, 100, 33.33),
                                        ("DE", "DE", 1, 30, 33.33)]
    assert rows("sales", "event") == [("purchase", "purchase", 3, 230, 100.0)]
    assert rows("sales", "source") == [("direct", "direct", 2, 130, 66.67),
                                       ("mail", "mail", 1, 100, 33.33)]
    top = data(client, alice, "/sales/breakdown", by="country", limit="1")
    assert (len(top["rows"]), top["totalRows"], top["totals"]) == (
        1, 3, {"count": 3, "revenue": 230})


def test_conversion_details_rows_and_filters(client, alice, world):
    path = BASE + "/conversions/details"
    body = get(client, alice, path, limit="3", **UTC_RANGE)
    assert body["pagination"] == {"total": 8, "page": 1, "limit": 3, "hasMore": True,
                                  "totalPages": 3}
    assert [(r["event"], r["status"]) for r in body["data"]] == [
        ("purchase", "fraud"), ("add_to_cart", "approved"), ("order", "refunded")]
    fraud = body["data"][0]
    assert (fraud["kind"], fraud["value"], fraud["linkTitle"], fraud["campaignName"],
            fraud["customerExternalId"], fraud["occurredAt"]) == (
        "sale", 999, "Beta", None, None, "2026-03-09T16:00:00.000Z")
    rows = get(client, alice, path, orderId="o1", **UTC_RANGE)["data"]
    first = [r for r in rows if r["orderId"] == "o1"][0]
    assert (first["linkId"], first["linkTitle"], first["shortCode"], first["campaignId"],
            first["campaignName"], first["customerExternalId"], first["country"]) == (
        world["alpha"], "Alpha", "alpha", world["spring"], "Spring", "u1", "GB")
    assert first["customerId"].startswith("cus_") and first["clickId"].startswith("clk_")

    def total(**params):
        return get(client, alice, path, **{**UTC_RANGE, **params})["pagination"]["total"]

    assert total(status="refunded") == 1
    assert total(event="purchase") == 4
    assert total(linkId=world["beta"]) == 4
    assert total(campaignId=world["spring"]) == 4
    assert total(event="purchase", status="approved") == 2
    assert total(start="2026-03-09") == 5


@pytest.mark.parametrize("route", ["/overview", "/conversions/details", "/leads",
                                   "/leads/timeseries", "/leads/breakdown", "/sales",
                                   "/sales/timeseries", "/sales/breakdown", "/composite",
                                   "/funnel"])
def test_other_workspaces_ids_are_404_and_bad_params_400(client, alice, charlie, route):
    at(2026, 3, 12, 9, 0)
    theirs_link = make_link(client, charlie, "theirs", "Theirs")
    theirs_campaign = make_campaign(client, charlie, "Theirs")
    for params in ({"linkId": theirs_link}, {"campaignId": theirs_campaign},
                   {"linkId": "link_doesnotexist00"}, {"linkId": "nonsense"}):
        assert error(client, alice, BASE + route, 404, **params)["code"] == "NOT_FOUND"
    for params, field in (({"granularity": "week"}, "granularity"), ({"days": "0"}, "days"),
                          ({"timezone": "Mars/Olympus"}, "timezone"),
                          ({"start": "2026-03-09", "end": "2026-03-01"}, "start"),
                          ({"currency": "XYZ"}, "currency"), ({"includeBots": "maybe"},
                                                              "includeBots")):
        body = error(client, alice, BASE + route, 400, **params)
        assert body["code"] == "VALIDATION_ERROR"
        assert field in {d["field"] for d in body["details"]}
    # charlie sees his own (empty) numbers through the same route
    get(client, charlie, BASE + route, linkId=theirs_link)


@pytest.mark.parametrize("route, params, field", [
    ("/leads/breakdown", {"by": "planet"}, "by"), ("/sales/breakdown", {"limit": "0"}, "limit"),
    ("/sales/breakdown", {"limit": "101"}, "limit"),
    ("/conversions/details", {"status": "won"}, "status"),
    ("/conversions/details", {"limit": "500"}, "limit"),
    ("/conversions/details", {"page": "0"}, "page")])
def test_route_specific_bad_params_are_400(client, alice, route, params, field):
    body = error(client, alice, BASE + route, 400, **params)
    assert body["code"] == "VALIDATION_ERROR" and body["details"][0]["field"] == field


def test_empty_workspace_has_zeros_not_errors(client, charlie):
    at(2026, 3, 12, 9, 0)
    body = get(client, charlie, BASE + "/overview", days="7")["data"]
    assert (body["clicks"], body["conversions"], body["revenue"], body["conversionRate"],
            body["epc"]) == (0, 0, 0, 0.0, 0)
    series = get(client, charlie, BASE + "/composite", days="7")["data"]["timeseries"]
    assert len(series) == 7 and {p["clicks"] for p in series} == {0}


def test_composite_agrees_with_the_workspace_timeseries(client, alice, world):
    """The click side's trend (GET /workspace/timeseries) and the composite series read the
    same rollups and conversions: the same numbers, bucket by bucket, in EUR and Tokyo days."""
    params = {"timezone": "Asia/Tokyo", "start": "2026-03-08", "end": "2026-03-10",
              "currency": "EUR"}
    ours = get(client, alice, BASE + "/composite", **params)["data"]["timeseries"]
    theirs = get(client, alice, BASE + "/workspace/timeseries", **params)["data"]["timeseries"]
    assert [(p["timestamp"], p["clicks"], p["conversions"], p["revenue"]) for p in ours] == [
        (p["timestamp"], p["clicks"], p["conversions"], p["revenue"]) for p in theirs]
    assert [p["revenue"] for p in ours] == [50, 0, 65]

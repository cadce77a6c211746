"""/api/conversions through HTTP with real clicks: a link with conversionTracking is visited
with a real browser user agent and the `lw_cid` of its Location header is tracked (before and
after the click writer's flush). Covers the attribution window (moving the clock), unknown and
foreign click ids, duplicate orders (409 and the old /s2s `duplicate: true`), bad amounts and
currencies, exact FX conversion, postback, status change, list filters, auth, audit, and an
unchanged database after every rejection."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from linkhub import clock, ids
from linkhub.models import AuditLog, Click, Conversion, Customer, Workspace
from linkhub.services import api_keys, conversions, fx
from tests.conftest import db_snapshot, login
from tests.redirect.redirect_support import CHROME, flush, make_campaign, make_link, visit

TRACK = "/api/conversions/track"
POSTBACK = "/api/conversions/postback"
S2S = "/api/conversions/s2s"


def new_click(client, persona, link: dict | None = None) -> str:
    """Visit a conversion-tracking link like a browser; the click id from the Location."""
    link = link or make_link(client, persona, conversionTracking=True)
    response = visit(client, "/" + link["shortCode"], ua=CHROME)
    assert response.status_code == 302, response.get_data(as_text=True)
    cid = dict(parse_qsl(urlsplit(response.headers["Location"]).query))["lw_cid"]
    assert ids.is_valid("click", cid)
    return cid


def track(client, persona, **body):
    return client.post(TRACK, json=body, headers=persona.headers)


def tracked(client, persona, **body) -> dict:
    response = track(client, persona, **body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def fields(response) -> dict[str, str]:
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR", body
    return {d["field"]: d["message"] for d in body["error"]["details"]}


def rejected(app, client, persona, expect_field: str, **body) -> str:
    """Track `body`, expect 400 on `expect_field`, and prove nothing was written."""
    before = db_snapshot(app)
    response = track(client, persona, **body)
    assert response.status_code == 400, response.get_json()
    problems = fields(response)
    assert expect_field in problems, problems
    assert db_snapshot(app) == before
    return problems[expect_field]


# --- click resolution --------------------------------------------------------------------------

def test_a_buffered_click_is_accepted_before_the_flush(app, client, alice):
    link = make_link(client, alice, conversionTracking=True)
    cid = new_click(client, alice, link)
    assert Click.get_or_none(Click.public_id == cid) is None  # still only in the buffer
    data = tracked(client, alice, clickId=cid, event="purchase", value=49.5, currency="USD",
                   orderId="A-1", metadata={"sku": "X"})
    assert data["tracked"] is True and ids.is_valid("conversion", data["conversionId"])
    assert (data["clickId"], data["event"], data["value"], data["currency"], data["orderId"]) \
        == (cid, "purchase", 49.5, "USD", "A-1")
    assert data["linkId"] == link["id"] and data["valueUsd"] == 49.5
    assert data["timestamp"].endswith("Z")
    flush(app)
    assert Click.get(Click.public_id == cid)
    row = Conversion.get(Conversion.public_id == data["conversionId"])
    assert (row.kind, row.status, row.source, row.value_micros) == ("sale", "approved", "api",
                                                                    49_500_000)
    assert row.link.public_id == link["id"] and row.metadata == {"sku": "X"}


def test_a_flushed_click_is_accepted_with_its_campaign(app, client, alice):
    camp = make_campaign(client, alice, name="Autumn")
    link = make_link(client, alice, conversionTracking=True, campaignId=camp["id"])
    cid = new_click(client, alice, link)
    assert flush(app) == 1
    data = tracked(client, alice, clickId=cid, event="signup")
    assert (data["linkId"], data["campaignId"], data["value"]) == (link["id"], camp["id"], 0)
    got = client.get(f"/api/conversions/{data['conversionId']}", headers=alice.headers)
    assert got.status_code == 200
    conv = got.get_json()["data"]
    assert (conv["kind"], conv["campaignId"], conv["clickId"]) == ("lead", camp["id"], cid)


def test_expired_clicks_are_refused(app, client, alice):
    cid = new_click(client, alice)
    flush(app)
    clock.advance(timedelta(days=30, minutes=1))
    message = rejected(app, client, alice, "clickId", clickId=cid)
    assert "attribution window (30 days)" in message
    before = db_snapshot(app)
    got = client.get(POSTBACK, query_string={"lw_cid": cid, "amount": "5"},
                     headers=alice.headers)
    assert got.status_code == 200 and got.get_json()["data"]["tracked"] is False
    assert db_snapshot(app) == before


def test_the_window_is_the_workspaces_setting(app, client, alice):
    cid = new_click(client, alice)  # left in the buffer: its time counts just the same
    Workspace.update(attribution_window_days=7).where(
        Workspace.public_id == alice.workspace_id).execute()
    clock.advance(timedelta(days=6, hours=23))
    tracked(client, alice, clickId=cid)
    clock.advance(timedelta(hours=2))
    assert "(7 days)" in rejected(app, client, alice, "clickId", clickId=cid, orderId="late")


def test_unknown_and_malformed_click_ids(app, client, alice):
    new_click(client, alice)
    for cid in (ids.new_id("click"), "clk_short", "lw_ck_abc123", "", None, 12):
        rejected(app, client, alice, "clickId", clickId=cid)
    before = db_snapshot(app)
    got = client.get(POSTBACK, query_string={"lw_cid": ids.new_id("click")},
                     headers=alice.headers)
    assert got.status_code == 200
    assert got.get_json()["data"] == {"conversionId": None, "clickId": got.get_json()["data"][
        "clickId"], "tracked": False, "reason": got.get_json()["data"]["reason"]}
    assert db_snapshot(app) == before


def test_another_workspaces_click_is_unknown(app, client, alice, charlie):
    theirs = new_click(client, charlie)
    message = rejected(app, client, alice, "clickId", clickId=theirs)
    assert message == rejected(app, client, alice, "clickId", clickId=ids.new_id("click"))
    flush(app)
    assert rejected(app, client, alice, "clickId", clickId=theirs) == message
    before = db_snapshot(app)
    got = client.get(POSTBACK, query_string={"lw_cid": theirs}, headers=alice.headers)
    assert got.get_json()["data"]["tracked"] is False
    assert db_snapshot(app) == before
    tracked(client, charlie, clickId=theirs)  # its own workspace may


# --- orders, amounts, currencies ----------------------------------------------------------------

def test_a_repeated_order_id_is_a_conflict(app, client, alice, charlie):
    cid = new_click(client, alice)
    first = tracked(client, alice, clickId=cid, orderId="ORD-9", value=10)
    other = new_click(client, alice)
    before = db_snapshot(app)
    again = track(client, alice, clickId=other, orderId="ORD-9", value=10)
    assert again.status_code == 409
    error = again.get_json()["error"]
    assert error["code"] == "DUPLICATE_ORDER" and error["conversionId"] == first["conversionId"]
    assert db_snapshot(app) == before
    assert tracked(client, charlie, clickId=new_click(client, charlie), orderId="ORD-9")


def test_s2s_without_a_key_and_its_duplicates(app, client, alice):
    clock.freeze(clock.parse_iso("2026-01-01T00:00:00Z"))
    cid = new_click(client, alice)
    body = {"click_id": cid, "event": "purchase", "value": 20, "currency": "EUR",
            "order_id": 555, "timestamp": "2026-01-01T00:00:05Z"}
    clock.advance(timedelta(seconds=10))
    first = client.post(S2S, json=body)
    assert first.status_code == 201, first.get_json()
    data = first.get_json()["data"]
    assert data["attributed"] is True and data["duplicate"] is False
    row = Conversion.get(Conversion.public_id == data["conversionId"])
    assert (row.source, row.order_id, row.currency) == ("s2s", "555", "EUR")
    assert clock.iso(row.occurred_at) == "2026-01-01T00:00:05.000Z"
    before = db_snapshot(app)
    second = client.post(S2S, json={**body, "value": 99})
    assert second.status_code == 200
    assert second.get_json()["data"] == {**data, "duplicate": True}
    assert db_snapshot(app) == before
    assert track(client, alice, clickId=cid, orderId="555").status_code == 409


def test_s2s_refusals_and_rate_limit(app, client, alice, monkeypatch):
    cid = new_click(client, alice)
    before = db_snapshot(app)
    for body, field in (({"click_id": ids.new_id("click")}, "click_id"),
                        ({}, "click_id"),
                        ({"click_id": cid, "value": -1}, "value"),
                        ({"click_id": cid, "currency": "ABC"}, "currency"),
                        ({"click_id": cid, "timestamp": "yesterday"}, "timestamp"),
                        ({"click_id": cid, "timestamp": "2999-01-01"}, "timestamp")):
        response = client.post(S2S, json=body)
        assert response.status_code == 400, (body, response.get_json())
        assert field in fields(response), body
    assert db_snapshot(app) == before
    monkeypatch.setattr(conversions, "S2S_RATE", "1/minute")
    assert client.post(S2S, json={"click_id": cid}).status_code == 201
    limited = client.post(S2S, json={"click_id": cid})
    assert limited.status_code == 429 and limited.headers["Retry-After"]
    assert limited.get_json()["error"]["code"] == "RATE_LIMITED"


BAD_VALUES = [-0.01, -5, 1e12, 1_000_000_000.01, "12.5", "abc", True, [1], {"a": 1}]


@pytest.mark.parametrize("value", BAD_VALUES, ids=repr)
def test_bad_amounts_are_refused(app, client, alice, value):
    cid = new_click(client, alice)
    rejected(app, client, alice, "value", clickId=cid, value=value)
    rejected(app, client, alice, "payout", clickId=cid, value=1, payout=value)


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_json_numbers_are_refused(app, client, alice, literal):
    cid = new_click(client, alice)
    before = db_snapshot(app)
    raw = f'{{"clickId": "{cid}", "value": {literal}}}'
    response = client.post(TRACK, data=raw, content_type="application/json",
                           headers=alice.headers)
    assert response.status_code == 400 and "value" in fields(response)
    assert db_snapshot(app) == before


def test_amount_limits_and_six_decimals(client, alice):
    cid = new_click(client, alice)
    assert tracked(client, alice, clickId=cid, value=1_000_000_000)["value"] == 1_000_000_000
    data = tracked(client, alice, clickId=cid, value=1.23456789, payout=0.5)
    row = Conversion.get(Conversion.public_id == data["conversionId"])
    assert (row.value_micros, row.payout_micros) == (1_234_568, 500_000)
    assert data["value"] == 1.234568


@pytest.mark.parametrize("currency", ["XYZ", "EURO", "E1R", "", 978, "us"])
def test_unknown_currencies_are_refused(app, client, alice, currency):
    cid = new_click(client, alice)
    rejected(app, client, alice, "currency", clickId=cid, value=1, currency=currency)


def test_fx_conversion_is_exact(client, alice):
    """100 EUR at the snapshot's 0.8612522608 EUR per USD (ECB 1.1611 USD per EUR) is
    116.11 USD to the micro-dollar; a lower-case code is taken and stored upper-case."""
    assert fx.snapshot()["rates"]["EUR"] == 0.8612522608
    cid = new_click(client, alice)
    data = tracked(client, alice, clickId=cid, value=100, currency="eur")
    assert (data["currency"], data["value"], data["valueUsd"]) == ("EUR", 100, 116.11)
    row = Conversion.get(Conversion.public_id == data["conversionId"])
    assert row.value_usd_micros == 116_110_000
    yen = tracked(client, alice, clickId=cid, value=12345, currency="JPY")
    expected = Decimal(12_345_000_000) / Decimal(repr(fx.snapshot()["rates"]["JPY"]))
    assert Conversion.get(Conversion.public_id == yen["conversionId"]).value_usd_micros \
        == int(expected.to_integral_value()) == 80_799_208


def test_other_bad_fields_are_reported_together(app, client, alice):
    cid = new_click(client, alice)
    before = db_snapshot(app)
    response = track(client, alice, clickId=cid, event="has spaces", value=-1, currency="ZZZ",
                     status="done", metadata={"x": "y" * 9000}, orderId="o" * 256)
    assert response.status_code == 400
    assert set(fields(response)) == {"event", "value", "currency", "status", "metadata",
                                     "orderId"}
    response = track(client, alice, clickId=ids.new_id("click"), value=-1)
    assert set(fields(response)) == {"clickId", "value"}
    assert db_snapshot(app) == before


# --- postback ---------------------------------------------------------------------------------

def test_postback_records_a_conversion(client, alice):
    cid = new_click(client, alice)
    got = client.get(POSTBACK, headers=alice.headers, query_string={
        "lw_cid": cid, "amount": "19.99", "currency": "GBP", "event": "purchase",
        "orderId": "shop-1", "payout": "2.50"})
    assert got.status_code == 200, got.get_json()
    data = got.get_json()["data"]
    assert data["tracked"] is True and data["clickId"] == cid
    row = Conversion.get(Conversion.public_id == data["conversionId"])
    assert (row.source, row.value_micros, row.payout_micros, row.currency, row.order_id) == (
        "postback", 19_990_000, 2_500_000, "GBP", "shop-1")
    expected = Decimal(19_990_000) / Decimal(repr(fx.snapshot()["rates"]["GBP"]))
    assert row.value_usd_micros == int(expected.to_integral_value()) == 26_730_841
    again = client.get(POSTBACK, headers=alice.headers,
                       query_string={"lw_cid": cid, "orderId": "shop-1"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "DUPLICATE_ORDER"


@pytest.mark.parametrize("query, field", [
    ({"amount": "abc"}, "amount"), ({"amount": "-1"}, "amount"), ({"amount": "NaN"}, "amount"),
    ({"amount": "1e5"}, "amount"), ({"amount": "5000000000"}, "amount"),
    ({"payout": "x"}, "payout"), ({"currency": "QQQ"}, "currency"), ({"lw_cid": ""}, "lw_cid"),
])
def test_postback_bad_input_is_400(app, client, alice, query, field):
    cid = new_click(client, alice)
    before = db_snapshot(app)
    got = client.get(POSTBACK, headers=alice.headers, query_string={"lw_cid": cid, **query})
    assert got.status_code == 400 and field in fields(got)
    assert db_snapshot(app) == before


# --- auth, reading, status ----------------------------------------------------------------------

def test_credentials_and_scopes(app, client, alice):
    with app.test_request_context():
        _, raw = api_keys.create_api_key(alice.workspace, alice.user, "read only",
                                         ["conversions:read"])
    cid = new_click(client, alice)
    before = db_snapshot(app)
    for method, path in (("POST", TRACK), ("GET", POSTBACK), ("GET", "/api/conversions"),
                         ("GET", f"/api/conversions/{ids.new_id('conversion')}"),
                         ("PATCH", f"/api/conversions/{ids.new_id('conversion')}")):
        response = client.open(path, method=method, json={"clickId": cid},
                               query_string={"lw_cid": cid})
        assert response.status_code == 401, (method, path)
        assert response.get_json()["error"]["code"] == "UNAUTHORIZED"
    assert db_snapshot(app) == before
    reader = {"X-API-Key": raw}
    assert client.get("/api/conversions", headers=reader).status_code == 200
    before = db_snapshot(app)
    assert client.post(TRACK, json={"clickId": cid}, headers=reader).status_code == 403
    assert db_snapshot(app) == before


def test_a_session_tracks_with_its_csrf_token(client, alice):
    cid = new_click(client, alice)
    token = login(client, alice.email)
    assert client.post(TRACK, json={"clickId": cid}).status_code == 403  # no CSRF token
    response = client.post(TRACK, json={"clickId": cid}, headers={"X-CSRF-Token": token})
    assert response.status_code == 201, response.get_json()


def test_status_change_and_audit(app, client, alice, bob, charlie):
    data = tracked(client, alice, clickId=new_click(client, alice), value=5)
    url = f"/api/conversions/{data['conversionId']}"
    changed = client.patch(url, json={"status": "refunded"}, headers=bob.headers)
    assert changed.status_code == 200 and changed.get_json()["data"]["status"] == "refunded"
    assert Conversion.get(Conversion.public_id == data["conversionId"]).status == "refunded"
    actions = [a.action for a in AuditLog.select().where(
        AuditLog.resource_id == data["conversionId"]).order_by(AuditLog.id)]
    assert actions == ["conversion.create", "conversion.update_status"]
    before = db_snapshot(app)
    for body in ({"status": "lost"}, {}, {"status": None}, {"status": 3}):
        response = client.patch(url, json=body, headers=alice.headers)
        assert response.status_code == 400 and "status" in fields(response), body
    for who, target in ((charlie, url), (alice, "/api/conversions/conv_nope"),
                        (alice, f"/api/conversions/{ids.new_id('conversion')}")):
        assert client.patch(target, json={"status": "fraud"},
                            headers=who.headers).status_code == 404
        assert client.get(target, headers=who.headers).status_code == 404
    assert db_snapshot(app) == before


def test_list_filters(client, alice, charlie):
    spring = make_campaign(client, alice, name="Spring")
    one = make_link(client, alice, conversionTracking=True, campaignId=spring["id"])
    two = make_link(client, alice, conversionTracking=True)
    clock.freeze(clock.parse_iso("2026-03-01T11:00:00Z"))
    c1, c2 = new_click(client, alice, one), new_click(client, alice, two)
    clock.advance(timedelta(hours=1))
    a = tracked(client, alice, clickId=c1, event="purchase", value=10)
    clock.freeze(clock.parse_iso("2026-03-02T12:00:00Z"))
    b = tracked(client, alice, clickId=c2, event="lead", status="pending")
    c = tracked(client, alice, clickId=c2, event="add_to_cart", value=1)
    tracked(client, charlie, clickId=new_click(client, charlie), event="purchase")

    def found(**query) -> list[str]:
        response = client.get("/api/conversions", query_string=query, headers=alice.headers)
        assert response.status_code == 200, response.get_json()
        return [row["id"] for row in response.get_json()["data"]]

    ids_ = [a["conversionId"], b["conversionId"], c["conversionId"]]
    assert found() == ids_[::-1]
    assert found(sortBy="occurredAt", sortOrder="asc")[0] == ids_[0]
    assert found(linkId=one["id"]) == [ids_[0]]
    assert found(campaignId=spring["id"]) == [ids_[0]]
    assert found(status="pending") == [ids_[1]]
    assert found(event="purchase") == [ids_[0]]
    assert found(kind="custom") == [ids_[2]]
    assert found(kind="lead", linkId=two["id"]) == [ids_[1]]
    assert found(start="2026-03-02") == ids_[:0:-1]
    assert found(end="2026-03-01") == [ids_[0]]
    assert found(linkId=ids.new_id("link")) == []
    assert found(customerId=ids.new_id("customer")) == []
    page = client.get("/api/conversions?limit=2&page=2", headers=alice.headers).get_json()
    assert page["pagination"] == {"total": 3, "page": 2, "limit": 2, "hasMore": False,
                                  "totalPages": 2}
    row = client.get("/api/conversions?linkId=" + one["id"],
                     headers=alice.headers).get_json()["data"][0]
    assert set(row) == {"id", "clickId", "linkId", "campaignId", "customerId", "pixelId",
                        "event", "kind", "status", "source", "value", "currency", "valueUsd",
                        "payout", "orderId", "metadata", "country", "occurredAt", "createdAt"}
    assert row["occurredAt"] == "2026-03-01T12:00:00.000Z"
    for query, field in (({"status": "nope"}, "status"), ({"kind": "x"}, "kind"),
                         ({"linkId": "abc"}, "linkId"), ({"campaignId": "link_x"}, "campaignId"),
                         ({"start": "yesterday"}, "start"), ({"customerId": "zz"}, "customerId"),
                         ({"start": "2026-03-02", "end": "2026-03-01"}, "start"),
                         ({"sortBy": "nope"}, "sortBy")):
        response = client.get("/api/conversions", query_string=query, headers=alice.headers)
        assert response.status_code == 400 and field in fields(response), query


# --- customers (services/customers.py) ----------------------------------------------------------

def test_a_customer_is_upserted_and_attributed(app, client, alice):
    pytest.importorskip("linkhub.services.customers")
    cid = new_click(client, alice)
    data = tracked(client, alice, clickId=cid, event="purchase", value=30,
                   customerExternalId="user-42")
    assert data["customerId"] and data["customerId"].startswith("cus_")
    again = tracked(client, alice, clickId=cid, event="purchase", value=12,
                    customerId="ext_user-42")
    assert again["customerId"] == data["customerId"]
    listed = client.get("/api/conversions", query_string={"customerId": "ext_user-42"},
                        headers=alice.headers).get_json()["data"]
    assert len(listed) == 2
    customer = client.get(f"/api/customers/{data['customerId']}", headers=alice.headers)
    assert customer.status_code == 200, customer.get_json()
    assert Customer.get(Customer.public_id == data["customerId"]).ltv_micros == 42_000_000
    refund = client.patch(f"/api/conversions/{again['conversionId']}",
                          json={"status": "refunded"}, headers=alice.headers)
    assert refund.status_code == 200
    assert Customer.get(Customer.public_id == data["customerId"]).ltv_micros == 30_000_000
    before = db_snapshot(app)
    response = track(client, alice, clickId=cid, customerId=ids.new_id("customer"))
    assert response.status_code == 400 and "customerId" in fields(response)
    # a refused conversion leaves no customer behind either
    response = track(client, alice, clickId=cid, value=-1, customerExternalId="user-43")
    assert response.status_code == 400
    assert db_snapshot(app) == before


def test_the_metadata_round_trips(client, alice):
    cid = new_click(client, alice)
    meta = {"cart": [1, 2], "coupon": None, "nested": {"a": "b"}}
    data = tracked(client, alice, clickId=cid, metadata=meta)
    got = client.get(f"/api/conversions/{data['conversionId']}", headers=alice.headers)
    assert got.get_json()["data"]["metadata"] == meta
    assert json.loads(json.dumps(got.get_json()))  # plain JSON all the way

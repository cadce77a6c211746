"""/api/track/lead|sale|open with a publishable key: CORS preflights (allowed and denied),
origins not allowed (403, no grant), wrong/disabled/rotated keys (401), leads and sales on real
click ids from redirects driven by the test client, deferred opens matched by click id and by
IP + user agent, the per key+IP limit, and bad input (400, database unchanged)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from linkhub import clock
from linkhub.models import Click, Conversion, Customer, PublishableKey
from linkhub.services import client_tracking
from tests.conftest import db_snapshot
from tests.redirect.redirect_support import CHROME, IPHONE, flush, make_link, visit

ORIGIN = "https://shop.example"
KEYS = "/api/tracking/publishable-keys"


@pytest.fixture
def pub(client, alice):
    """Alice Co's publishable key allowing https://shop.example and *.example.org."""
    response = client.post(KEYS, headers=alice.headers, json={
        "name": "Shop", "allowedOrigins": [ORIGIN, "*.example.org"]})
    assert response.status_code == 201
    return response.get_json()["data"]


@pytest.fixture
def link(client, alice):
    return make_link(client, alice, shortCode="shop", conversionTracking=True,
                     destinationUrl="https://shop.example/landing",
                     deepLinkEnabled=True, deepLinkIos="https://app.shop.example/p/1",
                     deepLinkAndroid="https://app.shop.example/p/1")


def click_id(client, path="/shop", ua=CHROME, **kwargs):
    """Drive a redirect and return the `lw_cid` the destination received (a deep link into
    an app carries none: then the click the writer stored)."""
    response = visit(client, path, ua=ua, **kwargs)
    assert response.status_code == 302, response.status_code
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    if "lw_cid" in query:
        return query["lw_cid"][0]
    flush(client.application)
    return Click.select().order_by(Click.id.desc()).first().public_id


def post(client, path, body, key=None, origin=ORIGIN, **headers):
    if key is not None:
        headers["X-Publishable-Key"] = key
    if origin is not None:
        headers["Origin"] = origin
    return client.post(f"/api/track/{path}", json=body, headers=headers)


def error(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == code, body
    return body["error"]


def fields(response):
    return {d["field"] for d in error(response, 400, "VALIDATION_ERROR")["details"]}


def granted(response, origin=ORIGIN):
    return response.headers.get("Access-Control-Allow-Origin") == origin


# --- CORS preflight --------------------------------------------------------------------------

def preflight(client, path, origin, method="POST"):
    return client.options(f"/api/track/{path}", headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "content-type,x-publishable-key"})


@pytest.mark.parametrize("path", ["lead", "sale", "open"])
def test_preflight_is_granted_to_an_allowed_origin(client, pub, path):
    for origin in (ORIGIN, "https://www.example.org"):
        response = preflight(client, path, origin)
        assert response.status_code == 204
        assert response.headers["Access-Control-Allow-Origin"] == origin
        assert set(response.headers["Access-Control-Allow-Methods"].split(", ")) >= {"POST"}
        allowed = {h.strip().lower() for h in
                   response.headers["Access-Control-Allow-Headers"].split(",")}
        assert {"content-type", "x-publishable-key"} <= allowed
        assert int(response.headers["Access-Control-Max-Age"]) > 0
        assert "Origin" in response.headers.get("Vary", "")
        assert "Access-Control-Allow-Credentials" not in response.headers


def test_preflight_is_denied_to_other_origins(client, alice, pub):
    for origin in ("https://evil.example", "http://shop.example", "https://example.org",
                   "null"):
        response = preflight(client, "lead", origin)
        error(response, 403, "FORBIDDEN")
        assert "Access-Control-Allow-Origin" not in response.headers
    error(preflight(client, "lead", ORIGIN, method="DELETE"), 403, "FORBIDDEN")
    client.patch(f"{KEYS}/{pub['id']}", headers=alice.headers, json={"enabled": False})
    response = preflight(client, "lead", ORIGIN)
    error(response, 403, "FORBIDDEN")
    assert "Access-Control-Allow-Origin" not in response.headers


def test_options_without_origin_just_names_the_method(client):
    response = client.options("/api/track/lead")
    assert response.status_code == 204 and "POST" in response.headers["Allow"]
    assert "Access-Control-Allow-Origin" not in response.headers


# --- keys and origins on the real request ----------------------------------------------------

def test_origin_not_allowed_is_403_without_a_grant(client, app, pub, link):
    cid = click_id(client)
    before = db_snapshot(app)
    for origin in ("https://evil.example", "http://shop.example", "null"):
        response = post(client, "lead", {"clickId": cid, "customerExternalId": "u1"},
                        key=pub["key"], origin=origin)
        assert "not allowed" in error(response, 403, "FORBIDDEN")["message"]
        assert "Access-Control-Allow-Origin" not in response.headers
    response = post(client, "lead", {"clickId": cid, "customerExternalId": "u1",
                                     "publishableKey": pub["key"]}, origin="https://evil.example")
    error(response, 403, "FORBIDDEN")
    assert db_snapshot(app) == before


def test_wrong_missing_disabled_and_rotated_keys_are_401(client, app, alice, pub, link):
    cid = click_id(client)
    body = {"clickId": cid, "customerExternalId": "u1"}
    rotated = client.post(f"{KEYS}/{pub['id']}/rotate", headers=alice.headers).get_json()
    before = db_snapshot(app)
    error(post(client, "lead", body), 401, "UNAUTHORIZED")
    for key in ("nope", "lh_pub_" + "A" * 32, alice.api_key, pub["key"]):
        response = post(client, "lead", body, key=key)
        error(response, 401, "INVALID_API_KEY")
        assert "Access-Control-Allow-Origin" not in response.headers
    error(post(client, "sale", {**body, "publishableKey": pub["key"], "amount": 5}),
          401, "INVALID_API_KEY")
    client.patch(f"{KEYS}/{pub['id']}", headers=alice.headers, json={"enabled": False})
    error(post(client, "open", {}, key=rotated["data"]["key"]), 401, "INVALID_API_KEY")
    assert db_snapshot(app)["conversion"] == before["conversion"]
    assert db_snapshot(app)["customer"] == before["customer"]


# --- leads -------------------------------------------------------------------------------------

def test_lead_on_a_buffered_click(client, app, alice, pub, link):
    cid = click_id(client)  # not flushed yet: the buffer answers for it
    response = post(client, "lead", {"clickId": cid, "customerExternalId": "user-42",
                                     "email": "Ann@Example.com", "name": "Ann",
                                     "metadata": {"plan": "pro"}}, key=pub["key"])
    assert response.status_code == 201, response.get_json()
    assert granted(response) and "Origin" in response.headers["Vary"]
    data = response.get_json()["data"]
    assert data["tracked"] is True and data["duplicate"] is False
    assert data["event"] == "lead" and data["kind"] == "lead" and data["clickId"] == cid
    assert data["linkId"] == link["id"] and data["amount"] == 0
    conversion = Conversion.get(Conversion.public_id == data["conversionId"])
    assert conversion.source == "client" and conversion.metadata == {"plan": "pro"}
    assert conversion.workspace.public_id == alice.workspace_id
    customer = Customer.get(Customer.external_id == "user-42")
    assert data["customerId"] == customer.public_id and conversion.customer_id == customer.id
    assert customer.email == "ann@example.com" and customer.click_public_id == cid
    assert customer.lead_count == 1
    flush(app)
    key = PublishableKey.get(PublishableKey.public_id == pub["id"])
    assert key.last_used_at is not None


def test_lead_with_the_key_in_the_body_and_no_origin(client, app, pub, link):
    cid = click_id(client)
    flush(app)
    response = post(client, "lead", {"clickId": cid, "customerExternalId": "app-user",
                                     "publishableKey": pub["key"], "event": "signup"},
                    origin=None)
    assert response.status_code == 201, response.get_json()
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.get_json()["data"]["event"] == "signup"


def test_a_repeated_lead_answers_the_first(client, app, pub, link):
    cid = click_id(client)
    body = {"clickId": cid, "customerExternalId": "u7", "name": "First"}
    first = post(client, "lead", body, key=pub["key"]).get_json()["data"]
    before = db_snapshot(app)
    again = post(client, "lead", {**body, "name": "Second"}, key=pub["key"])
    assert again.status_code == 200
    data = again.get_json()["data"]
    assert data["duplicate"] is True and data["conversionId"] == first["conversionId"]
    assert db_snapshot(app) == before
    assert Customer.get(Customer.external_id == "u7").name == "First"


def test_lead_without_click_uses_the_customers_first_click(client, app, pub, link):
    cid = click_id(client)
    post(client, "lead", {"clickId": cid, "customerExternalId": "u8"}, key=pub["key"])
    response = post(client, "lead", {"customerExternalId": "u8", "event": "trial_start",
                                     "email": "u8@example.com"}, key=pub["key"])
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["clickId"] == cid
    assert Customer.get(Customer.external_id == "u8").email == "u8@example.com"


def test_a_public_key_never_overwrites_customer_details(client, app, alice, pub, link):
    created = client.post("/api/customers", headers=alice.headers, json={
        "externalId": "vip", "email": "vip@example.com", "name": "Real Name"})
    assert created.status_code == 201, created.get_json()
    cid = click_id(client)
    response = post(client, "lead", {"clickId": cid, "customerExternalId": "vip",
                                     "email": "attacker@example.com", "name": "Mallory"},
                    key=pub["key"])
    assert response.status_code == 201
    customer = Customer.get(Customer.external_id == "vip")
    assert (customer.email, customer.name) == ("vip@example.com", "Real Name")
    assert customer.click_public_id == cid  # the empty first touch is filled


# --- sales -------------------------------------------------------------------------------------

def test_sale_on_a_click_and_then_on_the_customer(client, app, pub, link):
    cid = click_id(client)
    flush(app)
    response = post(client, "sale", {"clickId": cid, "customerExternalId": "buyer",
                                     "amount": 49.9, "currency": "eur", "orderId": "A-1"},
                    key=pub["key"])
    assert response.status_code == 201, response.get_json()
    assert granted(response)
    data = response.get_json()["data"]
    assert (data["event"], data["kind"], data["amount"], data["currency"]) == \
        ("purchase", "sale", 49.9, "EUR")
    assert data["clickId"] == cid and data["linkId"] == link["id"] and data["orderId"] == "A-1"
    conversion = Conversion.get(Conversion.public_id == data["conversionId"])
    assert conversion.value_micros == 49_900_000 and conversion.value_usd_micros > 0
    again = post(client, "sale", {"customerExternalId": "buyer", "amount": 10,
                                  "orderId": "A-2"}, key=pub["key"])
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["data"]["clickId"] == cid
    buyer = Customer.get(Customer.external_id == "buyer")
    assert buyer.sale_count == 2


def test_duplicate_order_is_409(client, app, pub, link):
    cid = click_id(client)
    body = {"clickId": cid, "amount": 5, "orderId": "dup"}
    assert post(client, "sale", body, key=pub["key"]).status_code == 201
    before = db_snapshot(app)
    response = post(client, "sale", body, key=pub["key"])
    error(response, 409, "DUPLICATE_ORDER")
    assert granted(response)
    assert db_snapshot(app) == before


def test_sale_on_a_customer_whose_click_left_the_window(client, app, pub, link):
    cid = click_id(client)
    flush(app)
    post(client, "lead", {"clickId": cid, "customerExternalId": "old"}, key=pub["key"])
    clock.advance(timedelta(days=31))
    response = post(client, "sale", {"customerExternalId": "old", "amount": 3},
                    key=pub["key"])
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["clickId"] is None and data["customerId"] is not None


# --- bad input ---------------------------------------------------------------------------------

@pytest.mark.parametrize("path, body, field", [
    ("lead", {}, "customerExternalId"),
    ("lead", {"customerExternalId": "  "}, "customerExternalId"),
    ("lead", {"customerExternalId": "new-person"}, "clickId"),
    ("lead", {"customerExternalId": "u", "clickId": "abc"}, "clickId"),
    ("lead", {"customerExternalId": "u", "clickId": "clk_0000000000000000"}, "clickId"),
    ("lead", {"customerExternalId": "u", "clickId": "CID", "event": "purchase"}, "event"),
    ("lead", {"customerExternalId": "u", "clickId": "CID", "event": "bad event!"}, "event"),
    ("lead", {"customerExternalId": "u", "clickId": "CID", "metadata": [1]}, "metadata"),
    ("lead", {"customerExternalId": "u", "clickId": "CID", "email": "not-mail"}, "email"),
    ("lead", {"customerExternalId": 42, "clickId": "CID"}, "customerExternalId"),
    ("sale", {"clickId": "CID"}, "amount"),
    ("sale", {"amount": 5}, "clickId"),
    ("sale", {"clickId": "CID", "amount": -1}, "amount"),
    ("sale", {"clickId": "CID", "amount": "12"}, "amount"),
    ("sale", {"clickId": "CID", "amount": True}, "amount"),
    ("sale", {"clickId": "CID", "amount": 1e12}, "amount"),
    ("sale", {"clickId": "CID", "amount": 5, "currency": "XYZ"}, "currency"),
    ("sale", {"clickId": "CID", "amount": 5, "event": "lead"}, "event"),
    ("sale", {"customerExternalId": "stranger", "amount": 5}, "customerExternalId"),
    ("open", {"clickId": "clk_bad"}, "clickId"),
    ("open", {"userAgent": 5}, "userAgent"),
])
def test_bad_input_is_400_and_changes_nothing(client, app, pub, link, path, body, field):
    cid = click_id(client)
    if body.get("clickId") == "CID":
        body = {**body, "clickId": cid}
    before = db_snapshot(app)
    response = post(client, path, body, key=pub["key"])
    assert field in fields(response)
    assert granted(response)  # an allowed origin can read why
    assert db_snapshot(app) == before


def test_another_workspaces_click_is_refused(client, app, charlie, pub, link):
    make_link(client, charlie, shortCode="theirs", conversionTracking=True)
    theirs = click_id(client, "/theirs")
    flush(app)
    before = db_snapshot(app)
    for path, body in (("lead", {"clickId": theirs, "customerExternalId": "x"}),
                       ("sale", {"clickId": theirs, "amount": 1})):
        assert "clickId" in fields(post(client, path, body, key=pub["key"]))
    assert db_snapshot(app) == before


def test_malformed_bodies_are_400(client, pub):
    for data, content_type in (("{", "application/json"), ("x=1", "text/plain"),
                               ("[]", "application/json")):
        response = client.post("/api/track/lead", data=data, content_type=content_type,
                               headers={"X-Publishable-Key": pub["key"], "Origin": ORIGIN})
        assert "body" in fields(response)
        assert granted(response)


# --- deferred deep-link opens ------------------------------------------------------------------

def test_open_matched_by_click_id(client, app, pub, link):
    cid = click_id(client, ua=IPHONE)
    response = post(client, "open", {"clickId": cid}, key=pub["key"])
    assert response.status_code == 200 and granted(response)
    data = response.get_json()["data"]
    assert data["matched"] is True and data["matchedBy"] == "clickId"
    assert data["clickId"] == cid and data["clickedAt"].endswith("Z")
    assert data["link"]["id"] == link["id"] and data["link"]["deepLinkIos"] == "https://app.shop.example/p/1"
    assert data["link"]["shortUrl"].endswith("/shop") and data["link"]["deepLinkEnabled"]
    assert data["destinationUrl"] is not None
    buffered = click_id(client)  # a desktop click, still in the writer's buffer
    data = post(client, "open", {"clickId": buffered}, key=pub["key"]).get_json()["data"]
    assert data["matchedBy"] == "clickId" and data["clickId"] == buffered
    assert data["destinationUrl"].startswith("https://shop.example/landing?")


def test_open_matched_by_ip_and_user_agent(client, app, pub, link):
    other = click_id(client, ua=CHROME, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    mine = click_id(client, ua=IPHONE, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    flush(app)
    before = db_snapshot(app)
    response = client.post("/api/track/open", json={}, headers={
        "X-Publishable-Key": pub["key"], "User-Agent": IPHONE},
        environ_base={"REMOTE_ADDR": "10.9.9.9"})
    data = response.get_json()["data"]
    assert data["matched"] is True and data["matchedBy"] == "ipUserAgent"
    assert data["clickId"] == mine != other
    assert data["link"]["id"] == link["id"]
    by_body = client.post("/api/track/open", json={"userAgent": CHROME}, headers={
        "X-Publishable-Key": pub["key"], "User-Agent": "MyApp/1.0"},
        environ_base={"REMOTE_ADDR": "10.1.2.3"}).get_json()["data"]
    assert by_body["clickId"] == other
    assert db_snapshot(app) == before  # an open only reads


def test_open_without_a_match(client, app, charlie, pub, link):
    click_id(client, ua=IPHONE, environ_base={"REMOTE_ADDR": "10.9.9.9"})
    make_link(client, charlie, shortCode="theirs", conversionTracking=True)
    theirs = click_id(client, "/theirs", ua=IPHONE, environ_base={"REMOTE_ADDR": "10.7.7.7"})
    flush(app)

    def open_(ip, ua, body=None):
        return client.post("/api/track/open", json=body or {}, headers={
            "X-Publishable-Key": pub["key"], "User-Agent": ua},
            environ_base={"REMOTE_ADDR": ip}).get_json()["data"]

    assert open_("10.9.9.9", CHROME)["matched"] is False  # same IP, other agent
    assert open_("10.9.9.8", IPHONE)["matched"] is False  # other IP
    assert open_("10.7.7.7", IPHONE, {"clickId": theirs})["matched"] is False
    assert open_("10.9.9.9", IPHONE)["matched"] is True
    clock.advance(timedelta(minutes=61))
    nothing = open_("10.9.9.9", IPHONE)
    assert nothing == {"matched": False, "matchedBy": None, "clickId": None,
                       "clickedAt": None, "destinationUrl": None, "link": None}


# --- rate limit --------------------------------------------------------------------------------

def test_rate_limited_per_key_and_ip(client, pub, link, monkeypatch):
    monkeypatch.setattr(client_tracking, "RATE_LIMIT", "3/minute")
    for _ in range(3):
        assert post(client, "open", {}, key=pub["key"]).status_code == 200
    response = post(client, "open", {}, key=pub["key"])
    error(response, 429, "RATE_LIMITED")
    assert granted(response) and int(response.headers["Retry-After"]) >= 1
    other_ip = client.post("/api/track/open", json={}, headers={
        "X-Publishable-Key": pub["key"]}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other_ip.status_code == 200

"""The real `linkhub serve` over real HTTP: a tracked redirect gives a click id, a Stripe
installation is made through the API, and a `checkout.session.completed` event signed with
Stripe's published algorithm, POSTed to the installation's receiver URL, becomes a sale
conversion on that click; its replay is a duplicate, a forged signature is 401, and the secret
is not in the database file in clear."""

from __future__ import annotations

import json
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import closing

import pytest

from tests.api.inbound_support import body_of, stripe_header
from tests.test_server import WAIT, Server, init_data_dir
from tests.test_server_revenue import IPHONE, api, call

pytestmark = pytest.mark.server

SECRET = "whsec_served_5f4e3d2c1b0a99887766554433221100"


def checkout(click_id: str, created: int) -> dict:
    return {
        "id": "evt_1QServedCheckout", "object": "event", "created": created,
        "livemode": False, "type": "checkout.session.completed",
        "data": {"object": {
            "id": "cs_test_served_1", "object": "checkout.session", "mode": "payment",
            "amount_total": 12_500, "currency": "usd", "client_reference_id": click_id,
            "customer_details": {"email": "served@example.com", "name": "Sam Served"},
            "payment_intent": "pi_served_1", "payment_status": "paid", "status": "complete",
            "metadata": {}}},
    }


def post_raw(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as err:
        with err:
            return err.code, json.loads(err.read())


def test_a_signed_stripe_checkout_becomes_a_sale_on_a_real_click(tmp_path):
    data_dir, key = init_data_dir(tmp_path)
    server = Server(data_dir)
    try:
        server.wait_healthy()
        base = server.url
        link = api(f"{base}/api/links", "POST", key,
                   {"destinationUrl": "https://shop.example/checkout", "shortCode": "buy",
                    "conversionTracking": True}, 201)
        status, headers, _ = call(f"{base}/buy", headers={"User-Agent": IPHONE})
        assert status == 302
        click_id = urllib.parse.parse_qs(
            urllib.parse.urlsplit(headers["Location"]).query)["lw_cid"][0]

        installation = api(f"{base}/api/integrations", "POST", key,
                           {"provider": "stripe", "name": "Stripe",
                            "secrets": {"endpointSecret": SECRET}}, 201)
        receiver = installation["receiverUrls"]["webhook"]
        assert receiver.startswith(base + "/api/integrations/webhooks/stripe?installationId=")

        body = body_of(checkout(click_id, int(time.time()) - 3))
        signed = {"Stripe-Signature": stripe_header(SECRET, body),
                  "Content-Type": "application/json"}
        status, answer = post_raw(receiver, body, signed)
        assert status == 200, answer
        receipt = answer["data"]
        assert receipt["status"] == "processed" and receipt["duplicate"] is False
        conversion = api(f"{base}/api/conversions/{receipt['result']['conversionId']}",
                         "GET", key)
        assert (conversion["clickId"], conversion["linkId"]) == (click_id, link["id"])
        assert (conversion["kind"], conversion["value"], conversion["currency"],
                conversion["source"], conversion["orderId"]) == (
            "sale", 125, "USD", "stripe", "cs_test_served_1")

        status, answer = post_raw(receiver, body, signed)
        assert status == 200 and answer["data"]["duplicate"] is True
        forged = {**signed, "Stripe-Signature": stripe_header("whsec_forged_000000", body)}
        status, answer = post_raw(receiver, body, forged)
        assert status == 401 and answer["error"]["code"] == "UNAUTHORIZED"
        listed = api(f"{base}/api/conversions", "GET", key)
        assert [c["id"] for c in listed] == [conversion["id"]]

        with closing(sqlite3.connect(data_dir / "linkhub.sqlite3")) as connection:
            stored = connection.execute('SELECT "secrets" FROM "integration"').fetchone()[0]
        assert SECRET not in stored and stored.startswith("gAAAAA")
    finally:
        assert server.stop() == 0

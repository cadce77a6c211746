"""The first-party snippet /static/linkhub-track.js in Chromium, on a shop served from a second
origin (a tiny http.server on `localhost`, the live server being `127.0.0.1`): a visitor
follows a short link, lands with ?lw_cid=…, the cookie keeps the click id, and trackLead /
trackSale on a later page record the conversions through a real CORS preflight. A shop whose
origin the key does not allow gets no grant and records nothing."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from linkhub.models import Conversion, Customer

PAGE = """<!doctype html><html><head><title>{title}</title>
<script src="{api}/static/linkhub-track.js" data-key="{key}"></script></head>
<body><h1>{title}</h1><p id="cid"></p>
<script>document.getElementById("cid").textContent = linkhub.clickId() || "none";</script>
</body></html>"""


class Shop:
    """A second origin serving two static pages that load the snippet from the live server."""

    def __init__(self, api: str, key: str) -> None:
        pages = {name: PAGE.format(title=name, api=api, key=key).encode()
                 for name in ("landing", "thanks")}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                body = pages.get(urlsplit(self.path).path.strip("/").removesuffix(".html"))
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://localhost:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def shops(live_server):
    opened: list[Shop] = []

    def open_shop(key: str) -> Shop:
        shop = Shop(live_server.url, key)
        opened.append(shop)
        return shop

    yield open_shop
    for shop in opened:
        shop.close()


def api(client, persona, path, **body):
    response = client.post(path, json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


LEAD = """() => linkhub.trackLead({customerExternalId: "web-1", email: "web@example.com"})"""
SALE = """() => linkhub.trackSale({customerExternalId: "web-1", amount: 19.99,
                                   currency: "EUR", orderId: "W-1"})"""


@pytest.mark.browser
def test_snippet_keeps_the_click_and_reports_a_lead_and_a_sale(page, client, alice, shops,
                                                               live_server):
    key = api(client, alice, "/api/tracking/publishable-keys", name="Shop")
    shop = shops(key["key"])
    client.patch(f"/api/tracking/publishable-keys/{key['id']}", headers=alice.headers,
                 json={"allowedOrigins": [shop.origin]})
    link = api(client, alice, "/api/links", shortCode="spring", conversionTracking=True,
               destinationUrl=f"{shop.origin}/landing.html?from=ad")

    page.goto(f"{live_server.url}/spring")  # the redirect sends the browser to the shop
    page.wait_for_url(f"{shop.origin}/landing.html?*")
    cid = parse_qs(urlsplit(page.url).query)["lw_cid"][0]
    assert page.locator("#cid").inner_text() == cid
    cookie = next(c for c in page.context.cookies(shop.origin) if c["name"] == "lh_cid")
    assert cookie["value"] == cid and cookie["sameSite"] == "Lax" and not cookie["secure"]
    assert cookie["expires"] > 0  # persistent (30 days), not a session cookie

    page.goto(f"{shop.origin}/thanks.html")  # a later page: the click id comes from the cookie
    assert page.locator("#cid").inner_text() == cid
    lead = page.evaluate(LEAD)
    assert lead["tracked"] is True and lead["clickId"] == cid and lead["linkId"] == link["id"]
    sale = page.evaluate(SALE)
    assert sale["kind"] == "sale" and sale["amount"] == 19.99 and sale["clickId"] == cid

    customer = Customer.get(Customer.external_id == "web-1")
    assert customer.click_public_id == cid and customer.email == "web@example.com"
    rows = list(Conversion.select().where(Conversion.customer == customer)
                .order_by(Conversion.id))
    assert [(c.kind, c.source, c.click_public_id) for c in rows] == [
        ("lead", "client", cid), ("sale", "client", cid)]
    assert rows[1].order_id == "W-1" and rows[1].currency == "EUR"


@pytest.mark.browser
def test_a_shop_on_another_origin_gets_no_grant(page, client, alice, shops, live_server):
    key = api(client, alice, "/api/tracking/publishable-keys", name="Shop",
              allowedOrigins=["https://shop.example"])
    shop = shops(key["key"])
    api(client, alice, "/api/links", shortCode="autumn", conversionTracking=True,
        destinationUrl=f"{shop.origin}/landing.html")
    page.goto(f"{live_server.url}/autumn")
    page.wait_for_url(f"{shop.origin}/landing.html?*")
    outcome = page.evaluate(f"() => ({LEAD})().then(() => 'tracked', e => String(e))")
    assert "Failed to fetch" in outcome  # the preflight was refused: no CORS grant
    assert Customer.get_or_none(Customer.external_id == "web-1") is None
    assert Conversion.select().count() == 0

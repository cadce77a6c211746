"""The real `linkhub serve` over real HTTP, end to end through the revenue modules: a tracked
redirect, a conversion on its still-buffered click id, a pixel fire, a QR image, a customer,
then (after the writer's flush) the link's analytics, the funnel and a public stats page."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.test_server import WAIT, Server, init_data_dir

pytestmark = pytest.mark.server

IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1")


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(url: str, method: str = "GET", key: str | None = None, body: dict | None = None,
         headers: dict | None = None) -> tuple[int, dict, bytes]:
    headers = dict(headers or {})
    if key:
        headers["X-API-Key"] = key
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=WAIT) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def api(url: str, method: str, key: str, body: dict | None = None, status: int = 200) -> dict:
    code, _, raw = call(url, method, key, body)
    payload = json.loads(raw)
    assert code == status, payload
    return payload["data"]


def test_clicks_become_conversions_analytics_and_public_stats(tmp_path):
    data_dir, key = init_data_dir(tmp_path)
    server = Server(data_dir)
    try:
        server.wait_healthy()
        base = server.url
        link = api(f"{base}/api/links", "POST", key,
                   {"destinationUrl": "https://shop.example/item", "shortCode": "served",
                    "conversionTracking": True}, 201)

        status, headers, _ = call(f"{base}/served", headers={"User-Agent": IPHONE})
        assert status == 302
        click_id = headers["Location"].split("lw_cid=", 1)[1].split("&", 1)[0]
        conversion = api(f"{base}/api/conversions/track", "POST", key,  # still buffered
                         {"clickId": click_id, "event": "purchase", "value": 25,
                          "currency": "USD", "orderId": "order-1"}, 201)
        assert conversion["tracked"] is True and conversion["clickId"] == click_id

        pixel = api(f"{base}/api/pixels", "POST", key, {"name": "Thank-you page"}, 201)
        status, headers, gif = call(f"{base}/p/{pixel['id']}.gif",
                                    headers={"User-Agent": IPHONE})
        assert status == 200 and headers["Content-Type"] == "image/gif"
        assert gif.startswith(b"GIF89a")

        qr = api(f"{base}/api/qr/links/{link['id']}", "POST", key,
                 {"name": "Poster", "format": "png"}, 201)
        status, headers, png = call(f"{base}/api/qr/{qr['id']}/image", key=key)
        assert status == 200 and png.startswith(b"\x89PNG\r\n\x1a\n")

        customer = api(f"{base}/api/customers", "POST", key,
                       {"externalId": "user-42", "email": "buyer@example.com",
                        "clickId": click_id}, 201)
        assert customer["externalId"] == "user-42"

        deadline = time.monotonic() + WAIT
        while True:  # the writer flushes at least every second
            summary = api(f"{base}/api/analytics/{link['id']}/summary", "GET", key)
            if summary["clicks"] == 1 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert summary["clicks"] == 1 and summary["conversions"] == 1
        funnel = api(f"{base}/api/analytics/funnel", "GET", key)
        assert [step["count"] for step in funnel["steps"]] == [1, 0, 1]

        share = api(f"{base}/api/links/{link['id']}/public-stats", "PUT", key,
                    {"enabled": True, "metrics": ["clicks"]})
        status, headers, page = call(base + urllib.parse.urlsplit(share["url"]).path)
        assert status == 200 and headers["Content-Type"].startswith("text/html")
        text = page.decode()
        clicks = text.split('data-metric="clicks"', 1)[1]
        assert '<span class="stat-value">1</span>' in clicks.split("</div>", 1)[0]
        assert 'data-metric="uniqueClicks"' not in text  # only the metric the owner chose
    finally:
        assert server.stop() == 0

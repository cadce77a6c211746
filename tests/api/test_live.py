"""The live feed through HTTP: recent clicks, QR scans, deep-link opens and conversions with link
titles and campaign names, newest first, summary counts in `meta`; the live counters; the SSE
stream read from a real waitress server (replay after Last-Event-ID, new events while open,
heartbeats, the bounded end, the limit on open streams); 426/503 on the WebSocket route."""

from __future__ import annotations

import http.client
import json
import time
from urllib.parse import urlsplit

import pytest

from linkhub.api import live as live_api
from tests.api.revenue_support import (
    UA,
    at,
    click,
    error,
    flush,
    get,
    make_campaign,
    make_link,
    track,
)

LIVE = "/api/analytics/live"


@pytest.fixture
def settings_overrides() -> dict:
    return {"THREADS": 4}  # one live stream at a time


@pytest.fixture
def feed(app, client, alice):
    """12:00:00 a click on `promo` (campaign Launch); 12:27 a QR scan on it; 12:29:10 a bot;
    12:29:20 a deep-link open of `mobile`; 12:29:30 a human click on it; 12:29:45 a 10 USD
    sale on the QR scan. The clock then reads 12:30:00."""
    at(2026, 5, 4, 11, 0)
    launch = make_campaign(client, alice, "Launch")
    promo = make_link(client, alice, "promo", "Promo page", launch)
    response = client.post("/api/links", headers=alice.headers, json={
        "destinationUrl": "https://shop.example/", "shortCode": "mobile", "title": "App",
        "deepLinkEnabled": True, "deepLinkIos": "https://apps.example/open"})
    assert response.status_code == 201, response.get_json()
    app_link = response.get_json()["data"]["id"]
    for moment, path, agent in (((12, 0), "/promo", "chrome-windows"),
                                ((12, 27), "/promo?qr=1", "pixel-chrome"),
                                ((12, 29, 10), "/promo", "googlebot"),
                                ((12, 29, 20), "/mobile", "iphone-safari"),
                                ((12, 29, 30), "/mobile", "chrome-windows")):
        at(2026, 5, 4, *moment)
        cid = click(app, path, agent, "81.2.69.142")
        if moment == (12, 27):
            scan = cid
    flush(app)
    at(2026, 5, 4, 12, 29, 45)
    sale = track(client, alice, scan, "purchase", 10, orderId="A-1", customerExternalId="c-9")
    at(2026, 5, 4, 12, 30)
    return {"launch": launch, "promo": promo, "app": app_link, "sale": sale, "scan": scan}


def test_recent_events_newest_first_with_names_and_counts(client, alice, feed):
    body = get(client, alice, LIVE, minutes="5")
    events = body["data"]
    assert [(e["type"], e["linkTitle"], e["campaignName"], e["timestamp"]) for e in events] == [
        ("conversion", "Promo page", "Launch", "2026-05-04T12:29:45.000Z"),
        ("click", "App", None, "2026-05-04T12:29:30.000Z"),
        ("click", "App", None, "2026-05-04T12:29:20.000Z"),
        ("qr_scan", "Promo page", "Launch", "2026-05-04T12:27:00.000Z")]
    sale, web, deep, scan = events
    assert (sale["id"], sale["event"], sale["kind"], sale["value"], sale["currency"],
            sale["clickId"], sale["linkId"], sale["campaignId"]) == (
        feed["sale"], "purchase", "sale", 10, "USD", feed["scan"], feed["promo"],
        feed["launch"])
    assert sale["customerId"].startswith("cus_") and sale["orderId"] == "A-1"
    assert (deep["trigger"], web["trigger"], scan["trigger"]) == ("deeplink", "link", "qr")
    assert (scan["id"], scan["country"], scan["shortCode"]) == (feed["scan"], "GB", "promo")
    assert body["meta"]["counts"] == {"clicks": 2, "qrScans": 1, "conversions": 1, "leads": 0,
                                      "sales": 1, "revenueUsd": 10, "total": 4}
    assert {k: body["meta"][k] for k in ("minutes", "since", "until", "returned",
                                         "truncated", "includeBots")} == {
        "minutes": 5, "since": "2026-05-04T12:25:00.000Z",
        "until": "2026-05-04T12:30:00.000Z", "returned": 4, "truncated": False,
        "includeBots": False}


def test_window_limit_and_bots(client, alice, feed):
    assert len(get(client, alice, LIVE)["data"]) == 4  # default 5 minutes
    hour = get(client, alice, LIVE, minutes="60")
    assert len(hour["data"]) == 5 and hour["data"][-1]["timestamp"] == "2026-05-04T12:00:00.000Z"
    bots = get(client, alice, LIVE, includeBots="true")["data"]
    assert [e["bot"] for e in bots if e["type"] != "conversion"] == [False, False, True, False]
    two = get(client, alice, LIVE, limit="2")
    assert len(two["data"]) == 2 and two["meta"]["truncated"] is True
    at(2026, 5, 4, 12, 36)
    assert get(client, alice, LIVE)["data"] == []


def test_stats_count_the_last_minute_five_minutes_and_hour(client, alice, feed):
    body = get(client, alice, LIVE + "/stats")["data"]
    assert {k: (v["clicks"], v["qrScans"], v["conversions"], v["sales"], v["revenueUsd"])
            for k, v in body.items() if k.startswith("last")} == {
        "lastMinute": (2, 0, 1, 1, 10), "last5Minutes": (2, 1, 1, 1, 10),
        "lastHour": (3, 1, 1, 1, 10)}
    bots = get(client, alice, LIVE + "/stats", includeBots="1")["data"]
    assert bots["lastMinute"]["clicks"] == 3 and bots["at"] == "2026-05-04T12:30:00.000Z"


def test_unflushed_clicks_appear_after_the_writer_flush(app, client, alice, feed):
    at(2026, 5, 4, 12, 31)
    click(app, "/promo", "iphone-safari", "8.8.8.8")
    assert len(get(client, alice, LIVE)["data"]) == 4
    flush(app)
    assert get(client, alice, LIVE)["data"][0]["country"] == "US"


def test_other_workspaces_see_nothing_and_bad_params_are_400(client, alice, charlie, feed):
    assert get(client, charlie, LIVE, minutes="60")["data"] == []
    assert get(client, charlie, LIVE + "/stats")["data"]["lastHour"]["total"] == 0
    for params, field in (({"minutes": "0"}, "minutes"), ({"minutes": "61"}, "minutes"),
                          ({"minutes": "five"}, "minutes"), ({"limit": "501"}, "limit"),
                          ({"includeBots": "perhaps"}, "includeBots")):
        body = error(client, alice, LIVE, 400, **params)
        assert body["code"] == "VALIDATION_ERROR" and body["details"][0]["field"] == field
    assert error(client, alice, LIVE + "/stats", 400, includeBots="x")["code"] == \
        "VALIDATION_ERROR"


def test_websocket_route_answers_426_then_503_pointing_to_sse(client, alice):
    body = error(client, alice, LIVE + "/ws", 426)
    assert body["code"] == "UPGRADE_REQUIRED" and body["stream"] == LIVE + "/stream"
    response = client.get(LIVE + "/ws", headers={**alice.headers, "Upgrade": "websocket",
                                                  "Connection": "Upgrade"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert "/api/analytics/live/stream" in response.get_json()["error"]["message"]
    assert client.get(LIVE + "/ws").status_code == 401


# --- the SSE stream -------------------------------------------------------------------------------

@pytest.fixture
def short_streams(monkeypatch):
    monkeypatch.setattr(live_api, "POLL_SECONDS", 0.05)
    monkeypatch.setattr(live_api, "HEARTBEAT_SECONDS", 0.2)


def open_stream(server, persona, last_event_id: str | None = None):
    connection = http.client.HTTPConnection(urlsplit(server.url).netloc, timeout=20)
    headers = {**persona.headers, "Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    connection.request("GET", LIVE + "/stream", headers=headers)
    return connection, connection.getresponse()


def frames(text: str) -> list[dict]:
    """Parse SSE text into frames: {'comment': ...} or {'event', 'id', 'data', 'retry'}."""
    out = []
    for block in text.strip().split("\n\n"):
        frame: dict = {}
        for line in block.split("\n"):
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "":
                frame["comment"] = value
            else:
                frame[name] = json.loads(value) if name == "data" else value
        out.append(frame)
    return out


def test_stream_replays_after_last_event_id_then_ends(monkeypatch, live_server, alice, feed,
                                                      short_streams):
    monkeypatch.setattr(live_api, "STREAM_SECONDS", 1.0)
    at(2026, 5, 4, 12, 30)
    connection, response = open_stream(live_server, alice, last_event_id="0.0")
    try:
        assert response.status == 200
        assert response.getheader("Content-Type").startswith("text/event-stream")
        assert response.getheader("Cache-Control") == "no-store"
        got = frames(response.read().decode())  # the server ends the stream itself
    finally:
        response.close()
        connection.close()
    assert got[0] == {"retry": "3000", "comment": "linkhub live stream"}
    assert got[1]["event"] == "ready"
    items = [f["data"] for f in got if "data" in f and "event" not in f]
    assert [(i["type"], i["linkTitle"]) for i in items] == [
        ("click", "Promo page"), ("qr_scan", "Promo page"), ("click", "App"),
        ("click", "App"), ("conversion", "Promo page")]
    assert {"comment": "heartbeat"} in got
    assert got[-1]["event"] == "end" and got[-1]["data"]["reason"] == "timeout"
    assert got[-1]["id"] == [f for f in got if "data" in f and "event" not in f][-1]["id"]


def next_frame(response) -> dict | None:
    """Read one SSE frame (None at the end of the stream)."""
    lines: list[str] = []
    while True:
        line = response.readline().decode()
        if line in ("", "\n"):
            if lines or line == "":
                return frames("\n".join(lines))[0] if lines else None
            continue
        lines.append(line.rstrip("\n"))


def test_stream_sends_new_events_and_frees_its_slot(app, client, monkeypatch, live_server,
                                                   alice, short_streams):
    monkeypatch.setattr(live_api, "STREAM_SECONDS", 30.0)
    link = make_link(client, alice, "now", "Right now")
    connection, response = open_stream(live_server, alice)
    try:
        assert response.status == 200
        while next_frame(response).get("event") != "ready":
            pass
        visitor = http.client.HTTPConnection(urlsplit(live_server.url).netloc, timeout=20)
        visitor.request("GET", "/now?qr=1", headers={"User-Agent": UA["iphone-safari"]})
        assert visitor.getresponse().status == 302
        visitor.close()
        flush(app)
        frame = next_frame(response)
        while "data" not in frame or "event" in frame:  # heartbeats until the event
            frame = next_frame(response)
        event = frame["data"]
        assert (event["type"], event["linkId"], event["linkTitle"]) == ("qr_scan", link,
                                                                       "Right now")
        assert frame["id"]  # the resume cursor
    finally:
        response.close()
        connection.close()  # the client goes away mid-stream
    for _ in range(200):  # the server notices at its next heartbeat and frees the slot
        second, answer = open_stream(live_server, alice)
        status = answer.status
        answer.close()
        second.close()
        if status == 200:
            break
        assert status == 503
        time.sleep(0.05)
    assert status == 200


def test_only_a_few_streams_at_once(app, alice, monkeypatch, short_streams):
    monkeypatch.setattr(live_api, "STREAM_SECONDS", 30.0)
    opened = []
    try:
        for _ in range(app.config["LINKHUB"]["THREADS"] // 4):  # one
            response = app.test_client().get(LIVE + "/stream", headers=alice.headers,
                                             buffered=False)
            assert response.status_code == 200
            opened.append(response)
        refused = app.test_client().get(LIVE + "/stream", headers=alice.headers)
        assert refused.status_code == 503
        assert refused.get_json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert refused.headers["Retry-After"] == "30"
        opened.pop().close()
        again = app.test_client().get(LIVE + "/stream", headers=alice.headers, buffered=False)
        assert again.status_code == 200
        opened.append(again)
    finally:
        for response in opened:
            response.close()


def test_head_on_the_stream_answers_at_once(client, alice):
    response = client.head(LIVE + "/stream", headers=alice.headers)
    assert response.status_code == 200
    assert response.mimetype == "text/event-stream" and response.data == b""

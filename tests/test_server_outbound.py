"""The real `linkhub serve` over real HTTP with outbound destinations: creating a link makes a
Slack-kind destination receive a Slack-shaped message and a Segment destination a track call
with Basic auth, both on a local receiver; a Zapier hook subscribed with a Bearer key gets the
signed event; /api/metatags reads a local page."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.test_server import WAIT, Server, init_data_dir
from tests.test_server_revenue import api, call
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.server


class _Page(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        body = b"<html><head><meta property='og:title' content='Served page'></head></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_link_events_reach_slack_segment_and_zapier(tmp_path):
    data_dir, key = init_data_dir(tmp_path)
    page_server = ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    page_server.daemon_threads = True
    threading.Thread(target=page_server.serve_forever, daemon=True).start()
    with Receiver() as slack, Receiver() as segment, Receiver() as zapier:
        server = Server(data_dir, WEBHOOK_ALLOW_PRIVATE="1", METATAGS_ALLOW_PRIVATE="1")
        try:
            server.wait_healthy()
            base = server.url
            outbound = f"{base}/api/integrations/outbound"
            api(outbound, "POST", key, {"kind": "slack", "url": slack.at("/services/T/B/x"),
                                        "events": ["link.created"]}, 201)
            api(outbound, "POST", key, {"kind": "segment", "writeKey": "wk_served",
                                        "endpoint": segment.at("/v1/track"),
                                        "events": ["link.created"]}, 201)
            status, _, raw = call(f"{base}/api/integrations/webhooks/zapier/subscribe", "POST",
                                  body={"hookUrl": zapier.at("/hooks/catch/1"),
                                        "event": "link.created"},
                                  headers={"Authorization": f"Bearer {key}"})
            assert status == 201, raw
            subscription = json.loads(raw)["data"]

            link = api(f"{base}/api/links", "POST", key,
                       {"destinationUrl": "https://shop.example/served", "shortCode": "sent"},
                       201)

            (message,) = slack.wait_for(1, WAIT)
            body = json.loads(message.body)
            assert "sent" in body["text"] and body["blocks"][0]["type"] == "section"
            assert message.headers["content-type"] == "application/json"

            (track,) = segment.wait_for(1, WAIT)
            assert track.path == "/v1/track"
            assert track.headers["authorization"] == "Basic " + base64.b64encode(
                b"wk_served:").decode()
            call_body = json.loads(track.body)
            assert call_body["event"] == "link.created"
            assert call_body["properties"]["id"] == link["id"]

            (hook,) = zapier.wait_for(1, WAIT)
            listed = api(outbound, "GET", key)
            assert subscription["id"] in {d["id"] for d in listed}
            event = json.loads(hook.body)
            assert event["type"] == "link.created" and event["data"]["shortCode"] == "sent"
            assert hook.headers["webhook-signature"].startswith("v1,")

            log_url = f"{outbound}/{subscription['id']}/deliveries"
            deadline = time.monotonic() + WAIT  # the receiver may answer before the log row
            while [d["status"] for d in api(log_url, "GET", key)] != ["succeeded"]:
                assert time.monotonic() < deadline, api(log_url, "GET", key)
                time.sleep(0.1)

            tags = api(f"{base}/api/metatags?url=http://127.0.0.1:{page_server.server_port}/",
                       "GET", key)
            assert tags["title"] == "Served page"
        finally:
            assert server.stop() == 0
            page_server.shutdown()
            page_server.server_close()

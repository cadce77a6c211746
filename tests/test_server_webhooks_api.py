"""The real `linkhub serve` over real HTTP: a webhook created through /api/webhooks-manage for a
local receiver gets the `link.created` event of a link made next, signed (checked with
`standardwebhooks`), and the delivery shows up as succeeded in the log; the secret is shown
only on create."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from tests.test_server import WAIT, Server, init_data_dir
from tests.test_server_revenue import api, call
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.server


def test_a_link_created_over_http_is_delivered_signed(tmp_path):
    data_dir, key = init_data_dir(tmp_path)
    with Receiver() as receiver:
        server = Server(data_dir, WEBHOOK_ALLOW_PRIVATE="1")
        try:
            server.wait_healthy()
            base = server.url
            hook = api(f"{base}/api/webhooks-manage", "POST", key,
                       {"url": receiver.url, "events": ["link.created"],
                        "description": "served"}, 201)
            secret = hook["secret"]
            assert secret.startswith("whsec_")
            shown = api(f"{base}/api/webhooks-manage/{hook['id']}", "GET", key)
            assert shown["secret"] == f"whsec_…{secret[-4:]}"

            link = api(f"{base}/api/links", "POST", key,
                       {"destinationUrl": "https://example.com/served", "shortCode": "hooked"},
                       201)
            request = receiver.wait_for(1, timeout=WAIT)[0]
            headers = request.headers  # lower-case names
            body = Verifier(secret).verify(request.body, headers)
            assert body["type"] == "link.created" and body["data"]["id"] == link["id"]
            assert body["id"] == headers["webhook-id"] and body["workspaceId"]

            log, deadline = [], time.monotonic() + WAIT
            while time.monotonic() < deadline:
                log = api(f"{base}/api/webhooks-manage/{hook['id']}/deliveries", "GET", key)
                if log and log[0]["status"] == "succeeded":
                    break
                time.sleep(0.05)
            assert [(d["eventType"], d["status"], d["eventId"]) for d in log] == [
                ("link.created", "succeeded", body["id"])]
            status, _, raw = call(f"{base}/api/webhooks-manage", "GET", key)
            assert status == 200 and secret not in raw.decode()
        finally:
            assert server.stop() == 0

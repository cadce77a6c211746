"""/api/integrations/outbound: per-kind rules (webhook, Slack, Zapier, Segment), private
targets, trigger events, CRUD with isolation and roles, test sends to a real local receiver
(status, body and time shown), the delivery log, and events reaching a destination."""

from __future__ import annotations

import base64
import json

import pytest

from linkhub.models import AuditLog, Webhook, WebhookDelivery
from linkhub.services import net_guard, webhook_delivery, webhooks
from tests.conftest import db_snapshot
from tests.webhook_receiver import Receiver

BASE = "/api/integrations/outbound"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXX"


@pytest.fixture
def settings_overrides():
    return {"WEBHOOK_ALLOW_PRIVATE": True}


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def public_dns(monkeypatch):
    """Every name resolves to a public address (no test reaches the real DNS)."""
    monkeypatch.setattr(net_guard, "resolve_host", lambda host, port: ["93.184.215.14"])


@pytest.fixture
def private_off(app):
    app.config["LINKHUB"]["WEBHOOK_ALLOW_PRIVATE"] = False


def create(client, persona, status=201, **body):
    response = client.post(BASE, json=body, headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"] if status < 300 else response.get_json()


def fields(body) -> dict[str, str]:
    assert body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR", body
    return {d["field"]: d["message"] for d in body["error"]["details"]}


# --- create, per kind -----------------------------------------------------------------------

def test_create_a_webhook_destination_reveals_the_secret_once(client, alice, receiver):
    data = create(client, alice, kind="webhook", url=receiver.at("/hook"), name="Ops",
                  events=["link.created", "click"])
    assert data["id"].startswith("wh_") and data["kind"] == "webhook"
    assert data["events"] == ["link.created", "link.clicked"]  # the alias is spelled out
    assert data["secret"].startswith("whsec_") and len(data["secret"]) > 20
    assert data["state"] == "active" and data["enabled"] is True and data["config"] == {}
    again = client.get(f"{BASE}/{data['id']}", headers=alice.headers).get_json()["data"]
    assert again["secret"] != data["secret"] and again["secret"].endswith(data["secret"][-4:])
    assert {k: v for k, v in again.items() if k not in ("secret",)} == {
        k: v for k, v in data.items() if k not in ("secret",)}
    row = Webhook.get(Webhook.public_id == data["id"])
    assert row.scope == "outbound"
    assert AuditLog.select().where(AuditLog.action == "outbound.create",
                                   AuditLog.resource_id == data["id"]).count() == 1


def test_segment_needs_a_write_key_and_defaults_its_endpoint(client, app, alice, public_dns,
                                                             private_off):
    before = db_snapshot(app)
    assert fields(create(client, alice, 400, kind="segment", events=["link.created"])) == {
        "writeKey": "is required for a Segment destination"}
    assert db_snapshot(app) == before
    data = create(client, alice, kind="segment", writeKey="wk_secret_1234",
                  events=["sale.created"])
    assert data["url"] == "https://api.segment.io/v1/track"
    assert data["config"] == {"writeKey": "…1234", "endpoint": data["url"]}
    row = Webhook.get(Webhook.public_id == data["id"])
    assert row.config == {"writeKey": "wk_secret_1234", "endpoint": data["url"]}
    changed = client.patch(f"{BASE}/{data['id']}", headers=alice.headers,
                           json={"endpoint": "https://events.eu1.segmentapis.com/v1/track"})
    assert changed.status_code == 200, changed.get_json()
    row = Webhook.get_by_id(row.id)
    assert row.config == {"writeKey": "wk_secret_1234",
                          "endpoint": "https://events.eu1.segmentapis.com/v1/track"}
    assert row.url == row.config["endpoint"]


def test_slack_needs_a_slack_url_unless_private_targets_are_allowed(client, app, alice,
                                                                    public_dns, private_off):
    before = db_snapshot(app)
    problems = fields(create(client, alice, 400, kind="slack", url="https://example.com/hook",
                             events=["link.created"]))
    assert "hooks.slack.com" in problems["url"]
    assert db_snapshot(app) == before
    data = create(client, alice, kind="slack", url=SLACK_URL, events=["link.created"])
    assert data["url"] == SLACK_URL


def test_slack_takes_a_local_receiver_when_private_targets_are_allowed(client, alice, receiver):
    data = create(client, alice, kind="slack", url=receiver.at("/slack"),
                  events=["link.created"])
    assert data["kind"] == "slack"


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://169.254.169.254/latest",
                                 "http://[::1]:8080/", "http://10.1.2.3/", "http://localhost/"])
def test_private_targets_are_refused(client, app, alice, private_off, url):
    before = db_snapshot(app)
    for kind in ("webhook", "zapier", "slack"):
        problems = fields(create(client, alice, 400, kind=kind, url=url,
                                 events=["link.created"]))
        assert "url" in problems
    problems = fields(create(client, alice, 400, kind="segment", writeKey="k", endpoint=url,
                             events=["link.created"]))
    assert "endpoint" in problems
    assert db_snapshot(app) == before


@pytest.mark.parametrize("body, field", [
    ({}, "kind"), ({"kind": "email"}, "kind"), ({"kind": "webhook"}, "url"),
    ({"kind": "webhook", "url": "ftp://x.example/"}, "url"),
    ({"kind": "webhook", "url": "https://u:p@x.example/"}, "url"),
    ({"kind": "webhook", "url": "https://x.example/", "events": []}, "events"),
    ({"kind": "webhook", "url": "https://x.example/", "events": ["nope"]}, "events.0"),
    ({"kind": "webhook", "url": "https://x.example/", "events": ["partner.created"]},
     "events.0"),
    ({"kind": "webhook", "url": "https://x.example/", "events": "link.created"}, "events"),
    ({"kind": "webhook", "url": "https://x.example/", "events": ["link.created"],
      "enabled": "yes"}, "enabled"),
    ({"kind": "webhook", "url": "https://x.example/", "events": ["link.created"],
      "name": "n" * 201}, "name"),
    ({"kind": "segment", "writeKey": "has space", "events": ["link.created"]}, "writeKey"),
])
def test_bad_input_is_400_and_changes_nothing(client, app, alice, public_dns, body, field):
    before = db_snapshot(app)
    body = {"events": ["link.created"], **body} if "events" not in body and body else body
    problems = fields(create(client, alice, 400, **body))
    assert field in problems, problems
    assert db_snapshot(app) == before


# --- events, list, get, update, delete ------------------------------------------------------

def test_trigger_events_leave_out_the_reserved_ones(client, alice):
    body = client.get(f"{BASE}/events", headers=alice.headers).get_json()
    types = [e["type"] for e in body["data"]]
    assert {"link.created", "link.clicked", "qr.scanned", "conversion.created",
            "lead.created", "sale.created"} <= set(types)
    assert not [t for t in types if t.split(".")[0] in ("partner", "commission", "bounty",
                                                        "payout")]
    assert all(e["schema"]["type"] == "object" for e in body["data"])
    assert body["pagination"]["total"] == len(types)


def test_list_get_update_delete(client, alice, receiver):
    first = create(client, alice, kind="webhook", url=receiver.at("/a"), events=["link.created"])
    second = create(client, alice, kind="zapier", url=receiver.at("/b"), events=["sale.created"])
    listed = client.get(BASE, headers=alice.headers).get_json()
    assert [d["id"] for d in listed["data"]] == [second["id"], first["id"]]
    zapier_only = client.get(f"{BASE}?kind=zapier", headers=alice.headers).get_json()["data"]
    assert [d["id"] for d in zapier_only] == [second["id"]]
    assert client.get(f"{BASE}?kind=fax", headers=alice.headers).status_code == 400

    patched = client.patch(f"{BASE}/{first['id']}", headers=alice.headers,
                           json={"name": "Renamed", "events": ["link.updated"],
                                 "enabled": False})
    assert patched.status_code == 200, patched.get_json()
    data = patched.get_json()["data"]
    assert (data["name"], data["events"], data["state"]) == ("Renamed", ["link.updated"],
                                                             "disabled")
    refused = client.patch(f"{BASE}/{first['id']}", headers=alice.headers,
                           json={"kind": "slack"})
    assert fields(refused.get_json()) == {"kind": "cannot be changed; create another "
                                                  "destination"}
    nulls = client.patch(f"{BASE}/{first['id']}", headers=alice.headers,
                         json={"events": None, "url": None})
    assert set(fields(nulls.get_json())) == {"events", "url"}

    gone = client.delete(f"{BASE}/{first['id']}", headers=alice.headers)
    assert gone.get_json()["data"] == {"id": first["id"], "deleted": True}
    assert client.get(f"{BASE}/{first['id']}", headers=alice.headers).status_code == 404
    assert client.delete(f"{BASE}/{first['id']}", headers=alice.headers).status_code == 404


def test_reenabling_clears_an_auto_disable(client, alice, receiver):
    data = create(client, alice, kind="webhook", url=receiver.at("/a"), events=["link.created"])
    Webhook.update(enabled=False, consecutive_failures=20, disabled_reason="20 failures",
                   disabled_at=Webhook.created_at).where(
        Webhook.public_id == data["id"]).execute()
    shown = client.get(f"{BASE}/{data['id']}", headers=alice.headers).get_json()["data"]
    assert shown["state"] == "auto_disabled" and shown["consecutiveFailures"] == 20
    again = client.patch(f"{BASE}/{data['id']}", headers=alice.headers,
                         json={"enabled": True}).get_json()["data"]
    assert again["state"] == "active" and again["consecutiveFailures"] == 0
    assert again["disabledAt"] is None and again["disabledReason"] is None


def test_other_workspaces_and_other_scopes_answer_404(client, app, alice, charlie, receiver):
    data = create(client, alice, kind="webhook", url=receiver.at("/a"), events=["link.created"])
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"name": "x"}} if method == "patch" else {}
        response = getattr(client, method)(f"{BASE}/{data['id']}", headers=charlie.headers,
                                           **kwargs)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == \
            "NOT_FOUND"
    assert client.post(f"{BASE}/{data['id']}/test", headers=charlie.headers).status_code == 404
    assert client.get(f"{BASE}/{data['id']}/deliveries",
                      headers=charlie.headers).status_code == 404
    assert client.get(BASE, headers=charlie.headers).get_json()["data"] == []
    with app.app_context():
        workspace_hook = webhooks.create_webhook(alice.workspace, None, {
            "url": receiver.at("/w"), "events": ["link.created"]})
    assert client.get(f"{BASE}/{workspace_hook.public_id}",
                      headers=alice.headers).status_code == 404
    for bad in ("wh_nope", "link_0123456789abcdef", "x"):
        assert client.get(f"{BASE}/{bad}", headers=alice.headers).status_code == 404


def test_editors_read_but_do_not_manage(client, app, alice, bob, receiver):
    data = create(client, alice, kind="webhook", url=receiver.at("/a"), events=["link.created"])
    assert client.get(BASE, headers=bob.headers).status_code == 200
    before = db_snapshot(app)
    for method, url in (("post", BASE), ("patch", f"{BASE}/{data['id']}"),
                        ("delete", f"{BASE}/{data['id']}"), ("post", f"{BASE}/{data['id']}/test")):
        response = client.open(url, method=method.upper(), headers=bob.headers,
                               json={"kind": "webhook", "url": receiver.at("/b"),
                                     "events": ["link.created"]})
        assert response.status_code == 403, (method, url)
    assert db_snapshot(app) == before
    assert receiver.requests == []


# --- test sends and the delivery log --------------------------------------------------------

def test_test_send_shows_status_body_and_time(client, alice, receiver):
    receiver.reply(200, b'{"ok":true}')
    data = create(client, alice, kind="webhook", url=receiver.at("/hook"),
                  events=["sale.created"])
    response = client.post(f"{BASE}/{data['id']}/test", headers=alice.headers)
    assert response.status_code == 200, response.get_json()
    result = response.get_json()["data"]
    assert result["success"] is True and result["statusCode"] == 200
    assert result["responseBody"] == '{"ok":true}' and result["event"] == "sale.created"
    assert isinstance(result["responseTimeMs"], int) and result["responseTimeMs"] >= 0
    (request,) = receiver.requests
    payload = json.loads(request.body)
    assert payload["type"] == "sale.created" and payload["data"]["kind"] == "sale"
    assert request.headers["webhook-signature"].startswith("v1,")

    log = client.get(f"{BASE}/{data['id']}/deliveries", headers=alice.headers).get_json()
    assert log["pagination"]["total"] == 1
    (entry,) = log["data"]
    assert entry["id"] == result["deliveryId"] and entry["status"] == "succeeded"
    assert client.get(f"{BASE}/{data['id']}/deliveries?status=failed",
                      headers=alice.headers).get_json()["data"] == []
    assert client.get(f"{BASE}/{data['id']}/deliveries?status=odd",
                      headers=alice.headers).status_code == 400


def test_a_failing_test_send_reports_the_answer(client, alice, receiver):
    receiver.reply(500, b"boom")
    data = create(client, alice, kind="zapier", url=receiver.at("/z"), events=["link.created"])
    result = client.post(f"{BASE}/{data['id']}/test", headers=alice.headers).get_json()["data"]
    assert result["success"] is False and result["statusCode"] == 500
    assert result["responseBody"] == "boom"


def test_slack_test_send_is_a_slack_message(client, alice, receiver):
    data = create(client, alice, kind="slack", url=receiver.at("/slack"),
                  events=["link.created"])
    client.post(f"{BASE}/{data['id']}/test", headers=alice.headers)
    (request,) = receiver.requests
    message = json.loads(request.body)
    assert isinstance(message["text"], str) and message["text"]
    assert message["blocks"][0]["type"] == "section"


def test_segment_test_send_is_a_track_call_with_basic_auth(client, alice, receiver):
    data = create(client, alice, kind="segment", writeKey="wk_live_42",
                  endpoint=receiver.at("/v1/track"), events=["sale.created"])
    result = client.post(f"{BASE}/{data['id']}/test", headers=alice.headers).get_json()["data"]
    assert result["success"] is True
    (request,) = receiver.requests
    assert request.path == "/v1/track"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(
        b"wk_live_42:").decode()
    track = json.loads(request.body)
    assert track["event"] == "sale.created" and track["messageId"].startswith("evt_")


def test_a_subscribed_destination_gets_link_events(client, alice, receiver):
    data = create(client, alice, kind="slack", url=receiver.at("/slack"),
                  events=["link.created"])
    link = client.post("/api/links", headers=alice.headers,
                       json={"destinationUrl": "https://shop.example/a", "shortCode": "outb"})
    assert link.status_code == 201, link.get_json()
    row = Webhook.get(Webhook.public_id == data["id"])
    assert WebhookDelivery.select().where(WebhookDelivery.webhook == row).count() == 1
    webhook_delivery.deliver_due()
    (request,) = receiver.requests
    assert "outb" in json.loads(request.body)["text"]
    # switched off: the next link makes no delivery for it
    client.patch(f"{BASE}/{data['id']}", headers=alice.headers, json={"enabled": False})
    client.post("/api/links", headers=alice.headers,
                json={"destinationUrl": "https://shop.example/b"})
    assert WebhookDelivery.select().where(WebhookDelivery.webhook == row).count() == 1

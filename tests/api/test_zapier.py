"""Zapier REST hooks under /api/integrations/webhooks/zapier with an API-key bearer: subscribe
(an outbound `zapier` destination), unsubscribe, samples, dropdown lists, events and the auth
test; scopes and roles enforced, other workspaces isolated, and a subscribed hook receiving a
signed event from a real local receiver."""

from __future__ import annotations

import json

import pytest
from standardwebhooks.webhooks import Webhook as Verifier

from linkhub.models import Webhook
from linkhub.services import webhook_delivery
from linkhub.services.api_keys import create_api_key
from tests.conftest import db_snapshot
from tests.webhook_receiver import Receiver

BASE = "/api/integrations/webhooks/zapier"


@pytest.fixture
def settings_overrides():
    return {"WEBHOOK_ALLOW_PRIVATE": True}


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def bearer(persona_or_key) -> dict[str, str]:
    key = getattr(persona_or_key, "api_key", persona_or_key)
    return {"Authorization": f"Bearer {key}"}


def key_with(app, persona, scopes: list[str]) -> str:
    with app.app_context():
        _, raw = create_api_key(persona.workspace, persona.user, "zapier", scopes)
    return raw


def subscribe(client, persona, hook_url: str, event: str = "link.created", status: int = 201):
    response = client.post(f"{BASE}/subscribe", headers=bearer(persona),
                           json={"hookUrl": hook_url, "event": event})
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"] if status < 300 else response.get_json()


def test_subscribe_creates_a_zapier_destination(client, alice, receiver):
    data = subscribe(client, alice, receiver.at("/hooks/catch/1"))
    assert data["id"].startswith("wh_") and data["event"] == "link.created"
    assert data["hookUrl"] == receiver.at("/hooks/catch/1") and data["createdAt"]
    row = Webhook.get(Webhook.public_id == data["id"])
    assert (row.scope, row.kind, row.events) == ("outbound", "zapier", ["link.created"])
    listed = client.get("/api/integrations/outbound?kind=zapier", headers=alice.headers)
    assert [d["id"] for d in listed.get_json()["data"]] == [data["id"]]


def test_subscribe_takes_zapiers_target_url_and_short_names(client, alice, receiver):
    response = client.post(f"{BASE}/subscribe", headers=bearer(alice),
                           json={"target_url": receiver.at("/t"), "event": "click"})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["event"] == "link.clicked"


@pytest.mark.parametrize("body, field", [
    ({}, "event"), ({"event": "link.created"}, "hookUrl"),
    ({"hookUrl": "https://hooks.zapier.com/x", "event": "nope"}, "event"),
    ({"hookUrl": "https://hooks.zapier.com/x", "event": "payout.sent"}, "event"),
    ({"hookUrl": "file:///etc/passwd", "event": "link.created"}, "hookUrl"),
])
def test_bad_subscriptions_are_400_and_change_nothing(client, app, alice, body, field):
    before = db_snapshot(app)
    response = client.post(f"{BASE}/subscribe", headers=bearer(alice), json=body)
    assert response.status_code == 400
    assert field in {d["field"] for d in response.get_json()["error"]["details"]}
    assert db_snapshot(app) == before


def test_private_hook_urls_are_refused_by_default(client, app, alice):
    app.config["LINKHUB"]["WEBHOOK_ALLOW_PRIVATE"] = False
    before = db_snapshot(app)
    body = subscribe(client, alice, "http://169.254.169.254/latest/meta-data", status=400)
    assert body["error"]["details"][0]["field"] == "hookUrl"
    assert db_snapshot(app) == before


def test_unsubscribe(client, alice, charlie, receiver):
    data = subscribe(client, alice, receiver.at("/h"))
    assert client.delete(f"{BASE}/subscribe/{data['id']}",
                         headers=bearer(charlie)).status_code == 404
    response = client.delete(f"{BASE}/subscribe/{data['id']}", headers=bearer(alice))
    assert response.get_json()["data"] == {"id": data["id"], "deleted": True}
    assert Webhook.get_or_none(Webhook.public_id == data["id"]) is None
    assert client.delete(f"{BASE}/subscribe/{data['id']}",
                         headers=bearer(alice)).status_code == 404


def test_unsubscribe_touches_only_zapier_destinations(client, alice, receiver):
    other = client.post("/api/integrations/outbound", headers=alice.headers, json={
        "kind": "webhook", "url": receiver.at("/w"), "events": ["link.created"]})
    other_id = other.get_json()["data"]["id"]
    assert client.delete(f"{BASE}/subscribe/{other_id}", headers=bearer(alice)).status_code \
        == 404
    assert Webhook.get_or_none(Webhook.public_id == other_id) is not None


def test_scopes_and_roles_are_enforced(client, app, alice, bob, receiver):
    links_only = key_with(app, alice, ["links:read"])
    before = db_snapshot(app)
    response = client.post(f"{BASE}/subscribe", headers=bearer(links_only),
                           json={"hookUrl": receiver.at("/h"), "event": "link.created"})
    assert response.status_code == 403
    assert client.get(f"{BASE}/perform-list/links", headers=bearer(links_only)).status_code \
        == 200
    assert client.get(f"{BASE}/perform-list/campaigns",
                      headers=bearer(links_only)).status_code == 403
    assert client.get(f"{BASE}/events", headers=bearer(links_only)).status_code == 403
    assert client.post(f"{BASE}/test", headers=bearer(links_only)).status_code == 200
    # an editor's key (webhooks are managed by admins)
    response = client.post(f"{BASE}/subscribe", headers=bearer(bob),
                           json={"hookUrl": receiver.at("/h"), "event": "link.created"})
    assert response.status_code == 403
    assert db_snapshot(app) == before
    for path in ("/events", "/perform-list/links", "/sample/link.created"):
        assert client.get(BASE + path).status_code == 401
        assert client.get(BASE + path, headers={"Authorization": "Bearer lh_" + "x" * 40}) \
            .get_json()["error"]["code"] == "INVALID_API_KEY"


def test_sample_payloads(client, alice):
    body = client.get(f"{BASE}/sample/sale.created", headers=bearer(alice)).get_json()
    sample = body["data"]
    assert sample["type"] == "sale.created" and sample["workspaceId"] == alice.workspace_id
    assert set(sample) == {"id", "type", "createdAt", "workspaceId", "data"}
    assert sample["data"]["kind"] == "sale"
    assert client.get(f"{BASE}/sample/click", headers=bearer(alice)).get_json()["data"][
        "type"] == "link.clicked"
    for bad in ("nope", "partner.created", "partner.*"):
        response = client.get(f"{BASE}/sample/{bad}", headers=bearer(alice))
        assert response.status_code == 404, bad


def test_perform_lists_show_only_the_workspace(client, alice, charlie):
    for code, title in (("zap-a", "First"), ("zap-b", None)):
        client.post("/api/links", headers=alice.headers,
                    json={"destinationUrl": "https://shop.example/" + code, "shortCode": code,
                          **({"title": title} if title else {})})
    client.post("/api/links", headers=charlie.headers,
                json={"destinationUrl": "https://other.example/", "shortCode": "theirs"})
    client.post("/api/campaigns", headers=alice.headers, json={"name": "Spring"})
    client.post("/api/campaigns", headers=charlie.headers, json={"name": "Hidden"})
    links = client.get(f"{BASE}/perform-list/links", headers=bearer(alice)).get_json()
    assert [item["shortCode"] for item in links["data"]] == ["zap-b", "zap-a"]
    assert links["data"][1]["label"].startswith("First (") and links["pagination"]["total"] == 2
    assert links["data"][0]["label"] == links["data"][0]["shortUrl"]
    paged = client.get(f"{BASE}/perform-list/links?limit=1&page=2", headers=bearer(alice))
    assert [i["shortCode"] for i in paged.get_json()["data"]] == ["zap-a"]
    campaigns = client.get(f"{BASE}/perform-list/campaigns", headers=bearer(alice)).get_json()
    assert [(c["name"], c["label"]) for c in campaigns["data"]] == [("Spring", "Spring")]


def test_events_list(client, alice):
    body = client.get(f"{BASE}/events", headers=bearer(alice)).get_json()
    types = {e["type"] for e in body["data"]}
    assert "link.created" in types and "sale.created" in types
    assert not any("*" in t or t.startswith("partner") for t in types)


def test_auth_test_names_the_workspace_and_key(client, app, alice):
    body = client.post(f"{BASE}/test", headers=bearer(alice)).get_json()["data"]
    assert body["workspace"] == {"id": alice.workspace_id, "name": "Alice Co"}
    assert body["apiKey"]["prefix"] == alice.api_key[:11] and body["apiKey"]["scopes"] == ["*"]
    assert body["user"]["email"] == alice.email
    assert client.post(f"{BASE}/test").status_code == 401


def test_a_subscribed_hook_receives_signed_events(client, alice, receiver):
    data = subscribe(client, alice, receiver.at("/hooks/catch/9"))
    link = client.post("/api/links", headers=alice.headers,
                       json={"destinationUrl": "https://shop.example/z", "shortCode": "zapped"})
    assert link.status_code == 201
    webhook_delivery.deliver_due()
    (request,) = receiver.requests
    assert request.path == "/hooks/catch/9"
    secret = Webhook.get(Webhook.public_id == data["id"]).secret
    verified = Verifier(secret).verify(request.body, request.headers)
    assert verified["type"] == "link.created" and verified["data"]["shortCode"] == "zapped"
    assert json.loads(request.body)["workspaceId"] == alice.workspace_id
    # unsubscribed: the next link reaches nobody
    client.delete(f"{BASE}/subscribe/{data['id']}", headers=bearer(alice))
    client.post("/api/links", headers=alice.headers,
                json={"destinationUrl": "https://shop.example/y"})
    webhook_delivery.deliver_due()
    assert len(receiver.requests) == 1

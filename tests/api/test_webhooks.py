"""/api/webhooks-manage: create (secret shown once, masked after), list, read, update, delete,
enable, rotate, test and redeliver against a real local receiver (signatures checked with
`standardwebhooks`), the delivery log, the event catalogue, the count limit, roles and scopes,
isolation between workspaces, and refused URLs and events leaving the database unchanged."""

from __future__ import annotations

import base64

import pytest

from linkhub import clock
from linkhub.models import AuditLog, Webhook, WebhookDelivery
from linkhub.schemas.webhooks import EventCatalogueOut
from linkhub.services import webhook_events, webhooks
from tests.api.links_support import api_key, in_app, viewer_headers
from tests.api.webhooks_support import (
    ALLOW_PRIVATE,
    REFUSED_URLS,
    create_hook,
    data_of,
    delivery_out,
    error_of,
    fields_of,
    verified,
    webhook_out,
)
from tests.conftest import db_snapshot
from tests.webhook_receiver import Receiver

BASE = "/api/webhooks-manage"


@pytest.fixture
def settings_overrides():
    return dict(ALLOW_PRIVATE)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


# --- create, read, list -----------------------------------------------------------------------

def test_create_shows_the_secret_once(client, app, alice):
    created = create_hook(client, alice, url="https://hooks.example.com/in",
                          events=["link.created", "click", "link.created"],
                          description="  CRM sync  ")
    assert created["id"].startswith("wh_") and created["scope"] == "workspace"
    assert created["events"] == ["link.created", "link.clicked"]  # alias, duplicate dropped
    assert created["description"] == "CRM sync" and created["enabled"] is True
    assert created["state"] == "active" and created["linkId"] is None
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 24
    fetched = webhook_out(data_of(client.get(f"{BASE}/{created['id']}", headers=alice.headers)))
    assert fetched["secret"] == f"whsec_…{secret[-4:]}"
    listed = client.get(BASE, headers=alice.headers)
    assert secret not in listed.get_data(as_text=True)
    assert secret[6:] not in client.get(f"{BASE}/{created['id']}",
                                        headers=alice.headers).get_data(as_text=True)
    assert [w["id"] for w in listed.get_json()["data"]] == [created["id"]]
    assert listed.get_json()["data"][0]["secret"] == fetched["secret"]
    with in_app(app):
        row = Webhook.get(Webhook.public_id == created["id"])
        assert row.secret == secret and row.kind == "webhook"
        assert AuditLog.get(AuditLog.action == "webhook.create").resource_id == created["id"]


def test_list_is_newest_first_and_filters(client, alice):
    first = create_hook(client, alice, events=["link.updated"])
    second = create_hook(client, alice, events=["sale.created"], enabled=False)
    page = client.get(BASE, headers=alice.headers).get_json()
    assert [w["id"] for w in page["data"]] == [second["id"], first["id"]]
    assert page["pagination"]["total"] == 2
    off = data_of(client.get(f"{BASE}?enabled=false", headers=alice.headers))
    assert [w["id"] for w in off] == [second["id"]] and off[0]["state"] == "disabled"
    assert "enabled" in fields_of(client.get(f"{BASE}?enabled=maybe", headers=alice.headers))
    one = client.get(f"{BASE}?limit=1&page=2", headers=alice.headers).get_json()
    assert [w["id"] for w in one["data"]] == [first["id"]]


def test_missing_fields_are_all_named(client, app, alice):
    before = db_snapshot(app)
    assert set(fields_of(client.post(BASE, json={}, headers=alice.headers))) == {"url",
                                                                                 "events"}
    problems = fields_of(client.post(BASE, json={"url": "", "events": [],
                                                 "description": "x" * 201},
                                     headers=alice.headers))
    assert problems == {"url": "is required", "events": "choose at least one event",
                        "description": "must be at most 200 characters"}
    assert "events" in fields_of(client.post(BASE, json={"url": "https://a.example",
                                                         "events": "link.created"},
                                             headers=alice.headers))
    assert db_snapshot(app) == before


def test_unknown_and_reserved_events_are_refused(client, app, alice):
    before = db_snapshot(app)
    problems = fields_of(client.post(BASE, json={
        "url": "https://hooks.example.com/in",
        "events": ["link.created", "link.exploded", "partner.created", "payout.*", ""]},
        headers=alice.headers))
    assert set(problems) == {"events.1", "events.2", "events.3", "events.4"}
    assert "unknown event type" in problems["events.1"]
    assert "reserved" in problems["events.2"] and "reserved" in problems["events.3"]
    assert db_snapshot(app) == before


@pytest.mark.parametrize("settings_overrides", [{"WEBHOOK_ALLOW_PRIVATE": False}])
def test_private_and_malformed_urls_are_refused(client, app, alice):
    before = db_snapshot(app)
    for url in REFUSED_URLS:
        response = client.post(BASE, json={"url": url, "events": ["link.created"]},
                               headers=alice.headers)
        assert "url" in fields_of(response), url
    assert db_snapshot(app) == before


@pytest.mark.parametrize("settings_overrides", [{"WEBHOOK_ALLOW_PRIVATE": False}])
def test_update_to_a_private_url_is_refused(client, app, alice):
    with in_app(app):  # made while private targets were refused: a public address
        row = webhooks.create_webhook(alice.workspace, None, {
            "url": "https://93.184.215.14/hook", "events": ["link.created"]})
        hook_id = row.public_id
    before = db_snapshot(app)
    for url in ("http://127.0.0.1/", "http://169.254.169.254/latest/meta-data",
                "javascript:alert(1)", "http://a:b@93.184.215.14/"):
        response = client.patch(f"{BASE}/{hook_id}", json={"url": url}, headers=alice.headers)
        assert "url" in fields_of(response), url
    assert db_snapshot(app) == before
    with in_app(app):
        assert Webhook.get(Webhook.public_id == hook_id).url == "https://93.184.215.14/hook"


# --- update, enable, rotate, delete ----------------------------------------------------------

def test_update_changes_only_what_is_sent(client, app, alice):
    hook = create_hook(client, alice, description="old")
    changed = webhook_out(data_of(client.patch(f"{BASE}/{hook['id']}", json={
        "events": ["conversion", "sale.created"], "description": None}, headers=alice.headers)))
    assert changed["events"] == ["conversion.created", "sale.created"]
    assert changed["description"] is None and changed["url"] == hook["url"]
    assert changed["secret"] == f"whsec_…{hook['secret'][-4:]}"
    before = db_snapshot(app)
    problems = fields_of(client.patch(f"{BASE}/{hook['id']}", json={
        "url": None, "events": ["nope"], "enabled": None}, headers=alice.headers))
    assert problems == {"url": "cannot be null", "enabled": "cannot be null",
                        "events.0": problems["events.0"]}
    assert "enabled" in fields_of(client.patch(f"{BASE}/{hook['id']}", json={"enabled": "yes"},
                                               headers=alice.headers))
    assert db_snapshot(app) == before
    off = data_of(client.patch(f"{BASE}/{hook['id']}", json={"enabled": False},
                               headers=alice.headers))
    assert off["enabled"] is False and off["state"] == "disabled"


def _auto_disable(app, hook_id: str) -> None:
    with in_app(app):
        Webhook.update(enabled=False, consecutive_failures=20, disabled_at=clock.now(),
                       disabled_reason="20 consecutive failed deliveries").where(
            Webhook.public_id == hook_id).execute()


def test_enable_clears_an_auto_disable(client, app, alice):
    hook = create_hook(client, alice)
    _auto_disable(app, hook["id"])
    shown = data_of(client.get(f"{BASE}/{hook['id']}", headers=alice.headers))
    assert shown["state"] == "auto_disabled" and shown["consecutiveFailures"] == 20
    assert shown["disabledReason"].startswith("20 consecutive")
    enabled = webhook_out(data_of(client.post(f"{BASE}/{hook['id']}/enable",
                                              headers=alice.headers)))
    assert (enabled["enabled"], enabled["state"], enabled["consecutiveFailures"],
            enabled["disabledAt"], enabled["disabledReason"]) == (True, "active", 0, None, None)
    _auto_disable(app, hook["id"])  # PATCH enabled: true does the same
    again = data_of(client.patch(f"{BASE}/{hook['id']}", json={"enabled": True},
                                 headers=alice.headers))
    assert again["state"] == "active" and again["consecutiveFailures"] == 0


def test_rotate_gives_a_new_secret_once(client, app, alice):
    hook = create_hook(client, alice)
    rotated = webhook_out(data_of(client.post(f"{BASE}/{hook['id']}/rotate-secret",
                                              headers=alice.headers)))
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != hook["secret"]
    assert rotated["secretRotatedAt"] is not None
    shown = data_of(client.get(f"{BASE}/{hook['id']}", headers=alice.headers))
    assert shown["secret"] == f"whsec_…{rotated['secret'][-4:]}"
    with in_app(app):
        assert Webhook.get(Webhook.public_id == hook["id"]).secret == rotated["secret"]
        assert AuditLog.get(AuditLog.action == "webhook.rotate_secret")


def test_delete(client, app, alice):
    hook = create_hook(client, alice)
    assert data_of(client.delete(f"{BASE}/{hook['id']}", headers=alice.headers)) == {
        "id": hook["id"], "deleted": True}
    error_of(client.get(f"{BASE}/{hook['id']}", headers=alice.headers), 404, "NOT_FOUND")
    error_of(client.delete(f"{BASE}/{hook['id']}", headers=alice.headers), 404, "NOT_FOUND")
    with in_app(app):
        assert AuditLog.get(AuditLog.action == "webhook.delete").resource_id == hook["id"]


def test_writes_refresh_the_subscriptions(client, app, alice):
    with in_app(app):
        assert webhook_events.subscriptions(alice.workspace.id) == {}  # now cached
    hook = create_hook(client, alice, events=["link.updated"])
    with in_app(app):
        row_id = Webhook.get(Webhook.public_id == hook["id"]).id
        assert webhook_events.subscriptions(alice.workspace.id) == {
            "link.updated": [(row_id, None)]}
    client.patch(f"{BASE}/{hook['id']}", json={"events": ["link.deleted"]},
                 headers=alice.headers)
    with in_app(app):
        assert set(webhook_events.subscriptions(alice.workspace.id)) == {"link.deleted"}
    client.patch(f"{BASE}/{hook['id']}", json={"enabled": False}, headers=alice.headers)
    with in_app(app):
        assert webhook_events.subscriptions(alice.workspace.id) == {}


def test_count_limit(client, app, alice, charlie):
    with in_app(app):
        for n in range(webhooks.MAX_WEBHOOKS):
            webhooks.create_webhook(alice.workspace, None, {
                "url": f"https://hooks.example.com/{n}", "events": ["link.created"]})
    before = db_snapshot(app)
    error = error_of(client.post(BASE, json={"url": "https://hooks.example.com/x",
                                             "events": ["link.created"]},
                                 headers=alice.headers), 403, "LIMIT_EXCEEDED")
    assert str(webhooks.MAX_WEBHOOKS) in error["message"]
    assert db_snapshot(app) == before
    create_hook(client, charlie)  # the limit is per workspace


# --- test sends, the delivery log, redelivery ------------------------------------------------

def test_test_send_is_signed_and_logged(client, alice, receiver):
    hook = create_hook(client, alice, url=receiver.url,
                       events=["sale.created", "link.created"])
    sent = delivery_out(data_of(client.post(f"{BASE}/{hook['id']}/test",
                                            headers=alice.headers)))
    assert sent["status"] == "succeeded" and sent["test"] is True
    assert sent["eventType"] == "sale.created" and sent["webhookId"] == hook["id"]
    attempt = sent["attempts"][0]
    assert attempt["statusCode"] == 200 and attempt["requestUrl"] == receiver.url
    assert attempt["latencyMs"] is not None and attempt["responseBody"] is not None
    [request] = receiver.requests
    body = verified(hook["secret"], request)
    assert body["id"] == sent["eventId"] == request.headers["webhook-id"]
    assert body["type"] == "sale.created" and body["workspaceId"] == alice.workspace_id
    assert set(body) == {"id", "type", "createdAt", "workspaceId", "data"}


def test_deliveries_redeliver_and_status_filter(client, app, alice, receiver):
    hook = create_hook(client, alice, url=receiver.url)
    receiver.script(500)
    receiver.body = b"receiver broke"
    failed = data_of(client.post(f"{BASE}/{hook['id']}/test", headers=alice.headers))
    assert failed["status"] == "failed"
    assert failed["attempts"][0]["statusCode"] == 500
    assert failed["attempts"][0]["responseBody"] == "receiver broke"
    receiver.body = b"thanks"
    again = delivery_out(data_of(client.post(
        f"{BASE}/{hook['id']}/redeliver/{failed['id']}", headers=alice.headers)))
    assert again["id"] != failed["id"] and again["eventId"] == failed["eventId"]
    assert again["status"] == "succeeded"
    assert again["attempts"][0]["responseBody"] == "thanks"
    assert [r.headers["webhook-id"] for r in receiver.requests] == [failed["eventId"]] * 2
    verified(hook["secret"], receiver.requests[1])

    log = client.get(f"{BASE}/{hook['id']}/deliveries", headers=alice.headers).get_json()
    assert [d["id"] for d in log["data"]] == [again["id"], failed["id"]]  # newest first
    assert all("attempts" not in d for d in log["data"])
    for d in log["data"]:
        delivery_out(d)
    only = data_of(client.get(f"{BASE}/{hook['id']}/deliveries?status=failed",
                              headers=alice.headers))
    assert [d["id"] for d in only] == [failed["id"]]
    assert "status" in fields_of(client.get(f"{BASE}/{hook['id']}/deliveries?status=lost",
                                            headers=alice.headers))
    one = delivery_out(data_of(client.get(f"{BASE}/{hook['id']}/deliveries/{failed['id']}",
                                          headers=alice.headers)))
    assert one["attempts"][0]["requestHeaders"]["webhook-id"] == failed["eventId"]
    assert one["payload"]["id"] == failed["eventId"]
    with in_app(app):
        assert AuditLog.get(AuditLog.action == "webhook.redeliver")


def test_a_rotated_secret_signs_the_next_delivery(client, alice, receiver):
    hook = create_hook(client, alice, url=receiver.url)
    new = data_of(client.post(f"{BASE}/{hook['id']}/rotate-secret", headers=alice.headers))
    client.post(f"{BASE}/{hook['id']}/test", headers=alice.headers)
    verified(new["secret"], receiver.requests[-1])
    with pytest.raises(Exception):  # noqa: B017 (the library's own verification error)
        verified(hook["secret"], receiver.requests[-1])


# --- the event catalogue -------------------------------------------------------------------

def test_event_catalogue(client, alice):
    doc = data_of(client.get(f"{BASE}/events", headers=alice.headers))
    EventCatalogueOut.model_validate(doc)
    by_type = {e["type"]: e for e in doc["events"]}
    for name in ("link.created", "link.updated", "link.deleted", "link.clicked", "qr.scanned",
                 "conversion.created", "lead.created", "sale.created"):
        assert by_type[name]["reserved"] is False and by_type[name]["schema"]["type"] == "object"
    assert by_type["partner.*"]["reserved"] is True
    assert doc["linkAliases"] == {"click": "link.clicked", "qr_scan": "qr.scanned",
                                  "conversion": "conversion.created"}
    assert doc["payload"]["required"] == ["id", "type", "createdAt", "workspaceId", "data"]
    assert "webhook-signature" in doc["signing"]["headers"]
    per_link = data_of(client.get(f"{BASE}/events?scope=link", headers=alice.headers))
    assert {e["type"] for e in per_link["events"]} == {"link.clicked", "qr.scanned",
                                                        "conversion.created"}
    assert "scope" in fields_of(client.get(f"{BASE}/events?scope=all", headers=alice.headers))


# --- who may do what ----------------------------------------------------------------------

def test_editors_and_viewers_read_but_do_not_manage(client, app, alice, bob):
    hook = create_hook(client, alice)
    viewer = viewer_headers(app, alice)
    for headers in (bob.headers, viewer):
        assert data_of(client.get(f"{BASE}/{hook['id']}", headers=headers))["secret"].startswith(
            "whsec_…")
        assert client.get(BASE, headers=headers).status_code == 200
    before = db_snapshot(app)
    for method, path, body in (
            ("POST", BASE, {"url": "https://hooks.example.com", "events": ["link.created"]}),
            ("PATCH", f"{BASE}/{hook['id']}", {"description": "mine"}),
            ("DELETE", f"{BASE}/{hook['id']}", None),
            ("POST", f"{BASE}/{hook['id']}/test", None),
            ("POST", f"{BASE}/{hook['id']}/enable", None),
            ("POST", f"{BASE}/{hook['id']}/rotate-secret", None)):
        response = client.open(path, method=method, json=body, headers=bob.headers)
        error_of(response, 403, "FORBIDDEN")
    assert db_snapshot(app) == before


def test_scopes_are_the_links_family(client, app, alice):
    hook = create_hook(client, alice)
    reader = api_key(app, alice, ["links:read"])
    assert client.get(f"{BASE}/{hook['id']}", headers=reader).status_code == 200
    error_of(client.post(BASE, json={"url": "https://a.example", "events": ["link.created"]},
                         headers=reader), 403, "FORBIDDEN")
    error_of(client.get(BASE, headers=api_key(app, alice, ["analytics:read"])), 403,
             "FORBIDDEN")
    writer = api_key(app, alice, ["links:write"])
    assert client.post(f"{BASE}/{hook['id']}/rotate-secret", headers=writer).status_code == 200
    error_of(client.delete(f"{BASE}/{hook['id']}", headers=api_key(app, alice,
                                                                    ["links:update"])),
             403, "FORBIDDEN")


def test_another_workspaces_webhook_is_not_found(client, app, alice, charlie, receiver):
    theirs = create_hook(client, charlie, url=receiver.url)
    delivery = data_of(client.post(f"{BASE}/{theirs['id']}/test", headers=charlie.headers))
    link = data_of(client.post("/api/links", json={"destinationUrl": "https://e.example"},
                               headers=alice.headers), 201)
    link_hook = create_hook(client, alice, base=f"/api/links/{link['id']}/webhooks",
                            events=["click"])
    mine = create_hook(client, alice, url=receiver.url)
    before = db_snapshot(app)
    for hook_id in (theirs["id"], link_hook["id"], "wh_0000000000000000", "nope"):
        for method, suffix in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/test"),
                               ("POST", "/enable"), ("POST", "/rotate-secret"),
                               ("GET", "/deliveries"),
                               ("GET", f"/deliveries/{delivery['id']}"),
                               ("POST", f"/redeliver/{delivery['id']}")):
            response = client.open(f"{BASE}/{hook_id}{suffix}", method=method,
                                   json={} if method == "PATCH" else None,
                                   headers=alice.headers)
            error_of(response, 404, "NOT_FOUND")
    # my webhook, their delivery id
    for method, suffix in (("GET", f"/deliveries/{delivery['id']}"),
                           ("POST", f"/redeliver/{delivery['id']}"),
                           ("GET", "/deliveries/whd_0000000000000000")):
        error_of(client.open(f"{BASE}/{mine['id']}{suffix}", method=method,
                             headers=alice.headers), 404, "NOT_FOUND")
    assert db_snapshot(app) == before
    assert [w["id"] for w in data_of(client.get(BASE, headers=alice.headers))] == [mine["id"]]
    with in_app(app):
        assert WebhookDelivery.select().count() == 1

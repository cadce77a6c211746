"""/api/links/{linkId}/webhooks: per-link endpoints with every route (list, create, read,
update, delete, deliveries, one delivery, test, redeliver, rotate-secret, enable), the short
event names, link ownership (another workspace's link or webhook is 404), and a real click on
the link delivered, signed, to a local receiver while another link's click is not."""

from __future__ import annotations

import pytest

from linkhub.models import Webhook, WebhookDelivery
from linkhub.services import webhook_delivery
from tests.api.links_support import in_app
from tests.api.webhooks_support import (
    ALLOW_PRIVATE,
    create_hook,
    data_of,
    delivery_out,
    error_of,
    fields_of,
    make_link,
    verified,
    webhook_out,
)
from tests.conftest import db_snapshot
from tests.redirect.redirect_support import flush, visit
from tests.webhook_receiver import Receiver

PER_LINK = ["click", "qr_scan", "conversion"]


@pytest.fixture
def settings_overrides():
    return dict(ALLOW_PRIVATE)


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def base(link_id: str) -> str:
    return f"/api/links/{link_id}/webhooks"


def test_every_route(client, app, alice, receiver):
    link = make_link(client, alice, shortCode="hooked")
    url = base(link["id"])
    hook = create_hook(client, alice, base=url, url=receiver.url, events=PER_LINK,
                       description="Clicks to CRM")
    assert (hook["scope"], hook["linkId"]) == ("link", link["id"])
    assert hook["events"] == ["link.clicked", "qr.scanned", "conversion.created"]
    secret = hook["secret"]
    assert secret.startswith("whsec_") and len(secret) > 20
    # by short code too, like every /api/links/{id} route
    listed = client.get(base("hooked"), headers=alice.headers)
    assert [w["id"] for w in listed.get_json()["data"]] == [hook["id"]]
    assert secret not in listed.get_data(as_text=True)
    shown = webhook_out(data_of(client.get(f"{url}/{hook['id']}", headers=alice.headers)))
    assert shown["secret"] == f"whsec_…{secret[-4:]}"

    changed = data_of(client.patch(f"{url}/{hook['id']}", json={"events": ["link.clicked"],
                                                                 "enabled": False},
                                   headers=alice.headers))
    assert changed["events"] == ["link.clicked"] and changed["state"] == "disabled"
    enabled = data_of(client.post(f"{url}/{hook['id']}/enable", headers=alice.headers))
    assert enabled["state"] == "active"

    sent = delivery_out(data_of(client.post(f"{url}/{hook['id']}/test",
                                            headers=alice.headers)))
    assert sent["status"] == "succeeded" and sent["eventType"] == "link.clicked"
    assert verified(secret, receiver.requests[-1])["type"] == "link.clicked"

    rotated = webhook_out(data_of(client.post(f"{url}/{hook['id']}/rotate-secret",
                                              headers=alice.headers)))
    assert rotated["secret"] != secret and rotated["secret"].startswith("whsec_")
    again = delivery_out(data_of(client.post(f"{url}/{hook['id']}/redeliver/{sent['id']}",
                                             headers=alice.headers)))
    assert again["eventId"] == sent["eventId"] and again["id"] != sent["id"]
    assert verified(rotated["secret"], receiver.requests[-1])["id"] == sent["eventId"]

    log = client.get(f"{url}/{hook['id']}/deliveries", headers=alice.headers).get_json()
    assert [d["id"] for d in log["data"]] == [again["id"], sent["id"]]
    assert log["pagination"]["total"] == 2
    one = delivery_out(data_of(client.get(f"{url}/{hook['id']}/deliveries/{sent['id']}",
                                          headers=alice.headers)))
    assert one["attempts"][0]["statusCode"] == 200
    assert data_of(client.get(f"{url}/{hook['id']}/deliveries?status=failed",
                              headers=alice.headers)) == []

    assert data_of(client.delete(f"{url}/{hook['id']}", headers=alice.headers)) == {
        "id": hook["id"], "deleted": True}
    error_of(client.get(f"{url}/{hook['id']}", headers=alice.headers), 404, "NOT_FOUND")


def test_only_per_link_events(client, app, alice):
    link = make_link(client, alice)
    before = db_snapshot(app)
    problems = fields_of(client.post(base(link["id"]), json={
        "url": "https://hooks.example.com/l",
        "events": ["click", "link.created", "sale.created", "bounty.created", "tap"]},
        headers=alice.headers))
    assert set(problems) == {"events.1", "events.2", "events.3", "events.4"}
    assert "not a per-link event" in problems["events.1"]
    assert "click" in problems["events.1"] and "reserved" in problems["events.3"]
    assert "unknown event type" in problems["events.4"]
    assert set(fields_of(client.post(base(link["id"]), json={"events": []},
                                     headers=alice.headers))) == {"url", "events"}
    assert db_snapshot(app) == before
    full = create_hook(client, alice, base=base(link["id"]),
                       events=["qr.scanned", "conversion.created"])
    assert full["events"] == ["qr.scanned", "conversion.created"]
    problems = fields_of(client.patch(f"{base(link['id'])}/{full['id']}",
                                      json={"events": ["link.deleted"]},
                                      headers=alice.headers))
    assert "not a per-link event" in problems["events.0"]


@pytest.mark.parametrize("settings_overrides", [{"WEBHOOK_ALLOW_PRIVATE": False}])
def test_private_targets_are_refused(client, app, alice):
    link = make_link(client, alice)
    before = db_snapshot(app)
    for url in ("http://127.0.0.1/", "http://169.254.169.254/latest/meta-data",
                "javascript:alert(1)", "http://me:pw@hooks.example.com/"):
        response = client.post(base(link["id"]), json={"url": url, "events": ["click"]},
                               headers=alice.headers)
        assert "url" in fields_of(response), url
    assert db_snapshot(app) == before


def test_link_ownership(client, app, alice, bob, charlie, receiver):
    mine = make_link(client, alice)
    other = make_link(client, alice)
    theirs = make_link(client, charlie)
    their_hook = create_hook(client, charlie, base=base(theirs["id"]), url=receiver.url,
                             events=["click"])
    their_delivery = data_of(client.post(f"{base(theirs['id'])}/{their_hook['id']}/test",
                                         headers=charlie.headers))
    hook = create_hook(client, alice, base=base(mine["id"]), events=["click"])
    workspace_hook = create_hook(client, alice)
    before = db_snapshot(app)
    # another workspace's link: every route answers 404, creating included
    error_of(client.get(base(theirs["id"]), headers=alice.headers), 404, "NOT_FOUND")
    error_of(client.post(base(theirs["id"]), json={"url": "https://a.example",
                                                   "events": ["click"]},
                         headers=alice.headers), 404, "NOT_FOUND")
    paths = [(theirs["id"], their_hook["id"]),  # theirs through their link
             (mine["id"], their_hook["id"]),  # theirs through my link
             (other["id"], hook["id"]),  # mine through my other link
             (mine["id"], workspace_hook["id"]),  # a workspace webhook is not a link's
             ("link_0000000000000000", hook["id"]), (mine["id"], "wh_0000000000000000")]
    for link_id, hook_id in paths:
        for method, suffix in (("GET", ""), ("PATCH", ""), ("DELETE", ""), ("POST", "/test"),
                               ("POST", "/enable"), ("POST", "/rotate-secret"),
                               ("GET", "/deliveries"),
                               ("GET", f"/deliveries/{their_delivery['id']}"),
                               ("POST", f"/redeliver/{their_delivery['id']}")):
            response = client.open(f"{base(link_id)}/{hook_id}{suffix}", method=method,
                                   json={} if method == "PATCH" else None,
                                   headers=alice.headers)
            error_of(response, 404, "NOT_FOUND")
    error_of(client.get(f"{base(mine['id'])}/{hook['id']}/deliveries/{their_delivery['id']}",
                        headers=alice.headers), 404, "NOT_FOUND")
    # an editor reads but does not manage
    assert client.get(base(mine["id"]), headers=bob.headers).status_code == 200
    error_of(client.post(base(mine["id"]), json={"url": "https://a.example",
                                                 "events": ["click"]},
                         headers=bob.headers), 403, "FORBIDDEN")
    error_of(client.delete(f"{base(mine['id'])}/{hook['id']}", headers=bob.headers), 403,
             "FORBIDDEN")
    assert db_snapshot(app) == before
    # a deleted link's webhooks are gone from the API with it
    client.delete(f"/api/links/{mine['id']}", headers=alice.headers)
    error_of(client.get(base(mine["id"]), headers=alice.headers), 404, "NOT_FOUND")


def test_a_click_on_the_link_is_delivered_signed(client, app, alice, receiver):
    watched = make_link(client, alice, shortCode="watched")
    make_link(client, alice, shortCode="ignored")
    hook = create_hook(client, alice, base=base(watched["id"]), url=receiver.url,
                       events=["click"])
    assert visit(client, "/watched").status_code == 302
    assert visit(client, "/ignored").status_code == 302
    assert visit(client, "/watched?qr=1").status_code == 302  # a scan: not subscribed
    flush(app)
    with in_app(app):
        row = Webhook.get(Webhook.public_id == hook["id"])
        assert WebhookDelivery.select().where(WebhookDelivery.webhook == row).count() == 1
        result = webhook_delivery.deliver_due()
    assert result.get("succeeded") == 1
    [request] = receiver.requests
    body = verified(hook["secret"], request)
    assert body["type"] == "link.clicked"
    assert body["data"]["linkId"] == watched["id"] and body["data"]["shortCode"] == "watched"
    log = data_of(client.get(f"{base(watched['id'])}/{hook['id']}/deliveries",
                             headers=alice.headers))
    assert [(d["status"], d["eventId"]) for d in log] == [("succeeded", body["id"])]

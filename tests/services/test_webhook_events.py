"""webhook_events: the catalogue (schemas, aliases, samples that match), emit writing the event
and one pending delivery per subscribed endpoint in the caller's transaction and nothing when
nobody subscribes, the link and conversion services' events, and link.clicked/qr.scanned from
real redirects written in the click batch's own transaction."""

from __future__ import annotations

import jsonschema
import pytest

from linkhub import clock
from linkhub.models import Click, Link, WebhookDelivery, WebhookEvent
from linkhub.services import conversions, links, webhook_events
from tests.conftest import db_snapshot
from tests.redirect.redirect_support import GOOGLEBOT, flush, make_link, visit
from tests.webhook_receiver import make_webhook

HOOK = "https://hooks.example/in"


@pytest.fixture
def ws(ctx, alice):
    return alice.workspace


def events(type_=None):
    query = WebhookEvent.select().order_by(WebhookEvent.id)
    if type_:
        query = query.where(WebhookEvent.type == type_)
    return list(query)


def test_catalogue_lists_every_event_with_a_schema_and_matching_sample():
    names = set(webhook_events.CATALOGUE)
    assert {"link.created", "link.updated", "link.deleted", "link.clicked", "qr.scanned",
            "conversion.created", "lead.created", "sale.created", "partner.*",
            "commission.*", "bounty.*", "payout.*"} <= names
    aliases = {info["linkAlias"]: name for name, info in webhook_events.CATALOGUE.items()
               if info["linkAlias"]}
    assert aliases == {"click": "link.clicked", "qr_scan": "qr.scanned",
                       "conversion": "conversion.created"}
    for name, info in webhook_events.CATALOGUE.items():
        assert info["description"] and info["schema"]["type"] == "object"
        assert info["reserved"] == name.endswith(".*")
        if not info["reserved"]:
            jsonschema.validate(webhook_events.sample(name), info["schema"])


def test_emit_without_subscribers_writes_nothing(app, ws):
    before = db_snapshot(app)
    assert webhook_events.emit(ws, "link.created", {"id": "x"}) is None
    assert db_snapshot(app) == before


def test_emit_without_subscribers_reads_nothing_once_cached(app, ws, monkeypatch):
    webhook_events.emit(ws, "link.created", {"id": "x"})  # fills the cache
    database = app.extensions["linkhub.db"]
    statements = []
    original = database.execute_sql
    monkeypatch.setattr(database, "execute_sql",
                        lambda sql, *a, **k: statements.append(sql) or original(sql, *a, **k))
    called = []
    for _ in range(100):
        webhook_events.emit(ws, "link.created", lambda: called.append(1) or {})
    assert statements == [] and called == []  # no query, and data never built


def test_emit_writes_the_event_and_one_delivery_per_subscribed_endpoint(ws, charlie):
    first = make_webhook(ws, HOOK, ["link.created", "link.deleted"])
    second = make_webhook(ws, HOOK + "2", ["link.created"])
    make_webhook(ws, HOOK + "3", ["link.updated"])  # another event
    make_webhook(ws, HOOK + "4", ["link.created"], enabled=False)
    make_webhook(charlie.workspace, HOOK, ["link.created"])  # another workspace
    event = webhook_events.emit(ws, "link.created", {"id": "link_x"})
    assert event.public_id.startswith("evt_")
    assert event.payload == {"id": event.public_id, "type": "link.created",
                             "createdAt": clock.iso(event.created_at),
                             "workspaceId": ws.public_id, "data": {"id": "link_x"}}
    rows = list(WebhookDelivery.select().order_by(WebhookDelivery.webhook))
    assert [d.webhook_id for d in rows] == [first.id, second.id]
    assert all(d.status == "pending" and d.public_id.startswith("whd_")
               and d.next_attempt_at is not None and d.event_id == event.id for d in rows)


def test_the_cache_follows_invalidate(ws):
    assert webhook_events.emit(ws, "link.created", {}) is None
    hook = make_webhook(ws, HOOK, ["link.created"])  # invalidates
    assert webhook_events.emit(ws, "link.created", {}) is not None
    hook.enabled = False
    hook.save()
    webhook_events.invalidate(ws.id)
    assert webhook_events.emit(ws, "link.created", {}) is None


def test_link_scoped_endpoints_get_only_their_link_under_either_name(ws):
    one = links.create_link(ws, None, {"destinationUrl": "https://a.example/"})
    two = links.create_link(ws, None, {"destinationUrl": "https://b.example/"})
    by_alias = make_webhook(ws, HOOK, ["click"], scope="link", link=one)
    by_name = make_webhook(ws, HOOK, ["link.clicked"], scope="link", link=one)
    webhook_events.emit(ws, "link.clicked", {}, link=two)
    assert WebhookDelivery.select().count() == 0
    webhook_events.emit(ws, "link.clicked", {}, link=one)
    assert {d.webhook_id for d in WebhookDelivery.select()} == {by_alias.id, by_name.id}


def test_link_writes_emit_their_events_in_the_same_transaction(app, client, alice):
    make_webhook(alice.workspace, HOOK, ["link.created", "link.updated", "link.deleted"])
    link = make_link(client, alice, shortCode="evt-link")
    client.patch(f"/api/links/{link['id']}", json={"title": "New"}, headers=alice.headers)
    client.post(f"/api/links/{link['id']}/archive", headers=alice.headers)
    client.delete(f"/api/links/{link['id']}", headers=alice.headers)
    got = [(e.type, e.payload["data"]["id"]) for e in events()]
    assert got == [("link.created", link["id"]), ("link.updated", link["id"]),
                   ("link.updated", link["id"]), ("link.deleted", link["id"])]
    assert events()[1].payload["data"]["title"] == "New"
    assert events()[0].payload["data"]["shortCode"] == "evt-link"


def test_a_failing_emit_rolls_the_link_write_back(app, ws, monkeypatch):
    make_webhook(ws, HOOK, ["link.created"])

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(WebhookDelivery, "insert_many", broken)
    with pytest.raises(RuntimeError):
        links.create_link(ws, None, {"destinationUrl": "https://a.example/", "shortCode": "rb"})
    assert Link.select().where(Link.short_code == "rb").count() == 0
    assert WebhookEvent.select().count() == 0


def test_a_conversion_emits_conversion_and_its_kind(ws):
    make_webhook(ws, HOOK, ["conversion.created", "sale.created", "lead.created"])
    sale = conversions.record(ws, click_id=None, event="purchase", value=12.5, currency="USD",
                              require_click=False)
    lead = conversions.record(ws, click_id=None, event="signup", require_click=False)
    custom = conversions.record(ws, click_id=None, event="newsletter-open", require_click=False)
    got = [(e.type, e.payload["data"]["id"]) for e in events()]
    assert got == [("conversion.created", sale.public_id), ("sale.created", sale.public_id),
                   ("conversion.created", lead.public_id), ("lead.created", lead.public_id),
                   ("conversion.created", custom.public_id)]
    assert events()[0].payload["data"]["value"] == 12.5


def test_redirects_produce_click_events_in_the_click_batch(app, client, alice):
    link = make_link(client, alice, shortCode="evt-click")
    make_webhook(alice.workspace, HOOK, ["link.clicked", "qr.scanned"])
    assert visit(client, "/evt-click", headers={"Referer": "https://news.example/x"}
                 ).status_code == 302
    assert visit(client, "/evt-click?qr=1").status_code == 302
    assert visit(client, "/evt-click", ua=GOOGLEBOT).status_code in (301, 302)  # a bot
    assert flush(app) == 3
    clicked, scanned = events("link.clicked"), events("qr.scanned")
    assert len(clicked) == 1 and len(scanned) == 1 and len(events()) == 2
    data = clicked[0].payload["data"]
    human = Click.get(Click.public_id == data["clickId"])
    assert data["linkId"] == link["id"] and data["shortCode"] == "evt-click"
    assert data["referrerDomain"] == "news.example" and data["trigger"] == "link"
    assert clicked[0].payload["createdAt"] == clock.iso(human.created_at)
    jsonschema.validate(data, webhook_events.CATALOGUE["link.clicked"]["schema"])
    assert scanned[0].payload["data"]["trigger"] == "qr"
    assert WebhookDelivery.select().count() == 2


def test_a_failing_click_emit_leaves_neither_clicks_nor_events(app, client, alice,
                                                              monkeypatch):
    make_link(client, alice, shortCode="evt-fail")
    make_webhook(alice.workspace, HOOK, ["link.clicked"])
    visit(client, "/evt-fail")

    def broken(*args, **kwargs):
        raise RuntimeError("outbox unavailable")

    with monkeypatch.context() as patch:
        patch.setattr(WebhookDelivery, "insert_many", broken)
        assert flush(app) == 0  # the batch is rolled back and requeued
        assert Click.select().count() == 0 and WebhookEvent.select().count() == 0
    assert flush(app) == 1  # the next flush writes both
    assert Click.select().count() == 1 and WebhookEvent.select().count() == 1


def test_a_bad_click_row_is_skipped_not_raised(ws):
    link = links.create_link(ws, None, {"destinationUrl": "https://a.example/"})
    make_webhook(ws, HOOK, ["link.clicked"])
    good = {"workspace": ws.id, "link": link.id, "bot": False, "trigger": "link",
            "public_id": "clk_x", "created_at": clock.now()}
    rows = [good, {"bot": False},  # no workspace at all
            {**good, "public_id": "clk_y", "created_at": "not a time"}]
    assert webhook_events.emit_clicks(rows) == 1
    assert [e.payload["data"]["clickId"] for e in events()] == ["clk_x"]

"""Dashboard webhook pages: the list (both scopes, this workspace only), create with the event
picker (the secret shown once), per-link webhooks, refused input beside its field with nothing
written, edit, rotate (a new secret shown once), enable, delete, a delivery's request and
response, roles; plus a browser test that creates a webhook for a local receiver, sees the
secret once, sends a test and finds the delivery in the log."""

from __future__ import annotations

import re

import pytest

from linkhub import clock
from linkhub.models import Webhook, WebhookDelivery
from linkhub.services import webhooks
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import Signed, browser_login, make_link, nav, text
from tests.webhook_receiver import Receiver

SECRET_RE = re.compile(r"whsec_[A-Za-z0-9+/=]{20,}")


@pytest.fixture
def settings_overrides():
    return {"WEBHOOK_ALLOW_PRIVATE": True}


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def form(**fields) -> dict:
    data = {"url": "https://hooks.example.com/in", "description": "", "link_id": "",
            "events": ["link.created"], "enabled": "y"}
    data.update(fields)
    return data


def test_pages_need_a_session(client):
    for path in ("/app/webhooks", "/app/webhooks/new"):
        response = client.get(path)
        assert response.status_code == 302 and "/app/login" in response.headers["Location"]


def test_list_shows_both_scopes_of_this_workspace(app, ctx, alice, charlie):
    me = Signed(app, alice.email)
    assert "No webhooks yet" in text(me.get("/app/webhooks"))
    link = make_link(alice.workspace, shortCode="promo")
    webhooks.create_webhook(alice.workspace, None, {"url": "https://a.example/ws",
                                                    "events": ["link.created"]})
    webhooks.create_webhook(alice.workspace, None, {"url": "https://a.example/link",
                                                    "events": ["click"]}, link=link)
    webhooks.create_webhook(charlie.workspace, None, {"url": "https://c.example/theirs",
                                                      "events": ["link.created"]})
    page = text(me.get("/app/webhooks"))
    assert "https://a.example/ws" in page and "https://a.example/link" in page
    assert "/promo" in page and "c.example" not in page
    assert 'href="/app/webhooks"' in page  # the sidebar entry
    assert not SECRET_RE.search(page)


def test_create_reveals_the_secret_once(app, alice):
    me = Signed(app, alice.email)
    picker = text(me.get("/app/webhooks/new"))
    for name in ("link.created", "link.clicked", "qr.scanned", "sale.created"):
        assert f'value="{name}"' in picker
    assert "partner.*" not in picker
    response = me.post("/app/webhooks/new", form(events=["link.created", "sale.created"],
                                                 description="CRM"))
    assert response.status_code == 201
    row = Webhook.get(Webhook.url == "https://hooks.example.com/in")
    page = text(response)
    assert row.secret in page and "shown only this once" in page
    assert (row.events, row.name, row.scope) == (["link.created", "sale.created"], "CRM",
                                                 "workspace")
    again = text(me.get(f"/app/webhooks/{row.public_id}"))
    assert row.secret not in again and f"whsec_…{row.secret[-4:]}" in again


def test_per_link_webhook_and_refused_input(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="promo")
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post("/app/webhooks/new", form(link_id=link.public_id,
                                                 events=["link.created"]))
    assert response.status_code == 400
    assert "Not a per-link event (link.created)" in text(response)
    response = me.post("/app/webhooks/new", form(url="javascript:alert(1)", events=[]))
    page = text(response)
    assert response.status_code == 400
    assert "Must be an absolute http:// or https:// URL." in page
    assert "Choose at least one event." in page
    assert db_snapshot(app) == before
    response = me.post("/app/webhooks/new", form(link_id=link.public_id,
                                                 events=["link.clicked", "qr.scanned"]))
    assert response.status_code == 201
    row = Webhook.get(Webhook.link == link)
    assert row.scope == "link" and row.events == ["link.clicked", "qr.scanned"]


@pytest.mark.parametrize("settings_overrides", [{"WEBHOOK_ALLOW_PRIVATE": False}])
def test_private_urls_are_refused(app, alice):
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    for url in ("http://127.0.0.1/", "http://169.254.169.254/latest/meta-data"):
        response = me.post("/app/webhooks/new", form(url=url))
        assert response.status_code == 400
        assert "private" in text(response)
    assert db_snapshot(app) == before


def test_edit_rotate_enable_delete(app, ctx, alice):
    hook = webhooks.create_webhook(alice.workspace, None, {"url": "https://a.example/in",
                                                           "events": ["link.created"]})
    old_secret = hook.secret
    me = Signed(app, alice.email)
    page = "/app/webhooks/" + hook.public_id
    response = me.post(page, form(url="https://a.example/new", events=["link.updated"],
                                  description="Edited"))
    assert response.status_code == 302
    row = Webhook.get_by_id(hook.id)
    assert (row.url, row.events, row.name) == ("https://a.example/new", ["link.updated"],
                                               "Edited")
    bad = me.post(page, form(url="ftp://x", events=["link.updated"]))
    assert bad.status_code == 400 and Webhook.get_by_id(hook.id).url == "https://a.example/new"

    rotated = me.post(page + "/rotate")
    new_secret = Webhook.get_by_id(hook.id).secret
    assert rotated.status_code == 200 and new_secret != old_secret
    assert new_secret in text(rotated) and old_secret not in text(rotated)
    assert new_secret not in text(me.get(page))

    Webhook.update(enabled=False, disabled_at=clock.now(), consecutive_failures=20,
                   disabled_reason="20 consecutive failed deliveries").where(
        Webhook.id == hook.id).execute()
    shown = text(me.get(page))
    assert "disabled after failures" in shown and "20 consecutive failed deliveries" in shown
    assert me.post(page + "/enable").status_code == 302
    row = Webhook.get_by_id(hook.id)
    assert row.enabled and row.consecutive_failures == 0 and row.disabled_at is None

    assert "Delete this webhook?" in text(me.get(page + "/delete"))
    assert me.post(page + "/delete").status_code == 302
    assert Webhook.get_or_none(Webhook.id == hook.id) is None
    assert me.get(page).status_code == 404


def test_a_delivery_shows_request_and_response(app, ctx, alice, receiver):
    receiver.default, receiver.body = 202, b"queued-by-receiver"
    hook = webhooks.create_webhook(alice.workspace, None, {"url": receiver.url,
                                                           "events": ["sale.created"]})
    me = Signed(app, alice.email)
    response = me.post(f"/app/webhooks/{hook.public_id}/test")
    assert response.status_code == 302
    delivery = WebhookDelivery.get(WebhookDelivery.webhook == hook.id)
    assert response.headers["Location"].endswith(
        f"/app/webhooks/{hook.public_id}/deliveries/{delivery.public_id}")
    page = text(me.get(response.headers["Location"]))
    assert "HTTP 202" in page and "queued-by-receiver" in page
    assert f"webhook-id: {delivery.event.public_id}" in page
    assert '"type":"sale.created"' in page and hook.secret not in page
    assert me.post(f"/app/webhooks/{hook.public_id}/deliveries/{delivery.public_id}"
                   "/redeliver").status_code == 302
    assert len(receiver.requests) == 2
    log = text(me.get(f"/app/webhooks/{hook.public_id}"))
    assert log.count('class="delivery-row"') == 2 and "sale.created" in log


def test_editors_and_outsiders(app, ctx, alice, bob, charlie):
    hook = webhooks.create_webhook(alice.workspace, None, {"url": "https://a.example/in",
                                                           "events": ["link.created"]})
    editor = Signed(app, bob.email)
    assert editor.get("/app/webhooks").status_code == 200
    assert "Admins and the owner manage webhooks." in text(
        editor.get(f"/app/webhooks/{hook.public_id}"))
    outsider = Signed(app, charlie.email)
    before = db_snapshot(app)
    assert editor.get("/app/webhooks/new").status_code == 403
    for suffix in ("/rotate", "/enable", "/test", "/delete"):
        assert editor.post(f"/app/webhooks/{hook.public_id}{suffix}").status_code == 403
    assert editor.post(f"/app/webhooks/{hook.public_id}", form()).status_code == 403
    assert outsider.get(f"/app/webhooks/{hook.public_id}").status_code == 404
    assert outsider.post(f"/app/webhooks/{hook.public_id}/rotate").status_code == 404
    assert db_snapshot(app) == before


@pytest.mark.browser
def test_browser_create_see_secret_once_and_test(page, ctx, alice, receiver):
    browser_login(page, alice.email)
    nav(page, "Webhooks")
    page.get_by_role("link", name="Create a webhook").click()
    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label("Description").fill("From the browser")
    page.get_by_label("link.created", exact=True).check()
    page.get_by_label("sale.created", exact=True).check()
    page.get_by_role("button", name="Create webhook").click()
    page.get_by_role("heading", name="Signing secret").wait_for()
    secret = page.locator("#webhook-secret").inner_text()
    hook = Webhook.get(Webhook.url == receiver.url)
    assert secret == hook.secret and secret.startswith("whsec_")
    page.goto(f"/app/webhooks/{hook.public_id}")
    assert page.get_by_role("heading", name="Signing secret").count() == 0
    assert secret not in page.content()
    page.get_by_role("button", name="Send test event").click()
    page.get_by_role("heading", name="Attempt 1").wait_for()
    assert "HTTP 200" in page.locator("section.attempt").inner_text()
    assert len(receiver.requests) == 1
    assert receiver.requests[0].headers["webhook-id"] in page.content()
    page.get_by_role("link", name=hook.public_id).click()
    page.wait_for_url(f"**/app/webhooks/{hook.public_id}")  # the click only starts it
    rows = page.locator("tr.delivery-row")
    rows.first.wait_for()
    assert rows.count() == 1
    assert "link.created" in rows.first.inner_text() and "succeeded" in rows.first.inner_text()

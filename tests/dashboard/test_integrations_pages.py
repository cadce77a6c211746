"""Dashboard integrations: the page (available destinations and inbound providers, installed
destinations), adding, configuring, testing and deleting a destination through the test client
for each role, and in Chromium: a Slack destination aimed at a local receiver gets a test that
shows in the delivery log, and a link's OG fields are filled by "Fetch from page"."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from linkhub.models import Link, Webhook
from linkhub.services import integrations, metatags, net_guard, outbound
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import (  # noqa: F401 (viewer is a fixture)
    Signed,
    browser_login,
    nav,
    text,
    viewer,
)
from tests.webhook_receiver import Receiver

FORM = {"name": "Team channel", "url": "", "events": ["link.created"], "enabled": "y"}


@pytest.fixture
def settings_overrides():
    return {"WEBHOOK_ALLOW_PRIVATE": True, "METATAGS_ALLOW_PRIVATE": True}


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def test_pages_need_a_session(client):
    for path in ("/app/integrations", "/app/integrations/outbound/new?kind=slack"):
        response = client.get(path)
        assert response.status_code == 302 and "/app/login" in response.headers["Location"]


def test_the_page_lists_available_and_installed(app, ctx, alice, charlie, receiver):
    me = Signed(app, alice.email)
    page = text(me.get("/app/integrations"))
    assert "Nothing installed yet" in page
    for label in ("Webhook", "Slack", "Zapier", "Segment", "Stripe", "Shopify", "HubSpot"):
        assert f"<h4>{label}</h4>" in page, label
    assert "/app/integrations/outbound/new?kind=segment" in page
    mine = outbound.create_destination(alice.workspace, None, {
        "kind": "slack", "url": receiver.at("/s"), "events": ["link.created"],
        "name": "Alerts"})
    outbound.create_destination(charlie.workspace, None, {
        "kind": "zapier", "url": receiver.at("/z"), "events": ["link.created"],
        "name": "Theirs"})
    page = text(me.get("/app/integrations"))
    assert "Alerts" in page and "Theirs" not in page
    assert f"/app/integrations/outbound/{mine.public_id}" in page
    shop = integrations.create(alice.workspace, None, {
        "provider": "shopify", "name": "Main store", "config": {"shopDomain": "a.myshopify.com"},
        "secrets": {"webhookSecret": "shh-very-secret"}})
    page = text(me.get("/app/integrations"))
    assert f'data-installation="{shop.public_id}"' in page and "Main store" in page
    assert "/app/integrations/inbound/new/stripe" in page  # the inbound helper's pages
    assert f"/app/integrations/inbound/{shop.public_id}" in page
    assert "shh-very-secret" not in page


def test_add_configure_test_and_delete(app, ctx, alice, receiver):
    me = Signed(app, alice.email)
    assert "Slack incoming-webhook" not in text(me.get("/app/integrations/outbound/new"))
    response = me.post("/app/integrations/outbound/new?kind=slack",
                       {**FORM, "url": receiver.at("/slack")})
    assert response.status_code == 302, text(response)
    row = Webhook.get(Webhook.name == "Team channel")
    assert (row.scope, row.kind, row.events, row.url) == (
        "outbound", "slack", ["link.created"], receiver.at("/slack"))
    assert response.headers["Location"].endswith(f"/app/integrations/outbound/{row.public_id}")

    tested = me.post(f"/app/integrations/outbound/{row.public_id}/test")
    assert tested.status_code == 302
    page = text(me.get(tested.headers["Location"]))
    assert "Test link.created sent: HTTP 200" in page and "Response: ok" in page
    assert "delivery-row" in page and "succeeded" in page
    (request,) = receiver.requests
    assert json.loads(request.body)["blocks"]

    saved = me.post(f"/app/integrations/outbound/{row.public_id}",
                    {**FORM, "url": receiver.at("/slack2"), "events": ["sale.created"],
                     "enabled": ""})
    assert saved.status_code == 302
    row = Webhook.get_by_id(row.id)
    assert (row.url, row.events, row.enabled) == (receiver.at("/slack2"), ["sale.created"],
                                                  False)

    assert "Delete this destination?" in text(
        me.get(f"/app/integrations/outbound/{row.public_id}/delete"))
    assert me.post(f"/app/integrations/outbound/{row.public_id}/delete").status_code == 302
    assert Webhook.get_or_none(Webhook.id == row.id) is None


def test_segment_form_keeps_the_stored_key(app, ctx, alice, receiver):
    me = Signed(app, alice.email)
    response = me.post("/app/integrations/outbound/new?kind=segment", {
        "name": "Seg", "write_key": "wk_abcd1234", "endpoint": receiver.at("/v1/track"),
        "events": ["sale.created"], "enabled": "y"})
    assert response.status_code == 302, text(response)
    row = Webhook.get(Webhook.name == "Seg")
    page = text(me.get(f"/app/integrations/outbound/{row.public_id}"))
    assert "…1234" in page and "wk_abcd1234" not in page
    me.post(f"/app/integrations/outbound/{row.public_id}", {
        "name": "Seg 2", "write_key": "", "endpoint": receiver.at("/v1/track"),
        "events": ["sale.created"], "enabled": "y"})
    row = Webhook.get_by_id(row.id)
    assert row.name == "Seg 2" and row.config["writeKey"] == "wk_abcd1234"


def test_a_webhook_destination_shows_its_secret_once(app, ctx, alice, receiver):
    me = Signed(app, alice.email)
    response = me.post("/app/integrations/outbound/new?kind=webhook",
                       {**FORM, "url": receiver.at("/w")})
    assert response.status_code == 201
    row = Webhook.get(Webhook.name == "Team channel")
    assert row.secret in text(response)
    assert row.secret not in text(me.get(f"/app/integrations/outbound/{row.public_id}"))


def test_errors_sit_beside_the_fields(app, ctx, alice, monkeypatch):
    app.config["LINKHUB"]["WEBHOOK_ALLOW_PRIVATE"] = False
    monkeypatch.setattr(net_guard, "resolve_host", lambda host, port: ["93.184.215.14"])
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post("/app/integrations/outbound/new?kind=slack",
                       {**FORM, "url": "https://example.com/not-slack", "events": []})
    assert response.status_code == 400
    page = text(response)
    assert 'id="url-error"' in page and "hooks.slack.com" in page
    assert "Choose at least one event." in page
    response = me.post("/app/integrations/outbound/new?kind=segment",
                       {**FORM, "write_key": "", "endpoint": "http://127.0.0.1/"})
    assert response.status_code == 400
    page = text(response)
    assert 'id="write_key-error"' in page and 'id="endpoint-error"' in page
    assert me.get("/app/integrations/outbound/new?kind=fax").status_code == 404
    assert db_snapshot(app) == before


def test_other_workspaces_destinations_are_not_found(app, ctx, alice, charlie, receiver):
    theirs = outbound.create_destination(charlie.workspace, None, {
        "kind": "slack", "url": receiver.at("/s"), "events": ["link.created"]})
    me = Signed(app, alice.email)
    for path in ("", "/delete"):
        assert me.get(f"/app/integrations/outbound/{theirs.public_id}{path}").status_code == 404
    assert me.post(f"/app/integrations/outbound/{theirs.public_id}/test").status_code == 404
    assert receiver.requests == []


@pytest.mark.usefixtures("viewer")
def test_editors_and_viewers_only_look(app, ctx, alice, bob, receiver):
    row = outbound.create_destination(alice.workspace, None, {
        "kind": "slack", "url": receiver.at("/s"), "events": ["link.created"]})
    for email in (bob.email, "vic@example.com"):
        someone = Signed(app, email)
        page = text(someone.get("/app/integrations"))
        assert "Add Slack" not in page and "Admins and the owner add destinations." in page
        assert "Admins and the owner manage integrations." in text(
            someone.get(f"/app/integrations/outbound/{row.public_id}"))
        assert someone.get("/app/integrations/outbound/new?kind=slack").status_code == 403
        assert someone.post(f"/app/integrations/outbound/{row.public_id}/test").status_code \
            == 403
    assert receiver.requests == []


def test_csrf_is_required(app, ctx, alice, receiver):
    row = outbound.create_destination(alice.workspace, None, {
        "kind": "slack", "url": receiver.at("/s"), "events": ["link.created"]})
    me = Signed(app, alice.email)
    response = me.client.post(f"/app/integrations/outbound/{row.public_id}/test")
    assert response.status_code == 400 and receiver.requests == []


# --- in the browser ---------------------------------------------------------------------------

class _PageHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802
        body = (b"<html><head><title>Spring shoes</title>"
                b"<meta property='og:description' content='Light and fast.'>"
                b"<meta property='og:image' content='/img/shoe.jpg'></head><body></body></html>")
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def shop():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _PageHandler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # "localhost": 127.0.0.1 is the install's own host, which a link may not point to
    yield f"http://localhost:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.browser
def test_browser_slack_destination_test_and_log(page, alice, receiver):
    browser_login(page, alice.email)
    nav(page, "Integrations")
    page.locator(".integration-card[data-kind=slack]").get_by_role("link",
                                                                   name="Add Slack").click()
    page.get_by_label("Name").fill("Launch alerts")
    page.get_by_label("URL").fill(receiver.at("/services/T1/B1/x"))
    page.get_by_label("link.created").check()
    page.get_by_role("button", name="Add destination").click()
    page.wait_for_url("**/app/integrations/outbound/wh_*")
    assert page.get_by_text("Slack destination added.").is_visible()
    page.get_by_role("button", name="Send test").click()
    page.wait_for_url("**/app/integrations/outbound/wh_*")
    assert page.get_by_text("Test link.created sent: HTTP 200").is_visible()
    row = page.locator("tr.delivery-row").first
    assert row.get_by_text("succeeded").is_visible() and row.get_by_text("test").is_visible()
    row.get_by_text("Request and response").click()
    assert row.locator("pre").first.is_visible()
    page.screenshot(path="/tmp/shots/integration-detail.png", full_page=True)
    (request,) = receiver.requests
    assert request.path == "/services/T1/B1/x" and json.loads(request.body)["text"]
    nav(page, "Integrations")
    page.wait_for_url("**/app/integrations")
    page.locator("tr", has_text="Launch alerts").wait_for()  # visible once the page is in
    page.screenshot(path="/tmp/shots/integrations.png", full_page=True)


@pytest.mark.browser
def test_browser_fetch_from_page_fills_the_og_fields(page, alice, shop):
    metatags.clear_cache()
    browser_login(page, alice.email)
    page.goto("/app/links/new")
    page.get_by_label("Destination URL").fill(f"{shop}/spring")
    page.get_by_label("Short code").fill("shoes")
    page.locator("summary", has_text="Social preview").click()
    page.get_by_role("button", name="Fetch from page").click()
    page.get_by_text("Filled title, description, image from the page.").wait_for()
    assert page.get_by_label("OG title").input_value() == "Spring shoes"
    assert page.get_by_label("OG description").input_value() == "Light and fast."
    assert page.get_by_label("OG image URL").input_value() == f"{shop}/img/shoe.jpg"
    page.get_by_role("button", name="Create link").click()
    page.wait_for_url("**/app/links/link_*")
    link = Link.get(Link.short_code == "shoes")
    assert (link.og_title, link.og_image) == ("Spring shoes", f"{shop}/img/shoe.jpg")


@pytest.mark.browser
def test_browser_fetch_from_page_explains_a_refusal(page, app, alice):
    app.config["LINKHUB"]["METATAGS_ALLOW_PRIVATE"] = False
    browser_login(page, alice.email)
    page.goto("/app/links/new")
    page.get_by_label("Destination URL").fill("http://169.254.169.254/latest/meta-data")
    page.locator("summary", has_text="Social preview").click()
    page.get_by_role("button", name="Fetch from page").click()
    page.get_by_text("Could not read the page").wait_for()
    assert page.get_by_label("OG title").input_value() == ""

"""Dashboard integration pages (/app/integrations/inbound): install a provider with its secrets
(entered once, then only masked), errors beside the fields, configure (an empty secret keeps
the stored one), pause/resume, delete, the recent inbound events; admins only for changes,
another workspace's installation is 404; plus a browser test of the whole flow with a signed
Stripe event delivered over HTTP to the same server."""

from __future__ import annotations

import urllib.request
from html import unescape

import pytest

from linkhub.models import Integration
from linkhub.services import integrations
from tests.api.inbound_support import SECRETS, body_of, stripe_header, tracked_click
from tests.api.test_inbound_stripe import checkout_event
from tests.conftest import db_snapshot, login
from tests.dashboard.test_links_pages import browser_login

PAGE = "/app/integrations/inbound"
SECRET = SECRETS["stripe"]["endpointSecret"]


class Signed:
    """A test client signed in through the API, posting forms with its CSRF token."""

    def __init__(self, app, email):
        self.client = app.test_client()
        self.token = login(self.client, email)

    def get(self, path):
        return self.client.get(path)

    def post(self, path, **data):
        return self.client.post(path, data={"csrf_token": self.token, **data})


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_install_shows_the_secret_only_masked(app, alice):
    me = Signed(app, alice.email)
    assert "Nothing installed yet" in text(me.get(PAGE))
    assert "Install Stripe" in text(me.get(PAGE))
    response = me.post(f"{PAGE}/new/stripe", name="Payments", sec_endpointSecret=SECRET,
                       cfg_saleEvent="", cfg_accountId="acct_1Qa")
    assert response.status_code == 302, text(response)
    row = Integration.get(Integration.name == "Payments")
    assert row.created_by_id == alice.user.id and row.config["accountId"] == "acct_1Qa"
    html = text(me.get(response.headers["Location"]))
    assert SECRET not in html and "••••" + SECRET[-4:] in html
    assert f"/api/integrations/webhooks/stripe?installationId={row.public_id}" in html
    assert "No events yet" in html and "Payments installed" in html
    assert "Payments" in text(me.get(PAGE))


def test_errors_sit_beside_the_fields(app, alice):
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post(f"{PAGE}/new/shopify", sec_webhookSecret="short", cfg_shopDomain="")
    assert response.status_code == 400
    html = text(response)
    assert 'id="cfg_shopDomain-error">Is required.' in html
    assert 'id="sec_webhookSecret-error">Must be a string of 8 to 500 characters.' in html
    assert db_snapshot(app) == before
    assert me.get(f"{PAGE}/new/paypal").status_code == 404


def test_configure_keeps_an_empty_secret_and_changes_settings(app, alice):
    me = Signed(app, alice.email)
    me.post(f"{PAGE}/new/shopify", sec_webhookSecret=SECRETS["shopify"]["webhookSecret"],
            cfg_shopDomain="my-shop.myshopify.com")
    row = Integration.get()
    response = me.post(f"{PAGE}/{row.public_id}", name="Shop", sec_webhookSecret="",
                       cfg_shopDomain="my-shop.myshopify.com", cfg_saleEvent="order",
                       cfg_recordUnattributed="y")
    assert response.status_code == 302, text(response)
    row = Integration.get_by_id(row.id)
    assert (row.name, row.config["saleEvent"], row.config["recordUnattributed"]) == (
        "Shop", "order", True)
    with app.test_request_context():
        assert integrations.secrets_of(row) == SECRETS["shopify"]
    bad = me.post(f"{PAGE}/{row.public_id}", name="Shop", cfg_shopDomain="not a host")
    assert bad.status_code == 400 and "Must be a host name" in text(bad)


def test_pause_resume_and_delete(app, alice):
    me = Signed(app, alice.email)
    me.post(f"{PAGE}/new/slack", sec_signingSecret=SECRETS["slack"]["signingSecret"])
    row = Integration.get()
    assert me.post(f"{PAGE}/{row.public_id}/status", status="paused").status_code == 302
    assert Integration.get_by_id(row.id).status == "paused"
    assert "is now paused" in text(me.get(f"{PAGE}/{row.public_id}"))
    me.post(f"{PAGE}/{row.public_id}/status", status="active")
    assert Integration.get_by_id(row.id).status == "active"
    me.post(f"{PAGE}/{row.public_id}/status", status="error")
    assert Integration.get_by_id(row.id).status == "active"
    assert "Remove this integration?" in text(me.get(f"{PAGE}/{row.public_id}/delete"))
    assert me.post(f"{PAGE}/{row.public_id}/delete").status_code == 302
    assert Integration.select().count() == 0


def test_members_look_admins_change_outsiders_see_404(app, alice, bob, charlie):
    owner = Signed(app, alice.email)
    owner.post(f"{PAGE}/new/stripe", sec_endpointSecret=SECRET)
    row = Integration.get()
    editor = Signed(app, bob.email)
    html = text(editor.get(f"{PAGE}/{row.public_id}"))
    assert "••••" in html and SECRET not in html and "Save" not in html
    outsider = Signed(app, charlie.email)
    before = db_snapshot(app)
    assert editor.get(f"{PAGE}/new/stripe").status_code == 403
    assert editor.post(f"{PAGE}/{row.public_id}/status", status="paused").status_code == 403
    assert editor.post(f"{PAGE}/{row.public_id}/delete").status_code == 403
    assert outsider.get(f"{PAGE}/{row.public_id}").status_code == 404
    assert outsider.post(f"{PAGE}/{row.public_id}/delete").status_code == 404
    assert db_snapshot(app) == before


@pytest.mark.browser
def test_install_receive_pause_and_remove_in_a_browser(app, client, alice, page,
                                                       live_server):
    _, click_id = tracked_click(client, alice)
    browser_login(page, alice.email)
    page.goto(PAGE)
    page.get_by_role("link", name="Install Stripe").click()
    page.get_by_label("Name", exact=True).fill("Stripe live")
    page.get_by_label("Endpoint signing secret").fill(SECRET)
    page.get_by_role("button", name="Install Stripe").click()
    page.wait_for_url("**/app/integrations/inbound/int_*")
    content = page.content()
    assert SECRET not in content and "••••" + SECRET[-4:] in content
    receiver = page.locator("code.receiver-url").first.inner_text()
    assert receiver.endswith(page.url.rsplit("/", 1)[1])

    body = body_of(checkout_event(click_id))
    path = "/api/" + receiver.split("/api/", 1)[1]  # BASE_URL is not the test server's
    request = urllib.request.Request(
        live_server.url + path, data=body, method="POST",
        headers={"Stripe-Signature": stripe_header(SECRET, body),
                 "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200
    page.reload()
    row = page.locator("tr.event-row").first
    assert "checkout.session.completed" in row.inner_text()
    assert "conv_" in row.inner_text() and "processed" in row.inner_text()

    page.get_by_role("button", name="Pause").click()
    assert page.locator(".badges [data-status]").inner_text() == "paused"
    page.get_by_role("button", name="Resume").click()
    assert page.locator(".badges [data-status]").inner_text() == "active"
    page.get_by_role("link", name="Remove").click()
    page.get_by_role("button", name="Remove").click()
    page.wait_for_url("**/app/integrations/inbound")
    assert "Nothing installed yet" in page.content()

"""Dashboard tracking page: publishable keys listed with their install snippet, created with
allowed origins, edited, rotated, disabled and deleted; errors beside the fields; admins only;
another workspace's key is 404; plus a browser test of the whole page."""

from __future__ import annotations

import re
from html import unescape

import pytest

from linkhub.models import AuditLog, PublishableKey
from linkhub.services import publishable_keys
from tests.conftest import db_snapshot, login
from tests.dashboard.test_links_pages import browser_login, nav

PAGE = "/app/tracking"


class Signed:
    """A test client signed in through the API, posting forms with its CSRF token."""

    def __init__(self, app, email):
        self.client = app.test_client()
        self.token = login(self.client, email)

    def get(self, path):
        return self.client.get(path)

    def post(self, path, **data):
        return self.client.post(path, data={"csrf_token": self.token, **data})


def text(response):
    return unescape(response.get_data(as_text=True))


def make_key(workspace, **data):
    return publishable_keys.create(workspace, None, {"name": "Shop", **data})


def test_empty_page_then_create_with_origins(app, ctx, alice):
    me = Signed(app, alice.email)
    assert "No publishable keys yet" in text(me.get(PAGE))
    response = me.post(PAGE, name="Web shop",
                       origins="https://Shop.Example/\n*.example.org, http://localhost:3000")
    assert response.status_code == 302
    key = PublishableKey.get(PublishableKey.name == "Web shop")
    assert key.allowed_origins == ["https://shop.example", "*.example.org",
                                   "http://localhost:3000"]
    assert key.workspace.public_id == alice.workspace_id and key.created_by_id == alice.user.id
    html = text(me.get(PAGE))
    base = app.config["LINKHUB"]["BASE_URL"]
    assert key.key in html and "Publishable key “Web shop” created" in html
    assert f'<script src="{base}/static/linkhub-track.js" data-key="{key.key}" defer>' in html
    assert "https://shop.example" in html and "linkhub.trackLead(" in html


def test_bad_origins_sit_beside_the_field(app, ctx, alice):
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post(PAGE, name="Shop", origins="https://ok.example\nshop.example/path")
    assert response.status_code == 400
    html = text(response)
    assert re.search(r'id="origins-error">“shop\.example/path” needs a scheme', html), html
    assert 'aria-invalid="true"' in html
    response = me.post(PAGE, name="", origins="")
    assert response.status_code == 400 and 'id="name-error"' in text(response)
    assert db_snapshot(app) == before


def test_edit_rotate_toggle_and_delete(app, ctx, alice):
    key = make_key(alice.workspace, allowedOrigins=["https://a.example"])
    me = Signed(app, alice.email)
    form = text(me.get(f"{PAGE}/{key.public_id}/edit"))
    assert "https://a.example</textarea>" in form
    response = me.post(f"{PAGE}/{key.public_id}/edit", name="Renamed",
                       origins="https://b.example")
    assert response.status_code == 302
    key = PublishableKey.get_by_id(key.id)
    assert (key.name, key.allowed_origins) == ("Renamed", ["https://b.example"])
    bad = me.post(f"{PAGE}/{key.public_id}/edit", name="Renamed", origins="*")
    assert bad.status_code == 400 and 'id="origins-error"' in text(bad)
    old = key.key
    assert me.post(f"{PAGE}/{key.public_id}/rotate").status_code == 302
    key = PublishableKey.get_by_id(key.id)
    assert key.key != old and key.rotated_at is not None
    assert me.post(f"{PAGE}/{key.public_id}/toggle").status_code == 302
    assert PublishableKey.get_by_id(key.id).enabled is False
    assert "disabled</span>" in text(me.get(PAGE))
    assert me.post(f"{PAGE}/{key.public_id}/toggle").status_code == 302
    assert PublishableKey.get_by_id(key.id).enabled is True
    assert me.post(f"{PAGE}/{key.public_id}/delete").status_code == 302
    assert PublishableKey.get_or_none(PublishableKey.id == key.id) is None
    actions = [a.action for a in AuditLog.select().where(AuditLog.resource_id == key.public_id)
               .order_by(AuditLog.id)]
    assert actions == ["publishable_key.create", "publishable_key.update",
                       "publishable_key.rotate", "publishable_key.disable",
                       "publishable_key.enable", "publishable_key.delete"]


def test_editors_see_a_note_and_cannot_write(app, ctx, alice, bob):
    key = make_key(alice.workspace)
    me = Signed(app, bob.email)
    html = text(me.get(PAGE))
    assert "Only admins and the owner manage publishable keys" in html and key.key not in html
    before = db_snapshot(app)
    assert me.post(PAGE, name="Mine", origins="").status_code == 403
    for action in ("rotate", "toggle", "delete"):
        assert me.post(f"{PAGE}/{key.public_id}/{action}").status_code == 403
    assert me.get(f"{PAGE}/{key.public_id}/edit").status_code == 403
    assert db_snapshot(app) == before


def test_other_workspaces_keys_and_csrf(app, ctx, alice, charlie):
    theirs = make_key(charlie.workspace)
    mine = make_key(alice.workspace)
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    for path in (f"{PAGE}/{theirs.public_id}/rotate", f"{PAGE}/{theirs.public_id}/delete",
                 f"{PAGE}/pk_0000000000000000/toggle", f"{PAGE}/nope/rotate"):
        assert me.post(path).status_code == 404
    assert me.get(f"{PAGE}/{theirs.public_id}/edit").status_code == 404
    assert theirs.key not in text(me.get(PAGE))
    assert me.client.post(f"{PAGE}/{mine.public_id}/delete").status_code == 400  # no CSRF
    assert me.client.post(PAGE, data={"name": "x"}).status_code == 400
    assert db_snapshot(app) == before


@pytest.mark.browser
def test_browser_manage_keys(page, ctx, alice):
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, alice.email)
    nav(page, "Tracking")
    page.get_by_label("Name", exact=True).fill("Storefront")
    page.get_by_label("Allowed origins").fill("shop.example")
    page.get_by_role("button", name="Create key").click()
    error = page.locator("#origins-error")
    error.filter(has_text="“shop.example” needs a scheme").wait_for()  # after the reload
    page.get_by_label("Allowed origins").fill("https://shop.example\n*.example.org")
    page.get_by_role("button", name="Create key").click()
    page.wait_for_url("**/app/tracking*")
    card = page.get_by_role("article", name="Key Storefront")
    key = PublishableKey.get(PublishableKey.name == "Storefront")
    assert card.get_by_text(key.key, exact=True).is_visible()
    assert card.locator("code.origin").all_inner_texts() == ["https://shop.example",
                                                             "*.example.org"]
    card.get_by_text("Install snippet").click()
    assert card.get_by_text('data-key="' + key.key).is_visible()
    card.get_by_role("button", name="Rotate").click()
    page.wait_for_load_state()
    rotated = PublishableKey.get_by_id(key.id).key
    assert rotated != key.key
    card = page.get_by_role("article", name="Key Storefront")
    assert card.get_by_text(rotated, exact=True).is_visible()
    card.get_by_role("button", name="Disable").click()
    page.wait_for_load_state()
    card = page.get_by_role("article", name="Key Storefront")
    assert card.get_by_text("disabled", exact=True).is_visible()
    assert PublishableKey.get_by_id(key.id).enabled is False
    card.get_by_role("link", name="Edit").click()
    page.get_by_label("Allowed origins").fill("https://new.example")
    page.get_by_role("button", name="Save key").click()
    page.wait_for_url("**/app/tracking*")
    assert PublishableKey.get_by_id(key.id).allowed_origins == ["https://new.example"]
    page.get_by_role("article", name="Key Storefront").get_by_role(
        "button", name="Delete").click()
    page.wait_for_load_state()
    assert page.get_by_text("No publishable keys yet").is_visible()
    assert PublishableKey.get_or_none(PublishableKey.id == key.id) is None

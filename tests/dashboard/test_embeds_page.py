"""The Embeds tab: public-stats toggles with metric checkboxes per link and campaign (URL,
new URL), embed tokens (create, rotate, revoke, the <iframe> snippet); errors beside the
fields with nothing written; viewers read only; another workspace's ids 404. Browser tests:
toggle public stats and open the /s/ page; create an embed and load it in an <iframe> on a
page of another site, then revoke it."""

from __future__ import annotations

import re
import threading
from html import unescape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from linkhub.models import AuditLog, EmbedToken, Link, PublicShare
from linkhub.services import campaigns, embeds, links, public_shares
from tests import public_stats_support as sup
from tests.conftest import db_snapshot, login
from tests.dashboard.test_links_pages import browser_login, nav

PAGE = "/app/embeds"


class Signed:
    """A test client signed in through the API, posting forms with its CSRF token."""

    def __init__(self, app, email):
        self.client = app.test_client()
        self.token = login(self.client, email)

    def get(self, path):
        return self.client.get(path)

    def post(self, path, prefix: str = "", **data):
        key = f"{prefix}-csrf_token" if prefix else "csrf_token"
        return self.client.post(path, data={key: self.token, **data})


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def make_link(workspace, **data) -> Link:
    return links.create_link(workspace, None, {"destinationUrl": "https://example.com/a",
                                               **data})


def test_page_needs_a_session(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/app/login" in response.headers["Location"]


def test_toggle_public_stats_with_metrics(app, ctx, alice):
    link = make_link(alice.workspace, title="Promo", shortCode="promo")
    campaign = campaigns.create_campaign(alice.workspace, None, {"name": "Spring"})
    me = Signed(app, alice.email)
    page = text(me.get(PAGE))
    assert 'aria-label="Public stats of link Promo"' in page
    assert 'aria-label="Public stats of campaign Spring"' in page
    pid = link.public_id
    response = me.post(f"{PAGE}/share/link/{pid}", prefix=pid,
                       **{f"{pid}-enabled": "y", f"{pid}-metrics": ["clicks", "countries"]})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"#{pid}")
    share = PublicShare.get(PublicShare.link == link)
    assert (share.enabled, share.metrics) == (True, ["clicks", "countries"])
    assert Link.get_by_id(link.id).public_stats is True
    page = text(me.get(PAGE))
    url = public_shares.url_of(share)
    assert url in page and "Public stats of “Promo” on." in page
    assert me.client.get(f"/s/{share.token}").status_code == 200
    old = share.token
    assert me.post(f"{PAGE}/share/link/{pid}/rotate").status_code == 302
    assert PublicShare.get_by_id(share.id).token != old
    response = me.post(f"{PAGE}/share/link/{pid}", prefix=pid,
                       **{f"{pid}-metrics": ["clicks"]})  # the box unticked: off
    assert response.status_code == 302
    assert PublicShare.get_by_id(share.id).enabled is False
    assert Link.get_by_id(link.id).public_stats is False
    cid = campaign.public_id
    assert me.post(f"{PAGE}/share/campaign/{cid}", prefix=cid,
                   **{f"{cid}-enabled": "y", f"{cid}-metrics": ["timeseries"]}
                   ).status_code == 302
    assert PublicShare.get(PublicShare.campaign == campaign).metrics == ["timeseries"]


def test_no_metric_ticked_is_an_error_beside_the_boxes(app, ctx, alice):
    link = make_link(alice.workspace, title="Promo")
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    pid = link.public_id
    response = me.post(f"{PAGE}/share/link/{pid}", prefix=pid, **{f"{pid}-enabled": "y"})
    assert response.status_code == 400
    page = text(response)
    assert re.search(rf'id="{pid}-metrics-error">Must be a non-empty list', page)
    assert db_snapshot(app) == before


def test_create_rotate_and_revoke_an_embed(app, ctx, alice):
    link = make_link(alice.workspace, title="Promo")
    me = Signed(app, alice.email)
    page = text(me.get(PAGE))
    assert f'<option value="{link.public_id}">Link: Promo' in page
    response = me.post(f"{PAGE}/tokens", name="Blog", widget="top_referrers",
                       scope=link.public_id)
    assert response.status_code == 302
    token = EmbedToken.get(EmbedToken.name == "Blog")
    assert (token.widget, token.link_id, token.created_by_id) == ("top_referrers", link.id,
                                                                   alice.user.id)
    page = text(me.get(PAGE))
    assert embeds.snippet(token) in page and 'aria-label="Embed Blog"' in page
    assert f'src="{embeds.url_of(token)}"' in page  # the preview frame
    old = token.token
    assert me.post(f"{PAGE}/tokens/{token.public_id}/rotate").status_code == 302
    token = EmbedToken.get_by_id(token.id)
    assert token.token != old and me.client.get(f"/embed/{old}").status_code == 404
    assert me.post(f"{PAGE}/tokens/{token.public_id}/revoke").status_code == 302
    assert EmbedToken.get_by_id(token.id).revoked_at is not None
    assert me.client.get(f"/embed/{token.token}").status_code == 404
    page = text(me.get(PAGE))
    assert "revoked</span>" in page and token.token not in page
    assert me.post(f"{PAGE}/tokens", name="Site", widget="stats", scope="").status_code == 302
    assert EmbedToken.get(EmbedToken.name == "Site").link_id is None
    actions = [a.action for a in AuditLog.select().where(
        AuditLog.resource_type == "embed").order_by(AuditLog.id)]
    assert actions == ["embed.create", "embed.rotate", "embed.revoke", "embed.create"]


def test_embed_form_errors(app, ctx, alice, charlie):
    theirs = make_link(charlie.workspace)
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post(f"{PAGE}/tokens", name="", widget="stats", scope="")
    assert response.status_code == 400 and 'id="name-error"' in text(response)
    response = me.post(f"{PAGE}/tokens", name="X", widget="map", scope="")
    assert response.status_code == 400 and 'id="widget-error"' in text(response)
    response = me.post(f"{PAGE}/tokens", name="X", widget="stats", scope=theirs.public_id)
    assert response.status_code == 404
    assert db_snapshot(app) == before


def test_viewers_read_only_and_other_workspaces(app, ctx, alice, bob, charlie):
    from linkhub.services.accounts import create_user
    from linkhub.services.workspaces import add_member
    from tests.conftest import PASSWORD

    mine = make_link(alice.workspace, title="Mine")
    theirs = make_link(charlie.workspace, title="Theirs")
    their_token = embeds.create(charlie.workspace, None, {"name": "T", "widget": "stats"})
    viewer = create_user("vera@example.com", PASSWORD, "Vera")
    add_member(alice.workspace, viewer, "viewer")
    me = Signed(app, "vera@example.com")
    editor = Signed(app, bob.email)
    page = text(me.get(PAGE))
    assert "Public stats of link Mine" in page and "Create an embed" not in page
    assert "Theirs" not in page and their_token.token not in page
    before = db_snapshot(app)
    pid = mine.public_id
    assert me.post(f"{PAGE}/share/link/{pid}", prefix=pid,
                   **{f"{pid}-enabled": "y", f"{pid}-metrics": ["clicks"]}).status_code == 403
    assert me.post(f"{PAGE}/tokens", name="x", widget="stats").status_code == 403
    tid = theirs.public_id
    for path, prefix, extra in (
            (f"{PAGE}/share/link/{tid}", tid, {f"{tid}-enabled": "y"}),
            (f"{PAGE}/share/link/{tid}/rotate", "", {}),
            (f"{PAGE}/share/other/{pid}", "", {}),
            (f"{PAGE}/tokens/{their_token.public_id}/rotate", "", {}),
            (f"{PAGE}/tokens/{their_token.public_id}/revoke", "", {}),
            (f"{PAGE}/tokens/emb_0000000000000000/revoke", "", {})):
        assert editor.post(path, prefix, **extra).status_code == 404, path
    assert editor.client.post(f"{PAGE}/share/link/{pid}",
                              data={f"{pid}-enabled": "y"}).status_code == 400  # no CSRF
    assert db_snapshot(app) == before


# --- in a browser -------------------------------------------------------------------------------

def drive_clicks(app, code: str, count: int) -> None:
    visitor = app.test_client()
    for _ in range(count):
        assert visitor.get(f"/{code}", headers={"User-Agent": sup.VISITORS["A"][1]}
                           ).status_code == 302
    sup.flush(app)


class _BlogHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's naming)
        body = self.server.html.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def blog():
    """Another site (its own origin, on loopback like the test server: Chromium's Local
    Network Access check blocks a public page from framing a loopback one) whose page holds
    whatever HTML the test sets in `.html`."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BlogHandler)
    server.html = "<!doctype html><p>empty</p>"
    server.url = f"http://localhost:{server.server_address[1]}/post"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.mark.browser
def test_browser_public_stats_toggle_and_page(app, page, ctx, alice, live_server):
    app.config["LINKHUB"]["BASE_URL"] = live_server.url
    make_link(alice.workspace, title="Promo", shortCode="promo")
    drive_clicks(app, "promo", 3)
    browser_login(page, alice.email)
    nav(page, "Embeds")
    row = page.get_by_role("article", name="Public stats of link Promo")
    assert row.get_by_text("private", exact=True).is_visible()
    row.get_by_label("Public page").check()
    row.get_by_label("Unique visitors").uncheck()
    row.get_by_label("Clicks over time").uncheck()
    row.get_by_label("Devices").check()
    row.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    row = page.get_by_role("article", name="Public stats of link Promo")
    assert row.get_by_text("public", exact=True).is_visible()
    share = PublicShare.get()
    assert share.metrics == ["clicks", "devices"]
    url = row.locator("code").filter(has_text="/s/").inner_text()
    assert url == f"{live_server.url}/s/{share.token}"
    page.goto(url)
    assert page.locator('[data-metric="clicks"] .stat-value').inner_text() == "3"
    assert page.get_by_role("heading", name="Devices").is_visible()
    assert page.locator('[data-metric]').count() == 2
    assert page.get_by_text("Unique visitors").count() == 0


@pytest.mark.browser
def test_browser_embed_in_an_iframe_on_another_site(app, page, ctx, alice, live_server,
                                                    blog):
    page.on("dialog", lambda dialog: dialog.accept())
    app.config["LINKHUB"]["BASE_URL"] = live_server.url
    make_link(alice.workspace, title="Promo", shortCode="promo")
    drive_clicks(app, "promo", 2)
    browser_login(page, alice.email)
    nav(page, "Embeds")
    page.get_by_label("Name", exact=True).fill("Blog sidebar")
    page.get_by_label("Widget").select_option("stats")
    page.get_by_label("Covers").select_option(label="Link: Promo (/promo)")
    page.get_by_role("button", name="Create embed").click()
    page.wait_for_load_state()
    card = page.get_by_role("article", name="Embed Blog sidebar")
    snippet = card.locator("code").filter(has_text="<iframe").inner_text()
    token = EmbedToken.get(EmbedToken.name == "Blog sidebar")
    assert snippet == embeds.snippet(token)
    blog.html = f"<!doctype html><html><body><h1>My blog</h1>{snippet}</body></html>"
    page.goto(blog.url)
    frame = page.frame_locator("iframe")
    assert frame.locator('[data-metric="clicks"] .value').inner_text() == "2"
    assert frame.locator('[data-metric="uniqueClicks"] .value').inner_text() == "1"
    page.goto(f"{live_server.url}{PAGE}")
    page.get_by_role("article", name="Embed Blog sidebar").get_by_role(
        "button", name="Revoke").click()
    page.wait_for_load_state()
    assert page.get_by_role("article", name="Embed Blog sidebar").get_by_text(
        "revoked", exact=True).is_visible()
    page.goto(blog.url)
    assert page.frame_locator("iframe").get_by_text("Page not found").is_visible()

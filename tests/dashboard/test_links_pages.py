"""Dashboard link pages: the list (search, filters, sort, pages), create and edit with every
field, detail, archive/unarchive and delete, through the test client for each role, plus a
browser test (create with tags and a password, find it, edit it, archive it). The helpers
here are shared by the other links-and-routing page tests."""

from __future__ import annotations

from html import unescape

import pytest

from linkhub.models import Link, LinkTag, Tag
from linkhub.services import campaigns, folders, links
from linkhub.services.accounts import create_user
from linkhub.services.workspaces import add_member
from tests.conftest import PASSWORD, db_snapshot, login


class Signed:
    """A test client signed in through the API, posting dashboard forms with its CSRF token."""

    def __init__(self, app, email):
        self.client = app.test_client()
        self.token = login(self.client, email)

    def get(self, path, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path, data=None, **fields):
        return self.client.post(path, data={"csrf_token": self.token, **(data or {}),
                                            **fields})


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


@pytest.fixture
def viewer(ctx, alice):
    """vic, a viewer in Alice Co."""
    user = create_user("vic@example.com", PASSWORD, "Vic Viewer")
    add_member(alice.workspace, user, "viewer")
    return user


def browser_login(page, email):
    page.goto("/app/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/app/")


def nav(page, label):
    """Follow a sidebar entry."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name=label,
                                                            exact=True).click()
    page.wait_for_load_state()  # is_visible() checks right after do not wait by themselves


def make_link(workspace, user=None, **data):
    return links.create_link(workspace, user, {"destinationUrl": "https://example.com/a",
                                               **data})


# --- list -----------------------------------------------------------------------------------

def test_pages_need_a_session(client):
    for path in ("/app/links", "/app/links/new", "/app/rules", "/app/campaigns",
                 "/app/domains", "/app/organize", "/app/utm-templates"):
        response = client.get(path)
        assert response.status_code == 302 and "/app/login" in response.headers["Location"]


def test_empty_list_invites_the_first_link(app, alice):
    page = text(Signed(app, alice.email).get("/app/links"))
    assert "No links yet" in page and "Create your first link" in page
    assert 'href="/app/links"' in page  # the sidebar entry


def test_list_search_filters_and_sort(app, ctx, alice):
    ws = alice.workspace
    camp = campaigns.create_campaign(ws, None, {"name": "Spring"})
    box = folders.create_folder(ws, None, {"name": "Box"})
    make_link(ws, shortCode="alpha", title="Alpha launch", tags=["news"],
              campaignId=camp.public_id)
    make_link(ws, shortCode="beta", title="Beta page", folderId=box.public_id)
    gone = make_link(ws, shortCode="gamma", title="Gamma old")
    links.set_archived(ws, None, gone, True)
    me = Signed(app, alice.email)
    page = text(me.get("/app/links"))
    assert "alpha" in page and "beta" in page and "Gamma old" not in page
    assert "/alpha" in page and 'data-copy-text="http' in page
    assert "Beta page" not in text(me.get("/app/links?search=alpha"))
    assert "Alpha launch" in text(me.get("/app/links?search=alpha"))
    assert "Beta page" not in text(me.get(f"/app/links?campaignId={camp.public_id}"))
    tag = Tag.get(Tag.name == "news")
    only = text(me.get(f"/app/links?tag={tag.public_id}"))
    assert "Alpha launch" in only and "Beta page" not in only
    only = text(me.get(f"/app/links?folderId={box.public_id}"))
    assert "Beta page" in only and "Alpha launch" not in only
    archived = text(me.get("/app/links?status=archived"))
    assert "Gamma old" in archived and "Alpha launch" not in archived
    ordered = text(me.get("/app/links?sort=title"))
    assert ordered.index("Alpha launch") < ordered.index("Beta page")
    assert "No links match these filters." in text(me.get("/app/links?search=zzz"))


def test_list_pages_and_bad_filters(app, ctx, alice):
    for i in range(23):
        make_link(alice.workspace, shortCode=f"code{i:02d}")
    me = Signed(app, alice.email)
    first = text(me.get("/app/links"))
    assert "Page 1 of 2" in first and "code22" in first and "code00" not in first
    assert "code00" in text(me.get("/app/links?page=2"))
    response = me.get("/app/links?campaignId=nope")
    assert response.status_code == 400 and "campaignId" in text(response)
    assert me.get("/app/links?page=0").status_code == 400


# --- create and edit ------------------------------------------------------------------------

FULL = {
    "destination_url": "https://example.com/landing", "short_code": "full-form",
    "title": "Everything", "description": "All the fields", "tags": "one, two",
    "password": "s3cret-pass", "expires_at": "2099-01-01T10:00", "clicks_limit": "50",
    "expired_url": "https://example.com/over", "redirect_behavior": "always",
    "redirect_type": "301", "enabled": "y", "preserve_query_params": "y",
    "inapp_browser_breakout": "y", "deep_link_enabled": "y",
    "deep_link_ios": "myapp://item/1", "deep_link_android": "https://example.com/app",
    "deep_link_fallback_url": "https://example.com/fallback", "conversion_tracking": "y",
    "tracking_type": "s2s", "utm_source": "news", "utm_medium": "email", "utm_campaign": "c",
    "utm_term": "t", "utm_content": "x", "public_stats": "y", "track_impressions": "y",
    "og_title": "OG", "og_description": "OG text", "og_image": "https://example.com/i.png",
    "notes": "internal", "external_id": "crm-1",
}


def test_create_with_every_field(app, ctx, alice):
    ws = alice.workspace
    camp = campaigns.create_campaign(ws, None, {"name": "Spring"})
    box = folders.create_folder(ws, None, {"name": "Box"})
    me = Signed(app, alice.email)
    form = text(me.get("/app/links/new"))
    for label in ("Destination URL", "Short code", "Tags", "Password", "Click limit",
                  "Behaviour", "iOS target", "UTM template", "OG title", "External id"):
        assert f">{label}</label>" in form, label
    response = me.post("/app/links/new", FULL, campaign_id=camp.public_id,
                       folder_id=box.public_id)
    assert response.status_code == 302
    link = Link.get(Link.short_code == "full-form")
    assert response.headers["Location"] == f"/app/links/{link.public_id}"
    assert (link.redirect_type, link.redirect_behavior, link.clicks_limit) == (301, "always", 50)
    assert link.password_hash and link.campaign_id == camp.id and link.folder_id == box.id
    assert not link.forward_utms and link.inapp_browser_breakout and link.deep_link_enabled
    assert (link.tracking_type, link.utm_term, link.external_id) == ("s2s", "t", "crm-1")
    assert sorted(links.relations([link])[link.id]["tags"]) == ["one", "two"]
    detail = text(me.get(response.headers["Location"]))
    assert "Everything" in detail and f"/app/links/{link.public_id}/qr/preview.svg" in detail
    assert "password" in detail and "one" in detail


def test_create_errors_sit_beside_the_fields(app, alice):
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post("/app/links/new", destination_url="javascript:alert(1)",
                       short_code="bad code", password="ab", clicks_limit="lots",
                       redirect_type="302", redirect_behavior="auto")
    assert response.status_code == 400
    page = text(response)
    for name in ("destination_url", "short_code", "password", "clicks_limit"):
        assert f'id="{name}-error"' in page, name
    assert db_snapshot(app) == before


def test_taken_code_shows_beside_the_short_code(app, ctx, alice):
    make_link(alice.workspace, shortCode="taken")
    response = Signed(app, alice.email).post(
        "/app/links/new", destination_url="https://example.com", short_code="taken",
        redirect_type="302", redirect_behavior="auto")
    assert response.status_code == 409 and 'id="short_code-error"' in text(response)


def test_edit_changes_only_what_changed(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="editme", tags=["keep"], password="pass1234",
                     title="Old")
    me = Signed(app, alice.email)
    page = text(me.get(f"/app/links/{link.public_id}/edit"))
    assert 'value="https://example.com/a"' in page and 'value="keep"' in page
    assert "Leave empty to keep the current password" in page
    data = {"destination_url": "https://example.com/new", "short_code": "editme",
            "title": "Old", "tags": "keep, more", "redirect_behavior": "auto",
            "redirect_type": "302", "enabled": "y", "preserve_query_params": "y",
            "forward_utms": "y", "tracking_type": "pixel"}
    assert me.post(f"/app/links/{link.public_id}/edit", data).status_code == 302
    link = Link.get_by_id(link.id)
    assert link.destination_url == "https://example.com/new" and link.password_hash
    assert sorted(links.relations([link])[link.id]["tags"]) == ["keep", "more"]
    me.post(f"/app/links/{link.public_id}/edit", data, remove_password="y")
    assert Link.get_by_id(link.id).password_hash is None
    response = me.post(f"/app/links/{link.public_id}/edit", data, short_code="a b")
    assert response.status_code == 400 and 'id="short_code-error"' in text(response)


def test_archive_unarchive_and_delete(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="life")
    me = Signed(app, alice.email)
    assert me.post(f"/app/links/{link.public_id}/archive").status_code == 302
    assert Link.get_by_id(link.id).archived_at is not None
    assert "Unarchive" in text(me.get(f"/app/links/{link.public_id}"))
    me.post(f"/app/links/{link.public_id}/unarchive")
    assert Link.get_by_id(link.id).archived_at is None
    confirm = text(me.get(f"/app/links/{link.public_id}/delete"))
    assert "Delete this link?" in confirm
    response = me.post(f"/app/links/{link.public_id}/delete")
    assert response.status_code == 302 and Link.get_by_id(link.id).deleted_at is not None
    assert me.get(f"/app/links/{link.public_id}").status_code == 404


def test_viewer_reads_but_cannot_write(app, ctx, alice, viewer):
    link = make_link(alice.workspace, shortCode="look")
    vic = Signed(app, "vic@example.com")
    page = text(vic.get("/app/links"))
    assert "look" in page and "New link" not in page and "/edit" not in page
    detail = text(vic.get(f"/app/links/{link.public_id}"))
    assert "Archive" not in detail and "/delete" not in detail
    before = db_snapshot(app)
    for path in ("/app/links/new", f"/app/links/{link.public_id}/edit",
                 f"/app/links/{link.public_id}/archive", f"/app/links/{link.public_id}/delete"):
        assert vic.post(path, destination_url="https://x.example").status_code == 403, path
    assert vic.get("/app/links/new").status_code == 403
    assert db_snapshot(app) == before


def test_csrf_is_required(app, ctx, alice):
    link = make_link(alice.workspace, shortCode="csrf")
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    for path in ("/app/links/new", f"/app/links/{link.public_id}/archive",
                 f"/app/links/{link.public_id}/delete"):
        response = me.client.post(path, data={"destination_url": "https://x.example"})
        assert response.status_code == 400, path
    assert db_snapshot(app) == before


def test_another_workspace_link_is_not_found(app, ctx, charlie, alice):
    theirs = make_link(charlie.workspace, shortCode="theirs")
    me = Signed(app, alice.email)
    for path in (f"/app/links/{theirs.public_id}", f"/app/links/{theirs.public_id}/edit"):
        assert me.get(path).status_code == 404
    assert me.post(f"/app/links/{theirs.public_id}/archive").status_code == 404
    assert LinkTag.select().count() == 0


# --- in a browser ---------------------------------------------------------------------------

@pytest.mark.browser
def test_browser_link_lifecycle(page, alice):
    page.on("dialog", lambda dialog: dialog.accept())
    browser_login(page, alice.email)
    nav(page, "Links")
    page.get_by_role("link", name="Create your first link").click()
    page.get_by_label("Destination URL").fill("https://example.com/spring")
    page.get_by_label("Short code").fill("spring-sale")
    page.get_by_label("Title", exact=True).fill("Spring sale")
    page.get_by_label("Tags").fill("promo, spring")
    page.locator("summary", has_text="Protection & limits").click()
    page.get_by_label("Password", exact=True).fill("open-sesame")
    page.get_by_role("button", name="Create link").click()
    page.wait_for_url("**/app/links/link_*")
    assert page.get_by_role("heading", name="Spring sale").is_visible()
    assert page.get_by_text("password").first.is_visible()
    page.screenshot(path="/tmp/shots/link-detail.png", full_page=True)

    nav(page, "Links")
    row = page.locator("tr", has_text="spring-sale")
    assert row.get_by_text("promo").is_visible()
    assert row.get_by_role("button", name="Copy").is_visible()
    page.get_by_label("Search").fill("spring")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**search=spring**")
    assert page.locator("tr", has_text="spring-sale").count() == 1
    page.screenshot(path="/tmp/shots/links.png", full_page=True)

    page.locator("tr", has_text="spring-sale").get_by_role("link", name="Edit").click()
    page.get_by_label("Destination URL").fill("https://example.com/summer")
    page.screenshot(path="/tmp/shots/link-form.png", full_page=True)
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url("**/app/links/link_*")
    assert page.get_by_text("Link saved.").is_visible()
    assert page.get_by_text("https://example.com/summer").first.is_visible()

    page.get_by_role("button", name="Archive").click()
    page.get_by_text("archived: it no longer redirects").wait_for()  # the page re-rendered
    assert page.get_by_role("button", name="Unarchive").is_visible()
    link = Link.get(Link.short_code == "spring-sale")
    assert link.archived_at is not None and link.password_hash
    assert link.destination_url == "https://example.com/summer"

"""Dashboard pixel pages: list (state filter, search, fires against the limit), create, the
pixel's page (edit form, the copy-paste `<img>` and beacon snippets, recent fires), delete,
for each role and through the test client, plus a browser test that creates a pixel, loads
its GIF and sees the fire."""

from __future__ import annotations

import pytest

from linkhub.models import Pixel, PixelFire
from linkhub.services import campaigns, pixels
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import (  # noqa: F401 (viewer is a fixture)
    Signed,
    browser_login,
    make_link,
    nav,
    text,
    viewer,
)
from tests.redirect.redirect_support import CHROME

FORM = {"name": "Thank-you page", "description": "After checkout", "event_name": "purchase",
        "capture_params": "plan, seats", "conversion_tracking": "y", "enabled": "y",
        "expires_at": "", "fires_limit": "100", "campaign_id": "", "link_id": ""}


def test_pages_need_a_session(client):
    for path in ("/app/pixels", "/app/pixels/new"):
        response = client.get(path)
        assert response.status_code == 302 and "/app/login" in response.headers["Location"]


def test_list_filter_and_search(app, ctx, alice, charlie):
    ws = alice.workspace
    assert "No pixels yet" in text(Signed(app, alice.email).get("/app/pixels"))
    pixels.create_pixel(ws, None, {"name": "Signup", "eventName": "sign_up", "firesLimit": 50})
    off = pixels.create_pixel(ws, None, {"name": "Newsletter", "enabled": False})
    pixels.create_pixel(charlie.workspace, None, {"name": "Theirs"})
    Pixel.update(fires=7).where(Pixel.id == off.id).execute()
    me = Signed(app, alice.email)
    page = text(me.get("/app/pixels"))
    assert "Signup" in page and "Newsletter" in page and "Theirs" not in page
    assert "sign_up" in page and "/ 50" in page and "disabled" in page
    assert 'href="/app/pixels"' in page  # the sidebar entry
    disabled = text(me.get("/app/pixels?state=disabled"))
    assert "Newsletter" in disabled and "Signup" not in disabled
    assert "Newsletter" not in text(me.get("/app/pixels?search=sign"))
    assert me.get("/app/pixels?state=bogus").status_code == 400
    assert "No pixels match." in text(me.get("/app/pixels?search=zzz"))


def test_create_shows_the_snippets(app, ctx, alice):
    camp = campaigns.create_campaign(alice.workspace, None, {"name": "Spring"})
    link = make_link(alice.workspace, shortCode="spring")
    me = Signed(app, alice.email)
    form = text(me.get("/app/pixels/new"))
    assert ">Captured parameters</label>" in form and "/spring" in form and "Spring" in form
    response = me.post("/app/pixels/new", {**FORM, "campaign_id": camp.public_id,
                                           "link_id": link.public_id})
    assert response.status_code == 302
    pixel = Pixel.get(Pixel.name == "Thank-you page")
    assert response.headers["Location"].endswith(f"/app/pixels/{pixel.public_id}")
    assert (pixel.event_name, pixel.capture_params, pixel.fires_limit) == (
        "purchase", ["plan", "seats"], 100)
    assert pixel.conversion_tracking and pixel.campaign_id == camp.id
    assert pixel.link_id == link.id
    page = text(me.get(f"/app/pixels/{pixel.public_id}"))
    base = app.config["LINKHUB"]["BASE_URL"].rstrip("/")
    assert (f'<img src="{base}/p/{pixel.public_id}.gif?lw_cid=CLICK_ID&plan=PLAN&seats=SEATS"'
            in page)
    assert f'navigator.sendBeacon("{base}/p/{pixel.public_id}"' in page
    assert '"plan": "…"' in page and "orderId" in page
    assert "No fires yet" in page


def test_recent_fires_are_listed(app, alice):
    me = Signed(app, alice.email)
    me.post("/app/pixels/new", FORM)
    pixel = Pixel.get(Pixel.name == "Thank-you page")
    anonymous = app.test_client()
    anonymous.get(f"/p/{pixel.public_id}.gif?plan=pro&lw_cid=clk_unknown",
                  headers={"User-Agent": CHROME, "Referer": "https://shop.example/done"})
    page = text(me.get(f"/app/pixels/{pixel.public_id}"))
    assert "Recent fires" in page and "<code>plan</code> = pro" in page
    assert "https://shop.example/done" in page and "not recorded: VALIDATION_ERROR" in page
    assert 'id="fire-count">1<' in page


def test_errors_sit_beside_the_fields(app, alice):
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post("/app/pixels/new", {**FORM, "name": " ", "event_name": "two words",
                                           "capture_params": "ok, bad!", "fires_limit": "0",
                                           "expires_at": "2001-01-01T00:00"})
    assert response.status_code == 400
    page = text(response)
    for name in ("name", "event_name", "fires_limit", "expires_at"):
        assert f'id="{name}-error"' in page, name
    assert "captureParams.1" in page  # a per-item problem is named above the form
    assert db_snapshot(app) == before


def test_edit_and_clear(app, ctx, alice):
    pixel = pixels.create_pixel(alice.workspace, None, {
        "name": "Lead", "firesLimit": 5, "captureParams": ["a"], "description": "x"})
    me = Signed(app, alice.email)
    page = text(me.get(f"/app/pixels/{pixel.public_id}"))
    assert 'value="5"' in page and 'value="a"' in page
    response = me.post(f"/app/pixels/{pixel.public_id}", {
        **FORM, "name": "Lead form", "fires_limit": "", "capture_params": "",
        "description": "", "event_name": "", "conversion_tracking": ""})
    assert response.status_code == 302
    pixel = Pixel.get_by_id(pixel.id)
    assert (pixel.name, pixel.fires_limit, pixel.capture_params, pixel.description) == (
        "Lead form", None, [], None)
    assert pixel.conversion_tracking is False and pixel.enabled is True
    unchanged = me.post(f"/app/pixels/{pixel.public_id}", {
        **FORM, "name": "Lead form", "fires_limit": "", "capture_params": "",
        "description": "", "event_name": "", "conversion_tracking": ""})
    assert unchanged.status_code == 302
    assert "Nothing changed." in text(me.get(unchanged.headers["Location"]))


def test_delete(app, ctx, alice):
    pixel = pixels.create_pixel(alice.workspace, None, {"name": "Old"})
    me = Signed(app, alice.email)
    assert "Delete this pixel?" in text(me.get(f"/app/pixels/{pixel.public_id}/delete"))
    response = me.post(f"/app/pixels/{pixel.public_id}/delete")
    assert response.status_code == 302
    assert Pixel.get_or_none(Pixel.id == pixel.id) is None


@pytest.mark.usefixtures("viewer")
def test_viewer_reads_pixels_only(app, ctx, alice):
    pixel = pixels.create_pixel(alice.workspace, None, {"name": "Look", "eventName": "lead"})
    vic = Signed(app, "vic@example.com")
    page = text(vic.get("/app/pixels"))
    assert "Look" in page and "New pixel" not in page
    detail = text(vic.get(f"/app/pixels/{pixel.public_id}"))
    assert "Viewers can look" in detail and 'name="fires_limit"' not in detail
    assert "sendBeacon" in detail  # the snippet is for everyone
    before = db_snapshot(app)
    for path in ("/app/pixels/new", f"/app/pixels/{pixel.public_id}",
                 f"/app/pixels/{pixel.public_id}/delete"):
        assert vic.post(path, FORM).status_code == 403, path
    assert db_snapshot(app) == before


def test_csrf_and_other_workspaces(app, ctx, alice, charlie):
    theirs = pixels.create_pixel(charlie.workspace, None, {"name": "Theirs"})
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    assert me.client.post("/app/pixels/new", data=FORM).status_code == 400
    assert me.get(f"/app/pixels/{theirs.public_id}").status_code == 404
    assert me.post(f"/app/pixels/{theirs.public_id}", FORM).status_code == 404
    assert me.post(f"/app/pixels/{theirs.public_id}/delete").status_code == 404
    assert me.get("/app/pixels/px_nope").status_code == 404
    assert db_snapshot(app) == before


@pytest.mark.browser
def test_browser_create_fire_and_see_it(page, ctx, alice, live_server):
    browser_login(page, alice.email)
    nav(page, "Pixels")
    page.get_by_role("link", name="Create a pixel").click()
    page.get_by_label("Name", exact=True).fill("Order confirmed")
    page.get_by_label("Event name").fill("purchase")
    page.get_by_label("Captured parameters").fill("plan")
    page.get_by_label("Fire limit").fill("3")
    page.get_by_role("button", name="Create pixel").click()
    page.get_by_role("heading", name="Order confirmed").wait_for()
    snippet = page.get_by_role("textbox", name="Image tag").input_value()
    pixel = Pixel.get(Pixel.name == "Order confirmed")
    assert f"/p/{pixel.public_id}.gif?plan=PLAN" in snippet
    assert "sendBeacon" in page.get_by_role("textbox", name="Beacon (JavaScript)").input_value()
    page.get_by_role("button", name="Copy image tag").wait_for()  # shown by the page script
    # A page elsewhere embeds the pixel: the browser loads the GIF like any image. (Headless
    # Chromium says "HeadlessChrome", which the crawler list flags: send a desktop agent.)
    page.set_extra_http_headers({"User-Agent": CHROME})
    gif_url = f"{live_server.url}/p/{pixel.public_id}.gif?plan=team"
    page.set_content(f'<img id="px" src="{gif_url}" width="1" height="1" alt="">')
    page.wait_for_function("document.getElementById('px').complete")
    assert page.evaluate("document.getElementById('px').naturalWidth") == 1
    assert PixelFire.select().where(PixelFire.pixel == pixel.id).count() == 1
    page.goto(f"/app/pixels/{pixel.public_id}")
    fires = page.locator("tr.fire-row")
    assert fires.count() == 1 and "team" in fires.first.inner_text()
    assert page.locator("#fire-count").inner_text() == "1"

"""Dashboard QR pages: a link's codes with previews, create with options and a logo upload,
errors beside the fields, edit, delete, PNG/SVG downloads, the workspace list, the link
page's live preview, and in Chromium: the previews really load."""

from __future__ import annotations

import io
import re

import pytest

from linkhub.models import QrCode
from tests.api.test_qr_codes import solid_png
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import Signed, browser_login, make_link, text


def form_post(me: Signed, path: str, **fields):
    return me.client.post(path, data={"csrf_token": me.token, **fields},
                          content_type="multipart/form-data")


@pytest.fixture
def link(ctx, alice):
    return make_link(alice.workspace, alice.user, shortCode="qr-page", title="Menu link")


def test_link_qr_page_creates_codes_with_a_logo(app, alice, link):
    me = Signed(app, alice.email)
    page = text(me.get(f"/app/links/{link.public_id}/qr"))
    assert "No QR codes yet" in page and "New QR code" in page
    assert f"{link.short_code}?qr=1" in page
    logo = (io.BytesIO(solid_png(8, 8, (0, 128, 0, 255))), "logo.png", "image/png")
    response = form_post(me, f"/app/links/{link.public_id}/qr", name="Poster", size="300",
                         format="png", error_correction="M", foreground_color="#112233",
                         background_color="#ffffff", image_data=logo)
    assert response.status_code == 302, text(response)[:2000]
    qr = QrCode.get(QrCode.name == "Poster")
    assert (qr.size, qr.format, qr.error_correction, qr.foreground_color) == (
        300, "png", "H", "#112233")
    assert qr.logo_mime == "image/png"
    page = text(me.get(response.headers["Location"]))
    assert "Poster" in page and f"/app/qr/{qr.public_id}/image?format=svg" in page
    download = me.get(f"/app/qr/{qr.public_id}/image?format=png&download=1")
    assert download.mimetype == "image/png" and download.data.startswith(b"\x89PNG")
    assert download.headers["Content-Disposition"] == \
        'attachment; filename="Poster-qr-page.png"'
    svg = me.get(f"/app/qr/{qr.public_id}/image?format=svg")
    assert svg.mimetype == "image/svg+xml" and b"<image" in svg.data


def test_errors_sit_beside_the_fields_and_nothing_is_written(app, alice, link):
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = form_post(me, f"/app/links/{link.public_id}/qr", name="", size="10",
                         format="png", error_correction="M", foreground_color="#000000",
                         background_color="#000000")
    page = text(response)
    assert response.status_code == 400
    assert "Is required." in page and "Must be between 64 and 2048 pixels." in page
    assert "Must differ from foregroundColor." in page
    http_logo = (io.BytesIO(b"https://example.com/logo.png"), "logo.txt", "text/plain")
    response = form_post(me, f"/app/links/{link.public_id}/qr", name="Logo", size="300",
                         format="png", error_correction="M", foreground_color="#000000",
                         background_color="#ffffff", image_data=http_logo)
    assert response.status_code == 400 and "PNG, JPEG or SVG" in text(response)
    assert db_snapshot(app) == before


def test_duplicate_name_edit_and_delete(app, alice, link):
    me = Signed(app, alice.email)
    base = dict(size="256", format="svg", error_correction="Q", foreground_color="#000000",
                background_color="#ffffff")
    assert form_post(me, f"/app/links/{link.public_id}/qr", name="Menu", **base
                     ).status_code == 302
    response = form_post(me, f"/app/links/{link.public_id}/qr", name="menu", **base)
    assert response.status_code == 409 and "already has a QR code named" in text(response)
    qr = QrCode.get(QrCode.name == "Menu")
    form = text(me.get(f"/app/qr/{qr.public_id}/edit"))
    assert 'value="Menu"' in form and "Remove the logo" in form
    response = form_post(me, f"/app/qr/{qr.public_id}/edit", name="Menu", **{
        **base, "size": "512", "foreground_color": "#aa0000"})
    assert response.status_code == 302
    qr = QrCode.get_by_id(qr.id)
    assert (qr.size, qr.foreground_color, qr.format) == (512, "#aa0000", "svg")
    response = me.post(f"/app/qr/{qr.public_id}/delete")
    assert response.status_code == 302 and not QrCode.select().exists()


def test_viewers_see_but_cannot_change(app, alice, link, viewer):
    me = Signed(app, alice.email)
    form_post(me, f"/app/links/{link.public_id}/qr", name="Door", size="256", format="png",
              error_correction="M", foreground_color="#000000", background_color="#ffffff")
    vic = Signed(app, viewer.email)
    page = text(vic.get(f"/app/links/{link.public_id}/qr"))
    assert "Door" in page and "New QR code" not in page
    assert vic.post(f"/app/links/{link.public_id}/qr", name="Mine").status_code == 403
    qr = QrCode.get(QrCode.name == "Door")
    assert vic.post(f"/app/qr/{qr.public_id}/delete").status_code == 403
    assert vic.get(f"/app/qr/{qr.public_id}/image").status_code == 200


def test_workspace_list_and_link_page_preview(app, alice, charlie, link):
    me = Signed(app, alice.email)
    preview = me.get(f"/app/links/{link.public_id}/qr/preview.svg")
    assert preview.status_code == 200 and preview.mimetype == "image/svg+xml"
    detail = text(me.get(f"/app/links/{link.public_id}"))
    assert f'href="/app/links/{link.public_id}/qr"' in detail
    assert "No QR codes yet" in text(me.get("/app/qr"))
    form_post(me, f"/app/links/{link.public_id}/qr", name="Packaging", size="256",
              format="png", error_correction="M", foreground_color="#000000",
              background_color="#ffffff")
    listing = text(me.get("/app/qr"))
    assert "Packaging" in listing and "Menu link" in listing
    qr = QrCode.get(QrCode.name == "Packaging")
    other = Signed(app, charlie.email)
    assert other.get(f"/app/qr/{qr.public_id}/image").status_code == 404
    assert other.get(f"/app/links/{link.public_id}/qr").status_code == 404
    assert "Packaging" not in text(other.get("/app/qr"))


@pytest.fixture
def viewer(ctx, alice):
    from linkhub.services.accounts import create_user
    from linkhub.services.workspaces import add_member
    from tests.conftest import PASSWORD

    user = create_user("vic-qr@example.com", PASSWORD, "Vic Viewer")
    add_member(alice.workspace, user, "viewer")
    return user


@pytest.mark.browser
def test_previews_load_in_the_browser(page, alice, link):
    browser_login(page, alice.email)
    page.goto(f"/app/links/{link.public_id}")
    preview = page.locator("#qr-preview")
    preview.wait_for()
    page.wait_for_function("document.querySelector('#qr-preview').complete")
    assert preview.evaluate("img => img.naturalWidth") > 0
    page.locator("a:has(#qr-preview)").click()
    page.wait_for_url(re.compile(rf".*/links/{link.public_id}/qr$"))
    page.get_by_label("Name").fill("Window sticker")
    page.get_by_label("Format").select_option("svg")
    page.get_by_label("Logo").set_input_files(files=[{
        "name": "logo.png", "mimeType": "image/png", "buffer": solid_png(8, 8, (9, 9, 9, 255))}])
    page.get_by_role("button", name="Create QR code").click()
    card = page.get_by_role("article", name="QR code Window sticker")
    card.wait_for()
    image = card.locator("img.qr-preview")
    page.wait_for_function("document.querySelector('img.qr-preview').complete")
    assert image.evaluate("img => img.naturalWidth") > 0
    with page.expect_download() as download:
        card.get_by_role("link", name="PNG").click()
    assert download.value.suggested_filename == "Window-sticker-qr-page.png"

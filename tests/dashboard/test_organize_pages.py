"""Dashboard pages for tags, folders and UTM templates: lists with link counts, create, edit
and delete, for each role, plus a browser test creating one of each."""

from __future__ import annotations

import pytest

from linkhub.models import Folder, Link, Tag, UtmTemplate
from linkhub.services import folders, tags, utm_templates
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import (  # noqa: F401 (viewer is a fixture)
    Signed,
    browser_login,
    make_link,
    nav,
    text,
    viewer,
)


def test_tags_and_folders_page(app, ctx, alice):
    ws = alice.workspace
    parent = folders.create_folder(ws, None, {"name": "Marketing"})
    child = folders.create_folder(ws, None, {"name": "Ads", "parentId": parent.public_id})
    make_link(ws, tags=["promo"], folderId=child.public_id)
    me = Signed(app, alice.email)
    page = text(me.get("/app/organize"))
    assert "promo" in page and "Marketing" in page and "Ads" in page
    assert page.index("Marketing") < page.index("Ads")
    assert '--depth: 1' in page and ">New tag</h3>" in page


def test_create_edit_delete_tag(app, alice):
    me = Signed(app, alice.email)
    assert me.post("/app/tags", **{"tag-name": "Launch", "tag-color": "green"}).status_code \
        == 302
    tag = Tag.get(Tag.name == "Launch")
    assert tag.color == "green"
    response = me.post("/app/tags", **{"tag-name": "launch"})
    assert response.status_code == 409 and "already exists" in text(response)
    response = me.post("/app/tags", **{"tag-name": ""})
    assert response.status_code == 400 and 'id="tag-name-error"' in text(response)
    assert 'value="Launch"' in text(me.get(f"/app/tags/{tag.public_id}/edit"))
    assert me.post(f"/app/tags/{tag.public_id}/edit", name="Go", color="").status_code == 302
    assert (Tag.get_by_id(tag.id).name, Tag.get_by_id(tag.id).color) == ("Go", None)
    assert "Delete this tag?" in text(me.get(f"/app/tags/{tag.public_id}/delete"))
    assert me.post(f"/app/tags/{tag.public_id}/delete").status_code == 302
    assert Tag.get_or_none(Tag.id == tag.id) is None


def test_create_edit_delete_folder(app, ctx, alice):
    me = Signed(app, alice.email)
    assert me.post("/app/folders", **{"folder-name": "Top"}).status_code == 302
    top = Folder.get(Folder.name == "Top")
    me.post("/app/folders", **{"folder-name": "Inner", "folder-parent_id": top.public_id})
    inner = Folder.get(Folder.name == "Inner")
    assert inner.parent_id == top.id
    response = me.post(f"/app/folders/{top.public_id}/edit", name="Top",
                       parent_id=inner.public_id)
    assert response.status_code == 400 and "inside itself" in text(response)
    link = make_link(alice.workspace, folderId=inner.public_id)
    assert me.post(f"/app/folders/{inner.public_id}/delete").status_code == 302
    assert Link.get_by_id(link.id).folder_id is None


def test_utm_templates(app, ctx, alice):
    me = Signed(app, alice.email)
    assert "No UTM templates yet" in text(me.get("/app/utm-templates"))
    response = me.post("/app/utm-templates", **{"utm-name": "Newsletter",
                                                "utm-utm_source": "news",
                                                "utm-utm_medium": "email"})
    assert response.status_code == 302
    row = UtmTemplate.get(UtmTemplate.name == "Newsletter")
    make_link(alice.workspace, utmTemplateId=row.public_id)
    page = text(me.get("/app/utm-templates"))
    assert "utm_source=" in page and "news" in page
    response = me.post("/app/utm-templates", **{"utm-name": " "})
    assert response.status_code == 400 and 'id="utm-name-error"' in text(response)
    assert me.post(f"/app/utm-templates/{row.public_id}/edit", name="News",
                   utm_source="letter").status_code == 302
    assert UtmTemplate.get_by_id(row.id).utm_source == "letter"
    assert me.post(f"/app/utm-templates/{row.public_id}/delete").status_code == 302
    assert UtmTemplate.get_or_none(UtmTemplate.id == row.id) is None


@pytest.mark.usefixtures("viewer")
def test_viewer_reads_only(app, ctx, alice):
    ws = alice.workspace
    tag = tags.create_tag(ws, None, {"name": "seen"})
    folder = folders.create_folder(ws, None, {"name": "Box"})
    row = utm_templates.create_template(ws, None, {"name": "T"})
    vic = Signed(app, "vic@example.com")
    page = text(vic.get("/app/organize"))
    assert "seen" in page and "New tag" not in page and "/edit" not in page
    assert "Create template" not in text(vic.get("/app/utm-templates"))
    before = db_snapshot(app)
    for path in ("/app/tags", "/app/folders", "/app/utm-templates",
                 f"/app/tags/{tag.public_id}/edit", f"/app/folders/{folder.public_id}/delete",
                 f"/app/utm-templates/{row.public_id}/edit"):
        assert vic.post(path, name="x").status_code == 403, path
    assert vic.get(f"/app/tags/{tag.public_id}/edit").status_code == 403
    assert db_snapshot(app) == before


def test_csrf_and_other_workspaces(app, ctx, alice, charlie):
    theirs = tags.create_tag(charlie.workspace, None, {"name": "theirs"})
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    assert me.client.post("/app/tags", data={"tag-name": "x"}).status_code == 400
    assert me.get(f"/app/tags/{theirs.public_id}/edit").status_code == 404
    assert me.post(f"/app/tags/{theirs.public_id}/delete").status_code == 404
    assert me.get("/app/widgets/x/edit").status_code == 404
    assert db_snapshot(app) == before


@pytest.mark.browser
def test_browser_tag_folder_and_template(page, alice):
    browser_login(page, alice.email)
    nav(page, "Tags & folders")
    page.get_by_label("Tag name").fill("Evergreen")
    page.get_by_label("Colour").first.select_option("teal")
    page.get_by_role("button", name="Add tag").click()
    page.wait_for_url("**/app/organize")
    assert page.get_by_text("Tag “Evergreen” created.").is_visible()
    page.get_by_label("Folder name").fill("Campaign assets")
    page.get_by_role("button", name="Add folder").click()
    page.wait_for_url("**/app/organize")
    assert page.locator("tr", has_text="Campaign assets").is_visible()
    page.screenshot(path="/tmp/shots/organize.png", full_page=True)
    nav(page, "UTM templates")
    page.get_by_label("Template name").fill("Newsletter")
    page.get_by_label("utm_source").fill("newsletter")
    page.get_by_label("utm_medium").fill("email")
    page.get_by_role("button", name="Create template").click()
    page.wait_for_url("**/app/utm-templates")
    assert page.locator("tr", has_text="Newsletter").get_by_text("email").is_visible()
    page.screenshot(path="/tmp/shots/utm.png", full_page=True)
    assert Tag.get(Tag.name == "Evergreen").color == "teal"
    assert Folder.get_or_none(Folder.name == "Campaign assets") is not None

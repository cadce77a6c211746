"""Dashboard pages for bulk operations and search: start from pasted rows, an uploaded file or
chosen links, validate then run, per-row errors, cancel, roles; the search results page and the
header's search box. Browser tests: the progress bar follows the job to 100%, and Ctrl+K finds
a link and opens it."""

from __future__ import annotations

import io
import re

import pytest

from linkhub import jobs
from linkhub.models import BulkOperation, Link
from linkhub.services import links
from linkhub.services.accounts import create_user
from linkhub.services.workspaces import add_member
from tests.api.links_support import in_app
from tests.conftest import PASSWORD
from tests.dashboard.test_links_pages import Signed, browser_login, nav, text

CSV = "destinationUrl,shortCode,title,tags\nhttps://shop.example/a,pg-a,Alpha,x;y\n" \
      "https://shop.example/b,pg-b,Beta,\n"


def run_job(app):
    with in_app(app):
        return jobs.run(jobs.by_name("bulk-operations"))


def last_op(app) -> BulkOperation:
    with in_app(app):
        return BulkOperation.select().order_by(BulkOperation.id.desc()).get()


def make_links(app, persona, *titles):
    with in_app(app):
        return [links.create_link(persona.workspace, persona.user,
                                  {"destinationUrl": "https://shop.example/", "title": t}
                                  ).public_id for t in titles]


# --- bulk, through the test client -----------------------------------------------------------

def test_the_page_lists_forms_links_and_operations(app, alice):
    make_links(app, alice, "Pickable one")
    signed = Signed(app, alice.email)
    page = text(signed.get("/app/bulk"))
    assert "Paste or upload rows" in page and "Choose links" in page
    assert "Pickable one" in page and "No bulk operations yet." in page


def test_validate_pasted_rows_then_run_them(app, alice):
    signed = Signed(app, alice.email)
    response = signed.post("/app/bulk", action="create", rows=CSV, check="Validate")
    assert response.status_code == 302
    op = last_op(app)
    assert response.headers["Location"].endswith(f"/app/bulk/{op.public_id}")
    assert op.dry_run and op.items[0] == {"destinationUrl": "https://shop.example/a",
                                          "shortCode": "pg-a", "title": "Alpha",
                                          "tags": ["x", "y"]}
    run_job(app)
    page = text(signed.get(f"/app/bulk/{op.public_id}"))
    assert "completed" in page and "Run these 2 rows" in page and "No row failed." in page
    response = signed.post(f"/app/bulk/{op.public_id}/run")
    real = last_op(app)
    assert response.status_code == 302 and not real.dry_run and real.total == 2
    run_job(app)
    with in_app(app):
        assert Link.select().where(Link.short_code.in_(["pg-a", "pg-b"])).count() == 2


def test_row_errors_are_listed(app, alice):
    signed = Signed(app, alice.email)
    rows = "destinationUrl,shortCode\nhttps://shop.example/a,ok-1\nnot-a-url,ok-2\n"
    signed.post("/app/bulk", action="create", rows=rows, run="Run")
    op = last_op(app)
    run_job(app)
    page = text(signed.get(f"/app/bulk/{op.public_id}"))
    assert "Row errors" in page and "destinationUrl" in page and "(item 1)" in page


def test_an_uploaded_json_file(app, alice):
    signed = Signed(app, alice.email)
    data = {"csrf_token": signed.token, "action": "create", "run": "Run",
            "upload": (io.BytesIO(b'[{"destinationUrl": "https://shop.example/up"}]'),
                       "links.json")}
    response = signed.client.post("/app/bulk", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    assert last_op(app).items == [{"destinationUrl": "https://shop.example/up"}]


def test_unreadable_rows_are_shown_beside_the_field(app, alice):
    signed = Signed(app, alice.email)
    response = signed.post("/app/bulk", action="create", rows="", run="Run")
    assert response.status_code == 400
    assert "Paste or upload at least one row." in text(response)
    response = signed.post("/app/bulk", action="create", rows="[{broken", run="Run")
    assert response.status_code == 400 and "Is not valid JSON." in text(response)


def test_chosen_links_are_disabled(app, alice):
    ids = make_links(app, alice, "One", "Two")
    signed = Signed(app, alice.email)
    response = signed.client.post("/app/bulk/links", data={
        "csrf_token": signed.token, "pick-csrf_token": signed.token, "pick-link_ids": ids,
        "pick-change": "disable", "pick-campaign_id": "", "pick-run": "Run"})
    assert response.status_code == 302, text(response)[:500]
    op = last_op(app)
    assert op.action == "update" and op.items == [{"id": i, "enabled": False} for i in ids]
    run_job(app)
    with in_app(app):
        assert [link.enabled for link in Link.select().where(Link.public_id.in_(ids))] == \
            [False, False]


def test_cancel_from_the_page(app, alice):
    signed = Signed(app, alice.email)
    signed.post("/app/bulk", action="delete", rows="abc\ndef\n", run="Run")
    op = last_op(app)
    assert op.items == ["abc", "def"]
    page = text(signed.get(f"/app/bulk/{op.public_id}"))
    assert 'data-active="true"' in page and ">Cancel<" in page
    response = signed.post(f"/app/bulk/{op.public_id}/cancel")
    assert response.status_code == 302
    assert last_op(app).status == "cancelled"
    assert ">Cancel<" not in text(signed.get(f"/app/bulk/{op.public_id}"))


def test_viewers_read_but_cannot_start(app, alice, charlie):
    with in_app(app):
        viewer = create_user("vic@example.com", PASSWORD, "Vic Viewer")
        add_member(alice.workspace, viewer, "viewer")
    signed = Signed(app, "vic@example.com")
    assert "Paste or upload rows" not in text(signed.get("/app/bulk"))
    assert signed.post("/app/bulk", action="create", rows=CSV, run="Run").status_code == 403
    other = Signed(app, charlie.email)
    Signed(app, alice.email).post("/app/bulk", action="create", rows=CSV, run="Run")
    assert other.get(f"/app/bulk/{last_op(app).public_id}").status_code == 404


# --- search, through the test client --------------------------------------------------------

def test_the_results_page(app, alice, charlie):
    make_links(app, alice, "Narwhal tusk")
    make_links(app, charlie, "Narwhal theirs")
    signed = Signed(app, alice.email)
    page = text(signed.get("/app/search?q=narwhal"))
    assert "Narwhal tusk" in page and "Narwhal theirs" not in page
    assert "Nothing matches “zzz”." in text(signed.get("/app/search?q=zzz"))
    assert signed.get("/app/search?q=" + "x" * 201).status_code == 400
    assert signed.get('/app/search?q=NEAR("').status_code == 200


def test_the_header_has_the_search_box(app, alice):
    page = text(Signed(app, alice.email).get("/app/links"))
    assert 'role="search"' in page and "search.js" in page and 'id="global-search"' in page


# --- in a browser ---------------------------------------------------------------------------

@pytest.mark.browser
def test_browser_bulk_progress_reaches_100(page, app, alice):
    browser_login(page, alice.email)
    nav(page, "Bulk operations")
    rows = "destinationUrl,title\n" + "".join(f"https://shop.example/{i},Row {i}\n"
                                              for i in range(30))
    page.get_by_label("Rows", exact=True).fill(rows)
    page.get_by_role("button", name="Run", exact=True).first.click()
    page.wait_for_url(re.compile(r".*/app/bulk/op_\w+$"))
    bar = page.get_by_role("progressbar", name="Progress")
    assert bar.get_attribute("aria-valuenow") == "0"
    run_job(app)  # the scheduler's part, while the page polls
    page.get_by_text("100%").wait_for()
    page.locator("[data-op-status]", has_text="completed").wait_for()
    assert page.get_by_role("progressbar", name="Progress").get_attribute("aria-valuenow") \
        == "100"
    page.get_by_text("No row failed.").wait_for()  # the page reloads once it is done
    page.screenshot(path="/tmp/shots/bulk-operation.png", full_page=True)
    nav(page, "Bulk operations")
    page.screenshot(path="/tmp/shots/bulk.png", full_page=True)
    with in_app(app):
        assert Link.select().where(Link.title.startswith("Row ")).count() == 30


@pytest.mark.browser
def test_browser_ctrl_k_finds_a_link_and_opens_it(page, app, alice):
    link_id = make_links(app, alice, "Pangolin parade")[0]
    make_links(app, alice, "Something else")
    browser_login(page, alice.email)
    page.keyboard.press("Control+k")
    box = page.get_by_role("combobox", name="Jump to a link, campaign, customer or domain")
    assert box.evaluate("el => el === document.activeElement")
    box.type("pango")
    matches = page.get_by_role("listbox", name="Matches")
    matches.get_by_role("option", name=re.compile("Pangolin parade")).wait_for()
    assert matches.get_by_role("option").count() == 1
    page.screenshot(path="/tmp/shots/search-box.png")
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(f"**/app/links/{link_id}")
    page.keyboard.press("/")
    box.fill("parade")
    box.press("Enter")  # nothing highlighted: the results page
    page.wait_for_url("**/app/search?q=parade")
    assert page.get_by_role("link", name="Pangolin parade").is_visible()

"""Dashboard exports page: create an export (type, format, columns, date range) through the form
with the service's errors beside the fields, the list with status and download link, the
download for the session's workspace, isolation, and a browser test that creates an export,
watches the row refresh itself once the job has run, and downloads the file."""

from __future__ import annotations

import pytest

from linkhub import ids, jobs
from linkhub.models import Export
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import Signed, browser_login, make_link, nav, text

PAGE = "/app/exports"


def test_page_needs_a_session(client):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/app/login" in response.headers["Location"]


def test_create_run_list_and_download(app, ctx, alice, charlie):
    link = make_link(alice.workspace, shortCode="exported", title="=SUM(A1)")
    me = Signed(app, alice.email)
    page = text(me.get(PAGE))
    assert "No exports yet" in page and 'href="/app/exports"' in page  # sidebar entry
    assert 'name="columns_clicks" value="referrer"' in page
    response = me.post(PAGE, {"type": "links", "format": "csv", "start": "2020-01-01",
                              "end": "", "columns_links": ["id", "title"],
                              "columns_clicks": ["referrer"]})
    assert response.status_code == 302
    export = Export.get()
    assert (export.type, export.format, export.columns, export.filters) == (
        "links", "csv", ["id", "title"], {"start": "2020-01-01"})
    listed = text(me.get(PAGE))
    assert "Export queued" in listed and "pending" in listed and "data-running" in listed
    jobs.run(jobs.by_name("exports"))
    listed = text(me.get(PAGE))
    assert "completed" in listed and "data-running" not in listed
    url = f"/app/exports/{export.public_id}/download"
    assert url in listed
    download = me.get(url)
    assert download.status_code == 200
    assert download.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert download.get_data(as_text=True) == f"id,title\r\n{link.public_id},'=SUM(A1)\r\n"
    download.close()
    other = Signed(app, charlie.email)
    assert other.get(url).status_code == 404
    assert export.public_id not in text(other.get(PAGE))


def test_every_column_when_none_is_ticked_and_not_ready_is_400(app, ctx, alice):
    me = Signed(app, alice.email)
    me.post(PAGE, {"type": "customers", "format": "xlsx", "start": "", "end": ""})
    export = Export.get()
    assert export.columns[:3] == ["id", "externalId", "email"] and export.filters == {}
    assert me.get(f"/app/exports/{export.public_id}/download").status_code == 400
    assert me.get(f"/app/exports/{ids.new_id('export')}/download").status_code == 404


def test_errors_are_shown_beside_the_fields(app, ctx, alice):
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post(PAGE, {"type": "clicks", "format": "csv", "start": "not-a-date",
                              "end": "", "columns_clicks": ["id", "bogus"]})
    assert response.status_code == 400
    page = text(response)
    assert "Must be an ISO 8601 date or date-time." in page  # beside "From"
    assert "unknown column(s) bogus" in page  # the column error has no single field
    assert db_snapshot(app) == before
    assert me.post(PAGE, {"type": "partners", "format": "csv"}).status_code == 400


@pytest.mark.browser
def test_browser_export_refreshes_and_downloads(page, app, ctx, alice, live_server):
    make_link(alice.workspace, shortCode="inbrowser", title="Browser link")
    browser_login(page, alice.email)
    nav(page, "Exports")
    page.get_by_label("Data to export").select_option("links")
    page.get_by_label("Format").select_option("json")
    columns = page.locator("[data-columns-for='links']")
    assert page.locator("[data-columns-for='clicks']").is_hidden()  # only the chosen type
    columns.get_by_label("shortCode").check()
    columns.get_by_label("title").check()
    page.get_by_role("button", name="Create export").click()
    row = page.locator("tr[data-export]").first
    row.get_by_text("pending").wait_for()
    jobs.run(jobs.by_name("exports"))  # the scheduler's part; the page polls and reloads
    button = page.get_by_role("link", name="Download JSON")
    button.wait_for()
    assert "completed" in row.inner_text()
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename.startswith("links-export-")
    with open(download.path(), encoding="utf-8") as fh:
        assert fh.read() == '[\n{"shortCode":"inbrowser","title":"Browser link"}\n]\n'

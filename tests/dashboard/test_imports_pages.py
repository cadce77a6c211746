"""The imports dashboard: CSV upload with a column mapping, errors beside the fields (nothing
written), the job page with its progress, rows and error report, cancel, viewers reading only,
the bundle download, and in Chromium: the CSV preview filling the mapping, then the progress
bar following the job to its end and the error report download."""

from __future__ import annotations

import io
import re

import pytest

from linkhub.models import ImportJob
from tests.api.imports_support import csv_bytes, live_links, run_imports
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import Signed, browser_login, text, viewer  # noqa: F401

CONTENT = csv_bytes([["Long URL", "slug", "Name"],
                     ["https://example.com/d1", "dash-1", "First"],
                     ["https://example.com/d2", "dash-1", "Again"],
                     ["not a url", "dash-3", "Broken"]])


def post_csv(me: Signed, content: bytes, **fields):
    return me.client.post("/app/imports/csv", data={
        "csv-csrf_token": me.token, "csv-file": (io.BytesIO(content), "links.csv"),
        **{f"csv-{k}": v for k, v in fields.items()}}, content_type="multipart/form-data")


def test_csv_upload_job_page_and_report(app, alice):
    me = Signed(app, alice.email)
    page = text(me.get("/app/imports"))
    assert "Import a CSV file" in page and "linkhub bundle" in page
    assert "No imports yet" in page
    response = post_csv(me, CONTENT, **{"map_destinationUrl": "Long URL",
                                        "map_title": "__none__"})
    assert response.status_code == 302, text(response)[:2000]
    job_url = response.headers["Location"]
    assert re.search(r"/app/imports/imp_\w+$", job_url)
    page = text(me.get(job_url))
    assert "pending" in page and "Cancel import" in page
    run_imports(app)
    page = text(me.get(job_url))
    assert "completed" in page and "Download the error report" in page
    assert "duplicate of row 1 in this import" in page and "destinationUrl" in page
    links = live_links(app, alice)
    assert links["dash-1"].destination_url == "https://example.com/d1"
    assert links["dash-1"].title is None  # "Leave out"
    report = me.get(job_url + "/errors.csv")
    assert report.mimetype == "text/csv" and "dash-3" in text(report)
    assert "imp_" in text(me.get("/app/imports"))


def test_errors_sit_beside_the_fields_and_nothing_is_written(app, alice):
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = post_csv(me, "url\nhttps://example.com/é\n".encode("latin-1"))
    assert response.status_code == 400
    assert "0xe9" in text(response) and 'class="field has-error"' in text(response)
    response = post_csv(me, CONTENT, map_destinationUrl="Nope")
    assert response.status_code == 400 and "no column named" in text(response)
    response = me.client.post("/app/imports/csv", data={"csv-csrf_token": me.token})
    assert response.status_code == 400 and "Choose a CSV file." in text(response)
    response = me.post("/app/imports/provider", **{"provider-csrf_token": me.token,
                                                   "provider-provider": "bitly",
                                                   "provider-access_token": ""})
    assert response.status_code == 400 and "Paste the token." in text(response)
    assert db_snapshot(app) == before


def test_cancel_from_the_job_page(app, alice):
    me = Signed(app, alice.email)
    job_url = post_csv(me, CONTENT).headers["Location"]
    response = me.post(job_url + "/cancel")
    assert response.status_code == 302
    page = text(me.get(job_url))
    assert "cancelled" in page and "Cancel import" not in page
    assert ImportJob.select().where(ImportJob.status == "cancelled").count() == 1


def test_viewers_see_but_cannot_import(app, alice, viewer):  # noqa: F811
    me = Signed(app, "vic@example.com")
    page = text(me.get("/app/imports"))
    assert "Recent imports" in page and "Import CSV" not in page
    assert post_csv(me, CONTENT).status_code == 403


def test_bundle_download(app, alice):
    me = Signed(app, alice.email)
    response = me.get("/app/imports/bundle.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.get_json()["format"] == "linkhub.bundle"


@pytest.mark.browser
def test_preview_mapping_progress_and_report_in_the_browser(page, app, alice):
    browser_login(page, alice.email)
    page.goto("/app/imports")
    page.get_by_label("CSV file", exact=True).set_input_files(files=[{
        "name": "links.csv", "mimeType": "text/csv", "buffer": CONTENT}])
    preview = page.locator("[data-preview-table]")
    preview.locator("th", has_text="Long URL").wait_for()
    assert preview.locator("tbody tr").count() == 3
    def automatic(name: str) -> str:
        return page.locator(f"select[data-map-field='{name}'] option").first.inner_text()

    assert automatic("destinationUrl") == "Automatic: Long URL"
    assert automatic("shortCode") == "Automatic: slug" and automatic("notes") == "Automatic: none"
    page.locator("select[data-map-field='title']").select_option("__none__")
    page.get_by_role("button", name="Import CSV").click()
    page.wait_for_url(re.compile(r".*/app/imports/imp_\w+$"))
    assert page.locator("[data-import-status]").inner_text() == "pending"
    run_imports(app)  # the scheduler's part: the page polls the API and follows it
    page.locator("[data-error-report]").wait_for()
    assert page.locator("[data-import-status]").inner_text() == "completed"
    assert page.locator("[data-count='created']").inner_text() == "1"
    with page.expect_download() as download:
        page.locator("[data-error-report]").click()
    assert download.value.suggested_filename.endswith("-errors.csv")
    assert live_links(app, alice)["dash-1"].title is None


def test_sign_in_with_bitly_goes_to_bitly_when_configured(app, alice):
    me = Signed(app, alice.email)
    response = me.get("/app/imports/bitly/connect")
    assert response.status_code == 302 and response.headers["Location"].endswith("/app/imports")
    assert "IMPORT_BITLY_CLIENT_ID" in text(me.get("/app/imports"))
    app.config["LINKHUB"].update(IMPORT_BITLY_CLIENT_ID="cid", IMPORT_BITLY_CLIENT_SECRET="s")
    assert "Sign in with Bitly instead" in text(me.get("/app/imports"))
    response = me.get("/app/imports/bitly/connect")
    assert response.headers["Location"].startswith("https://bitly.com/oauth/authorize?")

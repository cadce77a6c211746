"""POST /api/links/import/csv end to end (upload -> `imports` job -> links): default and
explicit column mapping, the bad inputs of the issue (broken encoding, missing columns,
100,001 rows, duplicate codes, formula cells, a 50 MB upload), idempotent re-runs, JSON rows,
codes of other workspaces, the error report, cancel, and another workspace's job."""

from __future__ import annotations

import codecs

from linkhub.models import ImportJob, Notification
from tests.api.imports_support import (
    csv_bytes,
    imported,
    job_of,
    live_links,
    report,
    run_imports,
    tags_of,
    upload,
)
from tests.api.links_support import in_app
from tests.conftest import db_snapshot

HEADER = ["url", "code", "title", "tags", "notes"]


def _files(data_dir) -> list[str]:
    folder = data_dir / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_csv_creates_links_with_default_column_names(client, app, alice, data_dir):
    content = csv_bytes([HEADER,
                         ["https://example.com/a", "imp-a", "Alpha", "spring;sale", "first"],
                         ["https://example.com/b", "imp-b", "", "", ""],
                         [" ", "", "", "", ""],  # a blank row counts for nothing
                         ["https://example.com/c", "", "No code", "spring", ""]])
    response = upload(client, alice, content)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()["data"]
    assert job["id"].startswith("imp_") and job["status"] == "pending"
    assert job["total"] == 3 and job["source"] == "csv" and job["fileName"] == "links.csv"
    assert job["mapping"]["destinationUrl"] == "url" and job["mapping"]["shortCode"] == "code"
    assert _files(data_dir) == [f"{job['id']}.csv"]

    assert run_imports(app)["completed"] == 1
    done = job_of(client, alice, job["id"])
    assert done["status"] == "completed" and done["progress"] == 100
    assert (done["processed"], done["created"], done["skipped"], done["failed"]) == (3, 3, 0, 0)
    assert done["errorReportUrl"] is None and done["finishedAt"]
    assert _files(data_dir) == []  # the upload is deleted when the job ends
    links = live_links(app, alice)
    assert links["imp-a"].title == "Alpha" and links["imp-a"].notes == "first"
    assert tags_of(app, links["imp-a"]) == ["sale", "spring"]
    generated = [lk for lk in links.values() if lk.destination_url == "https://example.com/c"]
    assert len(generated) == 1 and len(generated[0].short_code) == 7
    response = client.get(f"/{links['imp-a'].short_code}")
    assert response.status_code == 302 and response.location == "https://example.com/a"
    with in_app(app):
        note = Notification.get(Notification.kind == "import_finished")
        assert note.user_id == alice.user.id and note.url == f"/app/imports/{job['id']}"
        assert note.title == "Import finished: 3 created, 0 skipped, 0 failed"


def test_explicit_mapping_and_unknown_columns(client, app, alice):
    content = csv_bytes([["Long URL", "Back-half", "Name", "Memo"],
                         ["https://example.com/m", "mapped-1", "Mapped", "kept"]])
    before = db_snapshot(app)
    for mapping, field in (({"destinationUrl": "Nope"}, "mapping.destinationUrl"),
                           ({"color": "Name"}, "mapping.color"),
                           ({"title": 5}, "mapping.title")):
        response = upload(client, alice, content, mapping=mapping)
        assert response.status_code == 400
        assert field in {d["field"] for d in response.get_json()["error"]["details"]}
    assert db_snapshot(app) == before
    job = imported(client, alice, content, mapping={
        "destinationUrl": "Long URL", "shortCode": "Back-half", "notes": "Memo",
        "title": None})
    assert job["created"] == 1
    link = live_links(app, alice)["mapped-1"]
    assert link.notes == "kept" and link.title is None  # title mapped to nothing


def test_missing_destination_column_is_400_before_any_work(client, app, alice, data_dir):
    before = db_snapshot(app)
    response = upload(client, alice, csv_bytes([["code", "title"], ["x1", "No URL"]]))
    body = response.get_json()
    assert response.status_code == 400 and body["error"]["code"] == "VALIDATION_ERROR"
    detail = body["error"]["details"][0]
    assert detail["field"] == "file" and "destination" in detail["message"]
    assert "code, title" in detail["message"]
    for content in (b"", b"url\n"):  # empty, header only
        assert upload(client, alice, content).status_code == 400
    assert db_snapshot(app) == before and _files(data_dir) == []


def test_broken_encoding_names_the_byte_and_line(client, app, alice, data_dir):
    before = db_snapshot(app)
    content = "url,title\nhttps://example.com/1,ok\nhttps://example.com/2,café\n".encode(
        "latin-1")
    response = upload(client, alice, content)
    assert response.status_code == 400
    message = response.get_json()["error"]["details"][0]["message"]
    assert "UTF-8" in message and "0xe9" in message and "line 3" in message
    assert db_snapshot(app) == before and _files(data_dir) == []


def test_utf8_bom_and_utf16_with_bom_are_read(client, app, alice):
    rows = [["url", "code", "title"], ["https://example.com/u8", "bom-8", "Crème brûlée"]]
    job = imported(client, alice, codecs.BOM_UTF8 + csv_bytes(rows))
    assert job["created"] == 1 and job["mapping"]["destinationUrl"] == "url"
    rows16 = [["url", "code", "title"], ["https://example.com/u16", "bom-16", "日本語"]]
    job = imported(client, alice, csv_bytes(rows16, "utf-16"))  # Python writes the BOM
    assert job["created"] == 1
    links = live_links(app, alice)
    assert links["bom-8"].title == "Crème brûlée" and links["bom-16"].title == "日本語"


def test_100001_rows_is_400_before_any_work(client, app, alice, data_dir):
    before = db_snapshot(app)
    rows = "".join(f"https://example.com/{n},c{n}\n" for n in range(100_001))
    response = upload(client, alice, ("url,code\n" + rows).encode())
    assert response.status_code == 400
    assert "100,000" in response.get_json()["error"]["details"][0]["message"]
    assert db_snapshot(app) == before and _files(data_dir) == []
    rows = "".join(f"https://example.com/{n},c{n}\n" for n in range(100_000))
    response = upload(client, alice, ("url,code\n" + rows).encode())
    assert response.status_code == 202 and response.get_json()["data"]["total"] == 100_000


def test_duplicate_codes_in_the_file_are_skipped_and_reported(client, app, alice):
    content = csv_bytes([["destinationUrl", "shortCode"],
                         ["https://example.com/1", "dup-a"],
                         ["https://example.com/2", "dup-b"],
                         ["https://example.com/3", "dup-a"],
                         ["https://example.com/4", "not a code!"],
                         ["https://example.com/5", "dup-b"]])
    job = imported(client, alice, content)
    assert (job["processed"], job["created"], job["skipped"], job["failed"]) == (5, 2, 2, 1)
    assert live_links(app, alice)["dup-a"].destination_url == "https://example.com/1"
    lines = report(client, alice, job)
    assert [(r["row"], r["result"], r["shortCode"]) for r in lines] == [
        ("3", "skipped", "dup-a"), ("4", "failed", "not a code!"), ("5", "skipped", "dup-b")]
    assert lines[0]["message"] == "duplicate of row 1 in this import"
    assert lines[1]["field"] == "shortCode"
    assert job["errorReportUrl"] == f"/api/links/import/jobs/{job['id']}/errors"


def test_formula_cells_are_stored_as_given_and_escaped_in_the_report(client, app, alice):
    formula = '=HYPERLINK("http://evil.example","click")'
    content = csv_bytes([["url", "code", "title", "notes", "tags"],
                         ["https://example.com/f", "formula", formula, "+1+1", "@risky"],
                         ["https://example.com/g", "=cmd", "x", "", ""]])
    job = imported(client, alice, content)
    assert job["created"] == 1 and job["failed"] == 1
    link = live_links(app, alice)["formula"]
    assert link.title == formula and link.notes == "+1+1"
    assert tags_of(app, link) == ["@risky"]
    response = client.get(f"/api/links/{link.public_id}", headers=alice.headers)
    assert response.get_json()["data"]["title"] == formula
    line = report(client, alice, job)[0]
    assert line["shortCode"] == "'=cmd"  # a spreadsheet would run it: escaped on export


def test_50_mb_upload_is_413(client, app, alice, data_dir):
    before = db_snapshot(app)
    limit = app.config["LINKHUB"]["IMPORT_MAX_BYTES"]
    assert limit == 50 * 1024 * 1024
    big = b"url\n" + b"https://example.com/x\n" * (limit // 22 + 2)
    assert len(big) > limit
    response = upload(client, alice, big)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert db_snapshot(app) == before and _files(data_dir) == []
    del big
    response = client.post("/api/links/import/csv", data=b"x" * (limit + 200_000),
                           headers={**alice.headers, "Content-Type": "text/csv"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert db_snapshot(app) == before


def test_running_the_same_file_twice_creates_nothing_the_second_time(client, app, alice):
    content = csv_bytes([HEADER,
                         ["https://example.com/r1", "rerun-1", "One", "t", ""],
                         ["https://example.com/r2", "rerun-2", "Two", "", ""],
                         ["https://example.com/r3", "", "No code", "", ""]])
    first = imported(client, alice, content)
    assert first["created"] == 3
    count = len(live_links(app, alice))
    second = imported(client, alice, content)
    assert (second["created"], second["skipped"], second["failed"]) == (0, 3, 0)
    assert second["status"] == "completed" and len(live_links(app, alice)) == count
    reasons = [r["message"] for r in report(client, alice, second)]
    assert reasons[0].startswith("a link with this code already exists (link_")
    assert "destination" in reasons[2]


def test_json_rows_use_the_same_mapping(client, app, alice):
    response = client.post("/api/links/import/csv", headers=alice.headers, json={
        "rows": [{"Target": "https://example.com/j1", "code": "json-1", "tags": ["a", "b"],
                  "enabled": False},
                 {"Target": "https://example.com/j2", "code": "json-2", "clicksLimit": "10"}],
        "mapping": {"destinationUrl": "Target"}})
    assert response.status_code == 202, response.get_json()
    run_imports(app)
    job = job_of(client, alice, response.get_json()["data"]["id"])
    assert job["created"] == 2 and job["fileName"] == "rows.json"
    links = live_links(app, alice)
    assert links["json-1"].enabled is False and links["json-2"].clicks_limit == 10
    assert tags_of(app, links["json-1"]) == ["a", "b"]
    for body in ({"rows": "nope"}, {"rows": []}, {"rows": [1, 2]}, {}):
        response = client.post("/api/links/import/csv", headers=alice.headers, json=body)
        assert response.status_code == 400, body
    response = client.post("/api/links/import/csv", headers=alice.headers, data="url\n",
                           content_type="text/csv")
    assert response.status_code == 400
    assert response.get_json()["error"]["details"][0]["field"] == "body"


def test_rows_are_checked_like_links(client, app, alice, charlie):
    imported(client, charlie, csv_bytes([["url", "code"], ["https://example.com/c", "owned"]]))
    content = csv_bytes([["url", "code", "domain", "expiresAt", "redirectType"],
                         ["https://example.com/ok", "fine-1", "", "", "301"],
                         ["javascript:alert(1)", "bad-url", "", "", ""],
                         ["https://example.com/o", "owned", "", "", ""],
                         ["https://example.com/d", "bad-dom", "nope.example.org", "", ""],
                         ["https://example.com/e", "past", "", "2001-01-01", ""],
                         ["https://example.com/t", "typed", "", "", "303"]])
    job = imported(client, alice, content)
    assert (job["created"], job["failed"]) == (1, 5)
    assert live_links(app, alice)["fine-1"].redirect_type == 301
    fields = {r["shortCode"]: r["field"] for r in report(client, alice, job)}
    assert fields == {"bad-url": "destinationUrl", "owned": "shortCode", "bad-dom": "domain",
                      "past": "expiresAt", "typed": "redirectType"}


def test_cancel_and_another_workspaces_job(client, app, alice, charlie):
    response = upload(client, alice, csv_bytes([["url"], ["https://example.com/z"]]))
    job_id = response.get_json()["data"]["id"]
    assert client.get(f"/api/links/import/jobs/{job_id}",
                      headers=charlie.headers).status_code == 404
    assert client.post(f"/api/links/import/jobs/{job_id}/cancel",
                       headers=charlie.headers).status_code == 404
    response = client.post(f"/api/links/import/jobs/{job_id}/cancel", headers=alice.headers)
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "cancelled"
    response = client.post(f"/api/links/import/jobs/{job_id}/cancel", headers=alice.headers)
    assert response.status_code == 409
    assert run_imports(app) == {"jobs": 0}
    listed = client.get("/api/links/import/jobs?status=cancelled", headers=alice.headers)
    assert [j["id"] for j in listed.get_json()["data"]] == [job_id]
    assert client.get("/api/links/import/jobs?status=odd",
                      headers=alice.headers).status_code == 400
    assert client.get("/api/links/import/jobs", headers=charlie.headers).get_json()["data"] == []
    with in_app(app):
        assert ImportJob.get(ImportJob.public_id == job_id).file_path is None

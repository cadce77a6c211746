"""/api/exports and POST /api/links/export through HTTP: every type and format with its exact
content (links, clicks; conversions, events and customers equal to what their own list APIs
answer), column choice, filters, CSV/xlsx formula-injection escaping, bad input (partners,
unknown type/format/column/filter) as 400 with the database unchanged, isolation (another
workspace's export is a 404 and its rows never reach a file), download states (400 not ready,
410 expired, 404), expiry with the clock moved, and the list."""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime, timedelta
from xml.etree import ElementTree

import pytest

from linkhub import clock, ids, jobs
from linkhub.models import Click, Export, Link
from linkhub.services import links as link_service
from tests.api.customers_support import tell
from tests.api.links_support import api_key, in_app, workspace_of
from tests.conftest import db_snapshot

X = "/api/exports"
T0 = datetime(2026, 1, 15, 10, 30)


# --- helpers ------------------------------------------------------------------------------------

def create(client, persona, status: int = 202, path: str = X, **body) -> dict:
    response = client.post(path, json=body, headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"] if status == 202 else response.get_json()


def status_of(client, persona, export_id: str) -> dict:
    response = client.get(f"{X}/{export_id}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def run_exports(app) -> dict:
    with in_app(app):
        return jobs.run(jobs.by_name("exports"))


def fetch(client, persona, url: str):
    """GET, read the body and close the response (a download holds its file open)."""
    response = client.get(url, headers=persona.headers)
    response.get_data()
    response.close()
    return response


def exported(app, client, persona, **body):
    """Create, run the job, download: (status body, download response)."""
    export = create(client, persona, **body)
    run_exports(app)
    done = status_of(client, persona, export["id"])
    assert done["status"] == "completed", done
    response = fetch(client, persona, done["downloadUrl"])
    assert response.status_code == 200, response.get_data(as_text=True)
    return done, response


def xlsx_rows(data: bytes) -> tuple[list[list[str | None]], list[dict]]:
    """The first sheet's cells as text (inline strings and numbers) and per-cell details
    (formula element present, quotePrefix style), read with zipfile + XML only."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    book = zipfile.ZipFile(io.BytesIO(data))
    sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    styles = ElementTree.fromstring(book.read("xl/styles.xml"))
    xfs = styles.find("m:cellXfs", ns).findall("m:xf", ns)
    rows, cells = [], []
    for row in sheet.find("m:sheetData", ns).findall("m:row", ns):
        values = []
        for cell in row.findall("m:c", ns):
            text = cell.find("m:is/m:t", ns)
            value = cell.find("m:v", ns)
            col = ord(cell.get("r")[0]) - ord("A")
            values.extend([None] * (col - len(values)))
            values.append(text.text if text is not None else (value.text if value is not None
                                                                else None))
            style = xfs[int(cell.get("s", "0"))]
            cells.append({"ref": cell.get("r"), "formula": cell.find("m:f", ns) is not None,
                          "quoted": style.get("quotePrefix") == "1", "type": cell.get("t")})
        rows.append(values)
    return rows, cells


@pytest.fixture
def two_links(app, alice, charlie):
    """Alice's links `one` (tags b, a; a formula-like title) and `two`; Charlie's `theirs`."""
    clock.freeze(T0)
    with in_app(app):
        ws = workspace_of(alice)
        one = link_service.create_link(ws, None, {
            "destinationUrl": "https://example.com/1", "shortCode": "one",
            "title": "=HYPERLINK(\"http://evil\")", "tags": ["b", "a"]})
        clock.advance(timedelta(minutes=1))
        two = link_service.create_link(ws, None, {
            "destinationUrl": "https://example.com/2", "shortCode": "two",
            "title": "Plain, with comma", "notes": "+1 line\nsecond"})
        link_service.create_link(workspace_of(charlie), None, {
            "destinationUrl": "https://example.com/c", "shortCode": "theirs"})
        return one.public_id, two.public_id


# --- links: CSV, JSON, xlsx ---------------------------------------------------------------------

def test_links_csv_exact_with_escaping(app, client, alice, two_links):
    one, two = two_links
    export = create(client, alice, type="links", format="csv",
                    columns=["id", "shortCode", "shortUrl", "title", "tags", "notes",
                             "clicks", "createdAt"])
    assert export["status"] == "pending" and ids.is_valid("export", export["id"])
    assert export["downloadUrl"] is None and export["createdAt"] == "2026-01-15T10:31:00.000Z"
    assert status_of(client, alice, export["id"])["status"] == "pending"
    assert run_exports(app) == {"completed": 1, "failed": 0, "rows": 2}
    done = status_of(client, alice, export["id"])
    assert (done["status"], done["rowsWritten"], done["fileName"]) == (
        "completed", 2, "links-export-20260115-103100.csv")
    assert done["expiresAt"] == "2026-01-22T10:31:00.000Z"
    response = fetch(client, alice, done["downloadUrl"])
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=links-export-20260115-103100.csv")
    assert response.get_data(as_text=True) == (
        "id,shortCode,shortUrl,title,tags,notes,clicks,createdAt\r\n"
        f"{one},one,http://127.0.0.1:8080/one,\"'=HYPERLINK(\"\"http://evil\"\")\",a;b,,0,"
        "2026-01-15T10:30:00.000Z\r\n"
        f"{two},two,http://127.0.0.1:8080/two,\"Plain, with comma\",,\"'+1 line\nsecond\",0,"
        "2026-01-15T10:31:00.000Z\r\n")
    assert int(response.headers["Content-Length"]) == done["sizeBytes"]


def test_links_json_is_one_array_with_native_values(app, client, alice, two_links):
    one, two = two_links
    _, response = exported(app, client, alice, type="links", format="json",
                           columns=["id", "title", "tags", "enabled", "archived",
                                    "expiresAt"])
    assert response.headers["Content-Type"] == "application/json"
    assert response.get_data(as_text=True).startswith("[\n{")
    assert json.loads(response.get_data()) == [
        {"id": one, "title": "=HYPERLINK(\"http://evil\")", "tags": ["a", "b"],
         "enabled": True, "archived": False, "expiresAt": None},
        {"id": two, "title": "Plain, with comma", "tags": [], "enabled": True,
         "archived": False, "expiresAt": None}]


def test_links_default_columns_match_the_link_api(app, client, alice, two_links):
    done, response = exported(app, client, alice, type="links", format="json")
    rows = json.loads(response.get_data())
    assert done["columns"][:3] == ["id", "shortCode", "shortUrl"] and len(rows) == 2
    api = client.get(f"/api/links/{rows[0]['id']}", headers=alice.headers).get_json()["data"]
    assert {k: api[k] for k in done["columns"]} == rows[0]


def test_links_xlsx_formula_written_as_quoted_text(app, client, alice, two_links):
    one, two = two_links
    done, response = exported(app, client, alice, type="links", format="xlsx",
                              columns=["id", "title", "tags", "clicks"])
    assert response.headers["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    assert done["fileName"].endswith(".xlsx")
    rows, cells = xlsx_rows(response.get_data())
    assert rows == [["id", "title", "tags", "clicks"],
                    [one, "=HYPERLINK(\"http://evil\")", "a;b", "0"],
                    [two, "Plain, with comma", None, "0"]]
    assert not any(c["formula"] for c in cells)  # never a formula cell
    title = next(c for c in cells if c["ref"] == "B2")
    assert title["type"] == "inlineStr" and title["quoted"]  # shown as text, edits stay text
    assert not next(c for c in cells if c["ref"] == "B3")["quoted"]


def test_links_shortcut_and_filters(app, client, alice, two_links):
    one, two = two_links
    export = create(client, alice, path="/api/links/export", format="csv", columns=["id"],
                    filters={"search": "plain"})
    assert export["type"] == "links" and export["filters"] == {"search": "plain"}
    run_exports(app)
    body = fetch(client, alice, f"{X}/{export['id']}/download")
    assert body.get_data(as_text=True) == f"id\r\n{two}\r\n"
    _, response = exported(app, client, alice, type="links", columns=["id"],
                           filters={"start": "2026-01-15T10:31:00Z", "tag": "a"})
    assert response.get_data(as_text=True) == "id\r\n"  # `one` has tag a but is older
    _, response = exported(app, client, alice, type="links", columns=["shortCode"],
                           filters={"end": "2026-01-15T10:30:30"})
    assert response.get_data(as_text=True) == "shortCode\r\none\r\n"


def test_archived_and_deleted_links(app, client, alice, two_links):
    one, two = two_links
    with in_app(app):
        ws = workspace_of(alice)
        link_service.set_archived(ws, None, Link.get(Link.public_id == one), True)
        link_service.delete_link(ws, None, Link.get(Link.public_id == two))
    _, response = exported(app, client, alice, type="links", columns=["id", "archived"])
    assert response.get_data(as_text=True) == f"id,archived\r\n{one},true\r\n"
    _, response = exported(app, client, alice, type="links", columns=["id"],
                           filters={"archived": False})
    assert response.get_data(as_text=True) == "id\r\n"


# --- clicks -------------------------------------------------------------------------------------

@pytest.fixture
def clicks(app, alice, charlie, two_links):
    one, two = two_links
    with in_app(app):
        link_one, link_two = (Link.get(Link.public_id == p) for p in (one, two))
        theirs = Link.get(Link.short_code == "theirs")
        rows = [
            (link_one, datetime(2026, 1, 16, 9, 0), {"country": "US", "device_type": "mobile",
                                                   "referrer": "=cmd|' /C calc'!A0"}),
            (link_two, datetime(2026, 1, 17, 23, 59), {"country": "GB", "is_unique": True}),
            (link_one, datetime(2026, 1, 18, 0, 0), {"bot": True, "user_agent": "Googlebot"}),
            (theirs, datetime(2026, 1, 16, 10, 0), {"country": "FR"}),
        ]
        made = []
        for link, when, extra in rows:
            made.append(Click.create(public_id=ids.new_id("click"), workspace=link.workspace,
                                     link=link, created_at=when, **extra).public_id)
        return made


def test_clicks_csv_exact_bots_left_out_by_default(app, client, alice, clicks):
    c1, c2, c3, _ = clicks
    _, response = exported(app, client, alice, type="clicks",
                           columns=["id", "timestamp", "shortCode", "country", "device",
                                    "unique", "bot", "referrer"])
    assert response.get_data(as_text=True) == (
        "id,timestamp,shortCode,country,device,unique,bot,referrer\r\n"
        f"{c1},2026-01-16T09:00:00.000Z,one,US,mobile,false,false,'=cmd|' /C calc'!A0\r\n"
        f"{c2},2026-01-17T23:59:00.000Z,two,GB,,true,false,\r\n")
    _, response = exported(app, client, alice, type="clicks", format="json",
                           columns=["id", "bot", "userAgent"], filters={"includeBots": True})
    assert json.loads(response.get_data()) == [
        {"id": c1, "bot": False, "userAgent": None}, {"id": c2, "bot": False,
                                                      "userAgent": None},
        {"id": c3, "bot": True, "userAgent": "Googlebot"}]


def test_click_filters(app, client, alice, clicks, two_links):
    c1, c2, c3, _ = clicks
    one, _two = two_links

    def ids_for(**filters) -> list[str]:
        _, response = exported(app, client, alice, type="clicks", format="json",
                               columns=["id"], filters=filters)
        return [row["id"] for row in json.loads(response.get_data())]

    assert ids_for(linkId=one, includeBots=True) == [c1, c3]
    assert ids_for(start="2026-01-17", end="2026-01-17") == [c2]  # a date-only end: whole day
    assert ids_for(country="gb") == [c2]
    assert ids_for(end="2026-01-16") == [c1]


def test_another_workspaces_rows_never_exported(app, client, alice, charlie, clicks):
    theirs_link = Link.get(Link.short_code == "theirs").public_id
    theirs_click = clicks[3]
    for kind in ("links", "clicks"):
        _, response = exported(app, client, alice, type=kind, format="json", columns=["id"])
        assert theirs_click not in response.get_data(as_text=True)
        assert theirs_link not in response.get_data(as_text=True)
    # a filter naming charlie's link matches nothing of alice's
    _, response = exported(app, client, alice, type="clicks", columns=["id"],
                           filters={"linkId": theirs_link})
    assert response.get_data(as_text=True) == "id\r\n"


def test_another_workspaces_export_is_not_found(app, client, alice, charlie, two_links):
    done, _ = exported(app, client, alice, type="links")
    for path in (f"{X}/{done['id']}", f"{X}/{done['id']}/download"):
        response = client.get(path, headers=charlie.headers)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "NOT_FOUND"
        unknown = client.get(path.replace(done["id"], ids.new_id("export")),
                             headers=alice.headers)
        assert unknown.status_code == 404 and unknown.get_json() == response.get_json()
    assert client.get(f"{X}/exp_nope/download", headers=alice.headers).status_code == 404
    listed = client.get(X, headers=charlie.headers).get_json()
    assert listed["data"] == [] and listed["pagination"]["total"] == 0


# --- conversions, events, customers: equal to their own APIs --------------------------------

def test_conversions_events_and_customers_equal_their_apis(app, client, alice):
    story = tell(app, client, alice)
    api = client.get("/api/conversions?limit=100", headers=alice.headers).get_json()["data"]
    _, response = exported(app, client, alice, type="conversions", format="json")
    assert sorted(json.loads(response.get_data()), key=lambda r: r["id"]) == sorted(
        api, key=lambda r: r["id"])
    events = client.get("/api/events?limit=100", headers=alice.headers).get_json()["data"]
    _, response = exported(app, client, alice, type="events", format="json")
    rows = json.loads(response.get_data())
    assert len(rows) == 7 and sorted(rows, key=lambda r: r["id"]) == sorted(
        events, key=lambda r: r["id"])
    people = client.get("/api/customers?limit=100", headers=alice.headers).get_json()["data"]
    _, response = exported(app, client, alice, type="customers", format="json")
    assert sorted(json.loads(response.get_data()), key=lambda r: r["id"]) == sorted(
        people, key=lambda r: r["id"])
    _, response = exported(app, client, alice, type="events",
                           columns=["eventType", "amount", "customerExternalId"],
                           filters={"type": "sale", "linkId": story.link_a["id"],
                                    "status": "approved"})
    assert response.get_data(as_text=True) == (
        "eventType,amount,customerExternalId\r\nsale,100,u1\r\nsale,20,u4\r\n")
    _, response = exported(app, client, alice, type="conversions", columns=["orderId"],
                           filters={"kind": "custom"})
    assert response.get_data(as_text=True) == "orderId\r\nD-1\r\n"
    _, response = exported(app, client, alice, type="customers", columns=["externalId"],
                           filters={"start": "2026-02-01", "end": "2026-02-28"})
    assert response.get_data(as_text=True) == "externalId\r\nu3\r\nu4\r\n"


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("body, field, words", [
    ({"type": "partners"}, "type", "not available until the partner module exists"),
    ({"type": "commissions", "programId": "prg_x"}, "type", "partner module"),
    ({}, "type", "is required"),
    ({"type": "users"}, "type", "must be one of links, clicks, conversions"),
    ({"type": "links", "format": "pdf"}, "format", "must be one of csv, json, xlsx"),
    ({"type": "links", "columns": ["id", "nope", "zip"]}, "columns",
     "unknown column(s) nope, zip"),
    ({"type": "links", "columns": []}, "columns", "at least one column"),
    ({"type": "links", "columns": ["id", "id"]}, "columns", "twice"),
    ({"type": "links", "columns": "id"}, "columns", "must be a list"),
    ({"type": "links", "filters": []}, "filters", "must be an object"),
    ({"type": "clicks", "filters": {"colour": "red"}}, "filters.colour",
     "is not a filter of clicks exports"),
    ({"type": "clicks", "filters": {"start": "yesterday"}}, "filters.start", "ISO 8601"),
    ({"type": "clicks", "filters": {"linkId": "camp_x"}}, "filters.linkId", "link_"),
    ({"type": "clicks", "filters": {"includeBots": "maybe"}}, "filters.includeBots",
     "true or false"),
    ({"type": "events", "filters": {"type": "custom"}}, "filters.type", "lead, sale"),
    ({"type": "links", "filters": {"start": "nope"}}, "filters.start", "ISO 8601"),
    ({"type": "links", "filters": {"enabled": "perhaps"}}, "filters.enabled", "true or false"),
])
def test_bad_requests_are_400_and_change_nothing(app, client, alice, body, field, words):
    before = db_snapshot(app)
    error = create(client, alice, 400, **body)["error"]
    assert error["code"] == "VALIDATION_ERROR"
    detail = next(d for d in error["details"] if d["field"] == field)
    assert words in detail["message"]
    assert db_snapshot(app) == before


def test_several_problems_at_once_and_non_json(client, alice):
    error = create(client, alice, 400, type="links", format="doc", columns=["x"],
                   filters={"start": "x"})["error"]
    assert {d["field"] for d in error["details"]} == {"format", "columns", "filters.start"}
    response = client.post(X, data="type=links", headers=alice.headers)
    assert response.status_code == 400


def test_scopes(app, client, alice):
    headers = api_key(app, alice, ["links:read"])
    response = client.post(X, json={"type": "clicks"}, headers=headers)
    assert response.status_code == 403 and "analytics:read" in response.get_json()[
        "error"]["message"]
    assert client.post(X, json={"type": "links"}, headers=headers).status_code == 202
    other = api_key(app, alice, ["analytics:read"])  # and not links:read
    assert client.post(X, json={"type": "clicks"}, headers=other).status_code == 403


# --- download states and expiry ------------------------------------------------------------

def test_download_states(app, client, alice, two_links):
    export = create(client, alice, type="links")
    url = f"{X}/{export['id']}/download"
    response = client.get(url, headers=alice.headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "BAD_REQUEST"
    assert "not ready" in response.get_json()["error"]["message"]
    with in_app(app):
        Export.update(status="failed", error="disk full").where(
            Export.public_id == export["id"]).execute()
    assert client.get(url, headers=alice.headers).status_code == 400
    assert status_of(client, alice, export["id"])["error"] == "disk full"


def test_expiry_after_seven_days(app, client, alice, two_links):
    done, _ = exported(app, client, alice, type="links")
    url = done["downloadUrl"]
    with in_app(app):
        path = app.config["LINKHUB"]["DATA_DIR"] + "/" + Export.get(
            Export.public_id == done["id"]).file_path
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    assert fetch(client, alice, url).status_code == 200
    clock.advance(timedelta(seconds=1))
    gone = client.get(url, headers=alice.headers)  # 410 at once, before the job runs
    assert gone.status_code == 410 and gone.get_json()["error"]["code"] == "GONE"
    assert status_of(client, alice, done["id"])["status"] == "expired"
    with in_app(app):
        assert jobs.run(jobs.by_name("export-expiry")) == {"expired": 1}
        assert Export.get(Export.public_id == done["id"]).status == "expired"
    import os
    assert not os.path.exists(path)
    assert client.get(url, headers=alice.headers).status_code == 410
    body = status_of(client, alice, done["id"])
    assert body["status"] == "expired" and body["downloadUrl"] is None


def test_status_filter_counts_a_lapsed_export_as_expired(app, client, alice, two_links):
    done, _ = exported(app, client, alice, type="links")
    clock.advance(timedelta(days=8))  # expired, the job has not run yet

    def listed(status: str) -> list[str]:
        return [e["id"] for e in client.get(f"{X}?status={status}",
                                            headers=alice.headers).get_json()["data"]]

    assert listed("expired") == [done["id"]] and listed("completed") == []


def test_list_newest_first_with_filters(app, client, alice, two_links):
    first = create(client, alice, type="links")
    clock.advance(timedelta(seconds=1))
    second = create(client, alice, type="clicks", format="xlsx")
    run_exports(app)
    clock.advance(timedelta(seconds=1))
    third = create(client, alice, type="customers")
    body = client.get(X, headers=alice.headers).get_json()
    assert [e["id"] for e in body["data"]] == [third["id"], second["id"], first["id"]]
    assert body["pagination"] == {"total": 3, "page": 1, "limit": 20, "hasMore": False,
                                  "totalPages": 1}
    assert body["data"][0]["createdBy"] == alice.user_id
    pending = client.get(f"{X}?status=pending", headers=alice.headers).get_json()["data"]
    assert [e["id"] for e in pending] == [third["id"]]
    xlsx = client.get(f"{X}?type=clicks", headers=alice.headers).get_json()["data"]
    assert [e["format"] for e in xlsx] == ["xlsx"]
    paged = client.get(f"{X}?limit=2&page=2", headers=alice.headers).get_json()
    assert [e["id"] for e in paged["data"]] == [first["id"]]
    assert client.get(f"{X}?status=done", headers=alice.headers).status_code == 400


def test_ready_notification_goes_to_the_creator(app, client, alice, two_links, monkeypatch):
    from linkhub.services import notifications

    sent = []
    monkeypatch.setattr(notifications, "notify",
                        lambda workspace, kind, title, body="", **kw: sent.append(
                            (workspace.public_id, kind, title, body, kw)) or 1)
    exported(app, client, alice, type="links", format="xlsx")
    [(workspace, kind, title, body, kw)] = sent
    assert (workspace, kind, title) == (alice.workspace_id, "export_ready",
                                        "Your links export is ready")
    assert body == "2 rows as XLSX. Download it within 7 days."
    assert kw["url"] == "/app/exports" and len(kw["users"]) == 1


def test_location_header_and_accept_202(client, alice):
    response = client.post(X, json={"type": "links", "format": "json"}, headers=alice.headers)
    assert response.status_code == 202
    body = response.get_json()["data"]
    assert response.headers["Location"] == f"/api/exports/{body['id']}"
    assert re.fullmatch(r"links-export-\d{8}-\d{6}\.json", body["fileName"])

"""Asynchronous bulk operations (/api/bulk/...): validate (dry run), create, update, delete,
list, status, results and cancel; the `bulk-operations` job run directly, resumed after a
simulated crash and after a lost lease without applying any item twice, skipped while another
holder has the lease, and stopped by a cancel at the next item."""

from __future__ import annotations

import pytest

from linkhub import jobs
from linkhub.models import BulkOperation, BulkOperationResult, Link, Notification
from linkhub.schemas.bulk import BulkOperationOut, BulkRowOut
from linkhub.services import bulk, bulk_jobs, links
from tests.api.links_support import create, in_app
from tests.conftest import db_snapshot

JOB = "bulk-operations"


class Crash(BaseException):
    """Stands for the process dying: not an Exception, so nothing inside the job catches it."""


def start(client, persona, path, body, status=202):
    response = client.post(f"/api/bulk/links/{path}", json=body, headers=persona.headers)
    assert response.status_code == status, response.get_json()
    data = response.get_json()["data"]
    if status == 202:
        BulkOperationOut.model_validate(data)
    return data


def run_job(app):
    with in_app(app):
        return jobs.run(jobs.by_name(JOB))


def status_of(client, persona, op_id):
    response = client.get(f"/api/bulk/operations/{op_id}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    BulkOperationOut.model_validate(response.get_json()["data"])
    return response.get_json()["data"]


def results_of(client, persona, op_id, query=""):
    response = client.get(f"/api/bulk/operations/{op_id}/results?limit=100{query}",
                          headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    for row in response.get_json()["data"]:
        BulkRowOut.model_validate(row)
    return response.get_json()


def link_count(app, persona) -> int:
    with in_app(app):
        return Link.select().where(Link.workspace == persona.workspace,
                                   Link.deleted_at.is_null()).count()


def coded(n, prefix="op"):
    return [{"destinationUrl": f"https://shop.example/{i}", "shortCode": f"{prefix}-{i}"}
            for i in range(n)]


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 10 items, so that a few dozen items cross several chunks."""
    monkeypatch.setattr(bulk_jobs, "CHUNK", 10)


@pytest.fixture
def count_creates(monkeypatch):
    """Wrap links.create_link; `hooks[n]` runs after the n-th successful create."""
    calls, hooks = [0], {}
    original = links.create_link

    def counting(*args, **kwargs):
        link = original(*args, **kwargs)
        calls[0] += 1
        if calls[0] in hooks:
            hooks[calls[0]]()
        return link

    monkeypatch.setattr(links, "create_link", counting)
    return calls, hooks


# --- the happy paths ------------------------------------------------------------------------------

def test_an_async_create_runs_in_the_job(client, app, alice):
    op = start(client, alice, "create", {"links": coded(250)})
    assert op["status"] == "pending" and op["total"] == 250 and op["processed"] == 0
    assert op["action"] == "create" and op["dryRun"] is False
    assert run_job(app) == {"operations": 1, "items": 250}
    done = status_of(client, alice, op["id"])
    assert done["status"] == "completed" and done["progress"] == 100
    assert (done["processed"], done["succeeded"], done["failed"]) == (250, 250, 0)
    assert done["errors"] == [] and done["startedAt"] and done["finishedAt"]
    assert link_count(app, alice) == 250
    page = results_of(client, alice, op["id"])
    assert page["pagination"]["total"] == 250
    assert all(r["success"] and r["linkId"].startswith("link_") for r in page["data"])
    listed = client.get("/api/bulk/operations", headers=alice.headers).get_json()
    assert [(o["id"], o["createdBy"]) for o in listed["data"]] == [(op["id"], alice.user_id)]
    assert client.get("/op-7").status_code == 302
    assert run_job(app) == {"operations": 0, "items": 0}  # nothing left


def test_rows_fail_on_their_own(client, app, alice):
    create(client, alice, shortCode="already")
    op = start(client, alice, "create", {"links": [
        {"destinationUrl": "https://shop.example/ok"},
        {"destinationUrl": "javascript:alert(1)"},
        {"destinationUrl": "https://shop.example/x", "shortCode": "already"},
        {"destinationUrl": "https://shop.example/y", "shortCode": "dup"},
        {"destinationUrl": "https://shop.example/z", "shortCode": "dup"},
        {"destinationUrl": "https://shop.example/n", "clicksLimit": "5"},
    ]})
    run_job(app)
    done = status_of(client, alice, op["id"])
    assert done["status"] == "completed"
    assert (done["succeeded"], done["failed"]) == (2, 4)
    errors = {e["index"]: e["error"] for e in done["errors"]}
    assert sorted(errors) == [1, 2, 4, 5]
    assert errors[1]["code"] == "VALIDATION_ERROR"
    assert errors[1]["details"][0]["field"] == "destinationUrl"
    assert errors[2]["code"] == "SHORT_CODE_EXISTS"
    assert errors[4]["details"] == [{"field": "shortCode", "message": "repeats item 3 of this "
                                     "batch"}]
    assert errors[5]["details"][0]["field"] == "clicksLimit"
    failed = results_of(client, alice, op["id"], "&outcome=failed")
    assert [r["index"] for r in failed["data"]] == [1, 2, 4, 5]


def test_validate_is_a_dry_run(client, app, alice):
    create(client, alice, shortCode="exists")
    before = link_count(app, alice)
    op = start(client, alice, "validate", {"links": [
        {"destinationUrl": "https://shop.example/1", "shortCode": "fresh", "tags": ["new"]},
        {"destinationUrl": "https://shop.example/2", "shortCode": "exists"},
        {"destinationUrl": "nope"},
    ]})
    assert op["dryRun"] is True and op["action"] == "create"
    run_job(app)
    done = status_of(client, alice, op["id"])
    assert (done["status"], done["succeeded"], done["failed"]) == ("completed", 1, 2)
    assert [e["index"] for e in done["errors"]] == [1, 2]
    rows = results_of(client, alice, op["id"])["data"]
    assert rows[0] == {"index": 0, "success": True, "linkId": None, "error": None}
    assert link_count(app, alice) == before
    tags = client.get("/api/tags", headers=alice.headers).get_json()["data"]
    assert "new" not in {t["name"] for t in tags}  # the dry run's tag was rolled back too


def test_validate_update_and_delete_write_nothing(client, app, alice, charlie):
    mine = create(client, alice, title="Mine")
    theirs = create(client, charlie)
    up = start(client, alice, "validate-update", {"links": [
        {"id": mine["id"], "title": "Changed"}, {"id": theirs["id"], "title": "x"},
        {"title": "no id"}]})
    gone = start(client, alice, "validate-delete", {"linkIds": [mine["id"], theirs["id"]]})
    before = db_snapshot(app)
    run_job(app)
    after = db_snapshot(app)
    for table in ("link", "link_tag", "rule", "audit_log"):
        assert after[table] == before[table], table
    up_done, gone_done = status_of(client, alice, up["id"]), status_of(client, alice, gone["id"])
    assert (up_done["succeeded"], up_done["failed"]) == (1, 2)
    assert [(e["index"], e["error"]["code"]) for e in up_done["errors"]] == [
        (1, "NOT_FOUND"), (2, "VALIDATION_ERROR")]
    assert [(e["index"], e["error"]["code"]) for e in gone_done["errors"]] == [(1, "NOT_FOUND")]
    got = client.get(f"/api/links/{mine['id']}", headers=alice.headers).get_json()["data"]
    assert got["title"] == "Mine"


def test_async_update_and_delete(client, app, alice, charlie):
    one, two = create(client, alice), create(client, alice, shortCode="two")
    theirs = create(client, charlie, title="Theirs")
    up = start(client, alice, "update", {"links": [
        {"id": one["id"], "title": "New title"}, {"id": theirs["id"], "title": "Stolen"}]})
    run_job(app)
    assert status_of(client, alice, up["id"])["failed"] == 1
    got = client.get(f"/api/links/{one['id']}", headers=alice.headers).get_json()["data"]
    assert got["title"] == "New title"
    got = client.get(f"/api/links/{theirs['id']}", headers=charlie.headers).get_json()["data"]
    assert got["title"] == "Theirs"
    gone = start(client, alice, "delete", {"linkIds": ["two", one["id"]]})
    run_job(app)
    done = status_of(client, alice, gone["id"])
    assert (done["succeeded"], done["failed"]) == (2, 0)
    rows = results_of(client, alice, gone["id"])["data"]
    assert [r["linkId"] for r in rows] == [two["id"], one["id"]]
    assert link_count(app, alice) == 0


def test_the_creator_is_notified(client, app, alice):
    op = start(client, alice, "create", {"links": coded(3)})
    run_job(app)
    with in_app(app):
        notes = list(Notification.select().where(Notification.kind == "bulk_finished"))
    assert [n.user.public_id for n in notes] == [alice.user_id]
    assert notes[0].url == f"/app/bulk/{op['id']}" and "completed" in notes[0].title


# --- bad input and isolation ----------------------------------------------------------------------

def test_10001_items_are_refused(client, app, alice):
    before = db_snapshot(app)
    body = client.post("/api/bulk/links/delete", headers=alice.headers,
                       json={"linkIds": ["x"] * 10_001}).get_json()
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["details"][0]["field"] == "linkIds"
    assert db_snapshot(app) == before


def test_items_must_be_objects(client, alice):
    response = client.post("/api/bulk/links/create", headers=alice.headers,
                           json={"links": ["https://shop.example/"]})
    assert response.status_code == 400


def test_another_workspace_sees_no_operation(client, app, alice, charlie):
    op = start(client, alice, "create", {"links": coded(1)})
    for path in ("", "/results"):
        response = client.get(f"/api/bulk/operations/{op['id']}{path}",
                              headers=charlie.headers)
        assert response.status_code == 404
    response = client.post(f"/api/bulk/operations/{op['id']}/cancel", headers=charlie.headers)
    assert response.status_code == 404
    assert client.get("/api/bulk/operations", headers=charlie.headers).get_json()["data"] == []
    assert client.get("/api/bulk/operations/op_nope", headers=alice.headers).status_code == 404


def test_status_filter_is_checked(client, alice):
    response = client.get("/api/bulk/operations?status=done", headers=alice.headers)
    assert response.status_code == 400


# --- resuming -----------------------------------------------------------------------------------

def test_a_crashed_run_resumes_at_the_cursor_without_duplicates(client, app, alice,
                                                               small_chunks, count_creates):
    calls, hooks = count_creates
    op = start(client, alice, "create", {"links": coded(25)})

    def die():
        raise Crash()

    hooks[15] = die  # dies halfway through the second chunk
    with pytest.raises(Crash):
        run_job(app)
    half = status_of(client, alice, op["id"])
    assert (half["status"], half["processed"], half["succeeded"]) == ("processing", 10, 10)
    assert link_count(app, alice) == 10  # the second chunk rolled back whole
    hooks.clear()
    assert run_job(app) == {"operations": 1, "items": 15}
    done = status_of(client, alice, op["id"])
    assert (done["status"], done["processed"], done["succeeded"], done["failed"]) == (
        "completed", 25, 25, 0)
    with in_app(app):
        codes = [link.short_code for link in Link.select().where(
            Link.workspace == alice.workspace)]
        indexes = [r.index for r in BulkOperationResult.select()]
    assert sorted(codes) == sorted(f"op-{i}" for i in range(25))
    assert sorted(indexes) == list(range(25))


def test_a_lost_lease_stops_between_chunks_and_the_next_run_finishes(client, app, alice,
                                                                    small_chunks, monkeypatch):
    op = start(client, alice, "create", {"links": coded(23)})
    renewals = [0]
    real_renew = jobs.renew

    def renew_once(name, *args, **kwargs):
        renewals[0] += 1
        return renewals[0] == 1 and real_renew(name, *args, **kwargs)

    monkeypatch.setattr(jobs, "renew", renew_once)
    result = run_job(app)
    assert result == {"operations": 1, "items": 10, "leaseLost": True}
    assert status_of(client, alice, op["id"])["processed"] == 10
    monkeypatch.setattr(jobs, "renew", real_renew)
    assert run_job(app) == {"operations": 1, "items": 13}
    assert link_count(app, alice) == 23


def test_a_second_run_is_skipped_while_the_first_holds_the_lease(client, app, alice,
                                                                small_chunks, count_creates):
    calls, hooks = count_creates
    op = start(client, alice, "create", {"links": coded(25)})
    seen = []

    def meanwhile():  # another process tries the same job
        ours, jobs._OWNER = jobs._OWNER, "elsewhere:2:other"
        try:
            seen.append(jobs.run(jobs.by_name(JOB)))
        finally:
            jobs._OWNER = ours

    hooks[5] = meanwhile
    assert run_job(app) == {"operations": 1, "items": 25}
    assert seen == [{"skipped": True, "reason": "leased"}]
    assert calls[0] == 25
    assert status_of(client, alice, op["id"])["succeeded"] == 25


def test_an_unexpected_error_fails_one_row_only(client, app, alice, monkeypatch):
    original = links.create_link

    def flaky(workspace, actor, data):
        if data.get("shortCode") == "op-1":
            raise RuntimeError("disk on fire")
        return original(workspace, actor, data)

    monkeypatch.setattr(links, "create_link", flaky)
    op = start(client, alice, "create", {"links": coded(3)})
    run_job(app)
    done = status_of(client, alice, op["id"])
    assert (done["succeeded"], done["failed"]) == (2, 1)
    assert done["errors"][0]["error"]["code"] == "INTERNAL_ERROR"


# --- cancelling -----------------------------------------------------------------------------------

def test_cancel_a_pending_operation(client, app, alice):
    op = start(client, alice, "create", {"links": coded(5)})
    response = client.post(f"/api/bulk/operations/{op['id']}/cancel", headers=alice.headers)
    assert response.status_code == 200 and response.get_json()["data"]["status"] == "cancelled"
    assert run_job(app) == {"operations": 0, "items": 0}
    assert link_count(app, alice) == 0
    again = client.post(f"/api/bulk/operations/{op['id']}/cancel", headers=alice.headers)
    assert again.status_code == 200  # harmless


def test_cancel_stops_a_running_operation_at_the_next_item(client, app, alice, small_chunks,
                                                           count_creates):
    calls, hooks = count_creates
    op = start(client, alice, "create", {"links": coded(25)})

    def cancel_now():
        with in_app(app):
            bulk.cancel(alice.workspace, alice.user,
                        BulkOperation.get(BulkOperation.public_id == op["id"]))

    hooks[13] = cancel_now  # in the middle of the second chunk
    run_job(app)
    done = status_of(client, alice, op["id"])
    assert (done["status"], done["processed"], done["succeeded"]) == ("cancelled", 13, 13)
    assert link_count(app, alice) == 13 and calls[0] == 13
    assert run_job(app) == {"operations": 0, "items": 0}


def test_a_finished_operation_cannot_be_cancelled(client, app, alice):
    op = start(client, alice, "create", {"links": coded(1)})
    run_job(app)
    response = client.post(f"/api/bulk/operations/{op['id']}/cancel", headers=alice.headers)
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "CONFLICT"


def test_cancel_needs_the_scope_of_the_action(client, app, alice):
    from tests.api.links_support import api_key

    op = start(client, alice, "delete", {"linkIds": ["a"]})
    reader = api_key(app, alice, ["links:read"])
    response = client.post(f"/api/bulk/operations/{op['id']}/cancel", headers=reader)
    assert response.status_code == 403
    assert client.get(f"/api/bulk/operations/{op['id']}", headers=reader).status_code == 200


def test_10000_rows_may_exceed_the_general_body_limit(client, alice):
    rows = [{"destinationUrl": f"https://shop.example/catalogue/item/{i}",
             "title": f"A rather long catalogue title for item number {i}",
             "notes": "imported from the spring catalogue"} for i in range(10_000)]
    op = start(client, alice, "validate", {"links": rows})
    assert op["total"] == 10_000
    big = [{"destinationUrl": "https://shop.example/", "notes": "n" * 2000}] * 600
    response = client.post("/api/links/bulk", json={"links": big}, headers=alice.headers)
    assert response.status_code == 413  # the synchronous route keeps MAX_BODY_BYTES

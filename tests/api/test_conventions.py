"""API conventions (decisions §3): envelopes, JSON 404/405/413/500, pagination, X-Request-Id,
rate limits and Idempotency-Key. Throwaway routes are added to each test's own app."""

from __future__ import annotations

import pytest
from flask import Blueprint, g, request
from pydantic import Field

from linkhub import envelope, ids, pagination
from linkhub.api.openapi_doc import ErrorResponse
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.models import Workspace
from linkhub.schemas import ApiModel
from linkhub.services import workspaces
from tests.conftest import db_snapshot, login

TOTAL_ITEMS = 45


class ThingIn(ApiModel):
    name: str = Field(min_length=1, max_length=100)


def add_test_routes(app) -> None:
    """/api/_test/...: a create route (any authenticated caller), a public list route, a
    route that crashes, a who-am-I and a workspace-in-path route."""
    bp = Blueprint("conventions_test", __name__, url_prefix="/api/_test")

    @bp.post("/workspaces")
    @require(workspace=False)
    @endpoint("Create a workspace (test)", body=ThingIn, status=201)
    def create(body: ThingIn):
        workspace = workspaces.create_workspace(g.user, body.name)
        return envelope.created({"id": workspace.public_id, "name": workspace.name})

    @bp.get("/items")
    @endpoint("List numbers (test)", listing=True, public=True)
    def items():
        page = pagination.parse(request.args)
        rows = [{"n": n} for n in range(TOTAL_ITEMS)]
        return envelope.listing(rows[page.offset:page.offset + page.limit], page, TOTAL_ITEMS)

    @bp.get("/one")
    @endpoint("One thing (test)", public=True)
    def one():
        return envelope.ok({"n": 1})

    @bp.get("/boom")
    def boom():
        raise RuntimeError("secret-internal-detail /srv/linkhub/boom.py")

    @bp.get("/whoami")
    @require(workspace=False)
    def whoami():
        return envelope.ok({"userId": g.user.public_id if g.user else None})

    @bp.get("/ws/<workspace_id>")
    @require(workspace="path")
    def in_workspace(workspace_id: str):
        return envelope.ok({"id": g.workspace.public_id})

    @bp.post("/reversed/<workspace_id>")
    @endpoint("Decorators in the other order (test)", body=ThingIn)
    @require("workspace:update", workspace="path")
    def reversed_order(workspace_id: str, body: ThingIn):
        return envelope.ok({"name": body.name})

    app.extensions["csrf"].exempt(bp)
    app.register_blueprint(bp)


@pytest.fixture
def test_client(app):
    add_test_routes(app)
    with app.test_client() as test_client:
        yield test_client


def workspace_count() -> int:
    return Workspace.select().count()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    ErrorResponse.model_validate(body)
    assert body["error"]["code"] == code
    return body


# --- envelopes --------------------------------------------------------------------------------

def test_success_envelope(test_client):
    response = test_client.get("/api/_test/one")
    assert response.status_code == 200
    assert response.get_json() == {"success": True, "data": {"n": 1}}


def test_created_envelope(test_client, alice):
    response = test_client.post("/api/_test/workspaces", json={"name": "Env"},
                                headers=alice.headers)
    assert response.status_code == 201
    body = response.get_json()
    assert body["success"] is True and set(body) == {"success", "data"}
    assert ids.is_valid("workspace", body["data"]["id"])


@pytest.mark.parametrize("query, page, limit, count, has_more, total_pages", [
    ("", 1, 20, 20, True, 3),
    ("?page=2", 2, 20, 20, True, 3),
    ("?page=3", 3, 20, 5, False, 3),
    ("?page=4", 4, 20, 0, False, 3),
    ("?limit=45", 1, 45, 45, False, 1),
    ("?limit=100&page=1", 1, 100, 45, False, 1),
    ("?limit=1&page=45", 45, 1, 1, False, 45),
])
def test_list_envelope(test_client, query, page, limit, count, has_more, total_pages):
    response = test_client.get("/api/_test/items" + query)
    assert response.status_code == 200
    body = response.get_json()
    assert list(body) == ["success", "data", "pagination"] and body["success"] is True
    assert len(body["data"]) == count
    assert body["pagination"] == {"total": TOTAL_ITEMS, "page": page, "limit": limit,
                                  "hasMore": has_more, "totalPages": total_pages}


def test_empty_list_envelope(app):
    with app.test_request_context("/api/x"):
        body = envelope.listing([], pagination.Page(1, 20), 0).get_json()
    assert body == {"success": True, "data": [], "pagination": {
        "total": 0, "page": 1, "limit": 20, "hasMore": False, "totalPages": 0}}


@pytest.mark.parametrize("query, field", [
    ("page=0", "page"), ("page=-1", "page"), ("page=abc", "page"), ("limit=0", "limit"),
    ("limit=101", "limit"), ("limit=abc", "limit"), ("limit=-3", "limit"),
    ("page=99999999999999999999", "page"), ("limit=1_0", "limit"),
])
def test_bad_pagination_is_a_validation_error(test_client, app, alice, query, field):
    before = db_snapshot(app)
    for path, headers in (("/api/_test/items", {}), ("/api/workspaces", alice.headers)):
        body = assert_error(test_client.get(f"{path}?{query}", headers=headers), 400,
                            "VALIDATION_ERROR")
        assert [d["field"] for d in body["error"]["details"]] == [field]
    assert db_snapshot(app) == before


@pytest.mark.parametrize("query, field", [("page=0", "page"), ("limit=101", "limit")])
def test_bad_pagination_on_a_session_list_route(client, alice, query, field):
    login(client, alice.email)
    response = client.get(f"/api/workspaces/{alice.workspace_id}/members?{query}")
    body = assert_error(response, 400, "VALIDATION_ERROR")
    assert body["error"]["details"][0]["field"] == field


def test_members_list_route_envelope(client, alice):
    login(client, alice.email)
    body = client.get(f"/api/workspaces/{alice.workspace_id}/members?limit=1").get_json()
    assert body["success"] is True and len(body["data"]) == 1
    assert body["pagination"] == {"total": 2, "page": 1, "limit": 1, "hasMore": True,
                                  "totalPages": 2}


# --- JSON errors on /api ----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api", "/api/", "/api/nope", "/api/does/not/exist",
                                  "/api/workspaces/x/y/z", "/api/_test/items/extra"])
def test_unknown_api_path_is_a_json_404(test_client, path):
    response = test_client.get(path)
    body = assert_error(response, 404, "NOT_FOUND")
    assert set(body["error"]) == {"code", "message"}
    assert b"<html" not in response.data.lower()


def test_unknown_path_outside_api_is_html(client):
    response = client.get("/app/does-not-exist")
    assert response.status_code == 404 and response.mimetype == "text/html"


def test_wrong_method_is_a_json_405_with_allow(test_client, alice):
    for method, path in (("post", "/api/openapi.json"), ("delete", "/api/_test/items"),
                         ("put", "/api/workspaces")):
        response = getattr(test_client, method)(path, headers=alice.headers)
        assert_error(response, 405, "METHOD_NOT_ALLOWED")
        allowed = {m.strip() for m in response.headers["Allow"].split(",")}
        assert "GET" in allowed and method.upper() not in allowed


def test_ten_megabyte_body_is_a_json_413(test_client, app, alice):
    before = db_snapshot(app)
    big = b'{"name": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = test_client.post("/api/_test/workspaces", data=big,
                                content_type="application/json", headers=alice.headers)
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert response.headers["X-Request-Id"] and response.headers["X-RateLimit-Limit"]
    # also where nothing would read the body
    response = test_client.get("/api/_test/one", data=big, content_type="application/json")
    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
    assert db_snapshot(app) == before


def test_body_just_under_the_cap_is_accepted(test_client, app, alice):
    cap = app.config["MAX_CONTENT_LENGTH"]
    payload = b'{"name": "Cap", "pad": "' + b"x" * (cap - 100) + b'"}'
    assert len(payload) <= cap
    response = test_client.post("/api/_test/workspaces", data=payload,
                                content_type="application/json", headers=alice.headers)
    assert response.status_code == 201


def test_unexpected_exception_is_a_json_500_without_traceback(test_client, caplog):
    response = test_client.get("/api/_test/boom")
    body = assert_error(response, 500, "INTERNAL_ERROR")
    text = response.get_data(as_text=True)
    for leak in ("Traceback", "RuntimeError", "secret-internal-detail", "boom.py", 'File "'):
        assert leak not in text
    assert set(body["error"]) == {"code", "message"}
    assert response.headers["X-Request-Id"]
    assert "secret-internal-detail" in caplog.text  # logged for the operator instead


def test_malformed_id_in_path_is_404_like_a_missing_one(test_client, alice, charlie):
    missing = assert_error(test_client.get(f"/api/_test/ws/{ids.new_id('workspace')}",
                                           headers=alice.headers), 404, "NOT_FOUND")
    for bad in ("nope", "ws_short", ids.new_id("link"), charlie.workspace_id):
        other = assert_error(test_client.get(f"/api/_test/ws/{bad}", headers=alice.headers),
                             404, "NOT_FOUND")
        assert other == missing
    response = test_client.get(f"/api/_test/ws/{alice.workspace_id}", headers=alice.headers)
    assert response.get_json()["data"]["id"] == alice.workspace_id


def test_credentials_are_checked_before_the_body_whatever_the_decorator_order(
        test_client, alice, bob, charlie):
    url = f"/api/_test/reversed/{alice.workspace_id}"
    bad = {"data": "{nope", "content_type": "application/json"}
    assert_error(test_client.post(url, **bad), 401, "UNAUTHORIZED")
    assert_error(test_client.post(url, headers=charlie.headers, **bad), 404, "NOT_FOUND")
    assert_error(test_client.post(url, headers=bob.headers, **bad), 403, "FORBIDDEN")
    assert_error(test_client.post(url, headers=alice.headers, **bad), 400, "VALIDATION_ERROR")
    response = test_client.post(url, headers=alice.headers, json={"name": "ok"})
    assert response.status_code == 200 and response.get_json()["data"] == {"name": "ok"}


# --- X-Request-Id -----------------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/api/_test/one", "/api/nope", "/health", "/app/",
                                  "/app/does-not-exist", "/api/openapi.json"])
def test_request_id_everywhere(test_client, path):
    response = test_client.get(path)
    generated = response.headers["X-Request-Id"]
    assert 1 <= len(generated) <= 128
    echoed = test_client.get(path, headers={"X-Request-Id": "abc-123.req:7_x"})
    assert echoed.headers["X-Request-Id"] == "abc-123.req:7_x"


def test_request_ids_differ_per_request(test_client):
    seen = {test_client.get("/api/_test/one").headers["X-Request-Id"] for _ in range(5)}
    assert len(seen) == 5


@pytest.mark.parametrize("incoming", ["x" * 129, "has space", "semi;colon", "quote\"",
                                      "ünïcode", "<script>"])
def test_invalid_request_id_is_replaced(test_client, incoming):
    for path in ("/api/_test/one", "/health"):
        response = test_client.get(path, headers={"X-Request-Id": incoming})
        replaced = response.headers["X-Request-Id"]
        assert replaced and replaced != incoming


def test_request_id_of_128_chars_is_kept(test_client):
    value = "a" * 128
    assert test_client.get("/api/_test/one",
                           headers={"X-Request-Id": value}).headers["X-Request-Id"] == value


# --- idempotency ------------------------------------------------------------------------------

def _create(client, persona, key: str | None, name: str):
    headers = dict(persona.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post("/api/_test/workspaces", json={"name": name}, headers=headers)


def test_idempotent_replay(test_client, alice):
    count = workspace_count()
    first = _create(test_client, alice, "create-1", "Idem")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first.headers
    second = _create(test_client, alice, "create-1", "Idem")
    assert second.status_code == 201
    assert second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    assert second.headers["X-RateLimit-Limit"] and second.headers["X-Request-Id"]
    assert workspace_count() == count + 1


def test_same_key_other_body_is_a_conflict(test_client, app, alice):
    assert _create(test_client, alice, "create-2", "One").status_code == 201
    before = db_snapshot(app)
    assert_error(_create(test_client, alice, "create-2", "Two"), 409, "IDEMPOTENCY_CONFLICT")
    assert db_snapshot(app) == before


def test_failed_first_request_is_not_remembered(test_client, alice):
    count = workspace_count()
    assert_error(_create(test_client, alice, "create-3", ""), 400, "VALIDATION_ERROR")
    assert_error(_create(test_client, alice, "create-3", ""), 400, "VALIDATION_ERROR")
    fixed = _create(test_client, alice, "create-3", "Fixed")
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers
    assert workspace_count() == count + 1


def test_keys_are_per_principal(test_client, alice, bob):
    count = workspace_count()
    mine = _create(test_client, alice, "shared-key", "Same")
    theirs = _create(test_client, bob, "shared-key", "Same")
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.get_json()["data"]["id"] != theirs.get_json()["data"]["id"]
    assert workspace_count() == count + 2


def test_without_key_every_post_creates(test_client, alice):
    count = workspace_count()
    _create(test_client, alice, None, "Again")
    _create(test_client, alice, None, "Again")
    assert workspace_count() == count + 2


@pytest.mark.parametrize("key", ["", "   ", "k" * 256])
def test_bad_idempotency_key_is_a_validation_error(test_client, alice, key):
    count = workspace_count()
    body = assert_error(_create(test_client, alice, key, "Bad key"), 400, "VALIDATION_ERROR")
    assert body["error"]["details"][0]["field"] == "Idempotency-Key"
    assert workspace_count() == count


def test_idempotent_replay_on_the_real_create_route(client, alice):
    csrf = login(client, alice.email)
    headers = {"X-CSRF-Token": csrf, "Idempotency-Key": "real-create"}
    count = workspace_count()
    first = client.post("/api/workspaces", json={"name": "Real"}, headers=headers)
    assert first.status_code == 201, first.get_json()
    second = client.post("/api/workspaces", json={"name": "Real"}, headers=headers)
    assert second.status_code == 201 and second.headers["Idempotent-Replayed"] == "true"
    assert second.get_json() == first.get_json()
    assert_error(client.post("/api/workspaces", json={"name": "Other"}, headers=headers), 409,
                 "IDEMPOTENCY_CONFLICT")
    assert workspace_count() == count + 1


# --- rate limits ------------------------------------------------------------------------------

def test_rate_limit_headers_on_every_api_response(test_client, alice):
    for path, headers in (("/api/_test/one", {}), ("/api/nope", {}),
                          ("/api/_test/whoami", alice.headers), ("/api/_test/whoami", {}),
                          ("/api/_test/whoami", {"X-API-Key": "lh_" + "x" * 40})):
        response = test_client.get(path, headers=headers)
        for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
            assert response.headers[name].isdigit(), (path, name)


def test_no_rate_limit_headers_outside_api(test_client):
    assert "X-RateLimit-Limit" not in test_client.get("/health").headers


class TestRateLimiting:
    @pytest.fixture
    def settings_overrides(self):
        return {"RATE_LIMIT_API": "3/minute", "RATE_LIMIT_ANONYMOUS": "2/minute"}

    def test_key_limit_counts_down_then_429(self, test_client, alice):
        remaining = []
        for _ in range(3):
            response = test_client.get("/api/_test/whoami", headers=alice.headers)
            assert response.status_code == 200
            assert response.headers["X-RateLimit-Limit"] == "3"
            remaining.append(response.headers["X-RateLimit-Remaining"])
        assert remaining == ["2", "1", "0"]
        over = test_client.get("/api/_test/whoami", headers=alice.headers)
        assert_error(over, 429, "RATE_LIMITED")
        assert int(over.headers["Retry-After"]) >= 1
        assert over.headers["X-RateLimit-Remaining"] == "0"
        assert int(over.headers["X-RateLimit-Reset"]) > 0 and over.headers["X-Request-Id"]

    def test_other_key_is_unaffected(self, test_client, alice, bob):
        for _ in range(4):
            test_client.get("/api/_test/whoami", headers=alice.headers)
        response = test_client.get("/api/_test/whoami", headers=bob.headers)
        assert response.status_code == 200
        assert response.headers["X-RateLimit-Remaining"] == "2"

    def test_anonymous_limit_is_per_ip_and_separate(self, test_client, alice):
        here = {"REMOTE_ADDR": "10.0.0.1"}
        there = {"REMOTE_ADDR": "10.0.0.2"}
        for expected in ("1", "0"):
            response = test_client.get("/api/_test/one", environ_base=here)
            assert response.headers["X-RateLimit-Limit"] == "2"
            assert response.headers["X-RateLimit-Remaining"] == expected
        assert_error(test_client.get("/api/_test/one", environ_base=here), 429, "RATE_LIMITED")
        assert test_client.get("/api/_test/one", environ_base=there).status_code == 200
        # the API key used from the limited IP has its own budget
        keyed = test_client.get("/api/_test/whoami", headers=alice.headers, environ_base=here)
        assert keyed.status_code == 200 and keyed.headers["X-RateLimit-Limit"] == "3"

    def test_rejected_credentials_count_against_the_ip(self, test_client):
        bad = {"X-API-Key": "lh_" + "y" * 40}
        here = {"REMOTE_ADDR": "10.0.0.3"}
        for _ in range(2):
            assert_error(test_client.get("/api/_test/whoami", headers=bad, environ_base=here),
                         401, "INVALID_API_KEY")
        assert_error(test_client.get("/api/_test/whoami", headers=bad, environ_base=here), 429,
                     "RATE_LIMITED")

    def test_redirects_and_health_are_not_limited(self, test_client):
        for _ in range(5):
            assert test_client.get("/health").status_code == 200

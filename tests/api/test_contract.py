"""Contract tests over EVERY /api route of the URL map (collected from a real app at collection
time, so each new route is checked without being listed here): documented with @endpoint and
in the OpenAPI document; 401 envelopes without or with a bad key; X-Request-Id and
X-RateLimit-* on every answer; 400 VALIDATION_ERROR for bad bodies; 405 JSON for other methods;
successful answers match their declared response model."""

from __future__ import annotations

import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from typing import Any

import pytest

from linkhub import db, ids
from linkhub.api.openapi_doc import ErrorResponse, Pagination, api_rules
from linkhub.app import create_app
from tests.conftest import db_snapshot, login

_VAR_RE = re.compile(r"<(?:([a-zA-Z_]\w*)(?:\([^)]*\))?:)?([a-zA-Z_]\w*)>")
BAD_KEY = "lh_" + "Z" * 40


@dataclass(frozen=True)
class Route:
    rule: str
    method: str
    endpoint: str
    doc: dict[str, Any] | None
    auth: dict[str, Any] | None

    def __str__(self) -> str:
        return f"{self.method} {self.rule}"

    @property
    def public(self) -> bool:
        return bool(self.doc and self.doc.get("public"))

    @property
    def session_only(self) -> bool:
        return bool(self.auth and self.auth.get("session_only"))

    @property
    def path(self) -> str:
        return _VAR_RE.sub(lambda m: "{" + m.group(2) + "}", self.rule)

    @property
    def params(self) -> list[str]:
        return [m.group(2) for m in _VAR_RE.finditer(self.rule)]

    def url(self, workspace_id: str | None = None) -> str:
        """The rule with every variable filled: the persona's workspace for `workspace_id`,
        a well-formed (but unknown) id for other `<kind>_id` names, a plain word otherwise."""

        def value(match: re.Match) -> str:
            converter, name = match.group(1), match.group(2)
            if converter == "int":
                return "1"
            if converter == "uuid":
                return str(uuid.uuid4())
            if name == "workspace_id" and workspace_id:
                return workspace_id
            kind = name.removesuffix("_id")
            return ids.new_id(kind) if kind in ids.PREFIXES else "contract"

        return _VAR_RE.sub(value, self.rule)


def _collect() -> list[Route]:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": tmp})
        try:
            routes = []
            for rule, method in api_rules(app):
                view = app.view_functions[rule.endpoint]
                routes.append(Route(rule.rule, method, rule.endpoint,
                                    getattr(view, "linkhub_doc", None),
                                    getattr(view, "linkhub_auth", None)))
            return routes
        finally:
            app.extensions["linkhub.db"].close()


ROUTES = _collect()
PRIVATE = [r for r in ROUTES if not r.public]
WITH_BODY = [r for r in ROUTES if r.doc and r.doc.get("body") is not None]
JSON_GETS = [r for r in ROUTES if r.method == "GET" and r.doc and not r.doc.get("media_type")]
LISTINGS = [r for r in JSON_GETS if r.doc.get("listing")
            and set(r.params) <= {"workspace_id"}]


@pytest.fixture(scope="module")
def shared_app(template_dir, tmp_path_factory):
    """One app for the read-only, anonymous walks (they change nothing), so that hundreds of
    routes do not each pay for a fresh data directory. Limits are raised: the walk is one IP."""
    target = tmp_path_factory.mktemp("contract") / "data"
    target.mkdir()
    for name in (db.DB_FILENAME, "secrets.json"):
        shutil.copy2(template_dir[0] / name, target / name)
    application = create_app({"DATA_DIR": str(target), "RATE_LIMIT_API": "1000000/minute",
                              "RATE_LIMIT_ANONYMOUS": "1000000/minute"})
    application.config["TESTING"] = True
    yield application
    application.extensions["linkhub.db"].close()


@pytest.fixture
def shared_client(shared_app):
    # other tests' apps re-point the models' database proxy; point it back at this app's file
    db.database.initialize(shared_app.extensions["linkhub.db"])
    with shared_app.test_client() as test_client:
        yield test_client


@pytest.fixture(scope="module")
def openapi_doc(shared_app) -> dict[str, Any]:
    db.database.initialize(shared_app.extensions["linkhub.db"])
    with shared_app.test_client() as test_client:
        response = test_client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def assert_api_headers(response) -> None:
    assert re.fullmatch(r"[A-Za-z0-9._:-]{1,128}", response.headers.get("X-Request-Id", ""))
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"):
        assert response.headers.get(name, "").isdigit(), name
    assert response.headers.get("Cache-Control")


def assert_error(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    ErrorResponse.model_validate(body)
    assert body["error"]["code"] == code, body
    assert_api_headers(response)
    return body


def as_caller(client, route: Route, persona) -> dict[str, str]:
    """Headers for calling `route` as `persona`: its API key, or a signed-in session (with
    the CSRF token) when the route is session only; nothing for public routes."""
    if route.public:
        return {}
    if route.session_only:
        return {"X-CSRF-Token": login(client, persona.email)}
    return dict(persona.headers)


def test_there_are_api_routes():
    assert len(ROUTES) > 3
    assert {"GET /api/openapi.json", "GET /api/docs"} <= {str(r) for r in ROUTES}


# --- (a) declared and documented -------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_route_is_declared_and_documented(route, openapi_doc):
    assert route.doc is not None, f"{route} lacks @endpoint(...): every /api route is documented"
    assert route.doc["summary"].strip()
    assert not (route.public and route.auth), f"{route} is public yet guarded by @require"
    operation = openapi_doc["paths"][route.path][route.method.lower()]
    assert operation["summary"] == route.doc["summary"]
    assert "x-undocumented" not in operation
    assert set(re.findall(r"{(\w+)}", route.path)) == {
        p["name"] for p in operation.get("parameters", ()) if p.get("in") == "path"}
    if route.public:
        assert operation["security"] == []
    else:
        assert operation["security"] and {"401", "429"} <= set(operation["responses"])
    if route.doc.get("body") is not None:
        assert "requestBody" in operation and "400" in operation["responses"]
    success = str(route.doc.get("status", 200))
    assert success in operation["responses"]


def test_openapi_lists_exactly_the_routes(openapi_doc):
    documented = {f"{m.upper()} {p}" for p, ops in openapi_doc["paths"].items() for m in ops}
    assert documented == {f"{r.method} {r.path}" for r in ROUTES}


# --- (b), (c), (d): credentials --------------------------------------------------------------

@pytest.mark.parametrize("route", PRIVATE, ids=str)
def test_credentials_are_required(shared_client, route):
    """(b) no credentials: 401 UNAUTHORIZED, exactly the envelope; (c) a bad key: 401
    INVALID_API_KEY; (d) both JSON with X-Request-Id and the X-RateLimit-* headers."""
    response = shared_client.open(route.url(), method=route.method)
    assert response.status_code == 401, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == {"success": False,
                    "error": {"code": "UNAUTHORIZED", "message": body["error"]["message"]}}
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    assert_api_headers(response)
    for headers in ({"X-API-Key": BAD_KEY}, {"Authorization": f"Bearer {BAD_KEY}"},
                    {"X-API-Key": "not-a-key"}):
        body = assert_error(shared_client.open(route.url(), method=route.method,
                                               headers=headers), 401, "INVALID_API_KEY")
        assert set(body["error"]) == {"code", "message"}


@pytest.mark.parametrize("route", [r for r in PRIVATE if r.session_only], ids=str)
def test_session_only_route_refuses_api_keys(shared_client, route, alice):
    response = shared_client.open(route.url(alice.workspace_id), method=route.method,
                                  headers=alice.headers)
    assert_error(response, 403, "FORBIDDEN")


# --- (e) bad bodies ----------------------------------------------------------------------------

BAD_BODIES = {
    "malformed JSON": ('{"name": ', "application/json"),
    "wrong Content-Type": ('{"name": "x"}', "text/plain"),
    "form body": ("name=x", "application/x-www-form-urlencoded"),
    "JSON array": ("[1, 2]", "application/json"),
    "JSON string": ('"name"', "application/json"),
    "JSON null": ("null", "application/json"),
}


@pytest.mark.parametrize("route", WITH_BODY, ids=str)
def test_bad_body_is_400_validation_error(client, app, route, alice):
    headers = as_caller(client, route, alice)
    before = db_snapshot(app)
    for label, (data, content_type) in BAD_BODIES.items():
        response = client.open(route.url(alice.workspace_id), method=route.method, data=data,
                               content_type=content_type, headers=headers)
        body = assert_error(response, 400, "VALIDATION_ERROR")
        assert body["error"]["details"], label
        assert body["error"]["details"][0]["field"] == "body", label
    assert db_snapshot(app) == before


# --- 405 for every path ---------------------------------------------------------------------

@pytest.mark.parametrize("route", list({r.rule: r for r in ROUTES}.values()),
                         ids=lambda r: r.rule)
def test_other_methods_are_json_405(shared_app, shared_client, route):
    url = route.url()
    allowed = shared_app.url_map.bind("localhost").allowed_methods(url)
    wrong = [m for m in ("DELETE", "PATCH", "PUT", "POST", "GET") if m not in allowed]
    if not wrong:
        return  # every method is routed here
    response = shared_client.open(url, method=wrong[0])
    assert_error(response, 405, "METHOD_NOT_ALLOWED")
    assert route.method in {m.strip() for m in response.headers["Allow"].split(",")}


# --- (f) responses match their models --------------------------------------------------------

def check_success(route: Route, response) -> None:
    assert response.status_code == route.doc.get("status", 200), response.get_json()
    body = response.get_json()
    model = route.doc.get("response")
    if route.doc.get("listing"):
        assert list(body) == ["success", "data", "pagination"] and body["success"] is True
        Pagination.model_validate(body["pagination"])
        assert isinstance(body["data"], list)
        items = body["data"]
    else:
        assert body["success"] is True and "data" in body and "pagination" not in body
        items = [body["data"]]
    if model is not None:
        for item in items:
            model.model_validate(item)


@pytest.mark.parametrize("route", JSON_GETS, ids=str)
def test_get_answers_match_the_declared_models(client, route, alice):
    headers = as_caller(client, route, alice)
    response = client.get(route.url(alice.workspace_id), headers=headers)
    assert response.mimetype == "application/json"
    assert_api_headers(response)
    if response.status_code < 300:
        check_success(route, response)
    else:
        ErrorResponse.model_validate(response.get_json())
        assert response.status_code < 500


@pytest.mark.parametrize("route", LISTINGS, ids=str)
def test_list_routes_validate_pagination(client, route, alice):
    headers = as_caller(client, route, alice)
    url = route.url(alice.workspace_id)
    for query, field in (("page=0", "page"), ("page=-1", "page"), ("limit=0", "limit"),
                         ("limit=abc", "limit"), ("page=x", "page")):
        body = assert_error(client.get(f"{url}?{query}", headers=headers), 400,
                            "VALIDATION_ERROR")
        assert field in {d["field"] for d in body["error"]["details"]}, query
    response = client.get(f"{url}?page=1&limit=1", headers=headers)
    check_success(route, response)
    assert response.get_json()["pagination"]["limit"] == 1

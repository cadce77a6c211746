"""/api/openapi.json (OpenAPI 3.1 built from the URL map and the @endpoint/@require metadata)
and /api/docs (Swagger UI served from the installed package, no network)."""

from __future__ import annotations

import os
import re

import pytest
from flask import Blueprint, g
from pydantic import BaseModel, Field, create_model

from linkhub import envelope
from linkhub.api import openapi, openapi_doc
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.schemas import ApiModel, OutModel
from tests.conftest import login


class Colour(BaseModel):
    name: str
    hex: str = Field(pattern=r"^#[0-9a-f]{6}$")


class ThingIn(ApiModel):
    title: str = Field(min_length=1, max_length=50, description="What it is called")
    colour: Colour | None = None


class ThingOut(OutModel):
    id: str
    title: str
    createdAt: str


class ThingQuery(ApiModel):
    search: str | None = Field(default=None, description="Part of the title")
    enabled: bool | None = None


DupA = create_model("Dup", a=(int, ...), __module__="tests.fake.one")
DupB = create_model("Dup", b=(str, ...), __module__="tests.fake.two")


def add_doc_routes(app) -> None:
    bp = Blueprint("doc_test", __name__, url_prefix="/api/_doc")

    @bp.post("/things")
    @require("links:create")
    @endpoint("Create a thing", body=ThingIn, response=ThingOut, status=201, tag="Things",
              errors=("SHORT_CODE_EXISTS",))
    def create_thing(body: ThingIn):
        """Makes one thing."""
        return envelope.created({"id": "x", "title": body.title, "createdAt": "now"})

    @bp.get("/things")
    @require(role="admin", session_only=True)
    @endpoint("List things", query=ThingQuery, response=ThingOut, listing=True, tag="Things")
    def list_things(query: ThingQuery):
        return envelope.ok([])

    @bp.get("/things/<int:number>/parts/<workspace_id>")
    @require(workspace="path")
    @endpoint("One part", response=DupA, tag="Things")
    def part(number: int, workspace_id: str):
        return envelope.ok({"a": number})

    @bp.route("/both", methods=["PUT", "PATCH"])
    @require(workspace=False)
    @endpoint("Update both", body=DupB, tag="Things")
    def both(body):
        return envelope.ok({"b": body.b, "user": g.user.public_id})

    @bp.get("/open")
    @endpoint("Open to all", public=True, tag="Things")
    def open_to_all():
        return envelope.ok({})

    @bp.get("/raw")
    def raw():
        """Raw thing without @endpoint.

        More words."""
        return envelope.ok({})

    app.register_blueprint(bp)


@pytest.fixture
def doc_client(app):
    add_doc_routes(app)
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def doc(doc_client):
    response = doc_client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def refs_in(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def resolve(doc, ref: str):
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


# --- the document -----------------------------------------------------------------------------

def test_document_basics(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["X-Request-Id"] and response.headers["X-RateLimit-Limit"]
    doc = response.get_json()
    assert doc["openapi"] == "3.1.0"
    assert doc["info"]["title"] and doc["info"]["version"]
    assert "success" not in doc  # the raw document, not wrapped in the envelope
    schemes = doc["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"] == {**schemes["ApiKeyHeader"], "type": "apiKey",
                                       "in": "header", "name": "X-API-Key"}
    assert schemes["BearerAuth"]["type"] == "http" and schemes["BearerAuth"]["scheme"] == "bearer"
    assert schemes["SessionCookie"]["in"] == "cookie"
    assert schemes["SessionCookie"]["name"] == "linkhub_session"
    assert "X-CSRF-Token" in schemes["SessionCookie"]["description"]
    assert {"ErrorResponse", "ErrorDetail", "Pagination"} <= set(doc["components"]["schemas"])


def test_document_is_valid_openapi_31(doc):
    """The real routes plus the test ones, checked by an independent validator."""
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(doc)


def test_every_ref_resolves_and_operation_ids_are_unique(doc):
    for ref in set(refs_in(doc)):
        resolve(doc, ref)
    op_ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(op_ids) == len(set(op_ids))
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", op_id) for op_id in op_ids)


def test_error_envelope_schema(doc):
    schemas = doc["components"]["schemas"]
    error = resolve(doc, schemas["ErrorResponse"]["properties"]["error"]["$ref"])
    assert set(error["required"]) == {"code", "message"}
    assert {"VALIDATION_ERROR", "RATE_LIMITED", "NOT_FOUND"} <= set(
        error["properties"]["code"]["enum"])
    detail = schemas["ErrorDetail"]
    assert set(detail["required"]) == {"field", "message"}
    assert set(schemas["Pagination"]["required"]) == {"total", "page", "limit", "hasMore",
                                                      "totalPages"}


def test_create_operation(doc):
    op = doc["paths"]["/api/_doc/things"]["post"]
    assert op["summary"] == "Create a thing" and op["tags"] == ["Things"]
    assert op["operationId"] == "doc_test_create_thing"
    assert "Makes one thing." in op["description"]
    body_ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = resolve(doc, body_ref)
    assert body["properties"]["title"]["maxLength"] == 50
    colour_refs = list(refs_in(body["properties"]["colour"]))
    assert colour_refs and resolve(doc, colour_refs[0])["properties"]["hex"]["pattern"]
    created = op["responses"]["201"]["content"]["application/json"]["schema"]
    assert created["properties"]["success"] == {"const": True}
    assert resolve(doc, created["properties"]["data"]["$ref"])["required"] == [
        "id", "title", "createdAt"]
    assert "X-Request-Id" in op["responses"]["201"]["headers"]
    assert {"400", "401", "403", "404", "409", "413", "429"} <= set(op["responses"])
    assert "`SHORT_CODE_EXISTS`" in op["responses"]["409"]["description"]
    assert "`IDEMPOTENCY_CONFLICT`" in op["responses"]["409"]["description"]
    assert "Retry-After" in op["responses"]["429"]["headers"]
    assert op["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"}
    assert op["security"] == [{"ApiKeyHeader": []}, {"BearerAuth": []}, {"SessionCookie": []}]
    assert op["x-required-scope"] == "links:create" and op["x-minimum-role"] == "editor"
    assert {"$ref": "#/components/parameters/IdempotencyKey"} in op["parameters"]


def test_list_operation(doc):
    op = doc["paths"]["/api/_doc/things"]["get"]
    assert op["security"] == [{"SessionCookie": []}]
    assert op["x-session-only"] is True and op["x-minimum-role"] == "admin"
    assert "x-required-scope" not in op
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"success", "data", "pagination"}
    assert schema["properties"]["data"]["type"] == "array"
    assert schema["properties"]["pagination"] == {"$ref": "#/components/schemas/Pagination"}
    params = {p["name"]: p for p in op["parameters"] if "name" in p}
    assert params["page"]["in"] == "query" and params["page"]["schema"]["minimum"] == 1
    assert params["limit"]["schema"]["maximum"] == 100
    assert params["search"]["description"] == "Part of the title"
    assert params["search"]["required"] is False and "enabled" in params
    assert "400" in op["responses"] and "requestBody" not in op


def test_path_parameters_are_templated_and_typed(doc):
    path = "/api/_doc/things/{number}/parts/{workspace_id}"
    op = doc["paths"][path]["get"]
    params = {p["name"]: p for p in op["parameters"] if "name" in p}
    assert params["number"] == {"name": "number", "in": "path", "required": True,
                                "schema": {"type": "integer"}}
    assert params["workspace_id"]["schema"] == {"type": "string"}
    assert params["workspace_id"]["example"].startswith("ws_")
    assert "404" in op["responses"]
    assert not any("<" in p for p in doc["paths"])


def test_one_view_on_two_methods_and_colliding_model_names(doc):
    ops = doc["paths"]["/api/_doc/both"]
    assert set(ops) == {"put", "patch"}
    assert ops["put"]["operationId"] != ops["patch"]["operationId"]
    a = doc["paths"]["/api/_doc/things/{number}/parts/{workspace_id}"]["get"]
    a_ref = a["responses"]["200"]["content"]["application/json"]["schema"]["properties"][
        "data"]["$ref"]
    b_ref = ops["put"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert a_ref != b_ref
    assert "a" in resolve(doc, a_ref)["properties"] and "b" in resolve(doc, b_ref)["properties"]


def test_public_route_needs_no_credentials(doc):
    op = doc["paths"]["/api/_doc/open"]["get"]
    assert op["security"] == []
    assert "401" not in op["responses"] and "403" not in op["responses"]


def test_route_without_endpoint_still_appears(doc):
    op = doc["paths"]["/api/_doc/raw"]["get"]
    assert op["summary"] == "Raw thing without @endpoint."
    assert op["x-undocumented"] is True


def test_docs_routes_are_public_and_documented(doc):
    for path in ("/api/openapi.json", "/api/docs", "/api/docs/assets/{filename}"):
        op = doc["paths"][path]["get"]
        assert op["security"] == [] and op["summary"]
    html = doc["paths"]["/api/docs"]["get"]["responses"]["200"]["content"]
    assert list(html) == ["text/html"]


def test_tags_are_listed(doc):
    names = [t["name"] for t in doc["tags"]]
    assert "Things" in names and "Docs" in names and names == sorted(names)


def test_document_is_cached_per_app(app, doc_client):
    first = doc_client.get("/api/openapi.json").get_json()
    cached = app.extensions["linkhub.openapi"]
    assert doc_client.get("/api/openapi.json").get_json() == first
    assert app.extensions["linkhub.openapi"] is cached
    assert openapi_doc.document(app) is cached


def test_no_credentials_needed_and_bad_key_still_refused(client):
    assert client.get("/api/openapi.json").status_code == 200
    response = client.get("/api/openapi.json", headers={"X-API-Key": "lh_" + "q" * 40})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "INVALID_API_KEY"


# --- the docs page ----------------------------------------------------------------------------

def test_docs_page(client):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    assert "/api/docs/assets/swagger-ui-bundle.js" in html
    assert "/api/docs/assets/swagger-ui.css" in html
    assert 'data-spec-url="/api/openapi.json"' in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html)  # nothing from a CDN
    assert 'name="csrf-token"' not in html
    assert response.headers["X-Request-Id"]


def test_docs_page_carries_the_csrf_token_for_a_session(client, alice):
    csrf = login(client, alice.email)
    html = client.get("/api/docs").get_data(as_text=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', html)
    assert match
    # the token in the page works for a session write
    response = client.put("/api/settings/profile", json={"name": "Alice Renamed"},
                          headers={"X-CSRF-Token": match.group(1)})
    assert response.status_code == 200, response.get_json()
    assert csrf


def test_initializer_script_is_served(client):
    with client.get("/static/api_docs.js") as response:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
    assert "SwaggerUIBundle" in text and "validatorUrl: null" in text


@pytest.mark.parametrize("name", sorted(openapi.ASSETS))
def test_assets_are_shipped_in_the_package(name):
    assert os.path.isfile(os.path.join(openapi.ASSET_DIR, name))


@pytest.mark.parametrize("name, mimetype", [
    ("swagger-ui-bundle.js", "text/javascript"), ("swagger-ui.css", "text/css"),
    ("swagger-ui-standalone-preset.js", "text/javascript"), ("favicon-32x32.png", "image/png"),
])
def test_assets_are_served_with_a_long_cache(client, name, mimetype):
    with client.get(f"/api/docs/assets/{name}") as response:
        assert response.status_code == 200
        assert response.mimetype in (mimetype, "application/javascript")
        cache = response.headers["Cache-Control"]
        assert "public" in cache and f"max-age={openapi.ASSET_MAX_AGE}" in cache
        assert "no-store" not in cache
        etag = response.headers["ETag"]
    with client.get(f"/api/docs/assets/{name}", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


@pytest.mark.parametrize("path", [
    "/api/docs/assets/index.html", "/api/docs/assets/swagger-initializer.js",
    "/api/docs/assets/nope.js", "/api/docs/assets/../__init__.py",
    "/api/docs/assets/..%2f__init__.py", "/api/docs/assets/%2e%2e/%2e%2e/etc/passwd",
    "/api/docs/assets/C:%5cwindows%5cwin.ini",
])
def test_other_files_are_not_served(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.browser
def test_docs_page_renders_offline_in_a_browser(page, live_server):
    requested, failed, bad_status = [], [], []
    page.on("request", lambda req: requested.append(req.url))
    page.on("requestfailed", lambda req: failed.append(req.url))
    page.on("response", lambda res: bad_status.append((res.status, res.url))
            if res.status >= 400 else None)
    page.goto("/api/docs")
    page.wait_for_selector(".opblock", timeout=120_000)
    page.wait_for_load_state("networkidle")
    assert page.locator(".opblock").count() >= 3
    assert page.locator(".info .title").inner_text().startswith("linkhub API")
    assert page.locator("#operations-tag-Docs").count() == 1
    assert failed == [] and bad_status == []
    local = ("data:", "blob:", live_server.url + "/")
    assert [url for url in requested if not url.startswith(local)] == []
    assert any(url.endswith("/api/openapi.json") for url in requested)

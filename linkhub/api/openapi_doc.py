"""The OpenAPI 3.1 document served at /api/openapi.json (openapi.py), built from the URL map and
each view's `@endpoint` / `@require` metadata, and the envelope models it and the contract
tests share. It describes routes; it never changes how they behave."""

from __future__ import annotations

import re
import sys
from http import HTTPStatus
from typing import Any, Literal

from flask import Flask
from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema

from linkhub import __version__, auth, errors, ids, pagination

TAG = "Docs"
REF = "#/components/schemas/{model}"
METHOD_ORDER = ("GET", "POST", "PUT", "PATCH", "DELETE")
_VAR_RE = re.compile(r"<(?:([a-zA-Z_]\w*)(?:\([^)]*\))?:)?([a-zA-Z_]\w*)>")
_CONVERTER_SCHEMAS = {"int": {"type": "integer"}, "float": {"type": "number"},
                      "uuid": {"type": "string", "format": "uuid"}}
_KIND_BY_PARAM = {f"{kind}_id": kind for kind in ids.PREFIXES}


# --- the envelopes of envelope.py and errors.py, as models for the document and for tests ---

class ErrorDetail(BaseModel):
    field: str
    message: str


class ErrorObject(BaseModel):
    model_config = ConfigDict(extra="allow")  # some codes add fields (e.g. retryAfter)

    code: Literal[tuple(errors.CODES)]  # type: ignore[valid-type]
    message: str
    details: list[ErrorDetail] = Field(default=[], description="Per-field problems "
                                       "(VALIDATION_ERROR); absent otherwise.")


class ErrorResponse(BaseModel):
    """Every error on /api: `{"success": false, "error": {"code", "message", "details"?}}`."""

    success: Literal[False]
    error: ErrorObject


class Pagination(BaseModel):
    total: int
    page: int
    limit: int
    hasMore: bool
    totalPages: int


ENVELOPE_MODELS = (ErrorResponse, Pagination)

DESCRIPTION = """\
The linkhub JSON API. Every response is JSON in one envelope:
`{"success": true, "data": ...}`; lists add `pagination` (`total`, `page`, `limit`,
`hasMore`, `totalPages`; query `page` >= 1, `limit` 1-100, default 20); errors are
`{"success": false, "error": {"code", "message", "details"?}}`.

Authenticate with an API key (`X-API-Key: lh_...` or `Authorization: Bearer lh_...`) or a
signed-in session cookie; session requests that change state must send the session's
`csrfToken` in `X-CSRF-Token`, and may pick a workspace with `X-Workspace-Id`.

Every response carries `X-Request-Id` and `X-RateLimit-Limit/Remaining/Reset`; over the limit
the API answers 429 `RATE_LIMITED` with `Retry-After`. POST requests accept `Idempotency-Key`:
the same key and body within 24 h replays the first response. Ids are prefixed (`ws_...`);
timestamps are ISO 8601 UTC with milliseconds (`2026-01-15T10:30:00.000Z`).
"""

SECURITY_SCHEMES = {
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                     "description": "A workspace API key (`lh_` + 40 characters)."},
    "BearerAuth": {"type": "http", "scheme": "bearer",
                   "description": "The same API key as `Authorization: Bearer lh_...`."},
    "SessionCookie": {"type": "apiKey", "in": "cookie", "name": "linkhub_session",
                      "description": "The signed session cookie set by sign-in. Session "
                                     "requests that change state (POST, PUT, PATCH, DELETE) "
                                     "must send the session's csrfToken in `X-CSRF-Token`."},
}
ANY_AUTH = [{"ApiKeyHeader": []}, {"BearerAuth": []}, {"SessionCookie": []}]
HEADERS = {
    "X-Request-Id": ("The request's id (echoes a valid incoming X-Request-Id).", "string"),
    "X-RateLimit-Limit": ("Requests allowed in the current window.", "integer"),
    "X-RateLimit-Remaining": ("Requests left in the current window.", "integer"),
    "X-RateLimit-Reset": ("When the window resets (epoch seconds).", "integer"),
    "Retry-After": ("Seconds to wait before retrying.", "integer"),
    "Idempotent-Replayed": ("`true` when this is the stored first response.", "string"),
}
PARAMETERS = {
    "IdempotencyKey": {"name": "Idempotency-Key", "in": "header", "required": False,
                       "description": "Replays the first response for the same key and body "
                                      "within 24 h; another body with the same key is a 409.",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 255}},
    "WorkspaceId": {"name": "X-Workspace-Id", "in": "header", "required": False,
                    "description": "Sessions only: the workspace to act in (default: the "
                                   "user's default workspace). API keys carry their own.",
                    "schema": {"type": "string"}},
}
_COMMON_HEADERS = ("X-Request-Id", "X-RateLimit-Limit", "X-RateLimit-Remaining",
                   "X-RateLimit-Reset")


def document(app: Flask) -> dict[str, Any]:
    """The app's OpenAPI document, built on first use and kept for the app's lifetime (the URL
    map does not change once the app serves requests)."""
    doc = app.extensions.get("linkhub.openapi")
    if doc is None:
        doc = app.extensions["linkhub.openapi"] = build(app)
    return doc


def api_rules(app: Flask) -> list[tuple[Any, str]]:
    """(rule, method) for every /api route, in path order."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule == "/api" or rule.rule.startswith("/api/"):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}, key=_method_rank):
                found.append((rule, method))
    return sorted(found, key=lambda item: (item[0].rule, _method_rank(item[1])))


def _method_rank(method: str) -> int:
    return METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER)


def build(app: Flask) -> dict[str, Any]:
    operations = [(rule, method, app.view_functions[rule.endpoint])
                  for rule, method in api_rules(app)]
    wanted: dict[tuple[type[BaseModel], str], None] = {(m, "serialization"): None
                                                        for m in ENVELOPE_MODELS}
    for _, _, view in operations:
        doc = getattr(view, "linkhub_doc", None) or {}
        for key, mode in (("body", "validation"), ("query", "validation"),
                          ("response", "serialization")):
            if doc.get(key) is not None:
                wanted[(doc[key], mode)] = None
    refs, defs = models_json_schema(list(wanted), ref_template=REF)
    schemas = _drop_null_defaults(defs.get("$defs", {}))
    paths: dict[str, dict[str, Any]] = {}
    tags: dict[str, str] = {}
    used_ids: set[str] = set()
    for rule, method, view in operations:
        operation, tag = _operation(rule, method, view, refs, schemas, used_ids)
        paths.setdefault(_path(rule.rule), {})[method.lower()] = operation
        module = sys.modules.get(view.__module__)
        paragraph = (getattr(module, "__doc__", None) or "").strip().split("\n\n")[0]
        tags.setdefault(tag, " ".join(paragraph.split()))
    return {
        "openapi": "3.1.0",
        "info": {"title": "linkhub API", "version": __version__, "description": DESCRIPTION},
        "servers": [{"url": "/", "description": "This install"}],
        "tags": [{"name": name, "description": text} for name, text in sorted(tags.items())],
        "security": ANY_AUTH,
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": SECURITY_SCHEMES,
            "headers": {name: {"description": text, "schema": {"type": kind}}
                        for name, (text, kind) in HEADERS.items()},
            "parameters": PARAMETERS,
        },
    }


def _drop_null_defaults(node: Any) -> Any:
    """`name: str = None` (an optional update field) yields `default: null` on a string
    schema, which OpenAPI validators reject; omitted-means-unchanged is already said by the
    field not being required, so such defaults are dropped."""
    if isinstance(node, dict):
        if "default" in node and node["default"] is None and "type" in node and \
                "null" not in (node["type"] if isinstance(node["type"], list) else [node["type"]]):
            del node["default"]
        for value in node.values():
            _drop_null_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _drop_null_defaults(value)
    return node


def _path(rule: str) -> str:
    return _VAR_RE.sub(lambda m: "{" + m.group(2) + "}", rule)


def _path_parameters(rule: str) -> list[dict[str, Any]]:
    params = []
    for match in _VAR_RE.finditer(rule):
        converter, name = match.group(1) or "default", match.group(2)
        param: dict[str, Any] = {"name": name, "in": "path", "required": True,
                                 "schema": dict(_CONVERTER_SCHEMAS.get(converter,
                                                                       {"type": "string"}))}
        kind = _KIND_BY_PARAM.get(name)
        if kind:
            param["description"] = f"Public id (`{ids.PREFIXES[kind]}_...`)."
            param["example"] = f"{ids.PREFIXES[kind]}_" + "0" * ids.ID_LENGTH
        params.append(param)
    return params


def _query_parameters(doc: dict[str, Any], refs: dict, schemas: dict) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = []
    if doc.get("query") is not None:
        name = refs[(doc["query"], "validation")]["$ref"].rsplit("/", 1)[1]
        schema = schemas[name]
        required = set(schema.get("required", ()))
        for prop, prop_schema in schema.get("properties", {}).items():
            param = {"name": prop, "in": "query", "required": prop in required,
                     "schema": prop_schema}
            if "description" in prop_schema:
                param["description"] = prop_schema["description"]
            params.append(param)
    if doc.get("listing"):
        present = {p["name"] for p in params}
        for prop, text, schema in (
                ("page", "Page number, from 1.", {"type": "integer", "minimum": 1,
                                                  "maximum": pagination.MAX_PAGE,
                                                  "default": 1}),
                ("limit", "Items per page.", {"type": "integer", "minimum": 1,
                                              "maximum": 100, "default": 20})):
            if prop not in present:
                params.append({"name": prop, "in": "query", "required": False,
                               "description": text, "schema": schema})
    return params


def _operation_id(endpoint_name: str, method: str, used: set[str]) -> str:
    base = re.sub(r"\W+", "_", endpoint_name.removeprefix("api."))
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}_{method.lower()}" if n == 2 else f"{base}_{method.lower()}_{n}"
    used.add(candidate)
    return candidate


def _headers(*names: str) -> dict[str, Any]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def _minimum_role(opts: dict[str, Any]) -> str | None:
    roles = [r for r in (opts.get("role"), auth.SCOPES.get(opts.get("scope") or "")) if r]
    return max(roles, key=auth.ROLE_RANK.__getitem__) if roles else None


def _error_codes(doc: dict, opts: dict | None, method: str, public: bool,
                 has_params: bool) -> dict[int, list[str]]:
    codes: list[str] = []
    if doc.get("body") or doc.get("query") or doc.get("listing") or method == "POST":
        codes.append("VALIDATION_ERROR")
    if not public:
        codes += ["UNAUTHORIZED", "INVALID_API_KEY", "FORBIDDEN"]
    if has_params or (opts and opts.get("workspace")):
        codes.append("NOT_FOUND")
    if method == "POST":
        codes.append("IDEMPOTENCY_CONFLICT")
    if doc.get("body"):
        codes.append("PAYLOAD_TOO_LARGE")
    codes += [*doc.get("errors", ()), "RATE_LIMITED"]
    by_status: dict[int, list[str]] = {}
    for code in dict.fromkeys(codes):
        by_status.setdefault(errors.CODES[code][0], []).append(code)
    return dict(sorted(by_status.items()))


def _success(doc: dict, method: str, refs: dict) -> dict[str, Any]:
    status = doc.get("status", 200)
    described: dict[str, Any] = {"description": HTTPStatus(status).phrase,
                                 "headers": _headers(*_COMMON_HEADERS)}
    if status == 204:
        return {"204": described}
    model = doc.get("response")
    data = refs[(model, "serialization")] if model is not None else {}
    media_type = doc.get("media_type")
    if media_type:
        schema = data if model is not None else (
            {"type": "object"} if media_type == "application/json" else
            {"type": "string"} if media_type.startswith("text/") else
            {"type": "string", "contentMediaType": media_type})
    elif doc.get("listing"):
        schema = {"type": "object", "required": ["success", "data", "pagination"],
                  "properties": {"success": {"const": True},
                                 "data": {"type": "array", "items": data},
                                 "pagination": {"$ref": REF.format(model="Pagination")}}}
    else:
        schema = {"type": "object", "required": ["success", "data"],
                  "properties": {"success": {"const": True}, "data": data}}
    if method == "POST":
        described["headers"].update(_headers("Idempotent-Replayed"))
    described["content"] = {media_type or "application/json": {"schema": schema}}
    return {str(status): described}


def _operation(rule: Any, method: str, view: Any, refs: dict, schemas: dict,
               used_ids: set[str]) -> tuple[dict[str, Any], str]:
    doc = getattr(view, "linkhub_doc", None)
    opts = getattr(view, "linkhub_auth", None)
    docstring = (view.__doc__ or "").strip()
    blueprint = rule.endpoint.removeprefix("api.").rsplit(".", 1)
    tag = (doc or {}).get("tag") or (blueprint[0] if len(blueprint) == 2 else "api")
    operation: dict[str, Any] = {
        "operationId": _operation_id(rule.endpoint, method, used_ids),
        "tags": [tag],
        "summary": doc["summary"] if doc else (docstring.splitlines() or [rule.endpoint])[0],
    }
    notes = [(doc or {}).get("description") or ""]
    if doc is None:
        operation["x-undocumented"] = True
        doc = {}
    public = bool(doc.get("public"))
    path_params = _path_parameters(rule.rule)
    parameters = path_params + _query_parameters(doc, refs, schemas)
    if method == "POST":
        parameters.append({"$ref": "#/components/parameters/IdempotencyKey"})
    if public:
        operation["security"] = []
    elif opts and opts.get("session_only"):
        operation["security"] = [{"SessionCookie": []}]
        notes.append("Session only: API keys get 403 FORBIDDEN.")
    else:
        operation["security"] = ANY_AUTH
    if not public and opts and opts.get("workspace") is True:
        parameters.append({"$ref": "#/components/parameters/WorkspaceId"})
    if opts and opts.get("workspace"):
        if opts.get("scope"):
            operation["x-required-scope"] = opts["scope"]
            notes.append(f"Needs the scope `{opts['scope']}`.")
        role = _minimum_role(opts)
        if role:
            operation["x-minimum-role"] = role
            notes.append(f"Needs at least the `{role}` role.")
    if opts and opts.get("session_only"):
        operation["x-session-only"] = True
    description = "\n\n".join(n for n in notes if n)
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if doc.get("body") is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": refs[(doc["body"], "validation")]}}}
    responses = _success(doc, method, refs)
    for status, codes in _error_codes(doc, opts, method, public, bool(path_params)).items():
        names = ("X-Request-Id", "Retry-After", *_COMMON_HEADERS[1:]) if status == 429 else \
            _COMMON_HEADERS
        responses[str(status)] = {
            "description": ", ".join(f"`{c}`" for c in codes), "headers": _headers(*names),
            "content": {"application/json": {"schema": {"$ref": REF.format(
                model="ErrorResponse")}}}}
    operation["responses"] = responses
    return operation, tag

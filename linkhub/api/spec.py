"""`@endpoint(...)`: declares a route's body, query and response models, status and summary for
the OpenAPI document, and parses the JSON body into the declared model (400 on any problem)."""

from __future__ import annotations

import functools
import json
from typing import Any, Callable

from flask import request
from pydantic import BaseModel, ValidationError

from linkhub.errors import Invalid


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body",)]
    return ".".join(parts) or "body"


def _message(error: dict) -> str:
    if error["type"] == "missing":
        return "is required"
    msg = error["msg"]
    return msg[0].lower() + msg[1:] if msg else "is invalid"


def validation_details(exc: ValidationError) -> dict[str, str]:
    fields: dict[str, str] = {}
    for error in exc.errors(include_url=False):
        fields.setdefault(_field_name(error["loc"]), _message(error))
    return fields


def read_json_object() -> dict[str, Any]:
    """The request's JSON object body, or 400 VALIDATION_ERROR explaining what is wrong."""
    if request.mimetype != "application/json":
        raise Invalid("Send the body as JSON with Content-Type: application/json.",
                      fields={"body": "Content-Type must be application/json"})
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:  # not request.get_json(): it cannot tell a literal `null` from broken JSON
        data = json.loads(raw)
    except ValueError:
        raise Invalid("The body is not valid JSON.", fields={"body": "malformed JSON"}) from None
    if not isinstance(data, dict):
        raise Invalid("The body must be a JSON object.", fields={"body": "must be an object"})
    return data


def parse_body(model: type[BaseModel]) -> BaseModel:
    data = read_json_object()
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise Invalid(fields=validation_details(exc)) from None


def parse_query(model: type[BaseModel]) -> BaseModel:
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        raise Invalid(fields=validation_details(exc)) from None


def _guard_of(view: Callable) -> Callable | None:
    """When `@require(...)` sits *inside* `@endpoint(...)`, its checks would run only after the
    body is parsed; this rebuilds the same guard so the caller is authorised first (401/403
    before any 400), whatever order the two decorators are written in."""
    opts = getattr(view, "linkhub_auth", None)
    if opts is None:
        return None
    from linkhub.auth import require

    return require(opts["scope"], role=opts["role"], session_only=opts["session_only"],
                   workspace=opts["workspace"])(lambda *args, **kwargs: None)


def endpoint(summary: str, *, body: type[BaseModel] | None = None,
             query: type[BaseModel] | None = None, response: type[BaseModel] | None = None,
             status: int = 200, listing: bool = False, tag: str | None = None,
             public: bool = False, errors: tuple[str, ...] = (),
             media_type: str | None = None) -> Callable:
    """Declare a view for the OpenAPI document. With `body`, the parsed model is passed to the
    view as `body=`; with `query`, the parsed query as `query=`. `errors` names extra error
    codes the route can answer; `media_type` marks a route whose success response is not the
    JSON envelope (an HTML page, a file download, the OpenAPI document itself)."""

    def decorator(view: Callable) -> Callable:
        guard = _guard_of(view) if body is not None or query is not None else None

        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if guard is not None:
                guard(*args, **kwargs)
            if body is not None:
                kwargs["body"] = parse_body(body)
            if query is not None:
                kwargs["query"] = parse_query(query)
            return view(*args, **kwargs)

        wrapper.linkhub_doc = {
            "summary": summary, "body": body, "query": query, "response": response,
            "status": status, "listing": listing, "tag": tag, "public": public,
            "errors": errors, "media_type": media_type,
            "description": (view.__doc__ or "").strip(),
        }
        return wrapper

    return decorator

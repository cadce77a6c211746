"""THE success and list envelopes. Views return these; nothing else builds a success body."""

from __future__ import annotations

import math
from typing import Any

from flask import Response, jsonify

from linkhub.pagination import Page


def ok(data: Any, status: int = 200, *, headers: dict[str, str] | None = None,
       meta: dict[str, Any] | None = None) -> Response:
    """`{"success": true, "data": ...}` with the given status (201 on create, 202 accepted)."""
    body: dict[str, Any] = {"success": True, "data": data}
    if meta is not None:
        body["meta"] = meta
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def created(data: Any, **kw: Any) -> Response:
    return ok(data, 201, **kw)


def stream(items: list[Any], page: Page, has_more: bool) -> Response:
    """A list without a total (the /api/events stream): `{"success": true, "data": [...],
    "meta": {"page", "limit", "hasMore"}}`."""
    return ok(items, meta={"page": page.page, "limit": page.limit, "hasMore": has_more})


def listing(items: list[Any], page: Page, total: int) -> Response:
    """The list envelope with both generations' pagination fields."""
    return jsonify({
        "success": True,
        "data": items,
        "pagination": {
            "total": total,
            "page": page.page,
            "limit": page.limit,
            "hasMore": page.offset + len(items) < total,
            "totalPages": math.ceil(total / page.limit) if total else 0,
        },
    })

"""The public pixel fire endpoints: `GET /p/<id>.gif` (a 1×1 transparent GIF, always 200) and
`POST /p/<id>` (JSON, form or `navigator.sendBeacon` text, always 204), for managed pixels and
campaign pixel codes. They read the request and call services/pixel_fires.py; the answer never
tells whether anything was recorded, and nothing that goes wrong reaches the caller."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

from flask import Blueprint, Response, g, request

from linkhub.services import pixel_fires

log = logging.getLogger(__name__)

pixel_bp = Blueprint("pixel_fire", __name__)

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
BODY_MAX = 64 * 1024  # bytes of a beacon body looked at; a bigger body is ignored


def _body_params() -> dict[str, Any]:
    """A JSON object body (whatever the content type: sendBeacon sends text/plain), or form
    fields; anything else, or a body over BODY_MAX, counts as no body."""
    if (request.content_length or 0) > BODY_MAX:
        return {}
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        return request.form.to_dict()
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _record(pixel_ref: str, params: dict[str, Any], transport: str) -> None:
    try:
        pixel_fires.fire(pixel_ref, pixel_fires.FireInput(
            params=params, ip=g.get("client_ip"),
            user_agent=request.headers.get("User-Agent", ""),
            referrer=request.headers.get("Referer") or None, transport=transport))
    except Exception:  # the caller always gets its GIF or 204
        log.exception("pixel fire failed for %s", pixel_ref[:64])


@pixel_bp.get("/p/<pixel_ref>.gif")
def gif(pixel_ref: str) -> Response:
    """HEAD is answered like GET and never recorded (link previews, uptime checks)."""
    if request.method == "GET":
        _record(pixel_ref, request.args.to_dict(), "gif")
    return Response(GIF, mimetype="image/gif")


@pixel_bp.post("/p/<pixel_ref>")
def beacon(pixel_ref: str) -> Response:
    try:
        body = _body_params()
    except Exception:  # an unreadable body (too large, cut off) is no body
        body = {}
    _record(pixel_ref, {**request.args.to_dict(), **body}, "beacon")
    response = Response(status=204)
    del response.headers["Content-Type"]
    return response


@pixel_bp.after_request
def _headers(response: Response) -> Response:
    """Never cached; embeddable and callable from any site (no credentials are involved)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    response.headers["X-Robots-Tag"] = "noindex"
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    if request.method == "OPTIONS":  # a fetch() with a JSON body asks first
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "86400"
    return response

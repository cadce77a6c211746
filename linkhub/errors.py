"""THE error envelope and the error-code catalogue, plus the app-level handlers that answer
JSON on /api and HTML elsewhere. Nothing else builds an error body."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# code -> (HTTP status, default message)
CODES: dict[str, tuple[int, str]] = {
    "VALIDATION_ERROR": (400, "The request is invalid."),
    "BAD_REQUEST": (400, "Bad request."),
    "RULE_IN_USE": (400, "The rule is still attached to links."),
    "PASSWORD_REQUIRED": (400, "The current password is required."),
    "INVALID_PROVIDER_TOKEN": (400, "The import provider rejected the access token."),
    "UNAUTHORIZED": (401, "Authentication required."),
    "INVALID_API_KEY": (401, "The API key is invalid, disabled or expired."),
    "INVALID_CREDENTIALS": (401, "Wrong e-mail or password."),
    "INVALID_PASSWORD": (401, "The password is wrong."),
    "FORBIDDEN": (403, "You do not have permission for this action."),
    "ACCOUNT_LOCKED": (403, "Too many failed sign-ins; the account is locked for a while."),
    "EMAIL_NOT_VERIFIED": (403, "Verify your e-mail address before signing in."),
    "SIGNUP_CLOSED": (403, "Sign-up is closed on this install."),
    "FEATURE_NOT_AVAILABLE": (403, "This feature is not available on the current plan."),
    "INSUFFICIENT_CREDITS": (403, "The workspace has insufficient credits."),
    "LIMIT_EXCEEDED": (403, "A plan limit was reached."),
    "NOT_FOUND": (404, "Not found."),
    "METHOD_NOT_ALLOWED": (405, "Method not allowed."),
    "CONFLICT": (409, "The request conflicts with the current state."),
    "EMAIL_TAKEN": (409, "That e-mail address is already in use."),
    "ALREADY_MEMBER": (409, "That user is already a member of the workspace."),
    "IDEMPOTENCY_CONFLICT": (409, "The Idempotency-Key was used with another request."),
    "SHORT_CODE_EXISTS": (409, "The short code is already in use."),
    "ALREADY_DELETED": (409, "The resource is already deleted."),
    "CAMPAIGN_IN_USE": (409, "The campaign still has links."),
    "DUPLICATE_ORDER": (409, "A conversion with this orderId already exists."),
    "DUPLICATE_CODE": (409, "The code already exists."),
    "GONE": (410, "The resource is no longer available."),
    "PAYLOAD_TOO_LARGE": (413, "The request body is too large."),
    "UNSUPPORTED_MEDIA_TYPE": (415, "Unsupported media type."),
    "UPGRADE_REQUIRED": (426, "This route needs a protocol upgrade."),
    "RATE_LIMITED": (429, "Too many requests; slow down."),
    "INTERNAL_ERROR": (500, "Internal server error."),
    "SERVICE_UNAVAILABLE": (503, "The service is unavailable."),
}

_STATUS_CODES = {
    400: "BAD_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED", 409: "CONFLICT", 410: "GONE", 413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE", 429: "RATE_LIMITED", 503: "SERVICE_UNAVAILABLE",
}


class ApiError(Exception):
    """Raised by services and views; turned into the envelope (or an HTML page)."""

    def __init__(self, code: str, message: str | None = None, *, status: int | None = None,
                 details: list[dict[str, str]] | None = None,
                 headers: dict[str, str] | None = None, extra: dict[str, Any] | None = None):
        default_status, default_message = CODES[code]
        self.code = code
        self.status = status or default_status
        self.message = message or default_message
        self.details = details
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(f"{code}: {self.message}")


class Invalid(ApiError):
    """400 VALIDATION_ERROR with per-field messages: Invalid(fields={"email": "is required"})."""

    def __init__(self, message: str | None = None, *, fields: dict[str, str] | None = None):
        details = [{"field": k, "message": v} for k, v in (fields or {}).items()] or None
        if message is None and fields:
            first = next(iter(fields.items()))
            message = f"{first[0]}: {first[1]}" if len(fields) == 1 else "Some fields are invalid."
        super().__init__("VALIDATION_ERROR", message, details=details)

    @property
    def fields(self) -> dict[str, str]:
        return {d["field"]: d["message"] for d in self.details or []}


class NotFound(ApiError):
    def __init__(self, message: str | None = None):
        super().__init__("NOT_FOUND", message)


class Forbidden(ApiError):
    def __init__(self, message: str | None = None):
        super().__init__("FORBIDDEN", message)


class Conflict(ApiError):
    def __init__(self, code: str = "CONFLICT", message: str | None = None, **kw: Any):
        super().__init__(code, message, **kw)


def error_body(code: str, message: str, details: list[dict[str, str]] | None = None,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    if extra:
        error.update(extra)
    return {"success": False, "error": error}


def json_error(err: ApiError) -> Response:
    response = jsonify(error_body(err.code, err.message, err.details, err.extra))
    response.status_code = err.status
    for key, value in err.headers.items():
        response.headers[key] = value
    return response


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def _html_error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    body = render_template("errors/error.html", status=status, message=message)
    response = Response(body, status=status, mimetype="text/html")
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _from_http(exc: HTTPException) -> ApiError:
    status = exc.code or 500
    code = _STATUS_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
    message = CODES[code][1]
    if status == 404 and wants_json():
        message = f"No API route matches {request.method} {request.path}."
    elif status == 405:
        message = f"{request.method} is not allowed on {request.path}."
    elif status == 413:
        message = "The request body is too large."
    elif status == 400 and exc.description:
        message = exc.description
    headers: dict[str, str] = {}
    if status == 405 and getattr(exc, "valid_methods", None):
        headers["Allow"] = ", ".join(exc.valid_methods)
    return ApiError(code, message, status=status, headers=headers)


def register(app: Flask) -> None:
    """Install the JSON-or-HTML handlers on the app."""

    @app.errorhandler(ApiError)
    def _api_error(err: ApiError) -> Response:
        if wants_json():
            return json_error(err)
        return _html_error(err.status, err.message, err.headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        if not wants_json() and exc.code not in (None,) and exc.code < 500 and exc.code != 413:
            return _html_error(exc.code, exc.description or CODES.get(
                _STATUS_CODES.get(exc.code, "BAD_REQUEST"), ("", ""))[1])
        err = _from_http(exc)
        return json_error(err) if wants_json() else _html_error(err.status, err.message,
                                                                err.headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s (request %s)", request.method, request.path,
                      getattr(g, "request_id", "-"))
        err = ApiError("INTERNAL_ERROR")
        return json_error(err) if wants_json() else _html_error(500, err.message)

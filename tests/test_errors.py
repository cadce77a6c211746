"""errors: the error catalogue, ApiError/Invalid and the one error body."""

import pytest

from linkhub import errors
from linkhub.errors import ApiError, Conflict, Forbidden, Invalid, NotFound

DECISIONS_CODES = {
    "VALIDATION_ERROR": 400, "UNAUTHORIZED": 401, "INVALID_API_KEY": 401, "FORBIDDEN": 403,
    "NOT_FOUND": 404, "METHOD_NOT_ALLOWED": 405, "IDEMPOTENCY_CONFLICT": 409,
    "CAMPAIGN_IN_USE": 409, "DUPLICATE_ORDER": 409, "SHORT_CODE_EXISTS": 409,
    "ALREADY_DELETED": 409, "RULE_IN_USE": 400, "FEATURE_NOT_AVAILABLE": 403,
    "INSUFFICIENT_CREDITS": 403, "PAYLOAD_TOO_LARGE": 413, "RATE_LIMITED": 429,
    "INTERNAL_ERROR": 500, "SERVICE_UNAVAILABLE": 503,
}


def test_catalogue_has_the_codes_of_the_decisions():
    for code, status in DECISIONS_CODES.items():
        assert errors.CODES[code][0] == status, code


def test_no_402_anywhere():
    assert all(status != 402 for status, _ in errors.CODES.values())


def test_every_code_has_a_message():
    assert all(message.strip() for _, message in errors.CODES.values())


def test_invalid_details_shape():
    err = Invalid(fields={"email": "is required", "name": "is too long"})
    assert err.status == 400 and err.code == "VALIDATION_ERROR"
    assert err.details == [{"field": "email", "message": "is required"},
                           {"field": "name", "message": "is too long"}]
    assert err.fields == {"email": "is required", "name": "is too long"}
    assert err.message == "Some fields are invalid."


def test_invalid_single_field_message_names_it():
    err = Invalid(fields={"limit": "must be at most 100"})
    assert err.message == "limit: must be at most 100"
    assert errors.error_body(err.code, err.message, err.details) == {
        "success": False,
        "error": {"code": "VALIDATION_ERROR", "message": "limit: must be at most 100",
                  "details": [{"field": "limit", "message": "must be at most 100"}]}}


def test_invalid_with_message_keeps_it():
    err = Invalid("The body is not valid JSON.", fields={"body": "malformed JSON"})
    assert err.message == "The body is not valid JSON." and err.fields == {"body": "malformed JSON"}


def test_invalid_without_fields_has_no_details():
    err = Invalid("Nope.")
    assert err.details is None and err.fields == {}
    assert errors.error_body(err.code, err.message, err.details) == {
        "success": False, "error": {"code": "VALIDATION_ERROR", "message": "Nope."}}


def test_error_body_extra_fields():
    body = errors.error_body("RATE_LIMITED", "slow", None, {"retryAfter": 3})
    assert body == {"success": False,
                    "error": {"code": "RATE_LIMITED", "message": "slow", "retryAfter": 3}}


def test_shortcuts():
    assert NotFound().status == 404 and NotFound().code == "NOT_FOUND"
    assert Forbidden("no").message == "no" and Forbidden().status == 403
    assert Conflict().code == "CONFLICT" and Conflict().status == 409
    assert Conflict("SHORT_CODE_EXISTS").status == 409


def test_api_error_defaults_and_overrides():
    err = ApiError("RATE_LIMITED", headers={"Retry-After": "5"})
    assert err.status == 429 and err.message == errors.CODES["RATE_LIMITED"][1]
    assert err.headers == {"Retry-After": "5"}
    assert ApiError("CONFLICT", "x", status=410).status == 410


def test_unknown_code_is_a_programming_error():
    with pytest.raises(KeyError):
        ApiError("NO_SUCH_CODE")


def test_json_error_response(app):
    with app.test_request_context("/api/x"):
        response = errors.json_error(Invalid(fields={"a": "b"}))
        assert response.status_code == 400 and response.mimetype == "application/json"
        assert response.get_json()["error"]["details"] == [{"field": "a", "message": "b"}]


def test_wants_json_only_under_api(app):
    for path, expected in (("/api", True), ("/api/", True), ("/api/links", True),
                           ("/apix", False), ("/app/", False), ("/abc", False)):
        with app.test_request_context(path):
            assert errors.wants_json() is expected, path

"""`Idempotency-Key` on POST creates: the same key and body within 24 h replays the first
response; the same key with another body (or while the first is still running) is a 409."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import peewee
from flask import Response, g, request

from linkhub import clock
from linkhub.auth import principal_key
from linkhub.errors import ApiError, Invalid
from linkhub.models import IdempotencyRecord

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)


def _body_hash() -> str:
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n"
                          + request.get_data(cache=True)).hexdigest()


def before() -> Response | None:
    """Replay or reserve; called for POST /api requests after authentication."""
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST":
        return None
    key = key.strip()
    if not key or len(key) > 255:
        raise Invalid(fields={HEADER: "must be 1 to 255 characters"})
    principal, body_hash = principal_key(), _body_hash()
    cutoff = clock.now() - TTL
    IdempotencyRecord.delete().where(IdempotencyRecord.principal == principal,
                                     IdempotencyRecord.key == key,
                                     IdempotencyRecord.created_at < cutoff).execute()
    try:
        record = IdempotencyRecord.create(principal=principal, key=key, method=request.method,
                                          path=request.path, body_hash=body_hash)
        g.idempotency_record = record
        return None
    except peewee.IntegrityError:
        pass
    existing = IdempotencyRecord.get_or_none(IdempotencyRecord.principal == principal,
                                             IdempotencyRecord.key == key)
    if existing is None:  # expired and purged between the two statements
        return before()
    if existing.body_hash != body_hash:
        raise ApiError("IDEMPOTENCY_CONFLICT",
                       "This Idempotency-Key was already used with a different request.")
    if existing.status_code is None:
        raise ApiError("IDEMPOTENCY_CONFLICT",
                       "A request with this Idempotency-Key is still being processed.")
    response = Response(existing.response_body, status=existing.status_code,
                        mimetype="application/json")
    response.headers["Idempotent-Replayed"] = "true"
    return response


def after(response: Response) -> Response:
    record: IdempotencyRecord | None = getattr(g, "idempotency_record", None)
    if record is None:
        return response
    g.idempotency_record = None
    if 200 <= response.status_code < 300 and response.mimetype == "application/json":
        IdempotencyRecord.update(status_code=response.status_code,
                                 response_body=response.get_data(as_text=True)).where(
            IdempotencyRecord.id == record.id).execute()
    else:  # failures are not remembered: the client may fix the request and retry
        IdempotencyRecord.delete().where(IdempotencyRecord.id == record.id).execute()
    return response


def purge_expired() -> int:
    return IdempotencyRecord.delete().where(
        IdempotencyRecord.created_at < clock.now() - TTL).execute()

"""The common path of every inbound provider receiver: find the installation (404), verify the
signature (401), refuse paused/disconnected installations, then per provider event:
idempotency on the provider's event id, dispatch to the provider's handler in one transaction,
and the event log. Provider specifics live in services/inbound_<provider>.py. No HTTP here:
the view hands over an InboundRequest."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import peewee

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Invalid, NotFound
from linkhub.models import Integration, IntegrationEvent
from linkhub.services import integrations

TOLERANCE_SECONDS = 300  # signed timestamps older (or further ahead) than this are replays


@dataclass(frozen=True)
class InboundRequest:
    """What a receiver needs of the HTTP request: the raw body, headers (case-insensitive
    mapping), query arguments, and the URLs it may have been signed for."""

    method: str
    urls: tuple[str, ...]
    headers: Mapping[str, str]
    args: Mapping[str, str]
    body: bytes


@dataclass(frozen=True)
class Event:
    """One provider event out of a verified request."""

    event_id: str
    type: str
    payload: Any


@dataclass(frozen=True)
class Outcome:
    status: str  # processed | ignored
    result: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Receipt:
    event_id: str
    type: str
    status: str  # processed | ignored | failed
    duplicate: bool
    result: dict[str, Any] | None
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"eventId": self.event_id, "type": self.type, "status": self.status,
                "duplicate": self.duplicate, "result": self.result, "error": self.error}


class BadSignature(ApiError):
    """401: a missing, malformed, forged or replayed signature."""

    def __init__(self, message: str):
        super().__init__("UNAUTHORIZED", message)


class _Duplicate(Exception):
    pass


# --- signatures -------------------------------------------------------------------------------

def header(request: InboundRequest, name: str) -> str:
    """A required signature header, else 401 at once (before any lookup)."""
    value = (request.headers.get(name) or "").strip()
    if not value:
        raise BadSignature(f"The {name} header is missing.")
    return value


def hmac_sha256(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def same(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode())


def check_fresh(timestamp: str, *, milliseconds: bool = False) -> None:
    """The signed timestamp must be within TOLERANCE_SECONDS of our clock (replay guard)."""
    try:
        seconds = int(timestamp) / (1000 if milliseconds else 1)
    except ValueError:
        raise BadSignature("The signature timestamp is malformed.") from None
    now = clock.now().replace(tzinfo=UTC).timestamp()
    if abs(now - seconds) > TOLERANCE_SECONDS:
        raise BadSignature("The signature timestamp is outside the 5-minute tolerance "
                           "(a replayed or delayed request).")


def body_hash(*parts: bytes | str) -> str:
    """A stable event id for providers that send none: the hash of what was signed."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()[:40]


# --- finding and admitting the installation ---------------------------------------------------

def candidates(provider: str, *, installation_id: str | None = None,
               ref: str | None = None) -> list[Integration]:
    """The installations a request may be for: the one named by id, else every one of the
    provider whose account reference matches. 404 when there is none."""
    query = Integration.select().where(Integration.provider == provider)
    found: list[Integration] = []
    if installation_id:
        if ids.is_valid("integration", installation_id):
            found = list(query.where(Integration.public_id == installation_id))
    elif ref:
        found = list(query.where(Integration.external_ref == ref).order_by(Integration.id))
    if not found:
        raise NotFound(f"No {provider} integration matches this request.")
    return found


def authenticate(found: list[Integration],
                 verify: Callable[[Integration, dict[str, str]], None]) -> Integration:
    """The first installation whose secrets verify the request, else 401; then its state:
    paused answers 503 (the provider retries later), disconnected 410."""
    problem: BadSignature | None = None
    for installation in found:
        try:
            verify(installation, integrations.secrets_of(installation))
        except BadSignature as exc:
            problem = problem or exc
            continue
        if installation.status == "paused":
            raise ApiError("SERVICE_UNAVAILABLE", "The integration is paused: resume it in "
                           "linkhub to accept events again.", headers={"Retry-After": "600"})
        if installation.status == "disconnected":
            raise ApiError("GONE", "The integration is disconnected: reconnect it in linkhub "
                           "to accept events again.")
        return installation
    raise problem or BadSignature("The signature does not match.")


# --- one event: idempotency, dispatch, log ----------------------------------------------------

def _message(exc: ApiError) -> str:
    if isinstance(exc, Invalid) and exc.fields:
        return "; ".join(f"{k}: {v}" for k, v in exc.fields.items())[:500]
    return exc.message[:500]


def _claim(installation: Integration, event: Event,
           failed: IntegrationEvent | None) -> IntegrationEvent:
    """The log row this run owns: a new one, or the failed one being retried. Another run that
    got there first makes this a duplicate (the unique key, or the failed row's status)."""
    if failed is not None:
        taken = (IntegrationEvent.update(received_at=clock.now(), error=None)
                 .where(IntegrationEvent.id == failed.id, IntegrationEvent.status == "failed")
                 .execute())
        if not taken:
            raise _Duplicate()
        return IntegrationEvent.get_by_id(failed.id)
    try:
        with database.atomic():
            return IntegrationEvent.create(installation=installation,
                                           provider_event_id=event.event_id[:255],
                                           type=event.type[:100], status="failed")
    except peewee.IntegrityError:
        raise _Duplicate() from None


def _log_failure(installation: Integration, event: Event, message: str) -> None:
    values = {"status": "failed", "error": message, "result": None,
              "received_at": clock.now(), "type": event.type[:100]}
    updated = (IntegrationEvent.update(**values)
               .where(IntegrationEvent.installation == installation,
                      IntegrationEvent.provider_event_id == event.event_id[:255]).execute())
    if not updated:
        try:
            IntegrationEvent.create(installation=installation,
                                    provider_event_id=event.event_id[:255], **values)
        except peewee.IntegrityError:
            pass  # a concurrent run logged it
    integrations.note_outcome(installation, message)


def _duplicate_of(installation: Integration, event: Event) -> Receipt:
    row = IntegrationEvent.get(IntegrationEvent.installation == installation,
                               IntegrationEvent.provider_event_id == event.event_id[:255])
    return Receipt(event.event_id, row.type, row.status, True, row.result, row.error)


def process(installation: Integration, event: Event,
            handle: Callable[[Integration, Event], Outcome]) -> Receipt:
    """Run `handle` once per (installation, provider event id). A replay answers the first
    run's receipt with `duplicate` and changes nothing; a failed event runs again. A refusal
    by the services (bad amount, unknown currency…) is logged as failed and answered (the
    provider should not retry it); an unexpected error is logged and raised (500: it will)."""
    existing = IntegrationEvent.get_or_none(
        IntegrationEvent.installation == installation,
        IntegrationEvent.provider_event_id == event.event_id[:255])
    if existing is not None and existing.status != "failed":
        return _duplicate_of(installation, event)
    try:
        with database.atomic():
            row = _claim(installation, event, existing)
            outcome = handle(installation, event)
            row.status, row.result, row.error = outcome.status, outcome.result, None
            row.save()
    except _Duplicate:
        return _duplicate_of(installation, event)
    except ApiError as exc:
        message = _message(exc)
        _log_failure(installation, event, message)
        return Receipt(event.event_id, event.type, "failed", False, None, message)
    except Exception as exc:
        _log_failure(installation, event, f"internal error ({type(exc).__name__})")
        raise
    integrations.note_outcome(installation, None)
    return Receipt(event.event_id, event.type, outcome.status, False, outcome.result)


def receive(provider: str, *, installation_id: str | None, ref: str | None,
            verify: Callable[[Integration, dict[str, str]], None],
            parse: Callable[[Integration], list[Event]],
            handle: Callable[[Integration, Event], Outcome]) -> tuple[Integration, list[Receipt]]:
    """The whole path for one request. `parse` runs only after the signature verified."""
    installation = authenticate(candidates(provider, installation_id=installation_id,
                                           ref=ref), verify)
    return installation, [process(installation, event, handle)
                          for event in parse(installation)]


def serialize(installation: Integration, receipts: list[Receipt]) -> dict[str, Any]:
    """The receivers' answer: the first event's receipt at the top (the only one for most
    providers), every event under `events`, `duplicate` when all of them were replays."""
    first = receipts[0].as_json() if receipts else {
        "eventId": None, "type": None, "status": "ignored", "result": None, "error": None}
    return {"installationId": installation.public_id, **first,
            "duplicate": bool(receipts) and all(r.duplicate for r in receipts),
            "events": [r.as_json() for r in receipts]}

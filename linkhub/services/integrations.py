"""Integration installations: create/read/update/delete, status changes, secrets encrypted at
rest (Fernet, key derived from the install's encryption key), the event log's reads and the
masked serialised shape. The provider table is integration_settings.py; the receivers are
services/inbound*.py. No HTTP here."""

from __future__ import annotations

import base64
import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Invalid, NotFound
from linkhub.models import Integration, IntegrationEvent, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit
from linkhub.services import integration_settings as settings

_FERNET_KEY = "linkhub.integration_fernet"


# --- secrets at rest --------------------------------------------------------------------------

def _fernet() -> Fernet:
    cached = current_app.extensions.get(_FERNET_KEY)
    if cached is None:
        material = current_app.config["LINKHUB_SECRETS"]["encryption_key"].encode()
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"linkhub",
                   info=b"integration secrets v1").derive(material)
        cached = current_app.extensions[_FERNET_KEY] = Fernet(base64.urlsafe_b64encode(key))
    return cached


def _seal(values: dict[str, str]) -> str:
    return _fernet().encrypt(json.dumps(values, separators=(",", ":")).encode()).decode()


def secrets_of(installation: Integration) -> dict[str, str]:
    """The installation's secrets, decrypted."""
    if not installation.secrets:
        return {}
    try:
        return json.loads(_fernet().decrypt(installation.secrets.encode()))
    except InvalidToken:
        raise ApiError("SERVICE_UNAVAILABLE", "The integration's secrets cannot be decrypted "
                       "(was secrets.json replaced?): enter them again.") from None


def _readable_secrets(installation: Integration) -> dict[str, str]:
    """The secrets, or none when they cannot be decrypted (they are then entered again)."""
    try:
        return secrets_of(installation)
    except ApiError:
        return {}


def mask(value: str) -> str:
    return "••••" + value[-4:] if len(value) >= 12 else "••••"


# --- reads ------------------------------------------------------------------------------------

def get(workspace: Workspace, integration_id: Any) -> Integration:
    if not ids.is_valid("integration", integration_id):
        raise NotFound("Integration not found.")
    found = Integration.get_or_none(Integration.public_id == integration_id,
                                    Integration.workspace == workspace)
    if found is None:
        raise NotFound("Integration not found.")
    return found


def list_integrations(workspace: Workspace, page: Page, *, provider: str | None = None,
                      status: str | None = None) -> tuple[list[Integration], int]:
    query = Integration.select().where(Integration.workspace == workspace)
    if provider:
        query = query.where(Integration.provider == settings.provider(provider))
    if status:
        if status not in settings.STATUSES:
            raise Invalid(fields={"status": f"must be one of {', '.join(settings.STATUSES)}"})
        query = query.where(Integration.status == status)
    rows = query.order_by(Integration.created_at.desc(), Integration.id.desc())
    return list(rows.offset(page.offset).limit(page.limit)), query.count()


def recent_events(installation: Integration, page: Page) -> tuple[list[IntegrationEvent], int]:
    query = IntegrationEvent.select().where(IntegrationEvent.installation == installation)
    rows = query.order_by(IntegrationEvent.received_at.desc(), IntegrationEvent.id.desc())
    return list(rows.offset(page.offset).limit(page.limit)), query.count()


def settings_of(installation: Integration) -> dict[str, Any]:
    """The stored settings with every default filled in."""
    spec = settings.PROVIDERS[installation.provider]
    return {key: (installation.config or {}).get(key, option.default)
            for key, option in spec.config.items()}


# --- writes -----------------------------------------------------------------------------------

def create(workspace: Workspace, actor: User | None, data: dict[str, Any]) -> Integration:
    """`provider` (required), `name`, `config`, `secrets`, `status` (active|paused)."""
    problems: dict[str, str] = {}
    try:
        provider = settings.provider(data.get("provider"))
    except Invalid as exc:
        raise Invalid(fields=exc.fields) from None
    spec = settings.PROVIDERS[provider]
    name = status = None
    try:
        name = settings.name(data.get("name"))
    except Invalid as exc:
        problems.update(exc.fields)
    config = settings.config(spec, data.get("config"), {}, problems)
    secrets = settings.secrets(spec, data.get("secrets"), {}, problems)
    if data.get("status") is not None:
        try:
            status = settings.status(data["status"])
        except Invalid as exc:
            problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    with database.atomic():
        installation = Integration.create(
            public_id=ids.new_id("integration"), workspace=workspace, provider=provider,
            name=name or spec.label, status=status or "active", config=config,
            external_ref=config.get(spec.ref) if spec.ref else None,
            secrets=_seal(secrets) if secrets else "", created_by=actor)
        audit.record("integration.create", "integration", installation.public_id,
                     workspace=workspace, actor=actor, details={"provider": provider})
    return installation


def update(workspace: Workspace, actor: User | None, installation: Integration,
           data: dict[str, Any]) -> Integration:
    """The given keys only: `name`, `config` and `secrets` merge (null resets a setting to its
    default), `status` (active|paused|disconnected; active clears the last error)."""
    spec = settings.PROVIDERS[installation.provider]
    problems: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if "name" in data:
        try:
            changes["name"] = settings.name(data["name"]) or spec.label
        except Invalid as exc:
            problems.update(exc.fields)
    if data.get("config") is not None:
        changes["config"] = settings.config(spec, data["config"],
                                            dict(installation.config or {}), problems)
        if spec.ref:
            changes["external_ref"] = changes["config"].get(spec.ref)
    if data.get("secrets") is not None:
        stored = _readable_secrets(installation)
        secrets = settings.secrets(spec, data["secrets"], stored, problems)
        if secrets != stored:
            changes["secrets"] = _seal(secrets) if secrets else ""
    if data.get("status") is not None:
        try:
            changes["status"] = settings.status(data["status"])
        except Invalid as exc:
            problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    if changes.get("status") == "active":
        changes["last_error"] = None
    changed = sorted(k for k, v in changes.items() if k == "secrets" or
                     getattr(installation, k) != v)
    if not changed:
        return installation
    with database.atomic():
        for key, value in changes.items():
            setattr(installation, key, value)
        installation.save()
        audit.record("integration.update", "integration", installation.public_id,
                     workspace=workspace, actor=actor,
                     details={"fields": [k for k in changed if k != "external_ref"]})
    return installation


def set_status(workspace: Workspace, actor: User | None, installation: Integration,
               status: str) -> Integration:
    """Pause, resume (active) or disconnect."""
    return update(workspace, actor, installation, {"status": status})


def delete(workspace: Workspace, actor: User | None, installation: Integration) -> None:
    """The installation and its event log go; conversions it recorded stay."""
    with database.atomic():
        installation.delete_instance()
        audit.record("integration.delete", "integration", installation.public_id,
                     workspace=workspace, actor=actor,
                     details={"provider": installation.provider})


def disconnect(installation: Integration, reason: str) -> None:
    """The provider says the app was removed (Shopify app/uninstalled, Slack app_uninstalled):
    further requests answer 410 until someone reconnects it."""
    installation.status, installation.last_error = "disconnected", reason[:500]
    installation.save()
    audit.record("integration.disconnect", "integration", installation.public_id,
                 workspace=installation.workspace, details={"reason": reason})


def note_outcome(installation: Integration, error: str | None) -> None:
    """After an inbound event: the time, and `error` (failed) or back to `active` (success).
    Paused and disconnected installations keep their status."""
    values: dict[Any, Any] = {Integration.last_event_at: clock.now()}
    if error:
        values.update({Integration.status: "error", Integration.last_error: error[:500]})
    else:
        values.update({Integration.status: "active", Integration.last_error: None})
    Integration.update(values).where(Integration.id == installation.id,
                                     Integration.status.in_(("active", "error"))).execute()


# --- the serialised shape ---------------------------------------------------------------------

def receiver_urls(installation: Integration) -> dict[str, str]:
    """Where the provider should send its requests (paste these into its settings)."""
    base = current_app.config["LINKHUB"]["BASE_URL"] + "/api/integrations/webhooks"
    key = installation.public_id
    return {
        "stripe": {"webhook": f"{base}/stripe?installationId={key}"},
        "shopify": {"webhook": f"{base}/shopify?installationId={key}"},
        "hubspot": {"webhook": f"{base}/hubspot/{key}"},
        "slack": {"events": f"{base}/slack/events?installationId={key}",
                  "commands": f"{base}/slack/commands?installationId={key}",
                  "notify": f"{base}/slack/notify/{key}"},
        "zapier": {"subscribe": f"{base}/zapier/subscribe"},
    }[installation.provider]


def serialize(installation: Integration) -> dict[str, Any]:
    """The API shape: secrets masked (last four characters at most), never in clear."""
    stored = _readable_secrets(installation)
    return {
        "id": installation.public_id, "provider": installation.provider,
        "name": installation.name, "status": installation.status,
        "config": settings_of(installation),
        "secrets": {key: mask(value) for key, value in sorted(stored.items())},
        "receiverUrls": receiver_urls(installation),
        "lastEventAt": clock.iso(installation.last_event_at),
        "lastError": installation.last_error,
        "createdAt": clock.iso(installation.created_at),
        "updatedAt": clock.iso(installation.updated_at),
    }


def serialize_event(event: IntegrationEvent) -> dict[str, Any]:
    return {"eventId": event.provider_event_id, "type": event.type, "status": event.status,
            "receivedAt": clock.iso(event.received_at), "result": event.result,
            "error": event.error}

"""/api/tracking/publishable-keys: list, create, read, update, rotate and delete publishable
keys (admins and the owner; a session, or an API key with `api_keys:*`). Parse, call
services/publishable_keys.py, serialise with the envelope; no rule here."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.schemas import tracking as s
from linkhub.services import publishable_keys

bp = Blueprint("tracking", __name__)
TAG = "Tracking"
SCOPE = "api_keys:*"
BASE = "/tracking/publishable-keys"


def _fields(body: s.PublishableKeyCreate) -> dict:
    return body.model_dump(include=body.model_fields_set)


@bp.get(BASE)
@require(SCOPE, role="admin")
@endpoint("List publishable keys", response=s.PublishableKeyOut, listing=True, tag=TAG)
def list_keys() -> Response:
    """Newest first. Publishable keys are public by design, so the full key is listed."""
    page = pagination.parse(request.args)
    rows, total = publishable_keys.list_keys(g.workspace, page)
    return listing([publishable_keys.serialize(k) for k in rows], page, total)


@bp.post(BASE)
@require(SCOPE, role="admin")
@endpoint("Create a publishable key", body=s.PublishableKeyCreate,
          response=s.PublishableKeyOut, status=201, tag=TAG)
def create_key(body: s.PublishableKeyCreate) -> Response:
    """`name` is required. Without `allowedOrigins` no browser may use the key yet (apps and
    servers, which send no Origin, may)."""
    key = publishable_keys.create(g.workspace, g.user, _fields(body))
    return created(publishable_keys.serialize(key))


@bp.get(f"{BASE}/<publishable_key_id>")
@require(SCOPE, role="admin")
@endpoint("Get a publishable key", response=s.PublishableKeyOut, tag=TAG)
def get_key(publishable_key_id: str) -> Response:
    return ok(publishable_keys.serialize(publishable_keys.get(g.workspace, publishable_key_id)))


@bp.patch(f"{BASE}/<publishable_key_id>")
@require(SCOPE, role="admin")
@endpoint("Update a publishable key", body=s.PublishableKeyUpdate,
          response=s.PublishableKeyOut, tag=TAG)
def update_key(publishable_key_id: str, body: s.PublishableKeyUpdate) -> Response:
    """`enabled: false` disables the key: client calls with it then answer 401."""
    key = publishable_keys.get(g.workspace, publishable_key_id)
    key = publishable_keys.update(g.workspace, g.user, key, _fields(body))
    return ok(publishable_keys.serialize(key))


@bp.post(f"{BASE}/<publishable_key_id>/rotate")
@require(SCOPE, role="admin")
@endpoint("Rotate a publishable key", response=s.PublishableKeyOut, tag=TAG)
def rotate_key(publishable_key_id: str) -> Response:
    """A new key value; the old one stops working at once (401)."""
    key = publishable_keys.get(g.workspace, publishable_key_id)
    return ok(publishable_keys.serialize(publishable_keys.rotate(g.workspace, g.user, key)))


@bp.delete(f"{BASE}/<publishable_key_id>")
@require(SCOPE, role="admin")
@endpoint("Delete a publishable key", response=s.PublishableKeyDeletedOut, tag=TAG)
def delete_key(publishable_key_id: str) -> Response:
    key = publishable_keys.get(g.workspace, publishable_key_id)
    publishable_keys.delete(g.workspace, g.user, key)
    return ok({"id": publishable_key_id, "deleted": True})

"""/api/integrations: list, install, read, reconfigure and remove provider installations, and
an installation's inbound event log. Parse, call services/integrations.py, serialise with the
envelope; no business rule here. The receivers are api/inbound.py."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.schemas import integrations as s
from linkhub.services import integrations

bp = Blueprint("integrations", __name__)
TAG = "Integrations"


@bp.get("/integrations")
@require("integrations:read")
@endpoint("List integrations", query=s.IntegrationListQuery, response=s.IntegrationOut,
          listing=True, tag=TAG)
def list_integrations(query: s.IntegrationListQuery) -> Response:
    """Newest first. Filters `provider` and `status` (active, paused, error, disconnected).
    Secrets are masked."""
    page = pagination.parse(request.args)
    rows, total = integrations.list_integrations(g.workspace, page, provider=query.provider,
                                                 status=query.status)
    return listing([integrations.serialize(row) for row in rows], page, total)


@bp.post("/integrations")
@require("integrations:manage")
@endpoint("Install an integration", body=s.IntegrationCreate, response=s.IntegrationOut,
          status=201, tag=TAG)
def create_integration(body: s.IntegrationCreate) -> Response:
    """`provider` is required, with the provider's secrets (`secrets`) and required settings
    (`config`). Secrets are stored encrypted and never answered in clear. `receiverUrls` says
    where the provider should send its webhooks."""
    installation = integrations.create(g.workspace, g.user,
                                       body.model_dump(include=body.model_fields_set))
    return created(integrations.serialize(installation))


@bp.get("/integrations/<integration_id>")
@require("integrations:read")
@endpoint("Get an integration", response=s.IntegrationOut, tag=TAG)
def get_integration(integration_id: str) -> Response:
    return ok(integrations.serialize(integrations.get(g.workspace, integration_id)))


@bp.patch("/integrations/<integration_id>")
@require("integrations:manage")
@endpoint("Update an integration", body=s.IntegrationUpdate, response=s.IntegrationOut,
          tag=TAG)
def update_integration(integration_id: str, body: s.IntegrationUpdate) -> Response:
    """`config` and `secrets` merge key by key (null resets a setting to its default). `status`
    pauses (receivers answer 503, the provider retries later), resumes (`active`, clearing
    the last error) or disconnects (receivers answer 410)."""
    installation = integrations.get(g.workspace, integration_id)
    installation = integrations.update(g.workspace, g.user, installation,
                                       body.model_dump(include=body.model_fields_set))
    return ok(integrations.serialize(installation))


@bp.delete("/integrations/<integration_id>")
@require("integrations:manage")
@endpoint("Delete an integration", response=s.DeletedOut, tag=TAG)
def delete_integration(integration_id: str) -> Response:
    """The installation and its event log go (its receivers then answer 404); conversions and
    customers it recorded stay."""
    installation = integrations.get(g.workspace, integration_id)
    integrations.delete(g.workspace, g.user, installation)
    return ok({"id": integration_id, "deleted": True})


@bp.get("/integrations/<integration_id>/events")
@require("integrations:read")
@endpoint("List an integration's inbound events", query=s.PageQuery,
          response=s.IntegrationEventOut, listing=True, tag=TAG)
def list_events(integration_id: str, query: s.PageQuery) -> Response:
    """Newest first: the provider's event id and type, processed/ignored/failed, what it
    recorded (a conversion id…) or why not, and the error of a failed one."""
    page = pagination.parse(request.args)
    installation = integrations.get(g.workspace, integration_id)
    rows, total = integrations.recent_events(installation, page)
    return listing([integrations.serialize_event(row) for row in rows], page, total)

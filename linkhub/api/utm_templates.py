"""/api/utm-templates: list (with link counts), create, read, update and delete UTM
templates. Parse -> services/utm_templates.py -> envelope; reads need `links:read`, writes
`links:update`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import clock, pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.models import UtmTemplate
from linkhub.schemas import utm_templates as s
from linkhub.schemas.links import LinkDeletedOut
from linkhub.services import utm_templates

bp = Blueprint("utm_templates", __name__)
TAG = "UTM templates"


def template_json(row: UtmTemplate, link_count: int) -> dict[str, Any]:
    return {"id": row.public_id, "name": row.name, "utmSource": row.utm_source,
            "utmMedium": row.utm_medium, "utmCampaign": row.utm_campaign,
            "utmTerm": row.utm_term, "utmContent": row.utm_content, "ref": row.ref,
            "linkCount": link_count, "createdAt": clock.iso(row.created_at),
            "updatedAt": clock.iso(row.updated_at)}


def _one(row: UtmTemplate, status: int = 200) -> Response:
    return ok(template_json(row, utm_templates.link_counts([row.id]).get(row.id, 0)), status)


@bp.get("/utm-templates")
@require("links:read")
@endpoint("List UTM templates", response=s.UtmTemplateOut, listing=True, tag=TAG)
def list_templates() -> Response:
    page = pagination.parse(request.args)
    rows, total = utm_templates.list_templates(g.workspace, page)
    counts = utm_templates.link_counts(r.id for r in rows)
    return listing([template_json(r, counts.get(r.id, 0)) for r in rows], page, total)


@bp.post("/utm-templates")
@require("links:update")
@endpoint("Create a UTM template", body=s.UtmTemplateCreate, response=s.UtmTemplateOut,
          status=201, tag=TAG)
def create_template(body: s.UtmTemplateCreate) -> Response:
    data = body.model_dump(include=body.model_fields_set)
    return created(template_json(utm_templates.create_template(g.workspace, g.user, data), 0))


@bp.get("/utm-templates/<utm_template_id>")
@require("links:read")
@endpoint("Get a UTM template", response=s.UtmTemplateOut, tag=TAG)
def get_template(utm_template_id: str) -> Response:
    return _one(utm_templates.get_template(g.workspace, utm_template_id))


@bp.patch("/utm-templates/<utm_template_id>")
@require("links:update")
@endpoint("Update a UTM template", body=s.UtmTemplateUpdate, response=s.UtmTemplateOut,
          tag=TAG)
def update_template(utm_template_id: str, body: s.UtmTemplateUpdate) -> Response:
    """Links using the template pick up the new values at once."""
    row = utm_templates.get_template(g.workspace, utm_template_id)
    data = body.model_dump(include=body.model_fields_set)
    return _one(utm_templates.update_template(g.workspace, g.user, row, data))


@bp.delete("/utm-templates/<utm_template_id>")
@require("links:update")
@endpoint("Delete a UTM template", response=LinkDeletedOut, tag=TAG)
def delete_template(utm_template_id: str) -> Response:
    """Links using it keep their own UTM values and lose the template's."""
    row = utm_templates.get_template(g.workspace, utm_template_id)
    utm_templates.delete_template(g.workspace, g.user, row)
    return ok({"id": utm_template_id, "deleted": True})

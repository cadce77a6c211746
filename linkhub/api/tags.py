"""/api/tags: list (with link counts), create, read, rename/recolour and delete tags. Parse ->
services/tags.py -> envelope; reads need `links:read`, writes `links:update`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import clock, pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.models import Tag
from linkhub.schemas import tags as s
from linkhub.schemas.links import LinkDeletedOut
from linkhub.services import tags

bp = Blueprint("tags", __name__)
TAG = "Tags"


def tag_json(tag: Tag, link_count: int) -> dict[str, Any]:
    return {"id": tag.public_id, "name": tag.name, "color": tag.color, "linkCount": link_count,
            "createdAt": clock.iso(tag.created_at), "updatedAt": clock.iso(tag.updated_at)}


def _one(tag: Tag, status: int = 200) -> Response:
    return ok(tag_json(tag, tags.link_counts([tag.id]).get(tag.id, 0)), status)


@bp.get("/tags")
@require("links:read")
@endpoint("List tags", query=s.TagListQuery, response=s.TagOut, listing=True, tag=TAG)
def list_tags(query: s.TagListQuery) -> Response:
    """By name, with the number of live links carrying each."""
    page = pagination.parse(request.args)
    rows, total = tags.list_tags(g.workspace, page, query.search)
    counts = tags.link_counts(t.id for t in rows)
    return listing([tag_json(t, counts.get(t.id, 0)) for t in rows], page, total)


@bp.post("/tags")
@require("links:update")
@endpoint("Create a tag", body=s.TagCreate, response=s.TagOut, status=201, tag=TAG,
          errors=("CONFLICT",))
def create_tag(body: s.TagCreate) -> Response:
    """A name already used in the workspace (ignoring case) is a 409 CONFLICT."""
    tag = tags.create_tag(g.workspace, g.user, body.model_dump(include=body.model_fields_set))
    return created(tag_json(tag, 0))


@bp.get("/tags/<tag_id>")
@require("links:read")
@endpoint("Get a tag", response=s.TagOut, tag=TAG)
def get_tag(tag_id: str) -> Response:
    return _one(tags.get_tag(g.workspace, tag_id))


@bp.patch("/tags/<tag_id>")
@require("links:update")
@endpoint("Rename or recolour a tag", body=s.TagUpdate, response=s.TagOut, tag=TAG,
          errors=("CONFLICT",))
def update_tag(tag_id: str, body: s.TagUpdate) -> Response:
    tag = tags.get_tag(g.workspace, tag_id)
    data = body.model_dump(include=body.model_fields_set)
    return _one(tags.update_tag(g.workspace, g.user, tag, data))


@bp.delete("/tags/<tag_id>")
@require("links:update")
@endpoint("Delete a tag", response=LinkDeletedOut, tag=TAG)
def delete_tag(tag_id: str) -> Response:
    """The tag leaves every link; the links are untouched."""
    tag = tags.get_tag(g.workspace, tag_id)
    tags.delete_tag(g.workspace, g.user, tag)
    return ok({"id": tag_id, "deleted": True})

"""/api/folders: list (with link counts), create, read, update (rename, recolour, move) and
delete folders. Parse -> services/folders.py -> envelope; reads need `links:read`, writes
`links:update`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import clock, pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.models import Folder
from linkhub.schemas import folders as s
from linkhub.schemas.links import LinkDeletedOut
from linkhub.services import folders

bp = Blueprint("folders", __name__)
TAG = "Folders"


def folder_json(folder: Folder, link_count: int) -> dict[str, Any]:
    return {"id": folder.public_id, "name": folder.name,
            "parentId": folders.parent_public_id(folder), "color": folder.color,
            "linkCount": link_count, "createdAt": clock.iso(folder.created_at),
            "updatedAt": clock.iso(folder.updated_at)}


def _one(folder: Folder, status: int = 200) -> Response:
    return ok(folder_json(folder, folders.link_counts([folder.id]).get(folder.id, 0)), status)


@bp.get("/folders")
@require("links:read")
@endpoint("List folders", query=s.FolderListQuery, response=s.FolderOut, listing=True,
          tag=TAG)
def list_folders(query: s.FolderListQuery) -> Response:
    """All folders by name (or one folder's children), with their live link counts."""
    page = pagination.parse(request.args)
    rows, total = folders.list_folders(g.workspace, page, query.parentId)
    counts = folders.link_counts(f.id for f in rows)
    return listing([folder_json(f, counts.get(f.id, 0)) for f in rows], page, total)


@bp.post("/folders")
@require("links:update")
@endpoint("Create a folder", body=s.FolderCreate, response=s.FolderOut, status=201, tag=TAG)
def create_folder(body: s.FolderCreate) -> Response:
    data = body.model_dump(include=body.model_fields_set)
    return created(folder_json(folders.create_folder(g.workspace, g.user, data), 0))


@bp.get("/folders/<folder_id>")
@require("links:read")
@endpoint("Get a folder", response=s.FolderOut, tag=TAG)
def get_folder(folder_id: str) -> Response:
    return _one(folders.get_folder(g.workspace, folder_id))


@bp.patch("/folders/<folder_id>")
@require("links:update")
@endpoint("Update or move a folder", body=s.FolderUpdate, response=s.FolderOut, tag=TAG)
def update_folder(folder_id: str, body: s.FolderUpdate) -> Response:
    folder = folders.get_folder(g.workspace, folder_id)
    data = body.model_dump(include=body.model_fields_set)
    return _one(folders.update_folder(g.workspace, g.user, folder, data))


@bp.delete("/folders/<folder_id>")
@require("links:update")
@endpoint("Delete a folder", response=LinkDeletedOut, tag=TAG)
def delete_folder(folder_id: str) -> Response:
    """Its links move to no folder; its child folders move up to its parent."""
    folder = folders.get_folder(g.workspace, folder_id)
    folders.delete_folder(g.workspace, g.user, folder)
    return ok({"id": folder_id, "deleted": True})

"""Folders of a workspace: nestable (`parentId` in the same workspace, never a cycle), with a
name, a colour (as tags: `#rrggbb` or a palette name) and link counts. Deleting a folder moves
its links to no folder and its child folders up to its own parent. Folders never change what a
short link does, so no redirect cache is touched here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import peewee

from linkhub import ids
from linkhub.db import database
from linkhub.errors import Invalid, NotFound
from linkhub.models import Folder, Link, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit
from linkhub.services.tags import validate_color

NAME_MAX = 100
MAX_DEPTH = 32  # a guard for the ancestor walk, far beyond any real tree


def validate_name(name: Any) -> str:
    if not isinstance(name, str):
        raise Invalid(fields={"name": "is required" if name is None else "must be a string"})
    cleaned = name.strip()
    if not cleaned:
        raise Invalid(fields={"name": "is required"})
    if len(cleaned) > NAME_MAX:
        raise Invalid(fields={"name": f"must be at most {NAME_MAX} characters"})
    return cleaned


def get_folder(workspace: Workspace, folder_id: Any, field: str | None = None) -> Folder:
    folder = None
    if ids.is_valid("folder", folder_id):
        folder = Folder.get_or_none(Folder.public_id == folder_id, Folder.workspace == workspace)
    if folder is None:
        raise NotFound("Folder not found" + (f" ({field})." if field else "."))
    return folder


def _ancestor_ids(folder: Folder) -> list[int]:
    """The folder's id and its ancestors' ids, nearest first."""
    chain = [folder.id]
    parent_id = folder.parent_id
    while parent_id is not None and len(chain) <= MAX_DEPTH:
        chain.append(parent_id)
        parent_id = Folder.select(Folder.parent).where(Folder.id == parent_id).scalar()
    if parent_id is not None:
        raise Invalid(fields={"parentId": f"folders nest at most {MAX_DEPTH} levels deep"})
    return chain


def _parent(workspace: Workspace, value: Any, folder: Folder | None) -> Folder | None:
    if value is None:
        return None
    parent = get_folder(workspace, value, "parentId")
    if folder is not None and folder.id in _ancestor_ids(parent):
        raise Invalid(fields={"parentId": "would put the folder inside itself"})
    return parent


def _clean(data: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    problems: dict[str, str] = {}
    changes: dict[str, Any] = {}
    for key, check in (("name", validate_name), ("color", validate_color)):
        if key in data or (key == "name" and not partial):
            try:
                changes[key] = check(data.get(key))
            except Invalid as exc:
                problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    return changes


def link_counts(folder_ids: Iterable[int]) -> dict[int, int]:
    wanted = list(folder_ids)
    if not wanted:
        return {}
    rows = (Link.select(Link.folder, peewee.fn.COUNT(Link.id))
            .where(Link.folder.in_(wanted), Link.deleted_at.is_null())
            .group_by(Link.folder).tuples())
    return {folder_id: count for folder_id, count in rows}


def list_folders(workspace: Workspace, page: Page,
                 parent_id: str | None = None) -> tuple[list[Folder], int]:
    """Every folder, or only the children of `parent_id` (`root`: top-level ones)."""
    parent = Folder.alias("p")
    query = (Folder.select(Folder, parent.public_id.alias("parent_public_id"))
             .join(parent, peewee.JOIN.LEFT_OUTER, on=(Folder.parent == parent.id))
             .where(Folder.workspace == workspace))
    if parent_id == "root":
        query = query.where(Folder.parent.is_null())
    elif parent_id:
        if not ids.is_valid("folder", parent_id):
            raise Invalid(fields={"parentId": "must be a folder id (fld_...) or root"})
        query = query.where(parent.public_id == parent_id)
    total = query.count()
    rows = list(query.order_by(Folder.name, Folder.id).offset(page.offset).limit(page.limit)
                .objects())
    return rows, total


def parent_public_id(folder: Folder) -> str | None:
    if folder.parent_id is None:
        return None
    known = getattr(folder, "parent_public_id", None)
    if known is not None:
        return known
    return Folder.select(Folder.public_id).where(Folder.id == folder.parent_id).scalar()


def create_folder(workspace: Workspace, actor: User | None, data: Mapping[str, Any]) -> Folder:
    changes = _clean(data, partial=False)
    parent = _parent(workspace, data.get("parentId"), None)
    folder = Folder.create(public_id=ids.new_id("folder"), workspace=workspace, parent=parent,
                           **changes)
    audit.record("folder.create", "folder", folder.public_id, workspace=workspace, actor=actor)
    return folder


def update_folder(workspace: Workspace, actor: User | None, folder: Folder,
                  data: Mapping[str, Any]) -> Folder:
    """Apply the keys present (`name`, `color`, `parentId`; null parent: top level)."""
    changes = _clean(data, partial=True)
    if "parentId" in data:
        changes["parent"] = _parent(workspace, data["parentId"], folder)
    for key, value in changes.items():
        setattr(folder, key, value)
    folder.save()
    audit.record("folder.update", "folder", folder.public_id, workspace=workspace, actor=actor)
    return folder


def delete_folder(workspace: Workspace, actor: User | None, folder: Folder) -> None:
    with database.atomic():
        Folder.update(parent=folder.parent_id).where(Folder.parent == folder).execute()
        Link.update(folder=None).where(Link.folder == folder).execute()
        folder.delete_instance()
        audit.record("folder.delete", "folder", folder.public_id, workspace=workspace,
                     actor=actor)

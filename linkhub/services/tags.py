"""Tags of a workspace: names (1-64 characters, unique per workspace ignoring case), colours
(`#rrggbb` or a palette name), link counts, and find-or-create by name for links. Tags never
change what a short link does, so no redirect cache is touched here."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import peewee

from linkhub import ids
from linkhub.db import database
from linkhub.errors import Conflict, Invalid, NotFound
from linkhub.models import Link, LinkTag, Tag, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit

NAME_MAX = 64
# Named colours accepted beside `#rrggbb`; the dashboard renders them from its own palette.
PALETTE = ("red", "orange", "amber", "yellow", "lime", "green", "teal", "cyan", "blue",
           "indigo", "violet", "purple", "pink", "gray")
_HEX_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_name(name: Any, field: str = "name") -> str:
    if not isinstance(name, str):
        raise Invalid(fields={field: "is required" if name is None else "must be a string"})
    cleaned = name.strip()
    if not cleaned:
        raise Invalid(fields={field: "is required"})
    if len(cleaned) > NAME_MAX:
        raise Invalid(fields={field: f"must be at most {NAME_MAX} characters"})
    return cleaned


def validate_color(color: Any, field: str = "color") -> str | None:
    """`#rrggbb` (stored lower-case), a palette name, or null/"" for none."""
    if color is None or color == "":
        return None
    if isinstance(color, str):
        value = color.strip().lower()
        if _HEX_RE.match(value) or value in PALETTE:
            return value
    raise Invalid(fields={field: "must be #rrggbb or one of " + ", ".join(PALETTE)})


def _name_taken(workspace: Workspace, name: str, exclude_id: int | None = None) -> bool:
    query = Tag.select(Tag.id).where(Tag.workspace == workspace, Tag.name_key == name.lower())
    if exclude_id is not None:
        query = query.where(Tag.id != exclude_id)
    return query.exists()


def _conflict(name: str) -> Conflict:
    return Conflict(message=f"A tag named '{name}' already exists in this workspace.")


def get_tag(workspace: Workspace, tag_id: str) -> Tag:
    tag = None
    if ids.is_valid("tag", tag_id):
        tag = Tag.get_or_none(Tag.public_id == tag_id, Tag.workspace == workspace)
    if tag is None:
        raise NotFound("Tag not found.")
    return tag


def link_counts(tag_ids: Iterable[int]) -> dict[int, int]:
    """Live links per tag, in one query."""
    wanted = list(tag_ids)
    if not wanted:
        return {}
    rows = (LinkTag.select(LinkTag.tag, peewee.fn.COUNT(LinkTag.id))
            .join(Link).where(LinkTag.tag.in_(wanted), Link.deleted_at.is_null())
            .group_by(LinkTag.tag).tuples())
    return {tag_id: count for tag_id, count in rows}


def list_tags(workspace: Workspace, page: Page,
              search: str | None = None) -> tuple[list[Tag], int]:
    query = Tag.select().where(Tag.workspace == workspace)
    if search:
        query = query.where(Tag.name.contains(search.strip()))
    total = query.count()
    rows = list(query.order_by(Tag.name_key, Tag.id).offset(page.offset).limit(page.limit))
    return rows, total


def create_tag(workspace: Workspace, actor: User | None, data: Mapping[str, Any]) -> Tag:
    problems: dict[str, str] = {}
    name = color = None
    try:
        name = validate_name(data.get("name"))
    except Invalid as exc:
        problems.update(exc.fields)
    try:
        color = validate_color(data.get("color"))
    except Invalid as exc:
        problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    if _name_taken(workspace, name):
        raise _conflict(name)
    try:
        with database.atomic():
            tag = Tag.create(public_id=ids.new_id("tag"), workspace=workspace, name=name,
                             name_key=name.lower(), color=color)
    except peewee.IntegrityError:
        raise _conflict(name) from None
    audit.record("tag.create", "tag", tag.public_id, workspace=workspace, actor=actor)
    return tag


def update_tag(workspace: Workspace, actor: User | None, tag: Tag,
               data: Mapping[str, Any]) -> Tag:
    """Apply the keys present in `data` (`name`, `color`; `color: null` removes it)."""
    problems: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if "name" in data:
        try:
            changes["name"] = validate_name(data["name"])
            changes["name_key"] = changes["name"].lower()
        except Invalid as exc:
            problems.update(exc.fields)
    if "color" in data:
        try:
            changes["color"] = validate_color(data["color"])
        except Invalid as exc:
            problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    if "name" in changes and _name_taken(workspace, changes["name"], tag.id):
        raise _conflict(changes["name"])
    for key, value in changes.items():
        setattr(tag, key, value)
    try:
        with database.atomic():
            tag.save()
    except peewee.IntegrityError:
        raise _conflict(changes.get("name", tag.name)) from None
    audit.record("tag.update", "tag", tag.public_id, workspace=workspace, actor=actor)
    return tag


def delete_tag(workspace: Workspace, actor: User | None, tag: Tag) -> None:
    """The tag leaves every link it was on; the links themselves are untouched."""
    with database.atomic():
        LinkTag.delete().where(LinkTag.tag == tag).execute()
        tag.delete_instance()
        audit.record("tag.delete", "tag", tag.public_id, workspace=workspace, actor=actor)


def create_named(workspace: Workspace, actor: User | None, names: list[str]) -> list[Tag]:
    """Create tags by name on first use from a link (names already validated and absent).
    Run inside the caller's transaction; a tag made meanwhile by someone else is reused."""
    made: list[Tag] = []
    for name in names:
        try:
            with database.atomic():
                tag = Tag.create(public_id=ids.new_id("tag"), workspace=workspace, name=name,
                                 name_key=name.lower())
            audit.record("tag.create", "tag", tag.public_id, workspace=workspace, actor=actor)
        except peewee.IntegrityError:
            tag = Tag.get(Tag.workspace == workspace, Tag.name_key == name.lower())
        made.append(tag)
    return made

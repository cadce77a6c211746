"""Workspaces and membership: creating a workspace (its creator becomes owner), listing a user's
workspaces, adding members. Roles and invitations are ruled here too."""

from __future__ import annotations

import re
import unicodedata

from linkhub import ids
from linkhub.db import database
from linkhub.errors import ApiError, Invalid
from linkhub.models import Member, User, Workspace
from linkhub.models.workspaces import ROLES
from linkhub.services import audit

NAME_MAX = 100


def validate_name(name: str | None) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise Invalid(fields={"name": "is required"})
    if len(cleaned) > NAME_MAX:
        raise Invalid(fields={"name": f"must be at most {NAME_MAX} characters"})
    return cleaned


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:48]
    return slug or "workspace"


def unique_slug(name: str) -> str:
    base = _slugify(name)
    slug, n = base, 1
    while Workspace.select().where(Workspace.slug == slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create_workspace(actor: User, name: str) -> Workspace:
    """A new workspace owned by `actor`; it becomes their default when they have none."""
    cleaned = validate_name(name)
    with database.atomic():
        workspace = Workspace.create(public_id=ids.new_id("workspace"), name=cleaned,
                                     slug=unique_slug(cleaned))
        add_member(workspace, actor, "owner")
        if actor.default_workspace_id is None:
            User.update(default_workspace=workspace).where(User.id == actor.id).execute()
            actor.default_workspace = workspace
        audit.record("workspace.create", "workspace", workspace.public_id,
                     workspace=workspace, actor=actor)
    return workspace


def add_member(workspace: Workspace, user: User, role: str) -> Member:
    if role not in ROLES:
        raise Invalid(fields={"role": f"must be one of {', '.join(ROLES)}"})
    if Member.select().where(Member.workspace == workspace, Member.user == user).exists():
        raise ApiError("ALREADY_MEMBER")
    return Member.create(public_id=ids.new_id("member"), workspace=workspace, user=user,
                         role=role)


def workspaces_of(user: User) -> list[Workspace]:
    return list(Workspace.select().join(Member).where(Member.user == user)
                .order_by(Workspace.name, Workspace.id))

"""Workspaces: create (the creator becomes owner), list a user's memberships, add members,
update name/logo/time zone, delete, transfer ownership and count usage. Member role changes live
in services/members.py, invitations in services/invitations.py."""

from __future__ import annotations

import functools
import re
import unicodedata
import zoneinfo
from typing import Any

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Forbidden, Invalid
from linkhub.models import ApiKey, Invitation, Member, User, Workspace
from linkhub.models.workspaces import ROLES
from linkhub.services import audit
from linkhub.services.field_checks import checked

NAME_MAX = 100
LOGO_MAX = 2048
MAX_JOINED = 50  # the catalogue's "max joined workspaces per user"
_URL_RE = re.compile(r"^https?://[^\s/?#]+[^\s]*$", re.IGNORECASE)


def validate_name(name: str | None) -> str:
    cleaned = (name or "").strip()
    if not cleaned:
        raise Invalid(fields={"name": "is required"})
    if len(cleaned) > NAME_MAX:
        raise Invalid(fields={"name": f"must be at most {NAME_MAX} characters"})
    return cleaned


@functools.cache
def timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_timezone(value: str | None) -> str:
    if not value or not isinstance(value, str):
        raise Invalid(fields={"timezone": "is required"})
    if value.strip() not in timezones():
        raise Invalid(fields={"timezone": "must be an IANA time zone name such as "
                                          "Europe/Paris or UTC"})
    return value.strip()


def validate_logo(value: str | None) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    cleaned = value.strip()
    if len(cleaned) > LOGO_MAX:
        raise Invalid(fields={"logo": f"must be at most {LOGO_MAX} characters"})
    if not _URL_RE.match(cleaned):
        raise Invalid(fields={"logo": "must be an http(s) URL"})
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


def check_join_limit(user: User) -> None:
    """403 LIMIT_EXCEEDED once a user belongs to MAX_JOINED workspaces."""
    if Member.select().where(Member.user == user).count() >= MAX_JOINED:
        raise ApiError("LIMIT_EXCEEDED", f"You already belong to {MAX_JOINED} workspaces, "
                                         "the most one user may join.")


def create_workspace(actor: User, name: str) -> Workspace:
    """A new workspace owned by `actor`; it becomes their default when they have none."""
    cleaned = validate_name(name)
    check_join_limit(actor)
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


def memberships_of(user: User) -> list[Member]:
    """The user's memberships with their workspaces loaded, by workspace name."""
    return list(Member.select(Member, Workspace).join(Workspace)
                .where(Member.user == user).order_by(Workspace.name, Workspace.id))


def membership(workspace: Workspace, user: User | None) -> Member | None:
    if user is None:
        return None
    return Member.get_or_none(Member.workspace == workspace, Member.user == user)


def membership_by_id(user: User, workspace_id: str | None) -> Member | None:
    """The user's membership in the workspace with this public id (None when not a member)."""
    if not ids.is_valid("workspace", workspace_id):
        return None
    return (Member.select(Member, Workspace).join(Workspace)
            .where(Member.user == user, Workspace.public_id == workspace_id).first())


def update_workspace(workspace: Workspace, actor: User | None, data: dict[str, Any]) -> Workspace:
    """Apply the given keys of `data` (name, logo, timezone); absent keys stay unchanged."""
    changes = checked(data, {"name": ("name", validate_name), "logo": ("logo", validate_logo),
                             "timezone": ("timezone", validate_timezone)})
    changed = {k: v for k, v in changes.items() if getattr(workspace, k) != v}
    if changed:
        for key, value in changed.items():
            setattr(workspace, key, value)
        workspace.save()
        if "timezone" in changed:  # compiled links evaluate time rules in this zone
            from linkhub.redirect import cache

            cache.for_app().clear()
        audit.record("workspace.update", "workspace", workspace.public_id, workspace=workspace,
                     actor=actor, details={"fields": sorted(changed)})
    return workspace


def repoint_default(users: list[int], leaving: Workspace) -> None:
    """Users whose default workspace is `leaving` fall back to their oldest other membership."""
    for user_id in users:
        other = (Member.select(Member.workspace).where(Member.user == user_id,
                                                       Member.workspace != leaving)
                 .order_by(Member.id).first())
        User.update(default_workspace=other.workspace_id if other else None).where(
            User.id == user_id).execute()


def delete_workspace(workspace: Workspace, actor: User) -> None:
    """Delete the workspace and (by foreign-key cascade) everything in it. Owner only."""
    member = membership(workspace, actor)
    if member is None or member.role != "owner":
        raise Forbidden("Only the workspace owner can delete it.")
    with database.atomic():
        affected = [u.id for u in User.select(User.id).where(
            User.default_workspace == workspace)]
        repoint_default(affected, workspace)
        public_id, name = workspace.public_id, workspace.name
        workspace.delete_instance()
        audit.record("workspace.delete", "workspace", public_id, actor=actor,
                     details={"name": name})


def find_member(workspace: Workspace, member_id: str | None = None,
                user_id: str | None = None) -> Member | None:
    """A member of `workspace` by member id or user public id (None when not a member)."""
    query = Member.select(Member, User).join(User).where(Member.workspace == workspace)
    if member_id is not None:
        if not ids.is_valid("member", member_id):
            return None
        return query.where(Member.public_id == member_id).first()
    if user_id is not None:
        if not ids.is_valid("user", user_id):
            return None
        return query.where(User.public_id == user_id).first()
    return None


def transfer_ownership(workspace: Workspace, actor: User, member_id: str | None = None,
                       user_id: str | None = None) -> Member:
    """Make another member the owner; the old owner becomes admin. Returns the new owner."""
    current = membership(workspace, actor)
    if current is None or current.role != "owner":
        raise Forbidden("Only the workspace owner can transfer ownership.")
    field = "memberId" if member_id is not None or user_id is None else "userId"
    if member_id is None and user_id is None:
        raise Invalid(fields={"memberId": "is required (or send userId)"})
    target = find_member(workspace, member_id, user_id)
    if target is None:
        raise Invalid(fields={field: "must be a member of this workspace"})
    if target.id == current.id:
        raise Invalid(fields={field: "you already own this workspace"})
    with database.atomic():
        Member.update(role="admin", updated_at=clock.now()).where(
            Member.id == current.id).execute()
        target.role = "owner"
        target.save()
        audit.record("workspace.transfer_ownership", "workspace", workspace.public_id,
                     workspace=workspace, actor=actor,
                     details={"from": actor.public_id, "to": target.user.public_id})
    return target


def usage(workspace: Workspace) -> dict[str, int]:
    """Counts of what the workspace holds today (modules add their own counts later)."""
    pending = Invitation.select().where(
        Invitation.workspace == workspace, Invitation.accepted_at.is_null(),
        Invitation.revoked_at.is_null(), Invitation.expires_at > clock.now()).count()
    return {
        "members": Member.select().where(Member.workspace == workspace).count(),
        "pendingInvitations": pending,
        "apiKeys": ApiKey.select().where(ApiKey.workspace == workspace).count(),
    }

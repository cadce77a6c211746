"""Workspace members: listing, role changes and removal (including leaving). Ownership moves
only through services.workspaces.transfer_ownership; nothing here makes or unmakes an owner."""

from __future__ import annotations

from linkhub import ids
from linkhub.auth import role_at_least
from linkhub.db import database
from linkhub.errors import Forbidden, Invalid, NotFound
from linkhub.models import Member, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit
from linkhub.services.workspaces import membership, repoint_default

ASSIGNABLE_ROLES = ("admin", "editor", "viewer")


def list_members(workspace: Workspace, page: Page) -> tuple[list[Member], int]:
    query = (Member.select(Member, User, Workspace).join(User).switch(Member).join(Workspace)
             .where(Member.workspace == workspace))
    total = query.count()
    rows = list(query.order_by(Member.created_at, Member.id).offset(page.offset)
                .limit(page.limit))
    return rows, total


def get_member(workspace: Workspace, member_id: str) -> Member:
    """The member of `workspace` with this id, else 404 (also for another workspace's)."""
    member = None
    if ids.is_valid("member", member_id):
        member = (Member.select(Member, User).join(User)
                  .where(Member.workspace == workspace, Member.public_id == member_id).first())
    if member is None:
        raise NotFound("Member not found.")
    return member


def validate_role(role: object) -> str:
    if role == "owner":
        raise Invalid(fields={"role": "cannot be set here: ownership moves only through "
                                      "transfer-ownership"})
    if not isinstance(role, str) or role not in ASSIGNABLE_ROLES:
        raise Invalid(fields={"role": f"must be one of {', '.join(ASSIGNABLE_ROLES)}"})
    return role


def can_change_role(mine: Member, target: Member) -> bool:
    """Admins set roles of editors, viewers and themselves; only the owner changes another
    admin; the owner's own role never changes here."""
    if not role_at_least(mine.role, "admin") or target.role == "owner":
        return False
    return target.role != "admin" or target.id == mine.id or mine.role == "owner"


def can_remove(mine: Member, target: Member) -> bool:
    """Anyone but the owner may leave; admins remove editors and viewers; the owner also
    removes admins; nobody removes the owner."""
    if target.role == "owner":
        return False
    if target.id == mine.id:
        return True
    if not role_at_least(mine.role, "admin"):
        return False
    return target.role != "admin" or mine.role == "owner"


def _actor_member(workspace: Workspace, actor: User) -> Member:
    member = membership(workspace, actor)
    if member is None:
        raise NotFound("Workspace not found.")
    return member


def change_role(workspace: Workspace, actor: User, target: Member, role: object) -> Member:
    """Set a member's role (admin, editor or viewer). Admins manage editors and viewers (and
    themselves); only the owner changes another admin; the owner's role never changes here."""
    new_role = validate_role(role)
    mine = _actor_member(workspace, actor)
    if not role_at_least(mine.role, "admin"):
        raise Forbidden(f"Your role ({mine.role}) cannot change roles; it needs admin.")
    if target.role == "owner":
        if mine.role != "owner":
            raise Forbidden("Only the owner can change the owner's membership.")
        raise Invalid(fields={"role": "the owner cannot be demoted: a workspace must keep its "
                                      "owner; use transfer-ownership instead"})
    if target.role == "admin" and target.id != mine.id and mine.role != "owner":
        raise Forbidden("Only the owner can change another admin's role.")
    if target.role == new_role:
        return target
    old = target.role
    target.role = new_role
    target.save()
    audit.record("member.update_role", "member", target.public_id, workspace=workspace,
                 actor=actor, details={"from": old, "to": new_role})
    return target


def remove_member(workspace: Workspace, actor: User, target: Member) -> None:
    """Remove a member, or leave when the target is the actor. The owner is never removed."""
    mine = _actor_member(workspace, actor)
    leaving = target.id == mine.id
    if not leaving:
        if not role_at_least(mine.role, "admin"):
            raise Forbidden(f"Your role ({mine.role}) cannot remove members; it needs admin.")
        if target.role == "owner":
            raise Invalid(fields={"memberId": "the owner cannot be removed"})
        if target.role == "admin" and mine.role != "owner":
            raise Forbidden("Only the owner can remove an admin.")
    elif target.role == "owner":
        raise Invalid(fields={"memberId": "the owner cannot leave; transfer ownership first"})
    with database.atomic():
        target.delete_instance()
        if User.select().where(User.id == target.user_id,
                               User.default_workspace == workspace).exists():
            repoint_default([target.user_id], workspace)
        audit.record("member.leave" if leaving else "member.remove", "member", target.public_id,
                     workspace=workspace, actor=actor,
                     details={"userId": target.user.public_id, "role": target.role})

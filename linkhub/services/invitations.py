"""Invitations to a workspace: issue (token e-mailed, stored hashed, 7 days), list, accept,
revoke or decline. The raw token leaves this module only inside the invite URL."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from linkhub import clock, ids, ratelimit
from linkhub.auth import hash_secret, role_at_least
from linkhub.db import database
from linkhub.errors import ApiError, Conflict, Forbidden, Invalid, NotFound
from linkhub.models import Invitation, Member, User, Workspace
from linkhub.pagination import Page
from linkhub.services import accounts, audit, email, notifications
from linkhub.services.workspaces import add_member, check_join_limit, membership

TTL = timedelta(days=7)
INVITABLE_ROLES = ("admin", "editor", "viewer")


def invite_url(token: str) -> str:
    return f"{current_app.config['LINKHUB']['BASE_URL']}/app/invitations/{token}"


def status(invitation: Invitation) -> str:
    if invitation.accepted_at is not None:
        return "accepted"
    if invitation.revoked_at is not None:
        return "revoked"
    if invitation.expires_at <= clock.now():
        return "expired"
    return "pending"


def _open():
    """Invitations neither accepted nor revoked (they may have expired)."""
    return Invitation.accepted_at.is_null() & Invitation.revoked_at.is_null()


def validate_role(role: object) -> str:
    if not isinstance(role, str) or role not in INVITABLE_ROLES:
        raise Invalid(fields={"role": f"must be one of {', '.join(INVITABLE_ROLES)}"})
    return role


def invite(workspace: Workspace, actor: User, address: str | None,
           role: object = "editor") -> tuple[Invitation, str]:
    """Invite an e-mail address with a role; returns the invitation and its raw token. A pending
    invitation to the same address is revoked and replaced. Rate-limited per inviting user."""
    problems: dict[str, str] = {}
    try:
        address = accounts.normalize_email(address)
    except Invalid as exc:
        problems.update(exc.fields)
    try:
        role = validate_role(role)
    except Invalid as exc:
        problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    mine = membership(workspace, actor)
    if mine is None or not role_at_least(mine.role, "admin"):
        raise Forbidden("Only admins and the owner can invite members.")
    if (Member.select().join(User).where(Member.workspace == workspace, User.email == address)
            .exists()):
        raise ApiError("ALREADY_MEMBER", f"{address} is already a member of this workspace.")
    ratelimit.enforce("invite", f"user:{actor.id}",
                      current_app.config["LINKHUB"]["RATE_LIMIT_INVITES"],
                      "Too many invitations sent; try again later.")
    token = ids.new_token()
    now = clock.now()
    with database.atomic():
        (Invitation.update(revoked_at=now, updated_at=now)
         .where(Invitation.workspace == workspace, Invitation.email == address, _open())
         .execute())
        invitation = Invitation.create(public_id=ids.new_id("invitation"), workspace=workspace,
                                       email=address, role=role, token_hash=hash_secret(token),
                                       invited_by=actor, expires_at=now + TTL,
                                       created_at=now, updated_at=now)
        audit.record("invitation.create", "invitation", invitation.public_id,
                     workspace=workspace, actor=actor, details={"email": address, "role": role})
    email.send("invitation", address,
               f"{actor.name or actor.email} invited you to {workspace.name} on linkhub",
               "invitation", {"inviter": actor, "workspace": workspace, "role": role,
                              "url": invite_url(token), "expires_at": invitation.expires_at},
               workspace=workspace)
    return invitation, token


def list_open(workspace: Workspace, page: Page) -> tuple[list[Invitation], int]:
    """The workspace's invitations still waiting for an answer (expired ones included)."""
    query = Invitation.select().where(Invitation.workspace == workspace, _open())
    total = query.count()
    rows = list(query.order_by(Invitation.created_at.desc(), Invitation.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, total


def pending_for(user: User, page: Page) -> tuple[list[Invitation], int]:
    """Unexpired invitations addressed to the user's e-mail."""
    query = (Invitation.select(Invitation, Workspace).join(Workspace)
             .where(Invitation.email == user.email.lower(), _open(),
                    Invitation.expires_at > clock.now()))
    total = query.count()
    rows = list(query.order_by(Invitation.created_at.desc(), Invitation.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, total


def _by_token(token: str) -> Invitation | None:
    if not token or not isinstance(token, str) or len(token) > 256:
        return None
    return (Invitation.select(Invitation, Workspace).join(Workspace)
            .where(Invitation.token_hash == hash_secret(token)).first())


def lookup(token: str) -> Invitation | None:
    """The invitation for a token, whatever its state (None when unknown)."""
    return _by_token(token)


def find_valid(token: str) -> Invitation | None:
    """The pending, unexpired invitation for a raw token, else None."""
    invitation = _by_token(token)
    if invitation is None or status(invitation) != "pending":
        return None
    return invitation


def _accept(invitation: Invitation | None, user: User) -> Member:
    if invitation is None or invitation.accepted_at or invitation.revoked_at:
        raise NotFound("Invitation not found.")
    if invitation.expires_at <= clock.now():
        raise Invalid("The invitation has expired; ask for a new one.",
                      fields={"token": "has expired"})
    if invitation.email.lower() != user.email.lower():
        raise Forbidden("This invitation was sent to another e-mail address.")
    workspace = invitation.workspace
    if membership(workspace, user) is not None:
        raise ApiError("ALREADY_MEMBER", "You are already a member of this workspace.")
    check_join_limit(user)
    with database.atomic():
        # before add_member, so the newcomer (even as an admin) is not told of their own joining
        notifications.notify(workspace, "invitation_accepted", f"{user.email} joined "
                             f"{workspace.name} as {invitation.role}", url="/app/settings/members")
        member = add_member(workspace, user, invitation.role)
        now = clock.now()
        Invitation.update(accepted_at=now, updated_at=now).where(
            Invitation.id == invitation.id).execute()
        if user.default_workspace_id is None:
            User.update(default_workspace=workspace).where(User.id == user.id).execute()
            user.default_workspace = workspace
        audit.record("invitation.accept", "invitation", invitation.public_id,
                     workspace=workspace, actor=user, details={"memberId": member.public_id})
    return member


def accept(token: str, user: User) -> Member:
    """Join the invitation's workspace with its role. 404 unknown/revoked/used, 400 expired,
    403 when the user's e-mail is not the invited one, 409 when already a member."""
    return _accept(_by_token(token), user)


def accept_by_id(invitation_id: str, user: User) -> Member:
    """Accept from the pending list without the e-mailed token: only for a verified address,
    because then the signed-in user has already proven they own the mailbox."""
    invitation = None
    if ids.is_valid("invitation", invitation_id):
        invitation = (Invitation.select(Invitation, Workspace).join(Workspace)
                      .where(Invitation.public_id == invitation_id).first())
    if invitation is not None and invitation.email.lower() != user.email.lower():
        invitation = None  # someone else's invitation answers like a missing one
    if invitation is not None and user.email_verified_at is None:
        raise Forbidden("Verify your e-mail address first, or use the link in the invitation.")
    return _accept(invitation, user)


def withdraw(invitation_id: str, actor: User) -> Invitation:
    """Revoke (an admin of its workspace) or decline (the invitee). Anyone else gets 404."""
    invitation = None
    if ids.is_valid("invitation", invitation_id):
        invitation = (Invitation.select(Invitation, Workspace).join(Workspace)
                      .where(Invitation.public_id == invitation_id).first())
    if invitation is None:
        raise NotFound("Invitation not found.")
    mine = membership(invitation.workspace, actor)
    is_admin = mine is not None and role_at_least(mine.role, "admin")
    is_invitee = invitation.email.lower() == actor.email.lower()
    if not (is_admin or is_invitee):
        if mine is None:
            raise NotFound("Invitation not found.")
        raise Forbidden(f"Your role ({mine.role}) cannot revoke invitations; it needs admin.")
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise Conflict(message=f"The invitation was already {status(invitation)}.")
    now = clock.now()
    invitation.revoked_at = now
    invitation.save()
    audit.record("invitation.revoke" if is_admin else "invitation.decline", "invitation",
                 invitation.public_id, workspace=invitation.workspace, actor=actor)
    return invitation

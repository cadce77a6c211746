"""/api/workspaces: workspaces, members, invitations and API keys. Parse, call services, and
serialise with the envelope; every rule lives in services/ (workspaces, members, invitations,
api_keys). Membership, invitation and key management are session only (decisions §2)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import clock, ids, pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.models import ApiKey, Invitation, Member, User, Workspace
from linkhub.schemas import workspaces as s
from linkhub.services import api_keys, invitations, members, workspaces

bp = Blueprint("workspaces", __name__)
TAG = "Workspaces"


# --- serialisers ------------------------------------------------------------------------------

def _user_ref(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"id": user.public_id, "email": user.email, "name": user.name}


def workspace_json(workspace: Workspace, role: str | None) -> dict[str, Any]:
    return {"id": workspace.public_id, "name": workspace.name, "slug": workspace.slug,
            "logo": workspace.logo, "timezone": workspace.timezone, "plan": workspace.plan,
            "role": role, "createdAt": clock.iso(workspace.created_at),
            "updatedAt": clock.iso(workspace.updated_at)}


def member_json(member: Member) -> dict[str, Any]:
    user = member.user
    return {"id": member.public_id, "workspaceId": member.workspace.public_id,
            "userId": user.public_id, "email": user.email, "name": user.name,
            "role": member.role, "joinedAt": clock.iso(member.created_at)}


def invitation_json(invitation: Invitation) -> dict[str, Any]:
    workspace = invitation.workspace
    return {"id": invitation.public_id,
            "workspace": {"id": workspace.public_id, "name": workspace.name},
            "email": invitation.email, "role": invitation.role,
            "status": invitations.status(invitation),
            "expiresAt": clock.iso(invitation.expires_at),
            "createdAt": clock.iso(invitation.created_at),
            "invitedBy": _user_ref(invitation.invited_by)}


def api_key_json(key: ApiKey) -> dict[str, Any]:
    return {"id": key.public_id, "name": key.name, "prefix": key.lookup,
            "scopes": list(key.scopes), "enabled": key.enabled,
            "expiresAt": clock.iso(key.expires_at), "lastUsedAt": clock.iso(key.last_used_at),
            "createdAt": clock.iso(key.created_at), "updatedAt": clock.iso(key.updated_at),
            "createdBy": _user_ref(key.created_by)}


def _page() -> pagination.Page:
    return pagination.parse(request.args)


# --- workspaces -------------------------------------------------------------------------------

@bp.get("/workspaces")
@require(workspace=False)
@endpoint("List your workspaces", response=s.WorkspaceOut, listing=True, tag=TAG)
def list_workspaces() -> Response:
    """A session sees every workspace it belongs to; an API key sees its own workspace."""
    page = _page()
    if g.auth_via == "api_key":
        rows = [(g.workspace, g.role)]
    else:
        rows = [(m.workspace, m.role) for m in workspaces.memberships_of(g.user)]
    items = rows[page.offset:page.offset + page.limit]
    return listing([workspace_json(w, r) for w, r in items], page, len(rows))


@bp.post("/workspaces")
@require(session_only=True, workspace=False)
@endpoint("Create a workspace", body=s.WorkspaceCreate, response=s.WorkspaceOut, status=201,
          tag=TAG, errors=("LIMIT_EXCEEDED",))
def create_workspace(body: s.WorkspaceCreate) -> Response:
    """The caller becomes its owner. An API key belongs to one workspace and cannot create one."""
    workspace = workspaces.create_workspace(g.user, body.name)
    return created(workspace_json(workspace, "owner"))


@bp.get("/workspaces/<workspace_id>")
@require("workspace:read", workspace="path")
@endpoint("Get a workspace", response=s.WorkspaceOut, tag=TAG)
def get_workspace(workspace_id: str) -> Response:
    return ok(workspace_json(g.workspace, g.role))


@bp.patch("/workspaces/<workspace_id>")
@require("workspace:update", workspace="path")
@endpoint("Update a workspace", body=s.WorkspaceUpdate, response=s.WorkspaceOut, tag=TAG)
def update_workspace(workspace_id: str, body: s.WorkspaceUpdate) -> Response:
    data = body.model_dump(include=body.model_fields_set)
    workspace = workspaces.update_workspace(g.workspace, g.user, data)
    return ok(workspace_json(workspace, g.role))


@bp.delete("/workspaces/<workspace_id>")
@require(role="owner", session_only=True, workspace="path")
@endpoint("Delete a workspace and everything in it", response=s.DeletedOut, tag=TAG)
def delete_workspace(workspace_id: str) -> Response:
    workspaces.delete_workspace(g.workspace, g.user)
    return ok({"id": workspace_id, "deleted": True})


@bp.post("/workspaces/<workspace_id>/transfer-ownership")
@require(role="owner", session_only=True, workspace="path")
@endpoint("Transfer ownership to another member", body=s.OwnershipTransfer,
          response=s.MemberOut, tag=TAG)
def transfer_ownership(workspace_id: str, body: s.OwnershipTransfer) -> Response:
    """The new owner is returned; the previous owner stays on as admin."""
    owner = workspaces.transfer_ownership(g.workspace, g.user, body.memberId, body.userId)
    return ok(member_json(owner))


@bp.get("/workspaces/<workspace_id>/usage")
@require(workspace="path")
@endpoint("Workspace usage counts", response=s.UsageOut, tag=TAG)
def usage(workspace_id: str) -> Response:
    return ok(workspaces.usage(g.workspace))


# --- members ----------------------------------------------------------------------------------

@bp.get("/workspaces/<workspace_id>/members")
@require("members:read", session_only=True, workspace="path")
@endpoint("List members", response=s.MemberOut, listing=True, tag=TAG)
def list_members(workspace_id: str) -> Response:
    page = _page()
    rows, total = members.list_members(g.workspace, page)
    return listing([member_json(m) for m in rows], page, total)


@bp.patch("/workspaces/<workspace_id>/members/<member_id>")
@require("members:update_roles", session_only=True, workspace="path")
@endpoint("Change a member's role", body=s.MemberUpdate, response=s.MemberOut, tag=TAG)
def update_member(workspace_id: str, member_id: str, body: s.MemberUpdate) -> Response:
    target = members.get_member(g.workspace, member_id)
    return ok(member_json(members.change_role(g.workspace, g.user, target, body.role)))


@bp.delete("/workspaces/<workspace_id>/members/<member_id>")
@require(session_only=True, workspace="path")
@endpoint("Remove a member (or leave)", response=s.DeletedOut, tag=TAG)
def remove_member(workspace_id: str, member_id: str) -> Response:
    """Admins remove members; anyone but the owner may remove themselves (leave)."""
    target = members.get_member(g.workspace, member_id)
    members.remove_member(g.workspace, g.user, target)
    return ok({"id": member_id, "deleted": True})


# --- invitations ------------------------------------------------------------------------------

@bp.post("/workspaces/<workspace_id>/members/invite")
@require("members:invite", session_only=True, workspace="path")
@endpoint("Invite someone by e-mail", body=s.InvitationCreate,
          response=s.InvitationCreatedOut, status=201, tag=TAG,
          errors=("ALREADY_MEMBER", "RATE_LIMITED"))
def invite(workspace_id: str, body: s.InvitationCreate) -> Response:
    """The invitation link (in `inviteUrl`) is shown here once and e-mailed; it lasts 7 days."""
    invitation, token = invitations.invite(g.workspace, g.user, body.email, body.role)
    return created({**invitation_json(invitation), "inviteUrl": invitations.invite_url(token)})


@bp.get("/workspaces/<workspace_id>/invitations")
@require("members:invite", session_only=True, workspace="path")
@endpoint("List open invitations", response=s.InvitationOut, listing=True, tag=TAG)
def list_invitations(workspace_id: str) -> Response:
    page = _page()
    rows, total = invitations.list_open(g.workspace, page)
    return listing([invitation_json(i) for i in rows], page, total)


@bp.get("/workspaces/invitations/pending")
@require(session_only=True, workspace=False)
@endpoint("Your pending invitations", response=s.InvitationOut, listing=True, tag=TAG)
def pending_invitations() -> Response:
    page = _page()
    rows, total = invitations.pending_for(g.user, page)
    return listing([invitation_json(i) for i in rows], page, total)


@bp.post("/workspaces/invitations/<token>/accept")
@require(session_only=True, workspace=False)
@endpoint("Accept an invitation", response=s.MemberOut, tag=TAG,
          errors=("ALREADY_MEMBER", "LIMIT_EXCEEDED"))
def accept_invitation(token: str) -> Response:
    """`token` is the secret from the invitation link; a verified user may also pass the
    invitation's id from their pending list."""
    if ids.is_valid("invitation", token):
        member = invitations.accept_by_id(token, g.user)
    else:
        member = invitations.accept(token, g.user)
    return ok(member_json(member))


@bp.delete("/workspaces/invitations/<invitation_id>")
@require(session_only=True, workspace=False)
@endpoint("Revoke (admin) or decline (invitee) an invitation", response=s.InvitationOut,
          tag=TAG)
def withdraw_invitation(invitation_id: str) -> Response:
    return ok(invitation_json(invitations.withdraw(invitation_id, g.user)))


# --- API keys ---------------------------------------------------------------------------------

@bp.get("/workspaces/<workspace_id>/api-keys")
@require("api_keys:*", session_only=True, workspace="path")
@endpoint("List API keys", response=s.ApiKeyOut, listing=True, tag=TAG)
def list_api_keys(workspace_id: str) -> Response:
    """Secrets are never listed; `prefix` identifies a key."""
    page = _page()
    rows, total = api_keys.list_keys(g.workspace, page)
    return listing([api_key_json(k) for k in rows], page, total)


@bp.post("/workspaces/<workspace_id>/api-keys")
@require("api_keys:*", session_only=True, workspace="path")
@endpoint("Create an API key", body=s.ApiKeyCreate, response=s.ApiKeyCreatedOut, status=201,
          tag=TAG)
def create_api_key(workspace_id: str, body: s.ApiKeyCreate) -> Response:
    """The secret `key` is in this response only. Scopes default to `["*"]`; a key cannot
    carry a scope your role does not have."""
    key, raw = api_keys.create_api_key(g.workspace, g.user, body.name, body.scopes,
                                       body.expiresAt)
    return created({**api_key_json(key), "key": raw})


@bp.route("/workspaces/<workspace_id>/api-keys/<key_id>", methods=["PUT", "PATCH"])
@require("api_keys:*", session_only=True, workspace="path")
@endpoint("Update, disable or enable an API key", body=s.ApiKeyUpdate, response=s.ApiKeyOut,
          tag=TAG)
def update_api_key(workspace_id: str, key_id: str, body: s.ApiKeyUpdate) -> Response:
    key = api_keys.get_key(g.workspace, key_id)
    data = body.model_dump(include=body.model_fields_set)
    if "expiresAt" in data:
        data["expires_at"] = data.pop("expiresAt")
    return ok(api_key_json(api_keys.update_api_key(g.workspace, g.user, key, data)))


@bp.delete("/workspaces/<workspace_id>/api-keys/<key_id>")
@require("api_keys:*", session_only=True, workspace="path")
@endpoint("Revoke an API key", response=s.DeletedOut, tag=TAG)
def delete_api_key(workspace_id: str, key_id: str) -> Response:
    key = api_keys.get_key(g.workspace, key_id)
    api_keys.delete_api_key(g.workspace, g.user, key)
    return ok({"id": key_id, "deleted": True})

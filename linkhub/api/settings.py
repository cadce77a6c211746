"""/api/settings: the signed-in user's profile, default workspace, e-mail change and password
change. Session only (an API key gets 403). Parse -> services.settings -> envelope."""

from __future__ import annotations

from flask import Blueprint, Response, g

from linkhub import envelope
from linkhub.api.auth import user_out
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.models import User
from linkhub.schemas.accounts import (
    ChangePasswordIn,
    DefaultWorkspaceIn,
    DefaultWorkspaceOut,
    EmailChangeIn,
    EmailChangeOut,
    MessageOut,
    ProfileIn,
    ProfileOut,
    TokenQuery,
)
from linkhub.services import settings

bp = Blueprint("settings", __name__)
TAG = "Settings"
SESSION = ("UNAUTHORIZED", "FORBIDDEN")


def profile_out(user: User) -> dict:
    return {**user_out(user), "defaultWorkspaceId": user.default_workspace.public_id
            if user.default_workspace_id else None}


@bp.get("/settings/profile")
@require(session_only=True, workspace=False)
@endpoint("Your profile", response=ProfileOut, tag=TAG, errors=SESSION)
def get_profile() -> Response:
    return envelope.ok(profile_out(g.user))


@bp.put("/settings/profile")
@require(session_only=True, workspace=False)
@endpoint("Update your name and/or image", body=ProfileIn, response=ProfileOut, tag=TAG,
          errors=SESSION + ("VALIDATION_ERROR",))
def update_profile(body: ProfileIn) -> Response:
    """`image` is an http(s) URL or null; fields you leave out are kept."""
    fields = {name: getattr(body, name) for name in ("name", "image")
              if name in body.model_fields_set}
    return envelope.ok(profile_out(settings.update_profile(g.user, **fields)))


@bp.put("/settings/default-workspace")
@require(session_only=True, workspace=False)
@endpoint("Choose your default workspace", body=DefaultWorkspaceIn,
          response=DefaultWorkspaceOut, tag=TAG,
          errors=SESSION + ("VALIDATION_ERROR", "NOT_FOUND"))
def default_workspace(body: DefaultWorkspaceIn) -> Response:
    """The workspace must exist and you must be a member of it (else 404)."""
    workspace = settings.set_default_workspace(g.user, body.workspaceId)
    return envelope.ok({"defaultWorkspaceId": workspace.public_id})


@bp.post("/settings/request-email-change")
@require(session_only=True, workspace=False)
@endpoint("Ask to change your e-mail address", body=EmailChangeIn, response=EmailChangeOut,
          tag=TAG, errors=SESSION + ("VALIDATION_ERROR", "PASSWORD_REQUIRED",
                                     "INVALID_PASSWORD", "EMAIL_TAKEN", "RATE_LIMITED"))
def request_email_change(body: EmailChangeIn) -> Response:
    """Needs the current password. A confirmation link goes to the new address; the change
    applies when it is opened (GET /api/settings/confirm-email-change or the dashboard)."""
    address = settings.request_email_change(g.user, body.newEmail, body.currentPassword)
    return envelope.ok({"message": f"We sent a confirmation link to {address}.",
                        "newEmail": address})


@bp.get("/settings/confirm-email-change")
@require(session_only=True, workspace=False)
@endpoint("Confirm an e-mail change", query=TokenQuery, response=ProfileOut, tag=TAG,
          errors=SESSION + ("VALIDATION_ERROR", "EMAIL_TAKEN"))
def confirm_email_change(query: TokenQuery) -> Response:
    """Applies the change with the token e-mailed to the new address (it must be yours)."""
    return envelope.ok(profile_out(settings.confirm_email_change(query.token, g.user)))


@bp.post("/settings/change-password")
@require(session_only=True, workspace=False)
@endpoint("Change your password", body=ChangePasswordIn, response=MessageOut, tag=TAG,
          errors=SESSION + ("VALIDATION_ERROR", "PASSWORD_REQUIRED", "INVALID_PASSWORD",
                            "RATE_LIMITED"))
def change_password(body: ChangePasswordIn) -> Response:
    """Every other session of yours ends; this one stays signed in."""
    settings.change_password(g.user, body.currentPassword, body.newPassword,
                             keep=g.session_row)
    return envelope.ok({"message": "Your password was changed."})

"""/api/auth: sign-up, sign-in, sign-out, the current user and session, password reset and
e-mail verification. Parse -> services.accounts / services.sessions -> envelope; no rules here.
"""

from __future__ import annotations

from flask import Blueprint, Response, g

from linkhub import auth, clock, envelope
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.models import Member, User, Workspace
from linkhub.schemas.accounts import (
    AuthOut,
    ForgetPasswordIn,
    MeOut,
    MessageOut,
    ResetPasswordIn,
    SessionOut,
    SignInIn,
    SignUpIn,
    TokenQuery,
    UserOut,
)
from linkhub.services import accounts, sessions

bp = Blueprint("auth", __name__)
TAG = "Auth"
RESET_SENT = "If an account exists for that address, we have sent it a link to reset the password."


def user_out(user: User) -> dict:
    """The one public shape of a user: never a hash, a token or an integer id."""
    return {
        "id": user.public_id,
        "email": user.email,
        "name": user.name,
        "image": user.image,
        "emailVerified": user.email_verified_at is not None,
        "createdAt": clock.iso(user.created_at),
    }


def _workspace_ref(workspace: Workspace, role: str) -> dict:
    return {"id": workspace.public_id, "name": workspace.name, "slug": workspace.slug,
            "role": role}


def _signed_in(user: User, workspace: Workspace | None = None, status: int = 200) -> Response:
    if workspace is None:
        member = auth._membership(user, None)  # the same pick a session request makes
        workspace = member.workspace if member else None
    return envelope.ok({"user": user_out(user), "csrfToken": auth.csrf_token(),
                        "workspaceId": workspace.public_id if workspace else None}, status)


@bp.post("/auth/sign-up/email")
@endpoint("Sign up with e-mail and password", body=SignUpIn, response=AuthOut, status=201,
          tag=TAG, public=True,
          errors=("VALIDATION_ERROR", "SIGNUP_CLOSED", "EMAIL_TAKEN", "RATE_LIMITED"))
def sign_up(body: SignUpIn) -> Response:
    """Creates an unverified user, e-mails a verification link and signs the user in (unless
    LINKHUB_REQUIRE_EMAIL_VERIFICATION is on: then `csrfToken` is null). Open while no user
    exists, with LINKHUB_OPEN_SIGNUP, or with an `inviteToken`. Signing up again with an
    unverified address re-sends the mail and answers 200 `{email, verificationSent}` without
    touching the password; a verified one answers 409 EMAIL_TAKEN."""
    result = accounts.sign_up(body.email, body.password, body.name,
                              invite_token=body.inviteToken, workspace_name=body.workspaceName,
                              ip=g.client_ip)
    if not result.created:
        return envelope.ok({"email": result.user.email, "verificationSent": True})
    if not result.signed_in:
        return envelope.created({"user": user_out(result.user), "csrfToken": None,
                                 "workspaceId": result.workspace.public_id
                                 if result.workspace else None})
    return _signed_in(result.user, result.workspace, 201)


@bp.post("/auth/sign-in/email")
@endpoint("Sign in with e-mail and password", body=SignInIn, response=AuthOut, tag=TAG,
          public=True, errors=("VALIDATION_ERROR", "INVALID_CREDENTIALS", "ACCOUNT_LOCKED",
                               "EMAIL_NOT_VERIFIED", "RATE_LIMITED"))
def sign_in(body: SignInIn) -> Response:
    """Starts a session (cookie) and returns the CSRF token for later session writes. After
    LINKHUB_LOGIN_LOCKOUT_FAILURES wrong passwords in a row the account is locked for
    LINKHUB_LOGIN_LOCKOUT_MINUTES. With LINKHUB_REQUIRE_EMAIL_VERIFICATION on, an unverified
    user with the right password gets 403 EMAIL_NOT_VERIFIED and a fresh verification link."""
    user = accounts.sign_in(body.email, body.password, ip=g.client_ip)
    return _signed_in(user)


def _sign_out() -> Response:
    sessions.end()
    return envelope.ok({"message": "Signed out."})


@bp.post("/auth/logout")
@require(session_only=True, workspace=False)
@endpoint("Sign out", response=MessageOut, tag=TAG, errors=("UNAUTHORIZED", "FORBIDDEN"))
def logout() -> Response:
    """Ends the session: its row is deleted and the cookie cleared. Needs X-CSRF-Token."""
    return _sign_out()


@bp.post("/auth/sign-out")
@require(session_only=True, workspace=False)
@endpoint("Sign out (alias of /auth/logout)", response=MessageOut, tag=TAG,
          errors=("UNAUTHORIZED", "FORBIDDEN"))
def sign_out() -> Response:
    return _sign_out()


@bp.get("/auth/me")
@require(workspace=False)
@endpoint("The current user and their workspaces", response=MeOut, tag=TAG,
          errors=("UNAUTHORIZED",))
def me() -> Response:
    """With a session: every workspace of the user with their role, and the current one (the
    X-Workspace-Id header, else the default). With an API key: the key's workspace."""
    user = g.user
    if g.auth_via == "api_key":
        refs = [_workspace_ref(g.workspace, g.role)]
    else:
        rows = (Member.select(Member, Workspace).join(Workspace).where(Member.user == user)
                .order_by(Workspace.name, Workspace.id))
        refs = [_workspace_ref(m.workspace, m.role) for m in rows]
    current = _workspace_ref(g.workspace, g.role) if g.workspace is not None else None
    default = user.default_workspace.public_id if user and user.default_workspace_id else None
    return envelope.ok({"user": user_out(user) if user else None, "workspaces": refs,
                        "currentWorkspace": current, "defaultWorkspaceId": default,
                        "authVia": g.auth_via})


@bp.get("/auth/session")
@require(session_only=True, workspace=False)
@endpoint("The current session", response=SessionOut, tag=TAG,
          errors=("UNAUTHORIZED", "FORBIDDEN"))
def current_session() -> Response:
    """The signed-in user, when the session expires and its CSRF token (no session id)."""
    return envelope.ok({"user": user_out(g.user), "expiresAt": clock.iso(g.session_row.expires_at),
                        "csrfToken": auth.csrf_token()})


@bp.post("/auth/forget-password")
@endpoint("Start a password reset", body=ForgetPasswordIn, response=MessageOut, tag=TAG,
          public=True, errors=("VALIDATION_ERROR", "RATE_LIMITED"))
def forget_password(body: ForgetPasswordIn) -> Response:
    """E-mails a one-hour reset link when the account exists. The answer is the same either
    way, so it cannot be used to find out who has an account."""
    accounts.request_password_reset(body.email, ip=g.client_ip)
    return envelope.ok({"message": RESET_SENT})


@bp.post("/auth/reset-password")
@endpoint("Set a new password with a reset token", body=ResetPasswordIn, response=MessageOut,
          tag=TAG, public=True, errors=("VALIDATION_ERROR",))
def reset_password(body: ResetPasswordIn) -> Response:
    """Sets the password, uses up the token, ends every session of the user and lifts a
    lockout. A wrong, used or expired token answers 400 on the field `token`."""
    accounts.reset_password(body.token, body.password)
    return envelope.ok({"message": "Your password was changed; sign in with the new one."})


@bp.get("/auth/verify-email")
@endpoint("Verify an e-mail address", query=TokenQuery, response=UserOut, tag=TAG,
          public=True, errors=("VALIDATION_ERROR",))
def verify_email(query: TokenQuery) -> Response:
    """Marks the address verified with the token from the verification e-mail."""
    return envelope.ok(user_out(accounts.verify_email(query.token)))


@bp.post("/auth/resend-verification")
@require(session_only=True, workspace=False)
@endpoint("Send the verification e-mail again", response=MessageOut, tag=TAG,
          errors=("UNAUTHORIZED", "FORBIDDEN", "CONFLICT", "RATE_LIMITED"))
def resend_verification() -> Response:
    accounts.resend_verification(g.user)
    return envelope.ok({"message": f"We sent a new verification link to {g.user.email}."})

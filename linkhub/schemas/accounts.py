"""Request and response models of /api/auth and /api/settings. Shapes only: the rules (password
strength, e-mail syntax, who may sign up) are in services/accounts.py and services/settings.py.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from linkhub.schemas import ApiModel, OutModel

# Passwords are taken exactly as typed: stripping them would make the API and the dashboard
# disagree about what was set.
Password = Annotated[str, StringConstraints(strip_whitespace=False, max_length=4096)]
Email = Annotated[str, Field(max_length=320, examples=["alice@example.com"])]
Token = Annotated[str, Field(min_length=1, max_length=200)]


class SignUpIn(ApiModel):
    email: Email
    password: Password
    name: str | None = Field(None, max_length=200)
    inviteToken: str | None = Field(None, max_length=200,
                                    description="Token of an invitation (opens closed sign-up).")
    workspaceName: str | None = Field(
        None, description="Name of the first user's workspace on an empty install.")


class SignInIn(ApiModel):
    email: Email
    password: Password


class ForgetPasswordIn(ApiModel):
    email: Email


class ResetPasswordIn(ApiModel):
    token: Token
    password: Password


class TokenQuery(ApiModel):
    token: Token


class ProfileIn(ApiModel):
    name: str | None = Field(None, description="Display name (null or \"\" clears it).")
    image: str | None = Field(None, description="http(s) URL of an avatar, or null.")


class DefaultWorkspaceIn(ApiModel):
    workspaceId: str = Field(max_length=40)


class EmailChangeIn(ApiModel):
    newEmail: Email
    currentPassword: Password | None = None


class ChangePasswordIn(ApiModel):
    currentPassword: Password | None = None
    newPassword: Password


class UserOut(OutModel):
    id: str
    email: str
    name: str
    image: str | None
    emailVerified: bool
    createdAt: str


class ProfileOut(UserOut):
    defaultWorkspaceId: str | None


class AuthOut(OutModel):
    user: UserOut
    csrfToken: str | None = Field(description="Send it as X-CSRF-Token on session writes; "
                                              "null when the user must verify first.")
    workspaceId: str | None


class SignUpResentOut(OutModel):
    email: str
    verificationSent: bool


class WorkspaceRef(OutModel):
    id: str
    name: str
    slug: str
    role: str


class MeOut(OutModel):
    user: UserOut | None
    workspaces: list[WorkspaceRef]
    currentWorkspace: WorkspaceRef | None
    defaultWorkspaceId: str | None
    authVia: str


class SessionOut(OutModel):
    user: UserOut
    expiresAt: str
    csrfToken: str


class MessageOut(OutModel):
    message: str


class DefaultWorkspaceOut(OutModel):
    defaultWorkspaceId: str


class EmailChangeOut(OutModel):
    message: str
    newEmail: str

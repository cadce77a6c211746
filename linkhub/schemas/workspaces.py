"""Request and response models for workspaces, members, invitations and API keys. They check
shapes and types only; the rules (roles, limits, expiry) live in services/."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import field_validator
from pydantic_core import PydanticCustomError

from linkhub import clock
from linkhub.schemas import ApiModel, OutModel


def _iso_datetime(value: Any) -> Any:
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("iso_datetime", "must be an ISO 8601 date-time string")
    try:
        return clock.parse_iso(value)
    except ValueError:
        raise PydanticCustomError("iso_datetime", "must be an ISO 8601 date-time") from None


# --- requests ---------------------------------------------------------------------------------

class WorkspaceCreate(ApiModel):
    name: str | None = None


class WorkspaceUpdate(ApiModel):
    """Send only what changes; `logo: null` removes the logo."""

    name: str | None = None
    logo: str | None = None
    timezone: str | None = None


class OwnershipTransfer(ApiModel):
    """The new owner, by member id or user id; they must already be a member."""

    memberId: str | None = None
    userId: str | None = None


class MemberUpdate(ApiModel):
    role: str | None = None


class InvitationCreate(ApiModel):
    email: str | None = None
    role: str = "editor"


class ApiKeyCreate(ApiModel):
    name: str | None = None
    scopes: list[str] | None = None
    expiresAt: datetime | None = None

    @field_validator("expiresAt", mode="before")
    @classmethod
    def parse_expiry(cls, value: Any) -> Any:
        return _iso_datetime(value)


class ApiKeyUpdate(ApiModel):
    """Send only what changes; `enabled: false` disables the key, `expiresAt: null` clears it."""

    name: str | None = None
    scopes: list[str] | None = None
    enabled: bool | None = None
    expiresAt: datetime | None = None

    @field_validator("expiresAt", mode="before")
    @classmethod
    def parse_expiry(cls, value: Any) -> Any:
        return _iso_datetime(value)


# --- responses --------------------------------------------------------------------------------

class UserRef(OutModel):
    id: str
    email: str
    name: str


class WorkspaceRef(OutModel):
    id: str
    name: str


class WorkspaceOut(OutModel):
    id: str
    name: str
    slug: str
    logo: str | None
    timezone: str
    plan: str
    role: str | None
    createdAt: str
    updatedAt: str


class MemberOut(OutModel):
    id: str
    workspaceId: str
    userId: str
    email: str
    name: str
    role: str
    joinedAt: str


class InvitationOut(OutModel):
    id: str
    workspace: WorkspaceRef
    email: str
    role: str
    status: str
    expiresAt: str
    createdAt: str
    invitedBy: UserRef | None


class InvitationCreatedOut(InvitationOut):
    inviteUrl: str


class ApiKeyOut(OutModel):
    id: str
    name: str
    prefix: str
    scopes: list[str]
    enabled: bool
    expiresAt: str | None
    lastUsedAt: str | None
    createdAt: str
    updatedAt: str
    createdBy: UserRef | None


class ApiKeyCreatedOut(ApiKeyOut):
    key: str


class UsageOut(OutModel):
    members: int
    pendingInvitations: int
    apiKeys: int


class DeletedOut(OutModel):
    id: str
    deleted: bool

"""Workspaces, their members, invitations and API keys."""

import peewee

from linkhub import clock
from linkhub.db import JSONField, TimestampedModel
from linkhub.models.accounts import User

ROLES = ("owner", "admin", "editor", "viewer")


class Workspace(TimestampedModel):
    name = peewee.CharField(max_length=100)
    slug = peewee.CharField(max_length=64, unique=True)
    logo = peewee.CharField(max_length=2048, null=True)
    timezone = peewee.CharField(max_length=64, default="UTC")
    plan = peewee.CharField(max_length=32, default="self-hosted")
    # privacy switches (decisions §5.12) and attribution
    store_ip = peewee.BooleanField(default=True)  # truncated IP + keyed hash, never the raw one
    store_user_agent = peewee.BooleanField(default=True)
    store_referrer = peewee.BooleanField(default=True)
    click_retention_days = peewee.IntegerField(null=True)  # null keeps raw clicks forever
    attribution_window_days = peewee.IntegerField(default=30)


class Member(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="members")
    user = peewee.ForeignKeyField(User, on_delete="CASCADE", backref="memberships")
    role = peewee.CharField(max_length=16)

    class Meta:
        indexes = ((("workspace", "user"), True),)


class Invitation(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="invitations")
    email = peewee.CharField(max_length=254, index=True)
    role = peewee.CharField(max_length=16)
    token_hash = peewee.CharField(max_length=64, unique=True)
    invited_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    expires_at = peewee.DateTimeField()
    accepted_at = peewee.DateTimeField(null=True)
    revoked_at = peewee.DateTimeField(null=True)


class ApiKey(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="api_keys")
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    name = peewee.CharField(max_length=100)
    lookup = peewee.CharField(max_length=16, index=True)
    key_hash = peewee.CharField(max_length=64, unique=True)
    scopes = JSONField(default=list)
    enabled = peewee.BooleanField(default=True)
    expires_at = peewee.DateTimeField(null=True)
    last_used_at = peewee.DateTimeField(null=True)
    last_used_ip = peewee.CharField(max_length=64, null=True)

    def is_usable(self) -> bool:
        return self.enabled and (self.expires_at is None or self.expires_at > clock.now())


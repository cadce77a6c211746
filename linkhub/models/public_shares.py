"""Public stats shares (one per link or campaign: the `/s/<token>` page with the metrics the
owner chose) and embed tokens (`/embed/<token>` widgets scoped to a link, a campaign or the
workspace). Tokens are stored as is: they sit in public URLs and the dashboard shows them."""

import peewee

from linkhub import clock
from linkhub.db import BaseModel, JSONField, TimestampedModel
from linkhub.models.accounts import User
from linkhub.models.campaigns import Campaign
from linkhub.models.links import Link
from linkhub.models.workspaces import Workspace


class PublicShare(BaseModel):
    """Exactly one of `link` / `campaign` is set (services/public_shares.py sees to it)."""

    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="public_shares")
    link = peewee.ForeignKeyField(Link, null=True, unique=True, on_delete="CASCADE")
    campaign = peewee.ForeignKeyField(Campaign, null=True, unique=True, on_delete="CASCADE")
    token = peewee.CharField(max_length=64, unique=True)
    metrics = JSONField(default=list)  # canonical names, see services/public_shares.METRICS
    enabled = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=clock.now)
    updated_at = peewee.DateTimeField(default=clock.now)
    rotated_at = peewee.DateTimeField(null=True)


class EmbedToken(TimestampedModel):
    """A widget (`stats` | `timeseries` | `top_referrers`) over a link, a campaign or (both
    null) the whole workspace. Revoked tokens keep their row for the audit trail."""

    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="embed_tokens")
    name = peewee.CharField(max_length=100)
    token = peewee.CharField(max_length=64, unique=True)
    widget = peewee.CharField(max_length=16)
    link = peewee.ForeignKeyField(Link, null=True, on_delete="CASCADE")
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="CASCADE")
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    revoked_at = peewee.DateTimeField(null=True)
    rotated_at = peewee.DateTimeField(null=True)
    last_used_at = peewee.DateTimeField(null=True)

"""Publishable keys (`lh_pub_…`): client-safe keys that browsers and apps send to the client
tracking endpoints, with the origins allowed to use them. The key is public by design (it sits
in every page that loads the snippet), so it is stored as is, not hashed."""

import peewee

from linkhub.db import JSONField, TimestampedModel
from linkhub.models.accounts import User
from linkhub.models.workspaces import Workspace


class PublishableKey(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE",
                                       backref="publishable_keys")
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    name = peewee.CharField(max_length=100)
    key = peewee.CharField(max_length=64, unique=True)
    # normalised patterns: exact "https://shop.example", wildcard "*.example.com" (any of
    # http/https) or "https://*.example.com"; see services/publishable_keys.py
    allowed_origins = JSONField(default=list)
    enabled = peewee.BooleanField(default=True)
    last_used_at = peewee.DateTimeField(null=True)
    rotated_at = peewee.DateTimeField(null=True)

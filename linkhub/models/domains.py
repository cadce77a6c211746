"""Custom short domains: verification state and per-domain redirect fallbacks and app files."""

import peewee

from linkhub.db import JSONField, TimestampedModel
from linkhub.models.workspaces import Workspace


class Domain(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="domains")
    name = peewee.CharField(max_length=253, unique=True)  # lower-case host name
    verified = peewee.BooleanField(default=False)
    verified_at = peewee.DateTimeField(null=True)
    verification_token = peewee.CharField(max_length=64)
    last_checked_at = peewee.DateTimeField(null=True)
    last_check_error = peewee.TextField(null=True)
    not_found_url = peewee.CharField(max_length=2048, null=True)
    expired_url = peewee.CharField(max_length=2048, null=True)
    root_url = peewee.CharField(max_length=2048, null=True)
    case_sensitive = peewee.BooleanField(default=True)
    apple_app_site_association = JSONField(null=True)
    asset_links = JSONField(null=True)

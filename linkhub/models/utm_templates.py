"""Reusable UTM parameter sets applied to links."""

import peewee

from linkhub.db import TimestampedModel
from linkhub.models.workspaces import Workspace


class UtmTemplate(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="utm_templates")
    name = peewee.CharField(max_length=100)
    utm_source = peewee.CharField(max_length=255, null=True)
    utm_medium = peewee.CharField(max_length=255, null=True)
    utm_campaign = peewee.CharField(max_length=255, null=True)
    utm_term = peewee.CharField(max_length=255, null=True)
    utm_content = peewee.CharField(max_length=255, null=True)
    ref = peewee.CharField(max_length=255, null=True)

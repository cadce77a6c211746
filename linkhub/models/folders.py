"""Folders (nestable) that organise links."""

import peewee

from linkhub.db import TimestampedModel
from linkhub.models.workspaces import Workspace


class Folder(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="folders")
    parent = peewee.ForeignKeyField("self", null=True, on_delete="CASCADE", backref="children")
    name = peewee.CharField(max_length=100)
    color = peewee.CharField(max_length=16, null=True)

"""Tags (names unique per workspace, case-blind); the link junction lives with links."""

import peewee

from linkhub.db import TimestampedModel
from linkhub.models.workspaces import Workspace


class Tag(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="tags")
    name = peewee.CharField(max_length=64)
    name_key = peewee.CharField(max_length=64)  # lower-cased, unique per workspace
    color = peewee.CharField(max_length=16, null=True)

    class Meta:
        indexes = ((("workspace", "name_key"), True),)


"""The audit log: every write made through the API or the dashboard, with actor and resource."""

import peewee

from linkhub import clock
from linkhub.db import BaseModel, JSONField
from linkhub.models.accounts import User
from linkhub.models.workspaces import ApiKey, Workspace


class AuditLog(BaseModel):
    workspace = peewee.ForeignKeyField(Workspace, null=True, on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    api_key = peewee.ForeignKeyField(ApiKey, null=True, on_delete="SET NULL")
    action = peewee.CharField(max_length=64)  # e.g. "workspace.update", "member.remove"
    resource_type = peewee.CharField(max_length=32)
    resource_id = peewee.CharField(max_length=40, null=True)
    details = JSONField(null=True)
    ip = peewee.CharField(max_length=64, null=True)
    created_at = peewee.DateTimeField(default=clock.now, index=True)

"""Asynchronous bulk link operations (`op_…`) and their per-row results. The input rows live on
the operation (JSON); the results are a child table, one row per processed item, written in the
same transaction as the item's links and the operation's cursor. Only services/bulk*.py write."""

import peewee

from linkhub.db import BaseModel, JSONField, TimestampedModel
from linkhub.models.accounts import User
from linkhub.models.workspaces import Workspace


class BulkOperation(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="bulk_operations",
                                       index=False)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    action = peewee.CharField(max_length=16)  # create | update | delete
    dry_run = peewee.BooleanField(default=False)  # the validate routes: per-row checks, no writes
    status = peewee.CharField(max_length=16, default="pending")
    # pending | processing | completed | failed | cancelled (decisions §8)
    total = peewee.IntegerField(default=0)
    processed = peewee.IntegerField(default=0)
    succeeded = peewee.IntegerField(default=0)
    failed = peewee.IntegerField(default=0)
    items = JSONField()  # the input rows as sent (link objects, or link ids for delete)
    cursor = peewee.IntegerField(default=0)  # index of the next item: the resume point
    attempts = peewee.IntegerField(default=0)  # runs that stopped on an unexpected error
    error = peewee.TextField(null=True)
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("workspace", "created_at"), False),
            (("status", "created_at"), False),
        )


class BulkOperationResult(BaseModel):
    """One processed item: success, the link it made or touched, or its error."""

    operation = peewee.ForeignKeyField(BulkOperation, on_delete="CASCADE", backref="results",
                                       index=False)
    index = peewee.IntegerField()  # position of the item in the operation's input
    success = peewee.BooleanField()
    link_public_id = peewee.CharField(max_length=40, null=True)
    error_code = peewee.CharField(max_length=32, null=True)
    error = JSONField(null=True)  # {"message", "details": [{field, message}]}

    class Meta:
        indexes = ((("operation", "index"), True),)

"""Exports: one row per requested file (type, format, filters, columns) and the progress the
`exports` job keeps in it (status, rows written, the last primary key written, the committed
size of the temp file), so a run killed halfway is finished by the next. Only
services/exports.py and services/export_jobs.py write these rows."""

import peewee

from linkhub.db import JSONField, TimestampedModel
from linkhub.models.accounts import User
from linkhub.models.workspaces import Workspace


class Export(TimestampedModel):
    """status: pending | processing | completed | failed | cancelled | expired (decisions §8,
    plus `expired` once the file is deleted). `file_path` is relative to the data dir."""

    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="exports",
                                       index=False)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    type = peewee.CharField(max_length=16)  # links | clicks | conversions | customers | events
    format = peewee.CharField(max_length=8)  # csv | json | xlsx
    filters = JSONField(default=dict)
    columns = JSONField(default=list)  # the chosen columns, in file order
    status = peewee.CharField(max_length=16, default="pending", index=True)
    rows_written = peewee.BigIntegerField(default=0)
    cursor = peewee.BigIntegerField(default=0)  # last primary key written: the resume point
    size_bytes = peewee.BigIntegerField(default=0)  # committed bytes (processing), file size
    file_path = peewee.CharField(max_length=1024, null=True)
    error = peewee.CharField(max_length=500, null=True)
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)
    expires_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("workspace", "created_at"), False),)

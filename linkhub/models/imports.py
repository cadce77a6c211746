"""Import jobs (CSV, our JSON bundle, Bitly/Rebrandly/Short.io) and their per-row report.
A job keeps its progress in its own row (`cursor`, counters) so a killed run resumes; the
uploaded data lives in a file under the data directory, never in a row."""

import peewee

from linkhub.db import BaseModel, JSONField, TimestampedModel
from linkhub.models.accounts import User
from linkhub.models.workspaces import Workspace


class ImportJob(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="import_jobs",
                                        index=False)  # (workspace, created_at) covers it
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    source = peewee.CharField(max_length=16)  # csv | json | bitly | rebrandly | shortio
    status = peewee.CharField(max_length=16, default="pending")  # see services/imports.py
    mapping = JSONField(null=True)  # CSV/JSON rows: our field -> column (resolved at upload)
    options = JSONField(default=dict)  # source options (never the access token)
    total = peewee.IntegerField(null=True)  # rows in the file; null while a provider pages
    processed = peewee.IntegerField(default=0)
    created_count = peewee.IntegerField(default=0)
    skipped_count = peewee.IntegerField(default=0)
    failed_count = peewee.IntegerField(default=0)
    cursor = peewee.TextField(null=True)  # resume point: row index, or a provider page cursor
    file_path = peewee.CharField(max_length=500, null=True)  # relative to the data directory
    file_name = peewee.CharField(max_length=255, null=True)  # as uploaded (shown only)
    token_encrypted = peewee.TextField(null=True)  # Fernet; deleted when the job ends
    error = peewee.TextField(null=True)
    started_at = peewee.DateTimeField(null=True)
    finished_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("workspace", "created_at"), False),
            (("status", "created_at"), False),
        )


class ImportRowError(BaseModel):
    """One skipped or failed row: the error report is rendered from these rows, written in the
    same transaction as the chunk they belong to (so a resumed job reports every row once)."""

    job = peewee.ForeignKeyField(ImportJob, on_delete="CASCADE", backref="row_errors",
                                 index=False)  # (job, row) covers it
    row = peewee.IntegerField()  # 1 = the first data row (after the CSV header)
    result = peewee.CharField(max_length=8)  # skipped | failed
    short_code = peewee.CharField(max_length=255, null=True)
    field = peewee.CharField(max_length=64, null=True)
    message = peewee.CharField(max_length=1000)

    class Meta:
        indexes = ((("job", "row"), False),)

"""Stored first responses for `Idempotency-Key` POST creates (kept 24 h)."""

import peewee

from linkhub import clock
from linkhub.db import BaseModel


class IdempotencyRecord(BaseModel):
    principal = peewee.CharField(max_length=64)  # "key:<id>" | "user:<id>" | "ip:<addr>"
    key = peewee.CharField(max_length=255)
    method = peewee.CharField(max_length=8)
    path = peewee.CharField(max_length=2048)
    body_hash = peewee.CharField(max_length=64)
    status_code = peewee.IntegerField(null=True)  # null while the first request runs
    response_body = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=clock.now, index=True)

    class Meta:
        indexes = ((("principal", "key"), True),)

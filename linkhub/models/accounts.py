"""Users, their server-side sessions, one-time tokens (reset, verify, e-mail change) and the
outbound e-mail log."""

import peewee

from linkhub import clock
from linkhub.db import BaseModel, JSONField, TimestampedModel


class User(TimestampedModel):
    email = peewee.CharField(max_length=254, unique=True)  # stored lower-cased
    name = peewee.CharField(max_length=200, default="")
    image = peewee.CharField(max_length=2048, null=True)
    password_hash = peewee.CharField(max_length=255, null=True)
    email_verified_at = peewee.DateTimeField(null=True)
    default_workspace = peewee.DeferredForeignKey("Workspace", null=True, on_delete="SET NULL")
    failed_logins = peewee.IntegerField(default=0)
    locked_until = peewee.DateTimeField(null=True)
    last_login_at = peewee.DateTimeField(null=True)


class UserSession(BaseModel):
    token_hash = peewee.CharField(max_length=64, unique=True)
    user = peewee.ForeignKeyField(User, on_delete="CASCADE", backref="sessions")
    created_at = peewee.DateTimeField(default=clock.now)
    expires_at = peewee.DateTimeField()
    last_seen_at = peewee.DateTimeField(default=clock.now)
    ip = peewee.CharField(max_length=64, null=True)
    user_agent = peewee.CharField(max_length=512, null=True)


class OneTimeToken(BaseModel):
    token_hash = peewee.CharField(max_length=64, unique=True)
    user = peewee.ForeignKeyField(User, on_delete="CASCADE", backref="tokens")
    purpose = peewee.CharField(max_length=32)  # reset_password | verify_email | change_email
    payload = JSONField(null=True)
    created_at = peewee.DateTimeField(default=clock.now)
    expires_at = peewee.DateTimeField()
    used_at = peewee.DateTimeField(null=True)


class EmailLog(BaseModel):
    user = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    workspace = peewee.DeferredForeignKey("Workspace", null=True, on_delete="SET NULL")
    kind = peewee.CharField(max_length=48)
    to_address = peewee.CharField(max_length=254)
    subject = peewee.CharField(max_length=300)
    body_text = peewee.TextField()
    status = peewee.CharField(max_length=16, default="logged")  # logged|queued|sent|failed
    error = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=clock.now)
    sent_at = peewee.DateTimeField(null=True)
    # SMTP tries so far, and when the `email-retry` job should try again (null: never)
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "next_attempt_at"), False),)

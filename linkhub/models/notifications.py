"""In-app notifications (one row per recipient), each user's per-kind delivery preferences, and
the feedback members send from the dashboard. Only services/notifications.py and
services/feedback.py write here."""

import peewee

from linkhub import clock
from linkhub.db import BaseModel
from linkhub.models.accounts import User
from linkhub.models.workspaces import Workspace


class Notification(BaseModel):
    public_id = peewee.CharField(max_length=40, unique=True)
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE")
    # the recipient; indexed by the composite (user, workspace, ...) indexes below
    user = peewee.ForeignKeyField(User, on_delete="CASCADE", index=False)
    kind = peewee.CharField(max_length=48)  # webhook_disabled | export_ready | ...
    title = peewee.CharField(max_length=200)
    body = peewee.TextField(default="")
    url = peewee.CharField(max_length=2048, null=True)
    read_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        indexes = (
            (("user", "workspace", "created_at"), False),
            (("user", "workspace", "read_at"), False),
        )


class NotificationPreference(BaseModel):
    """A user's choice for one kind; kinds without a row use the defaults in the service."""

    user = peewee.ForeignKeyField(User, on_delete="CASCADE", index=False)
    kind = peewee.CharField(max_length=48)
    in_app = peewee.BooleanField(default=True)
    email = peewee.BooleanField(default=False)
    updated_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("user", "kind"), True),)


class Feedback(BaseModel):
    public_id = peewee.CharField(max_length=40, unique=True)
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", index=False)
    user = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    kind = peewee.CharField(max_length=16)  # bug | idea | praise | other
    message = peewee.TextField()
    page = peewee.CharField(max_length=2048, null=True)
    rating = peewee.SmallIntegerField(null=True)  # 1-5
    status = peewee.CharField(max_length=16, default="new")
    created_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("workspace", "created_at"), False),)

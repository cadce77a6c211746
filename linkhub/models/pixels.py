"""Managed pixels (`px_…`: a 1×1 GIF or beacon URL with captured parameters, an optional fire
limit and expiry, and conversion on fire) and their fires, including fires of campaign pixel
codes (`lw_px_…`, recorded with no pixel). Only services/pixel_fires.py inserts fires."""

import peewee

from linkhub import clock
from linkhub.db import BaseModel, JSONField, TimestampedModel
from linkhub.models.campaigns import Campaign
from linkhub.models.links import Link
from linkhub.models.workspaces import Workspace


class Pixel(TimestampedModel):
    # workspace is indexed by the composite (workspace, created_at) index below
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="pixels",
                                       index=False)
    name = peewee.CharField(max_length=200)
    description = peewee.TextField(null=True)
    event_name = peewee.CharField(max_length=64, null=True)
    capture_params = JSONField(default=list)  # parameter names recorded on every fire
    conversion_tracking = peewee.BooleanField(default=False)
    enabled = peewee.BooleanField(default=True)
    expires_at = peewee.DateTimeField(null=True)
    fires_limit = peewee.IntegerField(null=True)
    fires = peewee.IntegerField(default=0)  # human fires recorded (bots never count)
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="SET NULL",
                                      backref="pixels")
    link = peewee.ForeignKeyField(Link, null=True, on_delete="SET NULL", backref="pixels")
    last_fired_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("workspace", "created_at"), False),)


class PixelFire(BaseModel):
    """One recorded fire. `pixel` is null when a campaign pixel code fired; the IP, user agent
    and referrer columns honour the workspace's privacy switches."""

    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", index=False)
    pixel = peewee.ForeignKeyField(Pixel, null=True, on_delete="CASCADE", backref="fire_rows",
                                   index=False)
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="SET NULL", index=False)
    created_at = peewee.DateTimeField(default=clock.now)
    transport = peewee.CharField(max_length=8, default="gif")  # gif | beacon
    params = JSONField(null=True)  # the captured parameter values
    click_public_id = peewee.CharField(max_length=40, null=True)
    conversion_public_id = peewee.CharField(max_length=40, null=True)
    conversion_error = peewee.CharField(max_length=255, null=True)
    ip_truncated = peewee.CharField(max_length=45, null=True)
    ip_hash = peewee.CharField(max_length=64, null=True)
    user_agent = peewee.CharField(max_length=1024, null=True)
    referrer = peewee.CharField(max_length=2048, null=True)
    bot = peewee.BooleanField(default=False)

    class Meta:
        indexes = (
            (("pixel", "created_at"), False),
            (("campaign", "created_at"), False),
            (("workspace", "created_at"), False),
        )

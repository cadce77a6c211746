"""QR codes: per-link render settings (size, format, error correction, colours, an optional
uploaded logo) and each code's own signing salt. Scans are not stored here: they are clicks
with trigger `qr`, counted by the click writer's rollups."""

import peewee

from linkhub.db import TimestampedModel
from linkhub.models.links import Link
from linkhub.models.workspaces import Workspace


class QrCode(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", index=False)
    link = peewee.ForeignKeyField(Link, on_delete="CASCADE", backref="qr_codes", index=False)
    name = peewee.CharField(max_length=100)
    name_key = peewee.CharField(max_length=100)  # lower-cased name: unique per link
    size = peewee.IntegerField(default=512)  # pixels, square
    format = peewee.CharField(max_length=4, default="png")  # png | svg
    error_correction = peewee.CharField(max_length=1, default="M")  # L | M | Q | H
    foreground_color = peewee.CharField(max_length=7, default="#000000")
    background_color = peewee.CharField(max_length=7, default="#ffffff")
    logo_mime = peewee.CharField(max_length=32, null=True)  # image/png | image/jpeg | image/svg+xml
    logo_data = peewee.BlobField(null=True)  # decoded bytes, never a URL
    logo_size = peewee.IntegerField(null=True)  # bytes of logo_data (lists skip the blob)
    signing_salt = peewee.CharField(max_length=64)  # this code's own signature material

    class Meta:
        indexes = (
            (("link", "name_key"), True),
            (("workspace", "created_at"), False),
        )

"""Raw click events, per-link unique visitors, hourly rollups per dimension, and orphan visits.
Only the click writer inserts here; analytics read rollups for ranges."""

import peewee

from linkhub import clock
from linkhub.db import BaseModel
from linkhub.models.domains import Domain
from linkhub.models.links import Link
from linkhub.models.rules import Rule
from linkhub.models.workspaces import Workspace


class Click(BaseModel):
    # workspace and link are indexed by the composite (…, created_at) indexes below
    public_id = peewee.CharField(max_length=40, unique=True)
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", index=False)
    link = peewee.ForeignKeyField(Link, on_delete="CASCADE", backref="click_rows", index=False)
    rule = peewee.ForeignKeyField(Rule, null=True, on_delete="SET NULL")
    created_at = peewee.DateTimeField(default=clock.now)
    trigger = peewee.CharField(max_length=16, default="link")  # link | qr | deeplink
    method = peewee.CharField(max_length=8, default="GET")
    bot = peewee.BooleanField(default=False)
    is_crawler = peewee.BooleanField(default=False)
    is_preview = peewee.BooleanField(default=False)
    is_unique = peewee.BooleanField(default=False)
    visitor_id = peewee.CharField(max_length=64, null=True)
    destination_url = peewee.CharField(max_length=4096, null=True)
    country = peewee.CharField(max_length=2, null=True)
    region = peewee.CharField(max_length=100, null=True)
    city = peewee.CharField(max_length=100, null=True)
    device_type = peewee.CharField(max_length=16, null=True)
    os = peewee.CharField(max_length=32, null=True)
    os_version = peewee.CharField(max_length=32, null=True)
    browser = peewee.CharField(max_length=64, null=True)
    browser_version = peewee.CharField(max_length=32, null=True)
    device_brand = peewee.CharField(max_length=64, null=True)
    language = peewee.CharField(max_length=35, null=True)
    referrer = peewee.CharField(max_length=2048, null=True)
    referrer_domain = peewee.CharField(max_length=253, null=True)
    utm_source = peewee.CharField(max_length=255, null=True)
    utm_medium = peewee.CharField(max_length=255, null=True)
    utm_campaign = peewee.CharField(max_length=255, null=True)
    utm_term = peewee.CharField(max_length=255, null=True)
    utm_content = peewee.CharField(max_length=255, null=True)
    ip_truncated = peewee.CharField(max_length=45, null=True)
    ip_hash = peewee.CharField(max_length=64, null=True)
    user_agent = peewee.CharField(max_length=1024, null=True)

    class Meta:
        indexes = (
            (("link", "created_at"), False),
            (("workspace", "created_at"), False),
        )


class LinkVisitor(BaseModel):
    """First sighting of a visitor on a link: what makes a click unique."""

    link = peewee.ForeignKeyField(Link, on_delete="CASCADE", index=False)
    visitor_id = peewee.CharField(max_length=64)
    first_seen_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("link", "visitor_id"), True),)


class ClickRollup(BaseModel):
    """Hourly counts per link and combination of dimension values: one row per (link, hour,
    country, device, os, browser, referrer, rule, trigger), so a click adds to ONE row. A
    dimension's breakdown is a GROUP BY over its column and the total the sum of the rows
    (`column`/`matches` below). Unknown values are stored as the words in UNKNOWN. Kept when
    raw clicks expire."""

    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", index=False)
    link = peewee.ForeignKeyField(Link, on_delete="CASCADE", index=False)
    hour = peewee.DateTimeField()
    country = peewee.CharField(max_length=255)
    device = peewee.CharField(max_length=255)
    os = peewee.CharField(max_length=255)
    browser = peewee.CharField(max_length=255)
    referrer = peewee.CharField(max_length=255)
    rule = peewee.CharField(max_length=255)
    trigger = peewee.CharField(max_length=255)
    clicks = peewee.IntegerField(default=0)
    unique_clicks = peewee.IntegerField(default=0)
    bot_clicks = peewee.IntegerField(default=0)

    DIMENSIONS = ("country", "device", "os", "browser", "referrer", "rule", "trigger")
    UNKNOWN = {"country": "unknown", "device": "unknown", "os": "unknown",
               "browser": "unknown", "referrer": "direct", "rule": "default",
               "trigger": "link"}

    class Meta:
        indexes = (
            (("link", "hour", "country", "device", "os", "browser", "referrer", "rule",
              "trigger"), True),
            (("workspace", "hour"), False),
        )

    @classmethod
    def column(cls, dimension: str) -> peewee.Field | None:
        """The column holding a dimension's value; None for `total` (every row counts)."""
        if dimension == "total":
            return None
        if dimension not in cls.DIMENSIONS:
            raise ValueError(f"unknown rollup dimension {dimension!r}")
        return getattr(cls, dimension)

    @classmethod
    def matches(cls, dimension: str, value: str | None = None) -> peewee.Expression:
        """A WHERE term: the rows of that dimension value (every row for `total`)."""
        column = cls.column(dimension)
        if column is None or value is None:
            return peewee.SQL("1 = 1")
        return column == value


class WorkspaceRollup(BaseModel):
    """Hourly counts per workspace, dimension and value (`total`/`all`, then ClickRollup's
    dimensions one row each): workspace-wide ranges read a few rows per hour, not every
    link's."""

    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", index=False)
    hour = peewee.DateTimeField()
    dimension = peewee.CharField(max_length=16)
    value = peewee.CharField(max_length=255)
    clicks = peewee.IntegerField(default=0)
    unique_clicks = peewee.IntegerField(default=0)
    bot_clicks = peewee.IntegerField(default=0)

    class Meta:
        indexes = ((("workspace", "hour", "dimension", "value"), True),)


class OrphanVisit(BaseModel):
    """A visit to a code that resolves to no live link (unknown, disabled, archived, deleted)."""

    workspace = peewee.ForeignKeyField(Workspace, null=True, on_delete="CASCADE")
    domain = peewee.ForeignKeyField(Domain, null=True, on_delete="CASCADE")
    host = peewee.CharField(max_length=253)
    path = peewee.CharField(max_length=2048)
    reason = peewee.CharField(max_length=16)  # unknown | disabled | archived | deleted
    created_at = peewee.DateTimeField(default=clock.now, index=True)
    referrer = peewee.CharField(max_length=2048, null=True)
    user_agent = peewee.CharField(max_length=1024, null=True)
    ip_truncated = peewee.CharField(max_length=45, null=True)
    bot = peewee.BooleanField(default=False)

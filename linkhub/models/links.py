"""Short links: destination, routing behaviour, protection, deep links, OG preview, UTM fields
and the counters the click writer maintains. Soft delete frees the code at once."""

import peewee

from linkhub.db import BaseModel, TimestampedModel
from linkhub.models.accounts import User
from linkhub.models.campaigns import Campaign
from linkhub.models.domains import Domain
from linkhub.models.folders import Folder
from linkhub.models.tags import Tag
from linkhub.models.utm_templates import UtmTemplate
from linkhub.models.workspaces import Workspace


class Link(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="links")
    domain = peewee.ForeignKeyField(Domain, null=True, on_delete="SET NULL", backref="links")
    domain_key = peewee.IntegerField(default=0)  # domain id, 0 = the default domain
    short_code = peewee.CharField(max_length=64)
    code_key = peewee.CharField(max_length=64)  # short_code, lower-cased on case-blind domains
    destination_url = peewee.CharField(max_length=2048, null=True)
    title = peewee.CharField(max_length=500, null=True)
    description = peewee.TextField(null=True)
    notes = peewee.TextField(null=True)
    external_id = peewee.CharField(max_length=255, null=True)
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="SET NULL", backref="links")
    folder = peewee.ForeignKeyField(Folder, null=True, on_delete="SET NULL", backref="links")
    utm_template = peewee.ForeignKeyField(UtmTemplate, null=True, on_delete="SET NULL")
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")
    enabled = peewee.BooleanField(default=True)
    archived_at = peewee.DateTimeField(null=True)
    deleted_at = peewee.DateTimeField(null=True)
    expires_at = peewee.DateTimeField(null=True)
    clicks_limit = peewee.IntegerField(null=True)
    password_hash = peewee.CharField(max_length=255, null=True)
    redirect_behavior = peewee.CharField(max_length=16, default="auto")
    redirect_type = peewee.IntegerField(default=302)
    expired_url = peewee.CharField(max_length=2048, null=True)
    deep_link_enabled = peewee.BooleanField(default=False)
    deep_link_ios = peewee.CharField(max_length=2048, null=True)
    deep_link_android = peewee.CharField(max_length=2048, null=True)
    deep_link_fallback_url = peewee.CharField(max_length=2048, null=True)
    conversion_tracking = peewee.BooleanField(default=False)
    tracking_type = peewee.CharField(max_length=8, default="pixel")  # pixel | s2s
    og_title = peewee.CharField(max_length=300, null=True)
    og_description = peewee.CharField(max_length=1000, null=True)
    og_image = peewee.CharField(max_length=2048, null=True)
    public_stats = peewee.BooleanField(default=False)
    track_impressions = peewee.BooleanField(default=False)
    preserve_query_params = peewee.BooleanField(default=True)
    forward_utms = peewee.BooleanField(default=True)
    inapp_browser_breakout = peewee.BooleanField(default=False)
    utm_source = peewee.CharField(max_length=255, null=True)
    utm_medium = peewee.CharField(max_length=255, null=True)
    utm_campaign = peewee.CharField(max_length=255, null=True)
    utm_term = peewee.CharField(max_length=255, null=True)
    utm_content = peewee.CharField(max_length=255, null=True)
    clicks = peewee.IntegerField(default=0)
    unique_clicks = peewee.IntegerField(default=0)
    bot_clicks = peewee.IntegerField(default=0)
    last_clicked_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("workspace", "created_at"), False),
            (("workspace", "external_id"), False),
        )


# A live code is unique per domain; deleted links keep their row but free the code.
Link.add_index(Link.index(Link.domain_key, Link.code_key, unique=True,
                          where=Link.deleted_at.is_null(), name="link_live_code"))


class LinkTag(BaseModel):
    link = peewee.ForeignKeyField(Link, on_delete="CASCADE", backref="link_tags")
    tag = peewee.ForeignKeyField(Tag, on_delete="CASCADE", backref="link_tags")

    class Meta:
        indexes = ((("link", "tag"), True),)

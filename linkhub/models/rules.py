"""Routing rules: owned by a link, a campaign, or shared (attached to links by id). The
condition tree is stored normalised beside the shape the client wrote."""

import peewee

from linkhub.db import BaseModel, JSONField, TimestampedModel
from linkhub.models.campaigns import Campaign
from linkhub.models.links import Link
from linkhub.models.workspaces import Workspace


class Rule(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="rules")
    link = peewee.ForeignKeyField(Link, null=True, on_delete="CASCADE", backref="own_rules")
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="CASCADE",
                                      backref="rules")
    name = peewee.CharField(max_length=200)
    description = peewee.TextField(null=True)
    shape = peewee.CharField(max_length=16)  # conditions | typed
    type = peewee.CharField(max_length=16, null=True)  # typed shape only
    conditions = JSONField()  # as written by the client
    condition_logic = peewee.CharField(max_length=3, default="AND")
    tree = JSONField()  # normalised condition tree the evaluator compiles
    destination_url = peewee.CharField(max_length=2048, null=True)
    priority = peewee.IntegerField(default=100)
    enabled = peewee.BooleanField(default=True)
    timezone = peewee.CharField(max_length=64, null=True)
    deep_link_enabled = peewee.BooleanField(null=True)
    deep_link_ios = peewee.CharField(max_length=2048, null=True)
    deep_link_android = peewee.CharField(max_length=2048, null=True)
    deep_link_fallback_url = peewee.CharField(max_length=2048, null=True)
    forward_utms = peewee.BooleanField(null=True)
    preserve_query_params = peewee.BooleanField(null=True)
    inapp_browser_breakout = peewee.BooleanField(null=True)
    redirect_delay_ms = peewee.IntegerField(null=True)
    deleted_at = peewee.DateTimeField(null=True)


class LinkRule(BaseModel):
    """A shared rule attached to a link (`ruleIds` on the link)."""

    link = peewee.ForeignKeyField(Link, on_delete="CASCADE", backref="rule_links")
    rule = peewee.ForeignKeyField(Rule, on_delete="CASCADE", backref="rule_links")

    class Meta:
        indexes = ((("link", "rule"), True),)

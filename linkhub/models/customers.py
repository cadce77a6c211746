"""Customers: the people conversions are attributed to, upserted by the workspace's own
`external_id`. A delete is soft and scrubs PII (e-mail, name, metadata, external id) while the
aggregates (LTV, counts, first-touch link/campaign) stay for reporting."""

import peewee

from linkhub import clock
from linkhub.db import JSONField, TimestampedModel
from linkhub.models.campaigns import Campaign
from linkhub.models.links import Link
from linkhub.models.workspaces import Workspace


class Customer(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="customers",
                                       index=False)
    external_id = peewee.CharField(max_length=255, null=True)  # NULL once deleted
    email = peewee.CharField(max_length=320, null=True)
    name = peewee.CharField(max_length=200, null=True)
    avatar_url = peewee.CharField(max_length=2048, null=True)
    metadata = JSONField(null=True)
    country = peewee.CharField(max_length=2, null=True)
    # first touch: the click that brought them (public id: it may still be buffered)
    click_public_id = peewee.CharField(max_length=40, null=True)
    link = peewee.ForeignKeyField(Link, null=True, on_delete="SET NULL")
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="SET NULL")
    source = peewee.CharField(max_length=255, null=True)  # utm_source, else referrer domain
    first_seen_at = peewee.DateTimeField(default=clock.now)
    last_seen_at = peewee.DateTimeField(default=clock.now)
    # aggregates, USD micro-dollars; recomputed by the LTV recalculation
    ltv_micros = peewee.BigIntegerField(default=0)
    lead_count = peewee.IntegerField(default=0)
    sale_count = peewee.IntegerField(default=0)
    deleted_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = (
            (("workspace", "external_id"), True),
            (("workspace", "created_at"), False),
        )

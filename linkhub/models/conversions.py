"""Conversions: leads, sales and custom events attributed to a click (by its public `clk_` id,
which may still be in the click buffer when the conversion arrives), its link, campaign and
customer. Money is integer micro-units: `value_micros` in `currency`, `value_usd_micros` at
the day's FX rate."""

import peewee

from linkhub import clock
from linkhub.db import BaseModel, JSONField, TimestampedModel
from linkhub.models.campaigns import Campaign
from linkhub.models.customers import Customer
from linkhub.models.links import Link
from linkhub.models.workspaces import Workspace


class Conversion(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="conversions",
                                       index=False)
    click_public_id = peewee.CharField(max_length=40, null=True, index=True)
    link = peewee.ForeignKeyField(Link, null=True, on_delete="SET NULL", index=False)
    campaign = peewee.ForeignKeyField(Campaign, null=True, on_delete="SET NULL", index=False)
    customer = peewee.ForeignKeyField(Customer, null=True, on_delete="SET NULL")
    pixel_public_id = peewee.CharField(max_length=40, null=True)
    event = peewee.CharField(max_length=64, default="conversion")  # purchase, lead, signup…
    kind = peewee.CharField(max_length=8, default="custom")  # lead | sale | custom
    status = peewee.CharField(max_length=16, default="approved")
    source = peewee.CharField(max_length=16, default="api")  # api|postback|s2s|pixel|client|…
    value_micros = peewee.BigIntegerField(default=0)
    currency = peewee.CharField(max_length=3, default="USD")
    value_usd_micros = peewee.BigIntegerField(default=0)
    payout_micros = peewee.BigIntegerField(null=True)  # in `currency`
    order_id = peewee.CharField(max_length=255, null=True)
    metadata = JSONField(null=True)
    country = peewee.CharField(max_length=2, null=True)  # from the click
    occurred_at = peewee.DateTimeField(default=clock.now)  # when it happened (client-given)

    class Meta:
        indexes = (
            (("workspace", "order_id"), True),  # NULL order ids never collide
            # covering: range reports count and sum without reading the rows
            (("workspace", "occurred_at", "status", "kind", "value_usd_micros"), False),
            (("link", "occurred_at"), False),
            (("campaign", "occurred_at"), False),
        )


class FxRate(BaseModel):
    """Units of `currency` per 1 USD on `day` (refreshed daily; a snapshot ships with the
    package for offline installs, see services/fx.py)."""

    currency = peewee.CharField(max_length=3)
    day = peewee.DateField()
    rate = peewee.DoubleField()
    source = peewee.CharField(max_length=32, default="snapshot")

    class Meta:
        indexes = ((("currency", "day"), True),)

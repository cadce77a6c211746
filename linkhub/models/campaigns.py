"""Campaigns: a group of links (or a pixel-only campaign) with cost model, budgets and goal.
Money is stored in integer micro-units of `cost_currency`."""

import peewee

from linkhub.db import TimestampedModel
from linkhub.models.workspaces import Workspace


class Campaign(TimestampedModel):
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="campaigns")
    name = peewee.CharField(max_length=200)
    description = peewee.TextField(null=True)
    type = peewee.CharField(max_length=16, default="link")  # link | pixel
    status = peewee.CharField(max_length=16, default="active")  # active | paused | archived
    pixel_code = peewee.CharField(max_length=64, unique=True)
    conversion_tracking = peewee.BooleanField(default=False)
    cost_model = peewee.CharField(max_length=16, default="none")  # none|cpc|cpm|cpa|revshare
    cost_override_micros = peewee.BigIntegerField(null=True)
    cost_currency = peewee.CharField(max_length=3, default="USD")
    daily_budget_micros = peewee.BigIntegerField(null=True)
    total_budget_micros = peewee.BigIntegerField(null=True)
    goal_type = peewee.CharField(max_length=16, null=True)  # conversion|lead|pageview|custom
    goal_value_micros = peewee.BigIntegerField(null=True)

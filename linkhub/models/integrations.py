"""Workspace integrations (installations of a provider: Stripe, Shopify, HubSpot, Slack,
Zapier) with their secrets encrypted at rest, and the log of inbound provider events, unique
per installation on the provider's event id. Only services/integrations.py and
services/inbound*.py write these rows."""

import peewee

from linkhub import clock
from linkhub.db import BaseModel, JSONField, TimestampedModel
from linkhub.models.accounts import User
from linkhub.models.workspaces import Workspace


class Integration(TimestampedModel):
    """One installation. `config` holds non-secret settings (shop domain, app id, team id…);
    `secrets` is a Fernet token of the JSON secrets (never plaintext); `external_ref` is the
    provider's account reference the receivers look installations up by (Shopify shop domain,
    HubSpot app id, Slack team id, Stripe account id)."""

    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="integrations")
    provider = peewee.CharField(max_length=16)  # stripe | shopify | hubspot | slack | zapier
    name = peewee.CharField(max_length=200)
    status = peewee.CharField(max_length=16, default="active")  # active|paused|error|disconnected
    external_ref = peewee.CharField(max_length=255, null=True)
    config = JSONField(default=dict)
    secrets = peewee.TextField(default="")
    last_event_at = peewee.DateTimeField(null=True)
    last_error = peewee.CharField(max_length=500, null=True)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")

    class Meta:
        indexes = ((("provider", "external_ref"), False),)


class IntegrationEvent(BaseModel):
    """One inbound provider event. (installation, provider_event_id) is the idempotency key: a
    replay finds the row and changes nothing. status: processed | ignored | failed (a failed
    event is processed again when the provider retries it)."""

    installation = peewee.ForeignKeyField(Integration, on_delete="CASCADE", backref="events",
                                          index=False)
    provider_event_id = peewee.CharField(max_length=255)
    type = peewee.CharField(max_length=100)
    status = peewee.CharField(max_length=16)
    received_at = peewee.DateTimeField(default=clock.now)
    result = JSONField(null=True)  # e.g. {"conversionId": "conv_…", "reason": "…"}
    error = peewee.CharField(max_length=500, null=True)

    class Meta:
        indexes = (
            (("installation", "provider_event_id"), True),
            (("installation", "received_at"), False),
        )

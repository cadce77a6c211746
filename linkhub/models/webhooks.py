"""Outbound webhooks: endpoints (workspace, per-link and outbound-automation destinations share
one table and one delivery engine), the durable event outbox, one delivery per endpoint and
event, and one attempt row per HTTP try. Only services/webhook_* write these rows."""

import peewee

from linkhub import clock
from linkhub.db import BaseModel, JSONField, TimestampedModel
from linkhub.models.accounts import User
from linkhub.models.links import Link
from linkhub.models.workspaces import Workspace


class Webhook(TimestampedModel):
    """An endpoint. `scope`: `workspace` (/api/webhooks-manage), `link` (per-link webhooks,
    `link` set) or `outbound` (/api/integrations/outbound, `kind` picks the formatter:
    webhook|slack|zapier|segment). Zapier REST-hook subscriptions are `outbound`/`zapier`."""

    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", backref="webhooks")
    link = peewee.ForeignKeyField(Link, null=True, on_delete="CASCADE", backref="webhooks")
    scope = peewee.CharField(max_length=16, default="workspace")  # workspace | link | outbound
    kind = peewee.CharField(max_length=16, default="webhook")  # webhook|slack|zapier|segment
    name = peewee.CharField(max_length=200, null=True)
    url = peewee.CharField(max_length=2048)
    events = JSONField(default=list)  # event type names this endpoint receives
    enabled = peewee.BooleanField(default=True)
    secret = peewee.CharField(max_length=128)  # whsec_… signing secret
    config = JSONField(default=dict)  # formatter settings (segment write key, slack channel…)
    consecutive_failures = peewee.IntegerField(default=0)
    disabled_reason = peewee.CharField(max_length=255, null=True)
    disabled_at = peewee.DateTimeField(null=True)
    last_delivery_at = peewee.DateTimeField(null=True)
    last_status = peewee.IntegerField(null=True)
    secret_rotated_at = peewee.DateTimeField(null=True)
    created_by = peewee.ForeignKeyField(User, null=True, on_delete="SET NULL")


class WebhookEvent(BaseModel):
    """The outbox: one row per event, written in the transaction of the change that caused
    it. `public_id` (`evt_…`) is the stable `webhook-id` receivers deduplicate on."""

    public_id = peewee.CharField(max_length=40, unique=True)
    workspace = peewee.ForeignKeyField(Workspace, on_delete="CASCADE", index=False)
    link = peewee.ForeignKeyField(Link, null=True, on_delete="SET NULL", index=False)
    type = peewee.CharField(max_length=64)
    payload = JSONField()  # the whole body: {id, type, createdAt, workspaceId, data}
    created_at = peewee.DateTimeField(default=clock.now)

    class Meta:
        indexes = ((("workspace", "created_at"), False),)


class WebhookDelivery(TimestampedModel):
    """One event for one endpoint. status: pending | delivering | succeeded | failed (retries
    exhausted or endpoint disabled). `next_attempt_at` orders pending work; `lease_until`
    marks a delivery a worker holds (an expired lease is pending again after a crash)."""

    webhook = peewee.ForeignKeyField(Webhook, on_delete="CASCADE", backref="deliveries",
                                     index=False)
    event = peewee.ForeignKeyField(WebhookEvent, on_delete="CASCADE", backref="deliveries")
    status = peewee.CharField(max_length=16, default="pending")
    attempts = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(null=True)
    lease_until = peewee.DateTimeField(null=True)
    last_status = peewee.IntegerField(null=True)
    last_error = peewee.CharField(max_length=500, null=True)
    delivered_at = peewee.DateTimeField(null=True)
    is_test = peewee.BooleanField(default=False)

    class Meta:
        indexes = (
            (("webhook", "created_at"), False),
            (("status", "next_attempt_at"), False),
        )


class WebhookAttempt(BaseModel):
    """One HTTP try: what was sent and what came back (body truncated)."""

    delivery = peewee.ForeignKeyField(WebhookDelivery, on_delete="CASCADE", backref="tries")
    number = peewee.IntegerField()
    created_at = peewee.DateTimeField(default=clock.now)
    request_url = peewee.CharField(max_length=2048)
    request_headers = JSONField(default=dict)
    request_body = peewee.TextField()
    status_code = peewee.IntegerField(null=True)
    response_headers = JSONField(null=True)
    response_body = peewee.TextField(null=True)  # first 4 KB
    latency_ms = peewee.IntegerField(null=True)
    error = peewee.CharField(max_length=500, null=True)

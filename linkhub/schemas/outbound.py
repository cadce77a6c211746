"""pydantic models of /api/integrations/outbound and the Zapier REST-hook routes; shapes only,
the per-kind rules live in services/outbound.py."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, ConfigDict, Field, StrictBool

from linkhub.schemas import ApiModel, OutModel


class DestinationCreate(ApiModel):
    kind: str | None = Field(None, description="`webhook` (signed JSON, Standard Webhooks), "
                             "`slack` (an incoming-webhook message), `zapier` (a REST hook) "
                             "or `segment` (a track call).")
    name: str | None = Field(None, description="A label (optional).")
    url: str | None = Field(None, description="Where to send. Slack: "
                            "`https://hooks.slack.com/services/…`. Not for Segment.")
    events: list[Any] | None = Field(None, description="Trigger event types (see "
                                     "`/api/integrations/outbound/events`); at least one.")
    enabled: StrictBool | None = None
    writeKey: str | None = Field(None, description="Segment only: the source's write key "
                                 "(sent as HTTP Basic user name).")
    endpoint: str | None = Field(None, description="Segment only: the track endpoint "
                                 "(default `https://api.segment.io/v1/track`).")


class DestinationUpdate(DestinationCreate):
    """Send only what changes; `kind` cannot change."""


class DestinationListQuery(ApiModel):
    kind: str | None = None
    page: str | None = None
    limit: str | None = None


class PageQuery(ApiModel):
    page: str | None = None
    limit: str | None = None


class DeliveryListQuery(ApiModel):
    status: str | None = Field(None, description="pending, delivering, succeeded or failed.")
    page: str | None = None
    limit: str | None = None


class DestinationOut(OutModel):
    id: str
    kind: str
    name: str | None
    url: str
    events: list[str]
    enabled: bool
    state: str = Field(description="active, disabled (by a person) or auto_disabled (after "
                       "20 consecutive failed deliveries).")
    config: dict[str, Any] = Field(description="Kind settings (Segment: `writeKey` masked, "
                                   "`endpoint`).")
    secret: str = Field(description="Signing secret (`whsec_…`) of `webhook` destinations: "
                        "whole in the create answer, masked afterwards.")
    consecutiveFailures: int
    disabledReason: str | None
    disabledAt: str | None
    lastDeliveryAt: str | None
    lastStatus: int | None
    createdAt: str
    updatedAt: str


class DeletedOut(OutModel):
    id: str
    deleted: bool


class TestResultOut(OutModel):
    deliveryId: str
    event: str
    success: bool
    statusCode: int | None
    responseBody: str | None
    responseTimeMs: int | None
    error: str | None
    sentAt: str | None


# --- Zapier REST hooks ------------------------------------------------------------------------

class ZapierSubscribe(ApiModel):
    hookUrl: str | None = Field(None, validation_alias=AliasChoices(
        "hookUrl", "targetUrl", "target_url", "url"), description="Zapier's hook URL "
        "(`target_url` and `url` are accepted too).")
    event: str | None = Field(None, description="The trigger event type.")


class ZapierSubscriptionOut(OutModel):
    id: str
    event: str
    hookUrl: str
    createdAt: str


class ZapierSampleOut(ApiModel):
    model_config = ConfigDict(extra="allow")


class ZapierLinkOut(OutModel):
    id: str
    shortCode: str
    shortUrl: str
    title: str | None
    destinationUrl: str
    label: str


class ZapierCampaignOut(OutModel):
    id: str
    name: str
    label: str


class ZapierAuthOut(OutModel):
    workspace: dict[str, Any]
    apiKey: dict[str, Any] | None
    user: dict[str, Any] | None

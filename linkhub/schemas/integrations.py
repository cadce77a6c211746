"""Request and response models for integration installations and the inbound receivers.
Shapes and types only; which secrets and settings each provider takes, and every rule, live in
services/integration_settings.py and services/integrations.py."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel


class IntegrationCreate(ApiModel):
    provider: str | None = Field(None, description="stripe, shopify, hubspot, slack or zapier.")
    name: str | None = Field(None, description="Default: the provider's name.")
    config: dict[str, Any] | None = Field(
        None, description="Non-secret settings of the provider (Stripe `accountId`, "
                          "`saleEvent`, `recordUnattributed`; Shopify `shopDomain`; HubSpot "
                          "`appId`, `leadEvent`, `closedWonStage`, `currency`, "
                          "`clickProperty`; Slack `teamId`, `appId`).")
    secrets: dict[str, str | None] | None = Field(
        None, description="Stripe `endpointSecret` (whsec_…), Shopify `webhookSecret`, "
                          "HubSpot `clientSecret`, Slack `signingSecret`. Stored encrypted; "
                          "answered masked.")
    status: str | None = Field(None, description="active (default) or paused.")


class IntegrationUpdate(ApiModel):
    """Send only what changes: `config` and `secrets` merge key by key (null resets a setting
    to its default); `status` active, paused or disconnected."""

    name: str | None = None
    config: dict[str, Any] | None = None
    secrets: dict[str, str | None] | None = None
    status: str | None = None


class IntegrationListQuery(ApiModel):
    provider: str | None = None
    status: str | None = None
    page: str | None = None
    limit: str | None = None


class PageQuery(ApiModel):
    page: str | None = None
    limit: str | None = None


class IntegrationOut(OutModel):
    id: str
    provider: str
    name: str
    status: str = Field(description="active, paused, error or disconnected")
    config: dict[str, Any]
    secrets: dict[str, str] = Field(description="Each stored secret, masked.")
    receiverUrls: dict[str, str] = Field(description="Where the provider sends its requests.")
    lastEventAt: str | None
    lastError: str | None
    createdAt: str
    updatedAt: str


class IntegrationEventOut(OutModel):
    eventId: str
    type: str
    status: str = Field(description="processed, ignored or failed")
    receivedAt: str
    result: dict[str, Any] | None
    error: str | None


class DeletedOut(OutModel):
    id: str
    deleted: bool


class ReceiptOut(OutModel):
    eventId: str | None
    type: str | None
    status: str
    duplicate: bool
    result: dict[str, Any] | None
    error: str | None


class InboundOut(ReceiptOut):
    """The first event's receipt (the only one for most providers) and every event."""

    installationId: str
    events: list[ReceiptOut]

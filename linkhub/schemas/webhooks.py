"""Request and response models of /api/webhooks-manage and /api/links/{id}/webhooks. Types
only; every rule (URL and private targets, event names, the count limit) lives in
services/webhooks.py."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictBool

from linkhub.schemas import ApiModel, OutModel

URL_HELP = ("http(s) URL, at most 2,048 characters, without credentials. Hosts that are or "
            "resolve to private, loopback or link-local addresses are refused unless "
            "LINKHUB_WEBHOOK_ALLOW_PRIVATE is on (checked again at every delivery).")
EVENTS_HELP = ("Event types from GET /api/webhooks-manage/events (`link.created`, "
               "`link.clicked`, …). Per-link webhooks take `click`, `qr_scan` and "
               "`conversion` (or their dotted names). Reserved events are refused.")


class WebhookCreate(ApiModel):
    url: str | None = Field(None, description="Required. " + URL_HELP)
    events: list[str] | None = Field(None, description="Required, at least one. " + EVENTS_HELP)
    description: str | None = Field(None, description="At most 200 characters.")
    enabled: StrictBool | None = Field(None, description="Default true.")


class WebhookUpdate(ApiModel):
    """Send only what changes. `enabled: true` also clears an auto-disable."""

    url: str | None = Field(None, description=URL_HELP)
    events: list[str] | None = Field(None, description="Replaces the list. " + EVENTS_HELP)
    description: str | None = Field(None, description="null clears.")
    enabled: StrictBool | None = None


class WebhookListQuery(ApiModel):
    enabled: str | None = Field(None, description="`true` or `false`.")
    page: str | None = None
    limit: str | None = None


class DeliveryListQuery(ApiModel):
    status: str | None = Field(None, description="pending, delivering, succeeded or failed.")
    page: str | None = None
    limit: str | None = None


class EventsQuery(ApiModel):
    scope: str | None = Field(None, description="`link`: only the per-link events.")


class WebhookOut(OutModel):
    id: str
    scope: str = Field(description="`workspace` or `link`.")
    linkId: str | None
    url: str
    description: str | None
    events: list[str]
    enabled: bool
    state: str = Field(description="active, disabled (by a person) or auto_disabled (after "
                                   "20 consecutive failed deliveries).")
    secret: str = Field(description="`whsec_…`: in full only in the answers to create and "
                                    "rotate-secret, masked (`whsec_…abcd`) everywhere else.")
    consecutiveFailures: int
    disabledReason: str | None
    disabledAt: str | None
    lastDeliveryAt: str | None
    lastStatus: int | None
    secretRotatedAt: str | None
    createdAt: str
    updatedAt: str


class WebhookDeletedOut(OutModel):
    id: str
    deleted: bool


class AttemptOut(OutModel):
    """One HTTP try: what was sent and what came back (body truncated to 4 KB)."""

    number: int
    createdAt: str | None
    requestUrl: str
    requestHeaders: dict[str, Any] | None
    requestBody: str | None
    statusCode: int | None = Field(description="null when no response came (see `error`).")
    responseHeaders: dict[str, Any] | None
    responseBody: str | None
    latencyMs: int | None
    error: str | None


class DeliveryOut(OutModel):
    """One event sent to one endpoint. `attempts` (every try, oldest first) is present on the
    routes answering one delivery (one delivery, test, redeliver), not in the log's list."""

    id: str
    webhookId: str | None
    eventId: str = Field(description="`evt_…`, the `webhook-id` header; equal across retries "
                                     "and redeliveries.")
    eventType: str
    status: str = Field(description="pending, delivering, succeeded or failed.")
    attemptCount: int
    nextAttemptAt: str | None
    lastStatus: int | None
    lastError: str | None
    deliveredAt: str | None
    test: bool
    createdAt: str
    updatedAt: str
    payload: dict[str, Any] = Field(description="The body sent: {id, type, createdAt, "
                                                "workspaceId, data}.")
    attempts: list[AttemptOut] | None = None


class EventTypeOut(OutModel):
    type: str
    description: str
    linkAlias: str | None = Field(description="The per-link short name (`click`, …), if any.")
    reserved: bool = Field(description="Reserved for partner programs: not subscribable yet.")
    schema_: dict[str, Any] = Field(alias="schema", description="JSON schema of `data`.")


class EventCatalogueOut(OutModel):
    events: list[EventTypeOut]
    linkAliases: dict[str, str] = Field(description="Per-link short name -> event type.")
    payload: dict[str, Any] = Field(description="JSON schema of every delivered body: "
                                                "{id, type, createdAt, workspaceId, data}.")
    signing: dict[str, Any] = Field(description="How deliveries are signed.")

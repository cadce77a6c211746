"""Request and response models of /api/events. Types only; the filters, sorts and ranges are
checked in services/events.py."""

from __future__ import annotations

from typing import Any

from pydantic import Field, RootModel

from linkhub.schemas import ApiModel, OutModel


class EventQuery(ApiModel):
    type: str | None = Field(None, description="lead or sale (default: both).")
    linkId: str | None = Field(None, description="Only this link's events (`link_...`).")
    customerId: str | None = Field(None, description="Only this customer's events (`cus_...` "
                                   "or `ext_<externalId>`).")
    start: str | None = Field(None, description="From (ISO 8601; a date means 00:00:00 UTC).")
    end: str | None = Field(None, description="Until (ISO 8601; a date means 23:59:59 UTC).")
    sortBy: str | None = Field(None, description="timestamp (default), event_type, "
                               "event_name, amount_in_usd, country or customer_external_id.")
    sortOrder: str | None = Field(None, description="asc or desc (default).")
    page: str | None = Field(None, description="From 1 (default 1).")
    limit: str | None = Field(None, description="1-100 (default 50).")


class EventOut(OutModel):
    id: str
    timestamp: str
    eventType: str = Field(description="lead or sale.")
    eventName: str
    status: str
    amount: float = Field(description="In `currency` units.")
    currency: str
    amountInUsd: float
    clickId: str | None
    linkId: str | None
    campaignId: str | None
    customerId: str | None
    customerExternalId: str | None
    country: str | None
    orderId: str | None
    source: str
    metadata: dict[str, Any] | None


class EventList(RootModel[list[EventOut]]):
    """The `data` array; the body also carries `meta: {page, limit, hasMore}` (no total)."""

"""Request and response models for conversions. Shapes only: amounts stay loosely typed here
(`Any`, documented as numbers) so that services/conversions.py alone decides what a valid
amount, currency, event or click id is, with one message per field."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel

_NUMBER = {"type": "number", "minimum": 0}
_TEXT_OR_NUMBER = {"type": ["string", "integer"]}


class TrackBody(ApiModel):
    """`clickId` is the `lw_cid` the redirect appended. Amounts are decimal numbers in
    `currency` units (kept to six decimals); `currency` defaults to USD."""

    clickId: str | None = None
    event: str | None = Field(None, description="Default `conversion`; e.g. purchase, lead.")
    value: Any = Field(None, json_schema_extra=_NUMBER)
    currency: str | None = None
    orderId: Any = Field(None, json_schema_extra=_TEXT_OR_NUMBER)
    metadata: dict[str, Any] | None = None
    payout: Any = Field(None, json_schema_extra=_NUMBER)
    status: str | None = Field(None, description="pending|approved|refunded|rejected|fraud; "
                                                 "default approved.")
    timestamp: Any = Field(None, json_schema_extra=_TEXT_OR_NUMBER,
                           description="When it happened (ISO 8601 or epoch seconds).")
    pixelId: str | None = None
    customerId: str | None = Field(None, description="`cus_…` or `ext_<externalId>`.")
    customerExternalId: str | None = Field(None, description="Upserts the customer.")


class PostbackQuery(ApiModel):
    lw_cid: str | None = None
    amount: str | None = None
    currency: str | None = None
    event: str | None = None
    orderId: str | None = None
    payout: str | None = None


class S2sBody(ApiModel):
    click_id: str | None = None
    event: str | None = None
    value: Any = Field(None, json_schema_extra=_NUMBER)
    currency: str | None = None
    order_id: Any = Field(None, json_schema_extra=_TEXT_OR_NUMBER)
    timestamp: Any = Field(None, json_schema_extra=_TEXT_OR_NUMBER)


class ConversionListQuery(ApiModel):
    linkId: str | None = None
    campaignId: str | None = None
    customerId: str | None = None
    status: str | None = None
    event: str | None = None
    kind: str | None = None
    start: str | None = None
    end: str | None = None
    sortBy: str | None = None
    sortOrder: str | None = None
    page: str | None = None
    limit: str | None = None


class StatusBody(ApiModel):
    status: str | None = None


class ConversionOut(OutModel):
    id: str
    clickId: str | None
    linkId: str | None
    campaignId: str | None
    customerId: str | None
    pixelId: str | None
    event: str
    kind: str
    status: str
    source: str
    value: float
    currency: str
    valueUsd: float
    payout: float | None
    orderId: str | None
    metadata: dict[str, Any] | None
    country: str | None
    occurredAt: str
    createdAt: str


class TrackOut(OutModel):
    conversionId: str
    clickId: str | None
    event: str
    value: float
    currency: str
    valueUsd: float
    orderId: str | None
    tracked: bool
    timestamp: str
    linkId: str | None
    campaignId: str | None
    customerId: str | None


class PostbackOut(OutModel):
    conversionId: str | None
    clickId: str | None
    tracked: bool
    reason: str | None = None


class S2sOut(OutModel):
    conversionId: str
    attributed: bool
    linkId: str | None
    campaignId: str | None
    duplicate: bool

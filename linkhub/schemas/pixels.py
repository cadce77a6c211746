"""Request and response models for pixels and their fires. Shapes and types only; the field
rules (names, event names, captured parameters, limits, expiry) live in services/pixels.py."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictBool, StrictInt

from linkhub.schemas import ApiModel, OutModel


class PixelCreate(ApiModel):
    """`name` is required on create. Every other field is optional."""

    name: str | None = None
    description: str | None = Field(None, description="null clears.")
    eventName: str | None = Field(
        None, description="Conversion event recorded on fire (default `conversion`); letters, "
                          "digits, `_ . : -`; null clears.")
    captureParams: list[str] | None = Field(
        None, description="Parameter names whose values every fire records (at most 20); an "
                          "array replaces the set.")
    conversionTracking: StrictBool | None = Field(
        None, description="A fire carrying `lw_cid` becomes a conversion.")
    enabled: StrictBool | None = None
    expiresAt: str | None = Field(None, description="ISO 8601, in the future; null clears.")
    firesLimit: StrictInt | None = Field(
        None, description="Positive whole number of fires recorded at most; null removes it.")
    campaignId: str | None = Field(None, description="`camp_` id; null detaches.")
    linkId: str | None = Field(None, description="`link_` id; null detaches.")


class PixelUpdate(PixelCreate):
    """Send only what changes."""


class PixelListQuery(ApiModel):
    campaignId: str | None = None
    linkId: str | None = None
    enabled: str | None = None
    search: str | None = None
    sortBy: str | None = None
    sortOrder: str | None = None
    sort: str | None = None
    page: str | None = None
    limit: str | None = None


class PageQuery(ApiModel):
    page: str | None = None
    limit: str | None = None


class PixelOut(OutModel):
    id: str
    name: str
    description: str | None
    eventName: str | None
    captureParams: list[str]
    conversionTracking: bool
    enabled: bool
    status: str = Field(description="active, disabled, expired or exhausted")
    expiresAt: str | None
    firesLimit: int | None
    fires: int
    lastFiredAt: str | None
    campaignId: str | None
    linkId: str | None
    gifUrl: str
    beaconUrl: str
    createdAt: str
    updatedAt: str


class PixelDeletedOut(OutModel):
    id: str
    deleted: bool


class PixelFireOut(OutModel):
    createdAt: str
    transport: str = Field(description="gif or beacon")
    params: dict[str, Any] | None
    clickId: str | None
    conversionId: str | None
    conversionError: str | None
    bot: bool
    referrer: str | None
    userAgent: str | None
    ipTruncated: str | None

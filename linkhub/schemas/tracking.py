"""Request and response models for publishable keys and the client tracking endpoints. Shapes
and types only; origins, events, amounts and attribution are checked in services/."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StrictBool, WithJsonSchema

from linkhub.schemas import ApiModel, OutModel

# --- publishable keys -----------------------------------------------------------------------


class PublishableKeyCreate(ApiModel):
    """`allowedOrigins`: exact origins (`https://shop.example`, `http://localhost:3000`) or
    wildcard subdomains (`*.example.com` for http and https, `https://*.example.com`)."""

    name: str | None = None
    allowedOrigins: list[str] | None = None
    enabled: StrictBool | None = None


class PublishableKeyUpdate(PublishableKeyCreate):
    """Send only what changes; `allowedOrigins` replaces the whole list."""


class PublishableKeyOut(OutModel):
    id: str
    workspaceId: str
    name: str
    key: str
    allowedOrigins: list[str]
    enabled: bool
    lastUsedAt: str | None
    rotatedAt: str | None
    createdBy: str | None
    createdAt: str
    updatedAt: str


class PublishableKeyDeletedOut(OutModel):
    id: str
    deleted: bool


# --- client endpoints -------------------------------------------------------------------------


class TrackBase(ApiModel):
    """The key may come in the `X-Publishable-Key` header (it wins) or here."""

    publishableKey: str | None = None
    clickId: str | None = None


class TrackLeadIn(TrackBase):
    """`clickId` is the `lw_cid` value; without it the customer's known first click is used."""

    customerExternalId: str
    email: str | None = None
    name: str | None = None
    avatarUrl: str | None = None
    event: str | None = None
    metadata: dict[str, Any] | None = None


class TrackSaleIn(TrackBase):
    """`clickId` or `customerExternalId` (or both); `amount` in `currency` units."""

    customerExternalId: str | None = None
    email: str | None = None
    name: str | None = None
    # a JSON number; strings and booleans are refused by services/conversions.py
    amount: Annotated[Any, WithJsonSchema({"type": "number", "minimum": 0})]
    currency: str | None = None
    orderId: str | None = None
    event: str | None = None
    metadata: dict[str, Any] | None = None


class TrackOpenIn(TrackBase):
    """`userAgent` overrides the request's User-Agent for the IP + user-agent match."""

    userAgent: str | None = None


class TrackOut(OutModel):
    tracked: bool
    duplicate: bool
    conversionId: str
    event: str
    kind: str
    status: str
    clickId: str | None
    linkId: str | None
    customerId: str | None
    amount: int | float
    currency: str
    orderId: str | None
    createdAt: str


class OpenLinkOut(OutModel):
    id: str
    shortCode: str
    shortUrl: str
    destinationUrl: str | None
    deepLinkEnabled: bool
    deepLinkIos: str | None
    deepLinkAndroid: str | None
    deepLinkFallbackUrl: str | None


class TrackOpenOut(OutModel):
    matched: bool
    matchedBy: str | None
    clickId: str | None
    clickedAt: str | None
    destinationUrl: str | None
    link: OpenLinkOut | None

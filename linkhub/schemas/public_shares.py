"""Request and response models of public stats shares, embed tokens and the embed widget data.
Shapes and types only: metric names, widgets and scopes are checked in services/."""

from __future__ import annotations

from typing import Any

from pydantic import Field, StrictBool

from linkhub.schemas import ApiModel, OutModel

_Q = str | None

# --- public stats -------------------------------------------------------------------------------


class PublicStatsIn(ApiModel):
    """Send what changes. The first call creates the share (off, default metrics)."""

    enabled: StrictBool | None = Field(None, description="Serve the public page `/s/<token>`.")
    metrics: list[Any] | None = Field(
        None, description="What the page shows: clicks, uniqueClicks, timeseries, countries, "
                          "devices, browsers, os, referrers (at least one).")


class PublicStatsOut(OutModel):
    linkId: str | None
    campaignId: str | None
    enabled: bool
    metrics: list[str]
    availableMetrics: list[str]
    token: str | None
    url: str | None
    createdAt: str | None
    updatedAt: str | None
    rotatedAt: str | None


# --- embed tokens -------------------------------------------------------------------------------


class EmbedCreate(ApiModel):
    name: str | None = Field(None, description="Where the widget is used (1-100 characters).")
    widget: str | None = Field(None, description="stats, timeseries or top_referrers.")
    linkId: str | None = Field(None, description="Only this link (`link_…`).")
    campaignId: str | None = Field(None, description="Only this campaign (`camp_…`); neither: "
                                                     "the whole workspace.")


class EmbedListQuery(ApiModel):
    page: _Q = None
    limit: _Q = None
    includeRevoked: _Q = Field(None, description="`true` lists revoked embeds too.")


class EmbedOut(OutModel):
    id: str
    name: str
    widget: str
    node: str
    scope: str
    linkId: str | None
    campaignId: str | None
    token: str | None = Field(description="null once revoked.")
    url: str | None
    jsonUrl: str | None
    snippet: str | None = Field(description="The copy-paste <iframe>.")
    revoked: bool
    revokedAt: str | None
    rotatedAt: str | None
    lastUsedAt: str | None
    createdBy: str | None
    createdAt: str
    updatedAt: str


# --- widget data ------------------------------------------------------------------------------


class EmbedDataQuery(ApiModel):
    token: _Q = Field(None, description="An embed token: its own widget, no credentials. "
                                        "Without it, the caller's workspace (analytics:read).")
    node: _Q = Field(None, description="embed_stats, embed_timeseries or embed_top_referrers.")
    widgetType: _Q = Field(None, description="stats, timeseries or top_referrers.")
    linkId: _Q = Field(None, description="Without a token: only this link.")
    campaignId: _Q = Field(None, description="Without a token: only this campaign.")
    days: _Q = None
    start: _Q = None
    end: _Q = None
    granularity: _Q = None
    timezone: _Q = None
    limit: _Q = Field(None, description="top_referrers rows, 1-50 (default 10).")


class EmbedScopeOut(OutModel):
    type: str
    title: str
    linkId: str | None
    campaignId: str | None


class EmbedRangeOut(OutModel):
    start: str
    end: str
    granularity: str
    timezone: str


class EmbedPointOut(OutModel):
    timestamp: str
    clicks: int
    uniqueClicks: int | None = None


class EmbedReferrerOut(OutModel):
    referrer: str
    clicks: int
    percentage: float


class EmbedDataOut(OutModel):
    node: str
    widgetType: str
    scope: EmbedScopeOut
    range: EmbedRangeOut
    clicks: int | None = None
    uniqueClicks: int | None = None
    timeseries: list[EmbedPointOut] | None = None
    referrers: list[EmbedReferrerOut] | None = None

"""Query and response models of the unified (conversion) analytics, the live feed and the audit
log. Types and documentation only: the parameters are checked by services/analytics/ranges.py,
revenue_rows.py, services/live.py and services/audit_log.py."""

from __future__ import annotations

from typing import Any

from pydantic import Field, RootModel

from linkhub.schemas import ApiModel, OutModel

_Q = str | None


class RangeQuery(ApiModel):
    days: _Q = Field(None, description="Last N local days, today included (default 30).")
    start: _Q = Field(None, description="ISO 8601 date or datetime (overrides `days`).")
    end: _Q = Field(None, description="ISO 8601 date or datetime; a date covers its whole day.")
    granularity: _Q = Field(None, description="`hour`, `day` (default) or `month`.")
    timezone: _Q = Field(None, description="IANA zone of the buckets (default: workspace's).")
    currency: _Q = Field(None, description="ISO 4217 code revenue is reported in (USD).")
    includeBots: _Q = Field(None, description="`true` adds bot clicks to `clicks`.")
    linkId: _Q = Field(None, description="Only this link (`link_…`).")
    campaignId: _Q = Field(None, description="Only this campaign (`camp_…`).")


class DetailsQuery(RangeQuery):
    event: _Q = Field(None, description="Exact event name, e.g. `purchase`.")
    status: _Q = Field(None, description="pending, approved, refunded, rejected or fraud.")
    page: _Q = None
    limit: _Q = Field(None, description="1-100 (default 20).")


class BreakdownQuery(RangeQuery):
    by: _Q = Field(None, description="link (default), campaign, country, event or source "
                                     "(the click's utm_source, else referrer domain).")
    limit: _Q = Field(None, description="Rows, 1-100 (default 50).")


class LiveQuery(ApiModel):
    minutes: _Q = Field(None, description="Window, 1-60 minutes (default 5).")
    limit: _Q = Field(None, description="Events returned, 1-500 (default 100).")
    includeBots: _Q = Field(None, description="`true` includes bot clicks.")


class LiveStreamQuery(ApiModel):
    includeBots: _Q = Field(None, description="`true` includes bot clicks.")


class AuditLogQuery(ApiModel):
    action: _Q = Field(None, description="Exact action (`link.create`) or a prefix (`link.*`).")
    actorId: _Q = Field(None, description="The acting user (`usr_…`).")
    resourceType: _Q = Field(None, description="e.g. link, campaign, rule, api_key.")
    start: _Q = Field(None, description="ISO 8601; entries at or after it.")
    end: _Q = Field(None, description="ISO 8601; a date-only value covers its whole day.")
    page: _Q = None
    limit: _Q = Field(None, description="1-500 (default 50).")


# --- responses -----------------------------------------------------------------------------------

class RangeOut(OutModel):
    start: str
    end: str
    granularity: str
    timezone: str
    currency: str
    includeBots: bool


class _Framed(OutModel):
    range: RangeOut
    currency: str
    linkId: str | None
    campaignId: str | None


class OverviewOut(_Framed):
    clicks: int
    uniqueClicks: int
    leads: int
    sales: int
    conversions: int = Field(description="Approved and pending conversions of every kind.")
    revenue: float = Field(description="Their value in `currency`.")
    conversionRate: float = Field(description="conversions / clicks, in percent.")
    epc: float = Field(description="Earnings per click: revenue / clicks.")


class LeadsOut(_Framed):
    leads: int
    customers: int
    clicks: int
    uniqueClicks: int
    conversionRate: float
    revenue: float


class RefundsOut(OutModel):
    count: int
    amount: float


class SalesOut(_Framed):
    sales: int
    revenue: float
    averageOrderValue: float
    refunds: RefundsOut
    customers: int
    clicks: int
    uniqueClicks: int
    conversionRate: float
    epc: float


class KindTotals(OutModel):
    count: int
    revenue: float
    refunds: int | None = Field(None, description="Refunded sales (sales only).")


class KindPoint(KindTotals):
    timestamp: str


class KindTimeseriesOut(_Framed):
    granularity: str
    timezone: str
    timeseries: list[KindPoint]
    totals: KindTotals


class CompositeTotals(OutModel):
    clicks: int
    uniqueClicks: int
    leads: int
    sales: int
    conversions: int
    revenue: float


class CompositePoint(CompositeTotals):
    timestamp: str


class CompositeOut(_Framed):
    granularity: str
    timezone: str
    timeseries: list[CompositePoint]
    totals: CompositeTotals


class FunnelStep(OutModel):
    name: str
    count: int
    rate: float = Field(description="Percent of the step before (100 for clicks).")
    overallRate: float = Field(description="Percent of clicks.")
    dropOff: int


class FunnelOut(_Framed):
    steps: list[FunnelStep]
    uniqueClicks: int
    revenue: float


class BreakdownRow(OutModel):
    key: str | None
    label: str | None
    count: int
    revenue: float
    percentage: float


class BreakdownTotals(OutModel):
    count: int
    revenue: float


class BreakdownOut(_Framed):
    by: str
    kind: str
    rows: list[BreakdownRow]
    totalRows: int
    totals: BreakdownTotals


class Converted(OutModel):
    value: float
    currency: str


class ConversionDetailOut(OutModel):
    id: str
    event: str
    kind: str
    status: str
    source: str
    value: float
    currency: str
    valueUsd: float
    converted: Converted
    orderId: str | None
    clickId: str | None
    country: str | None
    linkId: str | None
    linkTitle: str | None
    shortCode: str | None
    campaignId: str | None
    campaignName: str | None
    customerId: str | None
    customerExternalId: str | None
    occurredAt: str
    createdAt: str


class LiveEvent(OutModel):
    id: str
    type: str = Field(description="click, qr_scan or conversion.")
    timestamp: str
    linkId: str | None
    linkTitle: str | None
    shortCode: str | None
    campaignId: str | None
    campaignName: str | None
    country: str | None
    trigger: str | None = None
    city: str | None = None
    device: str | None = None
    os: str | None = None
    browser: str | None = None
    referrer: str | None = None
    unique: bool | None = None
    bot: bool | None = None
    event: str | None = None
    kind: str | None = None
    status: str | None = None
    value: float | None = None
    currency: str | None = None
    valueUsd: float | None = None
    orderId: str | None = None
    clickId: str | None = None
    customerId: str | None = None


class LiveEventsOut(RootModel[list[LiveEvent]]):
    """Newest first; `meta` carries the window and its counts."""


class LiveCounts(OutModel):
    clicks: int
    qrScans: int
    conversions: int
    leads: int
    sales: int
    revenueUsd: float
    total: int


class LiveStatsOut(OutModel):
    at: str
    includeBots: bool
    lastMinute: LiveCounts
    last5Minutes: LiveCounts
    lastHour: LiveCounts


class AuditActor(OutModel):
    type: str = Field(description="api_key, user or system.")
    id: str | None
    email: str | None
    name: str | None
    apiKeyId: str | None
    apiKeyName: str | None


class AuditEntryOut(OutModel):
    action: str
    resourceType: str
    resourceId: str | None
    actor: AuditActor
    details: dict[str, Any] | None
    ip: str | None
    createdAt: str

"""Query and response models of the click analytics (workspace and per-link reports, batch,
export). Types and documentation only: parameters are checked by services/analytics/ranges.py
and the report modules, so every query field is a plain optional string here."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel

_Q = str | None
Number = int | float


class ClickRangeQuery(ApiModel):
    days: _Q = Field(None, description="Last N local days, today included (1-731, default 30).")
    start: _Q = Field(None, description="ISO 8601 date (a local day) or datetime (UTC unless "
                                        "it has an offset); overrides `days`.")
    end: _Q = Field(None, description="ISO 8601 date (its whole local day) or datetime.")
    granularity: _Q = Field(None, description="`hour` (ranges up to 31 days), `day` (default) "
                                              "or `month`.")
    timezone: _Q = Field(None, description="IANA zone of the buckets (default: the workspace's).")
    currency: _Q = Field(None, description="ISO 4217 code revenue is reported in (USD).")
    includeBots: _Q = Field(None, description="`true` adds bot clicks to `clicks`.")


class ClickTopQuery(ClickRangeQuery):
    limit: _Q = Field(None, description="Rows, 1-500 (default 50).")


class ClickRegionQuery(ClickTopQuery):
    country: _Q = Field(None, description="Two-letter country code to drill into.")


class CityBreakdownQuery(ClickRegionQuery):
    campaignId: _Q = Field(None, description="Only this campaign's links (`camp_…`).")
    linkId: _Q = Field(None, description="Only this link (`link_…`).")


class CampaignRankingQuery(ClickTopQuery):
    sortBy: _Q = Field(None, description="clicks (default), uniqueVisitors, conversions, "
                                         "revenue or conversionRate.")


class ClickPathQuery(ClickRangeQuery):
    limit: _Q = Field(None, description="Rows, 1-1000 (default 200).")
    filterType: _Q = Field(None, description="source, destination, rule or condition.")
    filterValue: _Q = Field(None, description="Referrer domain or `direct`; destination host "
                                              "or URL; rule id or `default`; condition field "
                                              "or conditions hash. Required with filterType.")


class ExportQuery(ClickRangeQuery):
    format: _Q = Field(None, description="csv (default) or json.")
    type: _Q = Field(None, description="clicks (default), timeseries, composite, funnel or "
                                       "utm_breakdown.")
    dimension: _Q = Field(None, description="For `clicks`: link (default), country, device, "
                                            "os, browser, referrer, rule or trigger.")
    linkId: _Q = None
    campaignId: _Q = None
    qrId: _Q = None


class BatchRequest(ApiModel):
    id: str | None = Field(None, description="Echoed back on the result.")
    type: str = Field(description="overview, timeseries, city_breakdown, qr_analytics, "
                                  "qr_geo_breakdown or qr_timeseries.")
    params: dict[str, Any] | None = Field(None, description="The single route's query "
                                                            "parameters, plus linkId, "
                                                            "campaignId or qrId.")


class BatchBody(ApiModel):
    requests: list[BatchRequest] = Field(description="1 to 10 sub-requests.")


# --- responses ----------------------------------------------------------------------------------

class ClickRangeOut(OutModel):
    start: str
    end: str
    granularity: str
    timezone: str
    currency: str
    includeBots: bool


class TimeseriesPoint(OutModel):
    timestamp: str
    clicks: int
    uniqueVisitors: int
    botClicks: int
    conversions: int
    revenue: Number


class TimeseriesOut(OutModel):
    timeseries: list[TimeseriesPoint]
    granularity: str
    currency: str
    timezone: str


class _Row(OutModel):
    dimension: str
    clicks: int
    unique_clicks: int
    percentage: float


class CountryRow(_Row):
    country: str
    name: str | None


class ContinentRow(_Row):
    continent: str
    name: str | None


class PointRow(CountryRow):
    latitude: float
    longitude: float
    precision: str


class RegionRow(_Row):
    country: str
    countryName: str | None
    region: str


class CityRow(RegionRow):
    city: str


class DeviceRow(_Row):
    device: str


class BrowserRow(_Row):
    browser: str


class OsRow(_Row):
    os: str


class ReferrerRow(_Row):
    referrer: str


class TriggerRow(_Row):
    trigger: str


class CountriesOut(OutModel):
    countries: list[CountryRow]
    totalClicks: int


class ContinentsOut(OutModel):
    continents: list[ContinentRow]
    totalClicks: int


class PointsOut(OutModel):
    points: list[PointRow]
    totalClicks: int


class RegionsOut(OutModel):
    regions: list[RegionRow]
    country: str | None
    totalClicks: int


class CitiesOut(OutModel):
    cities: list[CityRow]
    country: str | None
    totalClicks: int


class DevicesOut(OutModel):
    deviceData: list[DeviceRow]
    browserData: list[BrowserRow]
    osData: list[OsRow]
    totalClicks: int


class ReferrersOut(OutModel):
    referrers: list[ReferrerRow]
    totalClicks: int


class TriggersOut(OutModel):
    triggers: list[TriggerRow]
    totalClicks: int

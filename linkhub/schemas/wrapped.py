"""Request and response models of /api/wrapped. Types only; the report is built in
services/wrapped.py."""

from __future__ import annotations

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel


class WrappedQuery(ApiModel):
    year: str | None = Field(None, description="2000 up to the current year (default: the "
                             "current year, so far), in the workspace's time zone.")


class WrappedLinkOut(OutModel):
    id: str
    shortCode: str
    title: str | None
    destinationUrl: str | None
    deleted: bool
    clicks: int
    uniqueClicks: int


class WrappedCountryOut(OutModel):
    country: str = Field(description="ISO 3166-1 alpha-2.")
    clicks: int
    share: float = Field(description="Percent of the year's clicks.")


class WrappedDayOut(OutModel):
    date: str
    weekday: str
    clicks: int


class WrappedMonthOut(OutModel):
    month: str = Field(description="YYYY-MM, local.")
    clicks: int
    uniqueClicks: int
    previousYearClicks: int
    growth: float | None = Field(description="Percent change against the same month a year "
                                 "before; null when that month had no clicks.")


class WrappedOut(OutModel):
    year: int
    timezone: str
    complete: bool = Field(description="False while the year is still running.")
    start: str
    end: str
    clicks: int = Field(description="Human clicks (bots left out).")
    uniqueClicks: int
    previousYearClicks: int
    clicksGrowth: float | None
    topLinks: list[WrappedLinkOut]
    topCountries: list[WrappedCountryOut]
    busiestDay: WrappedDayOut | None = Field(description="The local day with most clicks.")
    months: list[WrappedMonthOut]
    conversions: int
    previousYearConversions: int
    revenue: float = Field(description="Approved and pending conversions, USD.")
    previousYearRevenue: float
    revenueGrowth: float | None
    currency: str

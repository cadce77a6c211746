"""Request and response models of /api/customers. Types only; every rule (lengths, e-mail,
URLs, click ids, group_by values, ranges) is checked in services/customers.py and
services/customer_reports.py, which the dashboard calls too."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from linkhub.schemas import ApiModel, OutModel


class StrictModel(ApiModel):
    """A body whose values must already have the right JSON type."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, strict=True)


class CustomerUpdate(StrictModel):
    """Send only what changes; `null` clears (not `externalId`)."""

    externalId: str | None = Field(None, description="Your own id for the customer, unique "
                                   "in the workspace (at most 255 characters).")
    email: str | None = None
    name: str | None = Field(None, description="At most 200 characters.")
    avatarUrl: str | None = Field(None, description="An http(s) image URL.")
    metadata: dict[str, Any] | None = Field(None, description="Any JSON object up to 10 KB.")
    clickId: str | None = Field(None, description="The `lw_cid` click id that brought the "
                                "customer: sets the first touch (link, campaign, country, "
                                "source) when there is none yet.")


class CustomerUpsert(CustomerUpdate):
    """`externalId` is required: an existing live customer with it is updated (200), else one
    is created (201)."""


class CustomerListQuery(ApiModel):
    search: str | None = Field(None, description="Matches e-mail, name or externalId.")
    sortBy: str | None = Field(None, description="createdAt (default), firstSeenAt, "
                               "lastSeenAt or ltv.")
    sortOrder: str | None = Field(None, description="asc or desc (default).")
    page: str | None = None
    limit: str | None = None


class CountQuery(ApiModel):
    search: str | None = Field(None, description="Matches e-mail, name or externalId.")


class CohortQuery(ApiModel):
    group_by: str | None = Field(None, description="week, month (default), campaign or "
                                 "source.")
    start: str | None = Field(None, description="First-seen from (ISO 8601; a date means "
                              "00:00:00 UTC).")
    end: str | None = Field(None, description="First-seen until (ISO 8601; a date means its "
                            "23:59:59 UTC).")


class RangeQuery(ApiModel):
    start: str | None = Field(None, description="First-seen from (ISO 8601 date or time).")
    end: str | None = Field(None, description="First-seen until (ISO 8601 date or time).")


class CustomerOut(OutModel):
    id: str
    externalId: str | None
    email: str | None
    name: str | None
    avatarUrl: str | None
    metadata: dict[str, Any] | None
    country: str | None
    clickId: str | None
    linkId: str | None
    campaignId: str | None
    source: str | None
    ltvUsd: float
    leadCount: int
    saleCount: int
    firstSeenAt: str
    lastSeenAt: str
    createdAt: str
    updatedAt: str


class CountOut(OutModel):
    count: int


class DeletedOut(OutModel):
    id: str
    deleted: bool


class CohortRow(OutModel):
    cohort: str | None = Field(description="ISO week (`2026-W10`), month (`2026-03`), "
                               "campaign id or source; null for no campaign or no source.")
    label: str | None
    periodStart: str | None = Field(description="First day of the week or month.")
    customers: int
    convertedCustomers: int = Field(description="Customers with at least one approved sale.")
    conversionRate: float
    leads: int
    sales: int
    revenueUsd: float


class CohortsOut(OutModel):
    groupBy: str
    start: str | None
    end: str | None
    cohorts: list[CohortRow]


class LtvCohortRow(OutModel):
    cohort: str
    customers: int
    totalLtvUsd: float
    averageLtvUsd: float
    cumulativeRevenueUsd: list[float] = Field(description="Index 0 is the first-seen month; "
                                              "one entry per month up to the current one.")


class LtvCohortsOut(OutModel):
    start: str | None
    end: str | None
    cohorts: list[LtvCohortRow]


class ClickStep(OutModel):
    type: Literal["click"]
    timestamp: str
    clickId: str
    linkId: str | None
    shortCode: str | None
    campaignId: str | None = Field(description="The link's campaign.")
    trigger: str
    country: str | None
    device: str | None
    os: str | None
    browser: str | None
    referrerDomain: str | None
    utmSource: str | None
    utmMedium: str | None
    utmCampaign: str | None
    firstTouch: bool
    pending: bool = Field(description="Still in the click buffer (not yet on disk).")


class ConversionStep(OutModel):
    type: Literal["conversion"]
    timestamp: str
    conversionId: str
    eventType: str = Field(description="lead, sale or custom.")
    eventName: str
    status: str
    value: float
    currency: str
    valueUsd: float
    clickId: str | None
    linkId: str | None
    campaignId: str | None
    orderId: str | None
    country: str | None


class JourneySummary(OutModel):
    clicks: int
    conversions: int
    leads: int
    sales: int
    revenueUsd: float
    firstSeenAt: str
    lastSeenAt: str


class JourneyOut(OutModel):
    customerId: str
    steps: list[Annotated[ClickStep | ConversionStep, Field(discriminator="type")]]
    summary: JourneySummary


class TouchOut(OutModel):
    clickId: str
    timestamp: str
    linkId: str | None
    shortCode: str | None
    campaignId: str | None
    source: str | None


class CampaignCredit(OutModel):
    campaignId: str | None
    conversions: float = Field(description="Conversions credited (fractions under linear).")
    revenueUsd: float
    revenueShare: float = Field(description="Share of the customer's revenue, 0 to 1.")


class LinkCredit(CampaignCredit):
    linkId: str | None
    shortCode: str | None


class ModelCredit(OutModel):
    links: list[LinkCredit]
    campaigns: list[CampaignCredit]


class AttributionModels(OutModel):
    firstClick: ModelCredit
    lastClick: ModelCredit
    linear: ModelCredit


class Unattributed(OutModel):
    conversions: int
    revenueUsd: float


class AttributionOut(OutModel):
    customerId: str
    conversions: int
    revenueUsd: float
    touchpoints: int
    firstTouch: TouchOut | None
    lastTouch: TouchOut | None
    models: AttributionModels
    unattributed: Unattributed

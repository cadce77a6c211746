"""Response models of the headline analytics: KPIs (workspace overview, link summary), usage,
top folders and tags, campaign ranking and budgets. Types and documentation only."""

from __future__ import annotations

from linkhub.schemas import OutModel
from linkhub.schemas.analytics import ClickRangeOut, Number


class PreviousOut(OutModel):
    clicks: int
    uniqueVisitors: int
    conversions: int
    revenue: Number


class ChangeOut(OutModel):
    clicks: float | None
    uniqueVisitors: float | None
    conversions: float | None
    revenue: float | None


class KpisOut(OutModel):
    clicks: int
    uniqueVisitors: int
    botClicks: int
    qrScans: int
    conversions: int
    leads: int
    sales: int
    revenue: Number
    currency: str
    conversionRate: float
    previous: PreviousOut
    change: ChangeOut
    range: ClickRangeOut


class LinkCountsOut(OutModel):
    total: int
    active: int


class WorkspaceOverviewOut(KpisOut):
    links: LinkCountsOut


class LinkInfoOut(OutModel):
    id: str
    shortCode: str
    shortUrl: str
    title: str | None
    destinationUrl: str | None
    createdAt: str | None


class LifetimeOut(OutModel):
    clicks: int
    uniqueClicks: int
    botClicks: int
    lastClickedAt: str | None


class LinkSummaryOut(KpisOut):
    link: LinkInfoOut
    lifetime: LifetimeOut
    topCountry: str | None
    topReferrer: str | None
    topDevice: str | None


class UsageOut(OutModel):
    clicks: int
    uniqueVisitors: int
    botClicks: int
    qrScans: int
    conversions: int
    leads: int
    sales: int
    linksCreated: int
    range: ClickRangeOut


class _OwnerRow(OutModel):
    name: str
    clicks: int
    uniqueVisitors: int
    links: int
    percentage: float


class FolderRow(_OwnerRow):
    folderId: str


class TagRow(_OwnerRow):
    tagId: str


class FoldersOut(OutModel):
    folders: list[FolderRow]
    totalClicks: int


class TagsOut(OutModel):
    tags: list[TagRow]
    totalClicks: int


class CampaignRankRow(OutModel):
    rank: int
    campaignId: str
    name: str
    status: str
    links: int
    clicks: int
    uniqueVisitors: int
    conversions: int
    leads: int
    sales: int
    revenue: Number
    conversionRate: float


class CampaignRankingOut(OutModel):
    campaigns: list[CampaignRankRow]
    sortBy: str
    currency: str
    range: ClickRangeOut


class BudgetRow(OutModel):
    campaignId: str
    name: str
    status: str
    costModel: str
    costCurrency: str
    costOverride: Number | None
    dailyBudget: Number | None
    totalBudget: Number | None
    spentToday: Number
    spentTotal: Number
    dailyUtilization: float | None
    totalUtilization: float | None
    remainingTotal: Number | None
    overBudget: bool


class BudgetsOut(OutModel):
    budgets: list[BudgetRow]
    day: str
    timezone: str

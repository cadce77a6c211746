"""Request and response models for campaigns. Shapes and types only; the enums, currencies and
budget rules live in services/campaigns.py."""

from __future__ import annotations

from decimal import Decimal

from pydantic import StrictBool

from linkhub.schemas import ApiModel, OutModel


class CampaignCreate(ApiModel):
    """Amounts are decimal numbers in `costCurrency` units (0.5 = fifty cents)."""

    name: str | None = None
    description: str | None = None
    type: str | None = None
    status: str | None = None
    conversionTracking: StrictBool | None = None
    costModel: str | None = None
    costOverride: Decimal | None = None
    costCurrency: str | None = None
    dailyBudget: Decimal | None = None
    totalBudget: Decimal | None = None
    goalType: str | None = None
    goalValue: Decimal | None = None


class CampaignUpdate(CampaignCreate):
    """Send only what changes; `null` clears description, amounts and goal type."""


class CampaignListQuery(ApiModel):
    status: str | None = None
    type: str | None = None
    search: str | None = None
    sortBy: str | None = None
    sortOrder: str | None = None
    sort: str | None = None
    page: str | None = None
    limit: str | None = None


class ForceQuery(ApiModel):
    force: str | None = None


class CampaignOut(OutModel):
    id: str
    name: str
    description: str | None
    type: str
    status: str
    pixelCode: str
    conversionTracking: bool
    costModel: str
    costOverride: float | None
    costCurrency: str
    dailyBudget: float | None
    totalBudget: float | None
    spentToday: float
    spentTotal: float
    goalType: str | None
    goalValue: float | None
    linkCount: int
    createdAt: str
    updatedAt: str


class CampaignDeletedOut(OutModel):
    id: str
    deleted: bool
    detachedLinks: int

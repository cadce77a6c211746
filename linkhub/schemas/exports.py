"""Request and response models of /api/exports and POST /api/links/export. Types only: the
types, formats, filters and columns are checked in services/exports.py (the dashboard uses
the same checks)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel

FILTERS_HELP = (
    "Per type. links: start, end (creation time), campaignId, folderId, domainId, tag, search, "
    "enabled, archived (default: all). clicks: start, end, linkId, campaignId, country, "
    "trigger (link|qr|deeplink), includeBots (default false). conversions: start, end "
    "(occurrence), linkId, campaignId, customerId, status, kind (lead|sale|custom), event. "
    "events: the same with type (lead|sale) instead of kind. customers: start, end "
    "(creation), linkId, campaignId, country. A date-only end means the whole day.")


class ExportIn(ApiModel):
    type: Any = Field(None, description="links, clicks, conversions, customers or events "
                      "(partners and commissions answer 400 until the partner module exists).")
    format: Any = Field("csv", description="csv (default), json (one array) or xlsx.")
    filters: Any = Field(None, description=FILTERS_HELP)
    columns: Any = Field(None, description="Column names in file order (default: all of "
                         "the type's columns).")
    programId: str | None = Field(None, description="Partner exports only (not available).")


class LinkExportIn(ApiModel):
    format: Any = Field("csv", description="csv (default), json or xlsx.")
    filters: Any = Field(None, description=FILTERS_HELP)
    columns: Any = Field(None, description="Column names in file order (default: all).")


class ExportListQuery(ApiModel):
    status: str | None = Field(None, description="pending, processing, completed, failed, "
                               "cancelled or expired.")
    type: str | None = Field(None, description="Only this export type.")
    page: str | None = None
    limit: str | None = None


class ExportOut(OutModel):
    id: str = Field(examples=["exp_3kT9aZ0bC1dE2fG4"])
    type: str
    format: str
    status: str = Field(description="pending, processing, completed, failed, cancelled or "
                        "expired.")
    filters: dict[str, Any]
    columns: list[str]
    rowsWritten: int
    sizeBytes: int | None = Field(description="The file's size once completed.")
    fileName: str
    downloadUrl: str | None = Field(description="Set once completed.")
    error: str | None
    createdBy: str | None
    createdAt: str
    startedAt: str | None
    finishedAt: str | None
    expiresAt: str | None = Field(description="The file is deleted then (7 days after it is "
                                  "ready); downloads answer 410 afterwards.")

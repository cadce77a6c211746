"""Request and response models of the import routes (/api/links/import/...) and the bundle
export. Types only; every rule (mapping, encodings, row limits, tokens) is in
services/imports.py and its helpers."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel
from linkhub.schemas.links import StrictModel

MAPPING_HELP = ("Our field -> column (header) name, e.g. `{\"destinationUrl\": \"Long URL\"}`; "
                "null leaves a field out. Unmapped fields use the default column names "
                "(destinationUrl/url/destination/long_url, shortCode/code/slug, title, tags "
                "(`;`-separated), notes, domain, campaign, folder, externalId, ...).")


class CsvRowsIn(StrictModel):
    """The JSON form of a CSV import (multipart `file` + optional `mapping` JSON field is the
    other)."""

    rows: list[dict[str, Any]] = Field(description="At most 100,000 objects; keys are the "
                                                   "column names.")
    mapping: dict[str, str | None] | None = Field(None, description=MAPPING_HELP)


class ProviderStartIn(StrictModel):
    accessToken: str = Field(description="The provider's access token or API key; used for "
                                         "this job only (encrypted at rest, deleted when the "
                                         "job ends).")
    groupGuid: str | None = Field(None, description="Bitly: one group only.")
    domainId: str | int | None = Field(None, description="Rebrandly/Short.io: one of the "
                                                         "provider's domains only.")
    domain: str | None = Field(None, description="Our verified domain to create the links "
                                                 "on (default: this install's domain).")


class JobListQuery(ApiModel):
    status: str | None = Field(None, description="pending, processing, completed, failed or "
                                                 "cancelled.")
    source: str | None = Field(None, description="csv, json, bitly, rebrandly or shortio.")


class OAuthStartQuery(ApiModel):
    groupGuid: str | None = None
    domain: str | None = None


class OAuthCallbackQuery(ApiModel):
    code: str | None = None
    state: str | None = None
    error: str | None = None


class ImportJobOut(OutModel):
    id: str
    source: str
    status: str = Field(description="pending, processing, completed, failed or cancelled.")
    fileName: str | None
    mapping: dict[str, str] | None = Field(description="The column each field was read from.")
    options: dict[str, Any]
    total: int | None = Field(description="Rows to import (null while a provider pages).")
    processed: int
    created: int
    skipped: int = Field(description="Rows whose code (or reference) already existed, or "
                                     "repeated an earlier row: re-running an import skips all.")
    failed: int
    progress: int | None = Field(description="Percent done (null while the total is unknown).")
    error: str | None
    errorReportUrl: str | None = Field(description="CSV of the skipped and failed rows.")
    createdBy: str | None
    createdAt: str
    updatedAt: str
    startedAt: str | None
    finishedAt: str | None


class ProviderOut(OutModel):
    id: str
    name: str
    kind: str = Field(description="`file` (upload) or `api` (the provider's API with a token).")
    oauth: bool = Field(description="OAuth sign-in is available on this install.")
    start: str
    options: dict[str, str]


class ProvidersOut(OutModel):
    providers: list[ProviderOut]


class OAuthStartOut(OutModel):
    authorizeUrl: str
    state: str
    redirectUri: str

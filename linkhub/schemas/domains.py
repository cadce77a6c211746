"""Request and response models for custom domains. Shapes and types only; the host-name,
URL, size and case-sensitivity rules live in services/domains.py."""

from __future__ import annotations

from typing import Any

from linkhub.schemas import ApiModel, OutModel


class DomainCreate(ApiModel):
    """`name` is a host name such as go.example.com (Unicode names are IDNA-encoded)."""

    name: Any = None
    notFoundUrl: Any = None
    expiredUrl: Any = None
    rootUrl: Any = None
    caseSensitive: Any = None
    appleAppSiteAssociation: Any = None
    assetLinks: Any = None


class DomainUpdate(DomainCreate):
    """Send only what changes; `null` clears a URL or an app file. `name` cannot change."""


class DomainListQuery(ApiModel):
    verified: str | None = None
    search: str | None = None
    sortBy: str | None = None
    sortOrder: str | None = None
    page: str | None = None
    limit: str | None = None


class DnsRecordOut(OutModel):
    type: str
    name: str
    value: str


class HttpFileOut(OutModel):
    url: str
    content: str


class VerificationOut(OutModel):
    dns: DnsRecordOut
    http: HttpFileOut


class DomainOut(OutModel):
    id: str
    name: str
    verified: bool
    verifiedAt: str | None
    verificationToken: str
    verification: VerificationOut
    notFoundUrl: str | None
    expiredUrl: str | None
    rootUrl: str | None
    caseSensitive: bool
    appleAppSiteAssociation: dict[str, Any] | None
    assetLinks: list[Any] | None
    linkCount: int
    lastCheckedAt: str | None
    lastCheckError: str | None
    createdAt: str
    updatedAt: str


class DomainDeletedOut(OutModel):
    id: str
    deleted: bool

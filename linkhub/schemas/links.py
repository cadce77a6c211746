"""Request and response models of /api/links. Types only (strict: `"5"` is not a number,
`1` is not `true`); every rule (lengths, URLs, codes, references, limits) is checked in
services/links.py and its helpers, which the dashboard and imports call too."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AliasChoices, ConfigDict, Field, StringConstraints

from linkhub.schemas import ApiModel, OutModel

# Passwords are taken exactly as typed.
Password = Annotated[str, StringConstraints(strip_whitespace=False, max_length=4096)]


class StrictModel(ApiModel):
    """A request body whose values must already have the right JSON type."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, strict=True)


def _utm(name: str) -> Any:
    snake = "utm_" + name[3:].lower()
    return Field(None, validation_alias=AliasChoices(name, snake),
                 description=f"`{snake}` added to the destination (alias `{snake}` accepted).")


class LinkIn(StrictModel):
    """Every writable link field. On create only `destinationUrl` is required (and not even
    that when `redirectBehavior` is `rule_only` or `never`); on update, absent fields stay as
    they are and `null` clears a field where that makes sense."""

    destinationUrl: str | None = Field(None, description="http(s) URL, at most 2,048 chars.",
                                       examples=["https://example.com/landing"])
    shortCode: str | None = Field(None, description="1-64 of `A-Z a-z 0-9 _ -` and `.` (not "
                                  "first); generated (7 chars) when omitted. Reserved first "
                                  "path segments (api, app, static, ...) are refused.")
    domainId: str | None = Field(None, description="A verified custom domain (`dom_...`); "
                                 "null or absent: the default domain.")
    domain: str | None = Field(None, description="The domain as a host name (alternative to "
                               "domainId).")
    title: str | None = Field(None, description="At most 500 characters.")
    description: str | None = None
    notes: str | None = Field(None, description="Internal notes.")
    externalId: str | None = Field(None, description="Your own id, unique among the "
                                   "workspace's live links.")
    campaignId: str | None = None
    folderId: str | None = None
    utmTemplateId: str | None = Field(None, description="Its values fill the link's empty UTM "
                                      "fields at redirect time.")
    tags: list[str] | None = Field(None, description="Tag names (created on first use) or "
                                   "`tag_` ids; on update it replaces the whole set.")
    ruleIds: list[str] | None = Field(None, description="Shared rules (`rule_...`) to attach; "
                                      "on update it replaces the whole set.")
    expiresAt: str | None = Field(None, description="ISO 8601, in the future; null clears.")
    clicksLimit: int | None = Field(None, description=">= 1; null removes the limit.")
    password: Password | None = Field(None, description="4-128 characters; \"\" or null "
                                      "removes the protection. Never returned.")
    enabled: bool = Field(None, description="Default true.")
    redirectBehavior: Literal["auto", "always", "rule_only", "never"] = Field(
        None, description="Default auto.")
    redirectType: Literal[301, 302, 307, 308] = Field(None, description="Default 302.")
    expiredUrl: str | None = Field(None, description="Where an expired or exhausted link goes.")
    deepLinkEnabled: bool = None
    deepLinkIos: str | None = Field(None, description="https URL or app scheme "
                                    "(`myapp://path`).")
    deepLinkAndroid: str | None = Field(None, description="https URL, app scheme or "
                                        "`intent://...` URI.")
    deepLinkFallbackUrl: str | None = None
    conversionTracking: bool = None
    trackingType: Literal["pixel", "s2s"] = None
    ogTitle: str | None = None
    ogDescription: str | None = None
    ogImage: str | None = None
    publicStats: bool = None
    trackImpressions: bool = None
    preserveQueryParams: bool = Field(None, description="Default true.")
    forwardUtms: bool = Field(None, description="Default true.")
    inappBrowserBreakout: bool = None
    utmSource: str | None = _utm("utmSource")
    utmMedium: str | None = _utm("utmMedium")
    utmCampaign: str | None = _utm("utmCampaign")
    utmTerm: str | None = _utm("utmTerm")
    utmContent: str | None = _utm("utmContent")


class LinkCreate(LinkIn):
    """A new link (also the body of PUT /api/links/upsert)."""


class LinkUpdate(LinkIn):
    """Send only what changes."""


class LinkTransfer(StrictModel):
    """Exactly one of the two: `campaignId` (a campaign of the same workspace, or null to
    detach) or `workspaceId` (sessions only; admin in both workspaces)."""

    campaignId: str | None = None
    workspaceId: str | None = None


class LinkListQuery(ApiModel):
    campaignId: str | None = Field(None, description="Only this campaign's links.")
    domainId: str | None = Field(None, description="A `dom_` id, or `default`.")
    folderId: str | None = None
    tag: str | None = Field(None, description="A tag name or `tag_` id.")
    search: str | None = Field(None, description="In title, short code and destination.")
    enabled: str | None = Field(None, description="true or false.")
    archived: str | None = Field(None, description="false (default), true or all.")
    createdAfter: str | None = Field(None, description="ISO 8601 date or date-time.")
    createdBefore: str | None = Field(None, description="ISO 8601; a date covers the day.")
    sortBy: str | None = Field(None, description="createdAt (default), updatedAt, clicks, "
                               "title or lastClickedAt.")
    sortOrder: str | None = Field(None, description="asc or desc (default).")


class LinkGetQuery(ApiModel):
    domain: str | None = Field(None, description="When looking up by short code on a custom "
                               "domain: its host name or `dom_` id.")
    include: str | None = Field(None, description="`rules` adds the link's rules.")


# --- responses -------------------------------------------------------------------------------

class LinkOut(OutModel):
    id: str
    shortCode: str
    shortUrl: str
    domain: str
    domainId: str | None
    destinationUrl: str | None
    defaultDestination: str | None
    title: str | None
    description: str | None
    notes: str | None
    externalId: str | None
    campaignId: str | None
    folderId: str | None
    utmTemplateId: str | None
    tags: list[str]
    ruleIds: list[str]
    enabled: bool
    archived: bool
    archivedAt: str | None
    passwordProtected: bool
    expiresAt: str | None
    clicksLimit: int | None
    redirectBehavior: str
    redirectType: int
    expiredUrl: str | None
    deepLinkEnabled: bool
    deepLinkIos: str | None
    deepLinkAndroid: str | None
    deepLinkFallbackUrl: str | None
    conversionTracking: bool
    trackingType: str
    ogTitle: str | None
    ogDescription: str | None
    ogImage: str | None
    publicStats: bool
    trackImpressions: bool
    preserveQueryParams: bool
    forwardUtms: bool
    inappBrowserBreakout: bool
    utmSource: str | None
    utmMedium: str | None
    utmCampaign: str | None
    utmTerm: str | None
    utmContent: str | None
    clicks: int
    uniqueClicks: int
    botClicks: int
    impressions: int
    lastClickedAt: str | None
    createdAt: str
    updatedAt: str
    rules: list[dict[str, Any]] | None = Field(None, description="With `?include=rules`: the "
                                               "link's own and attached rules.")


class LinkStatsOut(OutModel):
    """Over the workspace's live (not deleted) links."""

    totalLinks: int
    totalClicks: int = Field(description="Human clicks (bots left out).")
    totalUniqueClicks: int
    activeLinks: int = Field(description="Enabled and not archived.")
    archivedLinks: int


class LinkDeletedOut(OutModel):
    id: str
    deleted: bool

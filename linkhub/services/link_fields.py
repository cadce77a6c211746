"""The link's own fields: cleaning API-named values into column values (texts, URLs, app
deep links, switches, enums, limits, expiry, password) and resolving the references a link
may carry (domain, campaign, folder, UTM template, tags, shared rules) inside one workspace.
It raises errors.*; it writes nothing except through services/tags.py when asked to."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from flask import current_app

from linkhub import clock, ids
from linkhub.errors import Invalid, NotFound
from linkhub.models import Campaign, Domain, Folder, Rule, Tag, UtmTemplate, Workspace
from linkhub.services import passwords, urls

REDIRECT_BEHAVIORS = ("auto", "always", "rule_only", "never")
NO_DESTINATION_NEEDED = ("rule_only", "never")
REDIRECT_TYPES = (301, 302, 307, 308)
TRACKING_TYPES = ("pixel", "s2s")
PASSWORD_MIN, PASSWORD_MAX = 4, 128
CLICKS_LIMIT_MAX = 2_000_000_000
MAX_TAGS = 100
MAX_RULES = 100
TAG_NAME_MAX = 64
_FORBIDDEN_SCHEMES = ("javascript", "data", "vbscript", "file")
_SCHEME_RE = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")

# Input aliases of the old generation / CSV headers.
ALIASES = {"utm_source": "utmSource", "utm_medium": "utmMedium", "utm_campaign": "utmCampaign",
           "utm_term": "utmTerm", "utm_content": "utmContent"}

# API name -> (column, maximum length) for free texts; empty means null.
TEXTS: dict[str, tuple[str, int]] = {
    "title": ("title", 500), "description": ("description", 5000), "notes": ("notes", 10_000),
    "externalId": ("external_id", 255), "ogTitle": ("og_title", 300),
    "ogDescription": ("og_description", 1000),
    "utmSource": ("utm_source", 255), "utmMedium": ("utm_medium", 255),
    "utmCampaign": ("utm_campaign", 255), "utmTerm": ("utm_term", 255),
    "utmContent": ("utm_content", 255),
}
# API name -> (column, is a destination: refused when it points at this install)
URLS: dict[str, tuple[str, bool]] = {
    "destinationUrl": ("destination_url", True), "expiredUrl": ("expired_url", True),
    "deepLinkFallbackUrl": ("deep_link_fallback_url", True), "ogImage": ("og_image", False),
}
APP_LINKS = {"deepLinkIos": "deep_link_ios", "deepLinkAndroid": "deep_link_android"}
SWITCHES = {
    "enabled": "enabled", "deepLinkEnabled": "deep_link_enabled",
    "conversionTracking": "conversion_tracking", "publicStats": "public_stats",
    "trackImpressions": "track_impressions", "preserveQueryParams": "preserve_query_params",
    "forwardUtms": "forward_utms", "inappBrowserBreakout": "inapp_browser_breakout",
}
CHOICES: dict[str, tuple[str, tuple]] = {
    "redirectBehavior": ("redirect_behavior", REDIRECT_BEHAVIORS),
    "redirectType": ("redirect_type", REDIRECT_TYPES),
    "trackingType": ("tracking_type", TRACKING_TYPES),
}


def normalise_keys(data: Mapping[str, Any]) -> dict[str, Any]:
    """Copy of `data` with the snake_case aliases renamed (the camelCase name wins)."""
    out = dict(data)
    for alias, name in ALIASES.items():
        if alias in out:
            value = out.pop(alias)
            out.setdefault(name, value)
    return out


def _text(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(fields={name: "must be a string"})
    value = value.strip()
    limit = TEXTS[name][1]
    if len(value) > limit:
        raise Invalid(fields={name: f"must be at most {limit} characters"})
    return value or None


def app_link(value: Any, field: str) -> str | None:
    """A deep-link target: https URL, custom scheme (`myapp://path`) or `intent://` URI."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise Invalid(fields={field: "must be a string"})
    value = value.strip()
    if len(value) > urls.MAX_URL_LENGTH:
        raise Invalid(fields={field: f"must be at most {urls.MAX_URL_LENGTH} characters"})
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise Invalid(fields={field: "must not contain spaces or control characters"})
    match = _SCHEME_RE.match(value)
    if not match:
        raise Invalid(fields={field: "must be a URL with a scheme (https://, myapp://, "
                                     "intent://)"})
    scheme = match.group(1).lower()
    if scheme in _FORBIDDEN_SCHEMES:
        raise Invalid(fields={field: f"the {scheme}: scheme is not allowed"})
    if scheme in ("http", "https"):
        return urls.check_url(value, field)
    if len(value) == len(scheme) + 1:
        raise Invalid(fields={field: "must have something after the scheme"})
    return value


def _switch(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid(fields={name: "must be true or false"})
    return value


def _choice(name: str, value: Any) -> Any:
    options = CHOICES[name][1]
    if isinstance(value, bool) or value not in options:
        raise Invalid(fields={name: "must be one of " + ", ".join(str(o) for o in options)})
    return value


def clicks_limit(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(fields={"clicksLimit": "must be a whole number"})
    if not 1 <= value <= CLICKS_LIMIT_MAX:
        raise Invalid(fields={"clicksLimit": f"must be between 1 and {CLICKS_LIMIT_MAX}"})
    return value


def expires_at(value: Any) -> datetime | None:
    """An ISO 8601 string (or datetime) in the future; naive means UTC."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = clock.parse_iso(value)
        except ValueError:
            raise Invalid(fields={"expiresAt": "must be an ISO 8601 date-time"}) from None
    elif isinstance(value, datetime):
        value = clock.parse_iso(value.isoformat())
    else:
        raise Invalid(fields={"expiresAt": "must be an ISO 8601 date-time string"})
    if value <= clock.now():
        raise Invalid(fields={"expiresAt": "must be in the future"})
    return value


def password_hash(value: Any) -> str | None:
    """The stored hash for a new link password; "" or null means no protection."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(fields={"password": "must be a string"})
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise Invalid(fields={"password": f"must be {PASSWORD_MIN} to {PASSWORD_MAX} "
                                          "characters"})
    return passwords.hash_password(value)


_CLEANERS: dict[str, tuple[str, Callable[[str, Any], Any]]] = {
    **{n: (c, _text) for n, (c, _) in TEXTS.items()},
    **{n: (c, lambda f, v, d=d: urls.check_url(v, f, destination=d))
       for n, (c, d) in URLS.items()},
    **{n: (c, lambda f, v: app_link(v, f)) for n, c in APP_LINKS.items()},
    **{n: (c, _switch) for n, c in SWITCHES.items()},
    **{n: (c, _choice) for n, (c, _) in CHOICES.items()},
    "clicksLimit": ("clicks_limit", lambda f, v: clicks_limit(v)),
    "expiresAt": ("expires_at", lambda f, v: expires_at(v)),
    "password": ("password_hash", lambda f, v: password_hash(v)),
}


def clean(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Column values for every scalar field present in `data`, and the problems found (all of
    them, so a client fixes its request in one go). Absent fields are left out."""
    values: dict[str, Any] = {}
    problems: dict[str, str] = {}
    for name, (column, cleaner) in _CLEANERS.items():
        if name not in data:
            continue
        try:
            values[column] = cleaner(name, data[name])
        except Invalid as exc:
            problems.update(exc.fields)
    return values, problems


# --- references ------------------------------------------------------------------------------

def default_host() -> str:
    return urlsplit(current_app.config["LINKHUB"]["BASE_URL"]).hostname or ""


def _owned(model: type, kind: str, workspace: Workspace, value: Any, field: str,
           label: str) -> Any:
    """The `model` row of `workspace` with public id `value`; 404 otherwise (also for another
    workspace's row: it answers like a missing one)."""
    row = None
    if ids.is_valid(kind, value):
        row = model.get_or_none(model.public_id == value, model.workspace == workspace)
    if row is None:
        raise NotFound(f"{label} not found ({field}).")
    return row


def campaign(workspace: Workspace, value: Any) -> Campaign | None:
    if value is None:
        return None
    return _owned(Campaign, "campaign", workspace, value, "campaignId", "Campaign")


def folder(workspace: Workspace, value: Any) -> Folder | None:
    if value is None:
        return None
    return _owned(Folder, "folder", workspace, value, "folderId", "Folder")


def utm_template(workspace: Workspace, value: Any) -> UtmTemplate | None:
    if value is None:
        return None
    return _owned(UtmTemplate, "utm_template", workspace, value, "utmTemplateId",
                  "UTM template")


def domain_by_id(workspace: Workspace, value: Any, field: str = "domainId") -> Domain | None:
    """A verified custom domain of the workspace; None means the default domain."""
    if value is None:
        return None
    row = _owned(Domain, "domain", workspace, value, field, "Domain")
    if not row.verified:
        raise Invalid(fields={field: "is not verified yet; verify the domain first"})
    return row


def domain_by_host(workspace: Workspace, value: Any, field: str = "domain") -> Domain | None:
    """`domain` given as a host name: the default host (None) or a verified custom domain."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(fields={field: "must be a host name"})
    host = value.strip().lower().rstrip(".")
    if host == default_host():
        return None
    row = Domain.get_or_none(Domain.name == host, Domain.workspace == workspace)
    if row is None or not row.verified:
        raise Invalid(fields={field: "is not the default domain nor a verified domain of this "
                                     "workspace"})
    return row


def domain(workspace: Workspace, data: Mapping[str, Any]) -> tuple[bool, Domain | None]:
    """(given, domain) from `domainId` (wins) or `domain`."""
    if "domainId" in data:
        return True, domain_by_id(workspace, data["domainId"])
    if "domain" in data:
        return True, domain_by_host(workspace, data["domain"])
    return False, None


def _string_list(value: Any, field: str, limit: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise Invalid(fields={field: "must be a list of strings"})
    if len(value) > limit:
        raise Invalid(fields={field: f"must have at most {limit} items"})
    return [v.strip() for v in value]


def tag_refs(workspace: Workspace, value: Any) -> tuple[list[Tag], list[str]]:
    """Existing tags named by `tag_` id (404 when not in the workspace) or by name, and the
    names still to create (validated, de-duplicated case-blind)."""
    items = _string_list(value, "tags", MAX_TAGS)
    by_id = [i for i in items if ids.is_valid("tag", i)]
    names: dict[str, str] = {}
    for item in items:
        if item in by_id:
            continue
        if not item:
            raise Invalid(fields={"tags": "tag names must not be empty"})
        if len(item) > TAG_NAME_MAX:
            raise Invalid(fields={"tags": f"tag names must be at most {TAG_NAME_MAX} "
                                          "characters"})
        names.setdefault(item.lower(), item)
    found: dict[int, Tag] = {}
    if by_id:
        rows = {t.public_id: t for t in Tag.select().where(Tag.workspace == workspace,
                                                           Tag.public_id.in_(by_id))}
        for public_id in by_id:
            if public_id not in rows:
                raise NotFound(f"Tag not found (tags: {public_id}).")
            found[rows[public_id].id] = rows[public_id]
    if names:
        for tag in Tag.select().where(Tag.workspace == workspace,
                                      Tag.name_key.in_(list(names))):
            found[tag.id] = tag
            names.pop(tag.name_key, None)
    return list(found.values()), list(names.values())


def shared_rules(workspace: Workspace, value: Any) -> list[Rule]:
    """Shared rules (no link, no campaign, not deleted) of the workspace, by `rule_` id."""
    items = list(dict.fromkeys(_string_list(value, "ruleIds", MAX_RULES)))
    if not items:
        return []
    rows = {r.public_id: r for r in Rule.select().where(
        Rule.workspace == workspace, Rule.public_id.in_(items), Rule.deleted_at.is_null())}
    for public_id in items:
        rule = rows.get(public_id)
        if rule is None:
            raise NotFound(f"Rule not found (ruleIds: {public_id}).")
        if rule.link_id is not None or rule.campaign_id is not None:
            raise Invalid(fields={"ruleIds": f"{public_id} belongs to a link or campaign; only "
                                             "shared rules can be attached"})
    return [rows[i] for i in items]

"""Custom domains: name checks (host name, IDNA, not an IP, not the default host, unique),
verification state, fallback URLs, case sensitivity, app-link files, and the host lookups the
redirect and /.well-known layers use. The network probes live in domain_verification.py."""

from __future__ import annotations

import hmac
import ipaddress
import json
import re
import secrets
from typing import Any

import peewee
from flask import current_app

from linkhub import clock, ids, ratelimit
from linkhub.db import database
from linkhub.errors import Conflict, Invalid, NotFound
from linkhub.models import Domain, Link, User, Workspace
from linkhub.services import audit, domain_verification
from linkhub.services.urls import check_url, host_of

MAX_NAME = 253
MAX_APP_FILE = 64 * 1024
VERIFY_RATE = "20/minute"
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
URL_FIELDS = {"notFoundUrl": "not_found_url", "expiredUrl": "expired_url",
              "rootUrl": "root_url"}
SORTS = {"createdAt": Domain.created_at, "name": Domain.name}


# --- names ------------------------------------------------------------------------------------

def default_host() -> str:
    return host_of(current_app.config["LINKHUB"]["BASE_URL"])


def normalize_host(value: str) -> str | None:
    """A request Host header (maybe with a port) as a stored domain name, or None if unusable."""
    host = (value or "").strip().lower()
    if host.startswith("["):
        return None  # an IPv6 literal is never a custom domain
    host = host.rsplit(":", 1)[0] if ":" in host else host
    host = host.rstrip(".")
    try:
        return host.encode("idna").decode("ascii") if host else None
    except UnicodeError:
        return None


def validate_name(value: Any) -> str:
    """Lower-cased, IDNA-encoded host name of two or more valid labels; 400 otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise Invalid(fields={"name": "is required"})
    if not isinstance(value, str):
        raise Invalid(fields={"name": "must be a string"})
    name = value.strip().lower().rstrip(".")
    if any(ch in name for ch in "/:@?# \t\\[]"):
        raise Invalid(fields={"name": "must be a bare host name such as go.example.com "
                                      "(no scheme, port or path)"})
    try:
        ipaddress.ip_address(name)
        raise Invalid(fields={"name": "must be a host name, not an IP address"})
    except ValueError:
        pass
    try:
        ascii_name = name.encode("idna").decode("ascii")
    except UnicodeError:
        raise Invalid(fields={"name": "has an empty, too long or invalid label"}) from None
    if len(ascii_name) > MAX_NAME:
        raise Invalid(fields={"name": f"must be at most {MAX_NAME} characters"})
    labels = ascii_name.split(".")
    if len(labels) < 2:
        raise Invalid(fields={"name": "must have at least two labels, such as go.example.com"})
    bad = next((label for label in labels if not _LABEL_RE.match(label)), None)
    if bad is not None:
        raise Invalid(fields={"name": f"has an invalid label {bad!r}: use letters, digits and "
                                      "inner hyphens, at most 63 characters"})
    if labels[-1].isdigit():
        raise Invalid(fields={"name": "must end in a top-level domain, not a number"})
    if ascii_name == default_host():
        raise Invalid(fields={"name": "is this install's own default domain"})
    return ascii_name


# --- other fields -----------------------------------------------------------------------------

def _url(value: Any, field: str, domain_name: str | None) -> str | None:
    url = check_url(value, field)
    if url is not None and domain_name is not None and host_of(url) == domain_name:
        raise Invalid(fields={field: "must not point to the domain itself (it would loop)"})
    return url


def _app_file(value: Any, field: str, kind: type) -> Any:
    if value is None:
        return None
    if not isinstance(value, kind):
        what = "a JSON object" if kind is dict else "a JSON array"
        raise Invalid(fields={field: f"must be {what}"})
    if len(json.dumps(value, separators=(",", ":")).encode()) > MAX_APP_FILE:
        raise Invalid(fields={field: "must be at most 64 KB"})
    return value


def _changes(data: dict[str, Any], domain_name: str | None) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    problems: dict[str, str] = {}

    def attempt(column: str, fn: Any, *args: Any) -> None:
        try:
            changes[column] = fn(*args)
        except Invalid as exc:
            problems.update(exc.fields)

    for field, column in URL_FIELDS.items():
        if field in data:
            attempt(column, _url, data[field], field, domain_name)
    if "caseSensitive" in data:
        value = data["caseSensitive"]
        if isinstance(value, bool):
            changes["case_sensitive"] = value
        else:
            problems["caseSensitive"] = "must be true or false"
    if "appleAppSiteAssociation" in data:
        attempt("apple_app_site_association", _app_file, data["appleAppSiteAssociation"],
                "appleAppSiteAssociation", dict)
    if "assetLinks" in data:
        attempt("asset_links", _app_file, data["assetLinks"], "assetLinks", list)
    if problems:
        raise Invalid(fields=problems)
    return changes


# --- reads ------------------------------------------------------------------------------------

def get_domain(workspace: Workspace, public_id: str) -> Domain:
    if not ids.is_valid("domain", public_id):
        raise NotFound("Domain not found.")
    domain = Domain.get_or_none(Domain.workspace == workspace, Domain.public_id == public_id)
    if domain is None:
        raise NotFound("Domain not found.")
    return domain


def link_counts(domain_ids: list[int]) -> dict[int, int]:
    """Live (not deleted) links per domain id."""
    if not domain_ids:
        return {}
    rows = (Link.select(Link.domain, peewee.fn.COUNT(Link.id))
            .where(Link.domain.in_(domain_ids), Link.deleted_at.is_null())
            .group_by(Link.domain).tuples())
    return dict(rows)


def list_domains(workspace: Workspace, *, verified: bool | None = None,
                 search: str | None = None, sort: str = "createdAt", order: str = "desc",
                 offset: int = 0, limit: int = 20) -> tuple[list[Domain], int]:
    query = Domain.select().where(Domain.workspace == workspace)
    if verified is not None:
        query = query.where(Domain.verified == verified)
    if search:
        query = query.where(Domain.name.contains(search.strip().lower()))
    column = SORTS[sort]
    ordering = column.desc() if order == "desc" else column.asc()
    total = query.count()
    rows = list(query.order_by(ordering, Domain.id.desc() if order == "desc" else Domain.id)
                .offset(offset).limit(limit))
    return rows, total


def lookup_host(host: str) -> Domain | None:
    """The VERIFIED custom domain answering for a request Host (port ignored), else None.
    The redirect resolver uses this; unverified domains serve only their verification file."""
    name = normalize_host(host)
    if not name:
        return None
    return Domain.get_or_none(Domain.name == name, Domain.verified == True)  # noqa: E712


def domain_for_token(host: str, token: str) -> Domain | None:
    """The domain (verified or not) named by `host` whose verification token is `token`."""
    name = normalize_host(host)
    if not name or not token:
        return None
    domain = Domain.get_or_none(Domain.name == name)
    if domain is None or not hmac.compare_digest(domain.verification_token.encode(),
                                                 token.encode()):
        return None
    return domain


def verification_info(domain: Domain) -> dict[str, Any]:
    """How to prove ownership: either record is enough."""
    token = domain.verification_token
    return {
        "dns": {"type": "TXT", "name": domain_verification.txt_name(domain.name),
                "value": domain_verification.txt_value(token)},
        "http": {"url": domain_verification.http_url(domain.name, token), "content": token},
    }


# --- writes -----------------------------------------------------------------------------------

def _clear_redirect_cache() -> None:
    from linkhub.redirect import cache

    cache.for_app().clear()


def _taken(name: str, exclude: int | None = None) -> bool:
    query = Domain.select().where(Domain.name == name)
    if exclude is not None:
        query = query.where(Domain.id != exclude)
    return query.exists()


def create_domain(workspace: Workspace, actor: User | None, data: dict[str, Any]) -> Domain:
    problems: dict[str, str] = {}
    name = None
    try:
        name = validate_name(data.get("name"))
    except Invalid as exc:
        problems.update(exc.fields)
    try:
        changes = _changes({k: v for k, v in data.items() if k != "name"}, name)
    except Invalid as exc:
        problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    if _taken(name):
        raise Conflict(message=f"The domain {name} is already registered on this install.")
    try:
        with database.atomic():
            domain = Domain.create(public_id=ids.new_id("domain"), workspace=workspace,
                                   name=name, verification_token=secrets.token_urlsafe(24),
                                   **changes)
            audit.record("domain.create", "domain", domain.public_id, workspace=workspace,
                         actor=actor, details={"name": name})
    except peewee.IntegrityError:
        raise Conflict(message=f"The domain {name} is already registered on this "
                               "install.") from None
    _clear_redirect_cache()
    return domain


def update_domain(workspace: Workspace, actor: User | None, domain: Domain,
                  data: dict[str, Any]) -> Domain:
    """Update fallback URLs, case sensitivity and app files. The name cannot change (delete
    and re-add instead); case sensitivity cannot change while the domain has live links."""
    if "name" in data and data["name"] is not None:
        try:
            same = validate_name(data["name"]) == domain.name
        except Invalid:
            same = False
        if not same:
            raise Invalid(fields={"name": "cannot change; add the new domain instead"})
    if "caseSensitive" in data and data["caseSensitive"] is None:
        raise Invalid(fields={"caseSensitive": "must be true or false"})
    changes = _changes({k: v for k, v in data.items() if k != "name"}, domain.name)
    changed = {k: v for k, v in changes.items() if getattr(domain, k) != v}
    if "case_sensitive" in changed and link_counts([domain.id]).get(domain.id, 0):
        raise Conflict(message="caseSensitive cannot change while the domain has links: it "
                               "would change which codes match them.")
    if changed:
        with database.atomic():
            for key, value in changed.items():
                setattr(domain, key, value)
            domain.save()
            audit.record("domain.update", "domain", domain.public_id, workspace=workspace,
                         actor=actor, details={"fields": sorted(changed)})
        _clear_redirect_cache()
    return domain


def verify_domain(workspace: Workspace, actor: User | None, domain: Domain) -> Domain:
    """Run the DNS and HTTP probes now. Success marks the domain verified (it stays verified);
    a failure is recorded in lastCheckError and leaves the state as it was."""
    ratelimit.enforce("domain-verify", domain.public_id, VERIFY_RATE,
                      "Too many verification attempts for this domain; wait a minute.")
    ok, error = domain_verification.check(domain.name, domain.verification_token)
    now = clock.now()
    domain.last_checked_at = now
    domain.last_check_error = None if ok else error
    newly = ok and not domain.verified
    if newly:
        domain.verified, domain.verified_at = True, now
    with database.atomic():
        domain.save()
        audit.record("domain.verify", "domain", domain.public_id, workspace=workspace,
                     actor=actor, details={"verified": ok, "error": error})
    _clear_redirect_cache()
    return domain


def delete_domain(workspace: Workspace, actor: User | None, domain: Domain) -> None:
    """Remove a domain. Refused (409 CONFLICT) while live links use it: their short URLs
    would stop answering."""
    live = link_counts([domain.id]).get(domain.id, 0)
    if live:
        raise Conflict(message=f"The domain still has {live} link(s); delete or move them "
                               "first.", extra={"linkCount": live})
    with database.atomic():
        public_id, name = domain.public_id, domain.name
        domain.delete_instance()
        audit.record("domain.delete", "domain", public_id, workspace=workspace, actor=actor,
                     details={"name": name})
    _clear_redirect_cache()

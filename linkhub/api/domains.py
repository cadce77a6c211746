"""/api/domains: custom domains and their verification. Parse, call services/domains.py,
serialise with the envelope; no business rule here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import clock, pagination
from linkhub.api.campaigns import flag
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.models import Domain
from linkhub.schemas import domains as s
from linkhub.services import domains

bp = Blueprint("domains", __name__)
TAG = "Domains"


def domain_json(domain: Domain, link_count: int | None = None) -> dict[str, Any]:
    if link_count is None:
        link_count = domains.link_counts([domain.id]).get(domain.id, 0)
    return {
        "id": domain.public_id, "name": domain.name, "verified": domain.verified,
        "verifiedAt": clock.iso(domain.verified_at),
        "verificationToken": domain.verification_token,
        "verification": domains.verification_info(domain),
        "notFoundUrl": domain.not_found_url, "expiredUrl": domain.expired_url,
        "rootUrl": domain.root_url, "caseSensitive": domain.case_sensitive,
        "appleAppSiteAssociation": domain.apple_app_site_association,
        "assetLinks": domain.asset_links, "linkCount": link_count,
        "lastCheckedAt": clock.iso(domain.last_checked_at),
        "lastCheckError": domain.last_check_error,
        "createdAt": clock.iso(domain.created_at), "updatedAt": clock.iso(domain.updated_at),
    }


@bp.get("/domains")
@require("domains:read")
@endpoint("List custom domains", query=s.DomainListQuery, response=s.DomainOut, listing=True,
          tag=TAG)
def list_domains(query: s.DomainListQuery) -> Response:
    """Filters `verified` (true/false) and `search` (part of the name); `sortBy` `createdAt`
    (default, newest first) or `name`, `sortOrder`."""
    page = pagination.parse(request.args)
    sort, order = pagination.sort_order(request.args, tuple(domains.SORTS), "createdAt")
    verified = None if query.verified in (None, "") else flag(query.verified, "verified")
    rows, total = domains.list_domains(g.workspace, verified=verified, search=query.search,
                                       sort=sort, order=order, offset=page.offset,
                                       limit=page.limit)
    counts = domains.link_counts([d.id for d in rows])
    return listing([domain_json(d, counts.get(d.id, 0)) for d in rows], page, total)


@bp.post("/domains")
@require("domains:write")
@endpoint("Add a custom domain", body=s.DomainCreate, response=s.DomainOut, status=201,
          tag=TAG, errors=("CONFLICT",))
def create_domain(body: s.DomainCreate) -> Response:
    """The domain starts unverified: publish the TXT record or serve the file named in
    `verification`, then call `POST /api/domains/{id}/verify`."""
    domain = domains.create_domain(g.workspace, g.user,
                                   body.model_dump(include=body.model_fields_set))
    return created(domain_json(domain, 0))


@bp.get("/domains/<domain_id>")
@require("domains:read")
@endpoint("Get a custom domain", response=s.DomainOut, tag=TAG)
def get_domain(domain_id: str) -> Response:
    return ok(domain_json(domains.get_domain(g.workspace, domain_id)))


@bp.patch("/domains/<domain_id>")
@require("domains:write")
@endpoint("Update a custom domain", body=s.DomainUpdate, response=s.DomainOut, tag=TAG,
          errors=("CONFLICT",))
def update_domain(domain_id: str, body: s.DomainUpdate) -> Response:
    domain = domains.get_domain(g.workspace, domain_id)
    domain = domains.update_domain(g.workspace, g.user, domain,
                                   body.model_dump(include=body.model_fields_set))
    return ok(domain_json(domain))


@bp.post("/domains/<domain_id>/verify")
@require("domains:write")
@endpoint("Check a domain's verification now", response=s.DomainOut, tag=TAG,
          errors=("RATE_LIMITED",))
def verify_domain(domain_id: str) -> Response:
    """Looks for the TXT record, then the HTTP file. Answers the domain: `verified` tells the
    result, `lastCheckError` what was found when it failed."""
    domain = domains.get_domain(g.workspace, domain_id)
    return ok(domain_json(domains.verify_domain(g.workspace, g.user, domain)))


@bp.delete("/domains/<domain_id>")
@require("domains:write")
@endpoint("Remove a custom domain", response=s.DomainDeletedOut, tag=TAG,
          errors=("CONFLICT",))
def delete_domain(domain_id: str) -> Response:
    """Refused with 409 CONFLICT while live links use the domain."""
    domain = domains.get_domain(g.workspace, domain_id)
    domains.delete_domain(g.workspace, g.user, domain)
    return ok({"id": domain_id, "deleted": True})

"""Per-host files under /.well-known: the domain-verification file (any registered domain with
that token), and the Apple/Android app-link files (verified domains only). Read-only."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, request

from linkhub.services import domains

wellknown_bp = Blueprint("wellknown", __name__)


@wellknown_bp.get("/.well-known/linkhub-verification/<token>")
def verification_file(token: str) -> Response:
    domain = domains.domain_for_token(request.host, token)
    if domain is None:
        abort(404)
    response = Response(domain.verification_token, mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def _app_file(attribute: str) -> Response:
    domain = domains.lookup_host(request.host)
    content = getattr(domain, attribute) if domain is not None else None
    if content is None:
        abort(404)
    response = Response(json.dumps(content), mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@wellknown_bp.get("/.well-known/apple-app-site-association")
def apple_app_site_association() -> Response:
    return _app_file("apple_app_site_association")


@wellknown_bp.get("/.well-known/assetlinks.json")
def asset_links() -> Response:
    return _app_file("asset_links")

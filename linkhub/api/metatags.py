"""/api/metatags: read a web page's title, description, image and favicon to prefill a link's
social preview fields. Parse -> services/metatags.py -> envelope; no rule here."""

from __future__ import annotations

from flask import Blueprint, Response

from linkhub import auth
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import ok
from linkhub.schemas import metatags as s
from linkhub.services import metatags

bp = Blueprint("metatags", __name__)
TAG = "Utilities"


@bp.get("/metatags")
@require("links:read")
@endpoint("Read a page's metatags", query=s.MetatagsQuery, response=s.MetatagsOut, tag=TAG)
def read_metatags(query: s.MetatagsQuery) -> Response:
    """Fetches `url` (http/https only; private, loopback and link-local targets refused, each
    of at most 3 redirects checked again; 5 s to connect, 10 s in all; at most 1 MB read) and
    answers its title, description, absolute image and favicon URLs and site name. Results are
    cached for 10 minutes; 60 fetches a minute per caller. A refused or unreadable page
    answers 400 VALIDATION_ERROR."""
    return ok(metatags.fetch_metatags(query.url, principal=auth.principal_key()))

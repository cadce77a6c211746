"""/api/wrapped: the workspace's year in review from the rollups and conversions. Parse ->
services/wrapped.py -> envelope."""

from __future__ import annotations

from flask import Blueprint, Response, g

from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import ok
from linkhub.schemas import wrapped as s
from linkhub.services import wrapped

bp = Blueprint("wrapped", __name__)
TAG = "Wrapped"


@bp.get("/wrapped")
@require("analytics:read")
@endpoint("Year in review", query=s.WrappedQuery, response=s.WrappedOut, tag=TAG)
def year_in_review(query: s.WrappedQuery) -> Response:
    """Human clicks and unique clicks, the top 5 links and countries, the busiest day and the
    months (each against the same month a year before), all in the workspace's time zone;
    conversions and revenue in USD. `year` from 2000 to the current one (not in the
    future)."""
    year = wrapped.parse_year(g.workspace, query.year)
    return ok(wrapped.year_in_review(g.workspace, year))

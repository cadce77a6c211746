"""GET /api/search: the workspace's links, campaigns, customers and domains by words, ranked.
Parse -> services/search.py -> serialise; the caller's read scopes pick the types."""

from __future__ import annotations

from flask import Blueprint, Response, g

from linkhub import auth
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import ok
from linkhub.schemas import search as s
from linkhub.services import search

bp = Blueprint("search", __name__)


@bp.get("/search")
@require()
@endpoint("Search the workspace", query=s.SearchQuery, response=s.SearchOut, tag="Search")
def search_workspace(query: s.SearchQuery) -> Response:
    """Finds links (title, code, destination, tags, notes), campaigns, customers (name,
    e-mail, external id) and domains, best first; the last word matches as a prefix. Each
    type needs its read scope (links:read, campaigns:read, customers:read, domains:read)."""
    allowed = [t for t, scope in search.SCOPES.items() if auth.scope_granted(g.scopes, scope)]
    types = search.parse_types(query.types, allowed)
    q = search.parse_query(query.q)
    hits = search.search(g.workspace, q, types, search.parse_limit(query.limit))
    return ok({"query": q, "types": types, "hits": hits})

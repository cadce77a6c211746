"""The search results page (/app/search) behind the header's global search box. It calls
services/search.py like GET /api/search does; the box's as-you-type list is static/search.js
calling that API route."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from linkhub.dashboard.guard import workspace_required
from linkhub.errors import Invalid
from linkhub.services import search

bp = Blueprint("search", __name__)
LABELS = {"link": "Links", "campaign": "Campaigns", "customer": "Customers",
          "domain": "Domains"}


@bp.get("/search")
@workspace_required
def index():
    q = (request.args.get("q") or "").strip()
    kind = request.args.get("type") or ""
    types = [kind] if kind in search.TYPES else list(search.TYPES)
    hits, error, status = [], None, 200
    if q:
        try:
            hits = search.search(g.workspace, q, types, search.MAX_LIMIT)
        except Invalid as exc:
            error, status = " ".join(f"{k}: {v}." for k, v in exc.fields.items()), 400
    return render_template("dashboard/search/index.html", q=q, kind=kind, hits=hits,
                           labels=LABELS, error=error), status

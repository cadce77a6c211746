"""Global search over one workspace's links, campaigns, customers and domains: the FTS5 table
`search_index` (migration 0018, kept in sync by SQL triggers) ranked by bm25, with prefix
matching of the last term. User text never reaches FTS5 syntax: every term is quoted. It reads
only; the triggers own the index."""

from __future__ import annotations

import logging
import re
from typing import Any

import peewee
from flask import url_for

from linkhub.db import database
from linkhub.errors import Forbidden, Invalid
from linkhub.models import Campaign, Customer, Domain, Link, Workspace
from linkhub.services import links

log = logging.getLogger(__name__)

TYPES = ("link", "campaign", "customer", "domain")
SCOPES = {"link": "links:read", "campaign": "campaigns:read", "customer": "customers:read",
          "domain": "domains:read"}
DEFAULT_LIMIT, MAX_LIMIT = 10, 50
MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
# bm25 column weights: workspace_id, kind, ref_id (unindexed), title, body
_WEIGHTS = (0.0, 0.0, 0.0, 10.0, 1.0)
_WORD_RE = re.compile(r"[^\W_]")  # a term with no letter or digit makes no FTS token


def match_expression(q: str) -> str | None:
    """The FTS5 MATCH string for user text: each whitespace-separated term as a quoted string
    (quotes doubled), all required, the last one a prefix. None when nothing is searchable."""
    terms = [term for term in q.split() if _WORD_RE.search(term)][:MAX_TERMS]
    if not terms:
        return None
    quoted = ['"' + term.replace('"', '""') + '"' for term in terms]
    return " ".join(quoted) + "*"


def parse_query(q: Any) -> str:
    if not isinstance(q, str) or not q.strip():
        raise Invalid(fields={"q": "is required"})
    q = q.strip()
    if len(q) > MAX_QUERY_LENGTH:
        raise Invalid(fields={"q": f"must be at most {MAX_QUERY_LENGTH} characters"})
    return q


def parse_types(raw: str | None, allowed: list[str]) -> list[str]:
    """`types` (comma-separated) within what the caller may read; absent: all of those."""
    if raw is None or not raw.strip():
        if not allowed:
            raise Forbidden("The API key may read none of links, campaigns, customers or "
                            "domains.")
        return list(allowed)
    wanted = [part.strip().lower().removesuffix("s") for part in raw.split(",") if part.strip()]
    unknown = [t for t in wanted if t not in TYPES]
    if unknown or not wanted:
        raise Invalid(fields={"types": "must be a comma-separated list of " + ", ".join(TYPES)})
    missing = [t for t in wanted if t not in allowed]
    if missing:
        raise Forbidden(f"The API key lacks the scope {SCOPES[missing[0]]}.")
    return list(dict.fromkeys(wanted))


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise Invalid(fields={"limit": f"must be a whole number from 1 to {MAX_LIMIT}"})
    return int(raw)


def _ranked(workspace: Workspace, expression: str, types: list[str],
            limit: int) -> list[tuple[str, int]]:
    marks = ", ".join("?" for _ in types)
    weights = ", ".join(str(w) for w in _WEIGHTS)
    sql = (f"SELECT kind, ref_id FROM search_index WHERE search_index MATCH ? "
           f"AND workspace_id = ? AND kind IN ({marks}) "
           f"ORDER BY bm25(search_index, {weights}), rowid LIMIT ?")
    try:
        return list(database.execute_sql(sql, (expression, workspace.id, *types, limit)))
    except peewee.OperationalError:  # belt and braces: quoting leaves FTS5 nothing to parse
        log.warning("search: FTS5 refused %r", expression, exc_info=True)
        return []


def search(workspace: Workspace, q: str, types: list[str] | None = None,
           limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
    """Typed hits, best first: `{type, id, title, subtitle, url}`. Only the workspace's rows;
    deleted links and customers are not indexed."""
    expression = match_expression(parse_query(q))
    types = list(types or TYPES)
    if expression is None:
        return []
    ranked = _ranked(workspace, expression, types, limit)
    rows = _load(workspace, ranked)
    return [hit for kind, ref in ranked
            if (hit := _hit(kind, rows.get((kind, ref)))) is not None]


def _load(workspace: Workspace, ranked: list[tuple[str, int]]) -> dict[tuple[str, int], Any]:
    """The hits' rows, one query per kind, re-checked against the workspace."""
    wanted: dict[str, list[int]] = {}
    for kind, ref in ranked:
        wanted.setdefault(kind, []).append(ref)
    found: dict[tuple[str, int], Any] = {}
    for kind, model in (("link", Link), ("campaign", Campaign), ("customer", Customer),
                        ("domain", Domain)):
        if kind not in wanted:
            continue
        query = model.select().where(model.id.in_(wanted[kind]), model.workspace == workspace)
        if kind in ("link", "customer"):
            query = query.where(model.deleted_at.is_null())
        for row in query:
            found[(kind, row.id)] = row
    return found


def _hit(kind: str, row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    if kind == "link":
        short = links.short_url(row)
        title, subtitle = row.title or short, f"{short} → {row.destination_url or '(rules only)'}"
        if row.archived_at is not None:
            subtitle += " · archived"
        url = url_for("dashboard.links.detail", link_id=row.public_id)
    elif kind == "campaign":
        title, subtitle = row.name, f"Campaign · {row.status}"
        url = url_for("dashboard.campaigns.edit", campaign_id=row.public_id)
    elif kind == "customer":
        title = row.name or row.email or row.external_id or row.public_id
        subtitle = " · ".join(v for v in (row.email, row.external_id) if v) or "Customer"
        url = url_for("dashboard.customers.detail", customer_id=row.public_id)
    else:
        title = row.name
        subtitle = "Domain · " + ("verified" if row.verified else "not verified")
        url = url_for("dashboard.domains.detail", domain_id=row.public_id)
    return {"type": kind, "id": row.public_id, "title": title, "subtitle": subtitle, "url": url}

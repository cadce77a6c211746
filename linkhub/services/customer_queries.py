"""Reading customers in bulk: the searchable, sortable list and the count behind
/api/customers, /api/customers/count and the dashboard list. Live (not deleted) customers
only. Reads only."""

from __future__ import annotations

from typing import Any

from linkhub.errors import Invalid
from linkhub.models import Customer, Workspace

SEARCH_MAX = 200
SORTS = {"createdAt": Customer.created_at, "firstSeenAt": Customer.first_seen_at,
         "lastSeenAt": Customer.last_seen_at, "ltv": Customer.ltv_micros}


def _search_clause(search: str | None) -> Any:
    needle = (search or "").strip()
    if len(needle) > SEARCH_MAX:
        raise Invalid(fields={"search": f"must be at most {SEARCH_MAX} characters"})
    if not needle:
        return None
    return (Customer.email.contains(needle) | Customer.name.contains(needle)
            | Customer.external_id.contains(needle))


def count(workspace: Workspace, *, search: str | None = None) -> int:
    """Live (not deleted) customers, optionally matching `search`."""
    query = Customer.select().where(Customer.workspace == workspace,
                                    Customer.deleted_at.is_null())
    clause = _search_clause(search)
    return (query.where(clause) if clause is not None else query).count()


def list_customers(workspace: Workspace, *, search: str | None = None,
                   sort: str = "createdAt", order: str = "desc", offset: int = 0,
                   limit: int = 20) -> tuple[list[Customer], int]:
    """Live customers, newest first by default; `search` matches e-mail, name, externalId."""
    if sort not in SORTS:
        raise Invalid(fields={"sortBy": f"must be one of {', '.join(SORTS)}"})
    if order not in ("asc", "desc"):
        raise Invalid(fields={"sortOrder": "must be asc or desc"})
    query = Customer.select().where(Customer.workspace == workspace,
                                    Customer.deleted_at.is_null())
    clause = _search_clause(search)
    if clause is not None:
        query = query.where(clause)
    column = SORTS[sort]
    ordering = (column.desc(), Customer.id.desc()) if order == "desc" else \
        (column.asc(), Customer.id.asc())
    total = query.count()
    return list(query.order_by(*ordering).offset(offset).limit(limit)), total

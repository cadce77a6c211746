"""Page/limit parsing and validation (decisions §3): page >= 1, limit 1..max; else 400."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from linkhub.errors import Invalid

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def _positive(args: Mapping[str, str], name: str, default: int, maximum: int | None) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Invalid(fields={name: "must be a whole number"}) from None
    if value < 1:
        raise Invalid(fields={name: "must be at least 1"})
    if maximum is not None and value > maximum:
        raise Invalid(fields={name: f"must be at most {maximum}"})
    return value


def parse(args: Mapping[str, str], *, default_limit: int = DEFAULT_LIMIT,
          max_limit: int = MAX_LIMIT) -> Page:
    """Read `page` and `limit` from query args."""
    return Page(page=_positive(args, "page", 1, None),
                limit=_positive(args, "limit", default_limit, max_limit))


def sort_order(args: Mapping[str, str], allowed: tuple[str, ...], default: str,
               default_order: str = "desc") -> tuple[str, str]:
    """Read `sortBy` and `sortOrder`; unknown values are a 400."""
    sort_by = args.get("sortBy") or default
    if sort_by not in allowed:
        raise Invalid(fields={"sortBy": f"must be one of {', '.join(allowed)}"})
    order = (args.get("sortOrder") or default_order).lower()
    if order not in ("asc", "desc"):
        raise Invalid(fields={"sortOrder": "must be asc or desc"})
    return sort_by, order

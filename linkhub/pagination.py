"""Page/limit parsing and validation (decisions §3): page >= 1, limit 1..max; else 400."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from linkhub.errors import Invalid

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_PAGE = 1_000_000_000
_INTEGER_RE = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Page:
    page: int
    limit: int

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.limit


def _positive(args: Mapping[str, str], name: str, default: int, maximum: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    # ASCII digits only: int() would also take "1_0", " 5", "+5" and non-ASCII digits
    if not isinstance(raw, str) or not _INTEGER_RE.fullmatch(raw):
        raise Invalid(fields={name: "must be a whole number"})
    digits = raw.lstrip("-").lstrip("0")
    value = int(raw) if len(digits) <= 18 else (-1 if raw.startswith("-") else maximum + 1)
    if value < 1:
        raise Invalid(fields={name: "must be at least 1"})
    if value > maximum:  # also keeps offsets inside SQLite's 64-bit integers
        raise Invalid(fields={name: f"must be at most {maximum}"})
    return value


def parse(args: Mapping[str, str], *, default_limit: int = DEFAULT_LIMIT,
          max_limit: int = MAX_LIMIT) -> Page:
    """Read `page` and `limit` from query args."""
    return Page(page=_positive(args, "page", 1, MAX_PAGE),
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


def ordered_page(rows: Any, count: Any, key: Any, tiebreak: Any, order: str,
                 page: Page) -> tuple[list, int]:
    """One page of the `rows` query ordered by `key` (`tiebreak`, a unique column, keeps pages
    stable), and the number of rows the `count` query matches."""
    ordering = ((key.asc(), tiebreak.asc()) if order == "asc"
                else (key.desc(), tiebreak.desc()))
    return (list(rows.order_by(*ordering).offset(page.offset).limit(page.limit)),
            count.count())

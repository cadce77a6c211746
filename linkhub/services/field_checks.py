"""The loop every service's field validation shares: run each given field's check, collect
every problem (so a client fixes its request in one go), answer 400 with all of them or the
clean column values, and the strict boolean check several services share. The other checks
stay with their service."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from linkhub.errors import Invalid

# API field name -> (column it fills, check returning the clean value or raising Invalid)
Checks = Mapping[str, tuple[str, Callable[[Any], Any]]]


def boolean(value: Any, field: str) -> bool:
    """A JSON true or false, nothing else (no 0/1, no "true")."""
    if not isinstance(value, bool):
        raise Invalid(fields={field: "must be true or false"})
    return value


def checked(data: Mapping[str, Any], checks: Checks,
            problems: Mapping[str, str] | None = None) -> dict[str, Any]:
    """{column: clean value} for each field of `checks` present in `data`. `problems` already
    found by the caller are reported with the rest, and their fields are not checked again.
    Raises Invalid listing every problem."""
    found = dict(problems or {})
    values: dict[str, Any] = {}
    for field, (column, check) in checks.items():
        if field not in data or field in found:
            continue
        try:
            values[column] = check(data[field])
        except Invalid as exc:
            found.update(exc.fields)
    if found:
        raise Invalid(fields=found)
    return values

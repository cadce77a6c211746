"""Short codes: the format rule, the reserved first path segments (derived from the app's URL
map), code keys per domain (case-blind domains lower-case them), generation and the live-code
uniqueness check. It never writes a link; services/links.py does."""

from __future__ import annotations

import re
import secrets

from flask import Flask, current_app

from linkhub.errors import ApiError, Invalid
from linkhub.models import Domain, Link

# Without look-alikes: no 0/O/o, no 1/l/I.
ALPHABET = "".join(c for c in "23456789abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ")
GENERATED_LENGTH = 7
MAX_LENGTH = 64
GENERATE_ATTEMPTS = 12
CODE_RE = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$")

# First segments of routes later modules add (SCIM, pixels, public stats, embeds, app-link
# files); everything routed today is read from the URL map instead of being copied here.
FIXED_RESERVED = frozenset({"scim", "p", "s", "embed", ".well-known"})


def reserved_segments(app: Flask | None = None) -> frozenset[str]:
    """Every first static path segment the app routes, plus FIXED_RESERVED, lower-cased.
    Rules whose first segment is a variable (`/<code>`) reserve nothing."""
    found = set(FIXED_RESERVED)
    for rule in (app or current_app).url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            found.add(first.lower())
    return frozenset(found)


def is_reserved(code: str) -> bool:
    """Reserved segments are refused whatever their case: `/API` must not look like the API."""
    return code.lower() in reserved_segments()


def validate(code: object, field: str = "shortCode") -> str:
    """The cleaned code, or 400 VALIDATION_ERROR naming `field`."""
    if not isinstance(code, str):
        raise Invalid(fields={field: "must be a string"})
    code = code.strip()
    if not code:
        raise Invalid(fields={field: "must not be empty"})
    if len(code) > MAX_LENGTH:
        raise Invalid(fields={field: f"must be at most {MAX_LENGTH} characters"})
    if not CODE_RE.match(code):
        raise Invalid(fields={field: "may contain only letters, digits, '-', '_' and '.' "
                                     "(not first)"})
    if is_reserved(code):
        raise Invalid(fields={field: f"'{code}' is reserved by the app; choose another code"})
    return code


def domain_key(domain: Domain | None) -> int:
    return domain.id if domain is not None else 0


def code_key(code: str, domain: Domain | None) -> str:
    """How the code is stored for uniqueness: lower-cased on a case-insensitive domain."""
    if domain is not None and not domain.case_sensitive:
        return code.lower()
    return code


def generate(length: int = GENERATED_LENGTH) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def is_taken(key_domain: int, key_code: str, exclude_link_id: int | None = None) -> bool:
    query = Link.select(Link.id).where(Link.domain_key == key_domain, Link.code_key == key_code,
                                       Link.deleted_at.is_null())
    if exclude_link_id is not None:
        query = query.where(Link.id != exclude_link_id)
    return query.exists()


def taken_error(code: str) -> ApiError:
    return ApiError("SHORT_CODE_EXISTS", f"The short code '{code}' is already in use on this "
                                         "domain.")


def ensure_free(code: str, domain: Domain | None, exclude_link_id: int | None = None) -> None:
    """409 SHORT_CODE_EXISTS when a live link already uses the code on that domain."""
    if is_taken(domain_key(domain), code_key(code, domain), exclude_link_id):
        raise taken_error(code)


def generate_free(domain: Domain | None) -> str:
    """A fresh generated code not yet used on the domain (retries on collision; one more
    character after repeated collisions, which only a crowded space would cause)."""
    length = GENERATED_LENGTH
    for attempt in range(GENERATE_ATTEMPTS):
        if attempt and attempt % 4 == 0:
            length += 1
        code = generate(length)
        if is_reserved(code):
            continue
        if not is_taken(domain_key(domain), code_key(code, domain)):
            return code
    raise ApiError("INTERNAL_ERROR", "Could not generate a free short code; try again.")

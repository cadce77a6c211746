"""Publishable keys (`lh_pub_…`): create, list, update, rotate, delete, their allowed origins
(exact `https://shop.example` or wildcard `*.example.com`), and the check a client request
passes (enabled key, allowed Origin). What the client then tracks is services/client_tracking."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from peewee import JOIN

from linkhub import clock, ids
from linkhub.errors import ApiError, Forbidden, Invalid, NotFound
from linkhub.models import PublishableKey, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit
from linkhub.services.field_checks import boolean, checked

KEY_PREFIX = "lh_pub_"
KEY_RANDOM_LENGTH = 32
_KEY_RE = re.compile(r"^lh_pub_[0-9A-Za-z]{32}$")
NAME_MAX = 100
MAX_ORIGINS = 50
ORIGIN_MAX = 255
DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
TOUCH_EVERY = timedelta(seconds=60)
INVALID_KEY = "The publishable key is invalid or disabled."


# --- origins ------------------------------------------------------------------------------------

def _host(raw: str, *, wildcard: bool) -> str:
    """A lower-case ASCII host name (or IP literal); raises ValueError with the reason."""
    host = raw.lower().rstrip(".")
    if host.startswith("[") and host.endswith("]") and not wildcard:
        return host  # IPv6 literal, already checked by urlsplit
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("has an invalid host name") from None
    labels = host.split(".")
    if not host or len(host) > 253 or not all(_LABEL_RE.match(label) for label in labels):
        raise ValueError("has an invalid host name")
    if wildcard and len(labels) < 2 and host != "localhost":
        raise ValueError("a wildcard needs a domain with a dot, e.g. *.example.com")
    return host


def _parts(text: str, *, pattern: bool) -> tuple[str | None, str, int | None, bool]:
    """(scheme or None, host, port or None, is wildcard) of an origin or an origin pattern."""
    if not isinstance(text, str) or not text.strip():
        raise ValueError("must be an origin such as https://shop.example")
    value = text.strip().lower()
    if len(value) > ORIGIN_MAX:
        raise ValueError(f"must be at most {ORIGIN_MAX} characters")
    if any(ch.isspace() for ch in value) or value in ("*", "null"):
        raise ValueError("must be an origin such as https://shop.example or *.example.com")
    has_scheme = "://" in value
    if not has_scheme and not (pattern and value.startswith("*.")):
        raise ValueError("needs a scheme: https://shop.example (only *.domain may omit it)")
    parsed = urlsplit(value if has_scheme else "https://" + value)
    path = parsed.path[:-1] if parsed.path == "/" else parsed.path
    if path or parsed.query or parsed.fragment or "?" in value or "#" in value:
        raise ValueError("must be an origin only: no path, query or fragment")
    if parsed.username is not None or parsed.password is not None:
        raise ValueError("must not contain credentials")
    scheme = parsed.scheme if has_scheme else None
    if scheme is not None and scheme not in DEFAULT_PORTS:
        raise ValueError("must use http or https")
    try:
        port = parsed.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    netloc_host = parsed.netloc.rsplit("@", 1)[-1]
    netloc_host = netloc_host[: netloc_host.rfind(":")] if port is not None else netloc_host
    wildcard = pattern and netloc_host.startswith("*.")
    host = _host(netloc_host[2:] if wildcard else netloc_host, wildcard=wildcard)
    if port == DEFAULT_PORTS.get(scheme or "https") and scheme is not None:
        port = None
    return scheme, host, port, wildcard


def normalize_origin(text: str) -> str:
    """The stored form of one allowed-origin entry; raises ValueError with the reason."""
    scheme, host, port, wildcard = _parts(text, pattern=True)
    head = f"{scheme}://" if scheme else ""
    return f"{head}{'*.' if wildcard else ''}{host}{f':{port}' if port else ''}"


def validate_origins(values: Any) -> list[str]:
    """A list of origin entries, normalised and de-duplicated (order kept); 400 otherwise."""
    if values is None:
        return []
    if not isinstance(values, list):
        raise Invalid(fields={"allowedOrigins": "must be a list of origins"})
    if len(values) > MAX_ORIGINS:
        raise Invalid(fields={"allowedOrigins": f"must list at most {MAX_ORIGINS} origins"})
    cleaned: list[str] = []
    for index, value in enumerate(values):
        try:
            origin = normalize_origin(value)
        except ValueError as exc:
            raise Invalid(fields={f"allowedOrigins.{index}": str(exc)}) from None
        if origin not in cleaned:
            cleaned.append(origin)
    return cleaned


def origin_allowed(patterns: list[str], origin: str | None) -> bool:
    """Does the request's `Origin` header match one of the stored patterns?"""
    try:
        scheme, host, port, _ = _parts(origin or "", pattern=False)
    except ValueError:
        return False
    if scheme is None:
        return False
    exact = f"{scheme}://{host}{f':{port}' if port else ''}"
    effective_port = port or DEFAULT_PORTS[scheme]
    for stored in patterns:
        if stored == exact:
            return True
        if "*." not in stored:
            continue
        p_scheme, p_host, p_port, _ = _parts(stored, pattern=True)
        if (p_scheme in (None, scheme) and (p_port or DEFAULT_PORTS[scheme]) == effective_port
                and host.endswith("." + p_host)):
            return True
    return False


def allowed_anywhere(origin: str | None) -> bool:
    """A CORS preflight carries no key: allow the origins some enabled key allows (the real
    request is then checked against its own key's list)."""
    if not origin:
        return False
    rows = PublishableKey.select(PublishableKey.allowed_origins).where(PublishableKey.enabled)
    return any(origin_allowed(row.allowed_origins or [], origin) for row in rows)


# --- keys ---------------------------------------------------------------------------------------

def new_key() -> str:
    return KEY_PREFIX + "".join(secrets.choice(ids.ID_ALPHABET) for _ in range(KEY_RANDOM_LENGTH))


def looks_like_key(value: object) -> bool:
    return isinstance(value, str) and bool(_KEY_RE.fullmatch(value))


def _name(value: Any) -> str:
    cleaned = value.strip() if isinstance(value, str) else ""
    if not cleaned:
        raise Invalid(fields={"name": "is required"})
    if len(cleaned) > NAME_MAX:
        raise Invalid(fields={"name": f"must be at most {NAME_MAX} characters"})
    return cleaned



CHECKS = {"name": ("name", _name), "allowedOrigins": ("allowed_origins", validate_origins),
          "enabled": ("enabled", lambda v: boolean(v, "enabled"))}


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Validate the given camelCase fields; every problem at once."""
    return checked(data, CHECKS)


def create(workspace: Workspace, actor: User | None, data: dict[str, Any]) -> PublishableKey:
    """`name` required, `allowedOrigins` (default none: no browser may use it yet), `enabled`."""
    changes = _clean({"name": None, **data})
    key = PublishableKey.create(public_id=ids.new_id("publishable_key"), workspace=workspace,
                                created_by=actor, key=new_key(),
                                **{"allowed_origins": [], **changes})
    audit.record("publishable_key.create", "publishable_key", key.public_id,
                 workspace=workspace, actor=actor,
                 details={"name": key.name, "allowedOrigins": key.allowed_origins})
    return key


def list_keys(workspace: Workspace, page: Page) -> tuple[list[PublishableKey], int]:
    query = (PublishableKey.select(PublishableKey, User)
             .join(User, JOIN.LEFT_OUTER, on=(PublishableKey.created_by == User.id))
             .where(PublishableKey.workspace == workspace))
    total = query.count()
    rows = list(query.order_by(PublishableKey.created_at.desc(), PublishableKey.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, total


def get(workspace: Workspace, key_id: str) -> PublishableKey:
    """The workspace's key with this `pk_` id; 404 otherwise (also another workspace's)."""
    key = None
    if ids.is_valid("publishable_key", key_id):
        key = PublishableKey.get_or_none(PublishableKey.workspace == workspace,
                                         PublishableKey.public_id == key_id)
    if key is None:
        raise NotFound("Publishable key not found.")
    return key


def update(workspace: Workspace, actor: User | None, key: PublishableKey,
           data: dict[str, Any]) -> PublishableKey:
    """Apply the given fields (`name`, `allowedOrigins`, `enabled`); unchanged ones are no-ops."""
    changed = {k: v for k, v in _clean(data).items() if getattr(key, k) != v}
    if changed:
        for attr, value in changed.items():
            setattr(key, attr, value)
        key.save()
        action = "publishable_key.update"
        if set(changed) == {"enabled"}:
            action = "publishable_key.enable" if key.enabled else "publishable_key.disable"
        audit.record(action, "publishable_key", key.public_id, workspace=workspace,
                     actor=actor, details={"fields": sorted(changed)})
    return key


def rotate(workspace: Workspace, actor: User | None, key: PublishableKey) -> PublishableKey:
    """A new key value; the old one answers 401 at once (no grace period)."""
    key.key = new_key()
    key.rotated_at = clock.now()
    key.save()
    audit.record("publishable_key.rotate", "publishable_key", key.public_id,
                 workspace=workspace, actor=actor)
    return key


def delete(workspace: Workspace, actor: User | None, key: PublishableKey) -> None:
    public_id, name = key.public_id, key.name
    key.delete_instance()
    audit.record("publishable_key.delete", "publishable_key", public_id, workspace=workspace,
                 actor=actor, details={"name": name})


# --- client requests ----------------------------------------------------------------------------

def authenticate(raw: str | None, origin: str | None) -> PublishableKey:
    """The enabled key behind a client request: 401 without one or for an unknown, rotated or
    disabled key; 403 when the request names an Origin the key does not allow. A request with
    no Origin (an app, a server) is not a browser's and is not origin-checked."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ApiError("UNAUTHORIZED", "Send the publishable key in the X-Publishable-Key "
                                       "header or as publishableKey in the body.")
    raw = raw.strip() if isinstance(raw, str) else raw
    key = PublishableKey.get_or_none(PublishableKey.key == raw) if looks_like_key(raw) else None
    if key is None or not key.enabled:
        raise ApiError("INVALID_API_KEY", INVALID_KEY)
    if origin is not None and not origin_allowed(key.allowed_origins or [], origin):
        raise Forbidden(f"The origin {origin[:100]} is not allowed to use this publishable key.")
    now = clock.now()
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        PublishableKey.update(last_used_at=now).where(PublishableKey.id == key.id).execute()
        key.last_used_at = now
    return key


def serialize(key: PublishableKey) -> dict[str, Any]:
    creator = key.created_by
    return {"id": key.public_id, "workspaceId": key.workspace.public_id, "name": key.name,
            "key": key.key, "allowedOrigins": list(key.allowed_origins or []),
            "enabled": key.enabled, "lastUsedAt": clock.iso(key.last_used_at),
            "rotatedAt": clock.iso(key.rotated_at),
            "createdBy": creator.public_id if creator is not None else None,
            "createdAt": clock.iso(key.created_at), "updatedAt": clock.iso(key.updated_at)}

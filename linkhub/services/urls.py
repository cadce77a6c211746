"""Validation of URLs users give us: link and rule destinations, fallback URLs, images.
http/https only, a real host, no credentials, at most 2,048 characters, not a blocked domain,
and (for destinations) not one of this install's own short domains, which would loop."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from flask import current_app

from linkhub.errors import Invalid

MAX_URL_LENGTH = 2048
_LABEL_RE = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def _host_ok(host: str) -> bool:
    if not host or len(host) > 253:
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
        return True
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    labels = ascii_host.rstrip(".").split(".")
    if len(labels) < 2 and ascii_host != "localhost":
        return False
    return all(_LABEL_RE.match(label) for label in labels)


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def _blocked(host: str, blocked: list[str]) -> bool:
    return any(host == b or host.endswith("." + b) for b in blocked)


def own_hosts() -> set[str]:
    """Hosts this install answers short links on: the base URL's host and custom domains."""
    from linkhub.models import Domain

    hosts = {host_of(current_app.config["LINKHUB"]["BASE_URL"])}
    hosts.update(d.name for d in Domain.select(Domain.name))
    return hosts


def check_url(value: str | None, field: str, *, required: bool = False,
              destination: bool = False) -> str | None:
    """Return the cleaned URL (or None when empty and not required); 400 naming `field`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(fields={field: "is required"})
        return None
    if not isinstance(value, str):
        raise Invalid(fields={field: "must be a string URL"})
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise Invalid(fields={field: f"must be at most {MAX_URL_LENGTH} characters"})
    if any(ch in url for ch in "\r\n\t\x00") or " " in url:
        raise Invalid(fields={field: "must not contain spaces or control characters"})
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a bad port
    except ValueError:
        raise Invalid(fields={field: "is not a valid URL"}) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise Invalid(fields={field: "must start with http:// or https://"})
    if parts.username is not None or parts.password is not None:
        raise Invalid(fields={field: "must not contain credentials (user:password@)"})
    host = (parts.hostname or "").lower().rstrip(".")
    if not _host_ok(host) or (port is not None and not 0 < port < 65536):
        raise Invalid(fields={field: "must have a valid host name"})
    blocked = current_app.config["LINKHUB"]["DESTINATION_BLOCKLIST"]
    if _blocked(host, [b.lower() for b in blocked]):
        raise Invalid(fields={field: f"points to a blocked domain ({host})"})
    if destination and host in own_hosts():
        raise Invalid(fields={field: "must not point to this install's own short domain "
                                     "(it would loop)"})
    return url

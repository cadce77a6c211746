"""Proving a custom domain points at this install: a DNS TXT record `_linkhub.<domain>` holding
the token, else the file `http://<domain>/.well-known/linkhub-verification/<token>`. The two
probes are module-level functions so tests can replace them; nothing here touches the database."""

from __future__ import annotations

import http.client
import socket
import time

TXT_PREFIX = "_linkhub."
TXT_VALUE_PREFIX = "linkhub-verification="
WELL_KNOWN_PATH = "/.well-known/linkhub-verification/"
DNS_TIMEOUT = 3.0
HTTP_CONNECT_TIMEOUT = 3.0
HTTP_TOTAL_TIMEOUT = 5.0
HTTP_BODY_CAP = 1024


class CheckFailed(Exception):
    """A probe ran and did not find the token (the message says what it saw)."""


def txt_name(domain: str) -> str:
    return TXT_PREFIX + domain


def txt_value(token: str) -> str:
    return TXT_VALUE_PREFIX + token


def http_url(domain: str, token: str) -> str:
    return f"http://{domain}{WELL_KNOWN_PATH}{token}"


def resolve_txt(name: str) -> list[str]:
    """The TXT strings published at `name` ([] when there are none). Raises CheckFailed on a
    lookup error. Tests monkeypatch this function."""
    import dns.exception
    import dns.resolver

    resolver = dns.resolver.Resolver()
    resolver.timeout = resolver.lifetime = DNS_TIMEOUT
    try:
        answer = resolver.resolve(name, "TXT")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.Timeout:
        raise CheckFailed(f"DNS lookup of {name} timed out") from None
    except dns.exception.DNSException as exc:
        raise CheckFailed(f"DNS lookup of {name} failed: {exc.__class__.__name__}") from None
    return [b"".join(record.strings).decode("utf-8", "replace") for record in answer]


def dns_check(domain: str, token: str) -> None:
    """Pass silently when a TXT string at `_linkhub.<domain>` contains the token."""
    name = txt_name(domain)
    values = resolve_txt(name)
    if not any(token in value for value in values):
        raise CheckFailed(f"no TXT record at {name} holds the verification token")


def http_check(domain: str, token: str, *,
               connect_address: tuple[str, int] | None = None) -> None:
    """GET the verification file with `Host: <domain>` and pass when it answers 200 with the
    token. Redirects are not followed; the body is capped at 1 KB; 3 s to connect, 5 s in all.
    `connect_address` (host, port) sends the request elsewhere (tests use a local server)."""
    deadline = time.monotonic() + HTTP_TOTAL_TIMEOUT
    host, port = connect_address or (domain, 80)
    conn = http.client.HTTPConnection(host, port, timeout=HTTP_CONNECT_TIMEOUT)
    url = http_url(domain, token)
    try:
        conn.connect()
        sock = conn.sock  # the response reads through it even after conn lets go of it
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        conn.request("GET", WELL_KNOWN_PATH + token,
                     headers={"Host": domain, "User-Agent": "linkhub-domain-verification",
                              "Accept": "text/plain"})
        response = conn.getresponse()
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        body = response.read(HTTP_BODY_CAP)
    except (OSError, http.client.HTTPException) as exc:
        reason = "timed out" if isinstance(exc, socket.timeout) else exc.__class__.__name__
        raise CheckFailed(f"GET {url} failed: {reason}") from None
    finally:
        conn.close()
    if response.status != 200:
        raise CheckFailed(f"GET {url} answered HTTP {response.status}")
    if body.decode("utf-8", "replace").strip() != token:
        raise CheckFailed(f"GET {url} did not answer the verification token")


def check(domain: str, token: str) -> tuple[bool, str | None]:
    """(verified, error): DNS first, then HTTP. The error names what each probe found."""
    problems = []
    for probe in (dns_check, http_check):
        try:
            probe(domain, token)
            return True, None
        except CheckFailed as exc:
            problems.append(str(exc))
    return False, "; ".join(problems)

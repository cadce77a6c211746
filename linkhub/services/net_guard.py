"""Outbound HTTP for server-side fetches (webhooks, metatags): refuses private, loopback,
link-local, multicast and reserved targets unless allowed, connects to the address it checked
(so a DNS rebind between check and connect cannot slip through), never follows redirects, and
bounds time and response size. No business rule here; callers decide what a response means."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from urllib3.exceptions import HTTPError as Urllib3Error

from linkhub.errors import Invalid

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_POOLS_MAX = 64  # keep-alive pools kept, one per (scheme, checked address, port, host name)
_CHUNK = 65_536


@dataclass
class Fetched:
    status: int
    headers: dict[str, str]
    body: bytes
    truncated: bool
    elapsed_ms: int


class FetchError(Exception):
    """Refused, timed out or failed to connect; `str(exc)` says which, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- addresses --------------------------------------------------------------------------------

def resolve_host(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (tests monkeypatch this). Raises OSError."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if sockaddr[0] not in seen:
            seen.append(sockaddr[0])
    return seen


def is_forbidden(address: str) -> bool:
    """True for anything but a global unicast address: private, loopback, link-local,
    multicast, reserved, unspecified, shared (CGNAT), and IPv4 hidden inside IPv6
    (mapped, NAT64, 6to4, Teredo) when the inner address is one of those."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return True
    if isinstance(ip, ipaddress.IPv6Address):
        inner = ip.ipv4_mapped or ip.sixtofour
        if inner is None and ip in _NAT64:
            inner = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if inner is None and ip.teredo is not None:
            inner = ip.teredo[1]
        if inner is not None and is_forbidden(str(inner)):
            return True
    return (not ip.is_global or ip.is_multicast or ip.is_private or ip.is_loopback
            or ip.is_link_local or ip.is_reserved or ip.is_unspecified)


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str  # as written (IPv6 without brackets), lower-cased
    port: int
    path: str  # path and query


def _parse(url: str) -> _Target:
    """Split and check the URL's shape; raises ValueError with a plain message."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("is required")
    if any(ord(ch) < 33 for ch in url.strip()):
        raise ValueError("must not contain spaces or control characters")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError("must be an http or https URL")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain credentials")
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise ValueError("has an invalid port") from None
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ValueError("must have a host")
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return _Target(scheme, host.lower(), port, path)


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def _allowed_addresses(target: _Target, allow_private: bool) -> list[str]:
    """The addresses to connect to, each checked. Raises FetchError."""
    literal = _literal(target.host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            addresses = resolve_host(target.host, target.port)
        except (OSError, UnicodeError):
            raise FetchError(f"the host {target.host} could not be resolved") from None
        if not addresses:
            raise FetchError(f"the host {target.host} could not be resolved")
    if not allow_private:
        refused = [a for a in addresses if is_forbidden(a)]
        if refused:  # any private answer refuses the name: no mixing public and private
            raise FetchError(f"the host {target.host} resolves to a private or reserved "
                             f"address ({refused[0]})")
    return addresses


def check_url(url: str, *, allow_private: bool) -> None:
    """Raise Invalid(fields={"url": ...}) for a non-http(s) URL, credentials in it, or a host
    that is (or resolves to) a private, loopback, link-local or reserved address. A name that
    does not resolve now is accepted: every fetch checks the resolved address again."""
    try:
        target = _parse(url)
    except ValueError as exc:
        raise Invalid(fields={"url": str(exc)}) from None
    if allow_private:
        return
    literal = _literal(target.host)
    if literal is not None:
        if is_forbidden(literal):
            raise Invalid(fields={"url": "must not point to a private, loopback, link-local "
                                         "or reserved address"})
        return
    if target.host == "localhost" or target.host.endswith(".localhost"):
        raise Invalid(fields={"url": "must not point to a private, loopback, link-local or "
                                     "reserved address"})
    try:
        addresses = resolve_host(target.host, target.port)
    except (OSError, UnicodeError):
        return
    if any(is_forbidden(a) for a in addresses):
        raise Invalid(fields={"url": f"resolves to a private or reserved address "
                                     f"({target.host})"})


# --- fetching ---------------------------------------------------------------------------------

_pools: OrderedDict[tuple, urllib3.HTTPConnectionPool] = OrderedDict()
_pools_lock = threading.Lock()


def _pool(target: _Target, address: str) -> urllib3.HTTPConnectionPool:
    key = (target.scheme, address, target.port, target.host)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is not None:
            _pools.move_to_end(key)
            return pool
        timeout = urllib3.Timeout(connect=5, read=10)  # each request passes its own
        if target.scheme == "https":  # certificate checked against the name, not the address
            pool = urllib3.HTTPSConnectionPool(
                address, target.port, timeout=timeout, maxsize=8, block=False, retries=False,
                cert_reqs="CERT_REQUIRED", server_hostname=target.host,
                assert_hostname=target.host)
        else:
            pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=8,
                                              block=False, retries=False)
        _pools[key] = pool
        while len(_pools) > _POOLS_MAX:
            _, old = _pools.popitem(last=False)
            old.close()
        return pool


def _host_header(target: _Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _set_timeout(response: urllib3.BaseHTTPResponse, seconds: float) -> None:
    connection = getattr(response, "connection", None)
    sock = getattr(connection, "sock", None)
    if sock is not None:
        sock.settimeout(max(seconds, 0.001))


def fetch(method: str, url: str, *, headers: dict | None = None, body: bytes | None = None,
          allow_private: bool, connect_timeout: float = 5, total_timeout: float = 10,
          max_bytes: int = 1_000_000) -> Fetched:
    """One HTTP request to `url` (no redirects followed: a 3xx is returned as is). The host is
    resolved here and every address checked; the connection goes to a checked address with
    the original Host header (and TLS name). Reading stops at `max_bytes` (truncated=True).
    Raises FetchError on refusal, timeout or connection failure."""
    started = time.monotonic()
    deadline = started + total_timeout
    try:
        target = _parse(url)
    except ValueError as exc:
        raise FetchError(f"the URL {exc}") from None
    addresses = _allowed_addresses(target, allow_private)
    sent = {"Host": _host_header(target), "Accept-Encoding": "identity",
            **(headers or {})}
    last_error = "no address to connect to"
    for address in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"timed out after {total_timeout:g}s")
        pool = _pool(target, address)
        try:
            response = pool.urlopen(
                method, target.path, body=body, headers=sent, redirect=False, retries=False,
                assert_same_host=False, preload_content=False, release_conn=False,
                timeout=urllib3.Timeout(connect=min(connect_timeout, remaining),
                                        read=remaining))
        except urllib3.exceptions.NewConnectionError as exc:
            last_error = f"could not connect to {target.host} ({address}): {_reason(exc)}"
            continue  # the next address may answer
        except urllib3.exceptions.ConnectTimeoutError:
            last_error = f"connecting to {target.host} ({address}) timed out"
            continue
        except urllib3.exceptions.ReadTimeoutError:
            raise FetchError(f"timed out after {total_timeout:g}s") from None
        except (Urllib3Error, OSError) as exc:
            raise FetchError(f"request to {target.host} failed: {_reason(exc)}") from None
        return _read(response, started, deadline, total_timeout, max_bytes)
    raise FetchError(last_error)


def _read(response: urllib3.BaseHTTPResponse, started: float, deadline: float,
          total_timeout: float, max_bytes: int) -> Fetched:
    chunks: list[bytes] = []
    size = 0
    truncated = False
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise FetchError(f"timed out after {total_timeout:g}s")
            _set_timeout(response, remaining)
            chunk = response.read(min(_CHUNK, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
            if size > max_bytes:
                truncated = True
                break
    except urllib3.exceptions.ReadTimeoutError:
        response.close()
        raise FetchError(f"timed out after {total_timeout:g}s") from None
    except (Urllib3Error, OSError) as exc:
        response.close()
        raise FetchError(f"reading the response failed: {_reason(exc)}") from None
    except FetchError:
        response.close()
        raise
    finally:
        if truncated:
            response.close()  # the rest is never read: this connection cannot be reused
        response.release_conn()
    body = b"".join(chunks)[:max_bytes]
    return Fetched(status=response.status, headers=dict(response.headers.items()), body=body,
                   truncated=truncated,
                   elapsed_ms=int((time.monotonic() - started) * 1000))


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", None) or exc)
    if "Connection refused" in text:
        return "connection refused"
    return text[:200]

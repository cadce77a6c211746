"""The client's IP address: REMOTE_ADDR, or the right-most untrusted X-Forwarded-For hop when
the request came through one of LINKHUB_TRUSTED_PROXIES. Shared by the API and the redirect."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from functools import lru_cache


@lru_cache(maxsize=64)
def _networks(trusted: tuple[str, ...]) -> tuple[ipaddress._BaseNetwork, ...]:
    return tuple(ipaddress.ip_network(t, strict=False) for t in trusted)


def _is_trusted(addr: str, nets: tuple) -> bool:
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return False
    return any(ip in net for net in nets)


def client_ip(environ: Mapping[str, str], trusted: Iterable[str]) -> str:
    remote = environ.get("REMOTE_ADDR") or "0.0.0.0"
    nets = _networks(tuple(trusted))
    if not nets or not _is_trusted(remote, nets):
        return remote
    hops = [h.strip() for h in environ.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if not _is_trusted(hop, nets):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return remote
    if hops:  # every hop is a trusted proxy: the first one is the client
        try:
            return str(ipaddress.ip_address(hops[0]))
        except ValueError:
            return remote
    return remote

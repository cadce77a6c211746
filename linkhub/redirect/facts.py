"""Visitor facts for one redirect request, each computed on first `get()` and kept (a link whose
rules ask only `country` never parses the user agent), plus the privacy helpers that shape the
click record. Reads a WSGI environ (or a snapshot of it); never touches Flask or the database."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from linkhub.redirect import agents, bots, geo

VISITOR_COOKIE = "lh_vid"
MAX_REFERRER = 2048
MAX_LANGUAGES = 10
MAX_QUERY = 8192  # characters of QUERY_STRING looked at
MAX_QUERY_FIELDS = 100
UTM_FIELDS = {"utmSource": "utm_source", "utmMedium": "utm_medium",
              "utmCampaign": "utm_campaign", "utmTerm": "utm_term", "utmContent": "utm_content"}
# Facts that need a paid data source; accepted by rules, always unknown here.
PAID_FIELDS = ("isp", "asn", "vpn", "proxy", "tor", "datacenter")
# The environ keys a snapshot keeps (the cookie header is reduced to lh_vid alone).
SNAPSHOT_KEYS = ("HTTP_USER_AGENT", "HTTP_ACCEPT_LANGUAGE", "HTTP_REFERER", "QUERY_STRING",
                 "REQUEST_METHOD", "HTTP_HOST", "SERVER_NAME")
# for_click() key -> Click model column; text caps follow the column sizes.
CLICK_COLUMNS = {
    "country": "country", "region": "region", "city": "city", "deviceType": "device_type",
    "os": "os", "osVersion": "os_version", "browser": "browser",
    "browserVersion": "browser_version", "deviceBrand": "device_brand", "bot": "bot",
    "isCrawler": "is_crawler", "isPreview": "is_preview", "referrer": "referrer",
    "referrerDomain": "referrer_domain", "language": "language", "utmSource": "utm_source",
    "utmMedium": "utm_medium", "utmCampaign": "utm_campaign", "utmTerm": "utm_term",
    "utmContent": "utm_content", "visitorId": "visitor_id", "ipTruncated": "ip_truncated",
    "ipHash": "ip_hash", "userAgent": "user_agent",
}

_COOKIE = re.compile(r"(?:^|;)\s*lh_vid=([^;]*)")
_COOKIE_VALUE = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{16})")
_LANG_TAG = re.compile(r"[a-z]{1,8}(?:-[a-z0-9]{1,8}){0,4}")
_QVALUE = re.compile(r"\s*q\s*=\s*(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)\s*")
_HOST = re.compile(r"[\w.\-:]{1,253}")


def _wsgi_text(value: str) -> str:
    """PEP 3333 hands header bytes over as latin-1; UTF-8 senders get their text back."""
    if value.isascii():
        return value
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


@lru_cache(maxsize=8)
def _pads(secret: bytes) -> tuple[Any, Any]:
    """HMAC-SHA256's keyed inner and outer states, computed once per secret (RFC 2104)."""
    key = (hashlib.sha256(secret).digest() if len(secret) > 64 else secret).ljust(64, b"\0")
    return (hashlib.sha256(bytes(b ^ 0x36 for b in key)),
            hashlib.sha256(bytes(b ^ 0x5C for b in key)))


def _mac(secret: bytes, *parts: str) -> str:
    """HMAC-SHA256 hex of the parts joined by `|`: hmac.new's value, from copied pad states
    (it runs a few times per redirect, and rebuilding the key schedule each time costs)."""
    inner, outer = _pads(secret)
    inner = inner.copy()
    inner.update("|".join(parts).encode("utf-8", "replace"))
    outer = outer.copy()
    outer.update(inner.digest())
    return outer.hexdigest()


def anonymize_ip(ip: str | None) -> str | None:
    """IPv4 with the last octet zeroed, IPv6 cut to its first 48 bits; None if not an address."""
    packed = geo.packed_ip(ip)
    if packed is None:
        return None
    keep = 3 if len(packed) == 4 else 6
    return geo.ip_text(packed[:keep] + bytes(len(packed) - keep))


def ip_hash(ip: str, secret: bytes) -> str:
    """Keyed hash of the (canonical) address: 32 hex characters, useless without the secret."""
    return _mac(secret, "ip", geo.canonical_ip(ip) or ip.strip())[:32]


def visitor_cookie_value(visitor_id: str, secret: bytes) -> str:
    """`<visitor id>.<16-hex MAC>`: a value we minted, so an edited one is simply ignored."""
    return f"{visitor_id}.{_mac(secret, VISITOR_COOKIE, visitor_id)[:16]}"


def read_visitor_cookie(value: str | None, secret: bytes) -> str | None:
    """The visitor id in a well-formed, untampered cookie value, else None."""
    match = _COOKIE_VALUE.fullmatch(value.strip()) if value else None
    if match is None:
        return None
    visitor_id, mac = match.groups()
    expected = _mac(secret, VISITOR_COOKIE, visitor_id)[:16]
    return visitor_id if hmac.compare_digest(mac, expected) else None


def parse_accept_language(header: str | None) -> list[str]:
    """Lower-case tags by descending q (ties keep header order), q=0 and `*` dropped, items with
    a malformed tag or q skipped, duplicates removed, at most MAX_LANGUAGES."""
    if not header:
        return []
    ranked: list[tuple[float, int, str]] = []
    for position, item in enumerate(header[:1024].split(",")[:50]):
        tag, *params = item.split(";")
        tag = tag.strip().lower().replace("_", "-")
        if not _LANG_TAG.fullmatch(tag):
            continue
        quality = 1.0
        q_params = [p for p in params if p.strip().lower().startswith("q")]
        if q_params:
            match = _QVALUE.fullmatch(q_params[0].lower())
            if match is None:
                continue
            quality = float(match.group(1))
        if quality > 0:
            ranked.append((-quality, position, tag))
    ranked.sort()
    tags: list[str] = []
    for _, _, tag in ranked:
        if tag not in tags:
            tags.append(tag)
            if len(tags) == MAX_LANGUAGES:
                break
    return tags


def referrer_domain(referrer: str | None) -> str | None:
    """The referrer's host: lower case, port and trailing dot dropped, punycode shown as Unicode,
    a leading `www.` removed. None for anything that is not an absolute URL with a host."""
    if not referrer:
        return None
    try:
        host = urlsplit(referrer.strip()).hostname
    except ValueError:
        return None
    host = (host or "").rstrip(".")
    if not host or not _HOST.fullmatch(host):
        return None
    if "xn--" in host:
        try:
            host = host.encode("ascii").decode("idna").lower()
        except UnicodeError:
            pass
    host = host.removeprefix("www.")
    return host or None


def _host_name(value: str) -> str | None:
    try:
        host = urlsplit("//" + value.strip()).hostname
    except ValueError:
        return None
    host = (host or "").rstrip(".")
    return host or None


class VisitorFacts:
    """Facts about the visitor behind one request; `get(field)` computes on first use and keeps.
    Unknown facts (and unknown field names) are None."""

    __slots__ = ("environ", "client_ip", "now", "needs", "_secret", "_settings", "_cache",
                 "_inputs")

    def __init__(self, environ: Mapping[str, Any], *, client_ip: str, now: datetime,
                 secret: bytes, settings: Mapping[str, Any] | None = None,
                 needs: Iterable[str] = ()) -> None:
        self.environ = environ
        self.client_ip = client_ip
        self.now = now
        self.needs = frozenset(needs)  # what the link's rules will ask; see needed()
        self._secret = secret
        self._settings = settings or {}
        self._cache: dict[str, Any] = {}  # field -> fact
        self._inputs: dict[str, Any] = {}  # intermediate results shared by several facts

    def get(self, field: str) -> Any:
        cache = self._cache
        if field in cache:
            return cache[field]
        compute = _COMPUTE.get(field)
        if compute is not None:
            value = compute(self)
        elif field.startswith("query."):
            value = self._params().get(field[6:])
        else:
            value = None
        cache[field] = value
        return value

    def needed(self) -> dict[str, Any]:
        """The facts named at construction (the link's rules), computed now."""
        return {name: self.get(name) for name in sorted(self.needs)}

    # raw inputs -----------------------------------------------------------------------------
    def _header(self, key: str) -> str:
        value = self.environ.get(key)
        return value if isinstance(value, str) else ""

    def _ua(self) -> str:
        ua = self._inputs.get("ua")
        if ua is None:
            ua = self._inputs["ua"] = self._header("HTTP_USER_AGENT").strip()[:agents.MAX_UA]
        return ua

    def _ip(self) -> str | None:
        """The client address in canonical text form, None if it is not an address."""
        return geo.canonical_ip(self.client_ip)

    def _params(self) -> dict[str, str]:
        params = self._inputs.get("params")
        if params is None:
            params = {}
            raw = _wsgi_text(self._header("QUERY_STRING")[:MAX_QUERY])
            for name, value in parse_qsl(raw, keep_blank_values=True)[:MAX_QUERY_FIELDS]:
                params.setdefault(name, value)
            self._inputs["params"] = params
        return params

    def _agent(self) -> agents.AgentInfo:
        info = self._inputs.get("agent")
        if info is None:
            info = self._inputs["agent"] = agents.describe(self._ua())
        return info

    def _kind(self) -> bots.AgentKind:
        kind = self._inputs.get("kind")
        if kind is None:
            kind = self._inputs["kind"] = bots.classify(self._ua())
        return kind

    def _city(self) -> geo.CityFacts:
        found = self._inputs.get("city")
        if found is None:
            path = self._settings.get("GEOIP_CITY_DB") or None
            found = self._inputs["city"] = geo.city(self._ip(), path)
        return found

    def _cookie_visitor(self) -> str | None:
        if "cookie" not in self._inputs:
            match = _COOKIE.search(self._header("HTTP_COOKIE"))
            self._inputs["cookie"] = read_visitor_cookie(match.group(1) if match else None,
                                                         self._secret)
        return self._inputs["cookie"]

    # computed facts ---------------------------------------------------------------------------
    def _agent_is_bot(self) -> bool:
        """Empty user agent, crawler list or link-preview fetcher (no ua-parser needed)."""
        return not self._ua() or self._kind().bot

    def _device_type(self) -> str | None:
        return "bot" if self._agent_is_bot() else self._agent().device_type

    def _bot(self) -> bool:
        return self.get("method") == "HEAD" or self._agent_is_bot()

    def _referrer(self) -> str | None:
        return _wsgi_text(self._header("HTTP_REFERER")).strip()[:MAX_REFERRER] or None

    def _visitor_id(self) -> str:
        cookie = self._cookie_visitor()
        if cookie is not None:
            return cookie
        return _mac(self._secret, "vid", self._ip() or self.client_ip, self._ua())[:32]

    def _host(self) -> str | None:
        return _host_name(self._header("HTTP_HOST") or self._header("SERVER_NAME"))

    # visitor cookie -------------------------------------------------------------------------
    @property
    def needs_visitor_cookie(self) -> bool:
        """True when the response should set `lh_vid` (absent, malformed or tampered)."""
        return self._cookie_visitor() is None

    @property
    def new_visitor_cookie_value(self) -> str | None:
        """The `lh_vid` value to set (it keeps today's visitorId), or None when not needed."""
        if not self.needs_visitor_cookie:
            return None
        return visitor_cookie_value(self.get("visitorId"), self._secret)

    # recording ------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The raw inputs only (a few headers, the query, the lh_vid cookie, ip, method, host,
        time) so the click writer can rebuild these facts off the request thread."""
        env = {key: self.environ[key] for key in SNAPSHOT_KEYS
               if isinstance(self.environ.get(key), str)}
        cookie = _COOKIE.search(self._header("HTTP_COOKIE"))
        if cookie:
            env["HTTP_COOKIE"] = f"{VISITOR_COOKIE}={cookie.group(1)}"
        return {"environ": env, "ip": self.client_ip, "now": self.now}

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any], *, secret: bytes,
                      settings: Mapping[str, Any] | None = None) -> VisitorFacts:
        return cls(snapshot["environ"], client_ip=snapshot["ip"], now=snapshot["now"],
                   secret=secret, settings=settings)

    def for_click(self, store_ip: bool = True, store_user_agent: bool = True,
                  store_referrer: bool = True) -> dict[str, Any]:
        """The click record's visitor columns (keys: CLICK_COLUMNS). The referrer's domain is
        kept when the full referrer is not; with LINKHUB_ANONYMIZE_IP off, ipTruncated holds the
        whole address."""
        get = self.get
        languages = get("language")
        ip = self._ip() if store_ip else None
        anonymize = self._settings.get("ANONYMIZE_IP", True)
        record = {field: get(field) for field in (
            "country", "region", "city", "deviceType", "os", "osVersion", "browser",
            "browserVersion", "deviceBrand", "bot", "isCrawler", "isPreview", "referrerDomain",
            "visitorId")}
        record.update({field: _cap(get(field), 255) for field in UTM_FIELDS})
        record["referrer"] = get("referrer") if store_referrer else None
        record["language"] = languages[0][:35] if languages else None
        record["ipTruncated"] = (anonymize_ip(ip) if anonymize else ip) if ip else None
        record["ipHash"] = _mac(self._secret, "ip", ip)[:32] if ip else None
        record["userAgent"] = (self._ua() or None) if store_user_agent else None
        return record


def _cap(value: Any, size: int) -> Any:
    return value[:size] if isinstance(value, str) else value


def _utm(name: str) -> Callable[[VisitorFacts], str | None]:
    return lambda facts: facts._params().get(name) or None


_COMPUTE: dict[str, Callable[[VisitorFacts], Any]] = {
    "country": lambda f: geo.country(f._ip()),
    "continent": lambda f: geo.continent(f.get("country")),
    "region": lambda f: f._city().region,
    "city": lambda f: f._city().city,
    "timezone": lambda f: f._city().timezone,
    "latitude": lambda f: f._city().latitude,
    "longitude": lambda f: f._city().longitude,
    **{name: (lambda f: None) for name in PAID_FIELDS},
    "deviceType": VisitorFacts._device_type,
    "os": lambda f: f._agent().os,
    "osVersion": lambda f: f._agent().os_version,
    "browser": lambda f: f._agent().browser,
    "browserVersion": lambda f: f._agent().browser_version,
    "deviceBrand": lambda f: f._agent().brand,
    "bot": VisitorFacts._bot,
    "isCrawler": lambda f: f._kind().crawler,
    "isPreview": lambda f: f._kind().preview,
    "inApp": lambda f: f._kind().in_app is not None,
    "inAppName": lambda f: f._kind().in_app,
    "userAgent": lambda f: f._ua() or None,
    "language": lambda f: parse_accept_language(f._header("HTTP_ACCEPT_LANGUAGE")),
    "referrer": VisitorFacts._referrer,
    "referrerDomain": lambda f: referrer_domain(f.get("referrer")),
    **{field: _utm(name) for field, name in UTM_FIELDS.items()},
    "query": lambda f: f._params(),
    "time": lambda f: f.now,
    "visitorId": VisitorFacts._visitor_id,
    "isNewVisitor": lambda f: f._cookie_visitor() is None,
    "isReturning": lambda f: f._cookie_visitor() is not None,
    "ip": lambda f: f._ip(),
    "method": lambda f: (f._header("REQUEST_METHOD") or "GET").upper(),
    "host": VisitorFacts._host,
}
FIELDS = frozenset(_COMPUTE)  # every name get() knows, besides `query.<name>`


def warm_up(settings: Mapping[str, Any] | None = None) -> None:
    """Pay the one-off costs before the first visitor does: build the ua-parser (~0.3 s), touch
    the crawler pattern and the country data, open the city database. Call at server start."""
    sample = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/124.0.0.0 Safari/537.36")
    agents.parser().parse(sample)
    bots.is_crawler(sample)
    geo.country(geo.canonical_ip("8.8.8.8"))
    geo.city_reader((settings or {}).get("GEOIP_CITY_DB") or None)

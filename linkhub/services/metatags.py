"""Metatags: fetch a web page through the network guard (private targets refused, every redirect
hop re-checked, 1 MB cap, timeouts) and read its title, description, image, favicon and site
name with the standard library's HTML parser; results cached for a while. No HTTP routing here."""

from __future__ import annotations

import re
import threading
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

from cachetools import TTLCache
from flask import current_app

from linkhub import ratelimit
from linkhub.errors import Invalid
from linkhub.services import net_guard

MAX_URL_LENGTH = 2048
MAX_BYTES = 1_000_000
MAX_REDIRECTS = 3
CONNECT_TIMEOUT = 5.0
TOTAL_TIMEOUT = 10.0
CACHE_SECONDS = 600
TITLE_MAX = 300  # a link's ogTitle limit
DESCRIPTION_MAX = 1000  # ogDescription
FEED_CHUNK = 65_536
REDIRECTS = (301, 302, 303, 307, 308)
HTML_TYPES = ("text/html", "application/xhtml+xml")
USER_AGENT = "linkhub-metatags/1.0 (+link preview)"
# Each call may fetch a remote page: a tighter budget than the API's own limit.
RATE = "60/minute"

_cache: TTLCache = TTLCache(maxsize=1024, ttl=CACHE_SECONDS)
_cache_lock = threading.Lock()
_CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_SPACE_RE = re.compile(r"\s+")


class _HeadParser(HTMLParser):
    """Collects <title>, <meta name|property=…>, <link rel=…icon> and <base href> up to <body>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.meta: dict[str, str] = {}
        self.icons: list[str] = []
        self.base: str | None = None
        self.title_parts: list[str] = []
        self.in_title = False
        self.title_done = False
        self.done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.done:
            return
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "title" and not self.title_done:
            self.in_title = True
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or "").strip().lower()
            content = values.get("content")
            if key and content is not None and key not in self.meta:
                self.meta[key] = content
        elif tag == "link":
            rels = values.get("rel", "").lower().split()
            if "icon" in rels or "apple-touch-icon" in rels:
                if values.get("href", "").strip():
                    self.icons.append(values["href"].strip())
        elif tag == "base" and self.base is None and values.get("href", "").strip():
            self.base = values["href"].strip()
        elif tag == "body":
            self.done = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title" and self.in_title:
            self.in_title, self.title_done = False, True
        elif tag == "head":
            self.done = True

    def handle_data(self, data: str) -> None:
        if self.in_title and not self.done:
            self.title_parts.append(data)


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _allow_private() -> bool:
    return bool(current_app.config["LINKHUB"]["METATAGS_ALLOW_PRIVATE"])


def check_url(value: Any) -> str:
    """The URL to fetch: http(s), a host, no credentials, at most 2,048 characters."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid(fields={"url": "is required"})
    url = value.strip()
    if len(url) > MAX_URL_LENGTH:
        raise Invalid(fields={"url": f"must be at most {MAX_URL_LENGTH} characters"})
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        raise Invalid(fields={"url": "is not a valid URL"}) from None
    if parts.scheme.lower() not in ("http", "https"):
        raise Invalid(fields={"url": "must be an http:// or https:// URL"})
    if not host:
        raise Invalid(fields={"url": "must name a host"})
    if parts.username is not None or parts.password is not None:
        raise Invalid(fields={"url": "must not contain credentials"})
    return url


def _clean(value: str | None, limit: int) -> str | None:
    if value is None:
        return None
    text = _SPACE_RE.sub(" ", value).strip()
    return text[:limit] or None


def _absolute(base: str, value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    try:
        url = urljoin(base, value.strip())
    except ValueError:
        return None
    return url if urlsplit(url).scheme in ("http", "https") and len(url) <= MAX_URL_LENGTH \
        else None


def _charset(content_type: str, body: bytes) -> str:
    for part in content_type.split(";")[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    match = _CHARSET_RE.search(body[:4096])
    return match.group(1).decode("ascii") if match else "utf-8"


def _decode(content_type: str, body: bytes) -> str:
    try:
        return body.decode(_charset(content_type, body), errors="replace")
    except LookupError:  # an unknown charset name
        return body.decode("utf-8", errors="replace")


def parse(html: str, page_url: str) -> dict[str, Any]:
    """Read the metadata of one HTML document fetched from `page_url`."""
    parser = _HeadParser()
    for start in range(0, len(html), FEED_CHUNK):
        parser.feed(html[start:start + FEED_CHUNK])
        if parser.done:
            break
    meta = parser.meta
    base = _absolute(page_url, parser.base) or page_url

    def first(*keys: str) -> str | None:
        return next((meta[k] for k in keys if meta.get(k, "").strip()), None)

    page_title = "".join(parser.title_parts) if parser.title_parts else None
    icon = next((u for u in (_absolute(base, i) for i in parser.icons) if u), None)
    return {
        "title": _clean(first("og:title", "twitter:title") or page_title, TITLE_MAX),
        "description": _clean(first("og:description", "twitter:description", "description"),
                              DESCRIPTION_MAX),
        "image": _absolute(base, first("og:image", "og:image:url", "og:image:secure_url",
                                       "twitter:image", "twitter:image:src")),
        "favicon": icon or urljoin(page_url, "/favicon.ico"),
        "siteName": _clean(first("og:site_name", "application-name"), TITLE_MAX),
    }


def _fetch_html(url: str) -> tuple[str, net_guard.Fetched]:
    """GET `url`, following at most MAX_REDIRECTS redirects, each hop through the guard."""
    allow_private = _allow_private()
    headers = {"User-Agent": USER_AGENT,
               "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"}
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            fetched = net_guard.fetch("GET", url, headers=headers, allow_private=allow_private,
                                      connect_timeout=CONNECT_TIMEOUT,
                                      total_timeout=TOTAL_TIMEOUT, max_bytes=MAX_BYTES)
        except net_guard.FetchError as exc:
            raise Invalid(fields={"url": f"could not be fetched: {exc}"}) from None
        if fetched.status not in REDIRECTS:
            return url, fetched
        location = _header(fetched.headers, "location")
        if not location:
            raise Invalid(fields={"url": f"the page answered {fetched.status} without a "
                                         "Location"})
        target = _absolute(url, location)
        if target is None:
            raise Invalid(fields={"url": "redirects to a URL that is not http(s)"})
        try:
            url = check_url(target)
        except Invalid as exc:
            raise Invalid(fields={"url": f"redirects to a refused URL ({exc.fields['url']})"}) \
                from None
    raise Invalid(fields={"url": f"redirects more than {MAX_REDIRECTS} times"})


def _header(headers: dict[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name), "")


def fetch_metatags(value: Any, *, principal: str | None = None) -> dict[str, Any]:
    """The page's title, description, image, favicon and site name (`url` is the final URL
    after redirects). 400 VALIDATION_ERROR when the URL is refused or the page unusable;
    `principal` (the caller's rate-limit identity) is held to RATE fetches (cache
    hits are free)."""
    url = check_url(value)
    key = (url, _allow_private())
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return dict(cached)
    if principal is not None:  # only real fetches count
        ratelimit.enforce("metatags", principal, RATE)
    final_url, fetched = _fetch_html(url)
    if not 200 <= fetched.status < 300:
        raise Invalid(fields={"url": f"the page answered HTTP {fetched.status}"})
    content_type = _header(fetched.headers, "content-type")
    mime = content_type.split(";")[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        raise Invalid(fields={"url": f"is not an HTML page (it is {mime})"})
    result = {**parse(_decode(content_type, fetched.body), final_url), "url": final_url,
              "truncated": fetched.truncated}
    with _cache_lock:
        _cache[key] = result
    return dict(result)

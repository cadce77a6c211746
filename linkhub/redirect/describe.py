"""The click writer's visitor columns for one event: exactly what `VisitorFacts.for_click` gives
(tests hold the two equal), derived straight from the event's snapshot in fewer steps, since it
runs once per click on the writer thread while request threads wait for the GIL. Pure: no
database, no Flask."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from linkhub.redirect import agents, bots, facts, geo
from linkhub.redirect.clicks import ClickEvent

_UTMS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


@lru_cache(maxsize=2048)
def _language(header: str) -> str | None:
    """The visitor's first language tag as stored (browsers send a handful of headers)."""
    tags = facts.parse_accept_language(header)
    return tags[0][:35] if tags else None


def _utm_params(query: str) -> dict[str, str]:
    """The first value of each `utm_*` parameter, as `facts._params` (parse_qsl over the first
    MAX_QUERY characters and MAX_QUERY_FIELDS fields) finds it, without decoding the rest."""
    found: dict[str, str] = {}
    fields = 0
    for item in facts._wsgi_text(query[:facts.MAX_QUERY]).split("&"):
        if not item:
            continue
        fields += 1
        if fields > facts.MAX_QUERY_FIELDS:
            break
        key, _, value = item.partition("=")
        if "%" in key or "+" in key:
            key = unquote_plus(key)
        if key in _UTMS and key not in found:
            found[key] = unquote_plus(value) if "%" in value or "+" in value else value
    return found


class Describer:
    """`describe(event)` -> {Click column: value} for the event's visitor."""

    def __init__(self, secret: bytes, settings: Mapping[str, Any]) -> None:
        self.secret = secret
        self.anonymize = settings.get("ANONYMIZE_IP", True)
        self.city_db = settings.get("GEOIP_CITY_DB") or None

    def __call__(self, event: ClickEvent) -> dict[str, Any]:
        snapshot = event.snapshot
        env = snapshot["environ"]
        client = snapshot["ip"]
        secret = self.secret

        def header(key: str) -> str:
            value = env.get(key)
            return value if isinstance(value, str) else ""

        ua = header("HTTP_USER_AGENT").strip()[:agents.MAX_UA]
        kind = bots.classify(ua)
        agent_bot = not ua or kind.bot
        info = agents.describe(ua)
        ip = geo.canonical_ip(client)
        city = geo.city(ip, self.city_db)
        store_ip, store_user_agent, store_referrer = event.privacy
        referrer = facts._wsgi_text(header("HTTP_REFERER")).strip()[:facts.MAX_REFERRER] or None
        cookie = facts._COOKIE.search(header("HTTP_COOKIE"))
        visitor = facts.read_visitor_cookie(cookie.group(1) if cookie else None, secret)
        if visitor is None:
            visitor = facts._mac(secret, "vid", ip or client, ua)[:32]
        query = header("QUERY_STRING")
        params = _utm_params(query) if "utm_" in query else {}
        kept_ip = ip if store_ip else None
        record: dict[str, Any] = {
            "country": geo.country(ip), "region": city.region, "city": city.city,
            "device_type": "bot" if agent_bot else info.device_type, "os": info.os,
            "os_version": info.os_version, "browser": info.browser,
            "browser_version": info.browser_version, "device_brand": info.brand,
            "bot": (header("REQUEST_METHOD") or "GET").upper() == "HEAD" or agent_bot,
            "is_crawler": kind.crawler, "is_preview": kind.preview,
            "referrer_domain": facts.referrer_domain(referrer), "visitor_id": visitor,
            "referrer": referrer if store_referrer else None,
            "language": _language(header("HTTP_ACCEPT_LANGUAGE")),
            "ip_truncated": ((facts.anonymize_ip(kept_ip) if self.anonymize else kept_ip)
                             if kept_ip else None),
            "ip_hash": facts._mac(secret, "ip", kept_ip)[:32] if kept_ip else None,
            "user_agent": (ua or None) if store_user_agent else None,
        }
        for column in _UTMS:
            value = params.get(column) or None
            record[column] = value[:255] if value else value
        return record

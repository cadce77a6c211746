"""The in-process store of compiled links and domains used by the redirect path, one per app.
Services call `for_app().invalidate_*` synchronously after every write that could change a
redirect; the resolver fills entries on a miss. Thread-safe and bounded; never reads the DB."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from flask import Flask, current_app

MAX_LINKS = 50_000
MAX_MISSES = 10_000
MAX_DOMAINS = 10_000

LinkKey = tuple[int, str]  # (domain_key, code_key)


class LinkCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._links: OrderedDict[LinkKey, Any] = OrderedDict()
        self._by_link_id: dict[int, LinkKey] = {}
        self._link_ids: dict[LinkKey, int] = {}
        self._misses: OrderedDict[LinkKey, Any] = OrderedDict()
        self._domains: dict[str, Any] = {}
        self._domains_complete = False  # True: a host absent from _domains is no custom domain
        self._generation = 0  # bumped on every invalidation; older fills are discarded

    @property
    def generation(self) -> int:
        return self._generation

    def get_link(self, key: LinkKey) -> Any | None:
        """A compiled link, or a `Miss` kept for a disabled/archived/deleted/unknown code."""
        entry = self._links.get(key)
        return entry if entry is not None else self._misses.get(key)

    def is_known_miss(self, key: LinkKey) -> bool:
        return key in self._misses

    def put_link(self, key: LinkKey, link_id: int | None, entry: Any, started_at: int) -> None:
        """Store a compiled link (or a Miss: with link_id None it is kept in the bounded miss
        table) unless an invalidation happened since the caller started loading it."""
        with self._lock:
            if started_at != self._generation:
                return
            if link_id is None:
                self._misses[key] = entry if entry is not None else True
                while len(self._misses) > MAX_MISSES:
                    self._misses.popitem(last=False)
                return
            old = self._by_link_id.get(link_id)
            if old is not None and old != key:
                self._links.pop(old, None)
                self._link_ids.pop(old, None)
            self._links[key] = entry
            self._by_link_id[link_id] = key
            self._link_ids[key] = link_id
            while len(self._links) > MAX_LINKS:
                old_key, _ = self._links.popitem(last=False)
                old_id = self._link_ids.pop(old_key, None)
                if old_id is not None and self._by_link_id.get(old_id) == old_key:
                    del self._by_link_id[old_id]

    def get_domain(self, host: str) -> tuple[bool, Any]:
        """(known, entry): known is False when the host was never looked up."""
        entry = self._domains.get(host)
        if entry is not None or host in self._domains:
            return True, entry
        return self._domains_complete, None

    def put_domain(self, host: str, entry: Any, started_at: int) -> None:
        with self._lock:
            if started_at == self._generation and len(self._domains) < MAX_DOMAINS:
                self._domains[host] = entry

    def put_all_domains(self, entries: dict[str, Any], started_at: int) -> None:
        """Every custom domain at once: later lookups of any other host cost nothing."""
        with self._lock:
            if started_at == self._generation:
                self._domains = dict(entries)
                self._domains_complete = True

    def invalidate_link(self, link_id: int, *keys: LinkKey) -> None:
        """Forget one link, plus any code keys it had or now takes (they may be cached misses)."""
        with self._lock:
            self._generation += 1
            key = self._by_link_id.pop(link_id, None)
            if key is not None:
                self._links.pop(key, None)
                self._link_ids.pop(key, None)
            for extra in keys:
                self._links.pop(extra, None)
                self._misses.pop(extra, None)
                stale = self._link_ids.pop(extra, None)
                if stale is not None and self._by_link_id.get(stale) == extra:
                    del self._by_link_id[stale]

    def clear(self) -> None:
        """Forget everything: for rule, campaign, domain or workspace changes."""
        with self._lock:
            self._generation += 1
            self._links.clear()
            self._by_link_id.clear()
            self._link_ids.clear()
            self._misses.clear()
            self._domains.clear()
            self._domains_complete = False

    def stats(self) -> dict[str, int]:
        return {"links": len(self._links), "misses": len(self._misses),
                "domains": len(self._domains)}


def init_app(app: Flask) -> None:
    app.extensions["linkhub.link_cache"] = LinkCache()


def for_app(app: Flask | None = None) -> LinkCache:
    return (app or current_app).extensions["linkhub.link_cache"]

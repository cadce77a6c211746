"""Cached lookup of what a (host, short code) pair means: the custom domain entry for a host
(every domain is loaded at once, in one read), and the compiled link for a code (its fields,
effective UTMs and compiled rules). A link miss costs one indexed read (the link with its
workspace, UTM template and rules); a hit costs none. Entries are immutable; the cache is
invalidated by services/ on every write. Never writes."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType, SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import peewee
from flask import Flask

from linkhub.db import database
from linkhub.models import Domain, Link, LinkRule, Rule, UtmTemplate, Workspace
from linkhub.redirect import cache as link_cache
from linkhub.redirect.clicks import ClickBuffer
from linkhub.redirect.evaluate import CompiledRules, compile_rules

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DomainEntry:
    id: int
    workspace_id: int
    name: str
    verified: bool
    not_found_url: str | None
    expired_url: str | None
    root_url: str | None
    case_sensitive: bool


@dataclass(frozen=True, slots=True)
class Target:
    """Where a match (a rule, or the link itself) sends the visitor, and how. The destination
    is pre-cut for views.merge_query: `location` is it with the link's UTM values added where
    missing, `url_head` + `joiner` + extra items + `url_fragment` rebuilds it with more."""

    rule_pk: int | None
    rule_id: str | None
    destination: str | None
    location: str | None
    url_head: str
    joiner: str
    url_fragment: str
    own_keys: tuple[str, ...]  # a tuple: the GC stops tracking it (a cached link must be cheap)
    deep_link_enabled: bool
    deep_link_ios: str | None
    deep_link_android: str | None
    deep_link_fallback: str | None
    preserve_query: bool
    forward_utms: bool
    breakout: bool
    delay_ms: int


@dataclass(frozen=True, slots=True)
class Miss:
    """A code that answers with the not-found behaviour (and an orphan visit)."""

    reason: str  # unknown | disabled | archived (the writer tells `deleted` from `unknown`)
    workspace_id: int | None = None


@dataclass(frozen=True, slots=True)
class CompiledLink:
    id: int
    public_id: str
    workspace_id: int
    timezone: str
    privacy: tuple[bool, bool, bool]
    expires_at: datetime | None
    clicks_limit: int | None
    clicks_base: int  # human clicks not served by this process: used = base + humans_offered
    password_hash: str | None
    redirect_behavior: str
    redirect_type: int
    expired_url: str | None
    conversion_tracking: bool
    og: tuple[str | None, str | None, str | None]
    has_og: bool
    utms: tuple[tuple[str, str], ...]
    default: Target
    rules: CompiledRules
    targets: Mapping[str, Target]  # rule public id -> target


def _cut(destination: str | None, utms: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The Target fields derived from a destination URL and the link's UTM values."""
    if not destination:
        return {"destination": None, "location": None, "url_head": "", "joiner": "?",
                "url_fragment": "", "own_keys": ()}
    head, hash_mark, fragment = destination.partition("#")
    query = head.partition("?")[2]
    own = {key for key, _ in parse_qsl(query, keep_blank_values=True)}
    missing = [(key, value) for key, value in utms if key not in own]
    if missing:
        joiner = "" if head.endswith(("?", "&")) else "&" if "?" in head else "?"
        head = head + joiner + urlencode(missing, quote_via=quote)
        own.update(key for key, _ in missing)
    joiner = "" if head.endswith(("?", "&")) else "&" if "?" in head else "?"
    fragment = hash_mark + fragment
    return {"destination": destination, "location": head + fragment, "url_head": head,
            "joiner": joiner, "url_fragment": fragment, "own_keys": tuple(sorted(own))}


def _target_for_rule(rule: dict[str, Any], link_target: Target,
                     utms: tuple[tuple[str, str], ...]) -> Target:
    def pick(key: str, inherited: Any) -> Any:
        value = rule.get(key)
        return inherited if value is None else value

    return Target(
        rule_pk=rule.get("pk"), rule_id=rule["id"],
        **_cut(rule.get("destinationUrl") or link_target.destination, utms),
        deep_link_enabled=bool(pick("deepLinkEnabled", link_target.deep_link_enabled)),
        deep_link_ios=pick("deepLinkIos", link_target.deep_link_ios),
        deep_link_android=pick("deepLinkAndroid", link_target.deep_link_android),
        deep_link_fallback=pick("deepLinkFallbackUrl", link_target.deep_link_fallback),
        preserve_query=bool(pick("preserveQueryParams", link_target.preserve_query)),
        forward_utms=bool(pick("forwardUtms", link_target.forward_utms)),
        breakout=bool(pick("inappBrowserBreakout", link_target.breakout)),
        delay_ms=int(pick("redirectDelayMs", 0) or 0),
    )


def compile_link(link: Any, workspace: Any, template: Any | None,
                 rules: list[dict[str, Any]], clicks_base: int | None = None) -> CompiledLink:
    from linkhub.services.utm_templates import effective_utms

    utms = tuple(effective_utms(link, template).items())
    default = Target(
        rule_pk=None, rule_id=None, **_cut(link.destination_url, utms),
        deep_link_enabled=link.deep_link_enabled, deep_link_ios=link.deep_link_ios,
        deep_link_android=link.deep_link_android,
        deep_link_fallback=link.deep_link_fallback_url,
        preserve_query=link.preserve_query_params, forward_utms=link.forward_utms,
        breakout=link.inapp_browser_breakout, delay_ms=0)
    compiled = compile_rules(rules) if rules else _NO_RULES
    for rule_id, reason in compiled.skipped:
        log.warning("rule %s of link %s cannot be compiled: %s", rule_id, link.public_id, reason)
    return CompiledLink(
        id=link.id, public_id=link.public_id, workspace_id=link.workspace_id,
        timezone=workspace.timezone or "UTC",
        privacy=(workspace.store_ip, workspace.store_user_agent, workspace.store_referrer),
        expires_at=link.expires_at, clicks_limit=link.clicks_limit,
        clicks_base=link.clicks if clicks_base is None else clicks_base,
        password_hash=link.password_hash,
        redirect_behavior=link.redirect_behavior, redirect_type=link.redirect_type,
        expired_url=link.expired_url, conversion_tracking=link.conversion_tracking,
        og=(link.og_title, link.og_description, link.og_image),
        has_og=bool(link.og_title or link.og_description or link.og_image),
        utms=utms, default=default, rules=compiled,
        targets=({rule["id"]: _target_for_rule(rule, default, utms) for rule in rules}
                 if rules else _NO_TARGETS),
    )


# Shared by every link without rules: the cache holds thousands of links, and each object a
# cached link owns is one more for every full garbage collection to walk.
_NO_RULES = compile_rules([])
_NO_TARGETS: Mapping[str, Target] = MappingProxyType({})


# --- the two reads of a miss ---------------------------------------------------------------------
# Plain SQL prepared once: peewee spends ~1-2 ms building a wide join, 40x the query itself.

_LINK_COLUMNS = ("id", "public_id", "workspace_id", "campaign_id", "utm_template_id", "enabled",
                 "archived_at", "expires_at", "clicks_limit", "clicks", "password_hash",
                 "redirect_behavior", "redirect_type", "expired_url", "destination_url",
                 "deep_link_enabled", "deep_link_ios", "deep_link_android",
                 "deep_link_fallback_url", "conversion_tracking", "og_title", "og_description",
                 "og_image", "preserve_query_params", "forward_utms", "inapp_browser_breakout",
                 "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_WORKSPACE_COLUMNS = ("timezone", "store_ip", "store_user_agent", "store_referrer")
_TEMPLATE_COLUMNS = ("id", "utm_source", "utm_medium", "utm_campaign", "utm_term",
                     "utm_content", "ref")
_RULE_COLUMNS = ("id", "public_id", "created_at", "link_id", "campaign_id", "shape", "type",
                 "conditions", "condition_logic", "tree", "name", "description",
                 "destination_url", "priority", "enabled", "timezone", "deep_link_enabled",
                 "deep_link_ios", "deep_link_android", "deep_link_fallback_url", "forward_utms",
                 "preserve_query_params", "inapp_browser_breakout", "redirect_delay_ms")


def _converters(model: type[peewee.Model], columns: tuple[str, ...]) -> list[Any]:
    return [model._meta.columns[column].python_value for column in columns]


def _select(alias: str, columns: tuple[str, ...]) -> str:
    return ", ".join(f'{alias}."{column}"' for column in columns)


# The rules: the same set as services.rules.rules_for_link (a test holds them together), as one
# JSON array per link, so a miss is ONE statement (each statement hands the GIL away and waits
# to get it back). The unary + keeps SQLite off the workspace index: it unions the three
# indexed lookups instead of scanning the workspace's rules.
_RULES_JSON = (
    f"(SELECT json_group_array(json_array({_select('r', _RULE_COLUMNS)})) "
    f'FROM "{Rule._meta.table_name}" AS r '
    'WHERE +r."workspace_id" = l."workspace_id" AND r."deleted_at" IS NULL '
    'AND r."enabled" = 1 AND (r."link_id" = l."id" OR r."id" IN (SELECT "rule_id" FROM '
    f'"{LinkRule._meta.table_name}" WHERE "link_id" = l."id") '
    'OR r."campaign_id" = l."campaign_id"))')
_LINK_SQL = (
    f"SELECT {_select('l', _LINK_COLUMNS)}, {_select('w', _WORKSPACE_COLUMNS)}, "
    f"{_select('u', _TEMPLATE_COLUMNS)}, {_RULES_JSON} "
    f'FROM "{Link._meta.table_name}" AS l '
    f'JOIN "{Workspace._meta.table_name}" AS w ON w."id" = l."workspace_id" '
    f'LEFT JOIN "{UtmTemplate._meta.table_name}" AS u ON u."id" = l."utm_template_id" '
    'WHERE l."domain_key" = ? AND l."code_key" = ? AND l."deleted_at" IS NULL LIMIT 1')
_CONVERT = (_converters(Link, _LINK_COLUMNS) + _converters(Workspace, _WORKSPACE_COLUMNS)
            + _converters(UtmTemplate, _TEMPLATE_COLUMNS))
_RULE_CONVERT = _converters(Rule, _RULE_COLUMNS)


def load_link_row(domain_key: int, code_key: str) -> tuple[Any, Any, Any, list] | None:
    """(link, workspace, template or None, rules) for the live link with that key, in one
    indexed read: attribute bags, and the rules in `services.rules.normalized` form."""
    raw = database.execute_sql(_LINK_SQL, (domain_key, code_key)).fetchone()
    if raw is None:
        return None
    values = [convert(value) if value is not None else None
              for convert, value in zip(_CONVERT, raw[:-1], strict=True)]
    split, rest = len(_LINK_COLUMNS), len(_LINK_COLUMNS) + len(_WORKSPACE_COLUMNS)
    link = SimpleNamespace(**dict(zip(_LINK_COLUMNS, values[:split], strict=True)))
    workspace = SimpleNamespace(**dict(zip(_WORKSPACE_COLUMNS, values[split:rest],
                                           strict=True)))
    template = SimpleNamespace(**dict(zip(_TEMPLATE_COLUMNS, values[rest:], strict=True)))
    if template.id is None:
        link.utm_template_id = None  # nothing to fill from (and nothing to look up again)
        template = None
    return link, workspace, template, _rules(raw[-1])


def _rules(array: str | None) -> list[dict[str, Any]]:
    """Decode the JSON rule rows, in rules_for_link's order (priority, created, public id)."""
    from linkhub.services.rules import COLUMNS

    out = []
    for raw in json.loads(array) if array else ():
        row = {column: convert(value) if value is not None else None
               for column, convert, value in zip(_RULE_COLUMNS, _RULE_CONVERT, raw,
                                                  strict=True)}
        rule = {key: row[column] for key, column in COLUMNS.items()}
        rule.update(id=row["public_id"], pk=row["id"], createdAt=row["created_at"],
                    shape=row["shape"], type=row["type"], conditions=row["conditions"],
                    conditionLogic=row["condition_logic"], tree=row["tree"],
                    scope="link" if row["link_id"] else "campaign" if row["campaign_id"]
                    else "shared")
        out.append(rule)
    out.sort(key=lambda rule: (rule["priority"], rule["createdAt"], rule["id"]))
    return out


class Resolver:
    def __init__(self, app: Flask, buffer: ClickBuffer | None = None) -> None:
        self.cache = link_cache.for_app(app)
        self.buffer = buffer

    def domain(self, host: str) -> DomainEntry | None:
        """The custom domain for a host (verified or not), or None for any other host. The
        first call after an invalidation loads every domain (one read); unknown hosts then
        cost nothing, however many a client makes up."""
        known, entry = self.cache.get_domain(host)
        if known:
            return entry
        started = self.cache.generation
        entries = {row.name: DomainEntry(
            row.id, row.workspace_id, row.name, row.verified, row.not_found_url,
            row.expired_url, row.root_url, row.case_sensitive) for row in Domain.select()}
        if len(entries) <= link_cache.MAX_DOMAINS:
            self.cache.put_all_domains(entries, started)
        else:  # too many to keep: remember only the asked host
            self.cache.put_domain(host, entries.get(host), started)
        return entries.get(host)

    def warm(self, limit: int, pause_every: int = 32) -> int:
        """Compile up to `limit` live links into the cache, the most recently clicked (then
        created) first, so a restarted server answers its busy links without a miss each.
        Runs on a background thread at start-up; gives the GIL away every `pause_every`."""
        limit = min(limit, link_cache.MAX_LINKS)
        if limit <= 0:
            return 0
        keys = database.execute_sql(
            f'SELECT "domain_key", "code_key" FROM "{Link._meta.table_name}" '
            'WHERE "deleted_at" IS NULL AND "enabled" = 1 AND "archived_at" IS NULL '
            'ORDER BY "last_clicked_at" IS NULL, "last_clicked_at" DESC, "id" DESC LIMIT ?',
            (limit,)).fetchall()
        loaded = 0
        for number, (domain_key, code_key) in enumerate(keys, 1):
            if self.cache.get_link((domain_key, code_key)) is None:
                self.link(domain_key, code_key)
                loaded += 1
            if number % pause_every == 0:
                time.sleep(0)
        return loaded

    def link(self, domain_key: int, code_key: str) -> CompiledLink | Miss:
        key = (domain_key, code_key)
        entry = self.cache.get_link(key)
        if entry is not None:
            return entry if entry is not True else Miss("unknown")
        started = self.cache.generation
        entry, link_id = self._load(domain_key, code_key)
        self.cache.put_link(key, link_id, entry, started)
        return entry

    def _load(self, domain_key: int, code_key: str) -> tuple[CompiledLink | Miss, int | None]:
        buffer = self.buffer
        seq = buffer.seq if buffer is not None else 0
        found = load_link_row(domain_key, code_key)
        if found is None:
            return Miss("unknown"), None
        row, workspace, template, rules = found
        if not row.enabled or row.archived_at is not None:
            return Miss("disabled" if not row.enabled else "archived", row.workspace_id), row.id
        return compile_link(row, workspace, template, rules,
                            self._clicks_base(row, seq)), row.id

    def _clicks_base(self, row: Any, seq: int) -> int:
        """Stored clicks minus those this process already committed: the writer's seq was even
        and unchanged around the read, so `row.clicks` and `humans_settled` agree. When a
        flush raced the read (rare) and the link has a limit, read the counter again under
        the writer's commit lock."""
        buffer = self.buffer
        if buffer is None:
            return row.clicks
        settled = buffer.humans_settled(row.id)
        if (seq % 2 == 0 and buffer.seq == seq) or row.clicks_limit is None:
            return row.clicks - settled
        with buffer.commit_lock:
            clicks = Link.select(Link.clicks).where(Link.id == row.id).scalar() or 0
            return clicks - buffer.humans_settled(row.id)

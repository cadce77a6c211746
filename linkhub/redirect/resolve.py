"""Cached lookup of what a (host, short code) pair means: the custom domain entry for a host
(every domain is loaded at once, in one read), and the compiled link for a code (its fields,
effective UTMs and compiled rules). A link miss costs at most two indexed reads (the link with
its workspace and UTM template; its rules); a hit costs none. Entries are immutable; the cache
is invalidated by services/ on every write. Never writes."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import peewee
from flask import Flask

from linkhub.models import Domain, Link, UtmTemplate, Workspace
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
    own_keys: frozenset[str]
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
    targets: dict[str, Target]  # rule public id -> target


def _cut(destination: str | None, utms: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """The Target fields derived from a destination URL and the link's UTM values."""
    if not destination:
        return {"destination": None, "location": None, "url_head": "", "joiner": "?",
                "url_fragment": "", "own_keys": frozenset()}
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
            "joiner": joiner, "url_fragment": fragment, "own_keys": frozenset(own)}


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


def compile_link(link: Link, workspace: Workspace, template: UtmTemplate | None,
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
    compiled = compile_rules(rules)
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
        targets={rule["id"]: _target_for_rule(rule, default, utms) for rule in rules},
    )


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
        from linkhub.services.rules import rules_for_link

        buffer = self.buffer
        seq = buffer.seq if buffer is not None else 0
        row = (Link.select(Link, Workspace, UtmTemplate)
               .join(Workspace, on=(Link.workspace == Workspace.id))
               .switch(Link).join(UtmTemplate, join_type=peewee.JOIN.LEFT_OUTER,
                                  on=(Link.utm_template == UtmTemplate.id))
               .where(Link.domain_key == domain_key, Link.code_key == code_key,
                      Link.deleted_at.is_null())
               .first())
        if row is None:
            return Miss("unknown"), None
        if not row.enabled or row.archived_at is not None:
            return Miss("disabled" if not row.enabled else "archived", row.workspace_id), row.id
        template = row.utm_template if row.utm_template_id is not None else None
        return compile_link(row, row.workspace, template, rules_for_link(row),
                            self._clicks_base(row, seq)), row.id

    def _clicks_base(self, row: Link, seq: int) -> int:
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

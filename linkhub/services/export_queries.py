"""What each export type reads: its columns (in file order), its filters, and a keyset-paginated
iterator over the workspace's rows by primary key, a batch (~5,000 rows) at a time, so the
dataset is never held in memory. Read-only; the job writes, services/exports.py validates."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import peewee
from flask import current_app
from peewee import JOIN

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import (
    Campaign,
    Click,
    Conversion,
    Customer,
    Domain,
    Folder,
    Link,
    LinkTag,
    Rule,
    Tag,
    Workspace,
)
from linkhub.services import export_filters as f
from linkhub.services import link_fields
from linkhub.services.campaigns import from_micros

TYPES = ("links", "clicks", "conversions", "customers", "events")
BATCH_SIZE = 5_000
Convert = Callable[[Any], Any] | None


@dataclass(frozen=True)
class Column:
    name: str
    expr: Any  # what is selected
    convert: Convert = None  # raw value -> exported value
    batch: Callable[[list[Any]], Callable[[Any], Any]] | None = None  # one query per batch


@dataclass(frozen=True)
class Source:
    model: type[peewee.Model]
    columns: dict[str, Column]
    joins: Callable[[peewee.ModelSelect], peewee.ModelSelect]
    filters: dict[str, Callable[[Workspace, Any], Any]] = field(default_factory=dict)
    base: tuple = ()  # conditions every row of the type meets
    defaults: dict[str, Any] = field(default_factory=dict)  # filter values when not given


# --- per-type sources ---------------------------------------------------------------------------

# Converters take the raw SQLite value (rows are read without peewee's per-field conversion,
# which would cost more than everything else an export does).

def _iso(raw: Any) -> str | None:
    """A stored naive-UTC datetime (`2026-01-15 10:30:00[.ffffff]`) as clock.iso writes it."""
    if raw is None:
        return None
    if isinstance(raw, str) and len(raw) in (19, 26) and raw[10] == " ":
        return f"{raw[:10]}T{raw[11:19]}.{raw[20:23] or '000'}Z"
    return clock.iso(raw if isinstance(raw, datetime) else clock.parse_iso(str(raw)))


def _bool(raw: Any) -> bool | None:
    return None if raw is None else bool(raw)


def _json(raw: Any) -> Any:
    return None if raw is None else json.loads(raw)


def _tags(link_ids: list[int]) -> Callable[[int], list[str]]:
    found: dict[int, list[str]] = {}
    for link_id, name in (LinkTag.select(LinkTag.link, Tag.name).join(Tag)
                          .where(LinkTag.link.in_(link_ids))
                          .order_by(LinkTag.link, Tag.name_key).tuples()):
        found.setdefault(link_id, []).append(name)
    return lambda link_id: found.get(link_id, [])


def _cols(*specs: tuple) -> dict[str, Column]:
    return {spec[0]: Column(*spec) for spec in specs}


def _links() -> Source:
    base = current_app.config["LINKHUB"]["BASE_URL"]
    short_url = peewee.Case(None, [(Domain.name.is_null(),
                                    peewee.Value(base + "/").concat(Link.short_code))],
                            peewee.Value("https://").concat(Domain.name).concat("/")
                            .concat(Link.short_code))
    return Source(Link, _cols(
        ("id", Link.public_id), ("shortCode", Link.short_code), ("shortUrl", short_url),
        ("domain", peewee.fn.COALESCE(Domain.name, link_fields.default_host())),
        ("domainId", Domain.public_id), ("destinationUrl", Link.destination_url),
        ("title", Link.title), ("description", Link.description), ("notes", Link.notes),
        ("externalId", Link.external_id), ("campaignId", Campaign.public_id),
        ("folderId", Folder.public_id), ("tags", Link.id, None, _tags),
        ("enabled", Link.enabled, _bool), ("archived", Link.archived_at.is_null(False), _bool),
        ("passwordProtected", Link.password_hash.is_null(False), _bool),
        ("expiresAt", Link.expires_at, _iso), ("clicksLimit", Link.clicks_limit),
        ("redirectBehavior", Link.redirect_behavior), ("redirectType", Link.redirect_type),
        ("conversionTracking", Link.conversion_tracking, _bool),
        ("utmSource", Link.utm_source), ("utmMedium", Link.utm_medium),
        ("utmCampaign", Link.utm_campaign), ("utmTerm", Link.utm_term),
        ("utmContent", Link.utm_content), ("clicks", Link.clicks),
        ("uniqueClicks", Link.unique_clicks), ("botClicks", Link.bot_clicks),
        ("lastClickedAt", Link.last_clicked_at, _iso), ("createdAt", Link.created_at, _iso),
        ("updatedAt", Link.updated_at, _iso)),
        lambda q: (q.join(Domain, JOIN.LEFT_OUTER, on=(Link.domain == Domain.id)).switch(Link)
                   .join(Campaign, JOIN.LEFT_OUTER, on=(Link.campaign == Campaign.id))
                   .switch(Link)
                   .join(Folder, JOIN.LEFT_OUTER, on=(Link.folder == Folder.id))),
        {name: None for name in f.LINK_FILTERS},  # parsed together by f.links_where
        (f.unindexed(Link.deleted_at).is_null(),))


def _clicks() -> Source:
    return Source(Click, _cols(
        ("id", Click.public_id), ("timestamp", Click.created_at, _iso),
        ("linkId", Link.public_id), ("shortCode", Link.short_code),
        ("trigger", Click.trigger), ("bot", Click.bot, _bool), ("unique", Click.is_unique, _bool),
        ("country", Click.country), ("region", Click.region), ("city", Click.city),
        ("device", Click.device_type), ("os", Click.os), ("osVersion", Click.os_version),
        ("browser", Click.browser), ("browserVersion", Click.browser_version),
        ("deviceBrand", Click.device_brand), ("language", Click.language),
        ("referrer", Click.referrer), ("referrerDomain", Click.referrer_domain),
        ("utmSource", Click.utm_source), ("utmMedium", Click.utm_medium),
        ("utmCampaign", Click.utm_campaign), ("utmTerm", Click.utm_term),
        ("utmContent", Click.utm_content), ("destinationUrl", Click.destination_url),
        ("ruleId", Rule.public_id), ("visitorId", Click.visitor_id),
        ("ip", Click.ip_truncated), ("userAgent", Click.user_agent)),
        lambda q: (q.join(Link, on=(Click.link == Link.id)).switch(Click)
                   .join(Rule, JOIN.LEFT_OUTER, on=(Click.rule == Rule.id))),
        {"start": f.date(Click.created_at, False), "end": f.date(Click.created_at, True),
         "linkId": f.ref(Click.link, Link, "link"), "campaignId": f.campaign_links(Click.link),
         "country": f.equals(Click.country, upper=True),
         "trigger": f.choice(Click.trigger, ("link", "qr", "deeplink")),
         "includeBots": f.include_bots},
        defaults={"includeBots": False})


def _conversion_joins(q: peewee.ModelSelect) -> peewee.ModelSelect:
    return (q.join(Link, JOIN.LEFT_OUTER, on=(Conversion.link == Link.id)).switch(Conversion)
            .join(Campaign, JOIN.LEFT_OUTER, on=(Conversion.campaign == Campaign.id))
            .switch(Conversion)
            .join(Customer, JOIN.LEFT_OUTER, on=(Conversion.customer == Customer.id)))


def _conversion_filters(kinds: tuple[str, ...], kind_name: str) -> dict[str, Any]:
    return {"start": f.date(Conversion.occurred_at, False),
            "end": f.date(Conversion.occurred_at, True),
            "linkId": f.ref(Conversion.link, Link, "link"),
            "campaignId": f.ref(Conversion.campaign, Campaign, "campaign"),
            "customerId": f.ref(Conversion.customer, Customer, "customer"),
            "status": f.choice(Conversion.status, ("pending", "approved", "refunded",
                                                  "rejected", "fraud")),
            kind_name: f.choice(Conversion.kind, kinds),
            "event": f.equals(Conversion.event)}


def _conversions() -> Source:
    return Source(Conversion, _cols(
        ("id", Conversion.public_id), ("clickId", Conversion.click_public_id),
        ("linkId", Link.public_id), ("campaignId", Campaign.public_id),
        ("customerId", Customer.public_id), ("pixelId", Conversion.pixel_public_id),
        ("event", Conversion.event), ("kind", Conversion.kind),
        ("status", Conversion.status), ("source", Conversion.source),
        ("value", Conversion.value_micros, from_micros), ("currency", Conversion.currency),
        ("valueUsd", Conversion.value_usd_micros, from_micros),
        ("payout", Conversion.payout_micros, from_micros), ("orderId", Conversion.order_id),
        ("metadata", Conversion.metadata, _json), ("country", Conversion.country),
        ("occurredAt", Conversion.occurred_at, _iso),
        ("createdAt", Conversion.created_at, _iso)),
        _conversion_joins, _conversion_filters(("lead", "sale", "custom"), "kind"))


def _events() -> Source:
    """The /api/events stream's rows: leads and sales, in its field names."""
    return Source(Conversion, _cols(
        ("id", Conversion.public_id), ("timestamp", Conversion.occurred_at, _iso),
        ("eventType", Conversion.kind), ("eventName", Conversion.event),
        ("status", Conversion.status), ("amount", Conversion.value_micros, from_micros),
        ("currency", Conversion.currency),
        ("amountInUsd", Conversion.value_usd_micros, from_micros),
        ("clickId", Conversion.click_public_id), ("linkId", Link.public_id),
        ("campaignId", Campaign.public_id), ("customerId", Customer.public_id),
        ("customerExternalId", Customer.external_id), ("country", Conversion.country),
        ("orderId", Conversion.order_id), ("source", Conversion.source),
        ("metadata", Conversion.metadata, _json)),
        _conversion_joins, _conversion_filters(("lead", "sale"), "type"),
        (f.unindexed(Conversion.kind).in_(("lead", "sale")),))


def _customers() -> Source:
    return Source(Customer, _cols(
        ("id", Customer.public_id), ("externalId", Customer.external_id),
        ("email", Customer.email), ("name", Customer.name),
        ("avatarUrl", Customer.avatar_url), ("metadata", Customer.metadata, _json),
        ("country", Customer.country), ("clickId", Customer.click_public_id),
        ("linkId", Link.public_id), ("campaignId", Campaign.public_id),
        ("source", Customer.source), ("ltvUsd", Customer.ltv_micros, from_micros),
        ("leadCount", Customer.lead_count), ("saleCount", Customer.sale_count),
        ("firstSeenAt", Customer.first_seen_at, _iso),
        ("lastSeenAt", Customer.last_seen_at, _iso), ("createdAt", Customer.created_at, _iso),
        ("updatedAt", Customer.updated_at, _iso)),
        lambda q: (q.join(Link, JOIN.LEFT_OUTER, on=(Customer.link == Link.id))
                   .switch(Customer)
                   .join(Campaign, JOIN.LEFT_OUTER, on=(Customer.campaign == Campaign.id))),
        {"start": f.date(Customer.created_at, False), "end": f.date(Customer.created_at, True),
         "linkId": f.ref(Customer.link, Link, "link"),
         "campaignId": f.ref(Customer.campaign, Campaign, "campaign"),
         "country": f.equals(Customer.country, upper=True)},
        (f.unindexed(Customer.deleted_at).is_null(),))


_BUILDERS = {"links": _links, "clicks": _clicks, "conversions": _conversions,
             "customers": _customers, "events": _events}


def source(kind: str) -> Source:
    """The type's source (needs an app context: short URLs use BASE_URL)."""
    return _BUILDERS[kind]()


def where(workspace: Workspace, kind: str, filters: Mapping[str, Any]) -> list[Any]:
    """The WHERE terms of an export: the workspace, the type's own rows, the filters. Every
    unusable filter is reported at once as `filters.<name>` (400)."""
    src = source(kind)
    unknown = sorted(set(filters) - set(src.filters))
    if unknown:
        raise Invalid(fields={f"filters.{name}": "is not a filter of "
                              f"{kind} exports (filters: {', '.join(src.filters)})"
                              for name in unknown})
    if kind == "links":
        return [*f.links_where(workspace, filters), *src.base]
    terms = [f.unindexed(src.model.workspace) == workspace.id, *src.base]
    problems: dict[str, str] = {}
    for name, value in {**src.defaults, **filters}.items():
        try:
            terms.append(src.filters[name](workspace, value))
        except f.BadFilter as exc:
            problems[f"filters.{name}"] = str(exc)
    if problems:
        raise Invalid(fields=problems)
    return terms


def batches(kind: str, terms: list[Any], columns: list[str], *, after: int = 0,
            size: int | None = None) -> Iterator[tuple[int, list[list[Any]]]]:
    """(last primary key, rows) per batch of rows with a primary key above `after`, in
    primary-key order; each row holds `columns`' values, converted for the file."""
    size = size or BATCH_SIZE
    src = source(kind)
    chosen = [src.columns[name] for name in columns]
    pk = src.model.id
    query_base = src.joins(src.model.select(pk, *(c.expr for c in chosen)))
    while True:
        query = query_base.where(pk > after, *terms).order_by(pk).limit(size)
        raw = src.model._meta.database.execute(query).fetchall()
        if not raw:
            return
        converters = [(i, c.batch([r[i + 1] for r in raw]) if c.batch else c.convert)
                      for i, c in enumerate(chosen) if c.batch or c.convert]
        rows = []
        for record in raw:
            row = list(record[1:])
            for i, convert in converters:
                row[i] = convert(row[i])
            rows.append(row)
        after = raw[-1][0]
        yield after, rows
        if len(raw) < size:
            return

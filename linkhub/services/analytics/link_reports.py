"""Per-link routing reports: per-rule match counts (rollups), per-condition stats of one rule
(its conditions re-evaluated against each stored click's facts), traffic flow (source -> rule
-> destination host) and click paths (per-click rows). The last three read raw clicks."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import peewee

from linkhub import clock
from linkhub.errors import Invalid, NotFound
from linkhub.models import Click, Link, LinkRule, Rule
from linkhub.redirect import evaluate, geo
from linkhub.redirect.facts import CLICK_COLUMNS
from linkhub.services import rules as rule_service
from linkhub.services.analytics.breakdowns import percentage, raw_clicks, top_limit
from linkhub.services.analytics.ranges import Range
from linkhub.services.analytics.rollups import Counts, Scope, by_value

DEFAULT = "default"
DIRECT = "direct"
NO_DESTINATION = "none"
MAX_EVALUATED = 100_000  # newest clicks a per-condition report looks at
MAX_SCANNED = 50_000  # clicks a filtered click-path page looks through
FILTER_TYPES = ("source", "destination", "rule", "condition")


class ClickFacts:
    """A stored click as the rule engine's facts: its columns, `time` = created_at; facts a
    click does not keep (query parameters, paid data) are unknown."""

    def __init__(self, click: Click) -> None:
        self.click = click

    def get(self, name: str) -> Any:
        click = self.click
        if name == "time":
            return click.created_at
        if name == "continent":
            return geo.continent(click.country)
        if name in ("isNewVisitor", "isReturning"):
            return bool(click.is_unique) == (name == "isNewVisitor")
        column = CLICK_COLUMNS.get(name)
        return getattr(click, column) if column else None


def host_of(url: str | None) -> str:
    try:
        return (urlsplit(url).hostname or NO_DESTINATION) if url else NO_DESTINATION
    except ValueError:
        return NO_DESTINATION


def _applying(link: Link) -> peewee.ModelSelect:
    """Live rules of the link: its own, attached shared ones and its campaign's (any state)."""
    attached = LinkRule.select(LinkRule.rule).where(LinkRule.link == link.id)
    owner = (Rule.link == link.id) | Rule.id.in_(attached)
    if link.campaign_id is not None:
        owner = owner | (Rule.campaign == link.campaign_id)
    return (Rule.select().where(Rule.workspace == link.workspace_id, Rule.deleted_at.is_null(),
                                owner).order_by(Rule.priority, Rule.created_at, Rule.public_id))


def rule_stats(link: Link, rng: Range) -> dict[str, Any]:
    counts = by_value(Scope.of_link(link), rng, "rule")
    known = {r.public_id: r for r in _applying(link)}
    missing = [v for v in counts if v != DEFAULT and v not in known]
    if missing:  # deleted or detached rules that still matched clicks in the range
        known.update({r.public_id: r for r in Rule.select().where(
            Rule.workspace == link.workspace_id, Rule.public_id.in_(missing))})
    total = sum(c.shown(rng.include_bots) for c in counts.values())
    out = []
    for public_id, rule in known.items():
        c = counts.get(public_id, Counts())
        out.append({"ruleId": public_id, "name": rule.name, "priority": rule.priority,
                    "enabled": rule.enabled, "deleted": rule.deleted_at is not None,
                    "destinationUrl": rule.destination_url,
                    "clicks": c.shown(rng.include_bots), "uniqueClicks": c.unique,
                    "percentage": percentage(c.shown(rng.include_bots), total)})
    c = counts.get(DEFAULT, Counts())
    out.append({"ruleId": None, "name": DEFAULT, "priority": None, "enabled": True,
                "deleted": False, "destinationUrl": link.destination_url,
                "clicks": c.shown(rng.include_bots), "uniqueClicks": c.unique,
                "percentage": percentage(c.shown(rng.include_bots), total)})
    return {"rules": out, "totalClicks": total}


def _compiled(rule: Rule) -> evaluate.CompiledRules:
    data = dict(rule_service.normalized(rule), enabled=True)  # historic clicks: any state
    return evaluate.compile_rules([data])


def _unknown(value: Any) -> bool:
    return value is None or value == "" or value == []


def condition_stats(link: Link, rule_id: str, rng: Range) -> dict[str, Any]:
    rule = rule_service.get_rule(link.workspace, rule_id)
    if not _applying(link).where(Rule.id == rule.id).exists():
        raise NotFound("Rule not found for this link.")
    compiled = _compiled(rule)
    zone = link.workspace.timezone or "UTC"
    clicks = (raw_clicks(Scope.of_link(link), rng)
              .order_by(Click.created_at.desc(), Click.id.desc()).limit(MAX_EVALUATED))
    stats: dict[str, dict[str, Any]] = {}
    evaluated = matched = would_match = 0
    for click in clicks:
        evaluated += 1
        matched += click.rule_id == rule.id
        for evaluation in evaluate.explain(compiled, ClickFacts(click), default_timezone=zone):
            would_match += evaluation.matched
            for cond in evaluation.conditions:
                entry = stats.setdefault(cond.path, {
                    "path": cond.path, "field": cond.field, "operator": cond.operator,
                    "value": cond.value, "passed": 0, "failed": 0, "unknown": 0})
                key = "unknown" if _unknown(cond.actual) else (
                    "passed" if cond.result else "failed")
                entry[key] += 1
    for entry in stats.values():
        entry["passRate"] = percentage(entry["passed"], evaluated)
    return {"ruleId": rule.public_id, "name": rule.name, "conditionLogic": rule.condition_logic,
            "evaluatedClicks": evaluated, "matchedClicks": matched,
            "wouldMatchClicks": would_match, "sampled": evaluated >= MAX_EVALUATED,
            "compiled": bool(compiled.rules), "conditions": list(stats.values())}


def _rule_names(rule_ids: set[int]) -> dict[int, tuple[str, str]]:
    return {r.id: (r.public_id, r.name) for r in
            Rule.select(Rule.id, Rule.public_id, Rule.name).where(Rule.id.in_(list(rule_ids)))}


def traffic_flow(link: Link, rng: Range) -> dict[str, Any]:
    """Sankey nodes (source, rule, destination) and edges with values and percentages."""
    query = raw_clicks(Scope.of_link(link), rng, Click.referrer_domain, Click.rule,
                       Click.destination_url, peewee.fn.COUNT(Click.id))
    grouped = list(query.group_by(Click.referrer_domain, Click.rule,
                                  Click.destination_url).tuples())
    names = _rule_names({r[1] for r in grouped if r[1] is not None})
    nodes: dict[str, dict[str, Any]] = {}
    edges: dict[tuple[str, str], int] = {}

    def node(kind: str, key: str, name: str, value: int) -> str:
        node_id = f"{kind}:{key}"
        entry = nodes.setdefault(node_id, {"id": node_id, "name": name, "type": kind,
                                           "value": 0})
        entry["value"] += value
        return node_id

    total = 0
    for source, rule_pk, destination, count in grouped:
        total += count
        public_id, name = names.get(rule_pk, (DEFAULT, DEFAULT)) if rule_pk else (DEFAULT,
                                                                                  DEFAULT)
        a = node("source", source or DIRECT, source or DIRECT, count)
        b = node("rule", public_id, name, count)
        host = host_of(destination)
        c = node("destination", host, host, count)
        for pair in ((a, b), (b, c)):
            edges[pair] = edges.get(pair, 0) + count
    order = {"source": 0, "rule": 1, "destination": 2}
    return {
        "nodes": sorted(nodes.values(), key=lambda n: (order[n["type"]], -n["value"], n["id"])),
        "links": [{"source": s, "target": t, "value": v, "percentage": percentage(v, total)}
                  for (s, t), v in sorted(edges.items(), key=lambda e: (-e[1], e[0]))],
        "totalClicks": total,
    }


# --- click paths ------------------------------------------------------------------------------

def _filters(args: Mapping[str, str]) -> tuple[str | None, str | None]:
    kind = (args.get("filterType") or "").strip() or None
    value = (args.get("filterValue") or "").strip() or None
    if kind is not None and kind not in FILTER_TYPES:
        raise Invalid(fields={"filterType": f"must be one of {', '.join(FILTER_TYPES)}"})
    if kind is not None and value is None:
        raise Invalid(fields={"filterValue": "is required with filterType"})
    if value is not None and kind is None:
        raise Invalid(fields={"filterType": "is required with filterValue"})
    return kind, value


def _matched_conditions(click: Click, rule: Rule | None, cache: dict,
                        zone: str) -> list[dict[str, Any]]:
    if rule is None:
        return []
    if rule.id not in cache:
        cache[rule.id] = _compiled(rule)
    out = []
    for evaluation in evaluate.explain(cache[rule.id], ClickFacts(click), default_timezone=zone):
        out += [{"path": c.path, "field": c.field, "operator": c.operator, "value": c.value,
                 "actual": c.actual} for c in evaluation.conditions if c.result]
    return out


def _path_row(click: Click, rule: Rule | None, conditions: list[dict]) -> dict[str, Any]:
    digest = None
    if rule is not None:
        text = "|".join(sorted(f"{c['path']}:{c['field']}:{c['operator']}" for c in conditions))
        digest = hashlib.sha256(f"{rule.public_id}|{text}".encode()).hexdigest()[:16]
    return {
        "timestamp": clock.iso(click.created_at), "clickId": click.public_id,
        "source": click.referrer_domain or DIRECT, "referrer": click.referrer,
        "trigger": click.trigger,
        "matchedRule": {"id": rule.public_id, "name": rule.name} if rule else None,
        "destinationHost": host_of(click.destination_url),
        "destinationUrl": click.destination_url, "conditionsHash": digest,
        "matchedConditions": conditions, "country": click.country, "region": click.region,
        "city": click.city, "deviceType": click.device_type, "os": click.os,
        "browser": click.browser, "bot": click.bot, "unique": click.is_unique,
    }


def click_paths(link: Link, rng: Range, args: Mapping[str, str]) -> dict[str, Any]:
    kind, value = _filters(args)
    limit = top_limit(args, default=200, maximum=1000)
    query = raw_clicks(Scope.of_link(link), rng)
    if kind == "source":
        query = query.where(Click.referrer_domain.is_null() | (Click.referrer_domain == "")
                            if value.lower() == DIRECT else Click.referrer_domain == value.lower())
    elif kind == "rule":
        query = query.where(Click.rule.is_null() if value == DEFAULT else Click.rule.in_(
            Rule.select(Rule.id).where(Rule.workspace == link.workspace_id,
                                       Rule.public_id == value)))
    query = query.order_by(Click.created_at.desc(), Click.id.desc())
    post = kind in ("destination", "condition")
    rules: dict[int, Rule] = {}
    cache: dict[int, Any] = {}
    zone = link.workspace.timezone or "UTC"
    rows, scanned = [], 0
    for click in query.limit(MAX_SCANNED if post else limit):
        scanned += 1
        if click.rule_id is not None and click.rule_id not in rules:
            rules[click.rule_id] = Rule.get_or_none(Rule.id == click.rule_id)
        rule = rules.get(click.rule_id) if click.rule_id else None
        conditions = _matched_conditions(click, rule, cache, zone)
        row = _path_row(click, rule, conditions)
        if kind == "destination" and value.lower() not in (
                row["destinationHost"], (click.destination_url or "").lower()):
            continue
        if kind == "condition" and value != row["conditionsHash"] and value not in {
                c["field"] for c in conditions}:
            continue
        rows.append(row)
        if len(rows) >= limit:
            break
    return {"clickPaths": rows, "count": len(rows), "limit": limit, "filterType": kind,
            "filterValue": value, "truncated": post and scanned >= MAX_SCANNED}

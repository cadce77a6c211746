"""Routing rules: create/update/delete (soft), attach shared rules to links, list, serialise,
and `rules_for_link`, THE query deciding which rules apply to a link and in what order (the
redirect resolver and `POST /api/rules/test` both use it). Validation is rule_shapes'."""

from __future__ import annotations

from typing import Any

import peewee

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Invalid, NotFound
from linkhub.models import Campaign, Link, LinkRule, Rule, User, Workspace
from linkhub.services import audit, link_fields, rule_shapes
from linkhub.services.urls import check_url

# normalize_rule key -> Rule column (conditions, tree, shape, type are handled apart).
COLUMNS = {
    "name": "name", "description": "description", "destinationUrl": "destination_url",
    "priority": "priority", "enabled": "enabled", "timezone": "timezone",
    "deepLinkEnabled": "deep_link_enabled", "deepLinkIos": "deep_link_ios",
    "deepLinkAndroid": "deep_link_android", "deepLinkFallbackUrl": "deep_link_fallback_url",
    "forwardUtms": "forward_utms", "preserveQueryParams": "preserve_query_params",
    "inappBrowserBreakout": "inapp_browser_breakout", "redirectDelayMs": "redirect_delay_ms",
}
FLAGS = ("deepLinkEnabled", "deepLinkIos", "deepLinkAndroid", "deepLinkFallbackUrl",
         "forwardUtms", "preserveQueryParams", "inappBrowserBreakout", "redirectDelayMs")


# --- serialising ------------------------------------------------------------------------------

def _public_id(model: type, pk: int | None) -> str | None:
    if pk is None:
        return None
    row = model.get_or_none(model.id == pk)
    return row.public_id if row else None


def with_owners(query: peewee.ModelSelect) -> peewee.ModelSelect:
    """Rule rows with their link's and campaign's public ids loaded in the same query."""
    return (query.select_extend(Link.public_id.alias("link_public_id"),
                                Campaign.public_id.alias("campaign_public_id"))
            .join(Link, peewee.JOIN.LEFT_OUTER, on=(Rule.link == Link.id)).switch(Rule)
            .join(Campaign, peewee.JOIN.LEFT_OUTER, on=(Rule.campaign == Campaign.id))
            .switch(Rule).objects())


def _owner_id(rule: Rule, attribute: str, model: type, pk: int | None) -> str | None:
    loaded = getattr(rule, attribute, None)
    return loaded if loaded is not None or pk is None else _public_id(model, pk)


def is_shared(rule: Rule) -> bool:
    return rule.link_id is None and rule.campaign_id is None


def attached_links(rule: Rule) -> list[Link]:
    """The live links a shared rule is attached to, oldest attachment first."""
    return list(Link.select(Link.id, Link.public_id, Link.short_code).join(LinkRule)
                .where(LinkRule.rule == rule, Link.deleted_at.is_null())
                .order_by(LinkRule.id))


def serialize_rule(rule: Rule) -> dict[str, Any]:
    """The API form, in the shape the rule was written in: `conditions[]` + `conditionLogic`,
    or typed `type` + `conditions` object."""
    out: dict[str, Any] = {
        "id": rule.public_id,
        "linkId": _owner_id(rule, "link_public_id", Link, rule.link_id),
        "campaignId": _owner_id(rule, "campaign_public_id", Campaign, rule.campaign_id),
        "shared": is_shared(rule),
        "name": rule.name, "description": rule.description,
    }
    if rule.shape == "typed":
        out["type"] = rule.type
        out["conditions"] = rule.conditions
    else:
        out["conditions"] = rule.conditions
        out["conditionLogic"] = rule.condition_logic
    out.update({
        "destinationUrl": rule.destination_url, "priority": rule.priority,
        "enabled": rule.enabled, "timezone": rule.timezone,
        **{key: getattr(rule, COLUMNS[key]) for key in FLAGS},
        "attachedLinkIds": [link.public_id for link in attached_links(rule)]
        if is_shared(rule) else [],
        "createdAt": clock.iso(rule.created_at), "updatedAt": clock.iso(rule.updated_at),
    })
    return out


def normalized(rule: Rule) -> dict[str, Any]:
    """A stored rule as `compile_rules` takes it (rule_shapes' keys plus id, pk, createdAt).
    The redirect reads the destination and the flags from the matched one."""
    out = {key: getattr(rule, column) for key, column in COLUMNS.items()}
    out.update(id=rule.public_id, pk=rule.id, createdAt=rule.created_at, shape=rule.shape,
               type=rule.type, conditions=rule.conditions,
               conditionLogic=rule.condition_logic, tree=rule.tree,
               scope="link" if rule.link_id else "campaign" if rule.campaign_id else "shared")
    return out


def rules_for_link(link: Link) -> list[dict[str, Any]]:
    """The enabled, live rules applying to `link` in evaluation order: its own, its campaign's
    and the shared rules attached to it, by priority (lower first), then creation time, then
    id (the order compile_rules keeps). One indexed query."""
    attached = LinkRule.select(LinkRule.rule).where(LinkRule.link == link.id)
    owner = (Rule.link == link.id) | Rule.id.in_(attached)
    if link.campaign_id is not None:
        owner = owner | (Rule.campaign == link.campaign_id)
    rows = (Rule.select().where(Rule.workspace == link.workspace_id, Rule.deleted_at.is_null(),
                                Rule.enabled == True, owner)  # noqa: E712
            .order_by(Rule.priority, Rule.created_at, Rule.public_id))
    return [normalized(rule) for rule in rows]


# --- lookups ----------------------------------------------------------------------------------

def get_rule(workspace: Workspace, public_id: str) -> Rule:
    """A live rule of the workspace, or 404 (deleted, another workspace's, malformed)."""
    rule = None
    if ids.is_valid("rule", public_id):
        rule = with_owners(Rule.select()).where(
            Rule.workspace == workspace, Rule.public_id == public_id,
            Rule.deleted_at.is_null()).first()
    if rule is None:
        raise NotFound("Rule not found.")
    return rule


def live_link(workspace: Workspace, public_id: Any, field: str = "linkId") -> Link:
    link = None
    if ids.is_valid("link", public_id):
        link = Link.get_or_none(Link.workspace == workspace, Link.public_id == public_id,
                                Link.deleted_at.is_null())
    if link is None:
        raise NotFound(f"Link not found ({field}).")
    return link


def list_rules(workspace: Workspace, *, link_id: str | None = None,
               campaign_id: str | None = None, shared: bool | None = None,
               offset: int = 0, limit: int = 20) -> tuple[list[Rule], int]:
    """`link_id`: the link's own rules and the shared rules attached to it; `campaign_id`: the
    campaign's rules; `shared`: only (or no) shared rules. Evaluation order."""
    query = with_owners(Rule.select()).where(Rule.workspace == workspace,
                                             Rule.deleted_at.is_null())
    if link_id is not None:
        link = live_link(workspace, link_id)
        query = query.where((Rule.link == link) | Rule.id.in_(
            LinkRule.select(LinkRule.rule).where(LinkRule.link == link)))
    if campaign_id is not None:
        query = query.where(Rule.campaign == link_fields.campaign(workspace, campaign_id))
    if shared is not None:
        is_shared_rule = Rule.link.is_null() & Rule.campaign.is_null()
        query = query.where(is_shared_rule if shared else ~is_shared_rule)
    total = query.count()
    rows = list(query.order_by(Rule.priority, Rule.created_at, Rule.public_id)
                .offset(offset).limit(limit))
    return rows, total


# --- writes -----------------------------------------------------------------------------------

def _clear_redirect_cache() -> None:
    from linkhub.redirect import cache

    cache.for_app().clear()


def _check_targets(values: dict[str, Any], problems: dict[str, str]) -> None:
    """URLs and app links in `values` (normalize_rule passes them through) cleaned in place."""
    checks = {"destinationUrl": lambda v: check_url(v, "destinationUrl", destination=True),
              "deepLinkFallbackUrl": lambda v: check_url(v, "deepLinkFallbackUrl",
                                                         destination=True),
              "deepLinkIos": lambda v: link_fields.app_link(v, "deepLinkIos"),
              "deepLinkAndroid": lambda v: link_fields.app_link(v, "deepLinkAndroid")}
    for key, check in checks.items():
        if key in values:
            try:
                values[key] = check(values[key])
            except Invalid as exc:
                problems.update(exc.fields)


def _needs_destination(merged: dict[str, Any], problems: dict[str, str]) -> None:
    deep_only = merged.get("deepLinkEnabled") and (merged.get("deepLinkIos")
                                                   or merged.get("deepLinkAndroid"))
    if not merged.get("destinationUrl") and not deep_only and "destinationUrl" not in problems:
        problems["destinationUrl"] = ("is required (unless the rule only sets deep links: "
                                      "deepLinkEnabled with deepLinkIos or deepLinkAndroid)")


def _validate(data: dict[str, Any], *, existing: dict[str, Any] | None = None,
              current: dict[str, Any] | None = None) -> dict[str, Any]:
    """normalize_rule plus the URL checks, all problems reported together."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    try:
        values = rule_shapes.normalize_rule(data, partial=existing is not None,
                                            existing=existing)
    except Invalid as exc:
        problems.update(exc.fields)
        values = {key: data[key] for key in (*COLUMNS, "deepLinkEnabled") if key in data}
    _check_targets(values, problems)
    _needs_destination({**(current or {}), **values}, problems)
    if problems:
        raise Invalid(fields=problems)
    return values


def _columns(values: dict[str, Any]) -> dict[str, Any]:
    out = {COLUMNS[key]: value for key, value in values.items() if key in COLUMNS}
    if "tree" in values:
        out.update(shape=values["shape"], type=values.get("type"),
                   conditions=values["conditions"], tree=values["tree"],
                   condition_logic=values.get("conditionLogic") or "AND")
    return out


def _owner(workspace: Workspace, data: dict[str, Any]) -> tuple[Link | None, Campaign | None]:
    link_id, campaign_id = data.get("linkId"), data.get("campaignId")
    if link_id is not None and campaign_id is not None:
        raise Invalid(fields={"campaignId": "send linkId or campaignId, not both (neither "
                                            "makes a shared rule)"})
    link = live_link(workspace, link_id) if link_id is not None else None
    return link, link_fields.campaign(workspace, campaign_id)


def create_rule(workspace: Workspace, actor: User | None, data: dict[str, Any]) -> Rule:
    """`linkId` or `campaignId` or neither (a shared rule); the rest as normalize_rule takes."""
    link, campaign = _owner(workspace, data)
    values = _validate(data)
    with database.atomic():
        rule = Rule.create(public_id=ids.new_id("rule"), workspace=workspace, link=link,
                           campaign=campaign, **_columns(values))
        audit.record("rule.create", "rule", rule.public_id, workspace=workspace, actor=actor)
    _clear_redirect_cache()
    return rule


def update_rule(workspace: Workspace, actor: User | None, rule: Rule,
                data: dict[str, Any]) -> Rule:
    """Every field optional; `type` cannot change; the owner (link/campaign) cannot change."""
    problems = {}
    for key, current in (("linkId", _public_id(Link, rule.link_id)),
                         ("campaignId", _public_id(Campaign, rule.campaign_id))):
        if key in data and data[key] != current:
            problems[key] = "cannot change; create a new rule instead"
    if problems:
        raise Invalid(fields=problems)
    stored = normalized(rule)
    values = _validate(data, existing=stored, current=stored)
    columns = _columns(values)
    changed = {k: v for k, v in columns.items() if getattr(rule, k) != v}
    if changed:
        with database.atomic():
            for key, value in changed.items():
                setattr(rule, key, value)
            rule.save()
            audit.record("rule.update", "rule", rule.public_id, workspace=workspace,
                         actor=actor, details={"fields": sorted(changed)})
        _clear_redirect_cache()
    return rule


def delete_rule(workspace: Workspace, actor: User | None, rule: Rule) -> None:
    """Soft delete. A shared rule still attached to live links answers 400 RULE_IN_USE
    listing them; detach it first."""
    if is_shared(rule):
        links = attached_links(rule)
        if links:
            refs = [{"id": link.public_id, "shortCode": link.short_code} for link in links]
            listed = ", ".join(r["id"] for r in refs[:20]) + (" ..." if len(refs) > 20 else "")
            raise ApiError("RULE_IN_USE",
                           f"The rule is attached to {len(refs)} link(s); detach it first.",
                           details=[{"field": "linkIds", "message": f"attached to {listed}"}],
                           extra={"links": refs})
    now = clock.now()
    with database.atomic():
        LinkRule.delete().where(LinkRule.rule == rule).execute()  # only dead links remain
        Rule.update(deleted_at=now, updated_at=now).where(Rule.id == rule.id).execute()
        audit.record("rule.delete", "rule", rule.public_id, workspace=workspace, actor=actor)
    _clear_redirect_cache()


def _shared_only(rule: Rule) -> None:
    if not is_shared(rule):
        raise Invalid(fields={"ruleId": "belongs to a link or campaign; only shared rules "
                                        "are attached"})


def attach_rule(workspace: Workspace, actor: User | None, rule: Rule, link_id: Any) -> Link:
    """Attach a shared rule to a live link of the workspace (already attached: no change)."""
    _shared_only(rule)
    if link_id is None:
        raise Invalid(fields={"linkId": "is required"})
    link = live_link(workspace, link_id)
    if not LinkRule.select().where(LinkRule.link == link, LinkRule.rule == rule).exists():
        with database.atomic():
            LinkRule.create(link=link, rule=rule)
            audit.record("rule.attach", "rule", rule.public_id, workspace=workspace,
                         actor=actor, details={"linkId": link.public_id})
        _clear_redirect_cache()
    return link


def detach_rule(workspace: Workspace, actor: User | None, rule: Rule, link_id: Any) -> Link:
    """Detach a shared rule from a link (not attached: no change)."""
    _shared_only(rule)
    if link_id is None:
        raise Invalid(fields={"linkId": "is required"})
    link = live_link(workspace, link_id)
    removed = LinkRule.delete().where(LinkRule.link == link, LinkRule.rule == rule).execute()
    if removed:
        audit.record("rule.detach", "rule", rule.public_id, workspace=workspace, actor=actor,
                     details={"linkId": link.public_id})
        _clear_redirect_cache()
    return link

"""Links: create, find, update, soft delete, archive, external-id lookup, upsert, transfer and
the effective UTM values the redirect applies. Every write that can change what a short code
does invalidates the redirect cache synchronously. Listing and stats live in link_queries.py;
field cleaning in link_fields.py; code rules in short_codes.py."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import peewee
from flask import current_app

from linkhub import clock, ids
from linkhub.auth import role_at_least
from linkhub.db import database
from linkhub.errors import ApiError, Conflict, Forbidden, Invalid, NotFound
from linkhub.models import (
    Domain,
    Link,
    LinkRule,
    LinkTag,
    Member,
    Rule,
    Tag,
    User,
    Webhook,
    Workspace,
)
from linkhub.redirect import cache
from linkhub.services import audit, link_fields, short_codes, utm_templates, webhook_events
from linkhub.services import tags as tag_service

# Columns whose combined state is checked after every change.
_STATE_DEFAULTS: dict[str, Any] = {
    "destination_url": None, "redirect_behavior": "auto", "deep_link_enabled": False,
    "deep_link_ios": None, "deep_link_android": None, "deep_link_fallback_url": None,
}
# The redirect's entry point for UTM values (implemented beside the templates).
effective_utms = utm_templates.effective_utms


# --- finding ---------------------------------------------------------------------------------

def short_url(link: Link) -> str:
    """The public short URL: the custom domain (always https) or the install's BASE_URL."""
    domain = link.domain
    if domain is not None:
        return f"https://{domain.name}/{link.short_code}"
    return f"{current_app.config['LINKHUB']['BASE_URL']}/{link.short_code}"


def _domain_for_lookup(workspace: Workspace, value: str | None) -> Domain | None:
    """`?domain=` on a lookup: a `dom_` id or host name of the workspace (None: default)."""
    if not value or value.strip().lower().rstrip(".") == link_fields.default_host():
        return None
    value = value.strip()
    field = Domain.public_id if ids.is_valid("domain", value) else Domain.name
    row = Domain.get_or_none(field == (value if field is Domain.public_id
                                       else value.lower().rstrip(".")),
                             Domain.workspace == workspace)
    if row is None:
        raise NotFound("Link not found.")
    return row


def find_link(workspace: Workspace, ref: str, *, domain: str | None = None,
              include_deleted: bool = False) -> Link:
    """The workspace's link with public id `ref`, else its live link with short code `ref` on
    the default domain (or `domain`). 404 otherwise; deleted links only with include_deleted
    (the DELETE route needs them to answer ALREADY_DELETED)."""
    link = None
    if ids.is_valid("link", ref):
        link = Link.get_or_none(Link.public_id == ref, Link.workspace == workspace)
        if link is not None and link.deleted_at is not None and not include_deleted:
            link = None
    if link is None and short_codes.CODE_RE.match(ref or ""):
        found = _domain_for_lookup(workspace, domain)
        link = Link.get_or_none(Link.domain_key == short_codes.domain_key(found),
                                Link.code_key == short_codes.code_key(ref, found),
                                Link.deleted_at.is_null(), Link.workspace == workspace)
    if link is None:
        raise NotFound("Link not found.")
    return link


def _live_by_external_id(workspace: Workspace, external_id: str) -> Link | None:
    return (Link.select().where(Link.workspace == workspace, Link.external_id == external_id,
                                Link.deleted_at.is_null()).order_by(Link.id).first())


def find_by_external_id(workspace: Workspace, external_id: str) -> Link:
    """Exact match first; an `ext_` prefix is then stripped (the catalogue's lookup form)."""
    candidates = [external_id]
    if external_id.startswith("ext_") and len(external_id) > 4:
        candidates.append(external_id[4:])
    for candidate in candidates:
        link = _live_by_external_id(workspace, candidate)
        if link is not None:
            return link
    raise NotFound("Link not found.")


def relations(links: list[Link]) -> dict[int, dict[str, list[str]]]:
    """Tag names and attached shared-rule ids of many links: two queries whatever their
    number (used by every serialisation, so lists stay free of N+1 queries)."""
    out: dict[int, dict[str, list[str]]] = {link.id: {"tags": [], "ruleIds": []}
                                            for link in links}
    if not out:
        return out
    tag_rows = (LinkTag.select(LinkTag.link, Tag.name).join(Tag)
                .where(LinkTag.link.in_(list(out))).order_by(Tag.name_key).tuples())
    for link_id, name in tag_rows:
        out[link_id]["tags"].append(name)
    rule_rows = (LinkRule.select(LinkRule.link, Rule.public_id).join(Rule)
                 .where(LinkRule.link.in_(list(out)), Rule.deleted_at.is_null())
                 .order_by(LinkRule.id).tuples())
    for link_id, public_id in rule_rows:
        out[link_id]["ruleIds"].append(public_id)
    return out


def rules_of(link: Link) -> list[Rule]:
    """The link's own rules and the shared rules attached to it, in evaluation order."""
    attached = LinkRule.select(LinkRule.rule).where(LinkRule.link == link)
    return list(Rule.select().where(((Rule.link == link) | Rule.id.in_(attached)),
                                    Rule.deleted_at.is_null())
                .order_by(Rule.priority, Rule.created_at, Rule.id))


# --- shared checks --------------------------------------------------------------------------

def _check_state(state: dict[str, Any], problems: dict[str, str]) -> None:
    if (not state["destination_url"] and "destinationUrl" not in problems
            and "redirectBehavior" not in problems
            and state["redirect_behavior"] not in link_fields.NO_DESTINATION_NEEDED):
        problems["destinationUrl"] = ("is required unless redirectBehavior is rule_only or "
                                      "never")
    targets = ("deep_link_ios", "deep_link_android", "deep_link_fallback_url")
    if state["deep_link_enabled"] and not any(state[t] for t in targets):
        problems.setdefault("deepLinkEnabled", "needs at least one of deepLinkIos, "
                                               "deepLinkAndroid or deepLinkFallbackUrl")


def _references(workspace: Workspace, data: Mapping[str, Any]) -> dict[str, Any]:
    """The references present in `data`, resolved (400/404 on a bad one)."""
    refs: dict[str, Any] = {}
    given, domain = link_fields.domain(workspace, data)
    if given:
        refs["domain"] = domain
    for key, resolve, name in (("campaignId", link_fields.campaign, "campaign"),
                               ("folderId", link_fields.folder, "folder"),
                               ("utmTemplateId", link_fields.utm_template, "utm_template")):
        if key in data:
            refs[name] = resolve(workspace, data[key])
    if "tags" in data:
        refs["tags"] = link_fields.tag_refs(workspace, data["tags"])
    if "ruleIds" in data:
        refs["rules"] = link_fields.shared_rules(workspace, data["ruleIds"])
    return refs


def _ensure_external_id_free(workspace: Workspace, external_id: str | None,
                             exclude: int | None = None) -> None:
    if not external_id:
        return
    query = Link.select(Link.id).where(Link.workspace == workspace, Link.deleted_at.is_null(),
                                       Link.external_id == external_id)
    if exclude is not None:
        query = query.where(Link.id != exclude)
    if query.exists():
        raise Conflict(message=f"Another link of this workspace has externalId "
                               f"'{external_id}'.")


def _set_tags(workspace: Workspace, actor: User | None, link: Link,
              refs: tuple[list[Tag], list[str]], replace: bool) -> None:
    existing, new_names = refs
    tags = existing + tag_service.create_named(workspace, actor, new_names)
    if replace:
        LinkTag.delete().where(LinkTag.link == link).execute()
    if tags:
        LinkTag.insert_many([{"link": link.id, "tag": t.id} for t in tags]).execute()


def _set_rules(link: Link, rules: list[Rule], replace: bool) -> None:
    if replace:
        LinkRule.delete().where(LinkRule.link == link).execute()
    if rules:
        LinkRule.insert_many([{"link": link.id, "rule": r.id} for r in rules]).execute()


def _code_clash(exc: peewee.IntegrityError) -> bool:
    return "link.code_key" in str(exc) or "link_live_code" in str(exc)


def _public_shares():
    from linkhub.services import public_shares  # imports this module: load it late

    return public_shares


def _invalidate(link: Link, *old_keys: tuple[int, str]) -> None:
    cache.for_app().invalidate_link(link.id, *old_keys, (link.domain_key, link.code_key))


# --- writes ---------------------------------------------------------------------------------

def create_link(workspace: Workspace, actor: User | None, data: Mapping[str, Any]) -> Link:
    """Create a link from API-named fields (see schemas/links.py); 400/404/409 on problems,
    nothing written then."""
    data = link_fields.normalise_keys(data)
    values, problems = link_fields.clean(data)
    code = None
    if data.get("shortCode") not in (None, ""):
        try:
            code = short_codes.validate(data["shortCode"])
        except Invalid as exc:
            problems.update(exc.fields)
    _check_state({**_STATE_DEFAULTS, **values}, problems)
    if problems:
        raise Invalid(fields=problems)
    refs = _references(workspace, data)
    domain = refs.get("domain")
    _ensure_external_id_free(workspace, values.get("external_id"))
    if code is not None:
        short_codes.ensure_free(code, domain)
    for _attempt in range(3):
        chosen = code or short_codes.generate_free(domain)
        try:
            with database.atomic():
                link = Link.create(
                    public_id=ids.new_id("link"), workspace=workspace, domain=domain,
                    domain_key=short_codes.domain_key(domain), short_code=chosen,
                    code_key=short_codes.code_key(chosen, domain), created_by=actor,
                    campaign=refs.get("campaign"), folder=refs.get("folder"),
                    utm_template=refs.get("utm_template"), **values)
                if "tags" in refs:
                    _set_tags(workspace, actor, link, refs["tags"], replace=False)
                _set_rules(link, refs.get("rules", []), replace=False)
                if link.public_stats:  # the public stats share follows the flag
                    _public_shares().follow_link(link, actor)
                audit.record("link.create", "link", link.public_id, workspace=workspace,
                             actor=actor, details={"shortCode": chosen})
                webhook_events.emit_link(workspace, "link.created", link)
        except peewee.IntegrityError as exc:
            if not _code_clash(exc):
                raise
            if code is not None:  # lost a race for a chosen code
                raise short_codes.taken_error(code) from None
            continue
        _invalidate(link)
        return link
    raise ApiError("INTERNAL_ERROR", "Could not generate a free short code; try again.")


def update_link(workspace: Workspace, actor: User | None, link: Link,
                data: Mapping[str, Any]) -> Link:
    """Apply the fields present in `data` (absent: unchanged; null: cleared where the field
    allows it). `tags` and `ruleIds` replace the whole set."""
    data = link_fields.normalise_keys(data)
    values, problems = link_fields.clean(data)
    new_code = link.short_code
    if "shortCode" in data:
        try:
            new_code = short_codes.validate(data["shortCode"])
        except Invalid as exc:
            problems.update(exc.fields)
    state = {column: getattr(link, column) for column in _STATE_DEFAULTS}
    _check_state({**state, **values}, problems)
    if problems:
        raise Invalid(fields=problems)
    refs = _references(workspace, data)
    domain = refs["domain"] if "domain" in refs else (
        Domain.get_by_id(link.domain_id) if link.domain_id is not None else None)
    old_key = (link.domain_key, link.code_key)
    new_key = (short_codes.domain_key(domain), short_codes.code_key(new_code, domain))
    if "external_id" in values and values["external_id"] != link.external_id:
        _ensure_external_id_free(workspace, values["external_id"], exclude=link.id)
    if new_key != old_key:
        short_codes.ensure_free(new_code, domain, exclude_link_id=link.id)
    for column, value in values.items():
        setattr(link, column, value)
    link.domain, (link.domain_key, link.code_key) = domain, new_key
    link.short_code = new_code
    for name in ("campaign", "folder", "utm_template"):
        if name in refs:
            setattr(link, name, refs[name])
    try:
        with database.atomic():
            link.save()
            if "tags" in refs:
                _set_tags(workspace, actor, link, refs["tags"], replace=True)
            if "rules" in refs:
                _set_rules(link, refs["rules"], replace=True)
            if "public_stats" in values:  # the public stats share follows the flag
                _public_shares().follow_link(link, actor)
            audit.record("link.update", "link", link.public_id, workspace=workspace,
                         actor=actor, details={"fields": sorted(data)})
            webhook_events.emit_link(workspace, "link.updated", link)
    except peewee.IntegrityError as exc:
        if not _code_clash(exc):
            raise
        raise short_codes.taken_error(new_code) from None
    _invalidate(link, old_key)
    return link


def delete_link(workspace: Workspace, actor: User | None, link: Link) -> None:
    """Soft delete: the code is free at once, analytics stay, the link's own rules are
    soft-deleted too. A second delete is 409 ALREADY_DELETED."""
    if link.deleted_at is not None:
        raise ApiError("ALREADY_DELETED", "The link is already deleted.")
    now = clock.now()
    with database.atomic():
        Link.update(deleted_at=now, updated_at=now).where(Link.id == link.id).execute()
        Rule.update(deleted_at=now).where(Rule.link == link, Rule.deleted_at.is_null()).execute()
        audit.record("link.delete", "link", link.public_id, workspace=workspace, actor=actor)
        link.deleted_at = link.updated_at = now
        webhook_events.emit_link(workspace, "link.deleted", link)
    _invalidate(link)


def set_archived(workspace: Workspace, actor: User | None, link: Link, archived: bool) -> Link:
    """Archive (the short URL stops answering, the link leaves default lists) or restore.
    Repeating either is harmless."""
    if (link.archived_at is not None) != archived:
        with database.atomic():
            link.archived_at = clock.now() if archived else None
            link.save()
            audit.record("link.archive" if archived else "link.unarchive", "link",
                         link.public_id, workspace=workspace, actor=actor)
            webhook_events.emit_link(workspace, "link.updated", link)
        _invalidate(link)
    return link


def upsert_target(workspace: Workspace, data: Mapping[str, Any]) -> Link | None:
    """The live link an upsert would update: same `externalId`, else same (domain,
    shortCode). A code taken in another workspace is a 409 SHORT_CODE_EXISTS."""
    data = link_fields.normalise_keys(data)
    external_id = data.get("externalId")
    if isinstance(external_id, str) and external_id.strip():
        link = _live_by_external_id(workspace, external_id.strip())
        if link is not None:
            return link
    code = data.get("shortCode")
    if not isinstance(code, str) or not code.strip():
        return None
    code = short_codes.validate(code)
    _, domain = link_fields.domain(workspace, data)
    link = Link.get_or_none(Link.domain_key == short_codes.domain_key(domain),
                            Link.code_key == short_codes.code_key(code, domain),
                            Link.deleted_at.is_null())
    if link is not None and link.workspace_id != workspace.id:
        raise short_codes.taken_error(code)
    return link


def upsert_link(workspace: Workspace, actor: User | None,
                data: Mapping[str, Any]) -> tuple[Link, bool]:
    """(link, created)."""
    target = upsert_target(workspace, data)
    if target is None:
        return create_link(workspace, actor, data), True
    return update_link(workspace, actor, target, data), False


def transfer_to_campaign(workspace: Workspace, actor: User | None, link: Link,
                         campaign_id: str | None) -> Link:
    """Move the link to another campaign of its workspace (None: no campaign)."""
    link.campaign = link_fields.campaign(workspace, campaign_id)
    with database.atomic():
        link.save()
        audit.record("link.transfer", "link", link.public_id, workspace=workspace,
                     actor=actor, details={"campaignId": campaign_id})
        webhook_events.emit_link(workspace, "link.updated", link)
    _invalidate(link)
    return link


def _admin_of(workspace: Workspace, user: User | None) -> Member | None:
    if user is None:
        return None
    return Member.get_or_none(Member.workspace == workspace, Member.user == user)


def transfer_to_workspace(workspace: Workspace, actor: User, link: Link,
                          target_id: str) -> Link:
    """Move the link to another workspace where `actor` is admin too. The code and the link's
    own rules go with it; tags, folder, campaign, UTM template and shared-rule attachments
    (all of the old workspace) are dropped. Links on a custom domain cannot move."""
    source_member = _admin_of(workspace, actor)
    if source_member is None or not role_at_least(source_member.role, "admin"):
        raise Forbidden("Moving a link to another workspace needs the admin role here.")
    target = None
    if ids.is_valid("workspace", target_id):
        target = Workspace.get_or_none(Workspace.public_id == target_id)
    member = _admin_of(target, actor) if target is not None else None
    if member is None:
        raise NotFound("Workspace not found (workspaceId).")
    if not role_at_least(member.role, "admin"):
        raise Forbidden("Moving a link to another workspace needs the admin role there.")
    if target.id == workspace.id:
        raise Invalid(fields={"workspaceId": "is the link's own workspace"})
    if link.domain_id is not None:
        raise Invalid(fields={"workspaceId": "a link on a custom domain cannot move to another "
                                             "workspace; move it to the default domain first"})
    _ensure_external_id_free(target, link.external_id)
    with database.atomic():
        LinkTag.delete().where(LinkTag.link == link).execute()
        LinkRule.delete().where(LinkRule.link == link).execute()
        Rule.update(workspace=target).where(Rule.link == link).execute()
        link.workspace, link.campaign, link.folder, link.utm_template = target, None, None, None
        link.save()
        for ws, action in ((workspace, "link.transfer_out"), (target, "link.transfer_in")):
            audit.record(action, "link", link.public_id, workspace=ws, actor=actor,
                         details={"from": workspace.public_id, "to": target.public_id})
        webhook_events.emit_link(workspace, "link.deleted", link)  # gone from here
        webhook_events.emit_link(target, "link.created", link)  # new there
        # its per-link webhooks are the old workspace's (their secrets, their receivers)
        Webhook.delete().where((Webhook.link == link)
                               & (Webhook.workspace == workspace)).execute()
    webhook_events.invalidate(workspace.id)
    _invalidate(link)
    return link

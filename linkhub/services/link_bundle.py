"""Our own JSON export format (a "bundle"): a workspace's links with their tags, folder,
campaign, own rules and attached shared rules, plus the tags, folders, campaigns (with their
rules) and shared rules themselves, all referenced by name or code, never by id, so a bundle
loads into any workspace. `write` streams it; `load_setup` + import_rows load it back."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import peewee

from linkhub import clock
from linkhub.db import database
from linkhub.errors import ApiError, Invalid
from linkhub.models import Campaign, Folder, Link, LinkRule, Rule, Tag, User, Workspace
from linkhub.services import campaigns, folders, link_fields, links, rules
from linkhub.services import tags as tag_service
from linkhub.services.import_csv import MAX_ROWS
from linkhub.services.import_refs import References
from linkhub.services.import_rows import Created, RowProblem

FORMAT, VERSION = "linkhub.bundle", 1
BATCH = 500
_RULE_DROP = ("id", "linkId", "campaignId", "shared", "attachedLinkIds", "createdAt",
              "updatedAt")
_CAMPAIGN_FIELDS = {"description": "description", "type": "type", "status": "status",
                    "conversionTracking": "conversion_tracking", "costModel": "cost_model",
                    "costCurrency": "cost_currency", "goalType": "goal_type"}


# --- dump --------------------------------------------------------------------------------------

def _rule(rule: Rule) -> dict[str, Any]:
    data = rules.serialize_rule(rule)
    return {k: v for k, v in data.items() if k not in _RULE_DROP}


def _folder_paths(workspace: Workspace) -> dict[int, list[str]]:
    rows = {f.id: f for f in Folder.select().where(Folder.workspace == workspace)}
    paths: dict[int, list[str]] = {}

    def path(folder_id: int, depth: int = 0) -> list[str]:
        if folder_id not in paths:
            folder = rows[folder_id]
            parent = (path(folder.parent_id, depth + 1)
                      if folder.parent_id in rows and depth < folders.MAX_DEPTH else [])
            paths[folder_id] = [*parent, folder.name]
        return paths[folder_id]

    for folder_id in rows:
        path(folder_id)
    return paths


def _campaign(campaign: Campaign) -> dict[str, Any]:
    out: dict[str, Any] = {"name": campaign.name}
    out.update({name: getattr(campaign, column) for name, column in _CAMPAIGN_FIELDS.items()})
    out.update({name: campaigns.from_micros(getattr(campaign, column))
                for name, column in campaigns.MONEY_FIELDS.items()})
    out["rules"] = [_rule(r) for r in Rule.select().where(
        Rule.campaign == campaign, Rule.deleted_at.is_null()).order_by(Rule.priority, Rule.id)]
    return out


def link_fields_of(link: Link) -> dict[str, Any]:
    """A link's own fields by API name (the inputs link_fields.clean takes back)."""
    out: dict[str, Any] = {"shortCode": link.short_code}
    if link.domain_id is not None:
        out["domain"] = link.domain.name
    for table in (link_fields.TEXTS, link_fields.URLS, link_fields.CHOICES):
        out.update({name: getattr(link, spec[0]) for name, spec in table.items()})
    out.update({name: getattr(link, column) for name, column in
                {**link_fields.APP_LINKS, **link_fields.SWITCHES}.items()})
    out.update(clicksLimit=link.clicks_limit, expiresAt=clock.iso(link.expires_at),
               archived=link.archived_at is not None)
    return {k: v for k, v in out.items() if v is not None}


def _links(workspace: Workspace) -> Iterator[dict[str, Any]]:
    paths = _folder_paths(workspace)
    names = dict(Campaign.select(Campaign.id, Campaign.name)
                 .where(Campaign.workspace == workspace).tuples())
    shared = dict(Rule.select(Rule.public_id, Rule.name).where(
        Rule.workspace == workspace, Rule.link.is_null(), Rule.campaign.is_null()).tuples())
    last = 0
    while True:
        batch = list(Link.select().where(Link.workspace == workspace, Link.deleted_at.is_null(),
                                         Link.id > last).order_by(Link.id).limit(BATCH))
        if not batch:
            return
        last = batch[-1].id
        rel = links.relations(batch)
        own: dict[int, list[dict[str, Any]]] = {}
        for rule in (Rule.select().where(Rule.link.in_([lk.id for lk in batch]),
                                         Rule.deleted_at.is_null())
                     .order_by(Rule.priority, Rule.created_at, Rule.id)):
            own.setdefault(rule.link_id, []).append(_rule(rule))
        for link in batch:
            item = link_fields_of(link)
            if link.folder_id in paths:
                item["folder"] = paths[link.folder_id]
            if link.campaign_id in names:
                item["campaign"] = names[link.campaign_id]
            item["tags"] = rel[link.id]["tags"]
            item["sharedRules"] = [shared[r] for r in rel[link.id]["ruleIds"] if r in shared]
            item["rules"] = own.get(link.id, [])
            yield item


def _header(workspace: Workspace) -> dict[str, Any]:
    paths = _folder_paths(workspace)
    folder_colors = {f.id: f.color for f in Folder.select().where(Folder.workspace == workspace)}
    shared = (Rule.select().where(Rule.workspace == workspace, Rule.link.is_null(),
                                  Rule.campaign.is_null(), Rule.deleted_at.is_null())
              .order_by(Rule.priority, Rule.id))
    return {
        "format": FORMAT, "version": VERSION, "exportedAt": clock.iso(clock.now()),
        "workspace": {"id": workspace.public_id, "name": workspace.name},
        "tags": [{"name": t.name, "color": t.color} for t in Tag.select().where(
            Tag.workspace == workspace).order_by(Tag.name_key)],
        "folders": sorted(({"path": path, "color": folder_colors[fid]}
                           for fid, path in paths.items()), key=lambda f: f["path"]),
        "campaigns": [_campaign(c) for c in Campaign.select().where(
            Campaign.workspace == workspace).order_by(Campaign.name, Campaign.id)],
        "rules": [_rule(r) for r in shared],
    }


def dump(workspace: Workspace) -> dict[str, Any]:
    """The whole bundle as one dict (tests, small workspaces); `write` streams the same."""
    return {**_header(workspace), "links": list(_links(workspace))}


def write(workspace: Workspace) -> Iterator[str]:
    """The bundle as JSON text pieces, one link per line: memory stays flat however many
    links the workspace has."""
    head = json.dumps(_header(workspace), ensure_ascii=False)
    yield head[:-1] + ', "links": ['
    for number, item in enumerate(_links(workspace)):
        yield ("\n" if number == 0 else ",\n") + json.dumps(item, ensure_ascii=False)
    yield "\n]}\n"


# --- load --------------------------------------------------------------------------------------

def _list(bundle: Mapping[str, Any], key: str) -> list[Any]:
    value = bundle.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise Invalid(fields={f"bundle.{key}": "must be a list of objects"})
    return value


def read(path: Path) -> dict[str, Any]:
    """The bundle in `path`, checked for shape (400 otherwise)."""
    try:
        with path.open(encoding="utf-8-sig") as fh:
            bundle = json.load(fh)
    except (UnicodeDecodeError, ValueError):
        raise Invalid(fields={"file": "is not a JSON document (UTF-8)"}) from None
    return check(bundle)


def check(bundle: Any) -> dict[str, Any]:
    if not isinstance(bundle, dict) or bundle.get("format") != FORMAT:
        raise Invalid(fields={"file": f"is not a linkhub bundle (\"format\": \"{FORMAT}\")"})
    if bundle.get("version") != VERSION:
        raise Invalid(fields={"bundle.version": f"must be {VERSION}"})
    for key in ("tags", "folders", "campaigns", "rules", "links"):
        _list(bundle, key)
    if len(bundle.get("links", [])) > MAX_ROWS:
        raise Invalid(fields={"bundle.links": f"must hold at most {MAX_ROWS:,} links"})
    return bundle


def save(bundle: dict[str, Any], path: Path) -> int:
    """Store a checked bundle; returns its number of links."""
    with path.open("w", encoding="utf-8") as fh:
        json.dump(check(bundle), fh, ensure_ascii=False)
    return len(bundle.get("links", []))


def _shared_rule_ids(workspace: Workspace) -> dict[str, int]:
    found: dict[str, int] = {}
    for rule in (Rule.select(Rule.id, Rule.name).where(
            Rule.workspace == workspace, Rule.link.is_null(), Rule.campaign.is_null(),
            Rule.deleted_at.is_null()).order_by(Rule.id)):
        found.setdefault(rule.name.lower(), rule.id)
    return found


def load_setup(workspace: Workspace, actor: User | None, bundle: Mapping[str, Any]) -> list[str]:
    """Tags, folders, campaigns (with their rules) and shared rules, matched by name (made
    when missing, so running it twice makes nothing new). Returns the problems met."""
    problems: list[str] = []
    known_tags = {t.name_key for t in Tag.select(Tag.name_key).where(Tag.workspace == workspace)}
    for tag in _list(bundle, "tags"):
        try:
            name = tag_service.validate_name(tag.get("name"))
            if name.lower() not in known_tags:
                tag_service.create_tag(workspace, actor, {"name": name,
                                                          "color": tag.get("color")})
                known_tags.add(name.lower())
        except ApiError as exc:
            problems.append(f"tag {tag.get('name')!r}: {exc.message}")
    refs = References(workspace, actor)
    for folder in _list(bundle, "folders"):
        try:
            path = refs.folder_path(folder.get("path"))
            if path:
                made = refs.folder_at(path)
                if folder.get("color") and made.color is None:
                    folders.update_folder(workspace, actor, made, {"color": folder["color"]})
        except ApiError as exc:
            problems.append(f"folder {folder.get('path')!r}: {exc.message}")
    for item in _list(bundle, "campaigns"):
        try:
            _load_campaign(workspace, actor, item)
        except ApiError as exc:
            problems.append(f"campaign {item.get('name')!r}: {exc.message}")
    shared = _shared_rule_ids(workspace)
    for item in _list(bundle, "rules"):
        name = str(item.get("name") or "")
        if name.lower() in shared:
            continue
        try:
            with database.atomic():
                shared[name.lower()] = rules.create_rule(workspace, actor, dict(item)).id
        except ApiError as exc:
            problems.append(f"shared rule {name!r}: {exc.message}")
    return problems


def _load_campaign(workspace: Workspace, actor: User | None, item: Mapping[str, Any]) -> None:
    name = item.get("name")
    if isinstance(name, str) and (Campaign.select().where(
            Campaign.workspace == workspace,
            peewee.fn.LOWER(Campaign.name) == name.strip().lower()).exists()):
        return
    data = {k: item[k] for k in (*_CAMPAIGN_FIELDS, *campaigns.MONEY_FIELDS) if k in item}
    with database.atomic():
        campaign = campaigns.create_campaign(workspace, actor, {**data, "name": name})
        for rule in item.get("rules") or []:
            rules.create_rule(workspace, actor, {**rule, "campaignId": campaign.public_id})


def load_rules(workspace: Workspace, actor: User | None,
               created: list[Created]) -> tuple[list[Created], list[RowProblem]]:
    """Each new link's own rules and shared-rule attachments (by name). A link whose rules
    are refused is removed again and reported, so its row fails as a whole."""
    shared = _shared_rule_ids(workspace)
    kept: list[Created] = []
    problems: list[RowProblem] = []
    for item in created:
        own = item.data.get("rules") or []
        names = item.data.get("sharedRules") or []
        if not own and not names:
            kept.append(item)
            continue
        try:
            with database.atomic():
                for rule in own:
                    if not isinstance(rule, dict):
                        raise Invalid(fields={"rules": "must be a list of objects"})
                    rules.create_rule(workspace, actor, {**rule, "linkId": item.public_id})
                for name in names:
                    rule_id = shared.get(str(name).lower())
                    if rule_id is None:
                        raise Invalid(fields={"sharedRules": f"no shared rule named {name!r}"})
                    LinkRule.create(link=item.link_id, rule=rule_id)
            kept.append(item)
        except ApiError as exc:
            Link.delete().where(Link.id == item.link_id).execute()
            fields = exc.fields if isinstance(exc, Invalid) else {"rules": exc.message}
            message = "; ".join(f"{k}: {v}" for k, v in fields.items())
            problems.append(RowProblem(item.row, "failed", item.data.get("shortCode"),
                                       next(iter(fields)), message))
    return kept, problems


def link_rows(bundle: Mapping[str, Any], start: int) -> Iterator[tuple[int, dict[str, Any]]]:
    for number, item in enumerate(bundle.get("links", []), start=1):
        if number > start:
            yield number, item

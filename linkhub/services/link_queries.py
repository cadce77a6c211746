"""Reading many links: the filtered, sorted, paginated list (a constant number of queries
whatever the page size) and the workspace's link stats. It never writes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import peewee
from peewee import JOIN

from linkhub import clock, ids, pagination
from linkhub.errors import Invalid
from linkhub.models import Campaign, Domain, Folder, Link, LinkTag, Tag, UtmTemplate, Workspace
from linkhub.pagination import Page

SORTS = {"createdAt": Link.created_at, "updatedAt": Link.updated_at, "clicks": Link.clicks,
         "title": Link.title, "lastClickedAt": Link.last_clicked_at}
SEARCH_MAX = 200
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no")


def with_references() -> peewee.ModelSelect:
    """Links with what their serialisation needs from domain, campaign, folder and UTM
    template, joined in the same query."""
    return (Link.select(Link, Domain.id, Domain.public_id, Domain.name, Domain.case_sensitive,
                        Campaign.id, Campaign.public_id, Folder.id, Folder.public_id,
                        UtmTemplate.id, UtmTemplate.public_id)
            .join(Domain, JOIN.LEFT_OUTER, on=(Link.domain == Domain.id)).switch(Link)
            .join(Campaign, JOIN.LEFT_OUTER, on=(Link.campaign == Campaign.id)).switch(Link)
            .join(Folder, JOIN.LEFT_OUTER, on=(Link.folder == Folder.id)).switch(Link)
            .join(UtmTemplate, JOIN.LEFT_OUTER, on=(Link.utm_template == UtmTemplate.id))
            .switch(Link))


def _flag(args: Mapping[str, str], name: str) -> bool | None:
    raw = (args.get(name) or "").strip().lower()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise Invalid(fields={name: "must be true or false"})


def id_param(args: Mapping[str, str], name: str, kind: str) -> str | None:
    """A query-string public id of `kind` (None when absent); 400 naming `name` if malformed."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    if not ids.is_valid(kind, raw):
        raise Invalid(fields={name: f"must be an id like {ids.PREFIXES[kind]}_..."})
    return raw


def date_param(args: Mapping[str, str], name: str, end_of_day: bool) -> Any:
    """A query-string ISO date or date-time (a bare date at the end of the day when asked)."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return clock.parse_iso(raw, end_of_day=end_of_day)
    except ValueError:
        raise Invalid(fields={name: "must be an ISO 8601 date or date-time"}) from None


def _collect(problems: dict[str, str], parse: Any, *args: Any) -> Any:
    try:
        return parse(*args)
    except Invalid as exc:
        problems.update(exc.fields)
        return None


def filters(workspace: Workspace, args: Mapping[str, str]) -> list[Any]:
    """WHERE conditions for the list's query string; every bad value is reported at once."""
    problems: dict[str, str] = {}
    where: list[Any] = [Link.workspace == workspace, Link.deleted_at.is_null()]
    for name, kind, model, column in (("campaignId", "campaign", Campaign, Link.campaign),
                                      ("folderId", "folder", Folder, Link.folder)):
        value = _collect(problems, id_param, args, name, kind)
        if value:
            where.append(column.in_(model.select(model.id).where(
                model.public_id == value, model.workspace == workspace)))
    domain_id = (args.get("domainId") or "").strip()
    if domain_id == "default":
        where.append(Link.domain_key == 0)
    else:
        value = _collect(problems, id_param, args, "domainId", "domain")
        if value:
            where.append(Link.domain.in_(Domain.select(Domain.id).where(
                Domain.public_id == value, Domain.workspace == workspace)))
    tag = (args.get("tag") or "").strip()
    if tag:
        match = Tag.public_id == tag if ids.is_valid("tag", tag) else Tag.name_key == tag.lower()
        where.append(Link.id.in_(LinkTag.select(LinkTag.link).join(Tag).where(
            Tag.workspace == workspace, match)))
    search = (args.get("search") or "").strip()
    if len(search) > SEARCH_MAX:
        problems["search"] = f"must be at most {SEARCH_MAX} characters"
    elif search:
        where.append(Link.title.contains(search) | Link.short_code.contains(search)
                     | Link.destination_url.contains(search))
    enabled = _collect(problems, _flag, args, "enabled")
    if enabled is not None:
        where.append(Link.enabled == enabled)
    archived = (args.get("archived") or "").strip().lower()
    if archived != "all":
        flag = _collect(problems, _flag, args, "archived")
        where.append(Link.archived_at.is_null(False) if flag else Link.archived_at.is_null())
    after = _collect(problems, date_param, args, "createdAfter", False)
    before = _collect(problems, date_param, args, "createdBefore", True)
    if after is not None:
        where.append(Link.created_at >= after)
    if before is not None:
        where.append(Link.created_at <= before)
    if problems:
        raise Invalid(fields=problems)
    return where


def list_links(workspace: Workspace, args: Mapping[str, str],
               page: Page) -> tuple[list[Link], int]:
    """One page of live links matching the query string, and the total: two queries."""
    sort_by, order = pagination.sort_order(args, tuple(SORTS), "createdAt")
    where = filters(workspace, args)
    return pagination.ordered_page(with_references().where(*where),
                                   Link.select(Link.id).where(*where), SORTS[sort_by],
                                   Link.id, order, page)


def stats(workspace: Workspace) -> dict[str, int]:
    """Aggregates over the workspace's live (not deleted) links, in one query."""
    is_active = (Link.enabled == True) & Link.archived_at.is_null()  # noqa: E712
    active = peewee.Case(None, [(is_active, 1)], 0)
    archived = peewee.Case(None, [(Link.archived_at.is_null(False), 1)], 0)
    row = (Link.select(peewee.fn.COUNT(Link.id), peewee.fn.SUM(Link.clicks),
                       peewee.fn.SUM(Link.unique_clicks), peewee.fn.SUM(active),
                       peewee.fn.SUM(archived))
           .where(Link.workspace == workspace, Link.deleted_at.is_null()).tuples().get())
    total, clicks, unique, active_count, archived_count = (v or 0 for v in row)
    return {"totalLinks": total, "totalClicks": clicks, "totalUniqueClicks": unique,
            "activeLinks": active_count, "archivedLinks": archived_count}

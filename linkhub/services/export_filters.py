"""Export filters: each type's filter values parsed into WHERE terms (ids of the workspace, ISO
dates with a date-only end covering the whole day, choices, flags), and the link list's own
filters reused for links. A bad value raises BadFilter (or Invalid for links). Read-only."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import peewee

from linkhub import clock, ids
from linkhub.errors import Invalid
from linkhub.models import Campaign, Click, Link, Workspace
from linkhub.services import link_queries


class BadFilter(ValueError):
    """A filter value that cannot be used; the message names what is expected."""


def unindexed(column: Any) -> peewee.NodeList:
    """`+column`: keeps SQLite from choosing an index on this column, so every batch is a
    range scan of the primary key (an index on (workspace, time) would make each batch sort
    all the workspace's remaining rows)."""
    return peewee.NodeList((peewee.SQL("+"), column), glue="")


# --- filter parsers: (workspace, value) -> a WHERE term ---------------------------------------

def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadFilter("must be a non-empty string")
    return value.strip()


def date(column: Any, end: bool) -> Callable[[Workspace, Any], Any]:
    def parse(_: Workspace, value: Any) -> Any:
        try:
            moment = clock.parse_iso(_text(value), end_of_day=end)
        except ValueError:
            raise BadFilter("must be an ISO 8601 date or date-time") from None
        return unindexed(column) <= moment if end else unindexed(column) >= moment
    return parse


def ref(column: Any, model: type[peewee.Model], kind: str) -> Callable[[Workspace, Any], Any]:
    """Rows pointing at the workspace's `kind` with that id (another workspace's: none)."""
    def parse(workspace: Workspace, value: Any) -> Any:
        if not ids.is_valid(kind, value):
            raise BadFilter(f"must be an id like {ids.PREFIXES[kind]}_...")
        return unindexed(column).in_(model.select(model.id).where(
            model.public_id == value, model.workspace == workspace))
    return parse


def campaign_links(column: Any) -> Callable[[Workspace, Any], Any]:
    def parse(workspace: Workspace, value: Any) -> Any:
        if not ids.is_valid("campaign", value):
            raise BadFilter("must be an id like camp_...")
        return unindexed(column).in_(
            Link.select(Link.id).join(Campaign, on=(Link.campaign == Campaign.id))
            .where(Campaign.public_id == value, Campaign.workspace == workspace))
    return parse


def choice(column: Any, options: tuple[str, ...]) -> Callable[[Workspace, Any], Any]:
    def parse(_: Workspace, value: Any) -> Any:
        if value not in options:
            raise BadFilter(f"must be one of {', '.join(options)}")
        return unindexed(column) == value
    return parse


def equals(column: Any, upper: bool = False) -> Callable[[Workspace, Any], Any]:
    def parse(_: Workspace, value: Any) -> Any:
        text = _text(value)
        return unindexed(column) == (text.upper() if upper else text)
    return parse


def include_bots(_: Workspace, value: Any) -> Any:
    if value not in (True, False, "true", "false"):
        raise BadFilter("must be true or false")
    return peewee.SQL("1 = 1") if value in (True, "true") else unindexed(Click.bot) == False  # noqa: E712


def links_where(workspace: Workspace, filters: Mapping[str, Any]) -> list[Any]:
    """The link list's own filters (GET /api/links), `start`/`end` being its createdAfter and
    createdBefore; archived links are included unless `archived` says otherwise."""
    names = {"start": "createdAfter", "end": "createdBefore"}
    args: dict[str, str] = {"archived": "all"}
    for key, value in filters.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif not isinstance(value, str):
            raise Invalid(fields={f"filters.{key}": "must be a string"})
        args[names.get(key, key)] = value
    try:
        where = link_queries.filters(workspace, args)
    except Invalid as exc:
        back = {v: k for k, v in names.items()}
        raise Invalid(fields={f"filters.{back.get(k, k)}": m
                              for k, m in exc.fields.items()}) from None
    return [unindexed(Link.workspace) == workspace.id, *where[1:]]


LINK_FILTERS = ("start", "end", "campaignId", "folderId", "domainId", "tag", "search",
                "enabled", "archived")

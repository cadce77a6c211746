"""UTM templates of a workspace (a name plus utm_* and `ref` values) and `effective_utms`,
what the redirect adds to a link's destination: the link's own UTM values, with its template
filling the empty ones. Changing or deleting a template invalidates its links' cache entries."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import peewee

from linkhub import ids
from linkhub.db import database
from linkhub.errors import Invalid, NotFound
from linkhub.models import Link, User, UtmTemplate, Workspace
from linkhub.pagination import Page
from linkhub.redirect import cache
from linkhub.services import audit

NAME_MAX = 100
VALUE_MAX = 255
# API name -> column
VALUES = {"utmSource": "utm_source", "utmMedium": "utm_medium", "utmCampaign": "utm_campaign",
          "utmTerm": "utm_term", "utmContent": "utm_content", "ref": "ref"}
UTM_COLUMNS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_BULK_INVALIDATE = 500  # past this many links, dropping the whole cache is cheaper


def effective_utms(link: Link, template: UtmTemplate | None = None) -> dict[str, str]:
    """`{"utm_source": ..., "ref": ...}`: the link's own values, its template's for the empty
    ones, and the template's `ref`; empty values left out. Pass `template` (the row of
    `link.utm_template_id`) to spare the query."""
    if template is None and link.utm_template_id is not None:
        template = UtmTemplate.get_or_none(UtmTemplate.id == link.utm_template_id)
    out: dict[str, str] = {}
    for column in UTM_COLUMNS:
        value = getattr(link, column) or (getattr(template, column) if template else None)
        if value:
            out[column] = value
    if template is not None and template.ref:
        out["ref"] = template.ref
    return out


def _text(name: str, value: Any, limit: int, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise Invalid(fields={name: "is required"})
        return None
    if not isinstance(value, str):
        raise Invalid(fields={name: "must be a string"})
    value = value.strip()
    if len(value) > limit:
        raise Invalid(fields={name: f"must be at most {limit} characters"})
    return value


def _clean(data: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    problems: dict[str, str] = {}
    changes: dict[str, Any] = {}
    if "name" in data or not partial:
        try:
            changes["name"] = _text("name", data.get("name"), NAME_MAX, required=True)
        except Invalid as exc:
            problems.update(exc.fields)
    for name, column in VALUES.items():
        if name in data:
            try:
                changes[column] = _text(name, data[name], VALUE_MAX)
            except Invalid as exc:
                problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    return changes


def get_template(workspace: Workspace, template_id: Any) -> UtmTemplate:
    row = None
    if ids.is_valid("utm_template", template_id):
        row = UtmTemplate.get_or_none(UtmTemplate.public_id == template_id,
                                      UtmTemplate.workspace == workspace)
    if row is None:
        raise NotFound("UTM template not found.")
    return row


def link_counts(template_ids: Iterable[int]) -> dict[int, int]:
    wanted = list(template_ids)
    if not wanted:
        return {}
    rows = (Link.select(Link.utm_template, peewee.fn.COUNT(Link.id))
            .where(Link.utm_template.in_(wanted), Link.deleted_at.is_null())
            .group_by(Link.utm_template).tuples())
    return {template_id: count for template_id, count in rows}


def list_templates(workspace: Workspace, page: Page) -> tuple[list[UtmTemplate], int]:
    query = UtmTemplate.select().where(UtmTemplate.workspace == workspace)
    total = query.count()
    rows = list(query.order_by(UtmTemplate.name, UtmTemplate.id)
                .offset(page.offset).limit(page.limit))
    return rows, total


def _links_using(template: UtmTemplate) -> list[tuple[int, int, str]]:
    return list(Link.select(Link.id, Link.domain_key, Link.code_key)
                .where(Link.utm_template == template).limit(_BULK_INVALIDATE + 1).tuples())


def _invalidate(rows: list[tuple[int, int, str]]) -> None:
    """The redirect caches effective UTMs per link: forget every link that used the template
    (called after the write is committed)."""
    store = cache.for_app()
    if len(rows) > _BULK_INVALIDATE:
        store.clear()
        return
    for link_id, domain_key, code_key in rows:
        store.invalidate_link(link_id, (domain_key, code_key))


def create_template(workspace: Workspace, actor: User | None,
                    data: Mapping[str, Any]) -> UtmTemplate:
    changes = _clean(data, partial=False)
    row = UtmTemplate.create(public_id=ids.new_id("utm_template"), workspace=workspace,
                             **changes)
    audit.record("utm_template.create", "utm_template", row.public_id, workspace=workspace,
                 actor=actor)
    return row


def update_template(workspace: Workspace, actor: User | None, template: UtmTemplate,
                    data: Mapping[str, Any]) -> UtmTemplate:
    """Apply the keys present; a null or empty value clears it (the name cannot be)."""
    changes = _clean(data, partial=True)
    for column, value in changes.items():
        setattr(template, column, value)
    template.save()
    audit.record("utm_template.update", "utm_template", template.public_id,
                 workspace=workspace, actor=actor)
    _invalidate(_links_using(template))
    return template


def delete_template(workspace: Workspace, actor: User | None, template: UtmTemplate) -> None:
    """Links using the template keep their own UTM values and lose the template's."""
    rows = _links_using(template)
    with database.atomic():
        Link.update(utm_template=None).where(Link.utm_template == template).execute()
        template.delete_instance()
        audit.record("utm_template.delete", "utm_template", template.public_id,
                     workspace=workspace, actor=actor)
    _invalidate(rows)

"""One bulk item at a time: applied (or, for a dry run, tried and rolled back) through
services/links.py so every link rule holds; a batch's repeated codes, external ids and link ids;
errors as per-row results; pasted or uploaded rows read into items. It owns no transaction
beyond the item's savepoint: callers (services/bulk.py) decide what commits together."""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

from linkhub.db import database
from linkhub.errors import ApiError, Invalid
from linkhub.models import Link, User, Workspace
from linkhub.redirect import cache
from linkhub.services import link_fields, links

log = logging.getLogger(__name__)

ACTIONS = ("create", "update", "delete")
# The body field that holds a batch's items, per action (decisions §8).
ITEMS_FIELD = {"create": "links", "update": "links", "delete": "linkIds"}
# Error codes that belong to one field of the item.
CODE_FIELDS = {"SHORT_CODE_EXISTS": "shortCode"}

CacheKey = tuple[int, str]


@dataclass
class Outcome:
    """What happened to one item: the link made or touched, or the error."""

    index: int
    link: Link | None = None
    error: ApiError | None = None
    keys: list[CacheKey] = field(default_factory=list)  # redirect cache keys it touched


def _item_ref(item: Any) -> str | None:
    """The link an update or delete item names (`id`: a link id or a short code)."""
    if isinstance(item, str):
        return item.strip() or None
    if isinstance(item, dict) and isinstance(item.get("id"), str):
        return item["id"].strip() or None
    return None


def _create_key(item: Any) -> tuple[str, str] | None:
    if not isinstance(item, dict) or not isinstance(item.get("shortCode"), str):
        return None
    code = item["shortCode"].strip()
    domain = item.get("domainId") or item.get("domain") or ""
    return (str(domain).strip().lower(), code) if code else None


def batch_conflicts(action: str, items: list[Any]) -> dict[int, ApiError]:
    """Items that repeat an earlier item of the same batch (a short code on the same domain
    or an `externalId` on create; the same link on update and delete). The first one stays
    valid; each later one gets an error naming it, whatever the database holds."""
    seen: dict[tuple[str, Any], int] = {}
    found: dict[int, ApiError] = {}
    for index, item in enumerate(items):
        if action == "create":
            keys = [("shortCode", _create_key(item))]
            if isinstance(item, dict) and isinstance(item.get("externalId"), str):
                keys.append(("externalId", item["externalId"].strip() or None))
        else:
            keys = [("id", _item_ref(item))]
        for name, key in keys:
            if key is None:
                continue
            first = seen.setdefault((name, key), index)
            if first != index and index not in found:
                found[index] = Invalid(fields={name: f"repeats item {first} of this batch"})
    return found


def _apply(workspace: Workspace, actor: User | None, action: str, item: Any,
           outcome: Outcome) -> Link:
    if action == "create":
        if not isinstance(item, dict):
            raise Invalid(fields={"item": "must be a link object"})
        return links.create_link(workspace, actor, item)
    ref = _item_ref(item)
    if ref is None:
        raise Invalid(fields={"id": "is required (a link id or short code)"})
    if action == "update" and not isinstance(item, dict):
        raise Invalid(fields={"item": "must be a link object with an id"})
    link = links.find_link(workspace, ref, include_deleted=action == "delete")
    outcome.keys.append((link.domain_key, link.code_key))
    if action == "update":
        data = {key: value for key, value in item.items() if key != "id"}
        return links.update_link(workspace, actor, link, data)
    links.delete_link(workspace, actor, link)
    return link


def apply(workspace: Workspace, actor: User | None, action: str, item: Any, index: int, *,
          dry_run: bool = False, contain: bool = False) -> Outcome:
    """Apply one item inside a savepoint (rolled back for a dry run). API errors become the
    outcome's error; other exceptions too when `contain` (the async job: one bad row must not
    stop the rest), else they propagate."""
    outcome = Outcome(index)
    try:
        with database.atomic() as savepoint:
            link = _apply(workspace, actor, action, item, outcome)
            outcome.link = link
            outcome.keys.append((link.domain_key, link.code_key))
            if dry_run:
                savepoint.rollback()
    except ApiError as exc:
        outcome.error, outcome.link = exc, None
    except Exception:
        if not contain:
            raise
        log.exception("bulk %s: item %d failed unexpectedly", action, index)
        outcome.error, outcome.link = ApiError("INTERNAL_ERROR"), None
    return outcome


def invalidate(outcomes: list[Outcome]) -> None:
    """Forget the touched links in the redirect cache again once the batch's transaction has
    ended: a redirect that loaded one while the transaction was open must not keep it."""
    link_cache = cache.for_app()
    for outcome in outcomes:
        if outcome.keys:
            link_id = outcome.link.id if outcome.link is not None else 0
            link_cache.invalidate_link(link_id, *outcome.keys)


# --- errors as data ---------------------------------------------------------------------------

def error_json(exc: ApiError) -> dict[str, Any]:
    """`{"code", "message", "details"?}`: the error envelope's inner object for one row."""
    body: dict[str, Any] = {"code": exc.code, "message": exc.message}
    if exc.details:
        body["details"] = exc.details
    return body


def item_details(prefix: str, index: int, exc: ApiError) -> list[dict[str, Any]]:
    """One request's per-item error details: `{"field": "links.3.shortCode", "message",
    "index", "code", "status"}` (one per field for validation errors)."""
    base = {"index": index, "code": exc.code, "status": exc.status}
    if exc.details:
        return [{"field": f"{prefix}.{index}.{d['field']}", "message": d["message"], **base}
                for d in exc.details]
    name = CODE_FIELDS.get(exc.code)
    where = f"{prefix}.{index}.{name}" if name else f"{prefix}.{index}"
    return [{"field": where, "message": exc.message, **base}]


# --- pasted and uploaded rows -----------------------------------------------------------------

_INTEGERS = ("clicksLimit", "redirectType")
_LISTS = ("tags", "ruleIds")
_TRUE, _FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


def _typed(name: str, value: str) -> Any:
    """A CSV cell as the API's JSON type (`5` for clicksLimit, booleans, `;`-lists)."""
    lowered = value.strip().lower()
    if name in link_fields.SWITCHES and lowered in _TRUE + _FALSE:
        return lowered in _TRUE
    if name in _INTEGERS and lowered.lstrip("-").isdigit():
        return int(lowered)
    if name in _LISTS:
        return [part.strip() for part in value.split(";") if part.strip()]
    return value.strip()


def parse_rows(text: str, action: str) -> list[Any]:
    """Items from pasted or uploaded text: a JSON array (or `{"links"|"linkIds": [...]}`),
    else CSV with a header of API field names (`tags` separated by `;`). For delete, plain
    lines of link ids or short codes work too. 400 when nothing can be read."""
    text = (text or "").lstrip("\ufeff").strip()
    if not text:
        raise Invalid(fields={"rows": "paste or upload at least one row"})
    if text[0] in "[{":
        try:
            data = json.loads(text)
        except ValueError:
            raise Invalid(fields={"rows": "is not valid JSON"}) from None
        if isinstance(data, dict):
            data = data.get(ITEMS_FIELD[action])
        if not isinstance(data, list):
            raise Invalid(fields={"rows": f"must be a JSON array (or an object with "
                                          f"\"{ITEMS_FIELD[action]}\")"})
        return data
    lines = text.splitlines()
    header = [name.strip() for name in next(csv.reader([lines[0]]))]
    if action == "delete" and header != ["id"] and "id" not in header:
        return [line.strip() for line in lines if line.strip()]
    rows = []
    for record in csv.DictReader(io.StringIO(text)):
        item = {name.strip(): _typed(name.strip(), value) for name, value in record.items()
                if name and isinstance(value, str) and value.strip()}
        rows.append(item.get("id") if action == "delete" else item)
    if not rows:
        raise Invalid(fields={"rows": "has a header but no rows"})
    return rows

"""Managed pixels: create, list, read, update and delete, with every field rule (names, event
names, captured parameters, expiry, fire limits, campaign/link references). The fire itself
lives in services/pixel_fires.py. No HTTP here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import peewee
from flask import current_app

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import Invalid, NotFound
from linkhub.models import Campaign, Link, Pixel, PixelFire, User, Workspace
from linkhub.services import audit, link_fields
from linkhub.services.field_checks import boolean, checked

NAME_MAX = 200
DESCRIPTION_MAX = 5000
EVENT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")
PARAM_RE = re.compile(r"^[A-Za-z0-9_.\[\]-]{1,64}$")
CAPTURE_MAX = 20
FIRES_LIMIT_MAX = 2_000_000_000
STATUSES = ("active", "disabled", "expired", "exhausted")
SORTS = {"createdAt": Pixel.created_at, "name": peewee.fn.LOWER(Pixel.name),
         "fires": Pixel.fires, "lastFiredAt": Pixel.last_fired_at}
# Fields that may not be null on update (the rest: null clears).
NOT_NULL = ("name", "conversionTracking", "enabled")


# --- value checks -----------------------------------------------------------------------------

def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str | None:
    cleaned = value.strip() if isinstance(value, str) else value
    if cleaned is None or cleaned == "":
        if required:
            raise Invalid(fields={field: "is required"})
        return None
    if not isinstance(cleaned, str):
        raise Invalid(fields={field: "must be a string"})
    if len(cleaned) > limit:
        raise Invalid(fields={field: f"must be at most {limit} characters"})
    return cleaned


def _event_name(value: Any) -> str | None:
    cleaned = _text(value, "eventName", 64)
    if cleaned is not None and not EVENT_RE.match(cleaned):
        raise Invalid(fields={"eventName": "may contain only letters, digits, '_', '.', ':' and "
                                           "'-' (such as purchase or sign_up)"})
    return cleaned


def _capture_params(value: Any) -> list[str]:
    """A list of parameter names (null means none); duplicates are dropped, order kept."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise Invalid(fields={"captureParams": "must be an array of parameter names"})
    names: list[str] = []
    for index, item in enumerate(value):
        name = item.strip() if isinstance(item, str) else item
        if not isinstance(name, str) or not PARAM_RE.match(name):
            raise Invalid(fields={f"captureParams.{index}": "must be a parameter name of 1 to "
                                  "64 letters, digits, '_', '-', '.', '[' or ']'"})
        if name not in names:
            names.append(name)
    if len(names) > CAPTURE_MAX:
        raise Invalid(fields={"captureParams": f"must name at most {CAPTURE_MAX} parameters"})
    return names



def _fires_limit(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(fields={"firesLimit": "must be a whole number"})
    if not 1 <= value <= FIRES_LIMIT_MAX:
        raise Invalid(fields={"firesLimit": f"must be between 1 and {FIRES_LIMIT_MAX}"})
    return value


def _expires_at(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(fields={"expiresAt": "must be an ISO 8601 date-time string"})
    try:
        parsed = clock.parse_iso(value)
    except ValueError:
        raise Invalid(fields={"expiresAt": "must be an ISO 8601 date-time"}) from None
    if parsed <= clock.now():
        raise Invalid(fields={"expiresAt": "must be in the future"})
    return parsed


def _link(workspace: Workspace, value: Any) -> Link | None:
    """A live link of the workspace by `link_` id (404 like a missing one otherwise)."""
    if value is None:
        return None
    link = None
    if ids.is_valid("link", value):
        link = Link.get_or_none(Link.public_id == value, Link.workspace == workspace,
                                Link.deleted_at.is_null())
    if link is None:
        raise NotFound("Link not found (linkId).")
    return link


_CHECKS: dict[str, tuple[str, Any]] = {
    "name": ("name", lambda v: _text(v, "name", NAME_MAX, required=True)),
    "description": ("description", lambda v: _text(v, "description", DESCRIPTION_MAX)),
    "eventName": ("event_name", _event_name),
    "captureParams": ("capture_params", _capture_params),
    "conversionTracking": ("conversion_tracking", lambda v: boolean(v, "conversionTracking")),
    "enabled": ("enabled", lambda v: boolean(v, "enabled")),
    "expiresAt": ("expires_at", _expires_at),
    "firesLimit": ("fires_limit", _fires_limit),
}


def _changes(workspace: Workspace, data: Mapping[str, Any], *,
             creating: bool = False) -> dict[str, Any]:
    """Check every given field (all problems reported together), then resolve references:
    a campaign or link of another workspace answers 404 like a missing one."""
    changes = checked(data, _CHECKS, {k: "cannot be null" for k in NOT_NULL
                                      if k in data and data[k] is None
                                      and not (creating and k == "name")})
    if "campaignId" in data:
        changes["campaign"] = link_fields.campaign(workspace, data["campaignId"])
    if "linkId" in data:
        changes["link"] = _link(workspace, data["linkId"])
    return changes


# --- reads ------------------------------------------------------------------------------------

def get_pixel(workspace: Workspace, public_id: str) -> Pixel:
    """The workspace's pixel, or 404 (also for another workspace's or a malformed id)."""
    pixel = None
    if ids.is_valid("pixel", public_id):
        pixel = Pixel.get_or_none(Pixel.workspace == workspace, Pixel.public_id == public_id)
    if pixel is None:
        raise NotFound("Pixel not found.")
    return pixel


def status_of(pixel: Pixel, now: datetime | None = None) -> str:
    """active | disabled | expired | exhausted: whether a fire would be recorded now."""
    now = now or clock.now()
    if not pixel.enabled:
        return "disabled"
    if pixel.expires_at is not None and pixel.expires_at <= now:
        return "expired"
    if pixel.fires_limit is not None and pixel.fires >= pixel.fires_limit:
        return "exhausted"
    return "active"


def fire_urls(public_id: str) -> tuple[str, str]:
    """(GIF URL, beacon URL) of a pixel id or campaign pixel code on this install."""
    base = current_app.config["LINKHUB"]["BASE_URL"].rstrip("/")
    return f"{base}/p/{public_id}.gif", f"{base}/p/{public_id}"


def list_pixels(workspace: Workspace, *, campaign_id: str | None = None,
                link_id: str | None = None, enabled: bool | None = None,
                search: str | None = None, sort: str = "createdAt", order: str = "desc",
                offset: int = 0, limit: int = 20) -> tuple[list[Pixel], int]:
    query = Pixel.select().where(Pixel.workspace == workspace)
    if campaign_id:
        query = query.where(Pixel.campaign == link_fields.campaign(workspace, campaign_id))
    if link_id:
        query = query.where(Pixel.link == _link(workspace, link_id))
    if enabled is not None:
        query = query.where(Pixel.enabled == enabled)
    if search and search.strip():
        needle = search.strip()
        query = query.where(Pixel.name.contains(needle) | Pixel.description.contains(needle)
                            | Pixel.event_name.contains(needle))
    if sort not in SORTS:
        raise Invalid(fields={"sortBy": f"must be one of {', '.join(SORTS)}"})
    column = SORTS[sort]
    ordering = column.desc(nulls="LAST") if order == "desc" else column.asc(nulls="LAST")
    tiebreak = Pixel.id.desc() if order == "desc" else Pixel.id.asc()
    total = query.count()
    rows = list(query.order_by(ordering, tiebreak).offset(offset).limit(limit))
    return rows, total


def recent_fires(pixel: Pixel, *, offset: int = 0,
                 limit: int = 20) -> tuple[list[PixelFire], int]:
    """The pixel's fires, newest first."""
    query = PixelFire.select().where(PixelFire.pixel == pixel)
    total = query.count()
    rows = list(query.order_by(PixelFire.created_at.desc(), PixelFire.id.desc())
                .offset(offset).limit(limit))
    return rows, total


def references(pixels: list[Pixel]) -> dict[int, tuple[str | None, str | None]]:
    """{pixel id: (campaign public id, link public id)} in two queries whatever the count."""
    campaign_ids = {p.campaign_id for p in pixels if p.campaign_id}
    link_ids = {p.link_id for p in pixels if p.link_id}
    campaigns = dict(Campaign.select(Campaign.id, Campaign.public_id)
                     .where(Campaign.id.in_(campaign_ids)).tuples()) if campaign_ids else {}
    links = dict(Link.select(Link.id, Link.public_id)
                 .where(Link.id.in_(link_ids)).tuples()) if link_ids else {}
    return {p.id: (campaigns.get(p.campaign_id), links.get(p.link_id)) for p in pixels}


# --- writes -----------------------------------------------------------------------------------

def create_pixel(workspace: Workspace, actor: User | None, data: Mapping[str, Any]) -> Pixel:
    """`data` uses the API's field names; `name` is required, the rest take their defaults
    (enabled, no conversion tracking, nothing captured, no expiry, no limit)."""
    data = {**data, "name": data.get("name")}
    changes = _changes(workspace, {k: v for k, v in data.items()
                                   if v is not None or k == "name"}, creating=True)
    with database.atomic():
        pixel = Pixel.create(public_id=ids.new_id("pixel"), workspace=workspace, **changes)
        audit.record("pixel.create", "pixel", pixel.public_id, workspace=workspace,
                     actor=actor)
    return pixel


def _stored(pixel: Pixel, column: str) -> Any:
    if column in ("campaign", "link"):
        return getattr(pixel, f"{column}_id")
    return getattr(pixel, column)


def update_pixel(workspace: Workspace, actor: User | None, pixel: Pixel,
                 data: Mapping[str, Any]) -> Pixel:
    """Apply the given keys; `null` clears description, eventName, captureParams, expiresAt,
    firesLimit, campaignId and linkId (not name, conversionTracking or enabled)."""
    changes = _changes(workspace, data)
    changed = {}
    for column, value in changes.items():
        new = value.id if isinstance(value, peewee.Model) else value
        if _stored(pixel, column) != new:
            changed[column] = value
    if changed:
        with database.atomic():
            for column, value in changed.items():
                setattr(pixel, column, value)
            pixel.save()
            audit.record("pixel.update", "pixel", pixel.public_id, workspace=workspace,
                         actor=actor, details={"fields": sorted(changed)})
    return pixel


def delete_pixel(workspace: Workspace, actor: User | None, pixel: Pixel) -> None:
    """Delete the pixel and its recorded fires; conversions it made keep its id. Its URLs then
    answer like an unknown pixel's (the GIF, recording nothing)."""
    public_id, name = pixel.public_id, pixel.name
    with database.atomic():
        pixel.delete_instance()
        audit.record("pixel.delete", "pixel", public_id, workspace=workspace, actor=actor,
                     details={"name": name})

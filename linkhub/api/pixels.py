"""/api/pixels: list, create, read, update and delete managed pixels, and list a pixel's fires.
Parse, call services/pixels.py, serialise with the envelope; no business rule here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import clock, pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.errors import Invalid
from linkhub.models import Pixel, PixelFire
from linkhub.schemas import pixels as s
from linkhub.services import pixels

bp = Blueprint("pixels", __name__)
TAG = "Pixels"


def pixel_json(pixel: Pixel, refs: tuple[str | None, str | None] | None = None) -> dict[str, Any]:
    if refs is None:
        refs = pixels.references([pixel])[pixel.id]
    gif_url, beacon_url = pixels.fire_urls(pixel.public_id)
    return {
        "id": pixel.public_id, "name": pixel.name, "description": pixel.description,
        "eventName": pixel.event_name, "captureParams": list(pixel.capture_params or []),
        "conversionTracking": pixel.conversion_tracking, "enabled": pixel.enabled,
        "status": pixels.status_of(pixel), "expiresAt": clock.iso(pixel.expires_at),
        "firesLimit": pixel.fires_limit, "fires": pixel.fires,
        "lastFiredAt": clock.iso(pixel.last_fired_at),
        "campaignId": refs[0], "linkId": refs[1], "gifUrl": gif_url, "beaconUrl": beacon_url,
        "createdAt": clock.iso(pixel.created_at), "updatedAt": clock.iso(pixel.updated_at),
    }


def fire_json(fire: PixelFire) -> dict[str, Any]:
    return {
        "createdAt": clock.iso(fire.created_at), "transport": fire.transport,
        "params": fire.params, "clickId": fire.click_public_id,
        "conversionId": fire.conversion_public_id, "conversionError": fire.conversion_error,
        "bot": fire.bot, "referrer": fire.referrer, "userAgent": fire.user_agent,
        "ipTruncated": fire.ip_truncated,
    }


def _enabled(value: str | None) -> bool | None:
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise Invalid(fields={"enabled": "must be true or false"})


def _sort(query: s.PixelListQuery) -> tuple[str, str]:
    if query.sort:
        order = "desc" if query.sort.startswith("-") else "asc"
        name = query.sort.lstrip("-+")
        if name not in pixels.SORTS:
            raise Invalid(fields={"sort": f"must be one of {', '.join(pixels.SORTS)} "
                                          "(prefix - for descending)"})
        return name, order
    return pagination.sort_order(request.args, tuple(pixels.SORTS), "createdAt")


@bp.get("/pixels")
@require("pixels:read")
@endpoint("List pixels", query=s.PixelListQuery, response=s.PixelOut, listing=True, tag=TAG)
def list_pixels(query: s.PixelListQuery) -> Response:
    """Filters `campaignId`, `linkId`, `enabled`, `search` (name, description, event name);
    sort by `createdAt` (default, newest first), `name`, `fires` or `lastFiredAt` with
    `sortBy` + `sortOrder`, or `sort=-fires`."""
    page = pagination.parse(request.args)
    sort, order = _sort(query)
    rows, total = pixels.list_pixels(
        g.workspace, campaign_id=query.campaignId, link_id=query.linkId,
        enabled=_enabled(query.enabled), search=query.search, sort=sort, order=order,
        offset=page.offset, limit=page.limit)
    refs = pixels.references(rows)
    return listing([pixel_json(p, refs[p.id]) for p in rows], page, total)


@bp.post("/pixels")
@require("pixels:create")
@endpoint("Create a pixel", body=s.PixelCreate, response=s.PixelOut, status=201, tag=TAG)
def create_pixel(body: s.PixelCreate) -> Response:
    """`name` is required. The pixel fires at `gifUrl` (`<img>`) and `beaconUrl` (POST, e.g.
    `navigator.sendBeacon`); both are public and always answer the same."""
    pixel = pixels.create_pixel(g.workspace, g.user, body.model_dump(include=body.model_fields_set))
    return created(pixel_json(pixel))


@bp.get("/pixels/<pixel_id>")
@require("pixels:read")
@endpoint("Get a pixel", response=s.PixelOut, tag=TAG)
def get_pixel(pixel_id: str) -> Response:
    return ok(pixel_json(pixels.get_pixel(g.workspace, pixel_id)))


@bp.patch("/pixels/<pixel_id>")
@require("pixels:update")
@endpoint("Update a pixel", body=s.PixelUpdate, response=s.PixelOut, tag=TAG)
def update_pixel(pixel_id: str, body: s.PixelUpdate) -> Response:
    """`null` clears description, eventName, expiresAt, firesLimit, campaignId and linkId;
    `captureParams` replaces the whole set."""
    pixel = pixels.get_pixel(g.workspace, pixel_id)
    pixel = pixels.update_pixel(g.workspace, g.user, pixel,
                                body.model_dump(include=body.model_fields_set))
    return ok(pixel_json(pixel))


@bp.delete("/pixels/<pixel_id>")
@require("pixels:delete")
@endpoint("Delete a pixel", response=s.PixelDeletedOut, tag=TAG)
def delete_pixel(pixel_id: str) -> Response:
    """Its recorded fires go with it; conversions it made keep its id."""
    pixel = pixels.get_pixel(g.workspace, pixel_id)
    pixels.delete_pixel(g.workspace, g.user, pixel)
    return ok({"id": pixel_id, "deleted": True})


@bp.get("/pixels/<pixel_id>/fires")
@require("pixels:read")
@endpoint("List a pixel's fires", query=s.PageQuery, response=s.PixelFireOut, listing=True,
          tag=TAG)
def list_fires(pixel_id: str, query: s.PageQuery) -> Response:
    """Newest first: captured values, the click and conversion ids (or why no conversion was
    made), the bot flag, and what the workspace's privacy switches let it keep."""
    page = pagination.parse(request.args)
    pixel = pixels.get_pixel(g.workspace, pixel_id)
    rows, total = pixels.recent_fires(pixel, offset=page.offset, limit=page.limit)
    return listing([fire_json(f) for f in rows], page, total)

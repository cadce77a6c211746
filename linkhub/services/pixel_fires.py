"""The fire of a pixel (`px_…`) or a campaign pixel code (`lw_px_…`): decides whether it is
recorded (enabled, not expired, under `firesLimit`, counted by one atomic UPDATE), what is
captured and stored (privacy switches applied), and turns it into a conversion. No HTTP here:
the public endpoints in linkhub/pixel_fire.py always answer the same, whatever happens."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

from linkhub import clock, ids, ratelimit
from linkhub.db import database
from linkhub.errors import ApiError, Invalid
from linkhub.models import Campaign, Pixel, PixelFire, Workspace
from linkhub.redirect import bots, facts
from linkhub.services import conversions
from linkhub.services.campaigns import PIXEL_CODE_LENGTH, PIXEL_CODE_PREFIX
from linkhub.services.pixels import status_of

log = logging.getLogger(__name__)

CAMPAIGN_CODE_RE = re.compile(rf"^{PIXEL_CODE_PREFIX}[0-9A-Za-z]{{{PIXEL_CODE_LENGTH}}}$")
CLICK_PARAM = "lw_cid"
# Parameters a fire may carry for its conversion (first name found wins).
VALUE_PARAMS = ("value", "amount")
ORDER_PARAMS = ("orderId", "order_id")
CONVERSION_PARAMS = ("event", *VALUE_PARAMS, "currency", *ORDER_PARAMS)
VALUE_MAX = 500  # characters kept of one captured value
USER_AGENT_MAX = 1024
REFERRER_MAX = 2048
ERROR_MAX = 255


@dataclass
class FireInput:
    """What one fire request carried (query and body merged, the body winning)."""

    params: Mapping[str, Any]
    ip: str | None = None
    user_agent: str = ""
    referrer: str | None = None
    transport: str = "gif"  # gif | beacon


def _workspace_join(model: type) -> Any:
    return model.select(model, Workspace).join(Workspace)


def resolve(ref: str) -> tuple[Pixel | None, Campaign | None]:
    """The managed pixel or the campaign a public fire URL names (both None when unknown)."""
    if ids.is_valid("pixel", ref):
        return _workspace_join(Pixel).where(Pixel.public_id == ref).first(), None
    if CAMPAIGN_CODE_RE.match(ref or ""):
        return None, _workspace_join(Campaign).where(Campaign.pixel_code == ref).first()
    return None, None


def _scalar(value: Any) -> Any:
    """A captured value as stored: strings capped, numbers and booleans kept, the rest as
    compact JSON text (capped)."""
    if isinstance(value, (bool, int, float)) or value is None:
        return value
    if not isinstance(value, str):
        value = json.dumps(value, separators=(",", ":"), default=str)
    return value[:VALUE_MAX]


def _first(params: Mapping[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        value = params.get(name)
        if value is not None and value != "":
            return value
    return None


def captured(pixel: Pixel | None, params: Mapping[str, Any]) -> dict[str, Any]:
    """The values a fire records: the pixel's `captureParams`, or for a campaign code the
    conversion parameters present (event, value/amount, currency, orderId/order_id)."""
    names = pixel.capture_params if pixel is not None else CONVERSION_PARAMS
    return {name: _scalar(params[name]) for name in names or () if name in params}


def _error_text(exc: ApiError) -> str:
    if isinstance(exc, Invalid) and exc.fields:
        text = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    else:
        text = exc.message
    return f"{exc.code}: {text}"[:ERROR_MAX]


def _conversion_allowed(ip: str | None) -> bool:
    """Conversions through the public fire URLs are limited per IP like the public /s2s
    endpoint (the fire itself is not: it is an impression, like a redirect)."""
    allowed, _ = ratelimit.limiter().hit("pixel-conversion", f"ip:{ip or '-'}",
                                         conversions.S2S_RATE)
    return allowed


def _conversion_args(pixel: Pixel | None, campaign: Campaign | None, params: Mapping[str, Any],
                     click_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """conversions.record's arguments: the pixel's eventName (else the `event` parameter,
    else `conversion`), value/amount, currency and orderId/order_id when given."""
    event = (pixel.event_name if pixel is not None else None) or _first(params, ("event",))
    args: dict[str, Any] = {
        "click_id": click_id, "event": event if event is not None else "conversion",
        "source": "pixel",
        "pixel_public_id": pixel.public_id if pixel is not None else campaign.pixel_code,
    }
    value = _first(params, VALUE_PARAMS)
    if value is not None:  # text from a query string or form; numbers from a JSON body
        args["value"] = (conversions.parse_amount(value, "value") if isinstance(value, str)
                         else value)
    currency = _first(params, ("currency",))
    if currency is not None:
        args["currency"] = currency
    order_id = _first(params, ORDER_PARAMS)
    if order_id is not None:
        args["order_id"] = order_id
    if pixel is not None and values:
        args["metadata"] = values
    return args


def _convert(workspace: Workspace, pixel: Pixel | None, campaign: Campaign | None,
             inp: FireInput, click_id: str,
             values: dict[str, Any]) -> tuple[str | None, str | None]:
    """(conversion public id, None) or (None, why not). Never raises: a refused conversion
    (unknown click, duplicate order, bad amount) leaves the fire recorded."""
    if not ids.is_valid("click", click_id):
        return None, "VALIDATION_ERROR: lw_cid is not a click id"
    if not _conversion_allowed(inp.ip):
        return None, "RATE_LIMITED: too many conversions from this address"
    try:
        args = _conversion_args(pixel, campaign, inp.params, click_id, values)
        with database.atomic():  # a savepoint: a refused conversion leaves nothing behind
            conversion = conversions.record(workspace, **args)
    except ApiError as exc:
        return None, _error_text(exc)
    except Exception:  # a bug there must not lose the fire
        log.exception("conversion on pixel fire failed")
        return None, "INTERNAL_ERROR: the conversion could not be recorded"
    return conversion.public_id, None


def _count_human_fire(pixel: Pixel) -> bool:
    """Count one fire if the pixel is live and under its limit, in ONE statement: concurrent
    fires can never exceed `firesLimit`."""
    now = clock.now()
    updated = (Pixel.update(fires=Pixel.fires + 1, last_fired_at=now)
               .where(Pixel.id == pixel.id, Pixel.enabled == True,  # noqa: E712
                      Pixel.expires_at.is_null() | (Pixel.expires_at > now),
                      Pixel.fires_limit.is_null() | (Pixel.fires < Pixel.fires_limit))
               .execute())
    return updated == 1


def _visitor_columns(workspace: Workspace, inp: FireInput) -> dict[str, Any]:
    settings = current_app.config["LINKHUB"]
    columns: dict[str, Any] = {"ip_truncated": None, "ip_hash": None, "user_agent": None,
                               "referrer": None}
    if workspace.store_ip and inp.ip:
        secret = current_app.config["LINKHUB_SECRETS"]["hashing_key"].encode()
        columns["ip_truncated"] = (facts.anonymize_ip(inp.ip) if settings["ANONYMIZE_IP"]
                                   else inp.ip)
        columns["ip_hash"] = facts.ip_hash(inp.ip, secret)
    if workspace.store_user_agent and inp.user_agent:
        columns["user_agent"] = inp.user_agent[:USER_AGENT_MAX]
    if workspace.store_referrer and inp.referrer:
        columns["referrer"] = inp.referrer[:REFERRER_MAX]
    return columns


def fire(ref: str, inp: FireInput) -> PixelFire | None:
    """Record one fire of `ref` (a `px_` id or an `lw_px_` campaign code). Returns the fire, or
    None when nothing was recorded: unknown pixel, disabled, expired, over `firesLimit`, or an
    archived campaign. Bots are recorded (flagged) but never counted nor converted."""
    pixel, campaign = resolve(ref)
    if pixel is None and campaign is None:
        return None
    if campaign is not None and campaign.status == "archived":
        return None
    workspace = (pixel or campaign).workspace
    bot = bots.classify(inp.user_agent.strip()).bot
    values = captured(pixel, inp.params)
    raw_click = inp.params.get(CLICK_PARAM)
    click_id = raw_click.strip() if isinstance(raw_click, str) and raw_click.strip() else None
    with database.atomic("IMMEDIATE"):
        if pixel is not None:
            if bot:  # recorded while the pixel is live, never counted
                current = Pixel.get_or_none(Pixel.id == pixel.id)
                if current is None or status_of(current) != "active":
                    return None
            elif not _count_human_fire(pixel):
                return None
        row = PixelFire.create(
            workspace=workspace, pixel=pixel,
            campaign=campaign if campaign is not None else pixel.campaign_id,
            created_at=clock.now(), transport=inp.transport, params=values or None,
            click_public_id=click_id if ids.is_valid("click", click_id) else None, bot=bot,
            **_visitor_columns(workspace, inp))
        tracking = (pixel or campaign).conversion_tracking
        if click_id and tracking and not bot:
            conversion_id, error = _convert(workspace, pixel, campaign, inp, click_id, values)
            row.conversion_public_id, row.conversion_error = conversion_id, error
            PixelFire.update(conversion_public_id=conversion_id, conversion_error=error).where(
                PixelFire.id == row.id).execute()
    return row

"""The pixel form and its translation to the API's field names that services/pixels.py takes
(texts as typed: the service parses and checks them), plus the campaign and link choices."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from linkhub.dashboard.forms import CHOICE_ROWS, api_data, options
from linkhub.models import Link, Pixel, Workspace
from linkhub.services import campaigns

TEXTS = ("name", "description", "event_name", "expires_at", "campaign_id", "link_id")
LINK_CHOICES = 500  # the newest live links offered in the link picker


class PixelForm(FlaskForm):
    name = StringField("Name", [Length(max=1000)])
    description = TextAreaField("Description", [Length(max=20_000)])
    event_name = StringField("Event name", [Length(max=1000)])
    capture_params = StringField("Captured parameters", [Length(max=5000)])
    conversion_tracking = BooleanField("Record conversions")
    enabled = BooleanField("Enabled", default=True)
    expires_at = StringField("Expires at (UTC)", [Length(max=100)])
    fires_limit = StringField("Fire limit", [Length(max=20)])
    campaign_id = SelectField("Campaign", choices=[], validate_choice=False)
    link_id = SelectField("Link", choices=[], validate_choice=False)


def fill_choices(form: PixelForm, workspace: Workspace,
                 pixel: Pixel | None = None) -> PixelForm:
    """The workspace's campaigns and newest live links (plus the pixel's own link, if older)."""
    form.campaign_id.choices = options([("", "No campaign")] + [
        (c.public_id, c.name) for c in campaigns.list_campaigns(
            workspace, sort="name", order="asc", limit=CHOICE_ROWS.limit)[0]])
    rows = list(Link.select(Link.public_id, Link.short_code, Link.title)
                .where(Link.workspace == workspace, Link.deleted_at.is_null())
                .order_by(Link.created_at.desc(), Link.id.desc()).limit(LINK_CHOICES))
    if pixel is not None and pixel.link_id and all(r.public_id != pixel.link.public_id
                                                   for r in rows):
        rows.append(pixel.link)
    form.link_id.choices = options([("", "No link")] + [
        (r.public_id, f"/{r.short_code}" + (f" · {r.title}" if r.title else "")) for r in rows])
    return form


def _whole_number(raw: Any) -> Any:
    """"120" -> 120; anything else goes to the service as typed (it names the problem)."""
    text = (raw or "").strip()
    if not text:
        return None
    return int(text) if text.isdigit() and len(text) < 19 else text


def split_params(raw: str | None) -> list[str]:
    """Parameter names separated by commas, spaces or new lines."""
    return [part for part in re.split(r"[\s,]+", raw or "") if part]


def to_api(form: PixelForm) -> dict[str, Any]:
    data = api_data(form, TEXTS)
    data["captureParams"] = split_params(form.capture_params.data)
    data["conversionTracking"] = bool(form.conversion_tracking.data)
    data["enabled"] = bool(form.enabled.data)
    data["firesLimit"] = _whole_number(form.fires_limit.data)
    return data


def initial(pixel: Pixel) -> dict[str, Any]:
    """Form data showing a stored pixel."""
    return {
        "name": pixel.name, "description": pixel.description or "",
        "event_name": pixel.event_name or "",
        "capture_params": ", ".join(pixel.capture_params or []),
        "conversion_tracking": pixel.conversion_tracking, "enabled": pixel.enabled,
        "expires_at": pixel.expires_at.strftime("%Y-%m-%dT%H:%M") if pixel.expires_at else "",
        "fires_limit": str(pixel.fires_limit or ""),
        "campaign_id": pixel.campaign.public_id if pixel.campaign_id else "",
        "link_id": pixel.link.public_id if pixel.link_id else "",
    }

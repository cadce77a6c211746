"""Request and response models of /api/utm-templates. Types only; the rules (lengths) are in
services/utm_templates.py."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from linkhub.schemas import OutModel
from linkhub.schemas.links import StrictModel


def _utm(name: str) -> Any:
    snake = "utm_" + name[3:].lower()
    return Field(None, validation_alias=AliasChoices(name, snake),
                 description=f"Value of `{snake}` (at most 255 characters; alias `{snake}`).")


class UtmTemplateIn(StrictModel):
    utmSource: str | None = _utm("utmSource")
    utmMedium: str | None = _utm("utmMedium")
    utmCampaign: str | None = _utm("utmCampaign")
    utmTerm: str | None = _utm("utmTerm")
    utmContent: str | None = _utm("utmContent")
    ref: str | None = Field(None, description="Value of `ref` added to the destination.")


class UtmTemplateCreate(UtmTemplateIn):
    name: str = Field(description="1-100 characters.")


class UtmTemplateUpdate(UtmTemplateIn):
    """Send only what changes; null or "" clears a value."""

    name: str = Field(None, description="1-100 characters.")


class UtmTemplateOut(OutModel):
    id: str
    name: str
    utmSource: str | None
    utmMedium: str | None
    utmCampaign: str | None
    utmTerm: str | None
    utmContent: str | None
    ref: str | None
    linkCount: int = Field(description="Live links using the template.")
    createdAt: str
    updatedAt: str

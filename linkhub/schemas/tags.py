"""Request and response models of /api/tags. Types only; the rules (name length and
uniqueness, colours) are in services/tags.py."""

from __future__ import annotations

from pydantic import Field

from linkhub.schemas import OutModel
from linkhub.schemas.links import StrictModel

COLOR_HELP = ("`#rrggbb`, or a palette name: red, orange, amber, yellow, lime, green, teal, "
              "cyan, blue, indigo, violet, purple, pink, gray. null or \"\" for none.")


class TagCreate(StrictModel):
    name: str = Field(description="1-64 characters, unique in the workspace ignoring case.")
    color: str | None = Field(None, description=COLOR_HELP)


class TagUpdate(StrictModel):
    """Send only what changes."""

    name: str = Field(None, description="1-64 characters, unique in the workspace ignoring "
                      "case.")
    color: str | None = Field(None, description=COLOR_HELP)


class TagListQuery(StrictModel):
    search: str | None = Field(None, description="Part of the name.")


class TagOut(OutModel):
    id: str
    name: str
    color: str | None
    linkCount: int = Field(description="Live links carrying the tag.")
    createdAt: str
    updatedAt: str

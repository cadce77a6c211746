"""pydantic models of /api/metatags (a page's title, description, image and favicon); shapes
only, no rules."""

from __future__ import annotations

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel


class MetatagsQuery(ApiModel):
    url: str | None = Field(None, description="The http(s) page to read (required).")


class MetatagsOut(OutModel):
    url: str = Field(description="The page that was read (after at most 3 redirects).")
    title: str | None = Field(description="og:title, else twitter:title, else <title>.")
    description: str | None = Field(
        description="og:description, else twitter:description, else the description meta.")
    image: str | None = Field(description="og:image (or twitter:image), made absolute.")
    favicon: str | None = Field(description="The page's icon link, else /favicon.ico.")
    siteName: str | None = Field(description="og:site_name, else application-name.")
    truncated: bool = Field(description="The page was longer than 1 MB; only the start was "
                            "read.")

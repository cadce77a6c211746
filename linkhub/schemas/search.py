"""Request and response models of GET /api/search. Types only; services/search.py checks."""

from __future__ import annotations

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel


class SearchQuery(ApiModel):
    q: str | None = Field(None, description="The words to find (required; the last one may be "
                          "the start of a word). FTS syntax is not interpreted.")
    types: str | None = Field(None, description="Comma-separated: link, campaign, customer, "
                              "domain (default: every type the caller may read).")
    limit: str | None = Field(None, description="1-50, default 10.")


class SearchHitOut(OutModel):
    type: str = Field(description="link, campaign, customer or domain.")
    id: str
    title: str
    subtitle: str
    url: str = Field(description="The dashboard page of the hit.")


class SearchOut(OutModel):
    query: str
    types: list[str]
    hits: list[SearchHitOut] = Field(description="Best first (bm25).")

"""Rebrandly (API v1) as an import source: token check, links paged with the `last` cursor
(25 a page, newest first), a Rebrandly link as our link fields. HTTP goes through
import_providers.Client; no job or database work here. Rebrandly imports take an API key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

NAME, LABEL, SETTING = "rebrandly", "Rebrandly", "IMPORT_REBRANDLY_URL"
OAUTH = False
PAGE = 25
OPTIONS = {"domainId": "Import links of one Rebrandly domain only (its id)."}


def headers(token: str) -> dict[str, str]:
    return {"apikey": token}


def check_token(client: Any) -> None:
    client.get("/v1/account")


def _tags(raw: Any) -> list[str]:
    names = []
    for tag in raw or []:
        name = tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and name.strip():
            names.append(name)
    return names


def row(link: Mapping[str, Any]) -> dict[str, Any]:
    out = {"shortCode": link.get("slashtag"), "destinationUrl": link.get("destination"),
           "title": link.get("title"), "externalId": link.get("id"),
           "tags": _tags(link.get("tags"))}
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def pages(client: Any, options: Mapping[str, Any],
          cursor: Mapping[str, Any] | None) -> Iterator[tuple[list[dict], dict | None]]:
    last = (cursor or {}).get("last")
    while True:
        params: dict[str, Any] = {"limit": PAGE, "orderBy": "createdAt", "orderDir": "desc"}
        if last:
            params["last"] = last
        if options.get("domainId"):
            params["domain.id"] = options["domainId"]
        answer = client.get("/v1/links", params)
        if not isinstance(answer, list):
            client.failed("Rebrandly answered /v1/links with something other than a list")
        links = [link for link in answer if isinstance(link, dict)]
        if links:
            last = links[-1].get("id")
        done = len(answer) < PAGE or not last
        yield [row(link) for link in links], None if done else {"last": last}
        if done:
            return

"""Short.io as an import source: token check, the account's domains and their links paged with
`pageToken`/`nextPageToken`, a Short.io link as our link fields. HTTP goes through
import_providers.Client; no job or database work here. Short.io imports take an API key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

NAME, LABEL, SETTING = "shortio", "Short.io", "IMPORT_SHORTIO_URL"
OAUTH = False
PAGE = 150
OPTIONS = {"domainId": "Import one Short.io domain only (its numeric id; default: all)."}


def headers(token: str) -> dict[str, str]:
    return {"authorization": token}


def check_token(client: Any) -> None:
    client.get("/api/domains")


def row(link: Mapping[str, Any]) -> dict[str, Any]:
    out = {"shortCode": link.get("path"), "destinationUrl": link.get("originalURL"),
           "title": link.get("title"),
           "externalId": str(link.get("idString") or link.get("id") or "") or None,
           "tags": [t for t in link.get("tags") or [] if isinstance(t, str) and t.strip()]}
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def pages(client: Any, options: Mapping[str, Any],
          cursor: Mapping[str, Any] | None) -> Iterator[tuple[list[dict], dict | None]]:
    cursor = dict(cursor or {})
    domains = cursor.get("domains")
    if domains is None:
        if options.get("domainId"):
            domains = [str(options["domainId"])]
        else:
            answer = client.get("/api/domains")
            if not isinstance(answer, list):
                client.failed("Short.io answered /api/domains with something other than a list")
            domains = [str(d["id"]) for d in answer if isinstance(d, dict) and d.get("id")]
    index, token = cursor.get("domain", 0), cursor.get("pageToken")
    while index < len(domains):
        params: dict[str, Any] = {"domain_id": domains[index], "limit": PAGE}
        if token:
            params["pageToken"] = token
        answer = client.get("/api/links", params)
        links = answer.get("links") or [] if isinstance(answer, dict) else []
        token = answer.get("nextPageToken") if isinstance(answer, dict) else None
        if not token or not links:
            index, token = index + 1, None
        following = ({"domains": domains, "domain": index, "pageToken": token}
                     if index < len(domains) else None)
        yield [row(link) for link in links if isinstance(link, dict)], following

"""Bitly (API v4) as an import source: token check, the groups and their bitlinks paged with
`search_after`, a bitlink as our link fields, and the OAuth web flow (authorize URL, code ->
token). HTTP goes through import_providers.Client; no job or database work here."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qs, quote, urlencode

NAME, LABEL, SETTING = "bitly", "Bitly", "IMPORT_BITLY_URL"
OAUTH = True
AUTHORIZE_URL = "https://bitly.com/oauth/authorize"
PAGE = 100
OPTIONS = {"groupGuid": "Import one group only (default: every group of the account)."}


def headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def check_token(client: Any) -> None:
    client.get("/v4/user")


def row(link: Mapping[str, Any]) -> dict[str, Any]:
    """`bit.ly/3xYz` -> code `3xYz` (the back-half is what the short URL keeps)."""
    ident = str(link.get("id") or "")
    code = ident.split("/", 1)[1] if "/" in ident else ident
    out = {"shortCode": code, "destinationUrl": link.get("long_url"),
           "title": link.get("title"), "externalId": ident or None,
           "tags": [t for t in link.get("tags") or [] if isinstance(t, str)]}
    return {k: v for k, v in out.items() if v not in (None, "", [])}


def pages(client: Any, options: Mapping[str, Any],
          cursor: Mapping[str, Any] | None) -> Iterator[tuple[list[dict], dict | None]]:
    """(rows, cursor after them) per page; the last page's cursor is None."""
    cursor = dict(cursor or {})
    groups = cursor.get("groups")
    if groups is None:
        if options.get("groupGuid"):
            groups = [options["groupGuid"]]
        else:
            answer = client.get("/v4/groups")
            groups = [g["guid"] for g in answer.get("groups") or [] if g.get("guid")]
    index, after = cursor.get("group", 0), cursor.get("after")
    while index < len(groups):
        params: dict[str, Any] = {"size": PAGE}
        if after:
            params["search_after"] = after
        answer = client.get(f"/v4/groups/{quote(str(groups[index]), safe='')}/bitlinks", params)
        links = answer.get("links") or []
        after = (answer.get("pagination") or {}).get("search_after") or None
        if not links or not after:
            index, after = index + 1, None
        following = ({"groups": groups, "group": index, "after": after}
                     if index < len(groups) else None)
        yield [row(link) for link in links if isinstance(link, dict)], following


def authorize_url(client_id: str, redirect_uri: str, state: str) -> str:
    return AUTHORIZE_URL + "?" + urlencode({"client_id": client_id, "state": state,
                                            "redirect_uri": redirect_uri})


def exchange(client: Any, code: str, client_id: str, client_secret: str,
             redirect_uri: str) -> str:
    """The access token for an authorization code (Bitly answers JSON or a form body)."""
    body = client.post_form("/oauth/access_token", {
        "client_id": client_id, "client_secret": client_secret, "code": code,
        "redirect_uri": redirect_uri})
    text = body.decode("utf-8", "replace")
    try:
        token = json.loads(text).get("access_token")
    except (ValueError, AttributeError):
        token = (parse_qs(text).get("access_token") or [None])[0]
    if not token:
        client.rejected("Bitly did not return an access token for that authorization code")
    return token

"""A local HTTP server speaking the documented shapes of the three providers' APIs, under path
prefixes: /bitly (v4: /v4/user, /v4/groups, /v4/groups/{guid}/bitlinks with `search_after`,
POST /oauth/access_token), /rebrandly (/v1/account, /v1/links with `last`) and /shortio
(/api/domains, /api/links?domain_id= with `pageToken`/`nextPageToken`)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GOOD = "good-token"


def bitlinks(group: str, count: int) -> list[dict]:
    return [{"id": f"bit.ly/{group}x{n}", "link": f"https://bit.ly/{group}x{n}",
             "long_url": f"https://example.com/bitly/{group}/{n}", "title": f"Bitly {n}",
             "tags": ["bitly", f"g-{group}"] if n % 2 == 0 else [],
             "created_at": "2024-01-01T00:00:00+0000"} for n in range(count)]


class FakeProviders:
    def __init__(self, *, bitly: dict[str, int] | None = None, rebrandly: int = 60,
                 shortio: dict[int, int] | None = None):
        self.groups = {g: bitlinks(g, n) for g, n in (bitly or {"Ga1": 250, "Gb2": 5}).items()}
        self.rebrandly = [{"id": f"rbid{n:04d}", "slashtag": f"rb{n}", "title": f"Rebrandly {n}",
                           "destination": f"https://example.com/rebrandly/{n}",
                           "shortUrl": f"rebrand.ly/rb{n}", "domain": {"fullName": "rebrand.ly"}}
                          for n in range(rebrandly)]
        self.shortio = {d: [{"idString": f"lnk_{d}_{n}", "path": f"sh{d}-{n}",
                             "originalURL": f"https://example.com/shortio/{d}/{n}",
                             "title": f"Short {n}", "tags": ["shortio"],
                             "shortURL": f"https://s{d}.example/sh{d}-{n}"}
                            for n in range(count)]
                        for d, count in (shortio or {11: 160, 12: 3}).items()}
        self.tokens = {GOOD}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path?query, headers)
        self.revoke_after: int | None = None  # answer 401 once this many link pages were read
        self.pages_read = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output quiet
                return

            def do_GET(self):
                fake._handle(self, "GET")

            def do_POST(self):
                fake._handle(self, "POST")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    def seen(self, prefix: str) -> list[str]:
        return [path for _, path, _ in self.requests if path.startswith(prefix)]

    # --- dispatch -----------------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(handler.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        headers = {k.lower(): v for k, v in handler.headers.items()}
        length = int(headers.get("content-length") or 0)
        body = handler.rfile.read(length) if length else b""
        self.requests.append((method, handler.path, headers))
        provider, _, rest = parts.path.lstrip("/").partition("/")
        route = getattr(self, f"_{provider}", None)
        status, payload = (404, {"message": "NOT_FOUND"}) if route is None else \
            route(method, "/" + rest, query, headers, body)
        raw = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(raw)))
        handler.end_headers()
        handler.wfile.write(raw)

    def _token_ok(self, token: str | None) -> bool:
        if self.revoke_after is not None and self.pages_read >= self.revoke_after:
            return False
        return token in self.tokens

    def _bitly(self, method, path, query, headers, body):
        if method == "POST" and path == "/oauth/access_token":
            form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
            if form.get("code") == "good-code" and form.get("client_secret") == "shh":
                return 200, {"access_token": GOOD, "login": "fake"}
            return 400, {"status_code": 400, "status_txt": "INVALID_CODE"}
        token = headers.get("authorization", "").removeprefix("Bearer ")
        if not self._token_ok(token):
            return 403, {"message": "FORBIDDEN", "description": "You are currently forbidden"}
        if path == "/v4/user":
            return 200, {"login": "fake", "default_group_guid": "Ga1"}
        if path == "/v4/groups":
            return 200, {"groups": [{"guid": g, "name": g} for g in self.groups]}
        guid = path.removeprefix("/v4/groups/").removesuffix("/bitlinks")
        if guid not in self.groups:
            return 404, {"message": "NOT_FOUND"}
        size, links = int(query.get("size", 50)), self.groups[guid]
        start = int(query["search_after"]) if query.get("search_after") else 0
        page = links[start:start + size]
        self.pages_read += 1
        more = start + size < len(links)
        return 200, {"links": page, "pagination": {
            "search_after": str(start + size) if more else "", "size": size,
            "total": len(links), "next": ""}}

    def _rebrandly(self, method, path, query, headers, body):
        if not self._token_ok(headers.get("apikey")):
            return 401, {"code": "Unauthorized", "message": "Unauthorized"}
        if path == "/v1/account":
            return 200, {"id": "acct", "username": "fake"}
        if path != "/v1/links":
            return 404, {"message": "Not found"}
        limit, last = int(query.get("limit", 25)), query.get("last")
        ids = [link["id"] for link in self.rebrandly]
        start = ids.index(last) + 1 if last in ids else 0
        self.pages_read += 1
        return 200, self.rebrandly[start:start + min(limit, 25)]

    def _shortio(self, method, path, query, headers, body):
        if not self._token_ok(headers.get("authorization")):
            return 401, {"error": "Unauthorized", "message": "Unauthorized"}
        if path == "/api/domains":
            return 200, [{"id": d, "hostname": f"s{d}.example"} for d in self.shortio]
        if path != "/api/links":
            return 404, {"error": "Not found"}
        links = self.shortio.get(int(query.get("domain_id", 0)), [])
        limit = int(query.get("limit", 150))
        start = int(query.get("pageToken") or 0)
        self.pages_read += 1
        more = start + limit < len(links)
        return 200, {"count": len(links), "links": links[start:start + limit],
                     "nextPageToken": str(start + limit) if more else None}

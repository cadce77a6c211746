"""GET /api/metatags against a real local HTTP server: OG tags, relative images made absolute,
pages without a title, an endless body cut at the 1 MB cap, redirects (followed up to 3 hops,
each checked again by the guard: one to 127.0.0.1 is refused), private and link-local targets,
file: URLs, non-HTML answers, timeouts and the cache."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from linkhub.services import metatags, net_guard

OG_PAGE = b"""<!doctype html><html><head>
<meta charset="utf-8">
<title>Plain title</title>
<meta property="og:title" content="  The &amp; OG   title ">
<meta property="og:description" content="What the page is about.">
<meta property="og:image" content="/img/card.png">
<meta property="og:site_name" content="Example Shop">
<link rel="shortcut icon" href="icons/fav.png">
</head><body><meta property="og:title" content="ignored in body"></body></html>"""

PLAIN_PAGE = b"""<html><head><title>
  Only a   title </title><meta name="description" content="Plain description">
<meta name="twitter:image" content="https://cdn.example/t.jpg"></head><body>x</body></html>"""

NO_TITLE_PAGE = b"<html><head><meta name='x' content='y'></head><body>Hello</body></html>"

LATIN1_PAGE = ("<html><head><meta http-equiv='Content-Type' content='text/html; "
               "charset=iso-8859-1'><title>Caf\xe9</title></head></html>").encode("latin-1")


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
              headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802
        server = self.server
        server.hits[self.path] = server.hits.get(self.path, 0) + 1
        base = f"http://127.0.0.1:{server.server_port}"
        routes = {
            "/og": lambda: self._send(200, OG_PAGE),
            "/plain": lambda: self._send(200, PLAIN_PAGE),
            "/no-title": lambda: self._send(200, NO_TITLE_PAGE),
            "/latin1": lambda: self._send(200, LATIN1_PAGE, "text/html"),
            "/image.png": lambda: self._send(200, b"\x89PNG\r\n", "image/png"),
            "/missing": lambda: self._send(404, b"<title>Not found</title>"),
            "/to-og": lambda: self._send(302, headers={"Location": "/og"}),
            "/to-local": lambda: self._send(302, headers={"Location": f"{base}/og"}),
            "/to-file": lambda: self._send(302, headers={"Location": "file:///etc/passwd"}),
            "/hop1": lambda: self._send(301, headers={"Location": "/hop2"}),
            "/hop2": lambda: self._send(302, headers={"Location": "/hop3"}),
            "/hop3": lambda: self._send(307, headers={"Location": "/hop4"}),
            "/hop4": lambda: self._send(308, headers={"Location": "/og"}),
            "/huge": self._huge,
            "/hang": self._hang,
        }
        routes.get(self.path, lambda: self._send(404))()

    def _huge(self):
        """A 1 GB page, sent until the reader hangs up."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(1 << 30))
        self.end_headers()
        head = b"<html><head><title>Huge</title></head><body>"
        self.wfile.write(head)
        sent = len(head)
        chunk = b"x" * 65_536
        try:
            while sent < (1 << 30):
                self.wfile.write(chunk)
                sent += len(chunk)
        except OSError:
            pass
        finally:
            self.server.huge_sent = sent
            self.server.huge_done.set()

    def _hang(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<html><head>")
        self.wfile.flush()
        self.server.release.wait(30)


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.hits = {}
    server.huge_done = threading.Event()
    server.huge_sent = 0
    server.release = threading.Event()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def settings_overrides():
    return {"METATAGS_ALLOW_PRIVATE": True}


@pytest.fixture(autouse=True)
def _fresh_cache():
    metatags.clear_cache()
    yield
    metatags.clear_cache()


def get(client, persona, url: str):
    return client.get("/api/metatags", query_string={"url": url}, headers=persona.headers)


def refused(response, fragment: str) -> None:
    assert response.status_code == 400, response.get_json()
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR"
    detail = body["error"]["details"][0]
    assert detail["field"] == "url"
    assert fragment in detail["message"], detail["message"]


def test_og_tags_are_read_and_made_absolute(client, alice, site):
    response = get(client, alice, f"{site.url}/og")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data == {
        "title": "The & OG title", "description": "What the page is about.",
        "image": f"{site.url}/img/card.png", "favicon": f"{site.url}/icons/fav.png",
        "siteName": "Example Shop", "url": f"{site.url}/og", "truncated": False,
    }


def test_plain_page_falls_back_to_title_description_and_twitter_image(client, alice, site):
    data = get(client, alice, f"{site.url}/plain").get_json()["data"]
    assert data["title"] == "Only a title"
    assert data["description"] == "Plain description"
    assert data["image"] == "https://cdn.example/t.jpg"
    assert data["favicon"] == f"{site.url}/favicon.ico"
    assert data["siteName"] is None


def test_page_without_a_title(client, alice, site):
    data = get(client, alice, f"{site.url}/no-title").get_json()["data"]
    assert data["title"] is None and data["description"] is None and data["image"] is None


def test_charset_from_the_page(client, alice, site):
    assert get(client, alice, f"{site.url}/latin1").get_json()["data"]["title"] == "Café"


def test_endless_body_is_cut_at_the_cap(client, alice, site):
    response = get(client, alice, f"{site.url}/huge")
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["title"] == "Huge" and data["truncated"] is True
    assert site.huge_done.wait(30), "the reader never hung up"
    # what was written before the hang-up: the 1 MB cap plus socket buffers, never the 1 GB
    assert site.huge_sent < 64 * 1024 * 1024


def test_redirects_are_followed(client, alice, site):
    data = get(client, alice, f"{site.url}/to-og").get_json()["data"]
    assert data["url"] == f"{site.url}/og" and data["siteName"] == "Example Shop"


def test_more_than_three_redirects_are_refused(client, alice, site):
    refused(get(client, alice, f"{site.url}/hop1"), "more than 3")


def test_redirect_to_a_file_url_is_refused(client, alice, site):
    refused(get(client, alice, f"{site.url}/to-file"), "not http(s)")


def test_redirect_to_loopback_is_refused_when_private_is_off(client, alice, site, app,
                                                             monkeypatch):
    """The first hop stands in for a public site (the guard lets it through); the redirect's
    target, 127.0.0.1, goes through the real guard with private targets refused."""
    app.config["LINKHUB"]["METATAGS_ALLOW_PRIVATE"] = False
    real_fetch, calls = net_guard.fetch, []

    def first_hop_public(method, url, **kw):
        calls.append((url, kw["allow_private"]))
        if len(calls) == 1:
            kw["allow_private"] = True
        return real_fetch(method, url, **kw)

    monkeypatch.setattr(net_guard, "fetch", first_hop_public)
    refused(get(client, alice, f"{site.url}/to-local"), "private")
    assert calls == [(f"{site.url}/to-local", False), (f"{site.url}/og", False)]
    assert site.hits.get("/og") is None


@pytest.mark.parametrize("url", ["http://127.0.0.1:{port}/og", "http://169.254.169.254/",
                                 "http://[::1]:{port}/og", "http://10.0.0.1/"])
def test_private_targets_are_refused_by_default(client, alice, site, app, url):
    app.config["LINKHUB"]["METATAGS_ALLOW_PRIVATE"] = False
    refused(get(client, alice, url.format(port=site.server_port)), "private")
    assert site.hits == {}


@pytest.mark.parametrize("url, fragment", [
    ("file:///etc/passwd", "http"), ("ftp://example.com/x", "http"),
    ("javascript:alert(1)", "http"), ("http://user:pw@example.com/", "credentials"),
    ("", "required"), ("http:///nohost", "host"), ("http://example.com:99999/", "valid"),
    ("https://example.com/" + "a" * 2100, "2048"),
])
def test_bad_urls_are_refused(client, alice, url, fragment):
    refused(get(client, alice, url), fragment)


def test_missing_url_parameter(client, alice):
    response = client.get("/api/metatags", headers=alice.headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"][0]["field"] == "url"


def test_non_html_and_error_pages_are_refused(client, alice, site):
    refused(get(client, alice, f"{site.url}/image.png"), "not an HTML page")
    refused(get(client, alice, f"{site.url}/missing"), "HTTP 404")


def test_a_page_that_hangs_times_out(client, alice, site, monkeypatch):
    monkeypatch.setattr(metatags, "TOTAL_TIMEOUT", 0.5)
    refused(get(client, alice, f"{site.url}/hang"), "timed out")


def test_results_are_cached(client, alice, site):
    first = get(client, alice, f"{site.url}/og").get_json()["data"]
    second = get(client, alice, f"{site.url}/og").get_json()["data"]
    assert first == second and site.hits["/og"] == 1
    metatags.clear_cache()
    get(client, alice, f"{site.url}/og")
    assert site.hits["/og"] == 2


def test_needs_credentials_and_links_read(client, app, alice, site):
    assert client.get("/api/metatags", query_string={"url": site.url}).status_code == 401
    from linkhub.services.api_keys import create_api_key

    with app.app_context():
        _, raw = create_api_key(alice.workspace, alice.user, "analytics only",
                                ["analytics:read"])
    response = client.get("/api/metatags", query_string={"url": f"{site.url}/og"},
                          headers={"X-API-Key": raw})
    assert response.status_code == 403 and site.hits == {}


def test_fetches_are_rate_limited_per_caller(client, alice, site, monkeypatch):
    monkeypatch.setattr(metatags, "RATE", "2/minute")
    assert get(client, alice, f"{site.url}/og").status_code == 200
    assert get(client, alice, f"{site.url}/plain").status_code == 200
    response = get(client, alice, f"{site.url}/no-title")
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "RATE_LIMITED"

"""services/domains and services/domain_verification: host lookups for the redirect layer,
the DNS probe (resolver replaced) and the HTTP probe against real local servers."""

from __future__ import annotations

import http.server
import threading

import dns.resolver
import pytest

from linkhub.models import Domain
from linkhub.services import domain_verification as dv
from linkhub.services import domains


@pytest.fixture
def settings_overrides():
    return {"BASE_URL": "https://lnk.example.org"}


@pytest.fixture
def domain(ctx, alice):
    return domains.create_domain(alice.workspace, alice.user, {"name": "go.example.com"})


# --- lookups ------------------------------------------------------------------------------------

def test_lookup_host_returns_verified_domains_only(domain):
    assert domains.lookup_host("go.example.com") is None
    Domain.update(verified=True).where(Domain.id == domain.id).execute()
    for host in ("go.example.com", "GO.Example.com", "go.example.com:8080", "go.example.com."):
        found = domains.lookup_host(host)
        assert found is not None and found.id == domain.id, host
    for host in ("", "other.example.com", "lnk.example.org", "[::1]:80", "example.com"):
        assert domains.lookup_host(host) is None, host


def test_domain_for_token(domain):
    token = domain.verification_token
    assert domains.domain_for_token("go.example.com", token).id == domain.id
    assert domains.domain_for_token("go.example.com:80", token).id == domain.id
    assert domains.domain_for_token("go.example.com", token + "x") is None
    assert domains.domain_for_token("go.example.com", "") is None
    assert domains.domain_for_token("lnk.example.org", token) is None


def test_validate_name(ctx):
    assert domains.validate_name(" Links.Example.COM. ") == "links.example.com"
    assert domains.validate_name("mañana.example") == "xn--maana-pta.example"
    with pytest.raises(domains.Invalid):
        domains.validate_name("lnk.example.org")


# --- DNS probe ----------------------------------------------------------------------------------

def test_dns_check_uses_the_resolver(monkeypatch):
    seen = []

    def fake(name):
        seen.append(name)
        return ["something else", "linkhub-verification=tok123"]

    monkeypatch.setattr(dv, "resolve_txt", fake)
    dv.dns_check("go.example.com", "tok123")
    assert seen == ["_linkhub.go.example.com"]
    with pytest.raises(dv.CheckFailed, match="no TXT record"):
        dv.dns_check("go.example.com", "other")


def test_resolve_txt_maps_missing_records_and_errors(monkeypatch):
    def nxdomain(self, name, rdtype):
        raise dns.resolver.NXDOMAIN()

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", nxdomain)
    assert dv.resolve_txt("_linkhub.go.example.com") == []

    def timeout(self, name, rdtype):
        raise dns.resolver.LifetimeTimeout(timeout=3.0, errors={})

    monkeypatch.setattr(dns.resolver.Resolver, "resolve", timeout)
    with pytest.raises(dv.CheckFailed, match="timed out"):
        dv.resolve_txt("_linkhub.go.example.com")


def test_check_falls_back_to_http(monkeypatch):
    monkeypatch.setattr(dv, "resolve_txt", lambda name: [])
    calls = []
    monkeypatch.setattr(dv, "http_check", lambda domain, token: calls.append((domain, token)))
    assert dv.check("go.example.com", "tok") == (True, None)
    assert calls == [("go.example.com", "tok")]


# --- HTTP probe ---------------------------------------------------------------------------------

def test_http_check_against_the_live_server(domain, live_server):
    address = ("127.0.0.1", live_server.effective_port)
    with pytest.raises(dv.CheckFailed, match="HTTP 404"):
        dv.http_check("go.example.com", "wrong-token", connect_address=address)
    with pytest.raises(dv.CheckFailed, match="HTTP 404"):
        dv.http_check("other.example.com", domain.verification_token,
                      connect_address=address)
    # last, so the server has finished the earlier answers before the fixture stops it
    dv.http_check("go.example.com", domain.verification_token, connect_address=address)


class _Server:
    """A one-purpose local HTTP server answering every GET with a fixed response."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None):
        outer = self
        self.hosts: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                outer.hosts.append(self.headers.get("Host"))
                self.send_response(status)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return ("127.0.0.1", self.httpd.server_address[1])

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


def test_http_check_sends_the_domain_as_host():
    server = _Server(200, b"tok-abc\n")
    with server as address:
        dv.http_check("go.example.com", "tok-abc", connect_address=address)
    assert server.hosts == ["go.example.com"]


def test_http_check_does_not_follow_redirects():
    with _Server(302, b"", {"Location": "http://elsewhere.example/"}) as address:
        with pytest.raises(dv.CheckFailed, match="HTTP 302"):
            dv.http_check("go.example.com", "tok", connect_address=address)


def test_http_check_caps_the_body():
    with _Server(200, b"tok" + b"x" * 50_000) as address:
        with pytest.raises(dv.CheckFailed, match="did not answer"):
            dv.http_check("go.example.com", "tok", connect_address=address)


def test_http_check_connection_refused():
    with _Server(200, b"") as address:
        pass  # closed again: nothing listens on the port now
    with pytest.raises(dv.CheckFailed, match="failed"):
        dv.http_check("go.example.com", "tok", connect_address=address)

"""Custom domains on the redirect path: a verified domain (Host header) serves its own codes,
an unverified one nothing but its verification file, host names match whatever their case,
case-insensitive domains fold codes, and the domain's notFoundUrl / expiredUrl / rootUrl."""

from __future__ import annotations

import pytest

from linkhub import clock
from linkhub.models import Domain
from tests.redirect.redirect_support import (
    clicks,
    flush,
    make_domain,
    make_link,
    orphans,
    visit,
)

GO = "go.example.com"


@pytest.fixture
def settings_overrides():
    return {"BASE_URL": "https://lnk.example.org"}


@pytest.fixture
def domain(client, alice, monkeypatch):
    return make_domain(client, alice, GO, monkeypatch=monkeypatch,
                       notFoundUrl="https://example.com/404",
                       expiredUrl="https://example.com/expired",
                       rootUrl="https://example.com/home")


def test_verified_domain_serves_its_own_codes(client, app, alice, domain):
    on_domain = make_link(client, alice, shortCode="promo", domain=GO,
                          destinationUrl="https://example.com/domain")
    make_link(client, alice, shortCode="promo", destinationUrl="https://example.com/default")
    response = visit(client, "/promo", headers={"Host": GO})
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/domain"
    default = visit(client, "/promo", headers={"Host": "lnk.example.org"})
    assert default.headers["Location"] == "https://example.com/default"
    flush(app)
    assert len(clicks(on_domain["id"])) == 1


def test_host_names_match_whatever_their_case_and_port(client, alice, domain):
    make_link(client, alice, shortCode="promo", domain=GO)
    for host in ("GO.EXAMPLE.COM", "Go.Example.Com:8443", "go.example.com."):
        assert visit(client, "/promo", headers={"Host": host}).status_code == 302, host


def test_domain_codes_do_not_leak_to_the_default_domain(client, app, alice, domain):
    make_link(client, alice, shortCode="only-here", domain=GO)
    response = visit(client, "/only-here", headers={"Host": "lnk.example.org"})
    assert response.status_code == 404
    flush(app)
    [orphan] = orphans()
    assert orphan.domain_id is None and orphan.reason == "unknown"


def test_unknown_code_on_a_domain_goes_to_its_not_found_url(client, app, alice, domain):
    response = visit(client, "/nope", headers={"Host": GO})
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/404"
    flush(app)
    [orphan] = orphans()
    assert orphan.host == GO and orphan.reason == "unknown"
    assert orphan.domain_id == Domain.get(Domain.name == GO).id
    assert orphan.workspace_id == alice.workspace.id  # the domain's workspace


def test_expired_link_on_a_domain_uses_the_domain_expired_url(client, alice, domain):
    clock.freeze(clock.parse_iso("2030-01-01T00:00:00Z"))
    make_link(client, alice, shortCode="old", domain=GO, expiresAt="2030-01-02T00:00:00Z")
    clock.freeze(clock.parse_iso("2030-01-03T00:00:00Z"))
    response = visit(client, "/old", headers={"Host": GO})
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/expired"


def test_bare_domain_goes_to_its_root_url(client, domain):
    response = visit(client, "/", headers={"Host": GO})
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/home"


def test_bare_domain_without_root_url_goes_to_the_dashboard(client, alice, monkeypatch):
    make_domain(client, alice, "plain.example.com", monkeypatch=monkeypatch)
    response = visit(client, "/", headers={"Host": "plain.example.com"})
    assert response.status_code == 302
    assert response.headers["Location"] == "https://lnk.example.org/app/"


def test_unverified_domain_serves_only_its_verification_file(client, app, alice):
    data = make_domain(client, alice, "new.example.com", verified=False,
                       rootUrl="https://example.com/home",
                       notFoundUrl="https://example.com/404")
    token = Domain.get(Domain.public_id == data["id"]).verification_token
    host = {"Host": "new.example.com"}
    found = visit(client, f"/.well-known/linkhub-verification/{token}", headers=host)
    assert found.status_code == 200 and found.data.decode() == token
    Domain.update(verified=True).where(Domain.public_id == data["id"]).execute()
    make_link(client, alice, shortCode="early", domain="new.example.com")
    Domain.update(verified=False).where(Domain.public_id == data["id"]).execute()
    app.extensions["linkhub.link_cache"].clear()
    for path in ("/early", "/anything", "/"):
        response = visit(client, path, headers=host)
        assert response.status_code == 404, path
        assert b"Link not found" in response.data
    flush(app)
    assert clicks() == [] and orphans() == []


def test_case_insensitive_domain_folds_codes(client, app, alice, monkeypatch):
    make_domain(client, alice, "ci.example.com", monkeypatch=monkeypatch, caseSensitive=False)
    link = make_link(client, alice, shortCode="Promo", domain="ci.example.com")
    for code in ("Promo", "promo", "PROMO"):
        response = visit(client, f"/{code}", headers={"Host": "ci.example.com"})
        assert response.status_code == 302, code
    flush(app)
    assert len(clicks(link["id"])) == 3


def test_case_sensitive_domain_keeps_codes_apart(client, alice, domain):
    make_link(client, alice, shortCode="Promo", domain=GO)
    assert visit(client, "/Promo", headers={"Host": GO}).status_code == 302
    assert visit(client, "/promo", headers={"Host": GO}).status_code == 302  # notFoundUrl
    assert visit(client, "/promo", headers={"Host": GO}).headers["Location"] == \
        "https://example.com/404"


def test_domain_changes_apply_to_the_next_redirect(client, alice, domain):
    response = client.patch(f"/api/domains/{domain['id']}", headers=alice.headers,
                            json={"notFoundUrl": "https://example.com/elsewhere"})
    assert response.status_code == 200, response.get_json()
    assert visit(client, "/nope", headers={"Host": GO}).headers["Location"] == \
        "https://example.com/elsewhere"


def test_a_new_domain_is_seen_at_once(client, alice, monkeypatch):
    assert visit(client, "/", headers={"Host": "later.example.com"}).headers["Location"] == \
        "/app/"  # unknown host: the default domain
    make_domain(client, alice, "later.example.com", monkeypatch=monkeypatch,
                rootUrl="https://example.com/later")
    assert visit(client, "/", headers={"Host": "later.example.com"}).headers["Location"] == \
        "https://example.com/later"

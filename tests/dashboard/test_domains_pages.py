"""Dashboard domain pages: list with verified badges, add, the detail page with the
verification instructions and the Verify button, settings (fallbacks, case sensitivity,
app-link JSON) and delete, for each role, plus a browser test."""

from __future__ import annotations

import json

import pytest

from linkhub.models import Domain
from linkhub.services import domain_verification, domains
from tests.conftest import db_snapshot
from tests.dashboard.test_links_pages import (  # noqa: F401 (viewer is a fixture)
    Signed,
    browser_login,
    make_link,
    nav,
    text,
    viewer,
)


def add(workspace, name="go.example.org", verified=False):
    domain = domains.create_domain(workspace, None, {"name": name})
    if verified:
        Domain.update(verified=True).where(Domain.id == domain.id).execute()
    return Domain.get_by_id(domain.id)


def test_add_a_domain_and_see_the_instructions(app, alice):
    me = Signed(app, alice.email)
    assert "No custom domains yet" in text(me.get("/app/domains"))
    response = me.post("/app/domains", name="Go.Example.ORG")
    assert response.status_code == 302
    domain = Domain.get(Domain.name == "go.example.org")
    page = text(me.get(response.headers["Location"]))
    assert "_linkhub.go.example.org" in page
    assert f"linkhub-verification={domain.verification_token}" in page
    assert f"http://go.example.org/.well-known/linkhub-verification/" \
           f"{domain.verification_token}" in page
    assert "pending verification" in text(me.get("/app/domains"))


def test_add_errors(app, ctx, alice):
    add(alice.workspace)
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    response = me.post("/app/domains", name="https://bad/path")
    assert response.status_code == 400 and 'id="name-error"' in text(response)
    response = me.post("/app/domains", name="go.example.org")
    assert response.status_code == 409 and "already registered" in text(response)
    assert db_snapshot(app) == before


def test_verify_button_shows_the_result(app, ctx, alice, monkeypatch):
    domain = add(alice.workspace)
    me = Signed(app, alice.email)
    monkeypatch.setattr(domain_verification, "check",
                        lambda name, token: (False, "no TXT record at _linkhub.go"))
    response = me.post(f"/app/domains/{domain.public_id}/verify")
    assert response.status_code == 302
    page = text(me.get(f"/app/domains/{domain.public_id}"))
    assert "Not verified yet: no TXT record at _linkhub.go" in page
    monkeypatch.setattr(domain_verification, "check", lambda name, token: (True, None))
    me.post(f"/app/domains/{domain.public_id}/verify")
    page = text(me.get(f"/app/domains/{domain.public_id}"))
    assert "is verified" in page and "Verify now" not in page
    assert Domain.get_by_id(domain.id).verified
    assert "✓ verified" in text(me.get("/app/domains"))


def test_settings_and_app_link_json(app, ctx, alice):
    domain = add(alice.workspace)
    me = Signed(app, alice.email)
    path = f"/app/domains/{domain.public_id}"
    aasa = {"applinks": {"details": []}}
    response = me.post(path, root_url="https://example.com", not_found_url="",
                       expired_url="https://example.com/expired",
                       apple_app_site_association=json.dumps(aasa), asset_links="")
    assert response.status_code == 302
    domain = Domain.get_by_id(domain.id)
    assert domain.root_url == "https://example.com" and not domain.case_sensitive
    assert domain.apple_app_site_association == aasa
    before = db_snapshot(app)
    response = me.post(path, apple_app_site_association="{nope", case_sensitive="y")
    assert response.status_code == 400 and "Is not valid JSON" in text(response)
    response = me.post(path, asset_links='{"not": "a list"}', case_sensitive="y")
    assert response.status_code == 400 and "Must be a JSON array" in text(response)
    response = me.post(path, root_url="ftp://x", case_sensitive="y")
    assert response.status_code == 400 and 'id="root_url-error"' in text(response)
    assert db_snapshot(app) == before


def test_case_sensitivity_is_locked_by_links_and_delete_refused(app, ctx, alice):
    domain = add(alice.workspace, verified=True)
    make_link(alice.workspace, shortCode="branded", domainId=domain.public_id)
    me = Signed(app, alice.email)
    response = me.post(f"/app/domains/{domain.public_id}")  # unchecked box: case-blind
    assert response.status_code == 409 and "cannot change while the domain has links" in \
        text(response)
    response = me.post(f"/app/domains/{domain.public_id}/delete")
    assert response.status_code == 409 and "still has 1 link(s)" in text(response)
    assert Domain.get_or_none(Domain.id == domain.id) is not None


def test_delete_a_domain(app, ctx, alice):
    domain = add(alice.workspace)
    me = Signed(app, alice.email)
    assert "Remove this domain?" in text(me.get(f"/app/domains/{domain.public_id}/delete"))
    assert me.post(f"/app/domains/{domain.public_id}/delete").status_code == 302
    assert Domain.get_or_none(Domain.id == domain.id) is None


@pytest.mark.usefixtures("viewer")
def test_viewer_reads_domains_only(app, ctx, alice):
    domain = add(alice.workspace)
    vic = Signed(app, "vic@example.com")
    assert "Add a domain" not in text(vic.get("/app/domains"))
    page = text(vic.get(f"/app/domains/{domain.public_id}"))
    assert "_linkhub.go.example.org" in page and "Verify now" not in page
    before = db_snapshot(app)
    for path in ("/app/domains", f"/app/domains/{domain.public_id}",
                 f"/app/domains/{domain.public_id}/verify",
                 f"/app/domains/{domain.public_id}/delete"):
        assert vic.post(path, name="x.example.org").status_code == 403, path
    assert db_snapshot(app) == before


def test_csrf_and_other_workspaces(app, ctx, alice, charlie):
    theirs = add(charlie.workspace, "their.example.org")
    me = Signed(app, alice.email)
    before = db_snapshot(app)
    assert me.client.post("/app/domains", data={"name": "a.example.org"}).status_code == 400
    assert me.get(f"/app/domains/{theirs.public_id}").status_code == 404
    assert me.post(f"/app/domains/{theirs.public_id}/delete").status_code == 404
    assert db_snapshot(app) == before


@pytest.mark.browser
def test_browser_add_a_domain(page, alice):
    browser_login(page, alice.email)
    nav(page, "Domains")
    page.get_by_label("Domain name").fill("links.example.net")
    page.get_by_role("button", name="Add domain").click()
    page.wait_for_url("**/app/domains/dom_*")
    assert page.get_by_role("heading", name="links.example.net").is_visible()
    assert page.locator("#txt-name").inner_text() == "_linkhub.links.example.net"
    token = Domain.get(Domain.name == "links.example.net").verification_token
    assert page.locator("#txt-value").inner_text() == f"linkhub-verification={token}"
    assert token in page.locator("#http-url").inner_text()
    assert page.get_by_role("button", name="Verify now").is_visible()
    page.screenshot(path="/tmp/shots/domain.png", full_page=True)
    nav(page, "Domains")
    assert page.locator("tr", has_text="links.example.net").get_by_text(
        "pending verification").is_visible()
    page.screenshot(path="/tmp/shots/domains.png", full_page=True)

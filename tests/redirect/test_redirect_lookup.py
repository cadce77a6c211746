"""Step 1 of the redirect: finding the link. Default and unknown hosts, reserved first segments
(read from the URL map), code characters, orphan visits with their reason for unknown,
disabled, archived and deleted codes, and the bare domain."""

from __future__ import annotations

import pytest

from linkhub.models import OrphanVisit
from tests.redirect.redirect_support import (
    CHROME,
    GOOGLEBOT,
    clicks,
    flush,
    make_link,
    orphans,
    patch_link,
    visit,
)


@pytest.fixture
def settings_overrides():
    return {"BASE_URL": "https://lnk.example.org"}


def test_default_host_serves_its_codes(client, app, alice):
    link = make_link(client, alice, shortCode="promo")
    response = visit(client, "/promo", base_url="https://lnk.example.org")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/landing"
    assert response.data == b""
    flush(app)
    [click] = clicks(link["id"])
    assert click.destination_url == "https://example.com/landing" and not click.bot


@pytest.mark.parametrize("host", ["localhost", "LNK.example.ORG", "lnk.example.org:443",
                                  "lnk.example.org.", "unknown.example.net", "10.0.0.7:8080"])
def test_any_unknown_host_falls_back_to_the_default_domain(client, alice, host):
    make_link(client, alice, shortCode="promo")
    response = visit(client, "/promo", headers={"Host": host})
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/landing"


def test_codes_are_case_sensitive_on_the_default_domain(client, app, alice):
    make_link(client, alice, shortCode="Promo", destinationUrl="https://example.com/upper")
    make_link(client, alice, shortCode="promo", destinationUrl="https://example.com/lower")
    assert visit(client, "/Promo").headers["Location"] == "https://example.com/upper"
    assert visit(client, "/promo").headers["Location"] == "https://example.com/lower"
    assert visit(client, "/PROMO").status_code == 404


def test_every_routed_first_segment_is_reserved(client, app):
    middleware = app.extensions["linkhub.redirect"]
    segments = {rule.rule.lstrip("/").split("/", 1)[0] for rule in app.url_map.iter_rules()}
    segments = {s for s in segments if s and "<" not in s}
    assert {"api", "app", "health", "robots.txt", "static"} <= segments
    assert segments <= middleware.reserved
    for segment in sorted(segments):
        response = client.get("/" + segment)
        response.close()  # static files stream from an open file
        # Flask answered: the redirect layer never labels its pages for Flask routes.
        assert response.headers.get("X-Robots-Tag") != "noindex", segment
    flush(app)
    assert orphans() == []  # none of them was looked up as a short code


def test_reserved_routes_still_work(client):
    assert client.get("/health").get_json()["status"] == "ok"
    assert client.get("/robots.txt").data == b"User-agent: *\nDisallow: /\n"
    assert client.get("/api/links").status_code == 401  # the API, not an orphan page


@pytest.mark.parametrize("path", ["/a%20b", "/.hidden", "/caf%C3%A9", "/" + "x" * 65,
                                  "/a!b", "/a%0a"])
def test_invalid_code_characters_are_orphans(client, app, path):
    response = visit(client, path)
    assert response.status_code == 404
    assert b"Link not found" in response.data
    assert response.headers["Cache-Control"] == "private, no-store"
    flush(app)
    [orphan] = orphans()
    assert orphan.reason == "unknown" and orphan.workspace_id is None


def test_unknown_code_records_an_orphan_visit(client, app):
    response = visit(client, "/nothing-here?x=1", headers={"Referer": "https://ref.example/a"},
                     environ_base={"REMOTE_ADDR": "203.0.113.77"})
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"Link not found" in response.data
    assert orphans() == []  # buffered, not written by the request
    flush(app)
    [orphan] = orphans()
    assert (orphan.reason, orphan.path, orphan.host) == ("unknown", "/nothing-here", "localhost")
    assert orphan.referrer == "https://ref.example/a" and orphan.user_agent == CHROME
    assert orphan.ip_truncated == "203.0.113.0" and orphan.bot is False
    assert orphan.domain_id is None and orphan.workspace_id is None


def test_orphan_visits_flag_bots_and_skip_head(client, app):
    visit(client, "/missing", ua=GOOGLEBOT)
    visit(client, "/missing", method="HEAD")
    flush(app)
    [orphan] = orphans()
    assert orphan.bot is True


@pytest.mark.parametrize("change, reason", [({"enabled": False}, "disabled"),
                                            ("archive", "archived"), ("delete", "deleted")])
def test_dead_links_are_orphans_with_their_reason(client, app, alice, change, reason):
    link = make_link(client, alice, shortCode="gone")
    assert visit(client, "/gone").status_code == 302
    if change == "archive":
        assert client.post(f"/api/links/{link['id']}/archive",
                           headers=alice.headers).status_code == 200
    elif change == "delete":
        assert client.delete(f"/api/links/{link['id']}", headers=alice.headers).status_code == 200
    else:
        patch_link(client, alice, link["id"], **change)
    response = visit(client, "/gone")
    assert response.status_code == 404 and b"Link not found" in response.data
    flush(app)
    [orphan] = orphans()
    assert orphan.reason == reason
    assert orphan.workspace_id == alice.workspace.id
    assert len(clicks(link["id"])) == 1  # only the visit before the change


def test_a_deleted_code_taken_again_is_no_orphan(client, app, alice):
    old = make_link(client, alice, shortCode="reuse", destinationUrl="https://old.example/")
    client.delete(f"/api/links/{old['id']}", headers=alice.headers)
    assert visit(client, "/reuse").status_code == 404
    make_link(client, alice, shortCode="reuse", destinationUrl="https://new.example/")
    assert visit(client, "/reuse").headers["Location"] == "https://new.example/"
    flush(app)
    assert [o.reason for o in orphans()] == ["deleted"]


def test_bare_default_domain_goes_to_the_dashboard(client, app):
    for method in ("GET", "HEAD"):
        response = visit(client, "/", method=method)
        assert response.status_code == 302
        assert response.headers["Location"] == "/app/"
        assert response.headers["Cache-Control"] == "private, no-store"
    flush(app)
    assert OrphanVisit.select().count() == 0


def test_paths_with_more_segments_fall_through_to_flask(client, app, alice):
    make_link(client, alice, shortCode="promo")
    response = client.get("/promo/extra")
    assert response.status_code == 404
    assert response.headers.get("X-Robots-Tag") != "noindex"
    flush(app)
    assert orphans() == [] and clicks() == []


def test_other_methods_fall_through_to_flask(client, alice):
    make_link(client, alice, shortCode="promo")
    assert client.put("/promo").status_code in (404, 405)
    assert client.delete("/promo").status_code in (404, 405)

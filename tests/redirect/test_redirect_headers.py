"""Steps 10-11 of the redirect: response headers, robots.txt, HEAD answered like GET and never
recorded, bots stored with bot=True but left out of clicks, uniqueClicks and limits, and
link-preview agents shown the Open Graph page instead of the redirect."""

from __future__ import annotations

import re

import pytest

from tests.redirect.redirect_support import (
    CHROME,
    GOOGLEBOT,
    UA,
    clicks,
    flush,
    link_row,
    make_link,
    rollup,
    visit,
)

PREVIEWS = ["slackbot-linkexpanding", "facebookexternalhit", "whatsapp", "twitterbot"]


@pytest.fixture
def link(client, alice):
    return make_link(client, alice, shortCode="h")


@pytest.mark.parametrize("path", ["/h", "/missing", "/"])
def test_every_answer_is_private_noindex_and_has_a_request_id(client, link, path):
    response = visit(client, path)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-Id"])
    again = visit(client, path)
    assert again.headers["X-Request-Id"] != response.headers["X-Request-Id"]


def test_a_valid_incoming_request_id_is_echoed(client, link):
    response = visit(client, "/h", headers={"X-Request-Id": "edge-42.a:b"})
    assert response.headers["X-Request-Id"] == "edge-42.a:b"
    bad = visit(client, "/h", headers={"X-Request-Id": "no spaces <allowed>"})
    assert bad.headers["X-Request-Id"] != "no spaces <allowed>"


def test_robots_txt_disallows_everything(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.data.decode().splitlines() == ["User-agent: *", "Disallow: /"]


def test_head_is_answered_like_get_and_never_recorded(client, app, link):
    get = visit(client, "/h")
    head = visit(client, "/h", method="HEAD")
    assert head.status_code == get.status_code == 302
    assert head.headers["Location"] == get.headers["Location"]
    assert head.data == b""
    assert "lh_vid" not in (head.headers.get("Set-Cookie") or "")
    missing = visit(client, "/missing", method="HEAD")
    assert missing.status_code == 404 and missing.data == b""
    assert int(missing.headers["Content-Length"]) > 0  # the GET body's length
    flush(app)
    assert [c.method for c in clicks(link["id"])] == ["GET"]
    assert link_row(link["id"]).clicks == 1


@pytest.mark.parametrize("agent", ["googlebot", "bingbot", "curl", "python-requests"])
def test_bots_are_stored_flagged_and_not_counted(client, app, link, agent):
    response = visit(client, "/h", ua=UA[agent])
    assert response.status_code == 302  # bots are redirected too
    assert "lh_vid" not in (response.headers.get("Set-Cookie") or "")
    flush(app)
    [row] = clicks(link["id"])
    assert row.bot is True and row.is_crawler is True and row.is_unique is False
    fresh = link_row(link["id"])
    assert (fresh.clicks, fresh.unique_clicks, fresh.bot_clicks) == (0, 0, 1)
    assert rollup(link["id"], "total", "all") == (0, 0, 1)


def test_empty_user_agent_is_a_bot(client, app, link):
    visit(client, "/h", ua="")
    flush(app)
    assert clicks(link["id"])[0].bot is True


def test_known_mix_of_humans_and_bots(client, app, link):
    for agent in ("chrome-windows", "iphone-safari", "googlebot", "curl", "pixel-chrome"):
        visit(client, "/h", ua=UA[agent])
    flush(app)
    fresh = link_row(link["id"])
    assert (fresh.clicks, fresh.bot_clicks) == (3, 2)
    assert fresh.unique_clicks == 1  # one cookie jar: one visitor
    assert rollup(link["id"], "device", "bot") == (0, 0, 2)
    assert rollup(link["id"], "device", "mobile") == (2, 0, 0)


@pytest.mark.parametrize("agent", PREVIEWS)
def test_preview_agents_get_the_og_page(client, app, alice, agent):
    link = make_link(client, alice, shortCode="og", destinationUrl="https://example.com/x",
                     ogTitle="Spring <Sale>", ogDescription="50% off",
                     ogImage="https://cdn.example.com/card.png")
    response = visit(client, "/og", ua=UA[agent], base_url="https://lnk.example.org")
    assert response.status_code == 200 and "Location" not in response.headers
    body = response.data.decode()
    assert '<meta property="og:title" content="Spring &lt;Sale&gt;">' in body
    assert '<meta property="og:description" content="50% off">' in body
    assert '<meta property="og:image" content="https://cdn.example.com/card.png">' in body
    assert '<meta property="og:url" content="https://lnk.example.org/og">' in body
    flush(app)
    [row] = clicks(link["id"])
    assert row.bot is True and row.is_preview is True
    assert link_row(link["id"]).clicks == 0


def test_preview_agents_are_redirected_without_og_fields(client, link):
    response = visit(client, "/h", ua=UA["slackbot-linkexpanding"])
    assert response.status_code == 302


def test_people_never_see_the_og_page(client, alice):
    make_link(client, alice, shortCode="og", ogTitle="Card")
    assert visit(client, "/og", ua=CHROME).status_code == 302


def test_bots_do_not_use_up_a_click_limit(client, app, alice):
    link = make_link(client, alice, shortCode="lim", clicksLimit=1)
    for _ in range(5):
        assert visit(client, "/lim", ua=GOOGLEBOT).status_code == 302
    assert visit(client, "/lim").status_code == 302
    assert visit(client, "/lim").status_code == 410
    flush(app)
    fresh = link_row(link["id"])
    assert (fresh.clicks, fresh.bot_clicks) == (1, 5)

"""Step 2 of the redirect: expiry and click limits. Passed `expiresAt` or `clicksLimit` reached
-> 302 to the link's expiredUrl, else the domain's, else a 410 page; bots and HEAD never count;
the limit holds exactly under 10,000 concurrent requests."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from linkhub import clock
from tests.redirect.redirect_support import (
    CHROME,
    GOOGLEBOT,
    clicks,
    flush,
    link_row,
    make_link,
    patch_link,
    visit,
)

START = "2030-06-01T12:00:00Z"


@pytest.fixture
def frozen():
    clock.freeze(clock.parse_iso(START))
    yield
    clock.reset()


def test_expired_link_answers_410_without_expired_url(client, app, alice, frozen):
    link = make_link(client, alice, shortCode="soon", expiresAt="2030-06-01T13:00:00Z")
    assert visit(client, "/soon").status_code == 302
    clock.advance(timedelta(minutes=59, seconds=59))
    assert visit(client, "/soon").status_code == 302
    clock.advance(timedelta(seconds=1))  # expiresAt itself is past
    response = visit(client, "/soon")
    assert response.status_code == 410
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert b"expired" in response.data and b"example.com" not in response.data
    assert response.headers["Cache-Control"] == "private, no-store"
    flush(app)
    assert len(clicks(link["id"])) == 2  # the expired visit is no click


def test_expired_link_goes_to_its_expired_url(client, alice, frozen):
    make_link(client, alice, shortCode="soon", expiresAt="2030-06-02T00:00:00Z",
              expiredUrl="https://example.com/too-late")
    clock.advance(timedelta(days=2))
    response = visit(client, "/soon")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/too-late"


def test_moving_expiry_later_revives_the_link_at_once(client, alice, frozen):
    link = make_link(client, alice, shortCode="soon", expiresAt="2030-06-01T12:30:00Z")
    clock.advance(timedelta(hours=1))
    assert visit(client, "/soon").status_code == 410
    patch_link(client, alice, link["id"], expiresAt="2030-06-03T00:00:00Z")
    assert visit(client, "/soon").status_code == 302


def test_click_limit_counts_human_clicks_only(client, app, alice):
    link = make_link(client, alice, shortCode="few", clicksLimit=2)
    assert visit(client, "/few", ua=GOOGLEBOT).status_code == 302  # bots pass, never count
    assert visit(client, "/few", method="HEAD").status_code == 302  # HEAD never counts
    assert visit(client, "/few?lh_notrack=1").status_code == 302  # cannot dodge the limit
    assert visit(client, "/few").status_code == 302
    assert visit(client, "/few").status_code == 410
    assert visit(client, "/few", ua=GOOGLEBOT).status_code == 410
    assert visit(client, "/few", method="HEAD").status_code == 410
    flush(app)
    row = link_row(link["id"])
    assert (row.clicks, row.bot_clicks) == (2, 1)
    assert sorted(c.bot for c in clicks(link["id"])) == [False, False, True]


def test_click_limit_goes_to_expired_url(client, alice):
    make_link(client, alice, shortCode="once", clicksLimit=1,
              expiredUrl="https://example.com/sold-out")
    assert visit(client, "/once").headers["Location"] == "https://example.com/landing"
    response = visit(client, "/once")
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/sold-out"


def test_limit_counts_clicks_already_on_disk(client, app, alice):
    link = make_link(client, alice, shortCode="few", clicksLimit=3)
    visit(client, "/few")
    visit(client, "/few")
    flush(app)
    app.extensions["linkhub.link_cache"].clear()  # reloaded: 2 stored clicks
    assert visit(client, "/few").status_code == 302
    assert visit(client, "/few").status_code == 410
    flush(app)
    assert link_row(link["id"]).clicks == 3


def test_limit_counts_clicks_served_while_the_limit_was_off(client, app, alice):
    link = make_link(client, alice, shortCode="few", clicksLimit=5)
    for _ in range(2):
        visit(client, "/few")
    patch_link(client, alice, link["id"], clicksLimit=None)
    for _ in range(3):
        assert visit(client, "/few").status_code == 302
    patch_link(client, alice, link["id"], clicksLimit=6)  # 5 served so far, one left
    assert visit(client, "/few").status_code == 302
    assert visit(client, "/few").status_code == 410
    flush(app)
    assert link_row(link["id"]).clicks == 6


def test_raising_the_limit_reopens_the_link(client, alice):
    link = make_link(client, alice, shortCode="few", clicksLimit=1)
    visit(client, "/few")
    assert visit(client, "/few").status_code == 410
    patch_link(client, alice, link["id"], clicksLimit=2)
    assert visit(client, "/few").status_code == 302
    assert visit(client, "/few").status_code == 410


def test_limit_is_exact_when_a_flush_races_the_reload(client, app, alice, monkeypatch):
    """The stored counter and the writer's settled count are read at one consistent moment,
    even when a flush commits while the link is being loaded."""
    link = make_link(client, alice, shortCode="few", clicksLimit=4)
    visit(client, "/few")
    visit(client, "/few")
    app.extensions["linkhub.link_cache"].clear()
    from linkhub.redirect import resolve

    real = resolve.load_link_row
    raced = []

    def flush_during_load(*key):
        found = real(*key)
        if not raced:
            raced.append(flush(app))  # commits the 2 clicks after the link row was read
        return found

    monkeypatch.setattr(resolve, "load_link_row", flush_during_load)
    assert visit(client, "/few").status_code == 302
    assert raced == [2]
    assert visit(client, "/few").status_code == 302
    assert visit(client, "/few").status_code == 410
    flush(app)
    assert link_row(link["id"]).clicks == 4


def test_ten_thousand_concurrent_redirects_respect_a_limit_of_100(app, alice, live_server,
                                                                  client):
    """10,000 requests from 32 keep-alive connections against the live server: exactly 100
    humans get the destination, everyone else the 410 page; 100 rows after the flush."""
    link = make_link(client, alice, shortCode="drop", clicksLimit=100,
                     destinationUrl="https://example.com/drop")
    total, workers = 10_000, 32
    address = urlsplit(live_server.url)
    statuses: Counter = Counter()
    lock = threading.Lock()
    deadline = time.monotonic() + 120

    def run(count: int) -> None:
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        seen: Counter = Counter()
        try:
            for _ in range(count):
                if time.monotonic() > deadline:
                    break
                connection.request("GET", "/drop", headers={"User-Agent": CHROME})
                response = connection.getresponse()
                response.read()
                key = (response.status, response.getheader("Location"))
                seen[key] += 1
        finally:
            connection.close()
            with lock:
                statuses.update(seen)

    started = time.monotonic()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(run, [total // workers + (1 if i < total % workers else 0)
                            for i in range(workers)]))
    elapsed = time.monotonic() - started
    assert sum(statuses.values()) == total, f"only {sum(statuses.values())} in {elapsed:.1f}s"
    assert statuses[(302, "https://example.com/drop")] == 100
    assert statuses[(410, None)] == total - 100
    flush(app)
    assert len(clicks(link["id"])) == 100
    assert link_row(link["id"]).clicks == 100
    print(f"\n10,000 concurrent redirects in {elapsed:.1f}s")

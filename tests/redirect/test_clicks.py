"""The click buffer and writer: bounded, drop-and-count, one transaction per flush with raw
clicks, unique visitors, counters and rollups; nothing lost on failure or at stop; limit counts
checked and taken in one step; and the pipeline behind real redirects (drops shown on /health,
exact counters and rollups for a known mix of traffic, the shutdown flush)."""

from __future__ import annotations

from datetime import datetime

import pytest

from linkhub import clock, ids
from linkhub.models import (
    Click,
    ClickRollup,
    Link,
    LinkVisitor,
    OrphanVisit,
    Workspace,
    WorkspaceRollup,
)
from linkhub.redirect.clicks import ClickBuffer, ClickEvent, ClickWriter
from linkhub.redirect.describe import Describer
from linkhub.redirect.facts import CLICK_COLUMNS, VisitorFacts, visitor_cookie_value
from tests.redirect.redirect_support import CHROME, UA
from tests.redirect.redirect_support import make_link as api_link
from tests.redirect.redirect_support import rollup as summed
from tests.redirect.useragents import AGENTS


def make_link(workspace, code="abc") -> Link:
    return Link.create(public_id=ids.new_id("link"), workspace=workspace, short_code=code,
                       code_key=code, domain_key=0, destination_url="https://example.com/")


def event(link, *, at=datetime(2026, 3, 1, 10, 15), bot=False, visitor="v1",
          country="US", trigger="link") -> ClickEvent:
    return ClickEvent(click_id=ids.new_id("click"), link_id=link.id,
                      workspace_id=link.workspace_id, created_at=at, bot=bot,
                      visitor_id=visitor, trigger=trigger, snapshot={"country": country})


def describe(e: ClickEvent) -> dict:
    return {"country": e.snapshot.get("country"), "device_type": "mobile", "os": "ios",
            "browser": "Mobile Safari", "referrer_domain": None}


@pytest.fixture
def link(ctx, alice):
    return make_link(alice.workspace)


def test_flush_writes_rows_counters_uniques_and_rollups(link):
    buf = ClickBuffer(100)
    writer = ClickWriter(buf, describe)
    for e in (event(link), event(link), event(link, visitor="v2", country="DE"),
              event(link, bot=True, visitor="bot"), event(link, at=datetime(2026, 3, 1, 11, 5),
                                                          trigger="qr", visitor="v3")):
        assert buf.offer(e)
    assert buf.pending_humans(link.id) == 4
    assert writer.flush() == 5
    assert buf.pending_humans(link.id) == 0 and len(buf) == 0
    fresh = Link.get_by_id(link.id)
    assert (fresh.clicks, fresh.unique_clicks, fresh.bot_clicks) == (4, 3, 1)
    assert fresh.last_clicked_at == datetime(2026, 3, 1, 11, 5)
    assert Click.select().count() == 5
    assert Click.select().where(Click.is_unique).count() == 3
    assert LinkVisitor.select().count() == 3

    def rollup(dimension, value, hour=10):
        rows = ClickRollup.select().where(ClickRollup.link == link.id,
                                          ClickRollup.matches(dimension, value),
                                          ClickRollup.hour == datetime(2026, 3, 1, hour))
        assert rows.count() > 0
        return tuple(sum(getattr(row, name) for row in rows)
                     for name in ("clicks", "unique_clicks", "bot_clicks"))

    assert rollup("total", "all") == (3, 2, 1)
    assert rollup("total", "all", hour=11) == (1, 1, 0)
    assert rollup("country", "US") == (2, 1, 1)
    assert rollup("country", "DE") == (1, 1, 0)
    assert rollup("trigger", "qr", hour=11) == (1, 1, 0)
    assert rollup("referrer", "direct") == (3, 2, 1)
    assert rollup("rule", "default") == (3, 2, 1)


def test_second_flush_adds_to_rollups_and_keeps_uniques(link):
    buf = ClickBuffer(100)
    writer = ClickWriter(buf, describe)
    buf.offer(event(link))
    writer.flush()
    buf.offer(event(link))
    buf.offer(event(link, visitor="new"))
    writer.flush()
    fresh = Link.get_by_id(link.id)
    assert (fresh.clicks, fresh.unique_clicks) == (3, 2)
    total = ClickRollup.get()  # same visitor facts and hour: one combination, one row
    assert (total.clicks, total.unique_clicks) == (3, 2)


def test_the_first_human_click_of_a_new_visitor_is_the_unique_one(link, alice):
    other = make_link(alice.workspace, "other")
    buf = ClickBuffer(100)
    writer = ClickWriter(buf, describe)
    batch = [event(link, bot=True, visitor="v1", at=datetime(2026, 3, 1, 10, 1)),
             event(link, visitor="v1", at=datetime(2026, 3, 1, 10, 2)),
             event(link, visitor="v1", at=datetime(2026, 3, 1, 10, 3)),
             event(other, visitor="v1", at=datetime(2026, 3, 1, 10, 4)),
             event(link, visitor="", at=datetime(2026, 3, 1, 10, 5)),
             event(link, visitor="", at=datetime(2026, 3, 1, 10, 6))]
    for e in batch:
        buf.offer(e)
    writer.flush()
    unique = {row.public_id: row.is_unique for row in Click.select()}
    assert [unique[e.click_id] for e in batch] == [False, True, False, True, False, False]
    seen = {(row.link_id, row.visitor_id): row.first_seen_at for row in LinkVisitor.select()}
    assert seen == {(link.id, "v1"): datetime(2026, 3, 1, 10, 2),
                    (other.id, "v1"): datetime(2026, 3, 1, 10, 4)}
    buf.offer(event(link, visitor="v1"))  # a later batch: already seen on this link
    writer.flush()
    assert Link.get_by_id(link.id).unique_clicks == 1
    assert Click.select().where(Click.is_unique).count() == 2


def test_full_buffer_drops_and_counts_never_blocks(link):
    buf = ClickBuffer(2)
    assert buf.offer(event(link)) and buf.offer(event(link))
    assert not buf.offer(event(link))
    assert buf.stats() == {"buffered": 2, "dropped": 1, "accepted": 2}


def test_click_id_resolvable_until_flushed(link):
    buf = ClickBuffer(10)
    writer = ClickWriter(buf, describe)
    e = event(link)
    buf.offer(e)
    assert buf.find(e.click_id) is e
    writer.flush()
    assert buf.find(e.click_id) is None
    assert Click.get(Click.public_id == e.click_id).link_id == link.id


def test_failed_flush_requeues_and_loses_nothing(link):
    buf = ClickBuffer(10)
    calls = {"n": 0}

    def flaky(e):
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("disk on fire")
        return describe(e)

    writer = ClickWriter(buf, flaky)
    e = event(link)
    buf.offer(e)
    assert writer.flush() == 0
    assert writer.failures == 1 and len(buf) == 1 and buf.find(e.click_id) is e
    assert Click.select().count() == 0
    assert writer.flush() == 1
    assert Click.select().count() == 1 and Link.get_by_id(link.id).clicks == 1


def test_side_effects_get_the_flushed_batch(link):
    buf = ClickBuffer(10)
    writer = ClickWriter(buf, describe)
    seen = []
    writer.side_effects.append(lambda rows: seen.extend(r["public_id"] for r in rows))
    writer.side_effects.append(lambda rows: 1 / 0)  # a failing effect harms nothing
    e = event(link)
    buf.offer(e)
    writer.flush()
    assert seen == [e.click_id]


def test_prepare_describes_between_flushes_and_the_bound_still_holds(link):
    buf = ClickBuffer(3)
    writer = ClickWriter(buf, describe)
    first, second = event(link), event(link, visitor="v2")
    assert buf.offer(first) and buf.offer(second)
    assert writer.prepare() == 2 and writer.pending() == 2
    assert Click.select().count() == 0  # described, not written
    assert buf.find(first.click_id) is first  # still resolvable
    assert buf.offer(event(link, visitor="v3"))
    assert not buf.offer(event(link, visitor="v4"))  # held events count toward the bound
    assert buf.stats() == {"buffered": 3, "dropped": 1, "accepted": 3}
    assert writer.flush() == 3 and writer.pending() == 0
    assert buf.find(first.click_id) is None and Link.get_by_id(link.id).clicks == 3
    assert buf.offer(event(link, visitor="v5"))  # room again once written


def test_privacy_switches_apply_at_flush_time_even_to_described_clicks(app, client, alice):
    api_link(client, alice, shortCode="priv")
    writer = app.extensions["linkhub.clicks"].writer
    with app.test_client() as visitor:
        _visit(visitor, "/priv", ua=CHROME, headers={"Referer": "https://news.example/a"},
               environ_base={"REMOTE_ADDR": "81.2.69.142"})
    assert writer.prepare() == 1  # described while every switch is on
    Workspace.update(store_ip=False, store_user_agent=False, store_referrer=False).where(
        Workspace.id == alice.workspace.id).execute()
    assert writer.flush() == 1
    row = Click.get()
    assert (row.ip_truncated, row.ip_hash, row.user_agent, row.referrer) == (None,) * 4
    assert row.referrer_domain == "news.example" and row.browser == "chrome"


def test_thread_flushes_and_stop_drains(link):
    buf = ClickBuffer(1000)
    writer = ClickWriter(buf, describe, interval=0.05)
    writer.start()
    for i in range(50):
        buf.offer(event(link, visitor=f"v{i}", at=clock.now()))
    writer.stop()
    assert Click.select().count() == 50
    assert Link.get_by_id(link.id).unique_clicks == 50


def test_retention_job_deletes_old_raw_clicks_and_keeps_rollups(link):
    from datetime import timedelta

    from linkhub import jobs
    from linkhub.models import Workspace

    buf = ClickBuffer(10)
    writer = ClickWriter(buf, describe)
    now = clock.now()
    buf.offer(event(link, at=now - timedelta(days=40), visitor="old"))
    buf.offer(event(link, at=now - timedelta(days=5), visitor="recent"))
    writer.flush()
    assert jobs.by_name("purge-clicks").func() == {"clicks": 0}  # no retention set: keep all
    Workspace.update(click_retention_days=30).where(Workspace.id == link.workspace_id).execute()
    assert jobs.by_name("purge-clicks").func() == {"clicks": 1}
    assert [c.visitor_id for c in Click.select()] == ["recent"]
    assert sum(r.clicks for r in ClickRollup.select()) == 2


def test_limit_check_and_count_are_one_step(link):
    buf = ClickBuffer(100)
    limit = (3, 5)  # 3 clicks stored elsewhere, limit 5
    assert buf.offer(event(link), limit) is True
    assert buf.offer(event(link, bot=True), limit) is True  # bots never count
    assert buf.offer(event(link), limit) is True
    assert buf.offer(event(link), limit) is None  # refused, nothing queued
    assert buf.humans_offered(link.id) == 2 and len(buf) == 3


def test_a_dropped_human_click_still_counts_toward_the_limit(link):
    buf = ClickBuffer(1)
    assert buf.offer(event(link), (0, 2)) is True
    assert buf.offer(event(link), (0, 2)) is False  # full: dropped, but it was served
    assert buf.offer(event(link), (0, 2)) is None
    assert buf.stats()["dropped"] == 1


def test_settled_counts_move_only_with_a_commit(link):
    buf = ClickBuffer(10)
    writer = ClickWriter(buf, describe)
    buf.offer(event(link))
    seq = buf.seq
    writer.flush()
    assert buf.humans_settled(link.id) == 1 and buf.seq == seq + 2 and seq % 2 == 0


# --- the pipeline behind real redirects -------------------------------------------------------

@pytest.fixture
def settings_overrides():
    return {"CLICK_BUFFER_SIZE": 5}


def _visit(client, path, ua=None, headers=None, **kwargs):
    return client.get(path, headers={"User-Agent": ua or CHROME, **(headers or {})}, **kwargs)


def test_full_buffer_drops_and_health_shows_it(app, client, alice):
    api_link(client, alice, shortCode="full")
    for _ in range(7):
        assert _visit(client, "/full").status_code == 302  # never blocks, never fails
    health = client.get("/health").get_json()
    assert health["clicks"] == {"buffered": 5, "dropped": 2, "accepted": 5}
    assert app.extensions["linkhub.clicks"].writer.flush() == 5
    assert client.get("/health").get_json()["clicks"]["buffered"] == 0


def test_counters_and_rollups_are_exact_for_a_known_mix(app, client, alice):
    data = api_link(client, alice, shortCode="mix")
    rule_data = client.post("/api/rules", headers=alice.headers, json={
        "name": "iOS", "linkId": data["id"], "destinationUrl": "https://example.com/ios",
        "conditions": [{"field": "os", "operator": "equals", "value": "ios"}]}).get_json()
    rule_id = rule_data["data"]["id"]
    writer = app.extensions["linkhub.clicks"].writer
    traffic = [  # (user agent, address, query, referrer)
        ("iphone-safari", "8.8.8.8", "", "https://news.example/a"),
        ("iphone-safari", "8.8.8.8", "?qr=1", None),  # same visitor again
        ("pixel-chrome", "5.9.0.1", "", "https://www.news.example/b"),
        ("chrome-windows", "81.2.69.142", "?utm_source=mail", None),
        ("googlebot", "66.249.66.1", "", None),
        ("curl", "5.9.0.1", "", None),
    ]
    for index, (agent, ip, query, referrer) in enumerate(traffic):
        with app.test_client() as visitor:  # one cookie jar each: visitor = ip + agent
            headers = {"Referer": referrer} if referrer else {}
            _visit(visitor, "/mix" + query, ua=UA[agent], headers=headers,
                   environ_base={"REMOTE_ADDR": ip})
        if index in (1, 4):
            writer.flush()  # counters must add up across flushes too
    writer.flush()
    fresh = Link.get(Link.public_id == data["id"])
    assert (fresh.clicks, fresh.unique_clicks, fresh.bot_clicks) == (4, 3, 2)
    assert Click.select().count() == 6
    assert summed(data["id"], "total", "all") == (4, 3, 2)
    assert summed(data["id"], "rule", rule_id) == (2, 1, 0)
    assert summed(data["id"], "rule", "default") == (2, 2, 2)
    assert summed(data["id"], "country", "US") == (2, 1, 1)
    assert summed(data["id"], "country", "DE") == (1, 1, 1)
    assert summed(data["id"], "country", "GB") == (1, 1, 0)
    assert summed(data["id"], "device", "mobile") == (3, 2, 0)
    assert summed(data["id"], "device", "bot") == (0, 0, 2)
    assert summed(data["id"], "referrer", "news.example") == (2, 2, 0)
    assert summed(data["id"], "referrer", "direct") == (2, 1, 2)
    assert summed(data["id"], "trigger", "qr") == (1, 0, 0)
    assert summed(data["id"], "os", "ios") == (2, 1, 0)
    assert Click.get(Click.trigger == "qr").utm_source is None
    assert Click.get(Click.utm_source == "mail").browser == "chrome"
    # a second link of the workspace: the workspace rollups are the sum of both links'
    api_link(client, alice, shortCode="mix2")
    with app.test_client() as visitor:
        _visit(visitor, "/mix2", ua=UA["iphone-safari"], environ_base={"REMOTE_ADDR": "8.8.8.8"})
    writer.flush()
    per_link: dict[tuple, list[int]] = {}
    for row in ClickRollup.select():
        for dimension in ("total", *ClickRollup.DIMENSIONS):
            value = "all" if dimension == "total" else getattr(row, dimension)
            sums = per_link.setdefault((row.workspace_id, row.hour, dimension, value), [0, 0, 0])
            for index, count in enumerate((row.clicks, row.unique_clicks, row.bot_clicks)):
                sums[index] += count
    workspace_rows = {(r.workspace_id, r.hour, r.dimension, r.value):
                      [r.clicks, r.unique_clicks, r.bot_clicks]
                      for r in WorkspaceRollup.select()}
    assert workspace_rows == per_link
    totals = [sum(counts[i] for key, counts in workspace_rows.items()
                  if key[0] == alice.workspace.id and key[2:] == ("total", "all"))
              for i in range(3)]
    assert totals == [5, 4, 2]


def test_writer_stop_flushes_what_is_buffered(app, client, alice):
    api_link(client, alice, shortCode="bye")
    _visit(client, "/bye")
    _visit(client, "/nope")
    app.extensions["linkhub.clicks"].writer.stop()  # what `linkhub serve` runs at shutdown
    assert Click.select().count() == 1 and OrphanVisit.select().count() == 1


def test_writer_thread_with_the_app(app, client, alice):
    api_link(client, alice, shortCode="bg")
    writer = app.extensions["linkhub.clicks"].writer
    writer.interval = 0.02
    writer.start()
    try:
        for _ in range(3):
            _visit(client, "/bg")
    finally:
        writer.stop()
    assert Click.select().count() == 3


def test_orphans_of_deleted_codes_are_told_apart(ctx, alice):
    buf = ClickBuffer(10)
    writer = ClickWriter(buf, describe)
    gone = make_link(alice.workspace, code="gone")
    gone.deleted_at = clock.now()
    gone.save()
    base = {"workspace": None, "domain": None, "host": "h", "created_at": clock.now(),
            "reason": "unknown"}
    buf.offer_orphan({**base, "path": "/gone", "_key": (0, "gone")})
    buf.offer_orphan({**base, "path": "/never", "_key": (0, "never")})
    writer.flush()
    reasons = {o.path: (o.reason, o.workspace_id) for o in OrphanVisit.select()}
    assert reasons == {"/gone": ("deleted", alice.workspace.id), "/never": ("unknown", None)}


# --- the writer's visitor columns equal VisitorFacts.for_click --------------------------------

SECRET = b"k" * 32


def _event_for(environ, ip, privacy=(True, True, True)):
    facts = VisitorFacts(environ, client_ip=ip, now=datetime(2026, 3, 1, 10), secret=SECRET)
    return ClickEvent(click_id="clk_x", link_id=1, workspace_id=1,
                      created_at=datetime(2026, 3, 1, 10), snapshot=facts.snapshot(),
                      privacy=privacy)


def _for_click(event, settings):
    facts = VisitorFacts.from_snapshot(event.snapshot, secret=SECRET, settings=settings)
    return {CLICK_COLUMNS[k]: v for k, v in facts.for_click(*event.privacy).items()}


@pytest.mark.parametrize("agent", AGENTS, ids=lambda a: a.name)
def test_describer_matches_for_click_for_every_agent(agent):
    environ = {"HTTP_USER_AGENT": agent.ua, "REQUEST_METHOD": "GET",
               "HTTP_ACCEPT_LANGUAGE": "es-MX,es;q=0.9,en;q=0.5",
               "HTTP_REFERER": "https://www.news.example/a?b=1",
               "QUERY_STRING": "utm_source=mail&utm_source=twice&utm_term=" + "x" * 300}
    event = _event_for(environ, "81.2.69.142")
    assert Describer(SECRET, {})(event) == _for_click(event, {})


@pytest.mark.parametrize("environ, ip, privacy, settings", [
    ({}, "8.8.8.8", (True, True, True), {}),
    ({"REQUEST_METHOD": "HEAD", "HTTP_USER_AGENT": "  curl/8  "}, "2001:db8::1",
     (False, True, True), {}),
    ({"HTTP_USER_AGENT": "Mozilla/5.0", "HTTP_COOKIE": "a=1; lh_vid=" + visitor_cookie_value(
        "0123456789abcdef0123456789abcdef", SECRET)}, "10.0.0.1", (True, False, False), {}),
    ({"HTTP_USER_AGENT": "Mozilla/5.0", "HTTP_COOKIE": "lh_vid=" + "0" * 32 + "." + "f" * 16,
      "HTTP_REFERER": "not a url", "HTTP_ACCEPT_LANGUAGE": "*;q=0.5, xx-invalid-tag-here"},
     "not-an-ip", (True, True, True), {"ANONYMIZE_IP": False}),
    ({"HTTP_USER_AGENT": "Mozilla/5.0", "QUERY_STRING": "utm_medium=&utm_campaign=caf%C3%A9"},
     "::ffff:81.2.69.142", (True, True, True), {"ANONYMIZE_IP": False}),
    ({"QUERY_STRING": "utm%5Fsource=enc&utm_term=a+b%20c&&utm_content=x=y&utm_medium=%zz"},
     "8.8.4.4", (True, True, True), {}),
    ({"QUERY_STRING": "a=1&" * 120 + "utm_source=too-late"}, "8.8.4.4", (True, True, True),
     {}),
])
def test_describer_matches_for_click_in_edge_cases(environ, ip, privacy, settings):
    event = _event_for(environ, ip, privacy)
    assert Describer(SECRET, settings)(event) == _for_click(event, settings)


def test_click_ids_are_public_ids_that_sort_by_the_second_they_were_made(monkeypatch):
    from linkhub.redirect import clicks

    now = [1_800_000_000.2]
    monkeypatch.setattr(clicks.time, "time", lambda: now[0])
    first = [clicks.new_click_id() for _ in range(200)]
    now[0] += 1
    later = [clicks.new_click_id() for _ in range(200)]
    assert all(ids.is_valid("click", click_id) for click_id in first + later)
    assert len(set(first + later)) == 400
    assert len({click_id[:9] for click_id in first}) == 1  # clk_ + the second
    assert max(first) < min(later)  # byte order, as SQLite's index compares them
    assert len({click_id[9:] for click_id in first}) == 200  # the random part differs

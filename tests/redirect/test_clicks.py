"""The click buffer and writer: bounded, drop-and-count, one transaction per flush with raw
clicks, unique visitors, counters and rollups; nothing lost on failure or at stop."""

from __future__ import annotations

from datetime import datetime

import pytest

from linkhub import clock, ids
from linkhub.models import Click, ClickRollup, Link, LinkVisitor
from linkhub.redirect.clicks import ClickBuffer, ClickEvent, ClickWriter


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
        row = ClickRollup.get(ClickRollup.link == link.id, ClickRollup.dimension == dimension,
                              ClickRollup.value == value,
                              ClickRollup.hour == datetime(2026, 3, 1, hour))
        return row.clicks, row.unique_clicks, row.bot_clicks

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
    total = ClickRollup.get(ClickRollup.dimension == "total")
    assert (total.clicks, total.unique_clicks) == (3, 2)


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
    assert sum(r.clicks for r in ClickRollup.select().where(ClickRollup.dimension == "total")) == 2

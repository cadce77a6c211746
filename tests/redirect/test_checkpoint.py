"""WAL checkpoints off the flush path: with a checkpointer running, the writer's connection
only checkpoints past the safety net, the checkpointer's passes copy every committed page into
the database file, and stopping the writer leaves the WAL fully copied."""

from __future__ import annotations

import time

from linkhub.db import database
from linkhub.models import Click
from linkhub.redirect.checkpoint import WRITER_AUTOCHECKPOINT, Checkpointer
from linkhub.redirect.clicks import ClickBuffer, ClickWriter
from tests.redirect.test_clicks import describe, event, make_link


def _writer(workspace, cache_mb=0) -> tuple[ClickWriter, object]:
    link = make_link(workspace)
    buffer = ClickBuffer(1000)
    return ClickWriter(buffer, describe, cache_mb=cache_mb), link


def test_flushes_leave_checkpoints_to_the_checkpointer(ctx, alice):
    workspace = alice.workspace
    writer, link = _writer(workspace, cache_mb=8)
    checkpointer = writer.start_checkpointer()
    try:
        for n in range(3):
            for i in range(50):
                writer.buffer.offer(event(link, visitor=f"v{n}-{i}"))
            assert writer.flush() == 50
        assert database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == \
            WRITER_AUTOCHECKPOINT
        assert database.execute_sql("PRAGMA cache_size").fetchone()[0] == -8 * 1024
    finally:
        writer.stop()  # joins the thread, then one last pass
    assert writer.checkpointer is None
    busy, wal_pages, copied = checkpointer.last
    assert checkpointer.passes >= 1 and busy == 0 and wal_pages == copied  # all in the file
    assert Click.select().count() == 150


def test_the_thread_runs_passes_when_poked(ctx):
    checkpointer = Checkpointer(period=0.05)
    checkpointer.start()
    try:
        checkpointer.poke()
        for _ in range(500):
            if checkpointer.passes:
                break
            time.sleep(0.01)
        assert checkpointer.passes >= 1
    finally:
        checkpointer.stop()
    assert checkpointer.last is not None and checkpointer.last[0] == 0


def test_without_a_checkpointer_sqlite_keeps_its_default(ctx, alice):
    workspace = alice.workspace
    writer, link = _writer(workspace)
    writer.buffer.offer(event(link))
    assert writer.flush() == 1
    assert database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000

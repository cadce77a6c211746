"""The WAL checkpointer: copies committed WAL pages into the database file on its own thread,
so the click writer's commits never pay for it. (SQLite's autocheckpoint runs that copy, and
its fsync, inside the commit of whichever connection crosses the threshold: with a big
database that was a third of a flush.) PASSIVE passes never wait for readers or the writer;
the WAL restarts from its beginning once a pass has copied everything. The writer's own
connection keeps a far higher autocheckpoint as a safety net should this thread fall behind."""

from __future__ import annotations

import logging
import threading

from linkhub.db import database

log = logging.getLogger(__name__)

# The writer's connection checkpoints by itself only past this many WAL pages (~400 MB).
WRITER_AUTOCHECKPOINT = 100_000


class Checkpointer:
    def __init__(self, period: float = 1.0) -> None:
        self.period = period  # a pass at least this often even without a poke
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.passes = 0
        self.last: tuple[int, int, int] | None = None  # (busy, wal pages, pages copied)

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="linkhub-checkpointer",
                                            daemon=True)
            self._thread.start()

    def poke(self) -> None:
        """A commit just added to the WAL: copy it soon."""
        self._wake.set()

    def run_once(self) -> tuple[int, int, int]:
        self.last = tuple(database.execute_sql("PRAGMA wal_checkpoint(PASSIVE)").fetchone())
        self.passes += 1
        return self.last

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                self._wake.wait(self.period)
                self._wake.clear()
                if self._stop.is_set():
                    break
                try:
                    self.run_once()
                except Exception:  # keep the thread alive (a locked or closing database)
                    log.exception("WAL checkpoint failed")
        finally:
            database.close()

    def stop(self) -> None:
        """Stop the thread after one last pass (so a clean shutdown leaves a short WAL)."""
        if self._thread is None:
            return
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=30)
        self._thread = None
        try:
            self.run_once()
        except Exception:
            log.exception("final WAL checkpoint failed")

"""The click buffer and its single writer. The request thread only `offer()`s an event to a
bounded in-memory buffer (an overfull buffer drops and counts, never blocks); the writer
drains it at most every CLICK_FLUSH_SECONDS in ONE transaction: raw clicks, unique visitors,
link counters and hourly rollups together, then hands the flushed batch to side effects."""

from __future__ import annotations

import itertools
import logging
import operator
import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any, Callable

import peewee
from flask import Flask

from linkhub import ids
from linkhub.db import database
from linkhub.models import (
    Click,
    ClickRollup,
    Link,
    LinkVisitor,
    OrphanVisit,
    Rule,
    Workspace,
    WorkspaceRollup,
)
from linkhub.redirect.checkpoint import WRITER_AUTOCHECKPOINT, Checkpointer

log = logging.getLogger(__name__)

CHUNK = 250  # rows per multi-row statement (x 32 columns stays far under SQLite's caps)
# The writer gives the GIL away this often while it works through a batch in Python, so a
# busy flush never holds up the request threads for long (they wait, or p99 suffers).
YIELD_EVERY = 64
Privacy = tuple[bool, bool, bool]  # store ip, user agent, referrer

# Click ids: `clk_` + 16 characters of ids.ID_ALPHABET, like every public id. The first
# _TIME_CHARS encode the second the id was made (in an alphabet that sorts in byte order, so
# ids made later sort later, cycling every 62**5 s, about 29 years); the other _RANDOM_CHARS
# (65 bits) come from a pool of OS random bytes refilled 4 KiB at a time (ids.new_id makes 16
# urandom calls per id, and every syscall hands the GIL to another thread). The time prefix
# makes each flush's inserts into the unique public-id index land on its last few pages
# instead of one random page per click (measured: the flush's click INSERT went from 62 to
# 25 us per click on a 10-million-click database, fewer pages written to the WAL).
_TIME_CHARS = 5
_RANDOM_CHARS = ids.ID_LENGTH - _TIME_CHARS
_TIME_ALPHABET = "".join(sorted(ids.ID_ALPHABET))
_TIME_CYCLE = len(_TIME_ALPHABET) ** _TIME_CHARS
_ID_TABLE = bytes(ids.ID_ALPHABET[i % len(ids.ID_ALPHABET)].encode()[0] for i in range(256))
_pool = b""
_pool_at = 0
_pool_lock = threading.Lock()
_prefix: tuple[int, str] = (-1, "")


def _time_prefix(second: int) -> str:
    digits = []
    value = second % _TIME_CYCLE
    for _ in range(_TIME_CHARS):
        value, digit = divmod(value, len(_TIME_ALPHABET))
        digits.append(_TIME_ALPHABET[digit])
    return "".join(reversed(digits))


def new_click_id() -> str:
    """`clk_` + the current second in 5 characters + 11 characters from the OS CSPRNG (the
    click id is the secret of the public conversion endpoints: 65 random bits; the modulo bias
    costs well under a bit)."""
    global _pool, _pool_at, _prefix
    second = int(time.time())
    with _pool_lock:
        if _prefix[0] != second:
            _prefix = (second, _time_prefix(second))
        prefix = _prefix[1]
        if _pool_at + _RANDOM_CHARS > len(_pool):
            _pool, _pool_at = os.urandom(4096), 0
        chunk = _pool[_pool_at:_pool_at + _RANDOM_CHARS]
        _pool_at += _RANDOM_CHARS
    return "clk_" + prefix + chunk.translate(_ID_TABLE).decode("ascii")


@dataclass(slots=True)
class ClickEvent:
    """What the request thread knows; visitor columns are derived later by the writer."""

    click_id: str
    link_id: int
    workspace_id: int
    created_at: datetime  # naive UTC
    trigger: str = "link"
    method: str = "GET"
    bot: bool = False
    rule_id: int | None = None
    rule_public_id: str | None = None
    destination_url: str | None = None
    visitor_id: str | None = None
    snapshot: dict[str, Any] = field(default_factory=dict)
    privacy: Privacy = (True, True, True)  # replaced by the workspace's at flush time


Describe = Callable[[ClickEvent], dict[str, Any]]
SideEffect = Callable[[list[dict[str, Any]]], None]


class ClickBuffer:
    """Bounded, thread-safe. Also answers 'is this click id real?' while it is unflushed, and
    keeps per-link human counts for click limits: `humans_offered` (every human click this
    process served, monotonic) and `humans_settled` (those committed to disk). `seq` is odd
    while a commit is in flight, so a reader can tell whether Link.clicks and
    `humans_settled` were read at one consistent moment (see resolve.py)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._lock = threading.Lock()
        self._events: list[ClickEvent] = []
        self._by_click_id: dict[str, ClickEvent] = {}
        self._pending_humans: dict[int, int] = defaultdict(int)
        self._offered: dict[int, int] = defaultdict(int)
        self._settled: dict[int, int] = defaultdict(int)
        self._orphans: list[dict[str, Any]] = []
        self.commit_lock = threading.Lock()  # held by the writer around commit + settle
        self.seq = 0
        self.dropped = 0
        self.accepted = 0
        self._held = 0  # taken by the writer, not yet settled or requeued: still in memory

    def offer(self, event: ClickEvent, limit: tuple[int, int] | None = None) -> bool | None:
        """Queue one event. With `limit` = (base, clicksLimit) a human click is refused (None
        returned, nothing queued) once base + humans_offered reaches the limit; the check and
        the count are one atomic step. False: the buffer was full, the event is dropped."""
        with self._lock:
            human = not event.bot
            if human:
                if limit is not None and limit[0] + self._offered[event.link_id] >= limit[1]:
                    return None
                self._offered[event.link_id] += 1  # served, so it counts even if dropped
            if len(self._events) + len(self._orphans) + self._held >= self.capacity:
                self.dropped += 1
                return False
            self._events.append(event)
            self._by_click_id[event.click_id] = event
            if human:
                self._pending_humans[event.link_id] += 1
            self.accepted += 1
            return True

    def offer_orphan(self, visit: dict[str, Any]) -> bool:
        """An orphan visit (OrphanVisit columns); shares the bound with clicks."""
        with self._lock:
            if len(self._events) + len(self._orphans) + self._held >= self.capacity:
                self.dropped += 1
                return False
            self._orphans.append(visit)
            return True

    def take_orphans(self) -> list[dict[str, Any]]:
        with self._lock:
            orphans, self._orphans = self._orphans, []
            return orphans

    def take(self) -> list[ClickEvent]:
        """Hand every waiting event to the writer. They stay findable by click id (and counted
        as pending humans) until `settle` says they are on disk."""
        with self._lock:
            events, self._events = self._events, []
            self._held += len(events)
            return events

    def begin_commit(self) -> None:
        self.commit_lock.acquire()
        self.seq += 1

    def end_commit(self) -> None:
        self.seq += 1
        self.commit_lock.release()

    def settle(self, events: list[ClickEvent]) -> None:
        with self._lock:
            self._held -= len(events)
            for event in events:
                self._by_click_id.pop(event.click_id, None)
                if not event.bot:
                    self._settled[event.link_id] += 1
                    self._forget_pending(event.link_id)

    def _forget_pending(self, link_id: int) -> None:
        left = self._pending_humans.get(link_id, 0) - 1
        if left > 0:
            self._pending_humans[link_id] = left
        else:
            self._pending_humans.pop(link_id, None)

    def requeue(self, events: list[ClickEvent]) -> None:
        """A failed flush puts its batch back in front (still bounded: overflow is dropped)."""
        with self._lock:
            self._held -= len(events)
            room = max(self.capacity - len(self._events) - len(self._orphans) - self._held, 0)
            kept, lost = events[:room], events[room:]
            self._events = kept + self._events
            for event in lost:
                self.dropped += 1
                self._by_click_id.pop(event.click_id, None)
                if not event.bot:
                    self._forget_pending(event.link_id)

    def find(self, click_id: str) -> ClickEvent | None:
        return self._by_click_id.get(click_id)

    def pending_humans(self, link_id: int) -> int:
        return self._pending_humans.get(link_id, 0)

    def humans_offered(self, link_id: int) -> int:
        return self._offered.get(link_id, 0)

    def humans_settled(self, link_id: int) -> int:
        return self._settled.get(link_id, 0)

    def __len__(self) -> int:
        return len(self._events) + len(self._orphans)

    def stats(self) -> dict[str, int]:
        return {"buffered": len(self._events) + self._held, "dropped": self.dropped,
                "accepted": self.accepted}


# --- the statements of a flush --------------------------------------------------------------
# The batch's first visits, then its clicks, are inserted with one multi-row statement per
# CHUNK; what is derived from the clicks (link counters, hourly rollups) is then computed by
# SQLite itself over the new rowid range, without the GIL: the request threads keep it.

_CLICK = Click._meta.table_name
_CLICK_FIELDS = [(f.name, f.default) for f in Click._meta.sorted_fields if f.name != "id"]
_CLICK_VALUES = operator.itemgetter(*(name for name, _ in _CLICK_FIELDS))
_CLICK_HEAD = (f'INSERT INTO "{_CLICK}" ('
               + ", ".join(f'"{f.column_name}"' for f in Click._meta.sorted_fields
                           if f.name != "id") + ") VALUES ")
_NEW = 'c."id" > ? AND c."id" <= ?'  # the batch: rowids above the old maximum
# First visits are found before the clicks go in: the batch's (link, visitor) pairs are
# offered to LinkVisitor with INSERT OR IGNORE ... RETURNING, and the pairs it really inserted
# are the new visitors, so each row carries its final `is_unique` into the click INSERT (no
# lookup pass and no UPDATE of the new click rows afterwards).
_VISITORS_HEAD = (f'INSERT OR IGNORE INTO "{LinkVisitor._meta.table_name}" ("link_id", '
                  '"visitor_id", "first_seen_at") VALUES ')
_VISITORS_TAIL = ' RETURNING "link_id", "visitor_id"'
_COUNTERS = (
    f'UPDATE "{Link._meta.table_name}" SET "clicks" = "clicks" + s.humans, '
    '"unique_clicks" = "unique_clicks" + s.uniques, "bot_clicks" = "bot_clicks" + s.bots, '
    '"last_clicked_at" = CASE WHEN s.humans > 0 THEN '
    'MAX(COALESCE("last_clicked_at", s.last), s.last) ELSE "last_clicked_at" END '
    'FROM (SELECT c."link_id" AS link, SUM(c."bot" = 0) AS humans, '
    'SUM(c."bot" = 0 AND c."is_unique" = 1) AS uniques, SUM(c."bot" != 0) AS bots, '
    'MAX(CASE WHEN c."bot" = 0 THEN c."created_at" END) AS last '
    f'FROM "{_CLICK}" AS c WHERE {_NEW} GROUP BY c."link_id") AS s '
    f'WHERE "{Link._meta.table_name}"."id" = s.link')


# The hourly rollups of a batch, computed by SQLite over the batch's rowid span (GROUP BY in
# C, without the GIL): one ClickRollup row per link, hour and combination of dimension values,
# one WorkspaceRollup row per workspace, hour, dimension and value. A click's value of each
# dimension as stored: cut to 255 characters, the UNKNOWN word when missing or empty.
_DIMENSION_COLUMNS = {"country": 'c."country"', "device": 'c."device_type"', "os": 'c."os"',
                      "browser": 'c."browser"', "referrer": 'c."referrer_domain"',
                      "rule": 'r."public_id"', "trigger": 'c."trigger"'}
_HOUR = """substr(c."created_at", 1, 13) || ':00:00'"""
_FROM_BATCH = (f'FROM "{_CLICK}" AS c LEFT JOIN "{Rule._meta.table_name}" AS r '
               f'ON r."id" = c."rule_id" WHERE {_NEW}')
_COUNTS = ("clicks", "unique_clicks", "bot_clicks")
_SUMS = 'SUM(c."bot" = 0), SUM(c."bot" = 0 AND c."is_unique" = 1), SUM(c."bot" != 0)'
_ADD_COUNTS = (" DO UPDATE SET " + ", ".join(f'"{c}" = "{c}" + excluded."{c}"'
                                             for c in _COUNTS))


def _dimension(name: str) -> str:
    return (f"COALESCE(NULLIF(substr({_DIMENSION_COLUMNS[name]}, 1, 255), ''), "
            f"'{ClickRollup.UNKNOWN[name]}')")


_LINK_KEY = ("link_id", "hour", *ClickRollup.DIMENSIONS)
_LINK_ROLLUPS = (
    f'INSERT INTO "{ClickRollup._meta.table_name}" ("workspace_id", '
    + ", ".join(f'"{c}"' for c in (*_LINK_KEY, *_COUNTS)) + ") "
    f'SELECT c."workspace_id", c."link_id", {_HOUR}, '
    + ", ".join(_dimension(name) for name in ClickRollup.DIMENSIONS)
    + f", {_SUMS} {_FROM_BATCH} GROUP BY "
    + ", ".join(str(n) for n in range(2, 4 + len(ClickRollup.DIMENSIONS)))
    + " ON CONFLICT (" + ", ".join(f'"{c}"' for c in _LINK_KEY) + ")" + _ADD_COUNTS)
_WS_KEY = ("workspace_id", "hour", "dimension", "value")
_WS_DIMENSIONS = (("total", "'all'"),
                  *((name, _dimension(name)) for name in ClickRollup.DIMENSIONS))
# The batch is first summed per (workspace, hour, combination of values), which leaves far
# fewer rows than clicks once the link is out of the key, then fanned out into one row per
# dimension and value: a third of the time of fanning out every click (measured on a batch of
# 20,000 into the 10-million-click benchmark database: 4.6 against 13 us per click).
_WS_ROLLUPS = (
    "WITH b AS MATERIALIZED (SELECT w, h, "
    + ", ".join(f"d{i}" for i in range(len(_WS_DIMENSIONS)))
    + ", SUM(humans) AS humans, SUM(uniques) AS uniques, SUM(bots) AS bots FROM ("
    f'SELECT c."workspace_id" AS w, {_HOUR} AS h, '
    + "".join(f"{value} AS d{i}, " for i, (_, value) in enumerate(_WS_DIMENSIONS))
    + 'c."bot" = 0 AS humans, c."bot" = 0 AND c."is_unique" = 1 AS uniques, '
    f'c."bot" != 0 AS bots {_FROM_BATCH}) GROUP BY '
    + ", ".join(str(n) for n in range(1, 3 + len(_WS_DIMENSIONS))) + ") "
    f'INSERT INTO "{WorkspaceRollup._meta.table_name}" ('
    + ", ".join(f'"{c}"' for c in (*_WS_KEY, *_COUNTS)) + ") "
    "SELECT w, h, d, v, SUM(humans), SUM(uniques), SUM(bots) FROM ("
    + " UNION ALL ".join(f"SELECT w, h, '{name}' AS d, d{i} AS v, humans, uniques, bots FROM b"
                         for i, (name, _) in enumerate(_WS_DIMENSIONS))
    + ") WHERE 1 GROUP BY w, h, d, v ON CONFLICT (" + ", ".join(f'"{c}"' for c in _WS_KEY)
    + ")" + _ADD_COUNTS)


def write_rollups(span: tuple[int, int]) -> None:
    """Add the clicks with rowids in (span[0], span[1]] to the hourly rollups, inside the
    caller's transaction (after their `is_unique` is final)."""
    database.execute_sql(_LINK_ROLLUPS, span)
    database.execute_sql(_WS_ROLLUPS, span)


@lru_cache(maxsize=64)
def _values_sql(head: str, width: int, count: int, tail: str = "") -> str:
    row = "(" + ", ".join("?" * width) + ")"
    return head + ", ".join([row] * count) + tail


def _click_defaults() -> dict[str, Any]:
    """Click's field defaults (callables called), the base of every written row."""
    return {name: default() if callable(default) else default
            for name, default in _CLICK_FIELDS}


def _insert_batched(head: str, rows: list[tuple]) -> None:
    """`head VALUES (...), (...)` over `rows` in chunks: one statement (one step, one GIL
    hand-off) per chunk instead of one per row as executemany does."""
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        database.execute_sql(_values_sql(head, len(chunk[0]), len(chunk)),
                             list(itertools.chain.from_iterable(chunk)))


def mark_first_visits(rows: list[dict[str, Any]]) -> None:
    """Record the batch's first sightings in LinkVisitor (inside the caller's transaction) and
    set `is_unique` on the row of each: the first human click, in batch order, of a visitor
    this link had never seen. Anonymous rows (no visitor id) are never unique."""
    first: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        if not row["bot"] and row["visitor_id"]:
            first.setdefault((row["link"], row["visitor_id"]), row)
    pairs = [(link, visitor, row["created_at"]) for (link, visitor), row in first.items()]
    for start in range(0, len(pairs), CHUNK):
        chunk = pairs[start:start + CHUNK]
        found = database.execute_sql(
            _values_sql(_VISITORS_HEAD, 3, len(chunk), _VISITORS_TAIL),
            list(itertools.chain.from_iterable(chunk))).fetchall()
        for link, visitor in found:
            first[(link, visitor)]["is_unique"] = True


class ClickWriter:
    """Drains a ClickBuffer into SQLite. `flush()` may be called directly (tests, shutdown);
    `start()` runs it on a daemon thread every `interval` seconds."""

    def __init__(self, buffer: ClickBuffer, describe: Describe, interval: float = 1.0,
                 tick: float = 0.05, cache_mb: int = 0) -> None:
        self.buffer = buffer
        self.describe = describe
        self.interval = interval
        self.tick = min(tick, interval)
        self.side_effects: list[SideEffect] = []  # run after the commit
        self.in_transaction: list[SideEffect] = []  # run inside it (the webhook outbox)
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._ready: list[tuple[ClickEvent, dict[str, Any]]] = []  # described, not written
        self.cache_mb = cache_mb  # page cache of the writing connection (0: the default)
        self.checkpointer: Checkpointer | None = None  # set by start_checkpointer()
        self._tuned: set[int] = set()  # ids of connections given the writer's pragmas
        self.flushed = 0
        self.failures = 0

    # ---- describing, a little at a time -------------------------------------------------
    def prepare(self) -> int:
        """Describe the events that arrived since the last call. The thread does this every
        `tick`, so the Python work is spread over the second instead of landing on the
        request threads in one burst at flush time; the transaction stays one per flush."""
        with self._flush_lock:
            return self._prepare()

    def _prepare(self) -> int:
        events = self.buffer.take()
        done = 0
        defaults = _click_defaults() if events else {}
        try:
            for start in range(0, len(events), YIELD_EVERY):
                self._ready += [(event, self._row(event, defaults))
                                for event in events[start:start + YIELD_EVERY]]
                done = start + YIELD_EVERY
                time.sleep(0)  # let request threads (and waitress's I/O loop) run
        except Exception:
            self.failures += 1
            log.exception("describing %d click events failed; requeued", len(events))
            self.buffer.requeue(events[done:])
        return len(events)

    def pending(self) -> int:
        """Events taken from the buffer and described, waiting for the next flush."""
        return len(self._ready)

    # ---- the transaction -------------------------------------------------------------
    def flush(self) -> int:
        with self._flush_lock:
            self._write_orphans()
            self._prepare()
            ready, self._ready = self._ready, []
            if not ready:
                return 0
            events = [event for event, _ in ready]
            try:
                rows = self._private([row for _, row in ready], self._privacy(events))
            except Exception:
                self.failures += 1
                log.exception("reading the privacy switches failed; %d clicks requeued",
                              len(events))
                self.buffer.requeue(events)
                return 0
            self.buffer.begin_commit()
            try:
                self._write(rows)
            except Exception:
                self.failures += 1
                log.exception("click flush of %d events failed; requeued", len(events))
                self.buffer.requeue(events)
                return 0
            else:
                self.buffer.settle(events)
            finally:
                self.buffer.end_commit()
            self.flushed += len(rows)
            if self.checkpointer is not None:
                self.checkpointer.poke()
        for effect in self.side_effects:
            try:
                effect(rows)
            except Exception:
                log.exception("click side effect %r failed", effect)
        return len(rows)

    def _write_orphans(self) -> None:
        orphans = self.buffer.take_orphans()
        if not orphans:
            return
        try:
            self._tell_deleted(orphans)
            with database.atomic():
                for chunk in peewee.chunked(orphans, 200):
                    OrphanVisit.insert_many(chunk).execute()
        except Exception:
            self.failures += 1
            log.exception("writing %d orphan visits failed; they are dropped", len(orphans))
            self.buffer.dropped += len(orphans)

    @staticmethod
    def _tell_deleted(orphans: list[dict[str, Any]]) -> None:
        """`unknown` visits whose code belonged to a deleted link become `deleted` (and get its
        workspace): one read per flush here, rather than one per visit on the request path
        (live codes have a partial index that deleted rows are not in)."""
        keys: set[tuple[int, str]] = set()
        for visit in orphans:
            key = visit.pop("_key", None)
            if key is not None and visit["reason"] == "unknown":
                keys.add(key)
                visit["_unknown"] = key
        found: dict[tuple[int, str], int] = {}
        codes = sorted({code for _, code in keys})
        for start in range(0, len(codes), 500):
            rows = (Link.select(Link.domain_key, Link.code_key, Link.workspace)
                    .where(Link.deleted_at.is_null(False),
                           Link.code_key.in_(codes[start:start + 500]))
                    .order_by(Link.deleted_at).tuples())
            found.update({(domain_key, code): ws for domain_key, code, ws in rows
                          if (domain_key, code) in keys})
        for visit in orphans:
            key = visit.pop("_unknown", None)
            if key in found:
                visit["reason"], visit["workspace"] = "deleted", found[key]

    @staticmethod
    def _privacy(events: list[ClickEvent]) -> dict[int, Privacy]:
        """The workspaces' storage switches as they are now (one read), so turning one off
        applies to the very next flush, cache or no cache."""
        ids = {event.workspace_id for event in events}
        rows = (Workspace.select(Workspace.id, Workspace.store_ip, Workspace.store_user_agent,
                                 Workspace.store_referrer)
                .where(Workspace.id.in_(list(ids))).tuples())
        return {ws: (bool(ip), bool(ua), bool(ref)) for ws, ip, ua, ref in rows}

    def _write(self, rows: list[dict[str, Any]]) -> None:
        """One transaction: the first visits (which settle each row's `is_unique`), the
        clicks, then what SQLite derives from them (see above). Each row already holds every
        column (`_row`), so the values are one C call per row."""
        self._tune_connection()
        with database.atomic("IMMEDIATE"):  # the write lock first: the rowid span is ours
            mark_first_visits(rows)
            values = [_CLICK_VALUES(row) for row in rows]
            before = database.execute_sql(f'SELECT MAX("id") FROM "{_CLICK}"').fetchone()[0]
            before = before or 0
            _insert_batched(_CLICK_HEAD, values)
            after = database.execute_sql(f'SELECT MAX("id") FROM "{_CLICK}"').fetchone()[0]
            span = (before, after)
            database.execute_sql(_COUNTERS, span)
            write_rollups(span)
            for hook in self.in_transaction:  # a failure rolls the whole batch back
                hook(rows)

    def _row(self, event: ClickEvent, defaults: dict[str, Any]) -> dict[str, Any]:
        """Every Click column: the defaults, under the described visitor columns, under the
        event's own fields (a None own field leaves the described value in place). Described
        with every column kept: the workspace's privacy switches are applied at flush time
        (`_private`). Built here, a little at a time, so the flush has less Python to run."""
        row = {**defaults, **self.describe(event)}
        bot = bool(event.bot or row.get("bot"))
        for key, value in (
                ("public_id", event.click_id), ("workspace", event.workspace_id),
                ("link", event.link_id), ("rule", event.rule_id),
                ("created_at", event.created_at), ("trigger", event.trigger),
                ("method", event.method), ("destination_url", event.destination_url),
                ("visitor_id", event.visitor_id), ("rule_public_id", event.rule_public_id)):
            if value is not None or row.get(key) is None:
                row[key] = value
        row["bot"] = bot
        row["is_unique"] = False  # set by mark_first_visits, inside the flush
        return row

    @staticmethod
    def _private(rows: list[dict[str, Any]],
                 privacy: dict[int, Privacy]) -> list[dict[str, Any]]:
        """Blank what each row's workspace does not store (IP, user agent, referrer), as the
        switches stand at this flush."""
        for row in rows:
            store_ip, store_user_agent, store_referrer = privacy.get(row["workspace"],
                                                                     (True, True, True))
            if not store_ip:
                row["ip_truncated"] = row["ip_hash"] = None
            if not store_user_agent:
                row["user_agent"] = None
            if not store_referrer:
                row["referrer"] = None
        return rows

    def _tune_connection(self) -> None:
        """Once per connection that flushes: the bigger page cache, and (with a checkpointer
        running) no checkpoint inside our commits below the safety net."""
        connection = database.connection()
        if id(connection) in self._tuned:
            return
        if self.cache_mb:
            database.execute_sql(f"PRAGMA cache_size = {-1024 * int(self.cache_mb)}")
        if self.checkpointer is not None:
            database.execute_sql(f"PRAGMA wal_autocheckpoint = {WRITER_AUTOCHECKPOINT}")
        self._tuned.add(id(connection))

    def start_checkpointer(self) -> Checkpointer:
        """Move WAL checkpoints off the flush path onto their own thread (see checkpoint.py)."""
        if self.checkpointer is None:
            self.checkpointer = Checkpointer()
            self._tuned.clear()
            self.checkpointer.start()
        return self.checkpointer

    # ---- the thread ------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self.start_checkpointer()
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="linkhub-click-writer",
                                        daemon=True)
        self._thread.start()

    def _run(self) -> None:
        due = time.monotonic() + self.interval
        while not self._stop.wait(max(min(self.tick, due - time.monotonic()), 0)):
            try:
                if time.monotonic() >= due:
                    due = time.monotonic() + self.interval
                    self.flush()
                else:
                    self.prepare()
            except Exception:  # keep the thread alive whatever happens
                log.exception("click writer iteration failed")

    def stop(self) -> None:
        """Stop the thread and flush what is left (called at shutdown)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self._write_orphans()
        while len(self.buffer) or self._ready:
            if not self.flush():
                break
        if self.checkpointer is not None:
            self.checkpointer.stop()
            self.checkpointer = None


@dataclass
class Pipeline:
    buffer: ClickBuffer
    writer: ClickWriter


def init_app(app: Flask, describe: Describe) -> Pipeline:
    settings = app.config["LINKHUB"]
    buffer = ClickBuffer(settings["CLICK_BUFFER_SIZE"])
    pipeline = Pipeline(buffer, ClickWriter(buffer, describe, settings["CLICK_FLUSH_SECONDS"],
                                            cache_mb=settings["CLICK_WRITER_CACHE_MB"]))
    app.extensions["linkhub.clicks"] = pipeline
    return pipeline


def for_app(app: Flask) -> Pipeline:
    return app.extensions["linkhub.clicks"]

"""Analytics benchmark: the API's range queries (which read the hourly rollups) against the same
question asked of the raw clicks, and the click writer's sustained rate, over a database of
10 million clicks (tests/perf/gen_clicks.py builds it). Not part of the test run.

    python tests/perf/bench_analytics.py [--data-dir DIR] [--clicks 10000000] [--repeat 5]

Without --data-dir a temporary one is generated first (several minutes for 10 million). It
starts the real `linkhub serve` on it, times each API call over HTTP (median of --repeat,
after one unmeasured call), times the equivalent raw-click SQL in the same run, then stops
the server and measures the click writer (the real describer and transaction) into that
database twice: one batch at a time with its parts timed apart (describing, the
transaction, the checkpoint), and running on its own thread as under
`serve` while a producer offers --sustain-rate clicks per second (the figure the target is
judged on: nothing dropped, nothing left behind)."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "perf"))

import bench_redirect as redirect_bench  # noqa: E402
import gen_clicks  # noqa: E402

TARGET_MS = 200.0
TARGET_WRITER = 20_000  # clicks per second


def api_key(data_dir: Path, workspace_id: str) -> str:
    done = subprocess.run([sys.executable, "-m", "linkhub.cli", "create-api-key", "--data-dir",
                           str(data_dir), "--workspace", workspace_id, "--name", "bench",
                           "--json"], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)["key"]


def timed_get(port: int, path: str, key: str, repeat: int) -> tuple[float, dict]:
    """Median milliseconds of `repeat` GETs (after one warm call) and the last body."""
    def call() -> dict:
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                         headers={"X-API-Key": key})
        with urllib.request.urlopen(request, timeout=120) as response:
            return json.loads(response.read())
    body = call()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        body = call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), body


def wait_for_warm_cache(log_file: Path, offset: int, seconds: float = 300) -> None:
    """Measure after serve's background link-cache warm-up, not while it competes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with open(log_file, encoding="utf-8", errors="replace") as handle:
            handle.seek(offset)
            if "Link cache:" in handle.read():
                return
        time.sleep(0.5)
    print("warning: the link cache warm-up did not finish in time")


def timed_sql(path: Path, sql: str, params: tuple, repeat: int) -> float:
    connection = sqlite3.connect(path)
    try:
        connection.execute(sql, params).fetchall()
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            connection.execute(sql, params).fetchall()
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)
    finally:
        connection.close()


def raw_queries(db: Path, workspace: int, link: int) -> dict[str, tuple[str, tuple]]:
    """The same three questions over raw clicks (what the rollups save)."""
    since = "datetime('now', '-30 days')"
    return {
        "workspace timeseries (30 days)": (
            "SELECT date(created_at), SUM(bot = 0), SUM(bot = 0 AND is_unique) FROM click "
            f"WHERE workspace_id = ? AND created_at >= {since} GROUP BY 1", (workspace,)),
        "link geo breakdown (30 days)": (
            "SELECT country, SUM(bot = 0), SUM(bot = 0 AND is_unique) FROM click "
            f"WHERE link_id = ? AND created_at >= {since} GROUP BY 1", (link,)),
        "funnel (30 days)": (
            "SELECT (SELECT SUM(bot = 0) FROM click WHERE workspace_id = ? AND created_at >= "
            f"{since}), (SELECT COUNT(*) FROM conversion WHERE workspace_id = ? AND kind = "
            f"'lead' AND occurred_at >= {since}), (SELECT COUNT(*) FROM conversion WHERE "
            f"workspace_id = ? AND kind = 'sale' AND occurred_at >= {since})",
            (workspace,) * 3),
    }


def _events(links: list[tuple[int, int]], seed: int):
    """Endless ClickEvents on uniformly random links, with the redirect benchmark's user-agent
    and language mix, three referrers and a new client IP each (so most clicks are first
    visits, as in a fresh audience)."""
    from linkhub import clock
    from linkhub.redirect.clicks import ClickEvent, new_click_id

    rng = random.Random(seed)
    agents = [ua for weight, ua in redirect_bench.AGENTS for _ in range(weight)]
    environs = [{"HTTP_USER_AGENT": rng.choice(agents), "REQUEST_METHOD": "GET",
                 "HTTP_ACCEPT_LANGUAGE": rng.choice(redirect_bench.LANGUAGES),
                 "QUERY_STRING": "", "HTTP_REFERER": rng.choice(
                     ["", "https://t.co/x", "https://www.google.com/"])} for _ in range(997)]
    n = rng.randrange(1 << 24)
    while True:
        n += 1
        link_id, workspace_id = links[rng.randrange(len(links))]
        ip = f"{(n >> 24) % 223 + 1}.{(n >> 16) & 255}.{(n >> 8) & 255}.{(n * 77) & 255}"
        yield ClickEvent(click_id=new_click_id(), link_id=link_id, workspace_id=workspace_id,
                         created_at=clock.now(),
                         snapshot={"environ": environs[n % len(environs)], "ip": ip})


def _writer_app(data_dir: Path):
    from linkhub.app import create_app
    from linkhub.models import Link

    app = create_app({"DATA_DIR": str(data_dir)})
    database = app.extensions["linkhub.db"]
    with app.app_context():
        database.connect(reuse_if_open=True)
        links = list(Link.select(Link.id, Link.workspace).tuples())
        database.close()
    return app, links


def writer_rate(data_dir: Path, batches: int, size: int) -> list[dict[str, float]]:
    """ClickWriter one batch at a time, each part timed on its own (wall time per click):
    describing the events (`prepare`, Python), the flush's transaction, then the checkpoint
    that copies the WAL pages of that transaction into the database file (which `serve` runs
    on its own thread). Together they are what one click costs the machine; `wal_pages` is
    how many pages each click added to the WAL."""
    from linkhub.redirect.checkpoint import Checkpointer
    from linkhub.redirect.clicks import for_app

    app, links = _writer_app(data_dir)
    events = _events(links, 5)
    parts = []
    with app.app_context():
        pipeline = for_app(app)
        # Not started: the writer's commits skip autocheckpointing as under `serve` (see
        # ClickWriter._tune_connection) and this loop runs each pass itself.
        checkpointer = pipeline.writer.checkpointer = Checkpointer()
        checkpointer.run_once()
        for _ in range(batches):
            for _ in range(size):
                pipeline.buffer.offer(next(events))
            started = time.perf_counter()
            pipeline.writer.prepare()
            described = time.perf_counter()
            written = pipeline.writer.flush()
            flushed = time.perf_counter()
            _, wal_pages, _ = checkpointer.run_once()
            done = time.perf_counter()
            parts.append({"describe": (described - started) * 1e6 / written,
                          "transaction": (flushed - described) * 1e6 / written,
                          "checkpoint": (done - flushed) * 1e6 / written,
                          "wal_pages": wal_pages / written})
    return parts


def report_writer_parts(parts: list[dict[str, float]], size: int) -> None:
    median = {key: statistics.median(p[key] for p in parts) for key in parts[0]}
    flush = median["describe"] + median["transaction"]
    total = flush + median["checkpoint"]
    print(f"  click writer, one batch of {size:,} events at a time (median of {len(parts)}): "
          f"describe {median['describe']:.1f} + transaction {median['transaction']:.1f} us per "
          f"click = {1e6 / flush:,.0f} clicks/s per flush; its checkpoint "
          f"{median['checkpoint']:.1f} us per click ({median['wal_pages']:.2f} WAL pages per "
          f"click); all three {total:.1f} us per click, {1e6 / total:,.0f} clicks/s on one core")
    for p in parts:
        print("    batch: " + ", ".join(f"{k} {v:.2f}" for k, v in p.items()))


def writer_sustained(data_dir: Path, rate: int, seconds: float) -> dict[str, float]:
    """The writer as `linkhub serve` runs it (its own thread describing every tick and
    flushing every CLICK_FLUSH_SECONDS, the checkpointer beside it, serve's switch interval,
    the default buffer) while a producer thread offers `rate` clicks per second for `seconds`,
    as request threads would. Sustained means nothing dropped and the backlog written within
    a few seconds of the last offer."""
    from linkhub import cli
    from linkhub.redirect.clicks import for_app

    app, links = _writer_app(data_dir)
    events = _events(links, 11)
    pipeline = for_app(app)
    buffer, writer = pipeline.buffer, pipeline.writer
    seen = {"offered": 0, "dropped": 0, "backlog": 0}
    previous = sys.getswitchinterval()
    sys.setswitchinterval(cli.SWITCH_INTERVAL)

    def produce() -> None:
        started = time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds:
            while seen["offered"] < elapsed * rate:
                seen["offered"] += 1
                if buffer.offer(next(events)) is False:
                    seen["dropped"] += 1
            seen["backlog"] = max(seen["backlog"], buffer.stats()["buffered"])
            time.sleep(0.005)

    with app.app_context():
        before = writer.flushed
        writer.start()
        started = time.perf_counter()
        producer = threading.Thread(target=produce, name="bench-producer")
        producer.start()
        producer.join()
        offered_for = time.perf_counter() - started
        while (writer.flushed - before < seen["offered"] - seen["dropped"]
               and time.perf_counter() - started < seconds + 600):
            time.sleep(0.02)
        finished = time.perf_counter() - started
        writer.stop()
    sys.setswitchinterval(previous)
    written = writer.flushed - before
    return {"offered": seen["offered"], "offered_rate": seen["offered"] / offered_for,
            "dropped": seen["dropped"], "written": written, "backlog": seen["backlog"],
            "drain": finished - offered_for, "rate": written / finished}


def report_queries(data_dir: Path, repeat: int) -> None:
    """The three range questions through the API of a real `serve`, then in raw-click SQL."""
    from linkhub import db

    path = db.db_path(data_dir)
    connection = sqlite3.connect(path)
    workspace, workspace_id = connection.execute(
        "SELECT id, public_id FROM workspace ORDER BY id LIMIT 1").fetchone()
    link, link_id = connection.execute(  # a busy link: the worst case for one link
        "SELECT id, public_id FROM link ORDER BY clicks DESC LIMIT 1").fetchone()
    clicks = connection.execute("SELECT COUNT(*) FROM click").fetchone()[0]
    connection.close()
    key = api_key(data_dir, workspace_id)
    port = redirect_bench.free_port()
    log_file = data_dir.parent / "serve.log"
    logged = log_file.stat().st_size if log_file.exists() else 0
    server = redirect_bench.start_linkhub(data_dir, port, 4)
    try:
        wait_for_warm_cache(log_file, logged)
        api = {
            "workspace timeseries (30 days)": "/api/analytics/workspace/timeseries?days=30",
            "link geo breakdown (30 days)": f"/api/analytics/{link_id}/geo?days=30",
            "funnel (30 days)": "/api/analytics/funnel?days=30",
        }
        results = {name: timed_get(port, path, key, repeat)[0]
                   for name, path in api.items()}
    finally:
        redirect_bench.stop(server)
    raw = {name: timed_sql(path, sql, params, repeat)
           for name, (sql, params) in raw_queries(path, workspace, link).items()}
    print(f"\n{clicks:,} clicks; medians of {repeat} calls:")
    for name, ms in results.items():
        verdict = "met" if ms < TARGET_MS else "MISSED"
        print(f"  {name:<32} API {ms:8.1f} ms ({verdict}: < {TARGET_MS:.0f} ms)   "
              f"raw clicks SQL {raw[name]:8.1f} ms   ({raw[name] / ms:.0f}x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an existing gen_clicks.py database")
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--writer-batches", type=int, default=6)
    parser.add_argument("--writer-batch", type=int, default=20_000)
    parser.add_argument("--sustain-rate", type=int, default=TARGET_WRITER,
                        help="clicks per second offered to the running writer (0: skip)")
    parser.add_argument("--sustain-seconds", type=float, default=30.0)
    parser.add_argument("--writer-only", action="store_true",
                        help="skip the API and raw-click queries (needs --data-dir)")
    args = parser.parse_args()

    temporary = None
    data_dir = args.data_dir
    if data_dir is None:
        temporary = Path(tempfile.mkdtemp(prefix="linkhub-analytics-"))
        data_dir = temporary / "data"
        data_dir.mkdir()
        print(f"generating {args.clicks:,} clicks over {args.links:,} links in {data_dir}")
        print(json.dumps(gen_clicks.build(data_dir, args.clicks, args.links, 90)))
    try:
        if not args.writer_only:
            report_queries(data_dir, args.repeat)
        if args.writer_batches > 0:
            report_writer_parts(writer_rate(data_dir, args.writer_batches, args.writer_batch),
                                args.writer_batch)
        if args.sustain_rate > 0:
            run = writer_sustained(data_dir, args.sustain_rate, args.sustain_seconds)
            met = (run["dropped"] == 0 and run["drain"] < 5
                   and run["offered_rate"] >= TARGET_WRITER * 0.98)
            print(f"  click writer, running as under serve, offered {run['offered_rate']:,.0f}"
                  f"/s for {args.sustain_seconds:.0f} s: {run['written']:,} written, "
                  f"{run['dropped']:,} dropped ({run['dropped'] / max(run['offered'], 1):.0%}), "
                  f"largest backlog {run['backlog']:,}, last written {run['drain']:.1f} s after "
                  f"the last offer: {run['rate']:,.0f} clicks/s written "
                  f"({'met' if met else 'MISSED'}: sustains >= {TARGET_WRITER:,})")
        return 0
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

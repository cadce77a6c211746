"""Analytics benchmark: the API's range queries (which read the hourly rollups) against the same
question asked of the raw clicks, and the click writer's sustained rate, over a database of
10 million clicks (tests/perf/gen_clicks.py builds it). Not part of the test run.

    python tests/perf/bench_analytics.py [--data-dir DIR] [--clicks 10000000] [--repeat 5]

Without --data-dir a temporary one is generated first (several minutes for 10 million). It
starts the real `linkhub serve` on it, times each API call over HTTP (median of --repeat,
after one unmeasured call), times the equivalent raw-click SQL in the same run, then stops
the server and feeds the click writer (the real describer and transaction) batches of
events to measure clicks per second into that database."""

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


def writer_rate(data_dir: Path, batches: int, size: int) -> list[float]:
    """Clicks per second of ClickWriter.flush() (describe + one transaction) per batch, with
    the WAL checkpointer thread running beside it as in `linkhub serve`."""
    from linkhub import clock
    from linkhub.app import create_app
    from linkhub.models import Link
    from linkhub.redirect.clicks import ClickEvent, for_app, new_click_id

    rng = random.Random(5)
    agents = [ua for weight, ua in redirect_bench.AGENTS for _ in range(weight)]
    app = create_app({"DATA_DIR": str(data_dir)})
    database = app.extensions["linkhub.db"]
    rates = []
    with app.app_context():
        database.connect(reuse_if_open=True)
        links = list(Link.select(Link.id, Link.workspace).tuples())
        pipeline = for_app(app)
        pipeline.writer.start_checkpointer()  # as `linkhub serve` runs the writer
        for _ in range(batches):
            now = clock.now()
            for _ in range(size):
                link_id, workspace_id = rng.choice(links)
                environ = {"HTTP_USER_AGENT": rng.choice(agents), "REQUEST_METHOD": "GET",
                           "HTTP_ACCEPT_LANGUAGE": rng.choice(redirect_bench.LANGUAGES),
                           "QUERY_STRING": "", "HTTP_REFERER": rng.choice(
                               ["", "https://t.co/x", "https://www.google.com/"])}
                ip = ".".join(str(rng.randint(1, 254)) for _ in range(4))
                pipeline.buffer.offer(ClickEvent(
                    click_id=new_click_id(), link_id=link_id, workspace_id=workspace_id,
                    created_at=now, snapshot={"environ": environ, "ip": ip}))
            started = time.perf_counter()
            written = pipeline.writer.flush()
            rates.append(written / (time.perf_counter() - started))
        pipeline.writer.checkpointer.stop()
        database.close()
    return rates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, help="an existing gen_clicks.py database")
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--writer-batches", type=int, default=6)
    parser.add_argument("--writer-batch", type=int, default=20_000)
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
            results = {name: timed_get(port, path, key, args.repeat)[0]
                       for name, path in api.items()}
        finally:
            redirect_bench.stop(server)
        raw = {name: timed_sql(path, sql, params, args.repeat)
               for name, (sql, params) in raw_queries(path, workspace, link).items()}
        print(f"\n{clicks:,} clicks; medians of {args.repeat} calls:")
        for name, ms in results.items():
            verdict = "met" if ms < TARGET_MS else "MISSED"
            print(f"  {name:<32} API {ms:8.1f} ms ({verdict}: < {TARGET_MS:.0f} ms)   "
                  f"raw clicks SQL {raw[name]:8.1f} ms   ({raw[name] / ms:.0f}x)")
        if args.writer_batches <= 0:
            return 0
        rates = writer_rate(data_dir, args.writer_batches, args.writer_batch)
        rate = statistics.median(rates)
        print(f"  click writer: median {rate:,.0f} clicks/s over {len(rates)} batches of "
              f"{args.writer_batch:,} ({', '.join(f'{r:,.0f}' for r in rates)}) "
              f"({'met' if rate >= TARGET_WRITER else 'MISSED'}: >= {TARGET_WRITER:,})")
        return 0
    finally:
        if temporary is not None:
            shutil.rmtree(temporary, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())

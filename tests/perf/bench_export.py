"""Export benchmark: a 1,000,000-row clicks export written by the real `exports` job in a child
process (`linkhub jobs run exports`), reporting rows per second and the child's peak memory
(ru_maxrss from os.wait4). Not part of the test run; nothing asserts a timing.

    python tests/perf/bench_export.py [--rows 1000000] [--formats csv,json] [--keep]

The data is made quickly: `linkhub init`, 100 links through the models, then the clicks by
SQLite itself (INSERT ... SELECT over a recursive CTE, 200,000 rows per statement) with
realistic values in every column the export reads. The target of issue 6: under 200 MB."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

EMAIL, PASSWORD = "bench@example.com", "bench-password-123"
LINKS = 100
CHUNK = 200_000
TARGET_MB = 200

CLICKS_SQL = """
WITH RECURSIVE seq(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM seq WHERE n < ?)
INSERT INTO click (public_id, workspace_id, link_id, rule_id, created_at, "trigger", method,
                   bot, is_crawler, is_preview, is_unique, visitor_id, destination_url,
                   country, region, city, device_type, os, os_version, browser,
                   browser_version, device_brand, language, referrer, referrer_domain,
                   utm_source, utm_medium, utm_campaign, utm_term, utm_content, ip_truncated,
                   ip_hash, user_agent)
SELECT printf('clk_%016d', n), :ws, :first_link + (n % :links), NULL,
       datetime('2026-01-01', '+' || (n % 7776000) || ' seconds'),
       CASE WHEN n % 20 = 0 THEN 'qr' ELSE 'link' END, 'GET', n % 25 = 0, 0, 0, n % 3 = 0,
       printf('v%015d', n % 400000), 'https://example.com/landing/' || (n % :links),
       substr('USGBDEFRINBRCAESMXJP', 1 + 2 * (n % 10), 2), NULL, NULL,
       CASE n % 3 WHEN 0 THEN 'mobile' WHEN 1 THEN 'desktop' ELSE 'tablet' END,
       CASE n % 3 WHEN 0 THEN 'ios' WHEN 1 THEN 'windows' ELSE 'android' END, '17.4',
       CASE n % 2 WHEN 0 THEN 'safari' ELSE 'chrome' END, '124.0', 'Apple', 'en-US',
       CASE WHEN n % 4 = 0 THEN NULL ELSE 'https://t.co/' || (n % 1000) END,
       CASE WHEN n % 4 = 0 THEN NULL ELSE 't.co' END,
       CASE WHEN n % 5 = 0 THEN 'newsletter' END, CASE WHEN n % 5 = 0 THEN 'email' END,
       CASE WHEN n % 5 = 0 THEN 'spring' END, NULL, NULL, '203.0.113.0',
       printf('%064d', n), 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) '
       || 'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1'
FROM seq
"""


def init(data_dir: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "linkhub.cli", "init", "--data-dir",
                           str(data_dir), "--email", EMAIL, "--password", PASSWORD, "--json"],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"linkhub init failed: {done.stderr}")
    return json.loads(done.stdout)["workspaceId"]


def build(data_dir: Path, rows: int) -> str:
    """The data dir with `rows` clicks; returns the workspace's public id."""
    from linkhub import clock, ids
    from linkhub.app import create_app
    from linkhub.models import Link, Workspace

    workspace_id = init(data_dir)
    app = create_app({"DATA_DIR": str(data_dir)})
    database = app.extensions["linkhub.db"]
    with app.app_context():
        database.connect(reuse_if_open=True)
        workspace = Workspace.get(Workspace.public_id == workspace_id)
        now = clock.now()
        with database.atomic():
            Link.insert_many([{"public_id": ids.new_id("link"), "workspace": workspace.id,
                               "short_code": f"e{n:04d}", "code_key": f"e{n:04d}",
                               "domain_key": 0, "destination_url": f"https://example.com/{n}",
                               "created_at": now, "updated_at": now}
                              for n in range(LINKS)]).execute()
        first_link = Link.select(Link.id).order_by(Link.id).first().id
        sql = CLICKS_SQL.replace(":ws", str(workspace.id)).replace(
            ":first_link", str(first_link)).replace(":links", str(LINKS))
        for start in range(1, rows + 1, CHUNK):
            with database.atomic():
                database.execute_sql(sql, (start, min(start + CHUNK - 1, rows)))
    database.close()
    return workspace_id


def queue(data_dir: Path, workspace_id: str, fmt: str) -> str:
    from linkhub.app import create_app
    from linkhub.models import Workspace
    from linkhub.services import exports

    app = create_app({"DATA_DIR": str(data_dir)})
    database = app.extensions["linkhub.db"]
    with app.app_context(), app.test_request_context():
        database.connect(reuse_if_open=True)
        export = exports.create_export(Workspace.get(Workspace.public_id == workspace_id), None,
                                       {"type": "clicks", "format": fmt,
                                        "filters": {"includeBots": True}})
        public_id = export.public_id
    database.close()
    return public_id


def run_job(data_dir: Path) -> tuple[float, float, dict]:
    """(seconds, peak RSS in MB, the job's result) of `linkhub jobs run exports`."""
    started = time.monotonic()
    child = subprocess.Popen([sys.executable, "-m", "linkhub.cli", "jobs", "run", "exports",
                              "--data-dir", str(data_dir)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.monotonic() - started
    out, err = child.stdout.read(), child.stderr.read()
    child.stdout.close()
    child.stderr.close()
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"export job failed: {err}")
    return seconds, usage.ru_maxrss / 1024, json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--formats", default="csv,json", help="comma-separated: csv,json,xlsx")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="linkhub-export-bench-")) / "data"
    try:
        started = time.monotonic()
        workspace_id = build(data_dir, args.rows)
        print(f"built {args.rows:,} clicks in {time.monotonic() - started:.1f}s "
              f"({data_dir})")
        worst = 0.0
        for fmt in args.formats.split(","):
            export_id = queue(data_dir, workspace_id, fmt)
            seconds, peak, result = run_job(data_dir)
            path = data_dir / "exports" / f"{export_id}.{fmt}"
            size = path.stat().st_size / 1_048_576
            worst = max(worst, peak)
            print(f"{fmt:>4}: {result['result']['rows']:,} rows in {seconds:.1f}s = "
                  f"{result['result']['rows'] / seconds:,.0f} rows/s; file {size:,.1f} MB; "
                  f"peak RSS {peak:,.1f} MB (target < {TARGET_MB} MB)")
            path.unlink()  # keep the disk use down between formats
        print(f"peak RSS over all runs: {worst:,.1f} MB: "
              f"{'within' if worst < TARGET_MB else 'OVER'} the {TARGET_MB} MB target")
    finally:
        if not args.keep:
            shutil.rmtree(data_dir.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

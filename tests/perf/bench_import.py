"""Import benchmark: a generated CSV (100,000 rows by default) uploaded to the real
`linkhub serve` through POST /api/links/import/csv and imported by the scheduler's `imports`
job. Not part of the test run; nothing here asserts a timing.

    python tests/perf/bench_import.py [--rows 100000] [--keep]

Reports the upload time (checks included: encoding, columns, row count), the job's rows per
second (from the job's own startedAt/finishedAt), the end-to-end time, and the server
process's peak resident memory (VmHWM) before and after the import, then checks that every
row became exactly one link."""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "perf"))

from bench_redirect import env, free_port, wait_for  # noqa: E402

from tests.api.imports_support import multipart  # noqa: E402

EMAIL, PASSWORD = "bench@example.com", "bench-import-password"
TAGS = ["spring", "summer", "sale", "newsletter", "partner", "social", "print", ""]


def make_csv(path: Path, rows: int) -> int:
    rng = random.Random(7)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("destinationUrl,shortCode,title,tags,notes,utm_source\n")
        for n in range(rows):
            tags = ";".join(t for t in rng.sample(TAGS, 2) if t)
            fh.write(f"https://example.com/product/{n}?ref={rng.randint(1, 999)},imp{n:06d},"
                     f"Product {n},{tags},imported for the benchmark,bench\n")
    return path.stat().st_size


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def call(port: int, path: str, key: str, body: bytes | None = None,
         content_type: str | None = None) -> dict:
    headers = {"X-API-Key": key, **({"Content-Type": content_type} if content_type else {})}
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=body,
                                     headers=headers, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.loads(response.read())["data"]


def seconds(start: str, end: str) -> float:
    parse = lambda t: datetime.fromisoformat(t.replace("Z", "+00:00"))  # noqa: E731
    return (parse(end) - parse(start)).total_seconds()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="linkhub-bench-import-"))
    data_dir = work / "data"
    done = subprocess.run([sys.executable, "-m", "linkhub.cli", "init", "--data-dir",
                           str(data_dir), "--email", EMAIL, "--password", PASSWORD, "--json"],
                          cwd=ROOT, env=env(), capture_output=True, text=True, check=True)
    key = json.loads(done.stdout)["apiKey"]
    csv_path = work / "links.csv"
    size = make_csv(csv_path, args.rows)
    print(f"CSV: {args.rows:,} rows, {size / 1_048_576:.1f} MB")

    port = free_port()
    log = (work / "serve.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "linkhub.cli", "serve", "--data-dir",
                               str(data_dir), "--port", str(port), "--threads", "4"],
                              cwd=ROOT, env=env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(port, "/health")
        before = peak_rss_mb(server.pid)
        body, content_type = multipart(csv_path.read_bytes(), "links.csv")
        started = time.perf_counter()
        job = call(port, "/api/links/import/csv", key, body, content_type)
        uploaded = time.perf_counter() - started
        del body
        while job["status"] in ("pending", "processing"):
            time.sleep(0.5)
            job = call(port, f"/api/links/import/jobs/{job['id']}", key)
        total = time.perf_counter() - started
        after = peak_rss_mb(server.pid)
        run = seconds(job["startedAt"], job["finishedAt"])
        print(f"upload + checks: {uploaded:.2f} s")
        print(f"job: {job['status']}, created {job['created']:,}, skipped {job['skipped']:,}, "
              f"failed {job['failed']:,} in {run:.1f} s = {job['processed'] / run:,.0f} rows/s")
        print(f"end to end (upload, wait for the scheduler, import): {total:.1f} s")
        print(f"server peak RSS: {before:.0f} MB before, {after:.0f} MB after the import")
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
    with sqlite3.connect(data_dir / "linkhub.sqlite3") as db:
        links, codes = db.execute("SELECT COUNT(*), COUNT(DISTINCT short_code) FROM link "
                                  "WHERE short_code LIKE 'imp%'").fetchone()
    print(f"links in the database: {links:,} ({codes:,} distinct codes)")
    if links != args.rows or codes != args.rows:
        raise SystemExit("every row should be exactly one link")
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

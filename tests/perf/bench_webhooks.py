"""Webhook benchmark: the real `linkhub serve` with one workspace webhook on `link.clicked`
pointing at a local receiver, driven by paced redirects; reports events delivered per second
and the delay from click to delivery (receiver's clock minus the click's `createdAt`). Not part
of the test run; see tests/perf/README.md.

    python tests/perf/bench_webhooks.py [--rate 200] [--duration 20] [--links 20]

Target (issue 5): p99 delay under 5 s at 200 clicks per second."""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import secrets
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.webhook_receiver import Receiver  # noqa: E402

TARGET_P99 = 5.0
EMAIL, PASSWORD = "bench@example.com", "bench-password-123"
UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
      "Chrome/124.0.0.0 Safari/537.36")


def env(**settings: str) -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("LINKHUB_")}
    out.update({f"LINKHUB_{k}": v for k, v in settings.items()})
    out["PYTHONPATH"] = str(ROOT)
    return out


def cli(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "linkhub.cli", *args], cwd=ROOT, env=env(),
                          capture_output=True, text=True, check=True)
    return done.stdout


def add_webhook(data_dir: Path, url: str) -> None:
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    now = "2026-01-01 00:00:00"
    with sqlite3.connect(data_dir / "linkhub.sqlite3") as conn:
        workspace = conn.execute("SELECT id FROM workspace").fetchone()[0]
        conn.execute(
            "INSERT INTO webhook (public_id, created_at, updated_at, workspace_id, scope, kind, "
            "url, events, enabled, secret, config, consecutive_failures) VALUES "
            "(?, ?, ?, ?, 'workspace', 'webhook', ?, '[\"link.clicked\"]', 1, ?, '{}', 0)",
            ("wh_bench" + secrets.token_hex(4), now, now, workspace, url, secret))


def start_server(data_dir: Path) -> tuple[subprocess.Popen, str]:
    log = open(data_dir / "serve.log", "w")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "linkhub.cli", "serve", "--data-dir", str(data_dir),
         "--port", "0", "--threads", "8"], cwd=ROOT, stdout=subprocess.PIPE, stderr=log,
        env=env(WEBHOOK_ALLOW_PRIVATE="1", LOG_LEVEL="WARNING"), text=True)
    for line in process.stdout:
        if line.startswith("Listening on: "):
            url = line.split(": ", 1)[1].strip()
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
            return process, url
    raise SystemExit("linkhub serve did not start; see serve.log")


def make_links(base: str, key: str, count: int) -> list[str]:
    host, port = base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    codes = []
    for i in range(count):
        body = json.dumps({"destinationUrl": f"https://shop.example/{i}",
                           "shortCode": f"bench{i}"})
        conn.request("POST", "/api/links", body=body, headers={
            "X-API-Key": key, "Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        assert response.status == 201, response.status
        codes.append(f"bench{i}")
    return codes


def drive(base: str, codes: list[str], rate: float, duration: float, workers: int) -> int:
    """`rate` redirects per second for `duration` seconds, paced, over keep-alive
    connections; returns how many got their 302."""
    host, port = base.removeprefix("http://").split(":")
    done = [0] * workers
    start = time.monotonic() + 0.2
    per_worker = rate / workers

    def run(index: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        n = 0
        while True:
            due = start + (n + index / workers) / per_worker
            if due - start >= duration:
                break
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            code = codes[(n * workers + index) % len(codes)]
            conn.request("GET", f"/{code}", headers={"User-Agent": UA})
            response = conn.getresponse()
            response.read()
            if response.status == 302:
                done[index] += 1
            n += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def created(payload: dict) -> float:
    moment = datetime.strptime(payload["createdAt"], "%Y-%m-%dT%H:%M:%S.%fZ")
    return moment.replace(tzinfo=UTC).timestamp()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="redirects per second")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument("--links", type=int, default=20)
    parser.add_argument("--drivers", type=int, default=4, help="client threads")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    args = parser.parse_args()

    base_dir = Path(tempfile.mkdtemp(prefix="linkhub-bench-webhooks-"))
    data_dir = base_dir / "data"
    key = json.loads(cli("init", "--data-dir", str(data_dir), "--email", EMAIL,
                         "--password", PASSWORD, "--json"))["apiKey"]
    with Receiver() as hook:
        add_webhook(data_dir, hook.url)
        process, base = start_server(data_dir)
        try:
            codes = make_links(base, key, args.links)
            began = time.time()
            clicks = drive(base, codes, args.rate, args.duration, args.drivers)
            load_seconds = time.time() - began
            deadline = time.monotonic() + 120
            while len(hook.requests) < clicks and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
        received = list(hook.requests)
    payloads = [(r.received_at, json.loads(r.body)) for r in received]
    delays = [at - created(p) for at, p in payloads]
    unique = {p["id"] for _, p in payloads}
    span = (max(at for at, _ in payloads) - min(at for at, _ in payloads)) if payloads else 0
    rows = [
        ("clicks sent (302)", f"{clicks}", f"{clicks / load_seconds:.0f}/s offered"),
        ("events delivered", f"{len(unique)}", f"{len(received) - len(unique)} duplicates"),
        ("delivered per second", f"{len(received) / span:.0f}" if span else "-",
         "first to last receipt"),
        ("delay p50", f"{percentile(delays, 50):.2f} s" if delays else "-", "click -> receiver"),
        ("delay p99", f"{percentile(delays, 99):.2f} s" if delays else "-",
         f"target < {TARGET_P99:g} s"),
        ("delay max", f"{max(delays):.2f} s" if delays else "-", ""),
    ]
    print(f"\nwebhooks: {args.rate:g} redirects/s for {args.duration:g} s, one endpoint")
    for name, value, note in rows:
        print(f"  {name:<22} {value:>10}   {note}")
    ok = delays and percentile(delays, 99) < TARGET_P99 and len(unique) == clicks
    print(f"  {'result':<22} {'PASS' if ok else 'MISS':>10}")
    if args.keep:
        print(f"data dir kept: {data_dir}")
    else:
        shutil.rmtree(base_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

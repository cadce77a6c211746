"""Redirect benchmark: linkhub's hot path against a bare WSGI 302 on waitress, both driven by
wrk with the same Lua script (random short codes, a realistic mix of user agents, languages
and returning-visitor cookies). Not part of the test run; see tests/perf/README.md.

    python tests/perf/bench_redirect.py [--threads 8] [--duration 10] [--connections 32]

It (a) starts the baseline (a WSGI callable answering a fixed 302) on waitress, (b) prepares a
data dir with 10,000 links (20% with 3 rules, conversion tracking on half) and starts the real
`linkhub serve` with the same thread count, (c) runs wrk (-t1) against each, (d) prints req/s,
p50 and p99 and the ratios against the targets (>= 0.6x the throughput, <= 2x the p99), then
SIGTERMs linkhub right after the load, restarts it and checks that every click it accepted is
on disk (zero clicks lost across a clean shutdown)."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

TARGET_THROUGHPUT = 0.6  # linkhub req/s >= this x baseline req/s
TARGET_P99 = 2.0  # linkhub p99 <= this x baseline p99
EMAIL, PASSWORD = "bench@example.com", "bench-password-123"

BASELINE = """
import sys
from waitress import serve

def app(environ, start_response):
    start_response("302 Found", [("Location", "https://example.com/landing"),
                                 ("Cache-Control", "private, no-store"),
                                 ("Content-Length", "0")])
    return [b""]

serve(app, host="127.0.0.1", port=int(sys.argv[1]), threads=int(sys.argv[2]),
      ident="baseline", clear_untrusted_proxy_headers=False)
"""

# (weight, user agent): roughly what a short link sees; bots included (they are recorded too).
AGENTS = [
    (30, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"),
    (22, "Mozilla/5.0 (Linux; Android 14; Pixel 8 Pro) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/124.0.6367.82 Mobile Safari/537.36"),
    (5, "Mozilla/5.0 (Linux; Android 13; SM-S908B) AppleWebKit/537.36 (KHTML, like Gecko) "
        "SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36"),
    (18, "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/124.0.0.0 Safari/537.36"),
    (8, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
        "Gecko) Version/17.4 Safari/605.1.15"),
    (5, "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0"),
    (4, "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Mobile/15E148 Instagram 327.0.0.34.98 (iPhone14,5; iOS 17_4; en_US; "
        "en; scale=3.00; 1170x2532; 589486227)"),
    (4, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
    (2, "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"),
    (2, "curl/8.5.0"),
]
LANGUAGES = ["en-US,en;q=0.9", "es-MX,es;q=0.9,en;q=0.5", "de-DE,de;q=0.9", "fr-FR,fr;q=0.8",
             "pt-BR,pt;q=0.9", "en-GB,en;q=0.8"]
RULES = [  # attached to 20% of the links, 3 each
    {"name": "DACH", "priority": 10, "destinationUrl": "https://example.de/",
     "conditions": [{"field": "country", "operator": "in", "value": ["DE", "AT", "CH"]}]},
    {"name": "iOS app", "priority": 20, "destinationUrl": "https://apps.apple.com/app/id1",
     "conditions": [{"field": "os", "operator": "equals", "value": "ios"},
                    {"field": "deviceType", "operator": "equals", "value": "mobile"}]},
    {"name": "Spanish", "priority": 30, "destinationUrl": "https://example.es/",
     "conditions": [{"field": "language", "operator": "equals", "value": "es"}]},
]


def log(message: str) -> None:
    print(message, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if not k.startswith("LINKHUB_")}
    out["PYTHONPATH"] = str(ROOT) + os.pathsep + out.get("PYTHONPATH", "")
    out["LINKHUB_LOG_LEVEL"] = "WARNING"
    return out


def wait_for(port: int, path: str = "/", seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            connection.request("GET", path)
            connection.getresponse().read()  # any answer will do (no redirect following)
            return
        except OSError:
            time.sleep(0.1)
        finally:
            connection.close()
    raise SystemExit(f"nothing answered on port {port}")


# --- the data ----------------------------------------------------------------------------------

def prepare(data_dir: Path, count: int, rng: random.Random) -> tuple[list[str], list[str]]:
    """A data dir with `count` links made straight through the models (not HTTP): returns the
    short codes and a few valid `lh_vid` cookie values for returning visitors."""
    done = subprocess.run([sys.executable, "-m", "linkhub.cli", "init", "--data-dir",
                           str(data_dir), "--email", EMAIL, "--password", PASSWORD, "--json"],
                          cwd=ROOT, env=env(), capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"linkhub init failed: {done.stderr}")
    workspace_id = json.loads(done.stdout)["workspaceId"]

    from linkhub import clock, ids
    from linkhub.app import create_app
    from linkhub.models import Link, Rule, Workspace
    from linkhub.redirect.facts import visitor_cookie_value
    from linkhub.services import rules as rule_service
    from linkhub.services.short_codes import ALPHABET

    app = create_app({"DATA_DIR": str(data_dir)})
    database = app.extensions["linkhub.db"]
    codes: set[str] = set()
    while len(codes) < count:
        codes.add("".join(rng.choice(ALPHABET) for _ in range(7)))
    ordered = sorted(codes)
    rng.shuffle(ordered)
    with app.app_context(), app.test_request_context():
        database.connect(reuse_if_open=True)
        workspace = Workspace.get(Workspace.public_id == workspace_id)
        now = clock.now()
        with database.atomic():
            rows = [{"public_id": ids.new_id("link"), "workspace": workspace.id,
                     "short_code": code, "code_key": code, "domain_key": 0,
                     "destination_url": f"https://example.com/p/{n}?src=short",
                     "conversion_tracking": n % 2 == 0, "created_at": now, "updated_at": now}
                    for n, code in enumerate(ordered)]
            for start in range(0, len(rows), 500):
                Link.insert_many(rows[start:start + 500]).execute()
            ruled = [link_id for (link_id,) in Link.select(Link.id).tuples()
                     if rng.random() < 0.2]
            templates = [rule_service._columns(rule_service._validate(dict(rule)))
                         for rule in RULES]
            rule_rows = [{**columns, "public_id": ids.new_id("rule"),
                          "workspace": workspace.id, "link": link_id, "created_at": now,
                          "updated_at": now}
                         for link_id in ruled for columns in templates]
            for start in range(0, len(rule_rows), 300):
                Rule.insert_many(rule_rows[start:start + 300]).execute()
        secret = app.config["LINKHUB_SECRETS"]["hashing_key"].encode()
        cookies = [visitor_cookie_value(f"{rng.getrandbits(128):032x}", secret)
                   for _ in range(200)]
        database.close()
    log(f"prepared {count} links ({len(ruled)} with {len(RULES)} rules each, conversion "
        f"tracking on half) in {data_dir}")
    return ordered, cookies


def lua_script(path: Path, codes_file: Path, cookies: list[str]) -> None:
    agents = [ua for weight, ua in AGENTS for _ in range(weight)]

    def table(items: list[str]) -> str:
        return "{" + ",\n".join(json.dumps(item) for item in items) + "}"

    path.write_text(f"""
local codes = {{}}
for line in io.lines({json.dumps(str(codes_file))}) do codes[#codes + 1] = line end
local agents = {table(agents)}
local languages = {table(LANGUAGES)}
local cookies = {table(cookies)}
math.randomseed(20240601)

request = function()
  local headers = {{
    ["User-Agent"] = agents[math.random(#agents)],
    ["Accept-Language"] = languages[math.random(#languages)],
  }}
  if math.random() < 0.3 then
    headers["Cookie"] = "lh_vid=" .. cookies[math.random(#cookies)]
  end
  local path = "/" .. codes[math.random(#codes)]
  if math.random() < 0.25 then path = path .. "?utm_source=newsletter&utm_medium=email" end
  return wrk.format("GET", path, headers)
end
""")


# --- wrk ---------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def run_wrk(port: int, script: Path, connections: int, duration: int) -> dict:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s",
               str(script), f"http://127.0.0.1:{port}/"]
    out = subprocess.run(command, capture_output=True, text=True, check=True,
                         timeout=duration + 60).stdout
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50": _ms(re.search(r"\s50%\s+(\S+)", out).group(1)),
        "p99": _ms(re.search(r"\s99%\s+(\S+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "bad": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out))
        else 0,
        "errors": re.search(r"Socket errors:.*", out).group(0)
        if "Socket errors" in out else "",
    }
    return result


def show(name: str, result: dict) -> None:
    log(f"  {name:<9} {result['rps']:>7.0f} req/s   p50 {result['p50']:>7.2f} ms   "
        f"p99 {result['p99']:>7.2f} ms   ({result['requests']} requests, "
        f"{result['bad']} non-2xx/3xx{', ' + result['errors'] if result['errors'] else ''})")


# --- the servers ---------------------------------------------------------------------------------

def start_linkhub(data_dir: Path, port: int, threads: int) -> subprocess.Popen:
    """`linkhub serve`; its output goes to <work>/serve.log (a pipe nobody reads would fill up
    with waitress's queue-depth warnings and stall the server)."""
    with open(data_dir.parent / "serve.log", "a") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "linkhub.cli", "serve", "--data-dir", str(data_dir),
             "--port", str(port), "--threads", str(threads)],
            cwd=ROOT, env=env(), stdout=output, stderr=subprocess.STDOUT)
    wait_for(port, "/health")
    return process


def stop(process: subprocess.Popen) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        raise SystemExit("the server ignored SIGTERM") from None


def health(port: int) -> dict:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=10) as response:
        return json.loads(response.read())


def stored_clicks(data_dir: Path) -> int:
    from linkhub import db

    conn = sqlite3.connect(db.db_path(data_dir))
    try:
        return conn.execute("SELECT COUNT(*) FROM click").fetchone()[0]
    finally:
        conn.close()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(pid: int, port: int, script: Path, connections: int, duration: int) -> dict:
    before = cpu_seconds(pid)
    result = run_wrk(port, script, connections, duration)
    result["cpu_us"] = (cpu_seconds(pid) - before) / max(result["requests"], 1) * 1e6
    return result


def median(results: list[dict]) -> dict:
    out = {}
    for key in ("rps", "p50", "p99", "cpu_us"):
        values = sorted(r[key] for r in results)
        out[key] = values[len(values) // 2]
    out["requests"] = sum(r["requests"] for r in results)
    out["bad"] = sum(r["bad"] for r in results)
    out["errors"] = "; ".join(r["errors"] for r in results if r["errors"])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (both)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--links", type=int, default=10_000)
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per server")
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternate baseline/linkhub runs this many times; medians shown "
                             "(the machine's noise hits both sides alike)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    work = Path(tempfile.mkdtemp(prefix="linkhub-bench-"))
    data_dir = work / "data"
    rng = random.Random(42)
    try:
        codes, cookies = prepare(data_dir, args.links, rng)
        codes_file = work / "codes.txt"
        codes_file.write_text("\n".join(codes) + "\n")
        script = work / "mix.lua"
        lua_script(script, codes_file, cookies)
        log(f"wrk -t1 -c{args.connections} -d{args.duration}s, {args.threads} waitress threads"
            f" each, {args.warmup}s warm-up first, {args.rounds} round(s)")

        base_port, port = free_port(), free_port()
        baseline = subprocess.Popen([sys.executable, "-c", BASELINE, str(base_port),
                                     str(args.threads)], cwd=ROOT, env=env(),
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        server = None
        try:
            wait_for(base_port)
            server = start_linkhub(data_dir, port, args.threads)
            run_wrk(base_port, script, args.connections, args.warmup)
            warm = run_wrk(port, script, args.connections, args.warmup)
            bases, ours = [], []
            for _ in range(args.rounds):
                bases.append(measured(baseline.pid, base_port, script, args.connections,
                                      args.duration))
                ours.append(measured(server.pid, port, script, args.connections,
                                     args.duration))
            time.sleep(0.3)  # let the stragglers wrk gave up on finish
            figures = health(port)["clicks"]
        finally:
            stop(baseline)
            if server is not None and server.poll() is None:
                code = stop(server)  # right after the load: the last second is in memory
                if code != 0:
                    log(f"linkhub serve exited with {code}; see {work / 'serve.log'}")

        base, mine = median(bases), median(ours)
        log("results" + (" (medians)" if args.rounds > 1 else "") + ":")
        show("baseline", base)
        show("linkhub", mine)
        rps_ratio, p99_ratio = mine["rps"] / base["rps"], mine["p99"] / base["p99"]
        ok_rps, ok_p99 = rps_ratio >= TARGET_THROUGHPUT, p99_ratio <= TARGET_P99
        log(f"  throughput ratio {rps_ratio:.2f} (target >= {TARGET_THROUGHPUT}): "
            f"{'met' if ok_rps else 'MISSED'}")
        log(f"  p99 ratio        {p99_ratio:.2f} (target <= {TARGET_P99}): "
            f"{'met' if ok_p99 else 'MISSED'}")
        log(f"  server CPU per request: baseline {base['cpu_us']:.0f} us, linkhub "
            f"{mine['cpu_us']:.0f} us (request path + click writer)")

        restarted = start_linkhub(data_dir, port, args.threads)
        try:
            rows = stored_clicks(data_dir)
        finally:
            stop(restarted)
        runs = [warm, *ours]
        served = sum(r["requests"] - r["bad"] for r in runs)
        lost = figures["accepted"] - rows
        log(f"clicks after SIGTERM + restart: {rows} rows; the server had accepted "
            f"{figures['accepted']} (dropped {figures['dropped']}); wrk counted {served} "
            f"2xx/3xx answers (up to {args.connections} more per run may still be in flight "
            f"when wrk stops: the server answers and records them)")
        ok_clicks = lost == 0 and figures["dropped"] == 0 and \
            0 <= rows - served <= len(runs) * args.connections
        log(f"  zero clicks lost: {'yes' if ok_clicks else 'NO'}")
        return 0 if ok_clicks else 1
    finally:
        if args.keep:
            log(f"data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

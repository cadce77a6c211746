"""The redirect through the real `linkhub serve` process over HTTP: a link made with init's API
key answers the redirect (no following), HEAD is answered and not recorded, and SIGTERM loses
no buffered click (the flush interval is set far away, so only the shutdown flush can write
them); after a restart the clicks are there."""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from linkhub import db
from tests.redirect.useragents import AGENTS

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]
WAIT = 60  # seconds: an upper bound for slow machines, never asserted as speed
CHROME = next(a.ua for a in AGENTS if a.name == "chrome-windows")


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKHUB_")}
    env.update(PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
               PYTHONUNBUFFERED="1", LINKHUB_CLICK_FLUSH_SECONDS="600",
               LINKHUB_SCHEDULER="off")
    return env


class Served:
    def __init__(self, data_dir: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "linkhub.cli", "serve", "--data-dir", str(data_dir),
             "--port", "0", "--threads", "4"],
            cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.output: list[str] = []
        self._pump = threading.Thread(target=self._read, daemon=True)
        self._pump.start()
        self.url = self._wait_for_url()
        self._wait_healthy()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.output.append(line)
            self.lines.put(line)
        self.lines.put(None)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            if line.startswith("Listening on: "):
                return line.split(": ", 1)[1].strip()
        self.process.kill()
        pytest.fail("linkhub serve did not start:\n" + "".join(self.output))

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        pytest.fail("/health never answered")

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail("linkhub serve ignored SIGTERM")
        self._pump.join(timeout=WAIT)
        self.process.stdout.close()
        return code


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(_NoRedirects)


def fetch(url: str, method: str = "GET", headers: dict | None = None, body: dict | None = None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, method=method, data=data, headers={
        "User-Agent": CHROME, **({"Content-Type": "application/json"} if data else {}),
        **(headers or {})})
    try:
        with OPENER.open(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("redirect-served") / "data"
    done = subprocess.run(
        [sys.executable, "-m", "linkhub.cli", "init", "--data-dir", str(data_dir), "--email",
         "ops@example.com", "--password", "serve-redirect-pass", "--json"],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=WAIT, check=False)
    assert done.returncode == 0, done.stderr
    return data_dir, json.loads(done.stdout)


def _count(data_dir: Path, sql: str) -> int:
    conn = sqlite3.connect(db.db_path(data_dir))
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_redirect_head_and_clicks_survive_a_restart(installed):
    data_dir, created = installed
    auth = {"X-API-Key": created["apiKey"]}
    server = Served(data_dir)
    try:
        status, _, body = fetch(server.url + "/api/links", "POST", auth, {
            "destinationUrl": "https://example.com/served?a=1", "shortCode": "live"})
        assert status == 201, body
        link = json.loads(body)["data"]
        status, headers, body = fetch(server.url + "/live?ref=ci")
        assert status == 302 and body == b""
        assert headers["Location"] == "https://example.com/served?a=1&ref=ci"
        assert headers["Cache-Control"] == "private, no-store"
        assert headers["X-Robots-Tag"] == "noindex" and headers["X-Request-Id"]
        assert headers["Set-Cookie"].startswith("lh_vid=")
        status, headers, body = fetch(server.url + "/live", "HEAD")
        assert status == 302 and headers["Location"] == "https://example.com/served?a=1"
        status, _, body = fetch(server.url + "/no-such-code")
        assert status == 404 and b"Link not found" in body
        health = json.loads(fetch(server.url + "/health")[2])
        assert health["clicks"]["buffered"] == 1 and health["clicks"]["dropped"] == 0
        assert _count(data_dir, "SELECT COUNT(*) FROM click") == 0  # still in memory
    finally:
        assert server.stop() == 0, "".join(server.output)
    assert _count(data_dir, "SELECT COUNT(*) FROM click") == 1
    assert _count(data_dir, "SELECT COUNT(*) FROM click WHERE method = 'HEAD'") == 0
    assert _count(data_dir, "SELECT COUNT(*) FROM orphan_visit") == 1
    again = Served(data_dir)
    try:
        status, _, body = fetch(again.url + f"/api/links/{link['id']}", headers=auth)
        assert status == 200 and json.loads(body)["data"]["clicks"] == 1
        assert fetch(again.url + "/live")[0] == 302
    finally:
        assert again.stop() == 0


def test_sigterm_under_load_loses_no_click(installed):
    data_dir, created = installed
    auth = {"X-API-Key": created["apiKey"]}
    server = Served(data_dir)
    try:
        status, _, body = fetch(server.url + "/api/links", "POST", auth, {
            "destinationUrl": "https://example.com/load", "shortCode": "load"})
        assert status == 201, body
        address = urlsplit(server.url)
        before = _count(data_dir, "SELECT COUNT(*) FROM click")

        def burst(count: int) -> int:
            conn = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
            done = 0
            try:
                for _ in range(count):
                    conn.request("GET", "/load", headers={"User-Agent": CHROME})
                    response = conn.getresponse()
                    response.read()
                    done += response.status == 302
            finally:
                conn.close()
            return done

        with ThreadPoolExecutor(8) as pool:
            served = sum(pool.map(burst, [100] * 8))
        assert served == 800
    finally:
        assert server.stop() == 0, "".join(server.output)
    assert _count(data_dir, "SELECT COUNT(*) FROM click") - before == 800
    assert _count(data_dir, "SELECT clicks FROM link WHERE short_code = 'load'") == 800

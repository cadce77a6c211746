"""The real `linkhub serve` process over real HTTP: init's API key works both ways, bad keys are
refused, request ids are echoed, `linkhub backup` works while it runs, and SIGTERM ends it
cleanly with exit status 0."""

from __future__ import annotations

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
from pathlib import Path

import pytest

from linkhub import db

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parent.parent
EMAIL, PASSWORD = "ops@example.com", "serve-test-password"
WAIT = 60  # seconds; generous upper bounds for slow machines, never asserted as speed


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LINKHUB_")}
    env.update({f"LINKHUB_{name}": value for name, value in settings.items()})
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "linkhub.cli", *args], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=WAIT, check=False)


def init_data_dir(tmp_path: Path) -> tuple[Path, str]:
    """`linkhub init --json` into tmp_path/data: the data dir and the first API key."""
    data_dir = tmp_path / "data"
    done = _cli("init", "--data-dir", str(data_dir), "--email", EMAIL, "--password", PASSWORD,
                "--json")
    assert done.returncode == 0, done.stderr
    return data_dir, json.loads(done.stdout)["apiKey"]


class Server:
    """`linkhub serve --port 0` in a subprocess; the URL is read from what it prints."""

    def __init__(self, data_dir: Path, **settings: str):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "linkhub.cli", "serve", "--data-dir", str(data_dir),
             "--port", "0", "--threads", "4"],
            cwd=ROOT, env=_env(**settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        self._pumps = [
            threading.Thread(target=self._pump, args=(self.process.stdout, True), daemon=True),
            threading.Thread(target=self._pump, args=(self.process.stderr, False), daemon=True),
        ]
        for pump in self._pumps:
            pump.start()
        self.url = self._wait_for_url()

    def _pump(self, stream, is_stdout: bool) -> None:
        for line in stream:
            if is_stdout:
                self.lines.append(line.rstrip("\n"))
                self._queue.put(line)
            else:
                self.stderr.append(line)
        if is_stdout:
            self._queue.put(None)

    def _wait_for_url(self) -> str:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=1)
            except queue.Empty:
                continue
            if line is None:
                break
            if line.startswith("Listening on: "):
                return line.split(": ", 1)[1].strip()
        self._kill()
        pytest.fail(f"server did not start: {self.lines} {''.join(self.stderr)}")

    def _kill(self) -> None:
        self.process.kill()
        self._reap()

    def _reap(self) -> None:
        self.process.wait(timeout=WAIT)
        for pump in self._pumps:
            pump.join(timeout=WAIT)
        self.process.stdout.close()
        self.process.stderr.close()

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        pytest.fail("/health never answered 200")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            self._reap()
        except subprocess.TimeoutExpired:
            self._kill()
            pytest.fail("linkhub serve did not exit after the signal")
        return self.process.returncode


def request(url: str, headers: dict[str, str] | None = None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, response.headers, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, json.loads(err.read() or b"null")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("served") / "data"
    done = _cli("init", "--data-dir", str(data_dir), "--email", EMAIL, "--password", PASSWORD,
                "--json")
    assert done.returncode == 0, done.stderr
    return data_dir, json.loads(done.stdout)


@pytest.fixture(scope="module")
def server(installed):
    data_dir, _ = installed
    running = Server(data_dir)
    running.wait_healthy()
    yield running
    if running.process.poll() is None:
        running.stop()


def _authenticated_path(server, workspace_id: str, headers: dict[str, str]) -> str:
    """The first of these routes that answers 200 (some are built by other modules)."""
    for path in (f"/api/workspaces/{workspace_id}", "/api/workspaces", "/api/auth/me"):
        status, _, _ = request(server.url + path, headers)
        if status == 200:
            return path
    pytest.fail("no authenticated API route answered 200")


def test_the_api_key_works_in_both_headers(server, installed):
    _, created = installed
    key = created["apiKey"]
    path = _authenticated_path(server, created["workspaceId"], {"X-API-Key": key})
    for headers in ({"X-API-Key": key}, {"Authorization": f"Bearer {key}"}):
        status, response_headers, body = request(server.url + path, headers)
        assert status == 200, body
        assert body["success"] is True
        assert created["workspaceId"] in json.dumps(body["data"])
        assert "X-RateLimit-Limit" in response_headers


@pytest.mark.parametrize("headers", [
    {"X-API-Key": "lh_" + "x" * 40},
    {"Authorization": "Bearer not-a-key"},
])
def test_a_bad_key_is_401_invalid_api_key(server, headers):
    status, _, body = request(server.url + "/api/workspaces", headers)
    assert status == 401
    assert body["success"] is False and body["error"]["code"] == "INVALID_API_KEY"


def test_the_request_id_is_echoed(server, installed):
    _, created = installed
    status, headers, _ = request(server.url + "/api/workspaces",
                                 {"X-API-Key": created["apiKey"], "X-Request-Id": "ci-req-42"})
    assert status == 200 and headers["X-Request-Id"] == "ci-req-42"
    _, headers, _ = request(server.url + "/health")
    assert headers["X-Request-Id"]


def test_backup_while_the_server_is_running(server, installed, tmp_path):
    data_dir, created = installed
    stop = threading.Event()

    def traffic():  # keep the server reading and writing (lastUsedAt, rate windows)
        while not stop.is_set():
            request(server.url + "/api/workspaces", {"X-API-Key": created["apiKey"]})

    worker = threading.Thread(target=traffic, daemon=True)
    worker.start()
    try:
        target = tmp_path / "live-backup.sqlite3"
        done = _cli("backup", "--data-dir", str(data_dir), "--to", str(target))
    finally:
        stop.set()
        worker.join(timeout=WAIT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(target)
    conn = sqlite3.connect(target)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute('SELECT email FROM "user"').fetchall() == [(EMAIL,)]
    finally:
        conn.close()


def test_sigterm_stops_the_server_cleanly(installed):
    data_dir, created = installed
    own = Server(data_dir)  # its own process: the shared one keeps serving the other tests
    own.wait_healthy()
    status, _, _ = request(own.url + "/api/workspaces", {"X-API-Key": created["apiKey"]})
    assert status == 200
    code = own.stop(signal.SIGTERM)
    assert code == 0, "".join(own.stderr)
    out = own.lines
    assert f"Data directory: {data_dir.resolve()}" in out
    assert f"Database: {db.db_path(data_dir.resolve())}" in out
    assert f"Listening on: {own.url}" in out
    assert own.url.startswith("http://127.0.0.1:") and not own.url.endswith(":0")
    assert f"Public URL: {own.url}" in out
    assert "Scheduler: on" in out
    assert out[-1] == "linkhub stopped (SIGTERM)."
    with pytest.raises(OSError):
        urllib.request.urlopen(own.url + "/health", timeout=5)


def test_sigint_stops_a_server_without_scheduler_too(installed):
    data_dir, _ = installed
    second = Server(data_dir, SCHEDULER="off")
    second.wait_healthy()
    assert second.stop(signal.SIGINT) == 0, "".join(second.stderr)
    assert "Scheduler: off" in second.lines
    assert second.lines[-1] == "linkhub stopped (SIGINT)."

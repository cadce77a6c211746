"""The real `linkhub serve` delivering webhooks to a local receiver: clicks through real
redirects arrive as signed `link.clicked` events; a server killed (SIGKILL) in the middle of a
delivery resends it after a restart, at most once more and with the same webhook-id, and the
ones queued behind it follow in order; SIGTERM keeps undelivered events pending for the next
start."""

from __future__ import annotations

import base64
import json
import secrets
import signal
import sqlite3
import time
from pathlib import Path

import pytest
import standardwebhooks

from linkhub import db, ids
from tests.test_server import EMAIL, PASSWORD, WAIT, Server, _cli
from tests.test_server_revenue import api, call
from tests.webhook_receiver import Receiver

pytestmark = pytest.mark.server


def install(tmp_path: Path) -> tuple[Path, str]:
    data_dir = tmp_path / "data"
    done = _cli("init", "--data-dir", str(data_dir), "--email", EMAIL, "--password", PASSWORD,
                "--json")
    assert done.returncode == 0, done.stderr
    return data_dir, json.loads(done.stdout)["apiKey"]


def connect(data_dir: Path) -> sqlite3.Connection:
    return sqlite3.connect(db.db_path(data_dir), timeout=30)


def add_webhook(data_dir: Path, url: str, events: list[str]) -> str:
    """An endpoint row written before the server starts (its subscription cache is empty)."""
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    now = "2026-01-01 00:00:00.000000"
    with connect(data_dir) as conn:
        workspace_id = conn.execute("SELECT id FROM workspace").fetchone()[0]
        conn.execute(
            'INSERT INTO webhook (public_id, created_at, updated_at, workspace_id, scope, kind, '
            'url, events, enabled, secret, config, consecutive_failures) '
            "VALUES (?, ?, ?, ?, 'workspace', 'webhook', ?, ?, 1, ?, '{}', 0)",
            (ids.new_id("webhook"), now, now, workspace_id, url, json.dumps(events), secret))
    return secret


def rows(data_dir: Path, sql: str) -> list[tuple]:
    with connect(data_dir) as conn:
        return conn.execute(sql).fetchall()


def wait_until(check, what: str):
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def click(base: str, code: str) -> None:
    status, _, _ = call(f"{base}/{code}", headers={"User-Agent": "Mozilla/5.0 (X11; Linux "
                                                                "x86_64) Chrome/126.0"})
    assert status == 302


def test_clicks_arrive_as_signed_events(tmp_path):
    data_dir, key = install(tmp_path)
    with Receiver() as hook:
        secret = add_webhook(data_dir, hook.url, ["link.clicked"])
        server = Server(data_dir, WEBHOOK_ALLOW_PRIVATE="1")
        try:
            server.wait_healthy()
            link = api(f"{server.url}/api/links", "POST", key,
                       {"destinationUrl": "https://shop.example/", "shortCode": "hooked"}, 201)
            for _ in range(5):
                click(server.url, "hooked")
            received = hook.wait_for(5, timeout=WAIT)
        finally:
            assert server.stop() == 0
    verifier = standardwebhooks.Webhook(secret)
    payloads = [verifier.verify(r.body, r.headers) for r in received]
    assert {p["type"] for p in payloads} == {"link.clicked"}
    assert {p["data"]["linkId"] for p in payloads} == {link["id"]}
    assert len({p["id"] for p in payloads}) == 5
    assert [r.headers["webhook-id"] for r in received] == [p["id"] for p in payloads]
    clicks = {row[0] for row in rows(data_dir, "SELECT public_id FROM click")}
    assert {p["data"]["clickId"] for p in payloads} == clicks


def test_a_killed_server_resends_what_was_in_flight_once_and_in_order(tmp_path):
    data_dir, key = install(tmp_path)
    with Receiver() as hook:
        add_webhook(data_dir, hook.url, ["link.clicked"])
        hook.script("hang")  # the first delivery never gets an answer
        hook.hang_seconds = WAIT
        settings = {"WEBHOOK_ALLOW_PRIVATE": "1", "WEBHOOK_TIMEOUT_SECONDS": "2"}
        server = Server(data_dir, **settings)
        try:
            server.wait_healthy()
            api(f"{server.url}/api/links", "POST", key,
                {"destinationUrl": "https://shop.example/", "shortCode": "killed"}, 201)
            for _ in range(3):
                click(server.url, "killed")
            hook.wait_for(1, timeout=WAIT)
            # the other two are written (in the same flush or the next) behind the first
            wait_until(lambda: len(rows(data_dir, "SELECT id FROM webhook_delivery")) == 3,
                       "three deliveries")
        finally:
            server.stop(signal.SIGKILL)
        hook.down()  # drop the hung request
        hook.up()
        assert rows(data_dir, "SELECT status FROM webhook_delivery ORDER BY id")[0] == (
            "delivering",)
        server = Server(data_dir, **settings)
        try:
            received = hook.wait_for(4, timeout=WAIT)
            wait_until(lambda: rows(data_dir, "SELECT COUNT(*) FROM webhook_delivery "
                                              "WHERE status = 'succeeded'")[0][0] == 3,
                       "every delivery to succeed")
        finally:
            assert server.stop() == 0
    events = [row[0] for row in rows(
        data_dir, "SELECT e.public_id FROM webhook_delivery d JOIN webhook_event e "
                  "ON e.id = d.event_id ORDER BY d.id")]
    ids_received = [r.headers["webhook-id"] for r in received]
    assert ids_received == [events[0], *events]  # the killed one once more, then in order
    assert len(hook.requests) == 4


def test_sigterm_keeps_undelivered_events_for_the_next_start(tmp_path):
    data_dir, key = install(tmp_path)
    with Receiver() as hook:
        add_webhook(data_dir, hook.url, ["link.created"])
        url = hook.url
        hook.down()  # the receiver is away
        server = Server(data_dir, WEBHOOK_ALLOW_PRIVATE="1")
        try:
            server.wait_healthy()
            link = api(f"{server.url}/api/links", "POST", key,
                       {"destinationUrl": "https://shop.example/", "shortCode": "kept"}, 201)
            wait_until(lambda: rows(data_dir, "SELECT COUNT(*) FROM webhook_attempt")[0][0],
                       "the first (failed) try")
        finally:
            assert server.stop(signal.SIGTERM) == 0
        (state,) = rows(data_dir, "SELECT status, attempts FROM webhook_delivery")
        assert state == ("pending", 1)
        hook.up()
        assert hook.url == url
        server = Server(data_dir, WEBHOOK_ALLOW_PRIVATE="1")
        try:
            (request,) = hook.wait_for(1, timeout=WAIT)  # the retry, 5 s after the first try
        finally:
            assert server.stop() == 0
    assert request.json()["data"]["id"] == link["id"]
    assert rows(data_dir, "SELECT status FROM webhook_delivery") == [("succeeded",)]

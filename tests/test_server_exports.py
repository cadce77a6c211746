"""The real `linkhub serve` over real HTTP: exports are written by the in-process scheduler's
`exports` job. Links made through the API and a click through a real redirect come back as a
CSV and a JSON download with the right headers; an unknown export is a 404."""

from __future__ import annotations

import json
import time

import pytest

from linkhub import ids
from tests.test_server import WAIT, Server, init_data_dir
from tests.test_server_revenue import api, call

pytestmark = pytest.mark.server


def wait_completed(base: str, key: str, export_id: str) -> dict:
    deadline = time.monotonic() + WAIT
    while True:  # the scheduler runs the job every few seconds
        export = api(f"{base}/api/exports/{export_id}", "GET", key)
        if export["status"] not in ("pending", "processing") or time.monotonic() > deadline:
            return export
        time.sleep(0.3)


def test_scheduler_writes_exports_that_download_over_http(tmp_path):
    data_dir, key = init_data_dir(tmp_path)
    server = Server(data_dir)
    try:
        server.wait_healthy()
        base = server.url
        first = api(f"{base}/api/links", "POST", key,
                    {"destinationUrl": "https://example.com/a", "shortCode": "exp-a",
                     "title": "@risky"}, 201)
        second = api(f"{base}/api/links", "POST", key,
                     {"destinationUrl": "https://example.com/b", "shortCode": "exp-b"}, 201)
        status, _, _ = call(f"{base}/exp-b", headers={"User-Agent": "Mozilla/5.0 (X11; Linux "
                            "x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 "
                            "Safari/537.36"})
        assert status == 302

        links = api(f"{base}/api/links/export", "POST", key,
                    {"columns": ["id", "shortCode", "title"]}, 202)
        assert links["status"] == "pending"
        finished = wait_completed(base, key, links["id"])
        assert finished["status"] == "completed" and finished["rowsWritten"] == 2
        status, headers, body = call(base + finished["downloadUrl"], key=key)
        assert status == 200
        assert headers["Content-Type"] == "text/csv; charset=utf-8"
        assert headers["Content-Disposition"] == f"attachment; filename={finished['fileName']}"
        assert body.decode() == (f"id,shortCode,title\r\n{first['id']},exp-a,'@risky\r\n"
                                 f"{second['id']},exp-b,\r\n")

        deadline = time.monotonic() + WAIT
        while True:  # the click reaches the table at the writer's next flush
            clicks = api(f"{base}/api/exports", "POST", key,
                         {"type": "clicks", "format": "json",
                          "columns": ["shortCode", "device"]}, 202)
            rows = json.loads(call(base + wait_completed(base, key, clicks["id"])[
                "downloadUrl"], key=key)[2])
            if rows or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert rows == [{"shortCode": "exp-b", "device": "desktop"}]

        listed = api(f"{base}/api/exports", "GET", key)
        assert links["id"] in {e["id"] for e in listed}
        status, _, body = call(f"{base}/api/exports/{ids.new_id('export')}/download", key=key)
        assert status == 404 and json.loads(body)["error"]["code"] == "NOT_FOUND"
    finally:
        assert server.stop() == 0

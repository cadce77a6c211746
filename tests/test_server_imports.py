"""The real `linkhub serve` over real HTTP through the imports: a multipart CSV upload that the
scheduler's `imports` job turns into working short links (with its error report), a Bitly
import from a local fake of Bitly's API (a wrong token refused at start), and the JSON bundle
export; then a clean SIGTERM."""

from __future__ import annotations

import csv
import io
import json
import time
import urllib.error
import urllib.request

import pytest

from tests.api.imports_support import csv_bytes, multipart
from tests.api.provider_fakes import GOOD, FakeProviders
from tests.test_server import WAIT, Server, init_data_dir

pytestmark = pytest.mark.server


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def call(url: str, method: str = "GET", key: str | None = None, body: bytes | None = None,
         content_type: str | None = None) -> tuple[int, dict, bytes]:
    headers = {"X-API-Key": key} if key else {}
    if content_type:
        headers["Content-Type"] = content_type
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.build_opener(_NoRedirects).open(request, timeout=WAIT) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers), err.read()


def api(url: str, key: str, method: str = "GET", body: dict | None = None,
        status: int = 200) -> dict:
    raw = json.dumps(body).encode() if body is not None else None
    code, _, answer = call(url, method, key, raw, "application/json" if raw else None)
    payload = json.loads(answer)
    assert code == status, payload
    return payload["data"]


def finished(base: str, key: str, job_id: str) -> dict:
    """Poll until the scheduler's `imports` job has run this import to its end."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job = api(f"{base}/api/links/import/jobs/{job_id}", key)
        if job["status"] not in ("pending", "processing"):
            return job
        time.sleep(0.5)
    pytest.fail(f"import {job_id} did not finish: {job}")


def test_csv_and_bitly_imports_over_http(tmp_path):
    data_dir, key = init_data_dir(tmp_path)
    fake = FakeProviders(bitly={"Srv": 120})
    server = Server(data_dir, IMPORT_ALLOW_PRIVATE="1", IMPORT_BITLY_URL=fake.url + "/bitly")
    try:
        base = server.url
        content = csv_bytes([["url", "code", "title", "tags"],
                             ["https://example.com/s1", "srv-one", "One", "a;b"],
                             ["https://example.com/s2", "srv-two", "=2+2", ""],
                             ["https://example.com/s3", "srv-one", "dup", ""]])
        body, content_type = multipart(content, "links.csv")
        code, _, raw = call(f"{base}/api/links/import/csv", "POST", key, body, content_type)
        assert code == 202, raw
        job = finished(base, key, json.loads(raw)["data"]["id"])
        assert (job["status"], job["created"], job["skipped"]) == ("completed", 2, 1)
        code, headers, _ = call(f"{base}/srv-one")
        assert code == 302 and headers["Location"] == "https://example.com/s1"
        code, _, raw = call(base + job["errorReportUrl"], key=key)
        lines = list(csv.DictReader(io.StringIO(raw.decode())))
        assert code == 200 and [r["shortCode"] for r in lines] == ["srv-one"]

        refused = call(f"{base}/api/links/import/bitly/start", "POST", key,
                       json.dumps({"accessToken": "wrong"}).encode(), "application/json")
        assert refused[0] == 400
        assert json.loads(refused[2])["error"]["code"] == "INVALID_PROVIDER_TOKEN"
        job = api(f"{base}/api/links/import/bitly/start", key, "POST",
                  {"accessToken": GOOD}, status=202)
        job = finished(base, key, job["id"])
        assert (job["status"], job["created"]) == ("completed", 120)
        code, headers, _ = call(f"{base}/Srvx7")
        assert code == 302 and headers["Location"] == "https://example.com/bitly/Srv/7"

        code, _, raw = call(f"{base}/api/links/export/bundle", key=key)
        bundle = json.loads(raw)
        assert code == 200 and bundle["format"] == "linkhub.bundle"
        assert {"srv-one", "srv-two", "Srvx0"} <= {lk["shortCode"] for lk in bundle["links"]}
        assert next(lk for lk in bundle["links"] if lk["shortCode"] == "srv-two")["title"] \
            == "=2+2"
    finally:
        assert server.stop() == 0
        fake.stop()

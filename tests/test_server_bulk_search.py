"""The real `linkhub serve` over real HTTP: a synchronous bulk create of 500 links, global search
finding one of them, the new links redirecting, and an asynchronous bulk operation worked
through by the server's own scheduler (the `bulk-operations` job)."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest

from tests.test_server import WAIT, Server, init_data_dir
from tests.test_server_revenue import api, call

pytestmark = pytest.mark.server


def test_bulk_create_500_then_search_and_an_async_operation(tmp_path):
    data_dir, key = init_data_dir(tmp_path)
    server = Server(data_dir)
    try:
        server.wait_healthy()
        base = server.url
        links = [{"destinationUrl": f"https://shop.example/item/{i}", "shortCode": f"item-{i}",
                  "title": f"Catalogue item {i}", "tags": ["catalogue"]} for i in range(500)]
        links[321]["title"] = "Limited edition armadillo"
        created = api(f"{base}/api/links/bulk", "POST", key, {"links": links}, 201)
        assert created["count"] == 500 and len({link["id"] for link in created["links"]}) == 500

        query = urllib.parse.urlencode({"q": "armadil"})
        found = api(f"{base}/api/search?{query}", "GET", key)
        assert [hit["id"] for hit in found["hits"]] == [created["links"][321]["id"]]
        assert found["hits"][0]["url"] == f"/app/links/{created['links'][321]['id']}"
        status, headers, _ = call(f"{base}/item-321")
        assert status == 302 and headers["Location"].startswith("https://shop.example/item/321")

        again = [{"destinationUrl": "https://shop.example/x", "shortCode": "item-7"}]
        status, _, raw = call(f"{base}/api/links/bulk", "POST", key, {"links": again})
        assert status == 400 and json.loads(raw)["error"]["details"][0]["index"] == 0

        op = api(f"{base}/api/bulk/links/update", "POST", key, {"links": [
            {"id": f"item-{i}", "title": f"Renamed {i} okapi"} for i in range(20)]}, 202)
        deadline = time.monotonic() + WAIT
        while op["status"] in ("pending", "processing") and time.monotonic() < deadline:
            time.sleep(0.5)
            op = api(f"{base}/api/bulk/operations/{op['id']}", "GET", key)
        assert (op["status"], op["succeeded"], op["failed"]) == ("completed", 20, 0)
        found = api(f"{base}/api/search?q=okapi&limit=50", "GET", key)
        assert len(found["hits"]) == 20
    finally:
        assert server.stop() == 0, "".join(server.stderr)[-2000:]

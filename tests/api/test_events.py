"""/api/events through HTTP over the known story (tests/api/customers_support.py): the lead and
sale stream with its own `meta` envelope, every filter (type, link, customer by id or ext_,
date-only start/end covering whole days), every sort key both ways, pages and `hasMore`,
bad filters as 400 VALIDATION_ERROR, the `links:read` scope and workspace isolation."""

from __future__ import annotations

import pytest

from linkhub import ids
from tests.api.customers_support import tell
from tests.api.links_support import api_key
from tests.conftest import db_snapshot

E = "/api/events"
NEWEST_FIRST = ["S-5", "S-4", "S-3", "S-2", "L-2", "S-1", "L-1"]


@pytest.fixture
def story(app, client, alice):
    return tell(app, client, alice)


def get(client, persona, query: str = "") -> dict:
    response = client.get(f"{E}?{query}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def orders(client, persona, query: str = "") -> list[str]:
    return [e["orderId"] for e in get(client, persona, query)["data"]]


def test_stream_shape_and_default_order(client, alice, story):
    body = get(client, alice)
    assert list(body) == ["success", "data", "meta"]
    assert body["meta"] == {"page": 1, "limit": 50, "hasMore": False}
    assert [e["orderId"] for e in body["data"]] == NEWEST_FIRST  # custom D-1 is left out
    s1 = next(e for e in body["data"] if e["orderId"] == "S-1")
    assert s1 == {
        "id": story.conversions["S-1"], "timestamp": "2026-01-05T10:00:00.000Z",
        "eventType": "sale", "eventName": "purchase", "status": "approved", "amount": 100,
        "currency": "USD", "amountInUsd": 100, "clickId": story.clicks["c1"],
        "linkId": story.link_a["id"], "campaignId": story.spring["id"],
        "customerId": story.customers["u1"], "customerExternalId": "u1", "country": "US",
        "orderId": "S-1", "source": "api", "metadata": None}
    s3 = next(e for e in body["data"] if e["orderId"] == "S-3")
    assert (s3["status"], s3["country"], s3["customerExternalId"]) == ("refunded", "NL", "u4")


def test_filters(client, alice, story):
    assert orders(client, alice, "type=lead") == ["L-2", "L-1"]
    assert orders(client, alice, "type=sale") == ["S-5", "S-4", "S-3", "S-2", "S-1"]
    assert orders(client, alice, f"linkId={story.link_a['id']}") == ["S-4", "S-3", "S-1", "L-1"]
    assert orders(client, alice, f"linkId={story.link_b['id']}&type=sale") == ["S-5", "S-2"]
    assert orders(client, alice, "customerId=ext_u2") == ["S-2", "L-2"]
    assert orders(client, alice, f"customerId={story.customers['u4']}") == ["S-4", "S-3"]
    assert orders(client, alice, "customerId=ext_nobody") == []
    assert orders(client, alice, f"linkId={ids.new_id('link')}") == []
    # a date-only end is that whole day; a date-only start its first instant
    assert orders(client, alice, "start=2026-02-15&end=2026-02-15") == ["S-4", "S-3"]
    assert orders(client, alice, "start=2026-01-05T10:00:00Z&end=2026-01-20") == \
        ["L-2", "S-1", "L-1"]
    assert orders(client, alice, "start=2026-01-05T10:00:01Z&end=2026-02-10") == ["S-2", "L-2"]
    assert orders(client, alice, "end=2026-01-04") == []
    assert orders(client, alice, "start=2026-03-10T12:00:00%2B01:00") == ["S-5"]


@pytest.mark.parametrize("sort, ascending, descending", [
    ("timestamp", ["L-1", "S-1", "L-2", "S-2", "S-3", "S-4", "S-5"],
     ["S-5", "S-4", "S-3", "S-2", "L-2", "S-1", "L-1"]),
    ("amount_in_usd", ["L-1", "L-2", "S-4", "S-5", "S-2", "S-3", "S-1"],
     ["S-1", "S-3", "S-2", "S-5", "S-4", "L-2", "L-1"]),
    ("country", ["L-2", "S-2", "S-3", "S-4", "L-1", "S-1", "S-5"],
     ["S-5", "S-1", "L-1", "S-4", "S-3", "S-2", "L-2"]),
    ("customer_external_id", ["L-1", "S-1", "S-5", "L-2", "S-2", "S-3", "S-4"],
     ["S-4", "S-3", "S-2", "L-2", "S-5", "S-1", "L-1"]),
    ("event_type", ["L-1", "L-2", "S-1", "S-2", "S-3", "S-4", "S-5"],
     ["S-5", "S-4", "S-3", "S-2", "S-1", "L-2", "L-1"]),
    ("event_name", ["S-1", "S-2", "S-3", "S-4", "S-5", "L-1", "L-2"],
     ["L-2", "L-1", "S-5", "S-4", "S-3", "S-2", "S-1"]),
])
def test_every_sort_key_both_ways(client, alice, story, sort, ascending, descending):
    """Ties keep the order the events were recorded in (reversed when descending)."""
    assert orders(client, alice, f"sortBy={sort}&sortOrder=asc") == ascending
    assert orders(client, alice, f"sortBy={sort}&sortOrder=desc") == descending
    if sort == "timestamp":
        assert orders(client, alice, f"sortBy={sort}") == descending  # desc by default


def test_pages_and_has_more(client, alice, story):
    first = get(client, alice, "limit=3")
    assert first["meta"] == {"page": 1, "limit": 3, "hasMore": True}
    assert [e["orderId"] for e in first["data"]] == NEWEST_FIRST[:3]
    second = get(client, alice, "limit=3&page=2")
    assert [e["orderId"] for e in second["data"]] == NEWEST_FIRST[3:6]
    assert second["meta"]["hasMore"] is True
    last = get(client, alice, "limit=3&page=3")
    assert [e["orderId"] for e in last["data"]] == NEWEST_FIRST[6:]
    assert last["meta"] == {"page": 3, "limit": 3, "hasMore": False}
    exact = get(client, alice, "limit=7")
    assert exact["meta"]["hasMore"] is False and len(exact["data"]) == 7
    assert get(client, alice, "page=9")["data"] == []
    assert get(client, alice, "limit=100")["meta"]["limit"] == 100


@pytest.mark.parametrize("query, field", [
    ("type=custom", "type"), ("type=LEAD", "type"), ("type=conversion", "type"),
    ("linkId=nope", "linkId"), ("linkId=camp_0000000000000000", "linkId"),
    ("customerId=u1", "customerId"), ("customerId=ext_", "customerId"),
    ("start=yesterday", "start"), ("end=2026-02-30", "end"),
    ("start=2026-03-01&end=2026-02-01", "start"),
    ("sortBy=amount", "sortBy"), ("sortOrder=up", "sortOrder"),
    ("limit=101", "limit"), ("limit=0", "limit"), ("page=0", "page"), ("page=x", "page"),
])
def test_bad_filters_are_400(app, client, alice, query, field):
    before = db_snapshot(app)
    response = client.get(f"{E}?{query}", headers=alice.headers)
    body = response.get_json()
    assert response.status_code == 400 and body["error"]["code"] == "VALIDATION_ERROR", body
    assert field in {d["field"] for d in body["error"]["details"]}
    assert db_snapshot(app) == before


def test_all_bad_filters_are_reported_together(client, alice):
    body = client.get(f"{E}?type=x&linkId=y&sortBy=z", headers=alice.headers).get_json()
    assert {d["field"] for d in body["error"]["details"]} == {"type", "linkId", "sortBy"}


def test_scope_and_isolation(app, client, alice, charlie, story):
    assert client.get(E, headers=api_key(app, alice, ["links:read"])).status_code == 200
    response = client.get(E, headers=api_key(app, alice, ["customers:read"]))
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "FORBIDDEN"
    assert client.get(E).status_code == 401
    assert get(client, charlie)["data"] == []
    assert get(client, charlie, f"linkId={story.link_a['id']}")["data"] == []
    assert get(client, charlie, f"customerId={story.customers['u1']}")["data"] == []
    assert get(client, charlie, "customerId=ext_u1")["data"] == []

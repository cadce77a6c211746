"""The synchronous bulk routes: POST|PATCH /api/links/bulk and POST /api/links/bulk/delete. Up
to 1,000 items, all or nothing (any item error: 400 with per-item details, database unchanged),
every link rule applied, and `/links/bulk` never read as a link id."""

from __future__ import annotations

import pytest

from linkhub.schemas.links import LinkOut
from tests.api.links_support import api_key, create, make_campaign
from tests.conftest import db_snapshot


def bulk_create(client, persona, links, status=201):
    response = client.post("/api/links/bulk", json={"links": links}, headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def details_of(body) -> list[dict]:
    assert body["success"] is False and body["error"]["code"] == "VALIDATION_ERROR", body
    return body["error"]["details"]


def live_codes(client, persona) -> set[str]:
    data = client.get("/api/links?limit=100", headers=persona.headers).get_json()["data"]
    return {link["shortCode"] for link in data}


# --- create -------------------------------------------------------------------------------------

def test_create_many_links(client, alice):
    body = bulk_create(client, alice, [
        {"destinationUrl": "https://shop.example/a", "shortCode": "bulk-a", "tags": ["sale"]},
        {"destinationUrl": "https://shop.example/b", "title": "B"},
        {"destinationUrl": "https://shop.example/c", "utm_source": "mail"},
    ])["data"]
    assert body["count"] == 3 and len(body["links"]) == 3
    for link in body["links"]:
        LinkOut.model_validate(link)
    assert body["links"][0]["shortCode"] == "bulk-a" and body["links"][0]["tags"] == ["sale"]
    assert body["links"][1]["title"] == "B" and len(body["links"][1]["shortCode"]) == 7
    assert body["links"][2]["utmSource"] == "mail"
    assert {"bulk-a"} <= live_codes(client, alice)


def test_created_links_redirect_at_once(client, alice):
    bulk_create(client, alice, [{"destinationUrl": "https://shop.example/go",
                                 "shortCode": "bulk-go"}])
    response = client.get("/bulk-go")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("https://shop.example/go")


def test_1001_items_are_refused_before_anything_is_written(client, app, alice):
    before = db_snapshot(app)
    links = [{"destinationUrl": f"https://shop.example/{i}"} for i in range(1001)]
    body = bulk_create(client, alice, links, 400)
    assert details_of(body) == [{"field": "links", "message": body["error"]["details"][0]
                                 ["message"]}]
    assert "at most 1,000" in body["error"]["details"][0]["message"]
    assert db_snapshot(app) == before


def test_an_empty_list_is_400(client, alice):
    assert details_of(bulk_create(client, alice, [], 400))[0]["field"] == "links"


def test_duplicate_codes_inside_one_request_write_nothing(client, app, alice):
    before = db_snapshot(app)
    body = bulk_create(client, alice, [
        {"destinationUrl": "https://shop.example/1", "shortCode": "twice"},
        {"destinationUrl": "https://shop.example/2", "shortCode": "once"},
        {"destinationUrl": "https://shop.example/3", "shortCode": "twice"},
    ], 400)
    assert details_of(body) == [{"field": "links.2.shortCode", "message": "repeats item 0 of "
                                 "this batch", "index": 2, "code": "VALIDATION_ERROR",
                                 "status": 400}]
    assert "nothing was written" in body["error"]["message"]
    assert db_snapshot(app) == before


def test_every_failing_item_is_reported_and_nothing_is_written(client, app, alice):
    create(client, alice, shortCode="taken")
    before = db_snapshot(app)
    body = bulk_create(client, alice, [
        {"destinationUrl": "https://shop.example/ok"},
        {"destinationUrl": "ftp://shop.example/bad"},
        {"destinationUrl": "https://shop.example/x", "shortCode": "taken"},
        {"destinationUrl": "https://shop.example/y", "campaignId": "camp_AAAAAAAAAAAAAAAA"},
        {"destinationUrl": "https://shop.example/z", "clicksLimit": 0, "title": "x" * 501},
    ], 400)
    details = details_of(body)
    by_index = {}
    for d in details:
        by_index.setdefault(d["index"], []).append(d)
    assert sorted(by_index) == [1, 2, 3, 4]
    assert by_index[1][0]["field"] == "links.1.destinationUrl"
    assert by_index[2][0] == {"field": "links.2.shortCode", "index": 2, "status": 409,
                              "code": "SHORT_CODE_EXISTS",
                              "message": by_index[2][0]["message"]}
    assert by_index[3][0]["code"] == "NOT_FOUND" and by_index[3][0]["status"] == 404
    assert {d["field"] for d in by_index[4]} == {"links.4.clicksLimit", "links.4.title"}
    assert body["error"]["message"] == "4 of 5 items failed; nothing was written."
    assert db_snapshot(app) == before


def test_wrong_json_types_name_the_item(client, app, alice):
    before = db_snapshot(app)
    body = bulk_create(client, alice, [{"destinationUrl": "https://shop.example/1"},
                                       {"destinationUrl": "https://shop.example/2",
                                        "clicksLimit": "5"}], 400)
    assert details_of(body)[0]["field"] == "links.1.clicksLimit"
    assert db_snapshot(app) == before


def test_the_create_scope_is_needed(client, app, alice):
    headers = api_key(app, alice, ["links:read", "links:update"])
    response = client.post("/api/links/bulk", json={"links": [{"destinationUrl":
                                                               "https://a.example/"}]},
                           headers=headers)
    assert response.status_code == 403


# --- update ---------------------------------------------------------------------------------

def test_update_many_links(client, alice, app):
    one, two = create(client, alice, shortCode="u-one"), create(client, alice)
    campaign = make_campaign(app, alice)
    response = client.patch("/api/links/bulk", headers=alice.headers, json={"links": [
        {"id": one["id"], "title": "First", "campaignId": campaign},
        {"id": two["shortCode"], "enabled": False, "tags": ["x", "y"]},
    ]})
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    assert data["count"] == 2
    assert data["links"][0]["title"] == "First" and data["links"][0]["campaignId"] == campaign
    assert data["links"][1]["enabled"] is False and data["links"][1]["tags"] == ["x", "y"]


def test_update_follows_into_the_redirect_cache(client, alice):
    link = create(client, alice, shortCode="moving", destinationUrl="https://old.example/")
    assert client.get("/moving").headers["Location"].startswith("https://old.example/")
    response = client.patch("/api/links/bulk", headers=alice.headers, json={"links": [
        {"id": link["id"], "destinationUrl": "https://new.example/"}]})
    assert response.status_code == 200
    assert client.get("/moving").headers["Location"].startswith("https://new.example/")


def test_another_workspaces_link_is_a_per_item_404_and_nothing_changes(client, app, alice,
                                                                        charlie):
    mine = create(client, alice, title="Mine")
    theirs = create(client, charlie, title="Theirs")
    before = db_snapshot(app)
    response = client.patch("/api/links/bulk", headers=alice.headers, json={"links": [
        {"id": mine["id"], "title": "Changed"},
        {"id": theirs["id"], "title": "Stolen"},
    ]})
    details = details_of(response.get_json())
    assert response.status_code == 400
    assert details == [{"field": "links.1", "message": "Link not found.", "index": 1,
                        "code": "NOT_FOUND", "status": 404}]
    assert db_snapshot(app) == before
    got = client.get(f"/api/links/{mine['id']}", headers=alice.headers).get_json()["data"]
    assert got["title"] == "Mine"
    got = client.get(f"/api/links/{theirs['id']}", headers=charlie.headers).get_json()["data"]
    assert got["title"] == "Theirs"


def test_update_items_need_an_id(client, alice):
    response = client.patch("/api/links/bulk", headers=alice.headers,
                            json={"links": [{"title": "No id"}]})
    assert details_of(response.get_json())[0]["field"] == "links.0.id"


def test_a_code_clash_made_inside_the_batch_fails_it(client, app, alice):
    one, two = create(client, alice), create(client, alice)
    before = db_snapshot(app)
    response = client.patch("/api/links/bulk", headers=alice.headers, json={"links": [
        {"id": one["id"], "shortCode": "same-code"},
        {"id": two["id"], "shortCode": "same-code"},
    ]})
    details = details_of(response.get_json())
    assert [(d["index"], d["code"]) for d in details] == [(1, "SHORT_CODE_EXISTS")]
    assert db_snapshot(app) == before


# --- the route is not a link id ---------------------------------------------------------------

def test_bulk_is_not_read_as_a_link_id(client, alice):
    """A link may have the short code `bulk`: GET /api/links/bulk finds it, PATCH
    /api/links/bulk is the bulk route (werkzeug ranks the static rule first), and the link is
    still updated through its id."""
    link = create(client, alice, shortCode="bulk", title="Called bulk")
    got = client.get("/api/links/bulk", headers=alice.headers)
    assert got.status_code == 200 and got.get_json()["data"]["id"] == link["id"]
    response = client.patch("/api/links/bulk", headers=alice.headers,
                            json={"title": "Not a bulk body"})
    assert response.status_code == 400
    assert details_of(response.get_json())[0]["field"] == "links"
    response = client.patch(f"/api/links/{link['id']}", headers=alice.headers,
                            json={"title": "Renamed"})
    assert response.status_code == 200 and response.get_json()["data"]["title"] == "Renamed"
    response = client.post("/api/links/bulk/delete", headers=alice.headers,
                           json={"linkIds": ["bulk"]})
    assert response.status_code == 200
    assert response.get_json()["data"] == {"count": 1, "deleted": [link["id"]]}


@pytest.mark.parametrize("method", ["PUT", "DELETE"])
def test_other_methods_on_the_bulk_path(client, alice, method):
    response = client.open("/api/links/bulk", method=method, headers=alice.headers)
    if method == "PUT":
        assert response.status_code == 405
    else:  # DELETE /api/links/<code>: a link whose code is `bulk` (none here)
        assert response.status_code == 404


# --- delete ---------------------------------------------------------------------------------

def test_delete_many_links(client, alice):
    one, two = create(client, alice, shortCode="del-1"), create(client, alice)
    response = client.post("/api/links/bulk/delete", headers=alice.headers,
                           json={"linkIds": [one["id"], two["id"]]})
    assert response.status_code == 200
    assert response.get_json()["data"] == {"count": 2, "deleted": [one["id"], two["id"]]}
    assert client.get(f"/api/links/{one['id']}", headers=alice.headers).status_code == 404
    assert client.get("/del-1").status_code == 404


def test_delete_is_all_or_nothing(client, app, alice, charlie):
    mine, gone = create(client, alice), create(client, alice)
    client.delete(f"/api/links/{gone['id']}", headers=alice.headers)
    theirs = create(client, charlie)
    before = db_snapshot(app)
    response = client.post("/api/links/bulk/delete", headers=alice.headers, json={
        "linkIds": [mine["id"], theirs["id"], gone["id"], mine["id"], "no-such-code"]})
    details = details_of(response.get_json())
    assert [(d["index"], d["code"], d["status"]) for d in details] == [
        (1, "NOT_FOUND", 404), (2, "ALREADY_DELETED", 409), (3, "VALIDATION_ERROR", 400),
        (4, "NOT_FOUND", 404)]
    assert details[2]["field"] == "linkIds.3.id"
    assert db_snapshot(app) == before
    assert client.get(f"/api/links/{mine['id']}", headers=alice.headers).status_code == 200


def test_more_than_1000_ids_are_refused(client, alice):
    response = client.post("/api/links/bulk/delete", headers=alice.headers,
                           json={"linkIds": ["x"] * 1001})
    assert details_of(response.get_json())[0]["field"] == "linkIds"

"""/api/tags: CRUD, case-blind unique names, colours, link counts, isolation and roles."""

from __future__ import annotations

import pytest

from linkhub.schemas.tags import TagOut
from tests.api.links_support import api_key, create, error_of, viewer_headers
from tests.conftest import db_snapshot


def post(client, persona, body, headers=None):
    return client.post("/api/tags", json=body, headers=headers or persona.headers)


def made(client, persona, **body):
    r = post(client, persona, body)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["data"]


def test_create_get_list_with_link_counts(client, alice):
    tag = made(client, alice, name="Launch", color="#AABBCC")
    assert tag["id"].startswith("tag_") and tag["color"] == "#aabbcc"
    assert tag["linkCount"] == 0
    create(client, alice, tags=["launch"])
    doomed = create(client, alice, tags=[tag["id"]])
    client.delete(f"/api/links/{doomed['id']}", headers=alice.headers)
    got = client.get(f"/api/tags/{tag['id']}", headers=alice.headers).get_json()["data"]
    assert got["linkCount"] == 1 and got["name"] == "Launch"
    TagOut.model_validate(got)
    made(client, alice, name="alpha", color="teal")
    r = client.get("/api/tags", headers=alice.headers)
    assert [t["name"] for t in r.get_json()["data"]] == ["alpha", "Launch"]
    assert r.get_json()["data"][1]["linkCount"] == 1
    r = client.get("/api/tags?search=LAU", headers=alice.headers)
    assert [t["name"] for t in r.get_json()["data"]] == ["Launch"]


@pytest.mark.parametrize("body,field", [
    ({}, "name"), ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 65}, "name"),
    ({"name": 5}, "name"), ({"name": "ok", "color": "blue-ish"}, "color"),
    ({"name": "ok", "color": "#abc"}, "color"), ({"name": "ok", "color": 123}, "color"),
])
def test_bad_tags(app, client, alice, body, field):
    before = db_snapshot(app)
    r = post(client, alice, body)
    assert error_of(r) == (400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in r.get_json()["error"]["details"]]
    assert db_snapshot(app) == before


def test_names_are_unique_ignoring_case(app, client, alice, charlie):
    first = made(client, alice, name="News")
    before = db_snapshot(app)
    assert error_of(post(client, alice, {"name": "NEWS"})) == (409, "CONFLICT")
    assert db_snapshot(app) == before
    assert made(client, charlie, name="news")  # other workspace
    other = made(client, alice, name="Other")
    r = client.patch(f"/api/tags/{other['id']}", json={"name": "news"}, headers=alice.headers)
    assert error_of(r) == (409, "CONFLICT")
    r = client.patch(f"/api/tags/{first['id']}", json={"name": "NEWS"}, headers=alice.headers)
    assert r.status_code == 200 and r.get_json()["data"]["name"] == "NEWS"


def test_update_and_delete(client, alice):
    tag = made(client, alice, name="Old", color="red")
    link = create(client, alice, tags=["Old"])
    r = client.patch(f"/api/tags/{tag['id']}", json={"color": None}, headers=alice.headers)
    assert r.get_json()["data"]["color"] is None and r.get_json()["data"]["name"] == "Old"
    r = client.patch(f"/api/tags/{tag['id']}", json={"name": "New"}, headers=alice.headers)
    assert r.get_json()["data"]["name"] == "New"
    got = client.get(f"/api/links/{link['id']}", headers=alice.headers).get_json()["data"]
    assert got["tags"] == ["New"]
    r = client.delete(f"/api/tags/{tag['id']}", headers=alice.headers)
    assert r.get_json()["data"] == {"id": tag["id"], "deleted": True}
    got = client.get(f"/api/links/{link['id']}", headers=alice.headers).get_json()["data"]
    assert got["tags"] == []
    assert error_of(client.get(f"/api/tags/{tag['id']}", headers=alice.headers)) == (
        404, "NOT_FOUND")


def test_bad_update_changes_nothing(app, client, alice):
    tag = made(client, alice, name="Keep")
    before = db_snapshot(app)
    for body in ({"name": ""}, {"name": None}, {"color": "#12345g"}):
        r = client.patch(f"/api/tags/{tag['id']}", json=body, headers=alice.headers)
        assert error_of(r) == (400, "VALIDATION_ERROR")
    assert db_snapshot(app) == before
    got = client.get(f"/api/tags/{tag['id']}", headers=alice.headers).get_json()["data"]
    assert got["name"] == "Keep"


def test_isolation(app, client, alice, charlie):
    tag = made(client, alice, name="Private")
    before = db_snapshot(app)
    for method in ("get", "patch", "delete"):
        r = getattr(client, method)(f"/api/tags/{tag['id']}", json={"name": "x"},
                                    headers=charlie.headers)
        assert error_of(r) == (404, "NOT_FOUND")
    assert client.get("/api/tags", headers=charlie.headers).get_json()["data"] == []
    assert error_of(client.get("/api/tags/nonsense", headers=alice.headers))[0] == 404
    assert db_snapshot(app) == before


def test_scopes_and_roles(app, client, alice):
    tag = made(client, alice, name="T")
    read_only = api_key(app, alice, ["links:read"])
    viewer = viewer_headers(app, alice)
    before = db_snapshot(app)
    for headers in (read_only, viewer):
        assert client.get("/api/tags", headers=headers).status_code == 200
        assert error_of(post(client, alice, {"name": "x"}, headers)) == (403, "FORBIDDEN")
        r = client.patch(f"/api/tags/{tag['id']}", json={"name": "y"}, headers=headers)
        assert error_of(r) == (403, "FORBIDDEN")
        r = client.delete(f"/api/tags/{tag['id']}", headers=headers)
        assert error_of(r) == (403, "FORBIDDEN")
    assert db_snapshot(app) == before
    no_read = api_key(app, alice, ["campaigns:read"])
    assert error_of(client.get("/api/tags", headers=no_read)) == (403, "FORBIDDEN")

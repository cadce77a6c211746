"""/api/folders: CRUD, nesting without cycles, delete semantics (links to no folder,
children up one level), link counts, isolation and roles."""

from __future__ import annotations

import pytest

from linkhub.schemas.folders import FolderOut
from tests.api.links_support import api_key, create, error_of, viewer_headers
from tests.conftest import db_snapshot


def made(client, persona, **body):
    r = client.post("/api/folders", json=body, headers=persona.headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["data"]


def get(client, persona, folder_id):
    return client.get(f"/api/folders/{folder_id}", headers=persona.headers).get_json()["data"]


def test_create_nested_and_list(client, alice):
    root = made(client, alice, name="Marketing", color="blue")
    child = made(client, alice, name="Email", parentId=root["id"])
    assert root["parentId"] is None and child["parentId"] == root["id"]
    assert root["id"].startswith("fld_") and child["linkCount"] == 0
    create(client, alice, folderId=child["id"])
    assert get(client, alice, child["id"])["linkCount"] == 1
    FolderOut.model_validate(get(client, alice, child["id"]))
    listed = client.get("/api/folders", headers=alice.headers).get_json()
    assert [f["name"] for f in listed["data"]] == ["Email", "Marketing"]
    assert listed["data"][0]["parentId"] == root["id"]
    tops = client.get("/api/folders?parentId=root", headers=alice.headers).get_json()["data"]
    assert [f["id"] for f in tops] == [root["id"]]
    kids = client.get(f"/api/folders?parentId={root['id']}",
                      headers=alice.headers).get_json()["data"]
    assert [f["id"] for f in kids] == [child["id"]]


@pytest.mark.parametrize("body,status", [
    ({}, 400), ({"name": ""}, 400), ({"name": "n" * 101}, 400), ({"name": 1}, 400),
    ({"name": "x", "color": "nope"}, 400), ({"name": "x", "parentId": "fld_0000000000000000"},
                                             404),
    ({"name": "x", "parentId": "garbage"}, 404), ({"name": "x", "parentId": 5}, 400),
])
def test_bad_folders(app, client, alice, body, status):
    before = db_snapshot(app)
    r = client.post("/api/folders", json=body, headers=alice.headers)
    assert error_of(r)[0] == status
    assert db_snapshot(app) == before


def test_no_cycles(app, client, alice):
    a = made(client, alice, name="A")
    b = made(client, alice, name="B", parentId=a["id"])
    c = made(client, alice, name="C", parentId=b["id"])
    before = db_snapshot(app)
    for folder, parent in ((a, c), (a, a), (b, c)):
        r = client.patch(f"/api/folders/{folder['id']}", json={"parentId": parent["id"]},
                         headers=alice.headers)
        assert error_of(r) == (400, "VALIDATION_ERROR")
    assert db_snapshot(app) == before
    r = client.patch(f"/api/folders/{c['id']}", json={"parentId": None, "name": "C2"},
                     headers=alice.headers)
    assert r.get_json()["data"]["parentId"] is None and r.get_json()["data"]["name"] == "C2"
    r = client.patch(f"/api/folders/{a['id']}", json={"parentId": c["id"]},
                     headers=alice.headers)
    assert r.get_json()["data"]["parentId"] == c["id"]


def test_delete_moves_links_out_and_children_up(client, alice):
    top = made(client, alice, name="Top")
    middle = made(client, alice, name="Middle", parentId=top["id"])
    leaf = made(client, alice, name="Leaf", parentId=middle["id"])
    link = create(client, alice, folderId=middle["id"])
    r = client.delete(f"/api/folders/{middle['id']}", headers=alice.headers)
    assert r.get_json()["data"] == {"id": middle["id"], "deleted": True}
    assert get(client, alice, leaf["id"])["parentId"] == top["id"]
    got = client.get(f"/api/links/{link['id']}", headers=alice.headers).get_json()["data"]
    assert got["folderId"] is None
    assert error_of(client.get(f"/api/folders/{middle['id']}", headers=alice.headers)) == (
        404, "NOT_FOUND")


def test_isolation(app, client, alice, charlie):
    folder = made(client, alice, name="Private")
    before = db_snapshot(app)
    for method in ("get", "patch", "delete"):
        r = getattr(client, method)(f"/api/folders/{folder['id']}", json={"name": "x"},
                                    headers=charlie.headers)
        assert error_of(r) == (404, "NOT_FOUND")
    r = client.post("/api/folders", json={"name": "x", "parentId": folder["id"]},
                    headers=charlie.headers)
    assert error_of(r) == (404, "NOT_FOUND")
    assert client.get("/api/folders", headers=charlie.headers).get_json()["data"] == []
    assert db_snapshot(app) == before


def test_scopes_and_roles(app, client, alice):
    folder = made(client, alice, name="F")
    read_only = api_key(app, alice, ["links:read"])
    viewer = viewer_headers(app, alice)
    before = db_snapshot(app)
    for headers in (read_only, viewer):
        assert client.get(f"/api/folders/{folder['id']}", headers=headers).status_code == 200
        r = client.post("/api/folders", json={"name": "x"}, headers=headers)
        assert error_of(r) == (403, "FORBIDDEN")
        r = client.patch(f"/api/folders/{folder['id']}", json={"name": "y"}, headers=headers)
        assert error_of(r) == (403, "FORBIDDEN")
        assert error_of(client.delete(f"/api/folders/{folder['id']}", headers=headers)) == (
            403, "FORBIDDEN")
    assert db_snapshot(app) == before

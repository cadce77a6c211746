"""/api/utm-templates: CRUD, link counts, effective UTM values, cache invalidation,
isolation and roles."""

from __future__ import annotations

import pytest

from linkhub.models import Link
from linkhub.schemas.utm_templates import UtmTemplateOut
from linkhub.services.utm_templates import effective_utms
from tests.api.links_support import api_key, create, error_of, in_app, viewer_headers
from tests.conftest import db_snapshot


def made(client, persona, **body):
    r = client.post("/api/utm-templates", json=body, headers=persona.headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["data"]


def utms_of(app, link_id):
    with in_app(app):
        return effective_utms(Link.get(Link.public_id == link_id))


def test_create_get_list(client, alice):
    row = made(client, alice, name="Newsletter", utmSource="newsletter", utm_medium="email",
               ref="partner")
    assert row["id"].startswith("utm_")
    assert (row["utmSource"], row["utmMedium"], row["ref"]) == ("newsletter", "email",
                                                                "partner")
    assert row["utmCampaign"] is None and row["linkCount"] == 0
    create(client, alice, utmTemplateId=row["id"])
    got = client.get(f"/api/utm-templates/{row['id']}", headers=alice.headers).get_json()
    assert got["data"]["linkCount"] == 1
    UtmTemplateOut.model_validate(got["data"])
    listed = client.get("/api/utm-templates", headers=alice.headers).get_json()
    assert [t["id"] for t in listed["data"]] == [row["id"]]
    assert listed["data"][0]["linkCount"] == 1


@pytest.mark.parametrize("body", [
    {}, {"name": ""}, {"name": "n" * 101}, {"name": "ok", "utmSource": "s" * 256},
    {"name": "ok", "ref": 3}, {"name": ["x"]},
])
def test_bad_templates(app, client, alice, body):
    before = db_snapshot(app)
    r = client.post("/api/utm-templates", json=body, headers=alice.headers)
    assert error_of(r) == (400, "VALIDATION_ERROR")
    assert db_snapshot(app) == before


def test_template_fills_only_empty_link_values(app, client, alice):
    row = made(client, alice, name="T", utmSource="tpl-src", utmMedium="tpl-med", ref="r1")
    link = create(client, alice, utmTemplateId=row["id"], utmSource="own-src")
    assert utms_of(app, link["id"]) == {"utm_source": "own-src", "utm_medium": "tpl-med",
                                        "ref": "r1"}
    plain = create(client, alice, utmCampaign="c")
    assert utms_of(app, plain["id"]) == {"utm_campaign": "c"}


def test_update_and_delete_reach_links_and_the_cache(app, client, alice, monkeypatch):
    from linkhub.redirect import cache

    row = made(client, alice, name="T", utmSource="a")
    link = create(client, alice, utmTemplateId=row["id"], shortCode="utmlink")
    calls = []
    monkeypatch.setattr(cache.for_app(app), "invalidate_link", lambda *a: calls.append(a))
    r = client.patch(f"/api/utm-templates/{row['id']}", json={"utmSource": "b", "ref": "x"},
                     headers=alice.headers)
    assert r.status_code == 200 and r.get_json()["data"]["utmSource"] == "b"
    assert utms_of(app, link["id"]) == {"utm_source": "b", "ref": "x"}
    assert calls and calls[-1][-1] == (0, "utmlink")
    calls.clear()
    r = client.delete(f"/api/utm-templates/{row['id']}", headers=alice.headers)
    assert r.get_json()["data"] == {"id": row["id"], "deleted": True}
    assert calls and calls[-1][-1] == (0, "utmlink")
    got = client.get(f"/api/links/{link['id']}", headers=alice.headers).get_json()["data"]
    assert got["utmTemplateId"] is None
    assert utms_of(app, link["id"]) == {}


def test_update_clears_with_null_and_keeps_name(app, client, alice):
    row = made(client, alice, name="Keep", utmTerm="t")
    r = client.patch(f"/api/utm-templates/{row['id']}", json={"utmTerm": None},
                     headers=alice.headers)
    assert r.get_json()["data"]["utmTerm"] is None and r.get_json()["data"]["name"] == "Keep"
    before = db_snapshot(app)
    r = client.patch(f"/api/utm-templates/{row['id']}", json={"name": None},
                     headers=alice.headers)
    assert error_of(r) == (400, "VALIDATION_ERROR")
    assert db_snapshot(app) == before


def test_isolation(app, client, alice, charlie):
    row = made(client, alice, name="Private")
    before = db_snapshot(app)
    for method in ("get", "patch", "delete"):
        r = getattr(client, method)(f"/api/utm-templates/{row['id']}", json={"name": "x"},
                                    headers=charlie.headers)
        assert error_of(r) == (404, "NOT_FOUND")
    r = client.post("/api/links", json={"destinationUrl": "https://example.com",
                                        "utmTemplateId": row["id"]}, headers=charlie.headers)
    assert error_of(r) == (404, "NOT_FOUND")
    assert client.get("/api/utm-templates", headers=charlie.headers).get_json()["data"] == []
    assert db_snapshot(app) == before


def test_scopes_and_roles(app, client, alice):
    row = made(client, alice, name="T")
    read_only = api_key(app, alice, ["links:read"])
    viewer = viewer_headers(app, alice)
    before = db_snapshot(app)
    for headers in (read_only, viewer):
        assert client.get("/api/utm-templates", headers=headers).status_code == 200
        r = client.post("/api/utm-templates", json={"name": "x"}, headers=headers)
        assert error_of(r) == (403, "FORBIDDEN")
        r = client.patch(f"/api/utm-templates/{row['id']}", json={"name": "y"},
                         headers=headers)
        assert error_of(r) == (403, "FORBIDDEN")
        r = client.delete(f"/api/utm-templates/{row['id']}", headers=headers)
        assert error_of(r) == (403, "FORBIDDEN")
    assert db_snapshot(app) == before

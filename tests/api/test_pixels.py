"""/api/pixels: create, list (filters, sorts, pages), read, update (null clears, captureParams
replaces), delete, the fires listing, every bad input (400 with details and an unchanged
database), isolation (another workspace's pixel, campaign or link answers 404), scopes, roles
and the audit log."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest

from linkhub import clock, ids
from linkhub.models import AuditLog, Pixel, PixelFire
from linkhub.services.accounts import create_user
from linkhub.services.api_keys import create_api_key
from linkhub.services.workspaces import add_member
from tests.conftest import PASSWORD, db_snapshot
from tests.redirect.redirect_support import CHROME, make_campaign, make_link

URL = "/api/pixels"


def create(client, persona, **body) -> dict:
    body.setdefault("name", "Thank-you page")
    response = client.post(URL, json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def patch(client, persona, pixel_id: str, **body):
    return client.patch(f"{URL}/{pixel_id}", json=body, headers=persona.headers)


def refused(client, app, method, url, headers, status, code, **kw) -> dict:
    """Send, expect the error envelope, and prove the database did not change."""
    before = db_snapshot(app)
    response = client.open(url, method=method, headers=headers, **kw)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == code, body
    assert db_snapshot(app) == before
    return body["error"]


def scoped_headers(app, persona, scopes: list[str]) -> dict[str, str]:
    with app.test_request_context():
        _, raw = create_api_key(persona.workspace, persona.user, "scoped", scopes)
    return {"X-API-Key": raw}


def viewer_headers(app, owner) -> dict[str, str]:
    with app.test_request_context():
        user = create_user(f"viewer-{secrets.token_hex(3)}@example.com", PASSWORD, "Vera")
        add_member(owner.workspace, user, "viewer")
        _, raw = create_api_key(owner.workspace, user, "viewer key", ["*"])
    return {"X-API-Key": raw}


# --- create and read ----------------------------------------------------------------------------

def test_create_with_defaults(client, alice, app):
    data = create(client, alice)
    assert ids.is_valid("pixel", data["id"])
    base = app.config["LINKHUB"]["BASE_URL"].rstrip("/")
    assert data["gifUrl"] == f"{base}/p/{data['id']}.gif"
    assert data["beaconUrl"] == f"{base}/p/{data['id']}"
    assert data == {**data, "name": "Thank-you page", "description": None, "eventName": None,
                    "captureParams": [], "conversionTracking": False, "enabled": True,
                    "status": "active", "expiresAt": None, "firesLimit": None, "fires": 0,
                    "lastFiredAt": None, "campaignId": None, "linkId": None}
    assert data["createdAt"].endswith("Z") and data["updatedAt"].endswith("Z")
    got = client.get(f"{URL}/{data['id']}", headers=alice.headers)
    assert got.status_code == 200 and got.get_json()["data"] == data


def test_create_with_every_field(client, alice):
    camp = make_campaign(client, alice)
    link = make_link(client, alice)
    expires = (clock.now() + timedelta(days=3)).replace(microsecond=0)
    data = create(client, alice, name="  Checkout  ", description="Order done",
                  eventName="purchase", captureParams=["plan", "sku", "plan", " ref "],
                  conversionTracking=True, enabled=False,
                  expiresAt=expires.isoformat() + "+00:00", firesLimit=500,
                  campaignId=camp["id"], linkId=link["id"])
    assert data["name"] == "Checkout" and data["description"] == "Order done"
    assert data["eventName"] == "purchase" and data["captureParams"] == ["plan", "sku", "ref"]
    assert data["conversionTracking"] is True and data["enabled"] is False
    assert data["status"] == "disabled"
    assert data["expiresAt"] == clock.iso(expires) and data["firesLimit"] == 500
    assert (data["campaignId"], data["linkId"]) == (camp["id"], link["id"])
    row = Pixel.get(Pixel.public_id == data["id"])
    assert row.capture_params == ["plan", "sku", "ref"] and row.campaign.public_id == camp["id"]


def test_status_follows_expiry_and_limit(client, alice):
    data = create(client, alice, expiresAt=clock.iso(clock.now() + timedelta(hours=1)),
                  firesLimit=1)
    assert data["status"] == "active"
    Pixel.update(fires=1).where(Pixel.public_id == data["id"]).execute()
    got = client.get(f"{URL}/{data['id']}", headers=alice.headers).get_json()["data"]
    assert got["status"] == "exhausted" and got["fires"] == 1
    Pixel.update(fires=0).where(Pixel.public_id == data["id"]).execute()
    clock.advance(timedelta(hours=2))
    got = client.get(f"{URL}/{data['id']}", headers=alice.headers).get_json()["data"]
    assert got["status"] == "expired"


# --- list ---------------------------------------------------------------------------------------

def test_list_filters_sorts_and_pages(client, alice, charlie):
    camp = make_campaign(client, alice)
    link = make_link(client, alice)
    a = create(client, alice, name="Alpha", campaignId=camp["id"], eventName="signup")
    b = create(client, alice, name="beta", linkId=link["id"], enabled=False)
    c = create(client, alice, name="Gamma", description="the checkout one")
    create(client, charlie, name="Theirs")
    Pixel.update(fires=7).where(Pixel.public_id == b["id"]).execute()

    def names(query: str = "") -> list[str]:
        response = client.get(f"{URL}?{query}", headers=alice.headers)
        assert response.status_code == 200, response.get_json()
        return [p["name"] for p in response.get_json()["data"]]

    assert names() == ["Gamma", "beta", "Alpha"]  # newest first, charlie's not listed
    assert names("sortBy=name&sortOrder=asc") == ["Alpha", "beta", "Gamma"]
    assert names("sort=-fires")[0] == "beta"
    Pixel.update(last_fired_at=clock.now()).where(Pixel.public_id == c["id"]).execute()
    assert names("sortBy=lastFiredAt")[0] == "Gamma"  # never-fired pixels last
    assert names("sortBy=lastFiredAt&sortOrder=asc")[0] == "Gamma"
    assert names(f"campaignId={camp['id']}") == ["Alpha"]
    assert names(f"linkId={link['id']}") == ["beta"]
    assert names("enabled=false") == ["beta"]
    assert names("enabled=true") == ["Gamma", "Alpha"]
    assert names("search=checkout") == ["Gamma"]
    assert names("search=signup") == ["Alpha"]
    page = client.get(f"{URL}?limit=2&page=2", headers=alice.headers).get_json()
    assert [p["id"] for p in page["data"]] == [a["id"]]
    assert page["pagination"] == {"total": 3, "page": 2, "limit": 2, "hasMore": False,
                                  "totalPages": 2}
    assert c["id"] != a["id"]


@pytest.mark.parametrize("query, field", [
    ("sortBy=fires&sortOrder=up", "sortOrder"), ("sortBy=colour", "sortBy"),
    ("sort=-colour", "sort"), ("enabled=maybe", "enabled"), ("limit=0", "limit"),
    ("page=x", "page"),
])
def test_list_bad_query(client, alice, query, field):
    response = client.get(f"{URL}?{query}", headers=alice.headers)
    assert response.status_code == 400
    assert field in {d["field"] for d in response.get_json()["error"]["details"]}


def test_list_filters_on_another_workspace_reference(client, alice, charlie):
    theirs = make_campaign(client, charlie)
    response = client.get(f"{URL}?campaignId={theirs['id']}", headers=alice.headers)
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "NOT_FOUND"


# --- update -------------------------------------------------------------------------------------

def test_patch_changes_and_null_clears(client, alice):
    camp = make_campaign(client, alice)
    link = make_link(client, alice)
    data = create(client, alice, description="d", eventName="lead", captureParams=["a", "b"],
                  expiresAt=clock.iso(clock.now() + timedelta(days=1)), firesLimit=5,
                  campaignId=camp["id"], linkId=link["id"])
    response = patch(client, alice, data["id"], name="Renamed", captureParams=["c"],
                     conversionTracking=True)
    assert response.status_code == 200, response.get_json()
    got = response.get_json()["data"]
    assert (got["name"], got["captureParams"], got["conversionTracking"]) == (
        "Renamed", ["c"], True)
    assert got["description"] == "d" and got["firesLimit"] == 5  # untouched
    response = patch(client, alice, data["id"], description=None, eventName=None,
                     expiresAt=None, firesLimit=None, campaignId=None, linkId=None,
                     captureParams=[])
    got = response.get_json()["data"]
    assert response.status_code == 200
    assert all(got[k] is None for k in ("description", "eventName", "expiresAt", "firesLimit",
                                        "campaignId", "linkId"))
    assert got["captureParams"] == []
    audit = AuditLog.select().where(AuditLog.resource_id == data["id"],
                                    AuditLog.action == "pixel.update")
    assert audit.count() == 2


def test_patch_without_changes_writes_nothing(client, alice, app):
    data = create(client, alice, eventName="lead")
    before = db_snapshot(app)
    response = patch(client, alice, data["id"], eventName="lead", name="Thank-you page")
    assert response.status_code == 200
    assert db_snapshot(app) == before
    assert response.get_json()["data"]["updatedAt"] == data["updatedAt"]


BAD_BODIES = [
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": 5}, "name"),
    ({"eventName": "two words"}, "eventName"),
    ({"eventName": "-lead"}, "eventName"),
    ({"eventName": "e" * 65}, "eventName"),
    ({"captureParams": "plan"}, "captureParams"),
    ({"captureParams": ["ok", "no spaces"]}, "captureParams.1"),
    ({"captureParams": [3]}, "captureParams.0"),
    ({"captureParams": [f"p{i}" for i in range(21)]}, "captureParams"),
    ({"conversionTracking": "yes"}, "conversionTracking"),
    ({"enabled": 1}, "enabled"),
    ({"firesLimit": 0}, "firesLimit"),
    ({"firesLimit": -3}, "firesLimit"),
    ({"firesLimit": "10"}, "firesLimit"),
    ({"firesLimit": 1.5}, "firesLimit"),
    ({"firesLimit": True}, "firesLimit"),
    ({"firesLimit": 2_000_000_001}, "firesLimit"),
    ({"expiresAt": "tomorrow"}, "expiresAt"),
    ({"expiresAt": "2020-01-01T00:00:00Z"}, "expiresAt"),
    ({"expiresAt": 1893456000}, "expiresAt"),
    ({"description": "d" * 5001}, "description"),
]


@pytest.mark.parametrize("body, field", BAD_BODIES)
def test_create_rejects_bad_input(client, app, alice, body, field):
    error = refused(client, app, "POST", URL, alice.headers, 400, "VALIDATION_ERROR",
                    json={"name": "ok", **body})
    assert field in {d["field"] for d in error["details"]}, error


@pytest.mark.parametrize("body, field", BAD_BODIES + [
    ({"name": None}, "name"), ({"enabled": None}, "enabled"),
    ({"conversionTracking": None}, "conversionTracking"),
])
def test_update_rejects_bad_input(client, app, alice, body, field):
    pixel = create(client, alice)
    error = refused(client, app, "PATCH", f"{URL}/{pixel['id']}", alice.headers, 400,
                    "VALIDATION_ERROR", json=body)
    assert field in {d["field"] for d in error["details"]}, error


def test_every_problem_is_reported_at_once(client, app, alice):
    error = refused(client, app, "POST", URL, alice.headers, 400, "VALIDATION_ERROR",
                    json={"eventName": "a b", "firesLimit": 0, "captureParams": ["x y"]})
    assert {d["field"] for d in error["details"]} == {"name", "eventName", "firesLimit",
                                                      "captureParams.0"}


def test_body_must_be_json(client, app, alice):
    refused(client, app, "POST", URL, alice.headers, 400, "VALIDATION_ERROR", data="name=x",
            content_type="application/x-www-form-urlencoded")
    refused(client, app, "POST", URL, alice.headers, 400, "VALIDATION_ERROR", data="{",
            content_type="application/json")


# --- isolation ----------------------------------------------------------------------------------

def test_another_workspace_pixel_is_not_found(client, app, alice, charlie):
    theirs = create(client, charlie, name="Theirs")
    missing = ids.new_id("pixel")
    for pixel_id in (theirs["id"], missing, "px_short", "camp_" + "a" * 16):
        for method, extra in (("GET", {}), ("PATCH", {"json": {"name": "Mine"}}),
                              ("DELETE", {}), ("GET", {"path": "/fires"})):
            url = f"{URL}/{pixel_id}{extra.pop('path', '')}"
            error = refused(client, app, method, url, alice.headers, 404, "NOT_FOUND", **extra)
            assert error["message"] == "Pixel not found." or pixel_id != theirs["id"]
    assert Pixel.get(Pixel.public_id == theirs["id"]).name == "Theirs"


def test_references_of_another_workspace_answer_404(client, app, alice, charlie):
    their_campaign = make_campaign(client, charlie)
    their_link = make_link(client, charlie)
    mine = create(client, alice)
    for body in ({"campaignId": their_campaign["id"]}, {"linkId": their_link["id"]},
                 {"campaignId": ids.new_id("campaign")}, {"linkId": "nope"}):
        refused(client, app, "POST", URL, alice.headers, 404, "NOT_FOUND",
                json={"name": "x", **body})
        refused(client, app, "PATCH", f"{URL}/{mine['id']}", alice.headers, 404, "NOT_FOUND",
                json=body)


def test_a_deleted_link_cannot_be_attached(client, app, alice):
    link = make_link(client, alice)
    assert client.delete(f"/api/links/{link['id']}", headers=alice.headers).status_code == 200
    refused(client, app, "POST", URL, alice.headers, 404, "NOT_FOUND",
            json={"name": "x", "linkId": link["id"]})


# --- delete -------------------------------------------------------------------------------------

def test_delete_removes_the_pixel_and_its_fires(client, app, alice):
    data = create(client, alice, captureParams=["plan"])
    assert client.get(f"/p/{data['id']}.gif?plan=pro",
                      headers={"User-Agent": CHROME}).status_code == 200
    assert PixelFire.select().count() == 1
    response = client.delete(f"{URL}/{data['id']}", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["data"] == {"id": data["id"], "deleted": True}
    assert Pixel.get_or_none(Pixel.public_id == data["id"]) is None
    assert PixelFire.select().count() == 0
    assert AuditLog.get(AuditLog.action == "pixel.delete").resource_id == data["id"]
    refused(client, app, "DELETE", f"{URL}/{data['id']}", alice.headers, 404, "NOT_FOUND")


def test_fires_listing(client, alice):
    data = create(client, alice, captureParams=["plan"])
    for plan in ("basic", "pro"):
        client.get(f"/p/{data['id']}.gif?plan={plan}&other=1",
                   headers={"User-Agent": CHROME, "Referer": "https://shop.example/done"})
    response = client.get(f"{URL}/{data['id']}/fires?limit=1", headers=alice.headers)
    body = response.get_json()
    assert response.status_code == 200 and body["pagination"]["total"] == 2
    fire = body["data"][0]
    assert fire["params"] == {"plan": "pro"} and fire["transport"] == "gif"
    assert (fire["bot"], fire["referrer"], fire["userAgent"]) == (
        False, "https://shop.example/done", CHROME)
    assert fire["ipTruncated"] == "127.0.0.0" and fire["createdAt"].endswith("Z")
    assert fire["clickId"] is None and fire["conversionId"] is None
    got = client.get(f"{URL}/{data['id']}", headers=alice.headers).get_json()["data"]
    assert got["fires"] == 2 and got["lastFiredAt"].endswith("Z")


# --- scopes and roles ---------------------------------------------------------------------------

def test_scopes(client, app, alice):
    data = create(client, alice)
    read = scoped_headers(app, alice, ["pixels:read"])
    assert client.get(URL, headers=read).status_code == 200
    assert client.get(f"{URL}/{data['id']}/fires", headers=read).status_code == 200
    refused(client, app, "POST", URL, read, 403, "FORBIDDEN", json={"name": "x"})
    refused(client, app, "PATCH", f"{URL}/{data['id']}", read, 403, "FORBIDDEN",
            json={"name": "x"})
    refused(client, app, "DELETE", f"{URL}/{data['id']}", read, 403, "FORBIDDEN")
    update = scoped_headers(app, alice, ["pixels:update"])
    assert patch(client, alice, data["id"], name="y").status_code == 200
    assert client.patch(f"{URL}/{data['id']}", json={"name": "z"},
                        headers=update).status_code == 200
    refused(client, app, "POST", URL, update, 403, "FORBIDDEN", json={"name": "x"})
    refused(client, app, "GET", URL, scoped_headers(app, alice, ["links:read"]), 403,
            "FORBIDDEN")
    write = scoped_headers(app, alice, ["pixels:write"])
    made = client.post(URL, json={"name": "w"}, headers=write)
    assert made.status_code == 201
    assert client.delete(f"{URL}/{made.get_json()['data']['id']}",
                         headers=write).status_code == 200


def test_viewers_read_but_do_not_write(client, app, alice, bob):
    data = create(client, bob, name="By the editor")  # editors write pixels
    viewer = viewer_headers(app, alice)
    assert client.get(f"{URL}/{data['id']}", headers=viewer).status_code == 200
    refused(client, app, "POST", URL, viewer, 403, "FORBIDDEN", json={"name": "x"})
    refused(client, app, "PATCH", f"{URL}/{data['id']}", viewer, 403, "FORBIDDEN",
            json={"enabled": False})
    refused(client, app, "DELETE", f"{URL}/{data['id']}", viewer, 403, "FORBIDDEN")


def test_audit_of_create(client, alice):
    data = create(client, alice)
    row = AuditLog.get(AuditLog.action == "pixel.create")
    assert row.resource_id == data["id"] and row.resource_type == "pixel"
    assert row.workspace.public_id == alice.workspace_id

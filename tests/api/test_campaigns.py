"""/api/campaigns: create, list, read, update, delete (409 CAMPAIGN_IN_USE, then ?force=true),
money in micro-units, validation, isolation, scopes and roles."""

from __future__ import annotations

import secrets

import pytest

from linkhub import clock, ids
from linkhub.models import Campaign, Link, Rule
from linkhub.redirect import cache
from linkhub.services.accounts import create_user
from linkhub.services.api_keys import create_api_key
from linkhub.services.workspaces import add_member
from tests.conftest import PASSWORD, db_snapshot

# --- factories ----------------------------------------------------------------------------------

def make_link(persona, *, code: str | None = None, **fields) -> Link:
    code = code or "c" + secrets.token_hex(4)
    fields.setdefault("destination_url", "https://example.com/landing")
    fields.setdefault("domain_key", fields["domain"].id if fields.get("domain") else 0)
    return Link.create(workspace=persona.workspace, short_code=code, code_key=code,
                       public_id=ids.new_id("link"), **fields)


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


def create(client, persona, **body) -> dict:
    body.setdefault("name", "Spring sale")
    response = client.post("/api/campaigns", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def assert_refused(client, app, method, url, headers, status, code, **kw) -> dict:
    before = db_snapshot(app)
    response = client.open(url, method=method, headers=headers, **kw)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == code, body
    assert db_snapshot(app) == before
    return body["error"]


# --- create and read ----------------------------------------------------------------------------

def test_create_with_defaults(client, alice):
    data = create(client, alice)
    assert ids.is_valid("campaign", data["id"])
    assert data["name"] == "Spring sale"
    assert (data["type"], data["status"], data["costModel"], data["costCurrency"]) == (
        "link", "active", "none", "USD")
    assert data["pixelCode"].startswith("lw_px_") and len(data["pixelCode"]) == 6 + 24
    assert data["conversionTracking"] is False
    assert data["spentToday"] == 0 and data["spentTotal"] == 0 and data["linkCount"] == 0
    assert data["costOverride"] is None and data["goalType"] is None
    assert data["createdAt"].endswith("Z")


def test_create_full_money_round_trip(client, alice):
    data = create(client, alice, name="Full", description="All fields", type="pixel",
                  status="paused", conversionTracking=True, costModel="cpc", costOverride=0.5,
                  costCurrency="EUR", dailyBudget=25, totalBudget="1000.25",
                  goalType="lead", goalValue=12.345678)
    assert data["costOverride"] == 0.5 and data["dailyBudget"] == 25
    assert data["totalBudget"] == 1000.25 and data["goalValue"] == 12.345678
    assert (data["type"], data["status"], data["costCurrency"]) == ("pixel", "paused", "EUR")
    row = Campaign.get(Campaign.public_id == data["id"])
    assert row.cost_override_micros == 500_000
    assert row.daily_budget_micros == 25_000_000
    assert row.total_budget_micros == 1_000_250_000
    assert row.goal_value_micros == 12_345_678
    got = client.get(f"/api/campaigns/{data['id']}", headers=alice.headers).get_json()["data"]
    assert got == data


def test_pixel_codes_are_unique_and_read_only(client, alice):
    first, second = create(client, alice), create(client, alice, name="Other")
    assert first["pixelCode"] != second["pixelCode"]
    response = client.patch(f"/api/campaigns/{first['id']}", headers=alice.headers,
                            json={"pixelCode": "lw_px_mine", "name": "Renamed"})
    assert response.status_code == 200
    assert response.get_json()["data"]["pixelCode"] == first["pixelCode"]


def test_link_count(client, alice):
    data = create(client, alice)
    campaign = Campaign.get(Campaign.public_id == data["id"])
    make_link(alice, campaign=campaign)
    make_link(alice, campaign=campaign)
    make_link(alice, campaign=campaign, deleted_at=clock.now())
    got = client.get(f"/api/campaigns/{data['id']}", headers=alice.headers).get_json()["data"]
    assert got["linkCount"] == 2
    listed = client.get("/api/campaigns", headers=alice.headers).get_json()["data"]
    assert listed[0]["linkCount"] == 2


# --- list ---------------------------------------------------------------------------------------

def test_list_filters_search_and_sort(client, alice, charlie):
    create(client, alice, name="Bravo launch", status="paused")
    create(client, alice, name="alpha promo", type="pixel", description="Holiday")
    create(client, alice, name="Charlie deal")
    create(client, charlie, name="Not alice's")

    def names(query: str = "") -> list[str]:
        response = client.get(f"/api/campaigns{query}", headers=alice.headers)
        assert response.status_code == 200, response.get_json()
        return [c["name"] for c in response.get_json()["data"]]

    assert names() == ["Charlie deal", "alpha promo", "Bravo launch"]  # newest first
    assert names("?status=paused") == ["Bravo launch"]
    assert names("?type=pixel") == ["alpha promo"]
    assert names("?search=holiday") == ["alpha promo"]
    assert names("?search=DEAL") == ["Charlie deal"]
    assert names("?sortBy=name&sortOrder=asc") == ["alpha promo", "Bravo launch",
                                                    "Charlie deal"]
    assert names("?sort=-name") == ["Charlie deal", "Bravo launch", "alpha promo"]
    assert names("?sort=createdAt") == ["Bravo launch", "alpha promo", "Charlie deal"]
    body = client.get("/api/campaigns?limit=2&page=2", headers=alice.headers).get_json()
    assert body["pagination"] == {"total": 3, "page": 2, "limit": 2, "hasMore": False,
                                  "totalPages": 2}


@pytest.mark.parametrize("query, field", [
    ("status=done", "status"), ("type=banner", "type"), ("sortBy=clicks", "sortBy"),
    ("sortOrder=up", "sortOrder"), ("sort=-clicks", "sort"), ("limit=500", "limit"),
])
def test_list_bad_filters(client, app, alice, query, field):
    error = assert_refused(client, app, "GET", f"/api/campaigns?{query}", alice.headers, 400,
                           "VALIDATION_ERROR")
    assert field in {d["field"] for d in error["details"]}


# --- update -------------------------------------------------------------------------------------

def test_update_and_clear(client, alice):
    data = create(client, alice, description="Old", dailyBudget=10, goalType="custom")
    response = client.patch(f"/api/campaigns/{data['id']}", headers=alice.headers, json={
        "name": "New name", "status": "archived", "description": None, "dailyBudget": None,
        "goalType": None, "costModel": "cpm", "costOverride": "2.5", "costCurrency": "JPY"})
    assert response.status_code == 200, response.get_json()
    got = response.get_json()["data"]
    assert got["name"] == "New name" and got["status"] == "archived"
    assert got["description"] is None and got["dailyBudget"] is None
    assert got["goalType"] is None and got["costModel"] == "cpm"
    assert got["costOverride"] == 2.5 and got["costCurrency"] == "JPY"


def test_status_change_clears_the_redirect_cache(client, app, alice):
    data = create(client, alice)
    store = cache.for_app(app)
    store.put_domain("go.example.com", object(), store.generation)
    assert store.stats()["domains"] == 1
    client.patch(f"/api/campaigns/{data['id']}", headers=alice.headers,
                 json={"status": "paused"})
    assert store.stats()["domains"] == 0


BAD_BODIES = [
    ({}, "name"),
    ({"name": ""}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"name": "ok", "type": "banner"}, "type"),
    ({"name": "ok", "status": "running"}, "status"),
    ({"name": "ok", "costModel": "cpx"}, "costModel"),
    ({"name": "ok", "goalType": "sales"}, "goalType"),
    ({"name": "ok", "costCurrency": "usd"}, "costCurrency"),
    ({"name": "ok", "costCurrency": "XYZ"}, "costCurrency"),
    ({"name": "ok", "costCurrency": "US"}, "costCurrency"),
    ({"name": "ok", "costCurrency": 840}, "costCurrency"),
    ({"name": "ok", "dailyBudget": -1}, "dailyBudget"),
    ({"name": "ok", "totalBudget": "-0.01"}, "totalBudget"),
    ({"name": "ok", "costOverride": -5}, "costOverride"),
    ({"name": "ok", "costOverride": 0.0000001}, "costOverride"),
    ({"name": "ok", "goalValue": "lots"}, "goalValue"),
    ({"name": "ok", "goalValue": "NaN"}, "goalValue"),
    ({"name": "ok", "dailyBudget": 1e15}, "dailyBudget"),
    ({"name": "ok", "dailyBudget": True}, "dailyBudget"),
    ({"name": "ok", "conversionTracking": "yes"}, "conversionTracking"),
    ({"name": ["list"]}, "name"),
]


@pytest.mark.parametrize("body, field", BAD_BODIES)
def test_create_refuses_bad_input(client, app, alice, body, field):
    error = assert_refused(client, app, "POST", "/api/campaigns", alice.headers, 400,
                           "VALIDATION_ERROR", json=body)
    assert field in {d["field"] for d in error["details"]}, error


@pytest.mark.parametrize("body, field", [
    (b, f) for b, f in BAD_BODIES if b and b.get("name") == "ok"] + [
    ({"name": None}, "name"), ({"type": None}, "type"), ({"costCurrency": None},
                                                         "costCurrency")])
def test_update_refuses_bad_input(client, app, alice, body, field):
    data = create(client, alice)
    body = {k: v for k, v in body.items() if not (k == "name" and v == "ok")}
    error = assert_refused(client, app, "PATCH", f"/api/campaigns/{data['id']}",
                           alice.headers, 400, "VALIDATION_ERROR", json=body)
    assert field in {d["field"] for d in error["details"]}, error
    got = client.get(f"/api/campaigns/{data['id']}", headers=alice.headers).get_json()["data"]
    assert got["updatedAt"] == data["updatedAt"]


def test_several_problems_are_reported_together(client, app, alice):
    error = assert_refused(client, app, "POST", "/api/campaigns", alice.headers, 400,
                           "VALIDATION_ERROR",
                           json={"type": "x", "dailyBudget": -1, "costCurrency": "eur"})
    assert {d["field"] for d in error["details"]} == {"name", "type", "dailyBudget",
                                                      "costCurrency"}


# --- delete -------------------------------------------------------------------------------------

def test_delete_without_links(client, alice):
    data = create(client, alice)
    response = client.delete(f"/api/campaigns/{data['id']}", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["data"] == {"id": data["id"], "deleted": True,
                                           "detachedLinks": 0}
    assert client.get(f"/api/campaigns/{data['id']}",
                      headers=alice.headers).status_code == 404
    assert client.delete(f"/api/campaigns/{data['id']}",
                         headers=alice.headers).status_code == 404


def test_delete_with_links_needs_force(client, app, alice):
    data = create(client, alice)
    campaign = Campaign.get(Campaign.public_id == data["id"])
    links = [make_link(alice, campaign=campaign) for _ in range(2)]
    rule = Rule.create(public_id=ids.new_id("rule"), workspace=alice.workspace,
                       campaign=campaign, name="Campaign rule", shape="conditions",
                       conditions=[], tree={"logic": "AND", "conditions": []},
                       destination_url="https://example.com/r")
    error = assert_refused(client, app, "DELETE", f"/api/campaigns/{data['id']}",
                           alice.headers, 409, "CAMPAIGN_IN_USE")
    assert error["linkCount"] == 2
    assert_refused(client, app, "DELETE", f"/api/campaigns/{data['id']}?force=maybe",
                   alice.headers, 400, "VALIDATION_ERROR")

    response = client.delete(f"/api/campaigns/{data['id']}?force=true", headers=alice.headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["data"]["detachedLinks"] == 2
    assert Campaign.get_or_none(Campaign.public_id == data["id"]) is None
    for link in links:
        fresh = Link.get_by_id(link.id)
        assert fresh.campaign_id is None and fresh.deleted_at is None
    fresh_rule = Rule.get_by_id(rule.id)
    assert fresh_rule.deleted_at is not None and fresh_rule.campaign_id is None


# --- isolation, scopes, roles -------------------------------------------------------------------

def test_other_workspace_is_not_found(client, app, alice, charlie):
    data = create(client, alice)
    url = f"/api/campaigns/{data['id']}"
    assert_refused(client, app, "GET", url, charlie.headers, 404, "NOT_FOUND")
    assert_refused(client, app, "PATCH", url, charlie.headers, 404, "NOT_FOUND",
                   json={"name": "Mine"})
    assert_refused(client, app, "DELETE", url, charlie.headers, 404, "NOT_FOUND")
    assert client.get("/api/campaigns", headers=charlie.headers).get_json()["data"] == []


@pytest.mark.parametrize("bad_id", ["camp_nope", "link_" + "A" * 16, "camp_" + "A" * 16, "1"])
def test_malformed_or_unknown_id(client, app, alice, bad_id):
    assert_refused(client, app, "GET", f"/api/campaigns/{bad_id}", alice.headers, 404,
                   "NOT_FOUND")


def test_scopes(client, app, alice):
    data = create(client, alice)
    read_only = scoped_headers(app, alice, ["campaigns:read"])
    assert client.get("/api/campaigns", headers=read_only).status_code == 200
    assert client.get(f"/api/campaigns/{data['id']}", headers=read_only).status_code == 200
    assert_refused(client, app, "POST", "/api/campaigns", read_only, 403, "FORBIDDEN",
                   json={"name": "x"})
    assert_refused(client, app, "PATCH", f"/api/campaigns/{data['id']}", read_only, 403,
                   "FORBIDDEN", json={"name": "x"})
    assert_refused(client, app, "DELETE", f"/api/campaigns/{data['id']}", read_only, 403,
                   "FORBIDDEN")
    links_only = scoped_headers(app, alice, ["links:read"])
    assert_refused(client, app, "GET", "/api/campaigns", links_only, 403, "FORBIDDEN")
    writer = scoped_headers(app, alice, ["campaigns:write"])
    assert client.post("/api/campaigns", json={"name": "w"}, headers=writer).status_code == 201


def test_roles(client, app, alice, bob):
    viewer = viewer_headers(app, alice)
    data = create(client, bob)  # an editor may write campaigns
    assert client.get(f"/api/campaigns/{data['id']}", headers=viewer).status_code == 200
    assert_refused(client, app, "POST", "/api/campaigns", viewer, 403, "FORBIDDEN",
                   json={"name": "x"})
    assert_refused(client, app, "DELETE", f"/api/campaigns/{data['id']}", viewer, 403,
                   "FORBIDDEN")


def test_no_credentials(client, app):
    assert_refused(client, app, "GET", "/api/campaigns", {}, 401, "UNAUTHORIZED")

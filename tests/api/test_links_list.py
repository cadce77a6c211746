"""GET /api/links (filters, sorting, pagination, query count), GET /api/links/{id} by id or
short code with ?include=rules, GET /api/links/stats and GET /api/links/ext/{externalId}."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linkhub import clock
from linkhub.models import Link
from linkhub.schemas.links import LinkOut, LinkStatsOut
from linkhub.services import links as link_service
from tests.api.links_support import (
    create,
    error_of,
    in_app,
    make_campaign,
    make_domain,
    make_rule,
    viewer_headers,
    workspace_of,
)
from tests.conftest import db_snapshot


def ids_of(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["data"]]


def listed(client, persona, query: str = "") -> list[str]:
    return ids_of(client.get(f"/api/links?{query}", headers=persona.headers))


# --- list -------------------------------------------------------------------------------------

def test_list_envelope_and_default_order(client, alice, charlie):
    a = create(client, alice, title="first")
    b = create(client, alice, title="second")
    create(client, charlie)
    r = client.get("/api/links", headers=alice.headers)
    body = r.get_json()
    assert body["pagination"] == {"total": 2, "page": 1, "limit": 20, "hasMore": False,
                                  "totalPages": 1}
    assert [i["id"] for i in body["data"]] == [b["id"], a["id"]]  # newest first


def test_pagination(client, alice):
    made = [create(client, alice)["id"] for _ in range(5)]
    r = client.get("/api/links?page=2&limit=2", headers=alice.headers)
    assert ids_of(r) == list(reversed(made))[2:4]
    assert r.get_json()["pagination"]["hasMore"] is True
    assert r.get_json()["pagination"]["totalPages"] == 3


@pytest.mark.parametrize("query,field", [
    ("page=0", "page"), ("limit=101", "limit"), ("limit=x", "limit"),
    ("sortBy=destination", "sortBy"), ("sortOrder=up", "sortOrder"),
    ("enabled=maybe", "enabled"), ("archived=perhaps", "archived"),
    ("createdAfter=soon", "createdAfter"), ("createdBefore=2024-02-30", "createdBefore"),
    ("campaignId=nope", "campaignId"), ("folderId=camp_0000000000000000", "folderId"),
    ("domainId=x", "domainId"), ("search=" + "s" * 201, "search"),
])
def test_bad_list_parameters(app, client, alice, query, field):
    before = db_snapshot(app)
    r = client.get(f"/api/links?{query}", headers=alice.headers)
    assert error_of(r) == (400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in r.get_json()["error"]["details"]]
    assert db_snapshot(app) == before


def test_filters(app, client, alice):
    campaign = make_campaign(app, alice)
    domain = make_domain(app, alice)
    folder = client.post("/api/folders", json={"name": "F"},
                         headers=alice.headers).get_json()["data"]["id"]
    in_campaign = create(client, alice, campaignId=campaign, tags=["Hot"])
    on_domain = create(client, alice, domainId=domain["id"])
    in_folder = create(client, alice, folderId=folder, enabled=False)
    plain = create(client, alice)
    assert listed(client, alice, f"campaignId={campaign}") == [in_campaign["id"]]
    assert listed(client, alice, f"domainId={domain['id']}") == [on_domain["id"]]
    assert on_domain["id"] not in listed(client, alice, "domainId=default")
    assert listed(client, alice, f"folderId={folder}") == [in_folder["id"]]
    assert listed(client, alice, "tag=hot") == [in_campaign["id"]]
    tag_id = client.get("/api/tags", headers=alice.headers).get_json()["data"][0]["id"]
    assert listed(client, alice, f"tag={tag_id}") == [in_campaign["id"]]
    assert listed(client, alice, "enabled=false") == [in_folder["id"]]
    assert plain["id"] in listed(client, alice, "enabled=true")
    assert in_folder["id"] not in listed(client, alice, "enabled=true")
    assert listed(client, alice, "campaignId=camp_0000000000000000") == []
    assert listed(client, alice, "tag=missing") == []


def test_search_matches_title_code_destination_and_escapes_wildcards(client, alice):
    by_title = create(client, alice, title="Summer 100% sale")
    by_code = create(client, alice, shortCode="winter_x")
    by_dest = create(client, alice, destinationUrl="https://shop.example.com/autumn")
    create(client, alice, title="Summer 1000 sale", shortCode="winterzx")
    assert listed(client, alice, "search=100%25") == [by_title["id"]]
    assert listed(client, alice, "search=winter_") == [by_code["id"]]
    assert listed(client, alice, "search=AUTUMN") == [by_dest["id"]]


def test_archived_are_hidden_by_default_and_deleted_never_listed(client, alice):
    live = create(client, alice)
    archived = create(client, alice)
    deleted = create(client, alice)
    client.post(f"/api/links/{archived['id']}/archive", headers=alice.headers)
    client.delete(f"/api/links/{deleted['id']}", headers=alice.headers)
    assert listed(client, alice) == [live["id"]]
    assert listed(client, alice, "archived=true") == [archived["id"]]
    assert set(listed(client, alice, "archived=all")) == {live["id"], archived["id"]}


def test_created_range(app, client, alice):
    old = create(client, alice)
    with in_app(app):
        Link.update(created_at=clock.now() - timedelta(days=10)).where(
            Link.public_id == old["id"]).execute()
    new = create(client, alice)
    day = (clock.now() - timedelta(days=10)).date().isoformat()
    assert listed(client, alice, f"createdBefore={day}") == [old["id"]]
    after = clock.iso(clock.now() - timedelta(days=1))
    assert listed(client, alice, f"createdAfter={after}") == [new["id"]]


@pytest.mark.parametrize("sort_by", ["createdAt", "updatedAt", "clicks", "title",
                                     "lastClickedAt"])
def test_sorting(app, client, alice, sort_by):
    made = [create(client, alice, title=t)["id"] for t in ("b", "c", "a")]
    with in_app(app):
        for n, public_id in enumerate(made):
            Link.update(clicks=[5, 1, 9][n], last_clicked_at=clock.now() + timedelta(
                minutes=[2, 1, 3][n])).where(Link.public_id == public_id).execute()
    if sort_by == "updatedAt":
        client.patch(f"/api/links/{made[0]}", json={"notes": "touch"}, headers=alice.headers)
    asc = listed(client, alice, f"sortBy={sort_by}&sortOrder=asc")
    desc = listed(client, alice, f"sortBy={sort_by}")
    assert asc == list(reversed(desc))
    expected_first = {"createdAt": made[0], "updatedAt": made[1], "clicks": made[1],
                      "title": made[2], "lastClickedAt": made[1]}[sort_by]
    if sort_by != "updatedAt":
        assert asc[0] == expected_first
    else:
        assert desc[0] == made[0]


def test_list_query_count_does_not_grow_with_page_size(app, client, alice):
    rule = make_rule(app, alice)
    campaign = make_campaign(app, alice)
    with in_app(app):
        ws, user = workspace_of(alice), alice.user
        for n in range(30):
            link_service.create_link(ws, user, {
                "destinationUrl": f"https://example.com/{n}", "tags": ["t1", f"x{n % 3}"],
                "ruleIds": [rule], "campaignId": campaign})
    database = app.extensions["linkhub.db"]
    original = database.execute_sql
    statements: list[str] = []

    def counting(sql, *args, **kwargs):
        statements.append(sql)
        return original(sql, *args, **kwargs)

    client.get("/api/links?limit=1", headers=alice.headers)  # warm-up (key last-used stamp)
    counts = {}
    for limit in (2, 30):
        statements.clear()
        database.execute_sql = counting
        try:
            r = client.get(f"/api/links?limit={limit}", headers=alice.headers)
        finally:
            del database.execute_sql
        assert len(r.get_json()["data"]) == limit
        assert r.get_json()["data"][0]["campaignId"] == campaign
        assert r.get_json()["data"][0]["ruleIds"] == [rule]
        counts[limit] = len(statements)
    assert counts[2] == counts[30] > 0
    assert counts[30] <= 10, statements


def test_list_scopes_and_roles(app, client, alice):
    create(client, alice)
    assert len(listed(client, alice)) == 1
    viewer = viewer_headers(app, alice)
    assert client.get("/api/links", headers=viewer).status_code == 200
    assert error_of(client.get("/api/links")) == (401, "UNAUTHORIZED")


# --- one link ---------------------------------------------------------------------------------

def test_get_by_id_and_by_code(app, client, alice):
    link = create(client, alice, shortCode="getme")
    by_id = client.get(f"/api/links/{link['id']}", headers=alice.headers).get_json()["data"]
    by_code = client.get("/api/links/getme", headers=alice.headers).get_json()["data"]
    assert by_id == by_code == link
    assert error_of(client.get("/api/links/GETME", headers=alice.headers)) == (404,
                                                                               "NOT_FOUND")


def test_get_by_code_on_a_custom_domain(app, client, alice):
    domain = make_domain(app, alice, "go.getter.test", case_sensitive=False)
    link = create(client, alice, shortCode="Deal", domainId=domain["id"])
    for ref in ("go.getter.test", domain["id"]):
        r = client.get(f"/api/links/DEAL?domain={ref}", headers=alice.headers)
        assert r.get_json()["data"]["id"] == link["id"]
    assert error_of(client.get("/api/links/Deal", headers=alice.headers))[0] == 404
    r = client.get("/api/links/Deal?domain=other.example", headers=alice.headers)
    assert error_of(r) == (404, "NOT_FOUND")


def test_other_workspace_gets_404_by_id_and_code(client, alice, charlie):
    link = create(client, alice, shortCode="alices")
    for ref in (link["id"], "alices", "link_0000000000000000", "no such code!"):
        assert error_of(client.get(f"/api/links/{ref}", headers=charlie.headers)) == (
            404, "NOT_FOUND")


def test_include_rules(app, client, alice):
    link = create(client, alice)
    shared = make_rule(app, alice, name="shared", priority=5)
    own = make_rule(app, alice, link_id=link["id"], name="own", priority=1)
    client.patch(f"/api/links/{link['id']}", json={"ruleIds": [shared]}, headers=alice.headers)
    r = client.get(f"/api/links/{link['id']}?include=rules", headers=alice.headers)
    rules = r.get_json()["data"]["rules"]
    LinkOut.model_validate(r.get_json()["data"])
    assert [rule["id"] for rule in rules] == [own, shared]
    assert rules[0]["conditions"] == [{"field": "country", "operator": "equals", "value": "FR"}]
    assert {"id", "name", "priority", "enabled", "destinationUrl"} <= set(rules[0])
    assert "rules" not in client.get(f"/api/links/{link['id']}",
                                     headers=alice.headers).get_json()["data"]
    r = client.get(f"/api/links/{link['id']}?include=stats", headers=alice.headers)
    assert error_of(r) == (400, "VALIDATION_ERROR")


# --- stats and external ids -------------------------------------------------------------------

def test_stats(app, client, alice, charlie):
    a = create(client, alice)
    b = create(client, alice, enabled=False)
    c = create(client, alice)
    d = create(client, alice)
    create(client, charlie)
    client.post(f"/api/links/{c['id']}/archive", headers=alice.headers)
    client.delete(f"/api/links/{d['id']}", headers=alice.headers)
    with in_app(app):
        Link.update(clicks=7, unique_clicks=3).where(Link.public_id == a["id"]).execute()
        Link.update(clicks=2, unique_clicks=2).where(Link.public_id == b["id"]).execute()
        Link.update(clicks=100, unique_clicks=100).where(Link.public_id == d["id"]).execute()
    r = client.get("/api/links/stats", headers=alice.headers)
    LinkStatsOut.model_validate(r.get_json()["data"])
    assert r.get_json()["data"] == {"totalLinks": 3, "totalClicks": 9, "totalUniqueClicks": 5,
                                    "activeLinks": 1, "archivedLinks": 1}
    empty = client.get("/api/links/stats", headers=viewer_headers(app, charlie))
    assert empty.get_json()["data"]["totalLinks"] == 1


def test_lookup_by_external_id(client, alice, charlie):
    link = create(client, alice, externalId="order-42")
    for ref in ("order-42", "ext_order-42"):
        r = client.get(f"/api/links/ext/{ref}", headers=alice.headers)
        assert r.get_json()["data"]["id"] == link["id"]
        assert r.get_json()["data"]["shortUrl"].endswith(link["shortCode"])
    literal = create(client, alice, externalId="ext_raw")
    r = client.get("/api/links/ext/ext_raw", headers=alice.headers)
    assert r.get_json()["data"]["id"] == literal["id"]
    assert error_of(client.get("/api/links/ext/order-42", headers=charlie.headers)) == (
        404, "NOT_FOUND")
    assert error_of(client.get("/api/links/ext/missing", headers=alice.headers))[0] == 404

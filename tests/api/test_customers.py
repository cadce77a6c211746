"""/api/customers through HTTP: upsert by externalId (201 then 200) with the first touch from a
click id (buffered or stored), lookups by id and `ext_`, list/search/sort/pages, count, update,
soft delete with PII scrub, scopes and roles, isolation, bad input leaving the database as it
was, and exact numbers for cohorts, LTV cohorts, LTV recalculation, journey and attribution
over a known story built with real clicks and /api/conversions/track."""

from __future__ import annotations

import pytest

from linkhub import ids
from linkhub.models import AuditLog, Conversion, Customer
from tests.api.customers_support import click, customer, tell, track, upsert
from tests.api.links_support import api_key, viewer_headers
from tests.conftest import db_snapshot
from tests.redirect.redirect_support import flush, make_campaign, make_link

C = "/api/customers"


def details(response) -> dict[str, str]:
    body = response.get_json()
    assert response.status_code == 400 and body["error"]["code"] == "VALIDATION_ERROR", body
    return {d["field"]: d["message"] for d in body["error"]["details"]}


def refused(app, client, persona, method: str, path: str, **kwargs) -> dict[str, str]:
    """A 400 that changed nothing; its field messages."""
    before = db_snapshot(app)
    response = client.open(path, method=method, headers=persona.headers, **kwargs)
    problems = details(response)
    assert db_snapshot(app) == before
    return problems


@pytest.fixture
def story(app, client, alice):
    return tell(app, client, alice)


# --- upsert -----------------------------------------------------------------------------------

def test_upsert_creates_then_updates_by_external_id(client, alice):
    first = upsert(client, alice, externalId="u-1", email="Ann@Example.com", name="Ann",
                   metadata={"plan": "pro"})
    assert ids.is_valid("customer", first["id"])
    assert (first["externalId"], first["email"], first["name"], first["metadata"]) == \
        ("u-1", "ann@example.com", "Ann", {"plan": "pro"})
    assert (first["ltvUsd"], first["leadCount"], first["saleCount"]) == (0, 0, 0)
    assert first["createdAt"].endswith("Z") and first["clickId"] is None
    again = upsert(client, alice, 200, externalId="u-1", name="Ann B", avatarUrl=None)
    assert again["id"] == first["id"]
    assert (again["name"], again["email"], again["metadata"]) == ("Ann B", "ann@example.com",
                                                                  {"plan": "pro"})
    assert Customer.select().count() == 1
    actions = [a.action for a in AuditLog.select().where(AuditLog.resource_id == first["id"])]
    assert actions == ["customer.create", "customer.update"]


def test_click_id_sets_the_first_touch_buffered_or_stored(app, client, alice):
    camp = make_campaign(client, alice, name="Launch")
    link = make_link(client, alice, conversionTracking=True, campaignId=camp["id"])
    buffered = click(client, link, query="?utm_source=mail", ip="81.2.69.142")
    made = upsert(client, alice, externalId="b-1", clickId=buffered)
    assert (made["clickId"], made["linkId"], made["campaignId"], made["country"],
            made["source"]) == (buffered, link["id"], camp["id"], "GB", "mail")
    stored = click(client, link, referer="https://news.example/a", ip="8.8.8.8")
    assert flush(app) == 2
    made = upsert(client, alice, externalId="s-1", clickId=stored)
    assert (made["clickId"], made["country"], made["source"]) == (stored, "US", "news.example")
    # an existing first touch stays: the first click is the first touch
    again = upsert(client, alice, 200, externalId="b-1", clickId=stored)
    assert again["clickId"] == buffered and again["country"] == "GB"


def test_unknown_or_foreign_click_is_refused(app, client, alice, charlie):
    theirs = click(client, make_link(client, charlie, conversionTracking=True))
    for cid in (theirs, ids.new_id("click"), "nope"):
        problems = refused(app, client, alice, "POST", C, json={"externalId": "x",
                                                                "clickId": cid})
        assert "clickId" in problems


@pytest.mark.parametrize("body, field", [
    ({}, "externalId"),
    ({"externalId": "  "}, "externalId"),
    ({"externalId": "x" * 256}, "externalId"),
    ({"externalId": 12}, "externalId"),
    ({"externalId": "a", "email": "not-an-address"}, "email"),
    ({"externalId": "a", "name": "n" * 201}, "name"),
    ({"externalId": "a", "avatarUrl": "ftp://example.com/a.png"}, "avatarUrl"),
    ({"externalId": "a", "metadata": ["x"]}, "metadata"),
    ({"externalId": "a", "metadata": {"blob": "x" * 10_001}}, "metadata"),
])
def test_bad_customer_input_is_400_and_changes_nothing(app, client, alice, body, field):
    assert field in refused(app, client, alice, "POST", C, json=body)


def test_every_problem_is_reported_at_once(app, client, alice):
    problems = refused(app, client, alice, "POST", C,
                       json={"externalId": "a", "email": "nope", "name": "n" * 300,
                             "avatarUrl": "javascript:alert(1)"})
    assert {"email", "name", "avatarUrl"} <= set(problems)


# --- reads ------------------------------------------------------------------------------------

def test_get_by_id_or_external_id_and_isolation(client, alice, charlie):
    made = upsert(client, alice, externalId="ext-9", email="e9@example.com")
    assert customer(client, alice, made["id"])["externalId"] == "ext-9"
    assert customer(client, alice, "ext_ext-9")["id"] == made["id"]
    for ref in ("ext_nobody", "ext_", "cus_short", ids.new_id("customer"), "whatever"):
        response = client.get(f"{C}/{ref}", headers=alice.headers)
        assert response.status_code == 404, ref
        assert response.get_json()["error"]["code"] == "NOT_FOUND"
    for path in (made["id"], "ext_ext-9", f"{made['id']}/journey", f"{made['id']}/attribution"):
        assert client.get(f"{C}/{path}", headers=charlie.headers).status_code == 404
    before = customer(client, alice, made["id"])
    assert client.patch(f"{C}/{made['id']}", json={"name": "x"},
                        headers=charlie.headers).status_code == 404
    assert client.post(f"{C}/{made['id']}/recalculate-ltv",
                       headers=charlie.headers).status_code == 404
    assert client.delete(f"{C}/{made['id']}", headers=charlie.headers).status_code == 404
    assert customer(client, alice, made["id"]) == before
    # charlie's own upsert of the same externalId is his own customer
    assert upsert(client, charlie, externalId="ext-9")["id"] != made["id"]


def test_list_search_sort_pages_and_count(client, alice):
    made = [upsert(client, alice, externalId=f"user-{i}", email=f"p{i}@example.com",
                   name=f"Person {i}")["id"] for i in range(25)]
    upsert(client, alice, externalId="zed", name="Zed Shaw")
    gone = upsert(client, alice, externalId="gone", name="Person gone")
    assert client.delete(f"{C}/{gone['id']}", headers=alice.headers).status_code == 200
    body = client.get(C, headers=alice.headers).get_json()
    assert body["pagination"] == {"total": 26, "page": 1, "limit": 20, "hasMore": True,
                                  "totalPages": 2}
    assert body["data"][0]["externalId"] == "zed"  # newest first
    page2 = client.get(f"{C}?page=2&sortOrder=asc&limit=10", headers=alice.headers).get_json()
    assert [c["id"] for c in page2["data"]] == made[10:20]
    found = client.get(f"{C}?search=person", headers=alice.headers).get_json()
    assert found["pagination"]["total"] == 25  # the deleted one is left out
    assert client.get(f"{C}?search=P7@EXAMPLE", headers=alice.headers).get_json()[
        "data"][0]["externalId"] == "user-7"
    assert client.get(f"{C}?search=zed", headers=alice.headers).get_json()[
        "pagination"]["total"] == 1
    count = client.get(f"{C}/count", headers=alice.headers).get_json()["data"]
    assert count == {"count": 26}
    assert client.get(f"{C}/count?search=user-1",
                      headers=alice.headers).get_json()["data"] == {"count": 11}
    assert client.get(f"{C}?limit=100", headers=alice.headers).status_code == 200
    for query, field in (("limit=101", "limit"), ("sortOrder=up", "sortOrder"),
                         ("sortBy=email", "sortBy"), ("page=0", "page")):
        assert field in details(client.get(f"{C}?{query}", headers=alice.headers)), query


# --- update and delete ------------------------------------------------------------------------

def test_patch_changes_clears_and_conflicts(app, client, alice):
    one = upsert(client, alice, externalId="one", email="one@example.com", name="One")
    upsert(client, alice, externalId="two")
    url = f"{C}/{one['id']}"
    changed = client.patch(url, json={"name": "Uno", "email": None, "externalId": "uno"},
                           headers=alice.headers)
    assert changed.status_code == 200
    data = changed.get_json()["data"]
    assert (data["name"], data["email"], data["externalId"]) == ("Uno", None, "uno")
    assert customer(client, alice, "ext_uno")["id"] == one["id"]
    before = db_snapshot(app)
    clash = client.patch(url, json={"externalId": "two"}, headers=alice.headers)
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "CONFLICT"
    assert db_snapshot(app) == before
    assert "externalId" in refused(app, client, alice, "PATCH", url, json={"externalId": None})
    assert "email" in refused(app, client, alice, "PATCH", url, json={"email": "x@"})


def test_delete_scrubs_pii_and_keeps_aggregates(app, client, alice):
    link = make_link(client, alice, conversionTracking=True)
    cid = click(client, link, ip="8.8.8.8")
    track(client, alice, clickId=cid, event="purchase", value=12.5, orderId="o-1",
          customerExternalId="del-1")
    upsert(client, alice, 200, externalId="del-1", email="d@example.com", name="Dee",
           avatarUrl="https://example.com/d.png", metadata={"vip": True})
    made = customer(client, alice, "ext_del-1")
    response = client.delete(f"{C}/{made['id']}", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["data"] == {"id": made["id"], "deleted": True}
    row = Customer.get(Customer.public_id == made["id"])
    assert (row.email, row.name, row.avatar_url, row.metadata, row.external_id) == \
        (None, None, None, None, None)
    assert row.deleted_at is not None
    assert (row.ltv_micros, row.sale_count, row.click_public_id) == (12_500_000, 1, cid)
    assert Conversion.get(Conversion.order_id == "o-1").customer_id == row.id
    for method, path in (("GET", made["id"]), ("GET", "ext_del-1"), ("DELETE", made["id"]),
                         ("PATCH", made["id"]), ("GET", f"{made['id']}/journey")):
        kwargs = {"json": {"name": "x"}} if method == "PATCH" else {}
        assert client.open(f"{C}/{path}", method=method, headers=alice.headers,
                           **kwargs).status_code == 404, (method, path)
    assert client.get(f"{C}/count", headers=alice.headers).get_json()["data"]["count"] == 0
    # the external id is free again: a new customer, not the old one
    assert upsert(client, alice, externalId="del-1")["id"] != made["id"]
    # the deleted customer's revenue still counts in the reports
    cohorts = client.get(f"{C}/cohorts", headers=alice.headers).get_json()["data"]["cohorts"]
    assert [(r["customers"], r["revenueUsd"]) for r in cohorts] == [(2, 12.5)]


# --- scopes and roles -------------------------------------------------------------------------

def test_scopes_and_roles(app, client, alice, bob):
    made = upsert(client, bob, externalId="by-bob")  # an editor writes
    url = f"{C}/{made['id']}"
    viewer = viewer_headers(app, alice)
    assert client.get(url, headers=viewer).status_code == 200
    assert client.get(f"{C}/cohorts", headers=viewer).status_code == 200
    for method, path, body in (("POST", C, {"externalId": "v"}), ("PATCH", url, {"name": "v"}),
                               ("DELETE", url, None), ("POST", f"{url}/recalculate-ltv", None)):
        response = client.open(path, method=method, json=body, headers=viewer)
        assert response.status_code == 403, (method, path)
    reader = api_key(app, alice, ["customers:read"])
    assert client.get(url, headers=reader).status_code == 200
    assert client.post(C, json={"externalId": "r"}, headers=reader).status_code == 403
    links_only = api_key(app, alice, ["links:read"])
    assert client.get(C, headers=links_only).status_code == 403
    writer = api_key(app, alice, ["customers:write"])
    assert client.post(C, json={"externalId": "w"}, headers=writer).status_code == 201


# --- reports over the story -------------------------------------------------------------------

def rows(client, persona, query: str) -> list[tuple]:
    response = client.get(f"{C}/cohorts?{query}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    return [(r["cohort"], r["label"], r["periodStart"], r["customers"], r["convertedCustomers"],
             r["conversionRate"], r["leads"], r["sales"], r["revenueUsd"])
            for r in response.get_json()["data"]["cohorts"]]


def test_cohorts_exact(client, alice, story):
    month = [("2026-01", "2026-01", "2026-01-01", 2, 2, 1.0, 2, 3, 155),
             ("2026-02", "2026-02", "2026-02-01", 2, 1, 0.5, 0, 1, 20)]
    assert rows(client, alice, "group_by=month") == month
    assert rows(client, alice, "") == month  # month is the default
    assert rows(client, alice, "group_by=week") == [
        ("2026-W02", "2026-W02", "2026-01-05", 1, 1, 1.0, 1, 2, 125),
        ("2026-W04", "2026-W04", "2026-01-19", 1, 1, 1.0, 1, 1, 30),
        ("2026-W06", "2026-W06", "2026-02-02", 1, 0, 0.0, 0, 0, 0),
        ("2026-W07", "2026-W07", "2026-02-09", 1, 1, 1.0, 0, 1, 20)]
    assert rows(client, alice, "group_by=campaign") == [
        (story.spring["id"], "Spring", None, 2, 2, 1.0, 1, 3, 145),
        (None, "No campaign", None, 2, 1, 0.5, 1, 1, 30)]
    assert rows(client, alice, "group_by=source") == [
        (None, "Direct / unknown", None, 2, 1, 0.5, 0, 1, 20),
        ("newsletter", "newsletter", None, 1, 1, 1.0, 1, 2, 125),
        ("twitter.com", "twitter.com", None, 1, 1, 1.0, 1, 1, 30)]
    # first seen inside the range; their outcomes are lifetime ones
    assert rows(client, alice, "group_by=week&start=2026-01-06&end=2026-02-03") == [
        ("2026-W04", "2026-W04", "2026-01-19", 1, 1, 1.0, 1, 1, 30),
        ("2026-W06", "2026-W06", "2026-02-02", 1, 0, 0.0, 0, 0, 0)]
    data = client.get(f"{C}/cohorts?start=2026-01-01&end=2026-01-31",
                      headers=alice.headers).get_json()["data"]
    assert (data["groupBy"], data["start"], data["end"]) == (
        "month", "2026-01-01T00:00:00.000Z", "2026-01-31T23:59:59.999Z")
    assert [r["cohort"] for r in data["cohorts"]] == ["2026-01"]


def test_cohorts_bad_input(app, client, alice):
    for query, field in (("group_by=day", "group_by"), ("group_by=WEEK", "group_by"),
                         ("start=yesterday", "start"), ("end=2026-13-01", "end"),
                         ("start=2026-02-01&end=2026-01-01", "start")):
        assert field in refused(app, client, alice, "GET", f"{C}/cohorts?{query}"), query
    assert "start" in refused(app, client, alice, "GET", f"{C}/ltv-cohorts?start=soon")


def test_ltv_cohorts_exact(client, alice, story):
    data = client.get(f"{C}/ltv-cohorts", headers=alice.headers).get_json()["data"]
    assert data["cohorts"] == [
        {"cohort": "2026-01", "customers": 2, "totalLtvUsd": 155, "averageLtvUsd": 77.5,
         "cumulativeRevenueUsd": [100, 130, 155]},
        {"cohort": "2026-02", "customers": 2, "totalLtvUsd": 20, "averageLtvUsd": 10,
         "cumulativeRevenueUsd": [20, 20]}]
    only = client.get(f"{C}/ltv-cohorts?start=2026-02-01", headers=alice.headers)
    assert [c["cohort"] for c in only.get_json()["data"]["cohorts"]] == ["2026-02"]
    # the profile's LTV agrees with the cohort table
    assert [customer(client, alice, f"ext_{e}")["ltvUsd"] for e in ("u1", "u2", "u4")] == \
        [125, 30, 20]


def test_ltv_follows_status_changes_and_recalculation_repairs_drift(app, client, alice, bob,
                                                                     story):
    url = f"{C}/ext_u1/recalculate-ltv"
    before = db_snapshot(app)
    same = client.post(url, headers=alice.headers)
    assert same.status_code == 200 and same.get_json()["data"]["ltvUsd"] == 125
    assert db_snapshot(app) == before  # nothing to fix, nothing written

    def status(order: str, value: str) -> None:
        response = client.patch(f"/api/conversions/{story.conversions[order]}",
                                json={"status": value}, headers=alice.headers)
        assert response.status_code == 200, response.get_json()

    def totals(ext: str) -> tuple:
        data = customer(client, alice, f"ext_{ext}")
        return data["ltvUsd"], data["leadCount"], data["saleCount"]

    status("S-1", "refunded")
    status("S-3", "approved")
    assert (totals("u1"), totals("u4")) == ((25, 1, 1), (90, 0, 2))
    for value in ("rejected", "fraud", "pending"):
        status("S-5", value)
        assert totals("u1") == (0, 1, 0), value
    status("S-5", "approved")
    # aggregates that drifted (a restore, a manual edit) are rebuilt from the conversions
    Customer.update(ltv_micros=999_000_000, lead_count=7, sale_count=7).where(
        Customer.external_id == "u1").execute()
    fixed = client.post(url, headers=bob.headers)
    assert fixed.status_code == 200
    data = fixed.get_json()["data"]
    assert (data["ltvUsd"], data["leadCount"], data["saleCount"]) == (25, 1, 1)
    entry = AuditLog.select().where(AuditLog.action == "customer.recalculate_ltv").order_by(
        AuditLog.id.desc()).first()
    assert (entry.resource_id, entry.details) == (story.customers["u1"],
                                                  {"ltvUsdBefore": 999, "ltvUsd": 25})
    ltv = client.get(f"{C}/ltv-cohorts", headers=alice.headers).get_json()["data"]["cohorts"]
    assert [(c["totalLtvUsd"], c["cumulativeRevenueUsd"]) for c in ltv] == \
        [(55, [0, 30, 55]), (90, [90, 90])]


def test_journey_exact_before_and_after_the_flush(app, client, alice, story):
    def journey() -> dict:
        response = client.get(f"{C}/ext_u1/journey", headers=alice.headers)
        assert response.status_code == 200
        return response.get_json()["data"]

    data = journey()
    c, v = story.clicks, story.conversions
    assert [(s["type"], s.get("clickId") if s["type"] == "click" else s["conversionId"],
             s["timestamp"]) for s in data["steps"]] == [
        ("click", c["c1"], "2026-01-05T10:00:00.000Z"),
        ("conversion", v["L-1"], "2026-01-05T10:00:00.000Z"),
        ("conversion", v["S-1"], "2026-01-05T10:00:00.000Z"),
        ("click", c["c5"], "2026-03-10T11:00:00.000Z"),
        ("conversion", v["S-5"], "2026-03-10T11:00:00.000Z")]
    first, later = data["steps"][0], data["steps"][3]
    assert (first["linkId"], first["campaignId"], first["utmSource"], first["country"],
            first["firstTouch"], first["pending"]) == (story.link_a["id"], story.spring["id"],
                                                       "newsletter", "US", True, False)
    assert (later["linkId"], later["firstTouch"], later["pending"]) == (story.link_b["id"],
                                                                        False, True)
    assert (data["steps"][2]["eventType"], data["steps"][2]["eventName"],
            data["steps"][2]["valueUsd"], data["steps"][1]["eventType"]) == (
        "sale", "purchase", 100, "lead")
    assert data["summary"] == {"clicks": 2, "conversions": 3, "leads": 1, "sales": 2,
                               "revenueUsd": 125, "firstSeenAt": "2026-01-05T10:00:00.000Z",
                               "lastSeenAt": "2026-03-10T11:00:00.000Z"}
    flush(app)
    after = journey()
    assert [s.get("pending") for s in after["steps"]] == [False, None, None, False, None]
    # u4's journey shows the refunded purchase too, with its status
    u4 = client.get(f"{C}/ext_u4/journey", headers=alice.headers).get_json()["data"]
    assert [(s["type"], s.get("status")) for s in u4["steps"]] == [
        ("click", None), ("conversion", "refunded"), ("conversion", "approved")]
    assert u4["summary"]["revenueUsd"] == 20


def test_attribution_exact(client, alice, story):
    data = client.get(f"{C}/ext_u1/attribution", headers=alice.headers).get_json()["data"]
    a, b, spring = story.link_a["id"], story.link_b["id"], story.spring["id"]
    assert (data["conversions"], data["revenueUsd"], data["touchpoints"]) == (3, 125, 2)
    assert (data["firstTouch"]["clickId"], data["firstTouch"]["source"],
            data["lastTouch"]["clickId"]) == (story.clicks["c1"], "newsletter",
                                              story.clicks["c5"])

    def links(model):
        return [(r["linkId"], r["conversions"], r["revenueUsd"], r["revenueShare"])
                for r in data["models"][model]["links"]]

    def campaigns(model):
        return [(r["campaignId"], r["conversions"], r["revenueUsd"], r["revenueShare"])
                for r in data["models"][model]["campaigns"]]

    assert links("firstClick") == [(a, 3, 125, 1.0)]
    assert links("lastClick") == [(a, 2, 100, 0.8), (b, 1, 25, 0.2)]
    assert links("linear") == [(a, 2.5, 112.5, 0.9), (b, 0.5, 12.5, 0.1)]
    assert campaigns("firstClick") == [(spring, 3, 125, 1.0)]
    assert campaigns("lastClick") == [(spring, 2, 100, 0.8), (None, 1, 25, 0.2)]
    assert campaigns("linear") == [(spring, 2.5, 112.5, 0.9), (None, 0.5, 12.5, 0.1)]
    assert data["unattributed"] == {"conversions": 0, "revenueUsd": 0}
    # a customer without clicks: everything unattributed, no touches
    u3 = client.get(f"{C}/ext_u3/attribution", headers=alice.headers).get_json()["data"]
    assert (u3["firstTouch"], u3["touchpoints"], u3["models"]["linear"]["links"]) == \
        (None, 0, [])

"""/api/embeds (create, list, read, revoke with DELETE, rotate) and GET /api/analytics/embed
(with an embed token and no credentials, or over the caller's workspace): exact numbers of real
traffic, revocation and rotation at once, roles and scopes, bad input (400, nothing written),
another workspace's embeds, links and campaigns (404)."""

from __future__ import annotations

import pytest

from linkhub import clock
from linkhub.models import AuditLog, EmbedToken
from tests import public_stats_support as sup
from tests.conftest import db_snapshot


@pytest.fixture
def settings_overrides():
    return sup.SETTINGS


@pytest.fixture
def traffic(app, client, alice):
    made = sup.build(app, client, alice)
    yield made
    clock.reset()


def create(client, persona, **body) -> dict:
    body.setdefault("name", "Blog")
    body.setdefault("widget", "stats")
    return sup.post(client, persona, "/api/embeds", body)


def test_create_answers_the_snippet(app, client, alice):
    data = create(client, alice, name="Blog sidebar", widget="timeseries")
    base = app.config["LINKHUB"]["BASE_URL"]
    assert data["id"].startswith("emb_") and len(data["token"]) >= 22
    assert data["url"] == f"{base}/embed/{data['token']}"
    assert data["jsonUrl"] == data["url"] + ".json"
    assert data["snippet"] == (f'<iframe src="{data["url"]}" title="Blog sidebar" '
                               'width="100%" height="280" style="border:0" '
                               'loading="lazy"></iframe>')
    assert (data["widget"], data["node"], data["scope"]) == ("timeseries", "embed_timeseries",
                                                             "workspace")
    assert (data["linkId"], data["campaignId"], data["revoked"]) == (None, None, False)
    assert data["createdBy"] == alice.user_id
    assert AuditLog.get(AuditLog.resource_id == data["id"]).action == "embed.create"


def test_scoped_embeds(client, alice):
    link = sup.post(client, alice, "/api/links", {"destinationUrl": "https://example.com"})
    campaign = sup.post(client, alice, "/api/campaigns", {"name": "Spring"})
    by_link = create(client, alice, linkId=link["id"], widget="top_referrers")
    assert (by_link["scope"], by_link["linkId"]) == ("link", link["id"])
    by_campaign = create(client, alice, campaignId=campaign["id"])
    assert (by_campaign["scope"], by_campaign["campaignId"]) == ("campaign", campaign["id"])


def test_list_get_revoke_and_rotate(app, client, alice):
    first, second = create(client, alice, name="One"), create(client, alice, name="Two")
    listed = client.get("/api/embeds", headers=alice.headers).get_json()
    assert [e["id"] for e in listed["data"]] == [second["id"], first["id"]]
    assert listed["pagination"]["total"] == 2
    assert client.get(f"/api/embeds/{first['id']}", headers=alice.headers).get_json()[
        "data"] == first
    rotated = sup.post(client, alice, f"/api/embeds/{first['id']}/rotate", {}, 200)
    assert rotated["token"] != first["token"] and rotated["rotatedAt"]
    assert client.get(f"/api/analytics/embed?token={first['token']}").status_code == 404
    assert client.get(f"/api/analytics/embed?token={rotated['token']}").status_code == 200
    response = client.delete(f"/api/embeds/{first['id']}", headers=alice.headers)
    revoked = response.get_json()["data"]
    assert response.status_code == 200 and revoked["revoked"] is True
    assert (revoked["token"], revoked["url"], revoked["snippet"]) == (None, None, None)
    answer = client.get(f"/api/analytics/embed?token={rotated['token']}")
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "NOT_FOUND"
    assert client.delete(f"/api/embeds/{first['id']}",
                         headers=alice.headers).status_code == 200  # harmless again
    again = client.post(f"/api/embeds/{first['id']}/rotate", headers=alice.headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "CONFLICT"
    listed = client.get("/api/embeds", headers=alice.headers).get_json()["data"]
    assert [e["id"] for e in listed] == [second["id"]]
    listed = client.get("/api/embeds?includeRevoked=true", headers=alice.headers).get_json()
    assert {e["id"] for e in listed["data"]} == {first["id"], second["id"]}
    got = client.get(f"/api/embeds/{first['id']}", headers=alice.headers).get_json()["data"]
    assert got["revoked"] is True and got["revokedAt"]
    actions = [a.action for a in AuditLog.select().where(AuditLog.resource_id == first["id"])
               .order_by(AuditLog.id)]
    assert actions == ["embed.create", "embed.rotate", "embed.revoke"]


@pytest.mark.parametrize("body, field", [
    ({"widget": "stats"}, "name"),
    ({"name": "  ", "widget": "stats"}, "name"),
    ({"name": "x" * 101, "widget": "stats"}, "name"),
    ({"name": "A"}, "widget"),
    ({"name": "A", "widget": "map"}, "widget"),
    ({"name": 5, "widget": "stats"}, "name"),
    ({"name": "A", "widget": "stats", "linkId": "link_0000000000000000",
      "campaignId": "camp_0000000000000000"}, "campaignId"),
])
def test_bad_input_is_400_and_writes_nothing(app, client, alice, body, field):
    before = db_snapshot(app)
    response = client.post("/api/embeds", json=body, headers=alice.headers)
    assert response.status_code == 400, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in {d["field"] for d in error["details"]}
    assert db_snapshot(app) == before


def test_another_workspaces_things_are_404(app, client, alice, charlie):
    mine = create(client, alice)
    link = sup.post(client, alice, "/api/links", {"destinationUrl": "https://example.com"})
    campaign = sup.post(client, alice, "/api/campaigns", {"name": "Spring"})
    before = db_snapshot(app)
    for body in ({"linkId": link["id"]}, {"campaignId": campaign["id"]},
                 {"linkId": "not-an-id"}):
        response = client.post("/api/embeds", json={"name": "x", "widget": "stats", **body},
                               headers=charlie.headers)
        assert response.status_code == 404, body
    for method, url in (("GET", f"/api/embeds/{mine['id']}"),
                        ("DELETE", f"/api/embeds/{mine['id']}"),
                        ("POST", f"/api/embeds/{mine['id']}/rotate"),
                        ("GET", "/api/embeds/emb_0000000000000000"),
                        ("GET", "/api/embeds/nope")):
        response = client.open(url, method=method, headers=charlie.headers)
        assert response.status_code == 404, url
    for query in (f"linkId={link['id']}", f"campaignId={campaign['id']}"):
        response = client.get(f"/api/analytics/embed?node=embed_stats&{query}",
                              headers=charlie.headers)
        assert response.status_code == 404
    assert client.get("/api/embeds", headers=charlie.headers).get_json()["data"] == []
    assert db_snapshot(app) == before
    assert EmbedToken.get_by_id(EmbedToken.get().id).revoked_at is None


def test_roles_and_scopes(app, client, alice, bob):
    made = create(client, bob)
    assert made["createdBy"] == bob.user_id
    viewer = sup.viewer_headers(app, alice)
    no_analytics = sup.scoped_headers(app, alice, ["links:read"])
    assert client.get("/api/embeds", headers=viewer).status_code == 200
    before = db_snapshot(app)
    for headers, status in ((viewer, 403), (no_analytics, 403)):
        for method, url in (("POST", "/api/embeds"), ("DELETE", f"/api/embeds/{made['id']}"),
                            ("POST", f"/api/embeds/{made['id']}/rotate")):
            response = client.open(url, method=method, json={"name": "x", "widget": "stats"},
                                   headers=headers)
            assert response.status_code == status, (url, response.get_json())
    response = client.get("/api/analytics/embed?node=embed_stats", headers=no_analytics)
    assert response.status_code == 403
    assert db_snapshot(app) == before


# --- GET /api/analytics/embed ---------------------------------------------------------------

def test_widget_data_with_a_token_needs_no_credentials(client, alice, traffic):
    token = create(client, alice, widget="stats", linkId=traffic["promo"]["id"])["token"]
    response = client.get(f"/api/analytics/embed?token={token}&{sup.RANGE}")
    assert response.status_code == 200
    data = response.get_json()["data"]
    assert (data["node"], data["clicks"], data["uniqueClicks"]) == ("embed_stats", 4, 3)
    assert data["range"] == {"start": "2026-03-09T00:00:00.000Z",
                             "end": "2026-03-11T00:00:00.000Z", "granularity": "day",
                             "timezone": "UTC"}
    same = client.get(f"/api/analytics/embed?token={token}&node=embed_stats&{sup.RANGE}")
    assert same.get_json()["data"] == data
    wrong = client.get(f"/api/analytics/embed?token={token}&node=embed_top_referrers")
    assert wrong.status_code == 400
    assert EmbedToken.get().last_used_at == sup.NOW


def test_widget_data_over_the_callers_workspace(client, alice, traffic):
    def data(query: str) -> dict:
        response = client.get(f"/api/analytics/embed?{query}&{sup.RANGE}",
                              headers=alice.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["data"]

    whole = data("node=embed_stats")
    assert (whole["clicks"], whole["uniqueClicks"]) == (6, 5)
    assert whole["scope"] == {"type": "workspace", "title": "Alice Co", "linkId": None,
                              "campaignId": None}
    series = data(f"widgetType=timeseries&campaignId={traffic['campaign']['id']}")
    assert [p["clicks"] for p in series["timeseries"]] == [3, 2] and series["clicks"] == 5
    assert series["scope"]["type"] == "campaign"
    top = data(f"node=embed_top_referrers&linkId={traffic['promo']['id']}&limit=1")
    assert top["referrers"] == [{"referrer": "google.com", "clicks": 2, "percentage": 50.0}]
    hourly = data(f"node=embed_timeseries&linkId={traffic['promo']['id']}&granularity=hour")
    points = {p["timestamp"]: p["clicks"] for p in hourly["timeseries"] if p["clicks"]}
    assert points == {"2026-03-09T10:00:00.000+00:00": 2, "2026-03-09T14:00:00.000+00:00": 1,
                      "2026-03-10T09:00:00.000+00:00": 1}


@pytest.mark.parametrize("query, field", [
    ("", "node"),
    ("node=embed_map", "node"),
    ("widgetType=map", "widgetType"),
    ("node=embed_stats&widgetType=timeseries", "widgetType"),
    ("node=embed_stats&days=0", "days"),
    ("node=embed_stats&timezone=Nowhere/City", "timezone"),
    ("node=embed_stats&start=2026-03-10&end=2026-03-01", "start"),
    ("node=embed_top_referrers&limit=51", "limit"),
])
def test_widget_data_bad_parameters(app, client, alice, query, field):
    before = db_snapshot(app)
    response = client.get(f"/api/analytics/embed?{query}", headers=alice.headers)
    assert response.status_code == 400, response.get_json()
    assert field in {d["field"] for d in response.get_json()["error"]["details"]}
    assert db_snapshot(app) == before


def test_widget_data_without_token_or_credentials(client):
    response = client.get("/api/analytics/embed?node=embed_stats")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "UNAUTHORIZED"
    for token in ("x", "A" * 32):
        assert client.get(f"/api/analytics/embed?token={token}").status_code == 404

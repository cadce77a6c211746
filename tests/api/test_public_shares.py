"""/api/links/{id}/public-stats and /api/campaigns/{id}/public-stats: defaults before any
share, enable/disable with chosen metrics, the URL and its token, rotation, `publicStats` on
the link kept in step both ways, roles and scopes, audit, bad input (400, nothing written) and
another workspace's resources (404)."""

from __future__ import annotations

import re

import pytest

from linkhub.models import AuditLog, Link, PublicShare
from linkhub.services import public_shares
from tests import public_stats_support as sup
from tests.conftest import db_snapshot


def make_link(client, persona, **body) -> dict:
    body.setdefault("destinationUrl", "https://example.com/landing")
    return sup.post(client, persona, "/api/links", body)


def path(link_id: str, suffix: str = "") -> str:
    return f"/api/links/{link_id}/public-stats{suffix}"


def get(client, persona, url: str, status: int = 200) -> dict:
    response = client.get(url, headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"] if status == 200 else response.get_json()


def test_a_link_never_shared_answers_the_defaults(app, client, alice):
    link = make_link(client, alice)
    before = db_snapshot(app)
    data = get(client, alice, path(link["id"]))
    assert data == {"linkId": link["id"], "campaignId": None, "enabled": False,
                    "metrics": ["clicks", "uniqueClicks", "timeseries"],
                    "availableMetrics": list(public_shares.METRICS), "token": None,
                    "url": None, "createdAt": None, "updatedAt": None, "rotatedAt": None}
    assert db_snapshot(app) == before


def test_enable_with_metrics_then_disable_and_enable_again(app, client, alice):
    link = make_link(client, alice, shortCode="promo")
    data = sup.put(client, alice, path(link["id"]),
                   {"enabled": True, "metrics": ["referrers", "clicks", "clicks"]})
    assert data["enabled"] is True
    assert data["metrics"] == ["clicks", "referrers"]  # canonical order, no duplicates
    base = app.config["LINKHUB"]["BASE_URL"]
    assert re.fullmatch(re.escape(base) + r"/s/[A-Za-z0-9_-]{22,}", data["url"])
    assert data["url"] == f"{base}/s/{data['token']}" and len(data["token"]) >= 22
    assert get(client, alice, f"/api/links/{link['id']}")["publicStats"] is True
    assert get(client, alice, path("promo")) == data  # a short code works too
    off = sup.put(client, alice, path(link["id"]), {"enabled": False})
    assert off["enabled"] is False and off["token"] == data["token"]
    assert off["metrics"] == ["clicks", "referrers"]
    assert get(client, alice, f"/api/links/{link['id']}")["publicStats"] is False
    on = sup.put(client, alice, path(link["id"]), {"enabled": True})
    assert on["url"] == data["url"]
    assert PublicShare.select().count() == 1
    actions = [a.action for a in AuditLog.select().where(AuditLog.resource_id == link["id"])
               .order_by(AuditLog.id)]
    assert actions == ["link.create"] + ["public_share.update"] * 3


def test_metrics_alone_create_a_disabled_share(client, alice):
    link = make_link(client, alice)
    data = sup.put(client, alice, path(link["id"]), {"metrics": ["countries"]})
    assert (data["enabled"], data["metrics"]) == (False, ["countries"])
    assert data["token"] and get(client, alice, f"/api/links/{link['id']}")[
        "publicStats"] is False


def test_rotate_gives_a_new_token(client, alice):
    link = make_link(client, alice)
    first = sup.put(client, alice, path(link["id"]), {"enabled": True})
    rotated = sup.post(client, alice, path(link["id"], "/rotate"), {}, 200)
    assert rotated["token"] != first["token"] and rotated["rotatedAt"] is not None
    assert rotated["enabled"] is True
    assert client.get(f"/s/{first['token']}").status_code == 404
    assert client.get(f"/s/{rotated['token']}").status_code == 200
    assert AuditLog.select().where(AuditLog.action == "public_share.rotate").count() == 1


def test_link_writes_drive_the_share(client, alice):
    link = make_link(client, alice, publicStats=True)
    data = get(client, alice, path(link["id"]))
    assert data["enabled"] is True and data["metrics"] == list(public_shares.DEFAULT_METRICS)
    assert client.get(f"/s/{data['token']}").status_code == 200
    response = client.patch(f"/api/links/{link['id']}", json={"publicStats": False},
                            headers=alice.headers)
    assert response.status_code == 200 and response.get_json()["data"]["publicStats"] is False
    assert get(client, alice, path(link["id"]))["enabled"] is False
    assert client.get(f"/s/{data['token']}").status_code == 404
    client.patch(f"/api/links/{link['id']}", json={"publicStats": True}, headers=alice.headers)
    again = get(client, alice, path(link["id"]))
    assert again["enabled"] is True and again["token"] == data["token"]
    other = make_link(client, alice)  # publicStats false and no share: nothing is created
    client.patch(f"/api/links/{other['id']}", json={"title": "x"}, headers=alice.headers)
    client.patch(f"/api/links/{other['id']}", json={"publicStats": False},
                 headers=alice.headers)
    assert PublicShare.select().where(PublicShare.link == Link.get(
        Link.public_id == other["id"])).count() == 0


def test_campaign_share(client, alice):
    campaign = sup.post(client, alice, "/api/campaigns", {"name": "Spring"})
    url = f"/api/campaigns/{campaign['id']}/public-stats"
    assert get(client, alice, url)["enabled"] is False
    data = sup.put(client, alice, url, {"enabled": True, "metrics": ["clicks", "countries"]})
    assert data["campaignId"] == campaign["id"] and data["linkId"] is None
    assert client.get(f"/s/{data['token']}").status_code == 200
    rotated = sup.post(client, alice, f"{url}/rotate", {}, 200)
    assert client.get(f"/s/{data['token']}").status_code == 404
    assert client.get(f"/s/{rotated['token']}").status_code == 200
    response = client.delete(f"/api/campaigns/{campaign['id']}", headers=alice.headers)
    assert response.status_code == 200
    assert client.get(f"/s/{rotated['token']}").status_code == 404
    assert PublicShare.select().count() == 0


@pytest.mark.parametrize("body, field", [
    ({"enabled": "yes"}, "enabled"),
    ({"enabled": 1}, "enabled"),
    ({"metrics": []}, "metrics"),
    ({"metrics": "clicks"}, "metrics"),
    ({"metrics": ["clicks", "revenue"]}, "metrics.1"),
    ({"metrics": [None]}, "metrics.0"),
    ({"enabled": True, "metrics": [{"a": 1}]}, "metrics.0"),
])
def test_bad_input_is_400_and_writes_nothing(app, client, alice, body, field):
    link = make_link(client, alice)
    sup.put(client, alice, path(link["id"]), {"enabled": True, "metrics": ["clicks"]})
    before = db_snapshot(app)
    stored = PublicShare.get()
    response = client.put(path(link["id"]), json=body, headers=alice.headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in {d["field"] for d in error["details"]}
    assert db_snapshot(app) == before
    after = PublicShare.get()
    assert (after.enabled, after.metrics, after.token) == (stored.enabled, stored.metrics,
                                                           stored.token)


def test_another_workspaces_resources_are_404(app, client, alice, charlie):
    link = make_link(client, alice)
    campaign = sup.post(client, alice, "/api/campaigns", {"name": "Mine"})
    before = db_snapshot(app)
    for url in (path(link["id"]), f"/api/campaigns/{campaign['id']}/public-stats",
                path("link_0000000000000000"), path("nope!"),
                "/api/campaigns/camp_0000000000000000/public-stats"):
        for method in ("GET", "PUT"):
            response = client.open(url, method=method, json={"enabled": True},
                                   headers=charlie.headers)
            assert response.status_code == 404, (url, method)
            assert response.get_json()["error"]["code"] == "NOT_FOUND"
        response = client.post(url + "/rotate", headers=charlie.headers)
        assert response.status_code == 404
    assert db_snapshot(app) == before


def test_deleted_link_is_404(client, alice):
    link = make_link(client, alice)
    client.delete(f"/api/links/{link['id']}", headers=alice.headers)
    assert client.put(path(link["id"]), json={"enabled": True},
                      headers=alice.headers).status_code == 404


def test_roles_and_scopes(app, client, alice, bob):
    link = make_link(client, alice)
    campaign = sup.post(client, alice, "/api/campaigns", {"name": "Spring"})
    assert sup.put(client, bob, path(link["id"]), {"enabled": True})["enabled"] is True
    viewer = sup.viewer_headers(app, alice)
    reader = sup.scoped_headers(app, alice, ["links:read", "campaigns:read"])
    for headers in (viewer, reader):
        assert client.get(path(link["id"]), headers=headers).status_code == 200
        before = db_snapshot(app)
        for method, url in (("PUT", path(link["id"])), ("POST", path(link["id"], "/rotate")),
                            ("PUT", f"/api/campaigns/{campaign['id']}/public-stats")):
            response = client.open(url, method=method, json={"enabled": False},
                                   headers=headers)
            assert response.status_code == 403, (url, response.get_json())
        assert db_snapshot(app) == before
    assert client.get(path(link["id"])).status_code == 401

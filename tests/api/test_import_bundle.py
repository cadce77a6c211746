"""Our JSON bundle: GET /api/links/export/bundle, then POST /api/links/import/json into
another workspace gives the same bundle back (links with tags, folder, campaign, own and
shared rules; tags with colours; nested folders; campaigns with their rules), a second load
makes nothing new, and malformed bundles are refused before any work."""

from __future__ import annotations

import json

from linkhub.models import Campaign, Folder, Rule, Tag
from tests.api.imports_support import job_of, live_links, run_imports, upload
from tests.api.links_support import in_app, workspace_of
from tests.conftest import db_snapshot

MOBILE = [{"field": "deviceType", "operator": "equals", "value": "mobile"}]


def post(client, persona, path: str, body: dict) -> dict:
    response = client.post(path, json=body, headers=persona.headers)
    assert response.status_code in (200, 201), response.get_json()
    return response.get_json()["data"]


def build_workspace(client, alice) -> list[str]:
    """Everything a bundle carries, made through the API; returns the link ids."""
    post(client, alice, "/api/tags", {"name": "Promo", "color": "red"})
    post(client, alice, "/api/tags", {"name": "unused", "color": "#00aa11"})
    top = post(client, alice, "/api/folders", {"name": "Marketing", "color": "blue"})
    child = post(client, alice, "/api/folders", {"name": "Q1", "parentId": top["id"]})
    campaign = post(client, alice, "/api/campaigns", {
        "name": "Spring", "costModel": "cpc", "costOverride": 0.25, "costCurrency": "EUR",
        "dailyBudget": 100, "goalType": "lead"})
    post(client, alice, "/api/rules", {"name": "Campaign FR", "campaignId": campaign["id"],
                                       "destinationUrl": "https://example.com/fr",
                                       "conditions": [{"field": "country", "operator":
                                                       "equals", "value": "FR"}]})
    shared = post(client, alice, "/api/rules", {"name": "Shared mobile", "conditions": MOBILE,
                                                "destinationUrl": "https://example.com/m"})
    first = post(client, alice, "/api/links", {
        "destinationUrl": "https://example.com/one", "shortCode": "bundle-one",
        "title": "One", "notes": "=SUM(A1)", "tags": ["Promo", "extra"],
        "folderId": child["id"], "campaignId": campaign["id"], "ruleIds": [shared["id"]],
        "utm_source": "news", "redirectType": 301, "expiresAt": "2099-01-01T00:00:00Z",
        "clicksLimit": 500, "ogTitle": "OG"})
    post(client, alice, "/api/rules", {"name": "Typed geo", "linkId": first["id"],
                                       "type": "geo", "priority": 5,
                                       "destinationUrl": "https://example.com/us",
                                       "conditions": {"countries": ["US"], "operator": "in"}})
    second = post(client, alice, "/api/links", {"destinationUrl": "https://example.com/two",
                                                "shortCode": "bundle-two",
                                                "folderId": top["id"], "enabled": False})
    client.post(f"/api/links/{second['id']}/archive", headers=alice.headers)
    third = post(client, alice, "/api/links", {"destinationUrl": "https://example.com/3"})
    return [first["id"], second["id"], third["id"]]


def exported(client, persona) -> dict:
    response = client.get("/api/links/export/bundle", headers=persona.headers)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    return json.loads(response.get_data(as_text=True))


def comparable(bundle: dict) -> dict:
    return {k: v for k, v in bundle.items() if k not in ("exportedAt", "workspace")}


def test_round_trip_into_another_workspace(client, app, alice, charlie):
    link_ids = build_workspace(client, alice)
    bundle = exported(client, alice)
    assert bundle["format"] == "linkhub.bundle" and bundle["version"] == 1
    assert [lk["shortCode"] for lk in bundle["links"]][:2] == ["bundle-one", "bundle-two"]
    one = bundle["links"][0]
    assert one["folder"] == ["Marketing", "Q1"] and one["campaign"] == "Spring"
    assert one["sharedRules"] == ["Shared mobile"] and one["rules"][0]["type"] == "geo"
    assert {f["path"][-1] for f in bundle["folders"]} == {"Marketing", "Q1"}
    for link_id in link_ids:  # free the codes (the default domain is shared)
        assert client.delete(f"/api/links/{link_id}", headers=alice.headers).status_code == 200

    response = client.post("/api/links/import/json", json=bundle, headers=charlie.headers)
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["data"]["total"] == 3
    run_imports(app)
    job = job_of(client, charlie, response.get_json()["data"]["id"])
    assert (job["status"], job["created"], job["failed"]) == ("completed", 3, 0)
    assert comparable(exported(client, charlie)) == comparable(bundle)
    links = live_links(app, charlie)
    assert links["bundle-one"].notes == "=SUM(A1)"
    assert client.get("/bundle-one").location == "https://example.com/one?utm_source=news"


def test_loading_twice_makes_nothing_new(client, app, alice):
    build_workspace(client, alice)
    content = json.dumps(exported(client, alice)).encode()
    with in_app(app):
        ws = workspace_of(alice)
        before = [m.select().where(m.workspace == ws).count()
                  for m in (Tag, Folder, Campaign, Rule)]
    response = upload(client, alice, content, name="bundle.json", path="/api/links/import/json")
    assert response.status_code == 202, response.get_json()
    run_imports(app)
    job = job_of(client, alice, response.get_json()["data"]["id"])
    assert (job["created"], job["skipped"], job["failed"]) == (0, 3, 0)
    with in_app(app):
        after = [m.select().where(m.workspace == ws).count()
                 for m in (Tag, Folder, Campaign, Rule)]
    assert after == before


def test_a_link_whose_rules_are_refused_fails_as_a_whole(client, app, alice, charlie):
    bundle = {"format": "linkhub.bundle", "version": 1, "links": [
        {"shortCode": "rules-bad", "destinationUrl": "https://example.com/x",
         "rules": [{"name": "broken", "conditions": [{"field": "nope"}]}]},
        {"shortCode": "rules-missing", "destinationUrl": "https://example.com/y",
         "sharedRules": ["no such rule"]},
        {"shortCode": "rules-fine", "destinationUrl": "https://example.com/z"}]}
    response = client.post("/api/links/import/json", json=bundle, headers=charlie.headers)
    run_imports(app)
    job = job_of(client, charlie, response.get_json()["data"]["id"])
    assert (job["created"], job["failed"]) == (1, 2)
    assert set(live_links(app, charlie)) == {"rules-fine"}


def test_malformed_bundles_are_refused_before_any_work(client, app, alice):
    before = db_snapshot(app)
    for body, field in (({"links": []}, "file"),
                        ({"format": "linkhub.bundle", "version": 9}, "bundle.version"),
                        ({"format": "linkhub.bundle", "version": 1, "links": {}},
                         "bundle.links"),
                        ({"format": "linkhub.bundle", "version": 1, "tags": [1]},
                         "bundle.tags")):
        response = client.post("/api/links/import/json", json=body, headers=alice.headers)
        assert response.status_code == 400, body
        assert response.get_json()["error"]["details"][0]["field"] == field
    response = upload(client, alice, b"\xff\xfenot json", name="x.json",
                      path="/api/links/import/json")
    assert response.status_code == 400
    assert db_snapshot(app) == before

"""/api/rules: create in both shapes (link, campaign or shared), read back in the shape written,
list, update (PUT and PATCH), soft delete, attach/detach of shared rules with RULE_IN_USE,
validation, isolation, scopes and roles, and `rules_for_link` (the set and order the redirect
uses)."""

from __future__ import annotations

import pytest

from linkhub import clock, ids
from linkhub.models import Campaign, LinkRule, Rule
from linkhub.redirect import cache
from linkhub.services import rules as rules_service
from tests.api.test_campaigns import assert_refused, make_link, scoped_headers, viewer_headers

MOBILE = [{"field": "deviceType", "operator": "equals", "value": "mobile"}]


@pytest.fixture
def settings_overrides():
    return {"BASE_URL": "https://lnk.example.org"}


def make_campaign(persona, name: str = "Campaign") -> Campaign:
    return Campaign.create(public_id=ids.new_id("campaign"), workspace=persona.workspace,
                           name=name, pixel_code="lw_px_" + ids.new_id("rule")[5:] + "12345678")


def create_rule(client, persona, **body) -> dict:
    body.setdefault("name", "Mobile users")
    body.setdefault("destinationUrl", "https://example.com/mobile")
    if "type" not in body:
        body.setdefault("conditions", MOBILE)
    response = client.post("/api/rules", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


@pytest.fixture
def link(app, alice):
    return make_link(alice, code="promo")


# --- create and read ----------------------------------------------------------------------------

def test_create_new_shape_on_a_link(client, alice, link):
    data = create_rule(client, alice, linkId=link.public_id, conditionLogic="or",
                       conditions=[*MOBILE, {"field": "country", "operator": "in",
                                             "value": ["us", "CA"]}])
    assert ids.is_valid("rule", data["id"])
    assert data["linkId"] == link.public_id and data["campaignId"] is None
    assert data["shared"] is False and data["attachedLinkIds"] == []
    assert data["conditionLogic"] == "OR" and "type" not in data
    assert data["conditions"][1] == {"field": "country", "operator": "in",
                                     "value": ["us", "CA"]}  # as written
    assert data["priority"] == 100 and data["enabled"] is True
    for flag in ("deepLinkEnabled", "forwardUtms", "preserveQueryParams",
                 "inappBrowserBreakout", "redirectDelayMs", "timezone"):
        assert data[flag] is None
    row = Rule.get(Rule.public_id == data["id"])
    assert row.shape == "conditions"
    assert row.tree["conditions"][1]["value"] == ["US", "CA"]  # normalised beside
    got = client.get(f"/api/rules/{data['id']}", headers=alice.headers).get_json()["data"]
    assert got == data


def test_create_typed_rule(client, alice, link):
    data = create_rule(client, alice, linkId=link.public_id, type="geo",
                       conditions={"countries": ["US", "CA"], "operator": "in"}, priority=5)
    assert data["type"] == "geo" and "conditionLogic" not in data
    assert data["conditions"] == {"countries": ["US", "CA"], "operator": "in"}
    assert data["priority"] == 5
    got = client.get(f"/api/rules/{data['id']}", headers=alice.headers).get_json()["data"]
    assert got["type"] == "geo" and got["conditions"] == data["conditions"]


def test_create_with_all_flags(client, alice, link):
    data = create_rule(client, alice, linkId=link.public_id, description="Deep",
                       deepLinkEnabled=True, deepLinkIos="myapp://promo",
                       deepLinkAndroid="intent://promo#Intent;scheme=myapp;end",
                       deepLinkFallbackUrl="https://example.com/app", forwardUtms=False,
                       preserveQueryParams=False, inappBrowserBreakout=True,
                       redirectDelayMs=250, timezone="Europe/Paris", enabled=False,
                       priority=0)
    assert data["deepLinkIos"] == "myapp://promo" and data["redirectDelayMs"] == 250
    assert data["forwardUtms"] is False and data["inappBrowserBreakout"] is True
    assert data["timezone"] == "Europe/Paris" and data["enabled"] is False


def test_deep_link_only_rule_needs_no_destination(client, alice, link):
    data = create_rule(client, alice, linkId=link.public_id, destinationUrl=None,
                       deepLinkEnabled=True, deepLinkIos="myapp://open")
    assert data["destinationUrl"] is None


def test_campaign_and_shared_rules(client, alice):
    campaign = make_campaign(alice)
    camp_rule = create_rule(client, alice, campaignId=campaign.public_id)
    assert camp_rule["campaignId"] == campaign.public_id and camp_rule["linkId"] is None
    shared = create_rule(client, alice, name="Shared")
    assert shared["shared"] is True and shared["linkId"] is None


def test_nested_groups(client, alice, link):
    conditions = [{"logic": "NOT", "conditions": [
        {"field": "country", "operator": "equals", "value": "US"}]},
        {"logic": "OR", "conditions": [*MOBILE, {"field": "os", "operator": "equals",
                                                  "value": "ios"}]}]
    data = create_rule(client, alice, linkId=link.public_id, conditions=conditions)
    assert data["conditions"] == conditions


# --- bad input ----------------------------------------------------------------------------------

BAD = [
    ({"name": ""}, "name"),
    ({"name": None}, "name"),
    ({"destinationUrl": None}, "destinationUrl"),
    ({"destinationUrl": "javascript:alert(1)"}, "destinationUrl"),
    ({"destinationUrl": "https://lnk.example.org/loop"}, "destinationUrl"),
    ({"deepLinkEnabled": True, "deepLinkIos": "javascript:alert(1)"}, "deepLinkIos"),
    ({"deepLinkFallbackUrl": "ftp://example.com"}, "deepLinkFallbackUrl"),
    ({"conditions": None}, "conditions"),
    ({"conditions": []}, "conditions"),
    ({"conditions": [{"field": "shoeSize", "operator": "equals", "value": "9"}]},
     "conditions[0].field"),
    ({"conditions": [{"field": "country", "operator": "sounds_like", "value": "US"}]},
     "conditions[0].operator"),
    ({"conditions": [{"field": "country", "operator": "equals", "value": "USA"}]},
     "conditions[0].value"),
    ({"conditions": [{"field": "hour", "operator": "greater_than", "value": "noon"}]},
     "conditions[0].value"),
    ({"conditions": [{"field": "hour", "operator": "equals", "value": 25}]},
     "conditions[0].value"),
    ({"conditions": [{"field": "bot", "operator": "contains", "value": "x"}]},
     "conditions[0].operator"),
    ({"conditions": [{"field": "country", "operator": "in", "value": {"a": 1}}]},
     "conditions[0].value"),
    ({"conditions": [{"field": "referrer", "operator": "matches", "value": r"(a)\1"}]},
     "conditions[0].value"),
    ({"conditions": [{"field": "referrer", "operator": "matches", "value": "a" * 300}]},
     "conditions[0].value"),
    ({"conditions": [{"logic": "XOR", "conditions": MOBILE}]}, "conditions[0].logic"),
    ({"conditionLogic": "NOT"}, "conditionLogic"),
    ({"conditions": {"devices": ["mobile"]}}, "type"),
    ({"type": "weather", "conditions": {"rain": True}}, "type"),
    ({"type": "geo", "conditions": {"countries": ["USA"]}}, "conditions.countries[0]"),
    ({"priority": "high"}, "priority"),
    ({"priority": -1}, "priority"),
    ({"enabled": "yes"}, "enabled"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"redirectDelayMs": 60_000}, "redirectDelayMs"),
    ({"linkId": "link_" + "Z" * 16, "campaignId": "camp_" + "Z" * 16}, "campaignId"),
]


@pytest.mark.parametrize("body, field", BAD)
def test_create_refuses_bad_input(client, app, alice, link, body, field):
    full = {"name": "Rule", "destinationUrl": "https://example.com/x", "linkId": link.public_id,
            "conditions": MOBILE, **body}
    error = assert_refused(client, app, "POST", "/api/rules", alice.headers, 400,
                           "VALIDATION_ERROR", json=full)
    fields = {d["field"] for d in error["details"]}
    assert any(f == field or f.startswith(field) for f in fields), fields


def test_several_problems_together(client, app, alice, link):
    error = assert_refused(client, app, "POST", "/api/rules", alice.headers, 400,
                           "VALIDATION_ERROR", json={
                               "linkId": link.public_id, "destinationUrl": "ftp://x",
                               "conditions": [{"field": "nope", "operator": "equals",
                                               "value": 1}]})
    assert {"name", "destinationUrl", "conditions[0].field"} <= {
        d["field"] for d in error["details"]}


def test_catastrophic_regex_is_safe(client, alice, link):
    data = create_rule(client, alice, linkId=link.public_id, conditions=[
        {"field": "referrer", "operator": "matches", "value": "(a+)+$"}])
    response = client.post("/api/rules/test", headers=alice.headers, json={
        "linkId": link.public_id, "visitor": {"referrer": "https://x.example/" + "a" * 2000 + "!"}})
    assert response.status_code == 200
    assert response.get_json()["data"]["evaluations"][0]["ruleId"] == data["id"]


def test_owner_must_be_in_the_workspace(client, app, alice, charlie):
    theirs = make_link(charlie)
    their_campaign = make_campaign(charlie)
    for body in ({"linkId": theirs.public_id}, {"campaignId": their_campaign.public_id},
                 {"linkId": "link_nope"}, {"campaignId": "camp_" + "Q" * 16}):
        assert_refused(client, app, "POST", "/api/rules", alice.headers, 404, "NOT_FOUND",
                       json={"name": "x", "destinationUrl": "https://example.com/",
                             "conditions": MOBILE, **body})
    dead = make_link(alice, deleted_at=clock.now())
    assert_refused(client, app, "POST", "/api/rules", alice.headers, 404, "NOT_FOUND",
                   json={"name": "x", "destinationUrl": "https://example.com/",
                         "conditions": MOBILE, "linkId": dead.public_id})


# --- list ---------------------------------------------------------------------------------------

def test_list_filters_in_evaluation_order(client, alice, charlie, link):
    campaign = make_campaign(alice)
    late = create_rule(client, alice, linkId=link.public_id, name="late", priority=50)
    early = create_rule(client, alice, linkId=link.public_id, name="early", priority=1)
    camp = create_rule(client, alice, campaignId=campaign.public_id, name="camp")
    shared = create_rule(client, alice, name="shared")
    other = create_rule(client, alice, name="other shared")
    client.post(f"/api/rules/{shared['id']}/attach", json={"linkId": link.public_id},
                headers=alice.headers)
    create_rule(client, charlie, name="charlie's")

    def names(query=""):
        response = client.get(f"/api/rules{query}", headers=alice.headers)
        assert response.status_code == 200, response.get_json()
        return [r["name"] for r in response.get_json()["data"]]

    assert names() == ["early", "late", "camp", "shared", "other shared"]
    assert names(f"?linkId={link.public_id}") == ["early", "late", "shared"]
    assert names(f"?campaignId={campaign.public_id}") == ["camp"]
    assert names("?shared=true") == ["shared", "other shared"]
    assert names("?shared=false") == ["early", "late", "camp"]
    listed = client.get("/api/rules?shared=true", headers=alice.headers).get_json()["data"]
    assert listed[0]["attachedLinkIds"] == [link.public_id]
    assert listed[1]["id"] == other["id"] and listed[1]["attachedLinkIds"] == []
    assert {late["id"], early["id"], camp["id"]} <= {
        r["id"] for r in client.get("/api/rules", headers=alice.headers).get_json()["data"]}
    theirs = make_link(charlie)
    for query in (f"?linkId={theirs.public_id}", "?campaignId=camp_x", "?linkId=bad"):
        assert client.get(f"/api/rules{query}", headers=alice.headers).status_code == 404
    assert client.get("/api/rules?shared=maybe", headers=alice.headers).status_code == 400


# --- update -------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["PUT", "PATCH"])
def test_update(client, alice, link, method):
    data = create_rule(client, alice, linkId=link.public_id)
    response = client.open(f"/api/rules/{data['id']}", method=method, headers=alice.headers,
                           json={"name": "Renamed", "priority": 3, "enabled": False,
                                 "conditions": [{"field": "os", "operator": "equals",
                                                 "value": "android"}]})
    assert response.status_code == 200, response.get_json()
    got = response.get_json()["data"]
    assert got["name"] == "Renamed" and got["priority"] == 3 and got["enabled"] is False
    assert got["conditions"][0]["field"] == "os" and got["conditionLogic"] == "AND"
    assert got["destinationUrl"] == data["destinationUrl"]
    row = Rule.get(Rule.public_id == data["id"])
    assert row.tree["conditions"][0]["value"] == "android"


def test_update_typed_keeps_its_shape(client, alice, link):
    data = create_rule(client, alice, linkId=link.public_id, type="device",
                       conditions={"devices": ["mobile"]})
    response = client.put(f"/api/rules/{data['id']}", headers=alice.headers,
                          json={"conditions": {"devices": ["tablet"], "os": ["ios"]}})
    assert response.status_code == 200, response.get_json()
    got = response.get_json()["data"]
    assert got["type"] == "device" and got["conditions"] == {"devices": ["tablet"],
                                                             "os": ["ios"]}


@pytest.mark.parametrize("body, field", [
    ({"type": "geo"}, "type"),
    ({"destinationUrl": None}, "destinationUrl"),
    ({"conditions": {"devices": ["phablet"]}}, "conditions.devices[0]"),
    ({"conditions": [{"field": "country", "operator": "equals", "value": "US"}]},
     "conditions"),
    ({"name": ""}, "name"),
    ({"priority": 1.5}, "priority"),
    ({"linkId": None}, "linkId"),
    ({"campaignId": "camp_" + "A" * 16}, "campaignId"),
])
def test_update_refuses_bad_input(client, app, alice, link, body, field):
    data = create_rule(client, alice, linkId=link.public_id, type="device",
                       conditions={"devices": ["mobile"]})
    error = assert_refused(client, app, "PUT", f"/api/rules/{data['id']}", alice.headers,
                           400, "VALIDATION_ERROR", json=body)
    assert field in {d["field"] for d in error["details"]}
    got = client.get(f"/api/rules/{data['id']}", headers=alice.headers).get_json()["data"]
    assert got == data


# --- delete, attach, detach ---------------------------------------------------------------------

def test_soft_delete(client, app, alice, link):
    data = create_rule(client, alice, linkId=link.public_id)
    response = client.delete(f"/api/rules/{data['id']}", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["data"] == {"id": data["id"], "deleted": True}
    assert Rule.get(Rule.public_id == data["id"]).deleted_at is not None
    for method in ("GET", "PUT", "DELETE"):
        assert_refused(client, app, method, f"/api/rules/{data['id']}", alice.headers, 404,
                       "NOT_FOUND", **({"json": {"name": "x"}} if method == "PUT" else {}))
    assert client.get("/api/rules", headers=alice.headers).get_json()["data"] == []


def test_shared_rule_in_use(client, app, alice, link):
    other = make_link(alice, code="second")
    shared = create_rule(client, alice, name="Shared")
    for target in (link, other, other):  # attaching twice changes nothing
        response = client.post(f"/api/rules/{shared['id']}/attach",
                               json={"linkId": target.public_id}, headers=alice.headers)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["data"] == {"ruleId": shared["id"],
                                               "linkId": target.public_id, "attached": True}
    assert LinkRule.select().count() == 2
    error = assert_refused(client, app, "DELETE", f"/api/rules/{shared['id']}", alice.headers,
                           400, "RULE_IN_USE")
    assert error["details"][0]["field"] == "linkIds"
    assert link.public_id in error["details"][0]["message"]
    assert error["links"] == [{"id": link.public_id, "shortCode": "promo"},
                              {"id": other.public_id, "shortCode": "second"}]
    for target in (link, other):
        response = client.post(f"/api/rules/{shared['id']}/detach",
                               json={"linkId": target.public_id}, headers=alice.headers)
        assert response.get_json()["data"]["attached"] is False
    assert client.delete(f"/api/rules/{shared['id']}", headers=alice.headers).status_code == 200


def test_attach_errors(client, app, alice, charlie, link):
    owned = create_rule(client, alice, linkId=link.public_id)
    shared = create_rule(client, alice, name="Shared")
    assert_refused(client, app, "POST", f"/api/rules/{owned['id']}/attach", alice.headers, 400,
                   "VALIDATION_ERROR", json={"linkId": link.public_id})
    assert_refused(client, app, "POST", f"/api/rules/{shared['id']}/attach", alice.headers,
                   400, "VALIDATION_ERROR", json={})
    theirs = make_link(charlie)
    assert_refused(client, app, "POST", f"/api/rules/{shared['id']}/attach", alice.headers,
                   404, "NOT_FOUND", json={"linkId": theirs.public_id})
    assert_refused(client, app, "POST", f"/api/rules/{shared['id']}/attach", charlie.headers,
                   404, "NOT_FOUND", json={"linkId": theirs.public_id})


def test_writes_clear_the_redirect_cache(client, app, alice, link):
    store = cache.for_app(app)

    def fill():
        store.put_domain("x.example.com", object(), store.generation)

    fill()
    data = create_rule(client, alice, name="Shared")
    assert store.stats()["domains"] == 0
    steps = [("PUT", f"/api/rules/{data['id']}", {"priority": 7}),
             ("POST", f"/api/rules/{data['id']}/attach", {"linkId": link.public_id}),
             ("POST", f"/api/rules/{data['id']}/detach", {"linkId": link.public_id}),
             ("DELETE", f"/api/rules/{data['id']}", None)]
    for method, url, body in steps:
        fill()
        response = client.open(url, method=method, json=body, headers=alice.headers)
        assert response.status_code == 200, response.get_json()
        assert store.stats()["domains"] == 0, url


# --- isolation, scopes, roles -------------------------------------------------------------------

def test_other_workspace_is_not_found(client, app, alice, charlie, link):
    data = create_rule(client, alice, name="Shared")
    url = f"/api/rules/{data['id']}"
    assert_refused(client, app, "GET", url, charlie.headers, 404, "NOT_FOUND")
    assert_refused(client, app, "PUT", url, charlie.headers, 404, "NOT_FOUND",
                   json={"name": "x"})
    assert_refused(client, app, "PATCH", url, charlie.headers, 404, "NOT_FOUND",
                   json={"name": "x"})
    assert_refused(client, app, "DELETE", url, charlie.headers, 404, "NOT_FOUND")
    assert_refused(client, app, "POST", url + "/attach", charlie.headers, 404, "NOT_FOUND",
                   json={"linkId": link.public_id})
    assert_refused(client, app, "POST", url + "/detach", charlie.headers, 404, "NOT_FOUND",
                   json={"linkId": link.public_id})
    assert client.get("/api/rules", headers=charlie.headers).get_json()["data"] == []


def test_scopes(client, app, alice, link):
    data = create_rule(client, alice, linkId=link.public_id)
    url = f"/api/rules/{data['id']}"
    body = {"name": "x", "destinationUrl": "https://example.com/", "conditions": MOBILE}
    reader = scoped_headers(app, alice, ["rules:read"])
    assert client.get(url, headers=reader).status_code == 200
    assert_refused(client, app, "POST", "/api/rules", reader, 403, "FORBIDDEN", json=body)
    creator = scoped_headers(app, alice, ["rules:create"])
    assert client.post("/api/rules", json=body, headers=creator).status_code == 201
    assert_refused(client, app, "PUT", url, creator, 403, "FORBIDDEN", json={"name": "y"})
    assert_refused(client, app, "DELETE", url, creator, 403, "FORBIDDEN")
    assert_refused(client, app, "GET", url, creator, 403, "FORBIDDEN")
    updater = scoped_headers(app, alice, ["rules:update"])
    assert client.put(url, json={"name": "y"}, headers=updater).status_code == 200
    writer = scoped_headers(app, alice, ["rules:write"])
    assert client.post("/api/rules", json=body, headers=writer).status_code == 201
    assert client.delete(url, headers=writer).status_code == 200
    links_only = scoped_headers(app, alice, ["links:write"])
    assert_refused(client, app, "POST", "/api/rules/test", links_only, 403, "FORBIDDEN",
                   json={"linkId": link.public_id})


def test_roles(client, app, alice, bob, link):
    data = create_rule(client, bob, linkId=link.public_id)  # editors write rules
    viewer = viewer_headers(app, alice)
    assert client.get(f"/api/rules/{data['id']}", headers=viewer).status_code == 200
    assert_refused(client, app, "POST", "/api/rules", viewer, 403, "FORBIDDEN",
                   json={"name": "x", "destinationUrl": "https://example.com/",
                         "conditions": MOBILE})
    assert_refused(client, app, "DELETE", f"/api/rules/{data['id']}", viewer, 403,
                   "FORBIDDEN")


def test_fixed_paths_answer_405(client, alice):
    for method, url in (("DELETE", "/api/rules/test"), ("GET", "/api/rules/test"),
                        ("PUT", "/api/rules/fields")):
        response = client.open(url, method=method, headers=alice.headers)
        assert response.status_code == 405, url
        assert response.get_json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_field_catalogue(client, alice):
    data = client.get("/api/rules/fields", headers=alice.headers).get_json()["data"]
    names = {f["name"] for f in data["fields"]}
    assert {"country", "deviceType", "language", "query.<name>", "vpn"} <= names
    assert "matches" in data["operators"] and "geo" in data["types"]


# --- rules_for_link -----------------------------------------------------------------------------

def test_rules_for_link_set_and_order(client, ctx, alice, link):
    campaign = make_campaign(alice)
    link.campaign = campaign
    link.save()
    other_link = make_link(alice)

    def rule(name, **fields):
        fields.setdefault("priority", 100)
        return Rule.create(public_id=ids.new_id("rule"), workspace=alice.workspace, name=name,
                           shape="conditions", conditions=MOBILE, tree={
                               "logic": "AND", "conditions": MOBILE},
                           destination_url="https://example.com/" + name, **fields)

    own_late = rule("own-late", link=link, priority=20)
    camp = rule("camp", campaign=campaign, priority=10)
    own_early = rule("own-early", link=link, priority=10)  # same priority, created later
    shared = rule("shared", priority=5)
    LinkRule.create(link=link, rule=shared)
    rule("disabled", link=link, enabled=False)
    rule("deleted", link=link, deleted_at=clock.now())
    rule("other link", link=other_link, priority=1)
    rule("unattached shared", priority=1)
    rule("other campaign", campaign=make_campaign(alice, "Other"), priority=1)

    got = rules_service.rules_for_link(link)
    assert [r["id"] for r in got] == [shared.public_id, camp.public_id, own_early.public_id,
                                      own_late.public_id]
    first = got[0]
    assert first["tree"] == {"logic": "AND", "conditions": MOBILE}
    assert first["destinationUrl"] == "https://example.com/shared"
    assert first["pk"] == shared.id and first["scope"] == "shared"
    assert [r["scope"] for r in got[1:]] == ["campaign", "link", "link"]

"""POST /api/links: fields, defaults, short codes, destinations, references, scopes, roles,
isolation and idempotency. Every refused request leaves the database unchanged."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linkhub import clock
from linkhub.models import Link, Tag
from linkhub.schemas.links import LinkOut
from linkhub.services import short_codes
from tests.api.links_support import (
    DEST,
    api_key,
    create,
    error_of,
    in_app,
    make_campaign,
    make_domain,
    make_rule,
    viewer_headers,
)
from tests.conftest import db_snapshot

BLOCKED = "blocked.example"


@pytest.fixture
def settings_overrides():
    return {"DESTINATION_BLOCKLIST": [BLOCKED]}


def refused(app, client, persona, body, status=400, code="VALIDATION_ERROR", field=None,
            headers=None):
    before = db_snapshot(app)
    response = client.post("/api/links", json=body, headers=headers or persona.headers)
    assert error_of(response) == (status, code), response.get_json()
    if field is not None:
        fields = [d["field"] for d in response.get_json()["error"].get("details", [])]
        assert any(f == field or f.startswith(field + ".") for f in fields), \
            response.get_json()
    assert db_snapshot(app) == before
    return response.get_json()["error"]


def future(days=3):
    return clock.iso(clock.now() + timedelta(days=days))


# --- the happy paths ------------------------------------------------------------------------

def test_create_minimal_has_documented_defaults(client, alice):
    link = create(client, alice)
    assert link["id"].startswith("link_")
    assert len(link["shortCode"]) == 7
    assert not set(link["shortCode"]) & set("0Oo1lI")
    assert link["shortUrl"] == f"http://127.0.0.1:8080/{link['shortCode']}"
    assert link["domainId"] is None and link["domain"] == "127.0.0.1"
    assert link["destinationUrl"] == link["defaultDestination"] == DEST
    assert link["enabled"] is True and link["archived"] is False
    assert link["redirectBehavior"] == "auto" and link["redirectType"] == 302
    assert link["preserveQueryParams"] is True and link["forwardUtms"] is True
    assert link["passwordProtected"] is False and "password" not in link
    assert link["tags"] == [] and link["ruleIds"] == []
    assert link["clicks"] == link["uniqueClicks"] == link["botClicks"] == 0
    assert link["impressions"] == 0 and link["lastClickedAt"] is None
    assert link["createdAt"].endswith("Z")


def test_create_every_field_round_trips(app, client, alice):
    campaign = make_campaign(app, alice)
    folder = client.post("/api/folders", json={"name": "F"}, headers=alice.headers)
    template = client.post("/api/utm-templates", json={"name": "T", "utmSource": "nl"},
                           headers=alice.headers)
    rule = make_rule(app, alice)
    expires = future()
    body = {
        "destinationUrl": DEST, "title": "Spring", "description": "d", "notes": "n",
        "shortCode": "spring-26.x", "campaignId": campaign,
        "folderId": folder.get_json()["data"]["id"],
        "utmTemplateId": template.get_json()["data"]["id"], "externalId": "crm-1",
        "expiresAt": expires, "clicksLimit": 10, "password": "s3cret", "tags": ["News"],
        "enabled": False, "redirectBehavior": "always", "redirectType": 308,
        "expiredUrl": "https://example.com/expired", "deepLinkEnabled": True,
        "deepLinkIos": "myapp://item/1", "deepLinkAndroid": "intent://item/1#Intent;end",
        "deepLinkFallbackUrl": "https://example.com/app", "conversionTracking": True,
        "trackingType": "s2s", "ogTitle": "OG", "ogDescription": "desc",
        "ogImage": "https://example.com/og.png", "publicStats": True,
        "trackImpressions": True, "preserveQueryParams": False, "forwardUtms": False,
        "inappBrowserBreakout": True, "utmSource": "src", "utm_medium": "email",
        "utmCampaign": "c", "utmTerm": "t", "utmContent": "x", "ruleIds": [rule],
    }
    link = create(client, alice, **body)
    for key, value in body.items():
        if key in ("password", "utm_medium", "expiresAt"):
            continue
        if key == "tags":
            assert link["tags"] == ["News"]
            continue
        assert link[key] == value, key
    assert link["utmMedium"] == "email"
    assert link["expiresAt"] == expires
    assert link["passwordProtected"] is True and "s3cret" not in str(link)
    got = client.get(f"/api/links/{link['id']}", headers=alice.headers).get_json()["data"]
    assert got == link
    LinkOut.model_validate(link)
    with in_app(app):
        row = Link.get(Link.public_id == link["id"])
        assert row.password_hash and row.password_hash != "s3cret"


def test_rule_only_and_never_need_no_destination(client, alice):
    for behavior in ("rule_only", "never"):
        link = create(client, alice, destinationUrl=None, redirectBehavior=behavior)
        assert link["destinationUrl"] is None


def test_custom_code_on_default_and_custom_domain(app, client, alice):
    domain = make_domain(app, alice, "go.alice.test")
    a = create(client, alice, shortCode="promo")
    b = create(client, alice, shortCode="promo", domainId=domain["id"])
    c = create(client, alice, shortCode="Promo")  # case-sensitive by default
    assert b["shortUrl"] == "https://go.alice.test/promo" and b["domain"] == "go.alice.test"
    assert b["domainId"] == domain["id"]
    assert {a["id"], b["id"], c["id"]} == {a["id"], b["id"], c["id"]}
    by_host = create(client, alice, shortCode="other", domain="GO.alice.test")
    assert by_host["domainId"] == domain["id"]
    default = create(client, alice, shortCode="dflt", domain="127.0.0.1")
    assert default["domainId"] is None


def test_case_insensitive_domain_refuses_codes_differing_in_case(app, client, alice):
    domain = make_domain(app, alice, case_sensitive=False)
    create(client, alice, shortCode="Sale", domainId=domain["id"])
    refused(app, client, alice, {"destinationUrl": DEST, "shortCode": "sALE",
                                 "domainId": domain["id"]}, 409, "SHORT_CODE_EXISTS")


def test_tags_by_name_are_created_once_and_reused_case_blind(app, client, alice):
    first = create(client, alice, tags=["Launch", "launch", "Q1"])
    assert sorted(first["tags"]) == ["Launch", "Q1"]
    second = create(client, alice, tags=["LAUNCH"])
    assert second["tags"] == ["Launch"]
    with in_app(app):
        assert Tag.select().count() == 2
        tag_id = Tag.get(Tag.name_key == "q1").public_id
    third = create(client, alice, tags=[tag_id])
    assert third["tags"] == ["Q1"]


def test_utm_aliases_are_accepted(client, alice):
    link = create(client, alice, utm_source="a", utm_medium="b", utm_campaign="c",
                  utm_term="d", utm_content="e")
    assert [link[k] for k in ("utmSource", "utmMedium", "utmCampaign", "utmTerm",
                              "utmContent")] == list("abcde")


def test_password_bounds_are_inclusive(client, alice):
    assert create(client, alice, password="abcd")["passwordProtected"] is True
    assert create(client, alice, password="x" * 128)["passwordProtected"] is True
    assert create(client, alice, password="")["passwordProtected"] is False


def test_idempotency_key_replays_the_first_response(app, client, alice):
    headers = {**alice.headers, "Idempotency-Key": "create-once"}
    body = {"destinationUrl": DEST, "title": "once"}
    first = client.post("/api/links", json=body, headers=headers)
    assert first.status_code == 201
    before = db_snapshot(app)
    again = client.post("/api/links", json=body, headers=headers)
    assert again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json()["data"]["id"] == first.get_json()["data"]["id"]
    assert db_snapshot(app) == before
    other = client.post("/api/links", json={**body, "title": "twice"}, headers=headers)
    assert error_of(other) == (409, "IDEMPOTENCY_CONFLICT")


def test_cache_is_invalidated_for_the_new_code(app, client, alice, monkeypatch):
    from linkhub.redirect import cache

    calls = []
    store = cache.for_app(app)
    monkeypatch.setattr(store, "invalidate_link", lambda *a: calls.append(a))
    link = create(client, alice, shortCode="fresh")
    assert calls and calls[-1][-1] == (0, "fresh")
    with in_app(app):
        assert calls[-1][0] == Link.get(Link.public_id == link["id"]).id


# --- short codes ------------------------------------------------------------------------------

@pytest.mark.parametrize("code", ["", " ", "a b", "ab/c", ".start", "x" * 65, "é", "a?b",
                                  "a#b", "%41"])
def test_invalid_short_codes(app, client, alice, code):
    if not code.strip():  # empty means "generate one"
        assert create(client, alice, shortCode=code)["shortCode"]
        return
    refused(app, client, alice, {"destinationUrl": DEST, "shortCode": code}, field="shortCode")


def test_code_edge_shapes_are_accepted(client, alice):
    for code in ("a", "-", "_", "A-b_c.d", "x" * 64, "9", "end."):
        assert create(client, alice, shortCode=code)["shortCode"] == code


def test_every_reserved_segment_of_the_url_map_is_refused(app, client, alice):
    with in_app(app):
        reserved = short_codes.reserved_segments()
        routed = {r.rule.lstrip("/").split("/")[0] for r in app.url_map.iter_rules()}
    routed = {s for s in routed if s and "<" not in s}
    assert routed <= reserved
    assert {"api", "app", "static", "health", "robots.txt", "favicon.ico", "scim", "p", "s",
            "embed"} <= reserved
    for segment in sorted(reserved):
        for code in (segment, segment.upper()):
            refused(app, client, alice, {"destinationUrl": DEST, "shortCode": code},
                    field="shortCode")


def test_duplicate_live_code_is_409(app, client, alice, charlie):
    create(client, alice, shortCode="taken")
    refused(app, client, alice, {"destinationUrl": DEST, "shortCode": "taken"}, 409,
            "SHORT_CODE_EXISTS")
    # the default domain is shared by every workspace
    refused(app, client, charlie, {"destinationUrl": DEST, "shortCode": "taken"}, 409,
            "SHORT_CODE_EXISTS")


def test_integrity_race_on_a_chosen_code_is_409(app, client, alice, monkeypatch):
    create(client, alice, shortCode="racy")
    monkeypatch.setattr(short_codes, "ensure_free", lambda *a, **k: None)
    refused(app, client, alice, {"destinationUrl": DEST, "shortCode": "racy"}, 409,
            "SHORT_CODE_EXISTS")


# --- destinations and URLs --------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "data:text/html,hi", "ftp://example.com/x", "example.com",
    "https://user:pw@example.com/", "https://", "https://exa mple.com/",
    "https://example.com/" + "a" * 2048, f"https://{BLOCKED}/x", f"https://sub.{BLOCKED}/",
    "http://127.0.0.1:8080/loop", "https://nohost/",
])
def test_bad_destinations(app, client, alice, url):
    refused(app, client, alice, {"destinationUrl": url}, field="destinationUrl")


def test_destination_on_a_custom_domain_of_the_install_loops(app, client, alice):
    make_domain(app, alice, "go.loop.test")
    refused(app, client, alice, {"destinationUrl": "https://go.loop.test/x"},
            field="destinationUrl")


def test_destination_required_for_auto_and_always(app, client, alice):
    refused(app, client, alice, {}, field="destinationUrl")
    refused(app, client, alice, {"destinationUrl": None, "redirectBehavior": "always"},
            field="destinationUrl")


@pytest.mark.parametrize("field,value", [
    ("deepLinkIos", "javascript:alert(1)"), ("deepLinkIos", "data:text/html,x"),
    ("deepLinkAndroid", "vbscript:msgbox"), ("deepLinkAndroid", "file:///etc/passwd"),
    ("deepLinkIos", "no-scheme"), ("deepLinkIos", "myapp://" + "a" * 2050),
    ("deepLinkIos", "my app://x"), ("deepLinkFallbackUrl", "myapp://x"),
    ("expiredUrl", "javascript:x"), ("ogImage", "data:image/png;base64,AAAA"),
])
def test_bad_deep_link_and_other_urls(app, client, alice, field, value):
    refused(app, client, alice, {"destinationUrl": DEST, field: value}, field=field)


def test_deep_links_need_a_target_when_enabled(app, client, alice):
    refused(app, client, alice, {"destinationUrl": DEST, "deepLinkEnabled": True},
            field="deepLinkEnabled")
    link = create(client, alice, deepLinkEnabled=True, deepLinkAndroid="https://example.com/a")
    assert link["deepLinkEnabled"] is True


# --- other fields -----------------------------------------------------------------------------

@pytest.mark.parametrize("field,value", [
    ("expiresAt", "yesterday"), ("expiresAt", "2020-01-01T00:00:00Z"),
    ("expiresAt", "2099-13-01"), ("expiresAt", 1700000000),
    ("clicksLimit", 0), ("clicksLimit", -3), ("clicksLimit", "5"), ("clicksLimit", 1.5),
    ("clicksLimit", True), ("clicksLimit", 10**12),
    ("password", "abc"), ("password", "x" * 129), ("password", 1234),
    ("redirectBehavior", "sometimes"), ("redirectType", 303), ("redirectType", "302"),
    ("trackingType", "email"), ("enabled", "yes"), ("enabled", 1), ("enabled", None),
    ("title", 5), ("title", "t" * 501), ("tags", "news"), ("tags", [1]),
    ("tags", ["x" * 65]), ("tags", [""]), ("ruleIds", "rule_x"), ("externalId", "e" * 256),
    ("utmSource", "u" * 256), ("publicStats", "true"), ("domainId", 7),
])
def test_bad_field_values(app, client, alice, field, value):
    refused(app, client, alice, {"destinationUrl": DEST, field: value}, field=field)


def test_non_json_and_malformed_bodies(app, client, alice):
    before = db_snapshot(app)
    r = client.post("/api/links", data="destinationUrl=x", headers=alice.headers,
                    content_type="application/x-www-form-urlencoded")
    assert error_of(r) == (400, "VALIDATION_ERROR")
    r = client.post("/api/links", data="{nope", headers=alice.headers,
                    content_type="application/json")
    assert error_of(r) == (400, "VALIDATION_ERROR")
    r = client.post("/api/links", json=["x"], headers=alice.headers)
    assert error_of(r) == (400, "VALIDATION_ERROR")
    assert db_snapshot(app) == before


def test_all_problems_are_reported_at_once(app, client, alice):
    error = refused(app, client, alice, {"destinationUrl": "javascript:x", "clicksLimit": 0,
                                         "password": "ab", "shortCode": "api"})
    fields = {d["field"] for d in error["details"]}
    assert {"destinationUrl", "clicksLimit", "password", "shortCode"} <= fields


def test_external_id_is_unique_among_live_links(app, client, alice, charlie):
    first = create(client, alice, externalId="crm-7")
    refused(app, client, alice, {"destinationUrl": DEST, "externalId": "crm-7"}, 409,
            "CONFLICT")
    assert create(client, charlie, externalId="crm-7")  # another workspace
    client.delete(f"/api/links/{first['id']}", headers=alice.headers)
    assert create(client, alice, externalId="crm-7")


def test_unverified_domain_is_refused(app, client, alice):
    domain = make_domain(app, alice, verified=False)
    refused(app, client, alice, {"destinationUrl": DEST, "domainId": domain["id"]},
            field="domainId")
    refused(app, client, alice, {"destinationUrl": DEST, "domain": domain["name"]},
            field="domain")
    refused(app, client, alice, {"destinationUrl": DEST, "domain": "unknown.example"},
            field="domain")


def test_campaign_or_folder_rules_cannot_be_attached(app, client, alice):
    campaign = make_campaign(app, alice)
    owned = make_rule(app, alice, campaign_id=campaign)
    refused(app, client, alice, {"destinationUrl": DEST, "ruleIds": [owned]}, field="ruleIds")


# --- isolation, scopes and roles --------------------------------------------------------------

def test_another_workspaces_references_answer_404(app, client, alice, charlie):
    tag = client.post("/api/tags", json={"name": "Alice tag"}, headers=alice.headers)
    folder = client.post("/api/folders", json={"name": "Alice folder"}, headers=alice.headers)
    template = client.post("/api/utm-templates", json={"name": "T"}, headers=alice.headers)
    foreign = {
        "tags": [tag.get_json()["data"]["id"]],
        "folderId": folder.get_json()["data"]["id"],
        "utmTemplateId": template.get_json()["data"]["id"],
        "campaignId": make_campaign(app, alice),
        "ruleIds": [make_rule(app, alice)],
        "domainId": make_domain(app, alice)["id"],
    }
    for field, value in foreign.items():
        refused(app, client, charlie, {"destinationUrl": DEST, field: value}, 404, "NOT_FOUND")
    for field, value in (("campaignId", "camp_0000000000000000"), ("folderId", "nope"),
                         ("tags", ["tag_0000000000000000"]), ("ruleIds", ["rule_x"])):
        refused(app, client, alice, {"destinationUrl": DEST, field: value}, 404, "NOT_FOUND")


def test_key_without_create_scope_gets_403(app, client, alice):
    headers = api_key(app, alice, ["links:read"])
    refused(app, client, alice, {"destinationUrl": DEST}, 403, "FORBIDDEN", headers=headers)
    assert client.get("/api/links", headers=headers).status_code == 200


def test_viewer_cannot_create(app, client, alice):
    headers = viewer_headers(app, alice)
    refused(app, client, alice, {"destinationUrl": DEST}, 403, "FORBIDDEN", headers=headers)
    assert client.get("/api/links", headers=headers).status_code == 200


def test_editor_can_create(client, bob):
    assert create(client, bob)["id"]


def test_anonymous_gets_401(app, client):
    before = db_snapshot(app)
    r = client.post("/api/links", json={"destinationUrl": DEST})
    assert error_of(r) == (401, "UNAUTHORIZED")
    assert db_snapshot(app) == before

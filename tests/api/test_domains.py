"""/api/domains: add, list, read, update, verify (DNS and HTTP, both probes replaced or pointed
at the test's own server), delete; name rules, conflicts, isolation, scopes and roles."""

from __future__ import annotations

import functools

import pytest

from linkhub import clock
from linkhub.models import Domain
from linkhub.redirect import cache
from linkhub.services import domain_verification
from tests.api.test_campaigns import assert_refused, make_link, scoped_headers, viewer_headers

REAL_HTTP_CHECK = domain_verification.http_check


@pytest.fixture
def settings_overrides():
    return {"BASE_URL": "https://lnk.example.org"}


def add(client, persona, name="go.example.com", **body) -> dict:
    response = client.post("/api/domains", json={"name": name, **body},
                           headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


@pytest.fixture
def no_network(monkeypatch):
    """Both probes fail without touching the network unless a test replaces them again."""

    def no_dns(name):
        return []

    def no_http(domain, token, **kw):
        raise domain_verification.CheckFailed(f"GET http://{domain}/... failed: refused")

    monkeypatch.setattr(domain_verification, "resolve_txt", no_dns)
    monkeypatch.setattr(domain_verification, "http_check", no_http)


# --- create and read ----------------------------------------------------------------------------

def test_add_domain(client, alice):
    data = add(client, alice, "Go.Example.COM.")
    assert data["id"].startswith("dom_") and data["name"] == "go.example.com"
    assert data["verified"] is False and data["verifiedAt"] is None
    assert data["caseSensitive"] is True and data["linkCount"] == 0
    token = data["verificationToken"]
    assert len(token) >= 24
    assert data["verification"] == {
        "dns": {"type": "TXT", "name": "_linkhub.go.example.com",
                "value": f"linkhub-verification={token}"},
        "http": {"url": f"http://go.example.com/.well-known/linkhub-verification/{token}",
                 "content": token},
    }
    got = client.get(f"/api/domains/{data['id']}", headers=alice.headers).get_json()["data"]
    assert got == data


def test_unicode_name_is_idna_encoded(client, alice):
    assert add(client, alice, "Bücher.Example")["name"] == "xn--bcher-kva.example"


def test_add_with_all_fields(client, alice):
    aasa = {"applinks": {"apps": [], "details": [{"appID": "T.com.example", "paths": ["*"]}]}}
    links = [{"relation": ["delegate_permission/common.handle_all_urls"],
              "target": {"namespace": "android_app", "package_name": "com.example"}}]
    data = add(client, alice, notFoundUrl="https://example.com/404",
               expiredUrl="https://example.com/expired", rootUrl="https://example.com/",
               caseSensitive=False, appleAppSiteAssociation=aasa, assetLinks=links)
    assert data["notFoundUrl"] == "https://example.com/404"
    assert data["expiredUrl"] == "https://example.com/expired"
    assert data["rootUrl"] == "https://example.com/" and data["caseSensitive"] is False
    assert data["appleAppSiteAssociation"] == aasa and data["assetLinks"] == links


@pytest.mark.parametrize("name", [
    "", None, 42, "192.168.1.10", "::1", "[::1]", "10.0.0.1.", "lnk.example.org",
    "LNK.example.org", "localhost", "example", "bad_label.example.com", "-bad.example.com",
    "bad-.example.com", "https://go.example.com", "go.example.com/path",
    "go.example.com:8080", "user@go.example.com", "a" * 64 + ".example.com",
    "exa mple.com", "go..example.com", "foo.123", ("a" * 60 + ".") * 5 + "com",
])
def test_bad_names(client, app, alice, name):
    error = assert_refused(client, app, "POST", "/api/domains", alice.headers, 400,
                           "VALIDATION_ERROR", json={"name": name})
    assert error["details"][0]["field"] == "name"


def test_duplicate_names_conflict_across_the_install(client, app, alice, charlie):
    add(client, alice, "go.example.com")
    for persona, name in ((alice, "go.example.com"), (alice, "GO.EXAMPLE.COM."),
                          (charlie, "go.example.com")):
        assert_refused(client, app, "POST", "/api/domains", persona.headers, 409, "CONFLICT",
                       json={"name": name})


@pytest.mark.parametrize("body, field", [
    ({"notFoundUrl": "ftp://example.com/"}, "notFoundUrl"),
    ({"expiredUrl": "not a url"}, "expiredUrl"),
    ({"rootUrl": "https://go.example.com/home"}, "rootUrl"),
    ({"rootUrl": 5}, "rootUrl"),
    ({"caseSensitive": "yes"}, "caseSensitive"),
    ({"appleAppSiteAssociation": [1, 2]}, "appleAppSiteAssociation"),
    ({"appleAppSiteAssociation": "{}"}, "appleAppSiteAssociation"),
    ({"appleAppSiteAssociation": {"x": "y" * 70_000}}, "appleAppSiteAssociation"),
    ({"assetLinks": {"not": "a list"}}, "assetLinks"),
    ({"assetLinks": ["z" * 70_000]}, "assetLinks"),
])
def test_bad_fields(client, app, alice, body, field):
    error = assert_refused(client, app, "POST", "/api/domains", alice.headers, 400,
                           "VALIDATION_ERROR", json={"name": "go.example.com", **body})
    assert field in {d["field"] for d in error["details"]}
    created = add(client, alice, "go.example.com")
    error = assert_refused(client, app, "PATCH", f"/api/domains/{created['id']}",
                           alice.headers, 400, "VALIDATION_ERROR", json=body)
    assert field in {d["field"] for d in error["details"]}


# --- list ---------------------------------------------------------------------------------------

def test_list(client, alice, charlie):
    add(client, alice, "b.example.com")
    second = add(client, alice, "a.example.com")
    add(client, charlie, "c.example.com")
    Domain.update(verified=True).where(Domain.public_id == second["id"]).execute()

    def names(query=""):
        response = client.get(f"/api/domains{query}", headers=alice.headers)
        assert response.status_code == 200, response.get_json()
        return [d["name"] for d in response.get_json()["data"]]

    assert names() == ["a.example.com", "b.example.com"]
    assert names("?sortBy=name&sortOrder=asc") == ["a.example.com", "b.example.com"]
    assert names("?verified=true") == ["a.example.com"]
    assert names("?verified=false") == ["b.example.com"]
    assert names("?search=B.EX") == ["b.example.com"]
    assert client.get("/api/domains?verified=perhaps",
                      headers=alice.headers).status_code == 400


# --- update -------------------------------------------------------------------------------------

def test_update_fields_and_clear(client, alice):
    data = add(client, alice, rootUrl="https://example.com/", assetLinks=[])
    response = client.patch(f"/api/domains/{data['id']}", headers=alice.headers, json={
        "rootUrl": None, "notFoundUrl": "https://example.com/missing", "assetLinks": None,
        "caseSensitive": False, "name": "GO.example.com"})
    assert response.status_code == 200, response.get_json()
    got = response.get_json()["data"]
    assert got["rootUrl"] is None and got["assetLinks"] is None
    assert got["notFoundUrl"] == "https://example.com/missing"
    assert got["caseSensitive"] is False


def test_name_cannot_change(client, app, alice):
    data = add(client, alice)
    assert_refused(client, app, "PATCH", f"/api/domains/{data['id']}", alice.headers, 400,
                   "VALIDATION_ERROR", json={"name": "other.example.com"})


def test_case_sensitivity_is_locked_while_links_exist(client, app, alice):
    data = add(client, alice)
    domain = Domain.get(Domain.public_id == data["id"])
    make_link(alice, domain=domain)
    url = f"/api/domains/{data['id']}"
    assert_refused(client, app, "PATCH", url, alice.headers, 409, "CONFLICT",
                   json={"caseSensitive": False})
    # the same value is no change, and other fields still update
    response = client.patch(url, headers=alice.headers,
                            json={"caseSensitive": True, "rootUrl": "https://example.com/"})
    assert response.status_code == 200
    assert response.get_json()["data"]["linkCount"] == 1


def test_writes_clear_the_redirect_cache(client, app, alice):
    store = cache.for_app(app)

    def cached() -> int:
        store.put_domain("x.example.com", object(), store.generation)
        return store.stats()["domains"]

    assert cached() == 1
    data = add(client, alice)
    assert store.stats()["domains"] == 0
    assert cached() == 1
    client.patch(f"/api/domains/{data['id']}", headers=alice.headers,
                 json={"rootUrl": "https://example.com/"})
    assert store.stats()["domains"] == 0
    assert cached() == 1
    client.delete(f"/api/domains/{data['id']}", headers=alice.headers)
    assert store.stats()["domains"] == 0


# --- verify -------------------------------------------------------------------------------------

def test_verify_by_dns(client, alice, no_network, monkeypatch):
    data = add(client, alice)
    token = data["verificationToken"]
    asked = []

    def fake_txt(name):
        asked.append(name)
        return ["v=spf1 -all", f"linkhub-verification={token}"]

    monkeypatch.setattr(domain_verification, "resolve_txt", fake_txt)
    response = client.post(f"/api/domains/{data['id']}/verify", headers=alice.headers)
    assert response.status_code == 200, response.get_json()
    got = response.get_json()["data"]
    assert asked == ["_linkhub.go.example.com"]
    assert got["verified"] is True and got["verifiedAt"] and got["lastCheckedAt"]
    assert got["lastCheckError"] is None


def test_verify_failure_is_recorded(client, alice, no_network):
    data = add(client, alice)
    response = client.post(f"/api/domains/{data['id']}/verify", headers=alice.headers)
    assert response.status_code == 200
    got = response.get_json()["data"]
    assert got["verified"] is False and got["verifiedAt"] is None
    assert "no TXT record at _linkhub.go.example.com" in got["lastCheckError"]
    assert "refused" in got["lastCheckError"] and got["lastCheckedAt"]


def test_a_verified_domain_stays_verified_when_a_recheck_fails(client, alice, no_network):
    data = add(client, alice)
    Domain.update(verified=True).where(Domain.public_id == data["id"]).execute()
    got = client.post(f"/api/domains/{data['id']}/verify",
                      headers=alice.headers).get_json()["data"]
    assert got["verified"] is True and got["lastCheckError"]


def test_verify_by_http_against_the_live_server(client, alice, no_network, live_server,
                                                monkeypatch):
    data = add(client, alice)
    port = live_server.effective_port
    monkeypatch.setattr(domain_verification, "http_check",
                        functools.partial(REAL_HTTP_CHECK,
                                          connect_address=("127.0.0.1", port)))
    response = client.post(f"/api/domains/{data['id']}/verify", headers=alice.headers)
    got = response.get_json()["data"]
    assert got["verified"] is True, got["lastCheckError"]


def test_verify_is_rate_limited(client, alice, no_network):
    data = add(client, alice)
    url = f"/api/domains/{data['id']}/verify"
    statuses = [client.post(url, headers=alice.headers).status_code for _ in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429


# --- delete -------------------------------------------------------------------------------------

def test_delete(client, app, alice):
    data = add(client, alice)
    domain = Domain.get(Domain.public_id == data["id"])
    link = make_link(alice, domain=domain)
    error = assert_refused(client, app, "DELETE", f"/api/domains/{data['id']}",
                           alice.headers, 409, "CONFLICT")
    assert error["linkCount"] == 1
    link.deleted_at = clock.now()
    link.save()
    response = client.delete(f"/api/domains/{data['id']}", headers=alice.headers)
    assert response.status_code == 200
    assert response.get_json()["data"] == {"id": data["id"], "deleted": True}
    assert client.get(f"/api/domains/{data['id']}", headers=alice.headers).status_code == 404
    add(client, alice)  # the name is free again


# --- isolation, scopes, roles -------------------------------------------------------------------

def test_other_workspace_is_not_found(client, app, alice, charlie, no_network):
    data = add(client, alice)
    url = f"/api/domains/{data['id']}"
    assert_refused(client, app, "GET", url, charlie.headers, 404, "NOT_FOUND")
    assert_refused(client, app, "PATCH", url, charlie.headers, 404, "NOT_FOUND",
                   json={"rootUrl": "https://example.com/"})
    assert_refused(client, app, "POST", url + "/verify", charlie.headers, 404, "NOT_FOUND")
    assert_refused(client, app, "DELETE", url, charlie.headers, 404, "NOT_FOUND")
    assert client.get("/api/domains", headers=charlie.headers).get_json()["data"] == []
    assert_refused(client, app, "GET", "/api/domains/dom_bad", alice.headers, 404,
                   "NOT_FOUND")


def test_scopes_and_roles(client, app, alice, no_network):
    data = add(client, alice)
    url = f"/api/domains/{data['id']}"
    read_only = scoped_headers(app, alice, ["domains:read"])
    assert client.get(url, headers=read_only).status_code == 200
    assert_refused(client, app, "POST", "/api/domains", read_only, 403, "FORBIDDEN",
                   json={"name": "x.example.com"})
    assert_refused(client, app, "POST", url + "/verify", read_only, 403, "FORBIDDEN")
    other = scoped_headers(app, alice, ["campaigns:write"])
    assert_refused(client, app, "GET", "/api/domains", other, 403, "FORBIDDEN")
    viewer = viewer_headers(app, alice)
    assert client.get("/api/domains", headers=viewer).status_code == 200
    assert_refused(client, app, "DELETE", url, viewer, 403, "FORBIDDEN")
    assert_refused(client, app, "PATCH", url, viewer, 403, "FORBIDDEN",
                   json={"rootUrl": None})

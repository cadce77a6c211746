"""Provider imports against a local server speaking Bitly's, Rebrandly's and Short.io's API
shapes: every page read (search_after, last, nextPageToken), each provider's auth header, the
token check at start (wrong token: 400 INVALID_PROVIDER_TOKEN, nothing written), a token
revoked mid-way (the job fails clearly), the token encrypted at rest and gone at the end,
re-runs, private addresses, options, and Bitly's OAuth flow."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from linkhub.models import ImportJob, Notification
from tests.api.imports_support import job_of, live_links, run_imports, tags_of
from tests.api.links_support import in_app, make_domain
from tests.api.provider_fakes import GOOD, FakeProviders
from tests.conftest import db_snapshot, session


@pytest.fixture
def fake():
    server = FakeProviders()
    yield server
    server.stop()


@pytest.fixture
def settings_overrides(fake):
    return {"IMPORT_BITLY_URL": fake.url + "/bitly", "IMPORT_REBRANDLY_URL": fake.url +
            "/rebrandly", "IMPORT_SHORTIO_URL": fake.url + "/shortio",
            "IMPORT_ALLOW_PRIVATE": True}


def start(client, persona, provider: str, token: str = GOOD, **options):
    return client.post(f"/api/links/import/{provider}/start", headers=persona.headers,
                       json={"accessToken": token, **options})


def started(client, app, persona, provider: str, **options) -> dict:
    response = start(client, persona, provider, **options)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()["data"]
    assert job["status"] == "pending" and job["source"] == provider
    assert run_imports(app)["completed"] == 1
    return job_of(client, persona, job["id"])


def test_the_providers_are_listed(client, alice):
    response = client.get("/api/links/import/providers", headers=alice.headers)
    providers = {p["id"]: p for p in response.get_json()["data"]["providers"]}
    assert list(providers) == ["csv", "json", "bitly", "rebrandly", "shortio"]
    assert providers["bitly"]["kind"] == "api" and providers["bitly"]["oauth"] is False
    assert providers["csv"]["kind"] == "file" and "groupGuid" in providers["bitly"]["options"]


def test_bitly_reads_every_group_and_page(client, app, alice, fake):
    job = started(client, app, alice, "bitly")
    assert (job["status"], job["created"], job["failed"]) == ("completed", 255, 0)
    assert job["progress"] == 100 and job["total"] is None
    links = live_links(app, alice)
    link = links["Ga1x0"]
    assert link.destination_url == "https://example.com/bitly/Ga1/0"
    assert link.title == "Bitly 0" and link.external_id == "bit.ly/Ga1x0"
    assert tags_of(app, link) == ["bitly", "g-Ga1"] and "Gb2x4" in links
    pages = fake.seen("/bitly/v4/groups/")
    assert len(pages) == 4  # 100 + 100 + 50 of the first group, 5 of the second
    assert "search_after=100" in pages[1] and "search_after=200" in pages[2]
    assert all(h["authorization"] == f"Bearer {GOOD}" for _, p, h in fake.requests)


def test_rebrandly_pages_with_last(client, app, alice, fake):
    job = started(client, app, alice, "rebrandly")
    assert job["created"] == 60
    pages = fake.seen("/rebrandly/v1/links")
    assert len(pages) == 3 and "last=rbid0024" in pages[1] and "last=rbid0049" in pages[2]
    assert all(h["apikey"] == GOOD for _, p, h in fake.requests)
    link = live_links(app, alice)["rb7"]
    assert link.destination_url == "https://example.com/rebrandly/7"
    assert link.external_id == "rbid0007"


def test_shortio_reads_every_domain_with_page_tokens(client, app, alice, fake):
    job = started(client, app, alice, "shortio")
    assert job["created"] == 163
    pages = fake.seen("/shortio/api/links")
    assert len(pages) == 3 and "pageToken=150" in pages[1] and "domain_id=12" in pages[2]
    assert all(h["authorization"] == GOOD for _, p, h in fake.requests)
    assert tags_of(app, live_links(app, alice)["sh11-0"]) == ["shortio"]


def test_options_pick_a_group_or_domain(client, app, alice, fake):
    job = started(client, app, alice, "bitly", groupGuid="Gb2")
    assert job["created"] == 5 and job["options"] == {"groupGuid": "Gb2"}
    assert fake.seen("/bitly/v4/groups") == [p for p in fake.seen("/bitly/v4/groups/Gb2")]
    domain = make_domain(app, alice, "go.example.net")
    job = started(client, app, alice, "shortio", domainId=12, domain="go.example.net")
    assert job["created"] == 3
    link = live_links(app, alice)["sh12-0"]
    assert link.domain_id == domain["pk"]
    response = start(client, alice, "shortio", domain="unknown.example.org")
    assert response.status_code == 400
    assert response.get_json()["error"]["details"][0]["field"] == "domain"


@pytest.mark.parametrize("provider", ["bitly", "rebrandly", "shortio"])
def test_a_wrong_token_is_refused_at_start(client, app, alice, provider):
    before = db_snapshot(app)
    response = start(client, alice, provider, token="wrong-token")
    body = response.get_json()
    assert response.status_code == 400 and body["error"]["code"] == "INVALID_PROVIDER_TOKEN"
    assert "rejected the access token" in body["error"]["message"]
    assert db_snapshot(app) == before
    response = start(client, alice, provider, token="  ")
    assert response.status_code == 400
    assert response.get_json()["error"]["details"][0]["field"] == "accessToken"


def test_a_token_revoked_mid_way_fails_the_job_clearly(client, app, alice, fake):
    response = start(client, alice, "bitly")
    job_id = response.get_json()["data"]["id"]
    fake.revoke_after = 2
    assert run_imports(app)["failed"] == 1
    job = job_of(client, alice, job_id)
    assert job["status"] == "failed" and job["created"] == 200
    assert "Bitly rejected the access token (HTTP 403)" in job["error"]
    with in_app(app):
        assert ImportJob.get(ImportJob.public_id == job_id).token_encrypted is None
        note = Notification.get(Notification.kind == "import_finished")
        assert note.title == "Import failed" and "HTTP 403" in note.body


def test_the_token_is_encrypted_at_rest_and_dropped_at_the_end(client, app, alice):
    response = start(client, alice, "rebrandly")
    job_id = response.get_json()["data"]["id"]
    with in_app(app):
        sealed = ImportJob.get(ImportJob.public_id == job_id).token_encrypted
    assert sealed and GOOD not in sealed
    assert GOOD not in str(response.get_json())
    run_imports(app)
    with in_app(app):
        assert ImportJob.get(ImportJob.public_id == job_id).token_encrypted is None


def test_a_second_import_skips_every_link(client, app, alice):
    started(client, app, alice, "rebrandly")
    again = started(client, app, alice, "rebrandly")
    assert (again["created"], again["skipped"], again["failed"]) == (0, 60, 0)


def test_private_provider_addresses_are_refused_unless_allowed(client, app, alice):
    app.config["LINKHUB"]["IMPORT_ALLOW_PRIVATE"] = False
    before = db_snapshot(app)
    response = start(client, alice, "bitly")
    assert response.status_code == 503
    assert response.get_json()["error"]["message"].startswith("Could not reach Bitly")
    assert db_snapshot(app) == before


def test_unknown_provider_and_oauth_availability(client, app, alice):
    assert start(client, alice, "tinyurl").status_code == 404
    response = client.get("/api/links/import/rebrandly/auth", headers=alice.headers)
    assert response.status_code == 400 and "API key" in response.get_json()["error"]["message"]
    response = client.get("/api/links/import/bitly/auth", headers=alice.headers)
    assert response.status_code == 400
    assert "IMPORT_BITLY_CLIENT_ID" in response.get_json()["error"]["message"]


def test_bitly_oauth_flow_starts_the_import(client, app, alice, charlie, fake):
    app.config["LINKHUB"].update(IMPORT_BITLY_CLIENT_ID="cid", IMPORT_BITLY_CLIENT_SECRET="shh")
    response = client.get("/api/links/import/bitly/auth?groupGuid=Gb2", headers=alice.headers)
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    authorize = urlsplit(data["authorizeUrl"])
    assert authorize.netloc == "bitly.com" and authorize.path == "/oauth/authorize"
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert params["client_id"] == "cid" and params["state"] == data["state"]
    assert params["redirect_uri"].endswith("/api/links/import/bitly/callback")
    callback = "/api/links/import/bitly/callback"
    for query, status in ((f"?code=bad-code&state={data['state']}", 400),
                          ("?code=good-code&state=forged", 400),
                          (f"?error=access_denied&state={data['state']}", 400)):
        assert client.get(callback + query, headers=alice.headers).status_code == status
    response = client.get(f"{callback}?code=good-code&state={data['state']}",
                          headers=charlie.headers)  # someone else's state
    assert response.status_code == 404
    response = client.get(f"{callback}?code=good-code&state={data['state']}",
                          headers=alice.headers)
    assert response.status_code == 202, response.get_json()
    job = response.get_json()["data"]
    assert job["source"] == "bitly" and job["options"] == {"groupGuid": "Gb2"}
    run_imports(app)
    assert job_of(client, alice, job["id"])["created"] == 5


def test_bitly_oauth_from_a_session_returns_to_the_dashboard(client, app, alice):
    app.config["LINKHUB"].update(IMPORT_BITLY_CLIENT_ID="cid", IMPORT_BITLY_CLIENT_SECRET="shh")
    from linkhub.services import import_providers

    with in_app(app):
        from tests.api.links_support import workspace_of

        state = import_providers.oauth_start(workspace_of(alice), alice.user, "bitly",
                                             dashboard=True)["state"]
    browser = session(app, alice.email)
    response = browser.get(f"/api/links/import/bitly/callback?code=good-code&state={state}")
    assert response.status_code == 302
    assert "/app/imports/imp_" in response.headers["Location"]

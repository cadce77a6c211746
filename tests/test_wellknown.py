"""/.well-known files per Host: the verification file for any registered domain with that
token; the Apple and Android app-link files for verified domains only."""

from __future__ import annotations

import pytest

from linkhub.models import Domain
from linkhub.services import domains

AASA = {"applinks": {"details": [{"appIDs": ["TEAM.com.example.app"], "components": [
    {"/": "/app/*"}]}]}}
ASSET_LINKS = [{"relation": ["delegate_permission/common.handle_all_urls"],
                "target": {"namespace": "android_app", "package_name": "com.example.app",
                           "sha256_cert_fingerprints": ["AA:BB"]}}]


@pytest.fixture
def settings_overrides():
    return {"BASE_URL": "https://lnk.example.org"}


@pytest.fixture
def domain(app, alice):
    with app.test_request_context():
        return domains.create_domain(alice.workspace, alice.user, {
            "name": "go.example.com", "appleAppSiteAssociation": AASA,
            "assetLinks": ASSET_LINKS})


def verify(domain) -> None:
    Domain.update(verified=True).where(Domain.id == domain.id).execute()


def test_verification_file(client, domain):
    token = domain.verification_token
    url = f"/.well-known/linkhub-verification/{token}"
    for host in ("go.example.com", "GO.example.com:8080"):
        response = client.get(url, headers={"Host": host})
        assert response.status_code == 200, host
        assert response.mimetype == "text/plain"
        assert response.get_data(as_text=True) == token
        assert response.headers["Cache-Control"] == "no-store"
    verify(domain)
    assert client.get(url, headers={"Host": "go.example.com"}).status_code == 200


@pytest.mark.parametrize("host, token", [
    ("go.example.com", "wrong"), ("other.example.com", None), ("lnk.example.org", None),
    ("127.0.0.1", None)])
def test_verification_file_not_found(client, domain, host, token):
    token = token or domain.verification_token
    response = client.get(f"/.well-known/linkhub-verification/{token}", headers={"Host": host})
    assert response.status_code == 404
    assert token != domain.verification_token or host != "go.example.com"


@pytest.mark.parametrize("path, content", [
    ("/.well-known/apple-app-site-association", AASA),
    ("/.well-known/assetlinks.json", ASSET_LINKS)])
def test_app_files_only_for_verified_domains(client, domain, path, content):
    headers = {"Host": "go.example.com"}
    assert client.get(path, headers=headers).status_code == 404  # unverified
    verify(domain)
    response = client.get(path, headers=headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == content
    assert client.get(path, headers={"Host": "lnk.example.org"}).status_code == 404
    assert client.get(path, headers={"Host": "other.example.com"}).status_code == 404


def test_app_files_missing_on_a_verified_domain(client, app, alice):
    with app.test_request_context():
        bare = domains.create_domain(alice.workspace, alice.user, {"name": "bare.example.com"})
    verify(bare)
    for path in ("/.well-known/apple-app-site-association", "/.well-known/assetlinks.json"):
        assert client.get(path, headers={"Host": "bare.example.com"}).status_code == 404

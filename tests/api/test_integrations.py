"""/api/integrations: install each provider, list (filters, pages), read, update (config and
secrets merge, status changes), delete, the event log listing; secrets encrypted at rest (the
raw column is a Fernet token, never the plaintext) and masked in every answer; bad input (400
with details, database unchanged), isolation (404), roles and scopes, and the audit log."""

from __future__ import annotations

import secrets

import pytest

from linkhub.models import AuditLog, Integration
from linkhub.services import integrations
from linkhub.services.accounts import create_user
from linkhub.services.api_keys import create_api_key
from linkhub.services.workspaces import add_member
from tests.api.inbound_support import CONFIG, SECRETS, URL, install
from tests.conftest import PASSWORD, db_snapshot


def refused(client, app, method, url, headers, status, code, **kw) -> dict:
    before = db_snapshot(app)
    response = client.open(url, method=method, headers=headers, **kw)
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == code, body
    assert db_snapshot(app) == before
    return body["error"]


def details(error: dict) -> dict[str, str]:
    return {d["field"]: d["message"] for d in error.get("details", [])}


def raw_secrets(app, public_id: str) -> str:
    database = app.extensions["linkhub.db"]
    return database.execute_sql('SELECT "secrets" FROM "integration" WHERE "public_id" = ?',
                                (public_id,)).fetchone()[0]


def member_headers(app, owner, role: str, scopes=("*",)) -> dict[str, str]:
    with app.test_request_context():
        user = create_user(f"{role}-{secrets.token_hex(3)}@example.com", PASSWORD, role)
        add_member(owner.workspace, user, role)
        _, raw = create_api_key(owner.workspace, user, f"{role} key", list(scopes))
    return {"X-API-Key": raw}


# --- install and read ---------------------------------------------------------------------------

@pytest.mark.parametrize("provider", ["stripe", "shopify", "hubspot", "slack", "zapier"])
def test_each_provider_installs_with_masked_secrets(app, client, alice, provider):
    data = install(client, alice, provider)
    assert data["id"].startswith("int_") and data["provider"] == provider
    assert data["status"] == "active" and data["lastEventAt"] is None
    assert data["name"] == integrations.settings.PROVIDERS[provider].label
    for name, value in SECRETS[provider].items():
        assert data["secrets"][name] == "••••" + value[-4:]
        assert value not in str(data)
    assert set(data["secrets"]) == set(SECRETS[provider])
    assert data["createdAt"].endswith("Z") and data["receiverUrls"]
    for key, value in CONFIG.get(provider, {}).items():
        assert data["config"][key] == value
    again = client.get(f"{URL}/{data['id']}", headers=alice.headers).get_json()["data"]
    assert again == data


def test_secrets_are_encrypted_at_rest(app, client, alice):
    data = install(client, alice, "stripe")
    stored = raw_secrets(app, data["id"])
    plaintext = SECRETS["stripe"]["endpointSecret"]
    assert stored and plaintext not in stored and "endpointSecret" not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token
    with app.test_request_context():
        row = Integration.get(Integration.public_id == data["id"])
        assert integrations.secrets_of(row) == SECRETS["stripe"]


def test_receiver_urls_name_the_installation(client, alice):
    stripe = install(client, alice, "stripe")
    assert stripe["receiverUrls"]["webhook"].endswith(
        f"/api/integrations/webhooks/stripe?installationId={stripe['id']}")
    slack = install(client, alice, "slack")
    assert set(slack["receiverUrls"]) == {"events", "commands", "notify"}
    assert slack["receiverUrls"]["notify"].endswith(f"/slack/notify/{slack['id']}")
    hubspot = install(client, alice, "hubspot")
    assert hubspot["receiverUrls"]["webhook"].endswith(f"/hubspot/{hubspot['id']}")


def test_defaults_fill_the_config(client, alice):
    data = install(client, alice, "hubspot", name="CRM")
    assert data["name"] == "CRM"
    assert data["config"] == {"appId": "54321", "leadEvent": "lead", "saleEvent": "purchase",
                              "recordUnattributed": False, "closedWonStage": "closedwon",
                              "currency": "USD", "clickProperty": "lw_cid"}


def test_list_filters_and_pages(client, alice, charlie):
    install(client, alice, "stripe")
    install(client, alice, "slack", status="paused")
    install(client, alice, "shopify")
    install(client, charlie, "stripe")
    body = client.get(URL, headers=alice.headers).get_json()
    assert body["pagination"]["total"] == 3
    assert [i["provider"] for i in body["data"]] == ["shopify", "slack", "stripe"]
    only = client.get(f"{URL}?provider=stripe", headers=alice.headers).get_json()["data"]
    assert [i["provider"] for i in only] == ["stripe"]
    paused = client.get(f"{URL}?status=paused", headers=alice.headers).get_json()["data"]
    assert [i["provider"] for i in paused] == ["slack"]
    page = client.get(f"{URL}?limit=2&page=2", headers=alice.headers).get_json()
    assert len(page["data"]) == 1 and page["pagination"]["hasMore"] is False
    for query, field in (("provider=paypal", "provider"), ("status=sleepy", "status")):
        response = client.get(f"{URL}?{query}", headers=alice.headers)
        assert response.status_code == 400
        assert field in details(response.get_json()["error"])


# --- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    ({}, "provider"),
    ({"provider": "paypal"}, "provider"),
    ({"provider": "stripe"}, "secrets.endpointSecret"),
    ({"provider": "stripe", "secrets": {"endpointSecret": "not-a-whsec-secret"}},
     "secrets.endpointSecret"),
    ({"provider": "stripe", "secrets": {"endpointSecret": "whsec_x"}}, "secrets.endpointSecret"),
    ({"provider": "stripe", "secrets": {**SECRETS["stripe"], "apiKey": "sk_live_123456789"}},
     "secrets.apiKey"),
    ({"provider": "stripe", "secrets": SECRETS["stripe"], "config": {"colour": "red"}},
     "config.colour"),
    ({"provider": "stripe", "secrets": SECRETS["stripe"], "config": {"saleEvent": "Bad Name"}},
     "config.saleEvent"),
    ({"provider": "stripe", "secrets": SECRETS["stripe"],
      "config": {"recordUnattributed": "yes"}}, "config.recordUnattributed"),
    ({"provider": "shopify", "secrets": SECRETS["shopify"]}, "config.shopDomain"),
    ({"provider": "shopify", "secrets": SECRETS["shopify"],
      "config": {"shopDomain": "not a host"}}, "config.shopDomain"),
    ({"provider": "hubspot", "secrets": SECRETS["hubspot"], "config": {"appId": "abc"}},
     "config.appId"),
    ({"provider": "hubspot", "secrets": SECRETS["hubspot"], "config": {"currency": "XXZ"}},
     "config.currency"),
    ({"provider": "slack", "secrets": SECRETS["slack"], "status": "error"}, "status"),
    ({"provider": "slack", "secrets": SECRETS["slack"], "name": "x" * 201}, "name"),
])
def test_bad_input_is_400_and_writes_nothing(app, client, alice, body, field):
    error = refused(client, app, "POST", URL, alice.headers, 400, "VALIDATION_ERROR", json=body)
    assert field in details(error), error


def test_wrong_types_are_400(app, client, alice):
    error = refused(client, app, "POST", URL, alice.headers, 400, "VALIDATION_ERROR",
                    json={"provider": "stripe", "secrets": {"endpointSecret": 5}})
    assert "secrets.endpointSecret" in details(error)
    error = refused(client, app, "POST", URL, alice.headers, 400, "VALIDATION_ERROR",
                    json={"provider": "stripe", "config": ["x"]})
    assert "config" in details(error)


# --- update -------------------------------------------------------------------------------------

def test_patch_merges_config_and_secrets(app, client, alice):
    data = install(client, alice, "shopify")
    response = client.patch(f"{URL}/{data['id']}", headers=alice.headers, json={
        "name": "Main shop", "config": {"saleEvent": "order", "recordUnattributed": True}})
    assert response.status_code == 200, response.get_json()
    changed = response.get_json()["data"]
    assert changed["name"] == "Main shop"
    assert changed["config"]["shopDomain"] == CONFIG["shopify"]["shopDomain"]
    assert changed["config"]["saleEvent"] == "order"
    assert changed["secrets"] == data["secrets"]
    before = raw_secrets(app, data["id"])
    rotated = "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"
    response = client.patch(f"{URL}/{data['id']}", headers=alice.headers,
                            json={"secrets": {"webhookSecret": rotated},
                                  "config": {"saleEvent": None}})
    assert response.status_code == 200
    out = response.get_json()["data"]
    assert out["secrets"]["webhookSecret"] == "••••8888" and out["config"]["saleEvent"] == \
        "purchase"
    assert raw_secrets(app, data["id"]) != before and rotated not in raw_secrets(app, data["id"])
    with app.test_request_context():
        row = Integration.get(Integration.public_id == data["id"])
        assert integrations.secrets_of(row) == {"webhookSecret": rotated}
        assert row.external_ref == CONFIG["shopify"]["shopDomain"]


def test_patch_refusals_change_nothing(app, client, alice):
    data = install(client, alice, "shopify")
    url = f"{URL}/{data['id']}"
    for body, field in (({"config": {"shopDomain": None}}, "config.shopDomain"),
                        ({"secrets": {"webhookSecret": None}}, "secrets.webhookSecret"),
                        ({"status": "error"}, "status"), ({"status": "gone"}, "status")):
        error = refused(client, app, "PATCH", url, alice.headers, 400, "VALIDATION_ERROR",
                        json=body)
        assert field in details(error), (body, error)


def test_status_changes_and_resume_clears_the_error(app, client, alice):
    data = install(client, alice, "stripe")
    url = f"{URL}/{data['id']}"
    for status in ("paused", "disconnected", "active"):
        response = client.patch(url, headers=alice.headers, json={"status": status})
        assert response.get_json()["data"]["status"] == status
    with app.test_request_context():
        Integration.update(status="error", last_error="boom").where(
            Integration.public_id == data["id"]).execute()
    resumed = client.patch(url, headers=alice.headers, json={"status": "active"}).get_json()
    assert resumed["data"]["status"] == "active" and resumed["data"]["lastError"] is None


def test_delete_removes_the_installation(app, client, alice):
    data = install(client, alice, "slack")
    response = client.delete(f"{URL}/{data['id']}", headers=alice.headers)
    assert response.get_json()["data"] == {"id": data["id"], "deleted": True}
    assert client.get(f"{URL}/{data['id']}", headers=alice.headers).status_code == 404
    refused(client, app, "DELETE", f"{URL}/{data['id']}", alice.headers, 404, "NOT_FOUND")


def test_the_audit_log_records_every_write(app, client, alice):
    data = install(client, alice, "stripe")
    client.patch(f"{URL}/{data['id']}", headers=alice.headers, json={"status": "paused"})
    client.delete(f"{URL}/{data['id']}", headers=alice.headers)
    actions = [a.action for a in AuditLog.select().where(AuditLog.resource_id == data["id"])
               .order_by(AuditLog.id)]
    assert actions == ["integration.create", "integration.update", "integration.delete"]
    assert all(SECRETS["stripe"]["endpointSecret"] not in str(a.details)
               for a in AuditLog.select())


# --- isolation, roles, scopes -------------------------------------------------------------------

def test_another_workspace_sees_404(app, client, alice, charlie):
    data = install(client, alice, "stripe")
    for method in ("GET", "PATCH", "DELETE"):
        refused(client, app, method, f"{URL}/{data['id']}", charlie.headers, 404, "NOT_FOUND",
                json={"name": "x"} if method == "PATCH" else None)
    refused(client, app, "GET", f"{URL}/{data['id']}/events", charlie.headers, 404, "NOT_FOUND")
    refused(client, app, "GET", f"{URL}/int_notarealone", alice.headers, 404, "NOT_FOUND")


def test_editors_read_but_only_admins_manage(app, client, alice, bob):
    data = install(client, alice, "stripe")
    assert client.get(URL, headers=bob.headers).status_code == 200
    assert client.get(f"{URL}/{data['id']}", headers=bob.headers).status_code == 200
    refused(client, app, "POST", URL, bob.headers, 403, "FORBIDDEN",
            json={"provider": "zapier"})
    refused(client, app, "PATCH", f"{URL}/{data['id']}", bob.headers, 403, "FORBIDDEN",
            json={"status": "paused"})
    refused(client, app, "DELETE", f"{URL}/{data['id']}", bob.headers, 403, "FORBIDDEN")
    admin = member_headers(app, alice, "admin")
    assert client.post(URL, json={"provider": "zapier"}, headers=admin).status_code == 201


def test_scopes_apply(app, client, alice):
    read_only = member_headers(app, alice, "admin", scopes=("integrations:read",))
    assert client.get(URL, headers=read_only).status_code == 200
    refused(client, app, "POST", URL, read_only, 403, "FORBIDDEN", json={"provider": "zapier"})
    links_only = member_headers(app, alice, "admin", scopes=("links:read",))
    refused(client, app, "GET", URL, links_only, 403, "FORBIDDEN")


def test_the_event_log_starts_empty(client, alice):
    data = install(client, alice, "stripe")
    body = client.get(f"{URL}/{data['id']}/events", headers=alice.headers).get_json()
    assert body["data"] == [] and body["pagination"]["total"] == 0

"""GET /api/analytics/audit-log (needs workspace:update; filters action, actorId, resourceType,
start/end, limit; another workspace's entries never show), and a walk over the write routes of
links, campaigns, rules, domains, tags, folders, UTM templates, workspaces, members,
invitations and API keys asserting that each write left an entry with actor, action, resource
and time, read back through the audit-log route itself."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from linkhub import clock
from linkhub.models import AuditLog
from linkhub.services import domain_verification
from tests.conftest import session

LOG = "/api/analytics/audit-log"
START = datetime(2030, 6, 1, 9, 0)  # after the personas' own entries (real time)


class Auditor:
    """Reads the audit log after each write and checks the entries the write added."""

    def __init__(self, client, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers
        self.seen = self.total()

    def total(self) -> int:
        response = self.client.get(LOG, query_string={"limit": "1"}, headers=self.headers)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["pagination"]["total"]

    def expect(self, response, status: int, action: str, resource_type: str,
               resource_id: str | None, actor_id: str, via: str) -> dict:
        assert response.status_code == status, response.get_json()
        total = self.total()
        assert total > self.seen, f"{action}: the write left no audit entry"
        fresh = self.client.get(LOG, query_string={"limit": str(total - self.seen)},
                                headers=self.headers).get_json()["data"]
        self.seen = total
        found = [e for e in fresh if e["action"] == action]
        assert found, f"{action} not among {[e['action'] for e in fresh]}"
        entry = found[0]
        assert (entry["resourceType"], entry["actor"]["id"], entry["actor"]["type"],
                entry["createdAt"]) == (resource_type, actor_id, via, clock.iso(clock.now()))
        if resource_id is not None:
            assert entry["resourceId"] == resource_id
        clock.advance(timedelta(seconds=1))
        return response.get_json()["data"] if response.get_json() else {}


@pytest.fixture
def auditor(client, alice):
    clock.freeze(START)
    return Auditor(client, alice.headers)


def test_link_campaign_and_rule_writes_are_audited(client, alice, auditor):
    h, me = alice.headers, alice.user_id

    def do(method, path, status, action, kind, rid=None, **body):
        response = client.open(path, method=method, headers=h, json=body or None)
        data = auditor.expect(response, status, action, kind, rid, me, "api_key")
        return data.get("id") if isinstance(data, dict) else None

    camp = do("POST", "/api/campaigns", 201, "campaign.create", "campaign", name="Audit")
    do("PATCH", f"/api/campaigns/{camp}", 200, "campaign.update", "campaign", camp,
       name="Audit 2")
    link = do("POST", "/api/links", 201, "link.create", "link",
              destinationUrl="https://example.com/a", shortCode="aud1", tags=["fresh"])
    do("PATCH", f"/api/links/{link}", 200, "link.update", "link", link, title="T")
    do("POST", f"/api/links/{link}/archive", 200, "link.archive", "link", link)
    do("POST", f"/api/links/{link}/unarchive", 200, "link.unarchive", "link", link)
    do("POST", f"/api/links/{link}/transfer", 200, "link.transfer", "link", link,
       campaignId=camp)
    upserted = do("PUT", "/api/links/upsert", 201, "link.create", "link",
                  externalId="ext-1", destinationUrl="https://example.com/b")
    do("PUT", "/api/links/upsert", 200, "link.update", "link", upserted, externalId="ext-1",
       destinationUrl="https://example.com/c")
    rule = do("POST", "/api/rules", 201, "rule.create", "rule", name="FR",
              destinationUrl="https://example.com/fr",
              conditions=[{"field": "country", "operator": "equals", "value": "FR"}])
    do("PUT", f"/api/rules/{rule}", 200, "rule.update", "rule", rule, name="FR 2",
       destinationUrl="https://example.com/fr",
       conditions=[{"field": "country", "operator": "equals", "value": "FR"}])
    do("PATCH", f"/api/rules/{rule}", 200, "rule.update", "rule", rule, name="FR 3")
    do("POST", f"/api/rules/{rule}/attach", 200, "rule.attach", "rule", rule, linkId=link)
    do("POST", f"/api/rules/{rule}/detach", 200, "rule.detach", "rule", rule, linkId=link)
    do("DELETE", f"/api/rules/{rule}", 200, "rule.delete", "rule", rule)
    do("DELETE", f"/api/links/{link}", 200, "link.delete", "link", link)
    do("DELETE", f"/api/campaigns/{camp}?force=true", 200, "campaign.delete", "campaign", camp)


def test_domain_tag_folder_and_utm_writes_are_audited(client, alice, auditor, monkeypatch):
    monkeypatch.setattr(domain_verification, "check", lambda domain, token: (True, None))
    h, me = alice.headers, alice.user_id

    def do(method, path, status, action, kind, rid=None, **body):
        response = client.open(path, method=method, headers=h, json=body or None)
        data = auditor.expect(response, status, action, kind, rid, me, "api_key")
        return data.get("id")

    dom = do("POST", "/api/domains", 201, "domain.create", "domain", name="go.audit.example")
    do("PATCH", f"/api/domains/{dom}", 200, "domain.update", "domain", dom,
       notFoundUrl="https://example.com/404")
    do("POST", f"/api/domains/{dom}/verify", 200, "domain.verify", "domain", dom)
    do("DELETE", f"/api/domains/{dom}", 200, "domain.delete", "domain", dom)
    for path, kind, create in (("/api/tags", "tag", {"name": "t1"}),
                               ("/api/folders", "folder", {"name": "f1"}),
                               ("/api/utm-templates", "utm_template",
                                {"name": "u1", "utmSource": "mail"})):
        rid = do("POST", path, 201, f"{kind}.create", kind, **create)
        do("PATCH", f"{path}/{rid}", 200, f"{kind}.update", kind, rid, name="renamed")
        do("DELETE", f"{path}/{rid}", 200, f"{kind}.delete", kind, rid)


def test_workspace_member_invitation_and_key_writes_are_audited(app, alice, bob, charlie):
    clock.freeze(START)
    owner = session(app, alice.email)
    ws = alice.workspace_id
    auditor = Auditor(owner, {})
    me = alice.user_id

    def do(method, path, status, action, kind, rid=None, actor=me, client=owner, **body):
        response = client.open(path, method=method, json=body or None)
        return auditor.expect(response, status, action, kind, rid, actor, "user")

    base = f"/api/workspaces/{ws}"
    do("PATCH", base, 200, "workspace.update", "workspace", ws, name="Alice Co 2")
    key = do("POST", f"{base}/api-keys", 201, "api_key.create", "api_key", name="k",
             scopes=["links:read"])["id"]
    do("PATCH", f"{base}/api-keys/{key}", 200, "api_key.disable", "api_key", key,
       enabled=False)
    do("PUT", f"{base}/api-keys/{key}", 200, "api_key.update", "api_key", key, name="k2")
    do("DELETE", f"{base}/api-keys/{key}", 200, "api_key.delete", "api_key", key)
    members = owner.get(f"{base}/members").get_json()["data"]
    bob_member = next(m["id"] for m in members if m["email"] == bob.email)
    do("PATCH", f"{base}/members/{bob_member}", 200, "member.update_role", "member",
       bob_member, role="viewer")
    invited = do("POST", f"{base}/members/invite", 201, "invitation.create", "invitation",
                 email="dave@example.com")
    do("DELETE", f"/api/workspaces/invitations/{invited['id']}", 200, "invitation.revoke",
       "invitation", invited["id"])
    invited = do("POST", f"{base}/members/invite", 201, "invitation.create", "invitation",
                 email=charlie.email)
    joined = do("POST", f"/api/workspaces/invitations/{invited['inviteUrl'].rsplit('/', 1)[1]}"
                "/accept", 200, "invitation.accept", "invitation", invited["id"],
                actor=charlie.user_id, client=session(app, charlie.email))
    do("DELETE", f"{base}/members/{joined['id']}", 200, "member.remove", "member",
       joined["id"])
    do("POST", f"{base}/transfer-ownership", 200, "workspace.transfer_ownership", "workspace",
       ws, memberId=bob_member)
    # a new workspace's own log, then its deletion (kept without the deleted workspace)
    side = owner.post("/api/workspaces", json={"name": "Side"}).get_json()["data"]["id"]
    side_log = owner.get(LOG, headers={"X-Workspace-Id": side}).get_json()["data"]
    assert [(e["action"], e["resourceId"], e["actor"]["id"]) for e in side_log] == [
        ("workspace.create", side, me)]
    assert owner.delete(f"/api/workspaces/{side}").status_code == 200
    gone = AuditLog.get(AuditLog.action == "workspace.delete", AuditLog.resource_id == side)
    assert (gone.user.public_id, gone.created_at) == (me, clock.now())


# --- the route itself ---------------------------------------------------------------------------

@pytest.fixture
def history(client, alice, bob, charlie):
    """alice makes a tag at 09:00 and a folder at 10:00 on Jun 1, bob a tag on Jun 2 at 08:00;
    charlie makes a tag in his own workspace."""
    for moment, persona, path, name in ((START, alice, "/api/tags", "a"),
                                        (START + timedelta(hours=1), alice, "/api/folders", "f"),
                                        (START + timedelta(hours=23), bob, "/api/tags", "b"),
                                        (START, charlie, "/api/tags", "c")):
        clock.freeze(moment)
        response = client.post(path, json={"name": name}, headers=persona.headers)
        assert response.status_code == 201, response.get_json()


def entries(client, persona, **params):
    response = client.get(LOG, query_string=params, headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_filters_and_isolation(client, alice, bob, charlie, history):
    every = entries(client, alice, start="2030-01-01")
    assert [(e["action"], e["actor"]["email"]) for e in every["data"]] == [
        ("tag.create", bob.email), ("folder.create", alice.email),
        ("tag.create", alice.email)]
    assert every["data"][0]["actor"]["apiKeyId"].startswith("key_")
    assert every["data"][0]["actor"]["type"] == "api_key"
    assert every["pagination"]["total"] == 3  # charlie's tag is his workspace's
    assert entries(client, charlie, start="2030-01-01")["pagination"]["total"] == 1

    def actions(**params):
        return [e["action"] for e in entries(client, alice, **params)["data"]]

    assert actions(action="tag.create", start="2030-01-01") == ["tag.create", "tag.create"]
    assert actions(action="folder.*") == ["folder.create"]
    assert actions(resourceType="folder") == ["folder.create"]
    assert actions(actorId=bob.user_id, start="2030-01-01") == ["tag.create"]
    assert actions(actorId=charlie.user_id) == []
    assert actions(start="2030-06-01T09:30:00Z") == ["tag.create", "folder.create"]
    assert actions(start="2030-01-01", end="2030-06-01") == ["folder.create", "tag.create"]
    assert actions(start="2030-06-02", end="2030-06-02") == ["tag.create"]
    page = entries(client, alice, limit="1", page="2", start="2030-01-01")
    assert page["data"][0]["action"] == "folder.create" and page["pagination"]["hasMore"]


def test_needs_workspace_update(client, bob):
    response = client.get(LOG, headers=bob.headers)  # an editor
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "FORBIDDEN"
    assert client.get(LOG).status_code == 401


@pytest.mark.parametrize("params, field", [
    ({"actorId": "bob"}, "actorId"), ({"start": "yesterday"}, "start"),
    ({"end": "2026-13-01"}, "end"), ({"start": "2030-06-02", "end": "2030-06-01"}, "start"),
    ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"action": "x" * 65}, "action")])
def test_bad_filters_are_400(client, alice, params, field):
    response = client.get(LOG, query_string=params, headers=alice.headers)
    assert response.status_code == 400
    body = response.get_json()["error"]
    assert body["code"] == "VALIDATION_ERROR" and body["details"][0]["field"] == field

"""Dashboard workspace pages: switch, create, general settings, members and invitations, API
keys and accepting an invitation, through the test client for every role, plus browser tests
(invite and join through sign-up, an API key shown once and used, the switcher)."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import timedelta
from html import unescape

import pytest

from linkhub import clock
from linkhub.models import ApiKey, Invitation, Member, User, Workspace
from linkhub.services import invitations
from linkhub.services.accounts import create_user
from linkhub.services.workspaces import add_member, create_workspace
from tests.conftest import PASSWORD, db_snapshot, login


class Browser:
    """A test client signed in through the API, posting dashboard forms with its CSRF token."""

    def __init__(self, app, email):
        self.client = app.test_client()
        self.token = login(self.client, email)

    def get(self, path):
        return self.client.get(path)

    def post(self, path, **data):
        return self.client.post(path, data={"csrf_token": self.token, **data})


@pytest.fixture
def team(ctx, alice):
    """dana (admin) and vic (viewer) join Alice Co; bob is its editor."""
    people = {}
    for name, role in (("dana", "admin"), ("vic", "viewer")):
        user = create_user(f"{name}@example.com", PASSWORD, name.title())
        add_member(alice.workspace, user, role)
        people[name] = user
    return people


def text(response):
    return unescape(response.get_data(as_text=True))


def mid(user, workspace):
    return Member.get(Member.user == user, Member.workspace == workspace).public_id


def link_in(html):
    return re.search(r'id="invite-link">([^<]+)<', html).group(1)


def path_of(url):
    return "/" + url.split("/", 3)[3]


# --- switch and create ---------------------------------------------------------------------

def test_switch_between_memberships_only(app, ctx, alice, charlie):
    second = create_workspace(alice.user, "Alice Labs")
    me = Browser(app, alice.email)
    assert "<h1>Alice Co</h1>" in text(me.get("/app/"))
    response = me.post("/app/workspaces/switch", workspace_id=second.public_id)
    assert response.status_code == 302
    assert "<h1>Alice Labs</h1>" in text(me.get("/app/"))
    assert me.post("/app/workspaces/switch", workspace_id=charlie.workspace_id).status_code \
        == 404
    assert me.post("/app/workspaces/switch", workspace_id="nope").status_code == 404
    assert "<h1>Alice Labs</h1>" in text(me.get("/app/"))


def test_switch_returns_to_the_page_it_came_from(app, ctx, alice):
    second = create_workspace(alice.user, "Alice Labs")
    me = Browser(app, alice.email)
    response = me.client.post("/app/workspaces/switch", data={
        "csrf_token": me.token, "workspace_id": second.public_id},
        headers={"Referer": "http://localhost/app/settings/members"})
    assert response.headers["Location"] == "/app/settings/members"


def test_create_workspace_page(app, alice):
    me = Browser(app, alice.email)
    assert 'name="name"' in text(me.get("/app/workspaces/new"))
    before = db_snapshot(app)
    response = me.post("/app/workspaces/new", name="  ")
    assert response.status_code == 400 and 'id="name-error"' in text(response)
    assert db_snapshot(app) == before
    response = me.post("/app/workspaces/new", name="Side Project")
    assert response.status_code == 302
    page = text(me.get("/app/"))
    assert "<h1>Side Project</h1>" in page and "You are owner" in page


def test_pages_need_a_session(client):
    for path in ("/app/settings/general", "/app/settings/members", "/app/settings/api-keys",
                 "/app/workspaces/new"):
        response = client.get(path)
        assert response.status_code == 302 and "/app/login" in response.headers["Location"]


# --- general settings ----------------------------------------------------------------------

def test_general_page_is_read_only_below_admin(app, team, alice):
    for email in ("bob@example.com", "vic@example.com"):
        page = text(Browser(app, email).get("/app/settings/general"))
        assert "Only admins and the owner can change these settings." in page
        assert "/app/settings/general/delete" not in page
        assert 'action="/app/settings/general"' not in page
    page = text(Browser(app, "dana@example.com").get("/app/settings/general"))
    assert 'action="/app/settings/general"' in page and "Europe/Paris" in page
    assert "/app/settings/general/delete" not in page
    page = text(Browser(app, alice.email).get("/app/settings/general"))
    assert "/app/settings/general/delete" in page and "Transfer ownership" in page


def test_admin_saves_general_settings(app, team, alice):
    dana = Browser(app, "dana@example.com")
    response = dana.post("/app/settings/general", **{
        "general-name": "Alice Inc", "general-timezone": "Europe/Paris",
        "general-logo": "https://cdn.example.com/l.png"})
    assert response.status_code == 302
    assert "Workspace settings saved." in text(dana.get("/app/settings/general"))
    ws = Workspace.get_by_id(alice.workspace.id)
    assert (ws.name, ws.timezone, ws.logo) == ("Alice Inc", "Europe/Paris",
                                               "https://cdn.example.com/l.png")


def test_general_settings_errors_show_beside_fields(app, alice):
    me = Browser(app, alice.email)
    before = db_snapshot(app)
    response = me.post("/app/settings/general", **{
        "general-name": "Fine", "general-timezone": "Mars/Base", "general-logo": "ftp://x"})
    assert response.status_code == 400
    page = text(response)
    assert 'id="general-timezone-error"' in page and 'id="general-logo-error"' in page
    assert "Must be an http(s) URL" in page
    assert db_snapshot(app) == before


def test_settings_posts_below_the_needed_role_are_forbidden(app, team, alice, bob):
    people = {e: Browser(app, e) for e in ("bob@example.com", "vic@example.com",
                                           "dana@example.com")}
    key_id = ApiKey.get(ApiKey.created_by == alice.user).public_id
    before = db_snapshot(app)
    for email, who in people.items():
        if email != "dana@example.com":
            for path, data in (
                    ("/app/settings/general", {"general-name": "X",
                                               "general-timezone": "UTC"}),
                    ("/app/settings/members/invite", {"invite-email": "x@example.com",
                                                      "invite-role": "viewer"}),
                    (f"/app/settings/members/{mid(alice.user, alice.workspace)}/role",
                     {"role": "viewer"}),
                    ("/app/settings/api-keys", {"key-name": "x", "key-scopes": "*"}),
                    (f"/app/settings/api-keys/{key_id}/toggle", {}),
                    (f"/app/settings/api-keys/{key_id}/delete", {})):
                assert who.post(path, **data).status_code == 403, (email, path)
        assert who.post("/app/settings/general/delete",
                        **{"delete-confirm": "Alice Co"}).status_code == 403
        assert who.post("/app/settings/general/transfer", **{
            "transfer-member_id": mid(bob.user, alice.workspace)}).status_code == 403
    assert db_snapshot(app) == before


def test_transfer_ownership_form(app, alice, bob):
    me = Browser(app, alice.email)
    response = me.post("/app/settings/general/transfer",
                       **{"transfer-member_id": mid(bob.user, alice.workspace)})
    assert response.status_code == 302
    assert Member.get(Member.public_id == mid(bob.user, alice.workspace)).role == "owner"
    assert Member.get(Member.public_id == mid(alice.user, alice.workspace)).role == "admin"


def test_transfer_to_a_stranger_shows_the_error(app, alice, charlie):
    me = Browser(app, alice.email)
    before = db_snapshot(app)
    response = me.post("/app/settings/general/transfer",
                       **{"transfer-member_id": mid(charlie.user, charlie.workspace)})
    assert response.status_code == 400
    page = text(response)
    assert "Must be a member of this workspace" in page
    assert 'value="Alice Co"' in page  # the other forms keep the workspace's values
    assert db_snapshot(app) == before


def test_delete_needs_the_typed_name(app, alice):
    me = Browser(app, alice.email)
    before = db_snapshot(app)
    response = me.post("/app/settings/general/delete", **{"delete-confirm": "alice co"})
    assert response.status_code == 400 and "Type the workspace name exactly" in text(response)
    assert db_snapshot(app) == before
    response = me.post("/app/settings/general/delete", **{"delete-confirm": "Alice Co"})
    assert response.status_code == 302
    assert Workspace.get_or_none(Workspace.public_id == alice.workspace_id) is None
    assert me.get("/app/").headers["Location"].endswith("/app/workspaces/new")


# --- members and invitations ---------------------------------------------------------------

def test_members_page_by_role(app, team, alice, bob):
    owner = text(Browser(app, alice.email).get("/app/settings/members"))
    assert "Invite someone" in owner and "Pending invitations" in owner
    assert owner.count('name="role"') == 3  # dana, bob and vic; never the owner
    dana = text(Browser(app, "dana@example.com").get("/app/settings/members"))
    assert dana.count('name="role"') == 3  # bob, vic and herself; never the owner
    for email in ("bob@example.com", "vic@example.com"):
        page = text(Browser(app, email).get("/app/settings/members"))
        assert "Invite someone" not in page and 'name="role"' not in page
        assert "Only admins and the owner can invite people" in page
        assert ">Leave<" in page and "alice@example.com" in page


def test_invite_from_the_members_page_shows_the_link_once(app, team, alice):
    me = Browser(app, alice.email)
    response = me.post("/app/settings/members/invite", **{"invite-email": "new@example.com",
                                                           "invite-role": "viewer"})
    assert response.status_code == 201
    page = text(response)
    link = link_in(page)
    assert "Invitation sent to new@example.com as viewer." in page
    assert 'value="new@example.com"' not in page  # the form starts empty again
    assert invitations.find_valid(link.rsplit("/", 1)[1]).email == "new@example.com"
    again = text(me.get("/app/settings/members"))
    assert link not in again and "new@example.com" in again


def test_invite_errors_show_beside_fields(app, alice):
    me = Browser(app, alice.email)
    before = db_snapshot(app)
    response = me.post("/app/settings/members/invite", **{"invite-email": "nope",
                                                           "invite-role": "editor"})
    assert response.status_code == 400 and 'id="invite-email-error"' in text(response)
    response = me.post("/app/settings/members/invite", **{"invite-email": "bob@example.com",
                                                           "invite-role": "editor"})
    assert response.status_code == 409 and "already a member" in text(response)
    assert db_snapshot(app) == before


def test_resend_and_revoke_an_invitation(app, ctx, alice):
    first, token = invitations.invite(alice.workspace, alice.user, "new@example.com")
    me = Browser(app, alice.email)
    response = me.post(f"/app/settings/invitations/{first.public_id}/resend")
    assert response.status_code == 201
    assert invitations.find_valid(token) is None
    new_token = link_in(text(response)).rsplit("/", 1)[1]
    second = invitations.find_valid(new_token)
    assert me.post(f"/app/settings/invitations/{second.public_id}/revoke").status_code == 302
    assert invitations.find_valid(new_token) is None
    assert me.post(f"/app/settings/invitations/{second.public_id}/resend").status_code == 404


def test_change_role_and_remove_from_the_page(app, team, alice, bob):
    dana = Browser(app, "dana@example.com")
    bob_mid = mid(bob.user, alice.workspace)
    assert dana.post(f"/app/settings/members/{bob_mid}/role", role="viewer").status_code == 302
    assert "bob@example.com is now viewer." in text(dana.get("/app/settings/members"))
    before = db_snapshot(app)
    response = dana.post(f"/app/settings/members/{bob_mid}/role", role="owner")
    assert response.status_code == 400 and "transfer-ownership" in text(response)
    owner_mid = mid(alice.user, alice.workspace)
    assert dana.post(f"/app/settings/members/{owner_mid}/role", role="viewer").status_code \
        == 403
    response = dana.post(f"/app/settings/members/{owner_mid}/remove")
    assert response.status_code == 400 and "The owner cannot be removed" in text(response)
    assert db_snapshot(app) == before
    assert dana.post(f"/app/settings/members/{bob_mid}/remove").status_code == 302
    assert Member.get_or_none(Member.public_id == bob_mid) is None


def test_owner_cannot_be_removed_from_the_page(app, team, alice):
    me = Browser(app, alice.email)
    before = db_snapshot(app)
    response = me.post(f"/app/settings/members/{mid(alice.user, alice.workspace)}/remove")
    assert response.status_code == 400 and "cannot leave" in text(response)
    assert db_snapshot(app) == before


def test_a_viewer_leaves(app, team, alice):
    vic = Browser(app, "vic@example.com")
    response = vic.post(f"/app/settings/members/{mid(team['vic'], alice.workspace)}/remove")
    assert response.status_code == 302
    assert Member.select().where(Member.user == team["vic"]).count() == 0
    assert vic.get("/app/").headers["Location"].endswith("/app/workspaces/new")


def test_other_workspaces_members_are_not_found(app, ctx, alice, charlie):
    me = Browser(app, charlie.email)
    inv, _ = invitations.invite(alice.workspace, alice.user, "x@example.com")
    before = db_snapshot(app)
    assert me.post(f"/app/settings/members/{mid(alice.user, alice.workspace)}/role",
                   role="viewer").status_code == 404
    assert me.post(f"/app/settings/members/{mid(alice.user, alice.workspace)}/remove") \
        .status_code == 404
    key_id = ApiKey.get(ApiKey.created_by == alice.user).public_id
    assert me.post(f"/app/settings/api-keys/{key_id}/toggle").status_code == 404
    assert me.post(f"/app/settings/api-keys/{key_id}/delete").status_code == 404
    assert me.post(f"/app/settings/invitations/{inv.public_id}/revoke").status_code == 404
    assert db_snapshot(app) == before
    assert Invitation.get_by_id(inv.id).revoked_at is None


# --- API keys ------------------------------------------------------------------------------

def test_api_keys_page_by_role(app, team, alice):
    for email in ("bob@example.com", "vic@example.com"):
        page = text(Browser(app, email).get("/app/settings/api-keys"))
        assert "Only admins and the owner can see and manage API keys." in page
        assert "Create API key" not in page
    dana = text(Browser(app, "dana@example.com").get("/app/settings/api-keys"))
    assert "members:invite" in dana and "billing:manage" not in dana
    owner = text(Browser(app, alice.email).get("/app/settings/api-keys"))
    assert "billing:manage" in owner and "Alice Owner key" in owner


def test_create_toggle_and_delete_a_key(app, client, alice):
    me = Browser(app, alice.email)
    response = me.post("/app/settings/api-keys", **{"key-name": "Zapier",
                                                    "key-scopes": ["links:read"],
                                                    "key-expires": "2099-12-31"})
    assert response.status_code == 201
    page = text(response)
    secret = re.search(r'id="new-api-key">(lh_[^<]+)<', page).group(1)
    assert 'class="secret-box"' in page
    assert secret not in text(me.get("/app/settings/api-keys"))
    key = ApiKey.get(ApiKey.name == "Zapier")
    assert key.scopes == ["links:read"] and key.expires_at.date().isoformat() == "2099-12-31"
    assert client.get("/api/workspaces", headers={"X-API-Key": secret}).status_code == 200
    assert me.post(f"/app/settings/api-keys/{key.public_id}/toggle").status_code == 302
    assert client.get("/api/workspaces", headers={"X-API-Key": secret}).status_code == 401
    assert me.post(f"/app/settings/api-keys/{key.public_id}/toggle").status_code == 302
    assert client.get("/api/workspaces", headers={"X-API-Key": secret}).status_code == 200
    assert me.post(f"/app/settings/api-keys/{key.public_id}/delete").status_code == 302
    assert client.get("/api/workspaces", headers={"X-API-Key": secret}).status_code == 401


def test_key_form_errors(app, team, alice):
    me, dana = Browser(app, alice.email), Browser(app, "dana@example.com")
    before = db_snapshot(app)
    response = me.post("/app/settings/api-keys", **{"key-name": "x", "key-expires": "2001-01-01"})
    assert response.status_code == 400
    page = text(response)
    assert 'id="key-expires-error"' in page and "Must list at least one scope" in page
    response = dana.post("/app/settings/api-keys", **{"key-name": "x",
                                                      "key-scopes": "billing:manage"})
    assert response.status_code == 403 and "billing:manage" in text(response)
    assert db_snapshot(app) == before


# --- accepting an invitation ---------------------------------------------------------------

def test_accept_page_for_visitors_and_the_invitee(app, ctx, client, alice):
    dave = create_user("dave@example.com", PASSWORD, "Dave")
    _, token = invitations.invite(alice.workspace, alice.user, "dave@example.com", "viewer")
    page = text(client.get(f"/app/invitations/{token}"))
    assert "Join Alice Co" in page and "viewer" in page
    assert f"/app/signup?invite={token}" in page
    assert f"/app/login?next=/app/invitations/{token}" in page
    other = Browser(app, "bob@example.com")
    page = text(other.get(f"/app/invitations/{token}"))
    assert "but you are signed in as bob@example.com" in page and "Accept invitation" not in page
    assert other.post(f"/app/invitations/{token}").status_code == 403
    me = Browser(app, "dave@example.com")
    assert "Accept invitation" in text(me.get(f"/app/invitations/{token}"))
    response = me.post(f"/app/invitations/{token}")
    assert response.status_code == 302
    assert Member.get(Member.user == dave).role == "viewer"
    assert "Welcome to Alice Co" in text(me.get("/app/"))
    assert me.get(f"/app/invitations/{token}").status_code == 404


def test_accept_page_for_expired_and_unknown_links(app, ctx, client, alice):
    _, token = invitations.invite(alice.workspace, alice.user, "dave@example.com")
    clock.advance(timedelta(days=8))
    response = client.get(f"/app/invitations/{token}")
    assert response.status_code == 400 and "This invitation has expired" in text(response)
    response = client.get("/app/invitations/unknown-token")
    assert response.status_code == 404 and "Invitation not found" in text(response)


# --- in a browser --------------------------------------------------------------------------

def browser_login(page, email):
    page.goto("/app/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/app/")


@pytest.mark.browser
def test_browser_invite_and_join_through_sign_up(app, page, alice):
    assert app.config["LINKHUB"]["OPEN_SIGNUP"] is False
    browser_login(page, alice.email)
    page.goto("/app/settings/members")
    page.get_by_label("E-mail address").fill("newbie@example.com")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Send invitation").click()
    link = page.locator("#invite-link").inner_text()
    assert "/app/invitations/" in link
    assert page.get_by_role("cell", name="newbie@example.com").is_visible()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/app/login")
    page.goto(path_of(link))
    assert page.get_by_role("heading", name="Join Alice Co").is_visible()
    page.get_by_role("link", name="Create an account and join").click()
    page.get_by_label("Your name").fill("New Bie")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account and join").click()
    page.wait_for_url("**/app/")
    assert page.get_by_role("heading", name="Alice Co").is_visible()
    assert "You are viewer" in page.content()
    user = User.get(User.email == "newbie@example.com")
    assert Member.get(Member.user == user).role == "viewer"


@pytest.mark.browser
def test_browser_api_key_shown_once_and_used(app, page, live_server, alice):
    browser_login(page, alice.email)
    page.goto("/app/settings/api-keys")
    page.get_by_label("Name").fill("Live test")
    page.get_by_role("button", name="Create API key").click()
    box = page.locator(".secret-box")
    secret = box.locator("code").inner_text()
    assert secret.startswith("lh_")
    assert box.get_by_role("button", name="Copy").is_visible()
    page.goto("/app/settings/api-keys")
    assert page.locator(".secret-box").count() == 0 and secret not in page.content()
    assert page.get_by_role("cell", name="Live test").is_visible()
    request = urllib.request.Request(f"{live_server.url}/api/workspaces",
                                     headers={"X-API-Key": secret})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = json.loads(response.read())
    assert [w["name"] for w in body["data"]] == ["Alice Co"]


@pytest.mark.browser
def test_browser_switch_workspaces(app, ctx, page, alice):
    create_workspace(alice.user, "Alice Labs")
    browser_login(page, alice.email)
    assert page.get_by_role("heading", name="Alice Co").is_visible()
    page.goto("/app/settings/general")
    with page.expect_navigation():
        page.get_by_label("Workspace", exact=True).select_option(label="Alice Labs")
    page.wait_for_url("**/app/settings/general")
    assert page.get_by_role("heading", name="Alice Labs").is_visible()
    page.goto("/app/")
    assert page.get_by_role("heading", name="Alice Labs").is_visible()

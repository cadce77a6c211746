"""Invitations: invite (hashed token, e-mail, 7 days, rate limit, re-invite), list, the caller's
pending list, accept (matching e-mail, expiry, revoked, unknown), revoke and decline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linkhub import clock
from linkhub.auth import hash_secret
from linkhub.errors import ApiError
from linkhub.models import EmailLog, Invitation, Member, User
from linkhub.schemas.workspaces import InvitationCreatedOut, InvitationOut, MemberOut
from linkhub.services import invitations
from linkhub.services.accounts import create_user
from linkhub.services.workspaces import add_member
from tests.conftest import PASSWORD, db_snapshot, session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def people(ctx, alice):
    """dana (admin of Alice Co), vic (viewer) and dave (no workspace yet, to be invited)."""
    out = {}
    for name, role in (("dana", "admin"), ("vic", "viewer"), ("dave", None)):
        user = create_user(f"{name}@example.com", PASSWORD, name.title())
        if role:
            add_member(alice.workspace, user, role)
        out[name] = user
    return out


def invite_url(persona):
    return f"/api/workspaces/{persona.workspace_id}/members/invite"


def token_of(response):
    return response.get_json()["data"]["inviteUrl"].rsplit("/", 1)[1]


def accept_url(token):
    return f"/api/workspaces/invitations/{token}/accept"


def assert_error(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == code, body
    return body


# --- invite --------------------------------------------------------------------------------

def test_invite_returns_the_link_once_and_stores_only_a_hash(app, people, alice):
    owner = session(app, alice.email)
    response = owner.post(invite_url(alice), json={"email": "Dave@Example.com", "role": "viewer"})
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    InvitationCreatedOut.model_validate(data)
    assert data["email"] == "dave@example.com" and data["role"] == "viewer"
    assert data["status"] == "pending" and data["id"].startswith("inv_")
    assert data["workspace"] == {"id": alice.workspace_id, "name": "Alice Co"}
    assert data["invitedBy"]["email"] == alice.email
    base = app.config["LINKHUB"]["BASE_URL"]
    assert data["inviteUrl"].startswith(f"{base}/app/invitations/")
    token = token_of(response)
    stored = Invitation.get(Invitation.public_id == data["id"])
    assert stored.token_hash == hash_secret(token) and token not in stored.token_hash
    assert stored.expires_at - stored.created_at == timedelta(days=7)
    assert clock.parse_iso(data["expiresAt"]) - clock.parse_iso(data["createdAt"]) \
        <= timedelta(days=7)
    mail = EmailLog.select().where(EmailLog.kind == "invitation").get()
    assert mail.to_address == "dave@example.com" and data["inviteUrl"] in mail.body_text
    assert "Alice Co" in mail.body_text
    listed = owner.get(f"/api/workspaces/{alice.workspace_id}/invitations").get_json()
    assert token not in str(listed) and listed["data"][0]["id"] == data["id"]


def test_invite_defaults_to_editor_and_admins_may_invite(app, people, alice):
    dana = session(app, "dana@example.com")
    response = dana.post(invite_url(alice), json={"email": "new@example.com"})
    assert response.status_code == 201 and response.get_json()["data"]["role"] == "editor"
    response = dana.post(invite_url(alice), json={"email": "boss@example.com", "role": "admin"})
    assert response.status_code == 201


@pytest.mark.parametrize("payload,field", [
    ({}, "email"), ({"email": "not-an-address"}, "email"), ({"email": ""}, "email"),
    ({"email": "x@example.com", "role": "owner"}, "role"),
    ({"email": "x@example.com", "role": "boss"}, "role"),
    ({"email": "x@example.com", "role": None}, "role"),
    ({"email": ["x@example.com"]}, "email"),
])
def test_invite_rejects_bad_input(app, people, alice, payload, field):
    owner = session(app, alice.email)
    before = db_snapshot(app)
    body = assert_error(owner.post(invite_url(alice), json=payload), 400, "VALIDATION_ERROR")
    assert field in [d["field"] for d in body["error"]["details"]]
    assert db_snapshot(app) == before


def test_invite_malformed_body(app, people, alice):
    owner = session(app, alice.email)
    before = db_snapshot(app)
    assert_error(owner.post(invite_url(alice), data="email=x", content_type="text/plain"), 400,
                 "VALIDATION_ERROR")
    assert db_snapshot(app) == before


def test_inviting_a_member_is_a_conflict(app, people, alice):
    owner = session(app, alice.email)
    before = db_snapshot(app)
    assert_error(owner.post(invite_url(alice), json={"email": "BOB@example.com"}), 409,
                 "ALREADY_MEMBER")
    assert db_snapshot(app) == before


def test_reinviting_replaces_the_pending_invitation(app, people, alice):
    owner = session(app, alice.email)
    first = owner.post(invite_url(alice), json={"email": "dave@example.com"})
    second = owner.post(invite_url(alice), json={"email": "dave@example.com", "role": "viewer"})
    assert second.status_code == 201
    listed = owner.get(f"/api/workspaces/{alice.workspace_id}/invitations").get_json()
    assert [i["id"] for i in listed["data"]] == [second.get_json()["data"]["id"]]
    dave = session(app, "dave@example.com")
    assert_error(dave.post(accept_url(token_of(first))), 404, "NOT_FOUND")
    assert dave.post(accept_url(token_of(second))).get_json()["data"]["role"] == "viewer"


def test_editors_viewers_and_api_keys_cannot_invite(app, client, people, alice, bob):
    who = [session(app, e) for e in ("bob@example.com", "vic@example.com")]
    before = db_snapshot(app)
    for s in who:
        assert_error(s.post(invite_url(alice), json={"email": "x@example.com"}), 403,
                     "FORBIDDEN")
        assert_error(s.get(f"/api/workspaces/{alice.workspace_id}/invitations"), 403,
                     "FORBIDDEN")
    assert_error(client.post(invite_url(alice), headers=alice.headers,
                             json={"email": "x@example.com"}), 403, "FORBIDDEN")
    for path in (f"/api/workspaces/{alice.workspace_id}/invitations",
                 "/api/workspaces/invitations/pending"):
        assert_error(client.get(path, headers=alice.headers), 403, "FORBIDDEN")
    assert db_snapshot(app) == before


def test_invite_without_csrf(app, people, alice):
    owner = session(app, alice.email)
    del owner.environ_base["HTTP_X_CSRF_TOKEN"]
    before = db_snapshot(app)
    assert_error(owner.post(invite_url(alice), json={"email": "x@example.com"}), 403,
                 "FORBIDDEN")
    assert db_snapshot(app) == before


def test_outsider_cannot_invite_or_list(app, people, alice, charlie):
    outsider = session(app, charlie.email)
    before = db_snapshot(app)
    a = outsider.post(invite_url(alice), json={"email": "x@example.com"})
    b = outsider.post("/api/workspaces/ws_0000000000000000/members/invite",
                      json={"email": "x@example.com"})
    assert a.status_code == b.status_code == 404 and a.get_json() == b.get_json()
    a = outsider.get(f"/api/workspaces/{alice.workspace_id}/invitations")
    assert_error(a, 404, "NOT_FOUND")
    assert db_snapshot(app) == before


class TestRateLimit:
    @pytest.fixture
    def settings_overrides(self):
        return {"RATE_LIMIT_INVITES": "2/hour"}

    def test_invitations_are_rate_limited_per_user(self, app, people, alice):
        owner = session(app, alice.email)
        for n in range(2):
            assert owner.post(invite_url(alice), json={"email": f"p{n}@example.com"}) \
                .status_code == 201
        before = db_snapshot(app)
        response = owner.post(invite_url(alice), json={"email": "p3@example.com"})
        assert_error(response, 429, "RATE_LIMITED")
        assert int(response.headers["Retry-After"]) >= 1
        assert db_snapshot(app) == before
        dana = session(app, "dana@example.com")
        assert dana.post(invite_url(alice), json={"email": "p3@example.com"}).status_code == 201


# --- pending list and accept ---------------------------------------------------------------

def test_pending_list_and_accept(app, people, alice):
    owner = session(app, alice.email)
    token = token_of(owner.post(invite_url(alice), json={"email": "dave@example.com",
                                                         "role": "viewer"}))
    dave = session(app, "dave@example.com")
    pending = dave.get("/api/workspaces/invitations/pending").get_json()
    assert pending["pagination"]["total"] == 1
    InvitationOut.model_validate(pending["data"][0])
    assert pending["data"][0]["workspace"]["name"] == "Alice Co"
    response = dave.post(accept_url(token))
    assert response.status_code == 200, response.get_json()
    data = response.get_json()["data"]
    MemberOut.model_validate(data)
    assert (data["role"], data["email"], data["workspaceId"]) == (
        "viewer", "dave@example.com", alice.workspace_id)
    assert User.get_by_id(people["dave"].id).default_workspace_id == alice.workspace.id
    assert dave.get("/api/workspaces/invitations/pending").get_json()["data"] == []
    assert dave.get(f"/api/workspaces/{alice.workspace_id}").get_json()["data"]["role"] \
        == "viewer"
    before = db_snapshot(app)
    assert_error(dave.post(accept_url(token)), 404, "NOT_FOUND")  # used up
    assert db_snapshot(app) == before


def test_accept_with_another_email_is_forbidden(app, people, alice, charlie):
    owner = session(app, alice.email)
    token = token_of(owner.post(invite_url(alice), json={"email": "dave@example.com"}))
    outsider = session(app, charlie.email)
    before = db_snapshot(app)
    assert_error(outsider.post(accept_url(token)), 403, "FORBIDDEN")
    assert db_snapshot(app) == before


def test_expired_invitation_is_a_validation_error(app, people, alice):
    owner = session(app, alice.email)
    token = token_of(owner.post(invite_url(alice), json={"email": "dave@example.com"}))
    clock.advance(timedelta(days=7, minutes=1))
    dave = session(app, "dave@example.com")
    before = db_snapshot(app)
    body = assert_error(dave.post(accept_url(token)), 400, "VALIDATION_ERROR")
    assert body["error"]["details"] == [{"field": "token", "message": "has expired"}]
    assert db_snapshot(app) == before
    assert dave.get("/api/workspaces/invitations/pending").get_json()["data"] == []
    listed = owner.get(f"/api/workspaces/{alice.workspace_id}/invitations").get_json()
    assert listed["data"][0]["status"] == "expired"


def test_unknown_token_and_api_keys(app, client, people, alice):
    dave = session(app, "dave@example.com")
    before = db_snapshot(app)
    assert_error(dave.post(accept_url("nope")), 404, "NOT_FOUND")
    assert_error(dave.post(accept_url("x" * 43)), 404, "NOT_FOUND")
    assert_error(client.post(accept_url("x" * 43), headers=alice.headers), 403, "FORBIDDEN")
    assert_error(client.post(accept_url("x" * 43)), 401, "UNAUTHORIZED")
    assert db_snapshot(app) == before


def test_accept_when_already_a_member(app, ctx, people, alice):
    owner = session(app, alice.email)
    token = token_of(owner.post(invite_url(alice), json={"email": "dave@example.com"}))
    add_member(alice.workspace, people["dave"], "viewer")
    dave = session(app, "dave@example.com")
    before = db_snapshot(app)
    assert_error(dave.post(accept_url(token)), 409, "ALREADY_MEMBER")
    assert db_snapshot(app) == before


def test_accept_from_the_pending_list_needs_a_verified_address(app, ctx, people, alice):
    owner = session(app, alice.email)
    inv_id = owner.post(invite_url(alice), json={"email": "dave@example.com"}) \
        .get_json()["data"]["id"]
    dave, vic = session(app, "dave@example.com"), session(app, "vic@example.com")
    before = db_snapshot(app)
    assert_error(dave.post(accept_url(inv_id)), 403, "FORBIDDEN")
    assert_error(vic.post(accept_url(inv_id)), 404, "NOT_FOUND")
    assert db_snapshot(app) == before
    User.update(email_verified_at=clock.now()).where(User.id == people["dave"].id).execute()
    assert dave.post(accept_url(inv_id)).get_json()["data"]["role"] == "editor"


# --- revoke and decline --------------------------------------------------------------------

def test_admin_revokes_and_the_link_stops_working(app, people, alice):
    owner = session(app, alice.email)
    created = owner.post(invite_url(alice), json={"email": "dave@example.com"})
    inv_id, token = created.get_json()["data"]["id"], token_of(created)
    dana = session(app, "dana@example.com")
    response = dana.delete(f"/api/workspaces/invitations/{inv_id}")
    assert response.status_code == 200
    assert response.get_json()["data"]["status"] == "revoked"
    dave = session(app, "dave@example.com")
    assert_error(dave.post(accept_url(token)), 404, "NOT_FOUND")
    before = db_snapshot(app)
    assert_error(dana.delete(f"/api/workspaces/invitations/{inv_id}"), 409, "CONFLICT")
    assert db_snapshot(app) == before


def test_invitee_declines(app, people, alice):
    owner = session(app, alice.email)
    created = owner.post(invite_url(alice), json={"email": "dave@example.com"})
    dave = session(app, "dave@example.com")
    inv_id = created.get_json()["data"]["id"]
    assert dave.delete(f"/api/workspaces/invitations/{inv_id}").status_code == 200
    assert owner.get(f"/api/workspaces/{alice.workspace_id}/invitations") \
        .get_json()["data"] == []


def test_others_cannot_revoke(app, client, people, alice, charlie):
    owner = session(app, alice.email)
    inv_id = owner.post(invite_url(alice), json={"email": "dave@example.com"}) \
        .get_json()["data"]["id"]
    outsider, bob = session(app, charlie.email), session(app, "bob@example.com")
    before = db_snapshot(app)
    a = outsider.delete(f"/api/workspaces/invitations/{inv_id}")
    b = outsider.delete("/api/workspaces/invitations/inv_0000000000000000")
    assert a.status_code == b.status_code == 404 and a.get_json() == b.get_json()
    assert_error(bob.delete(f"/api/workspaces/invitations/{inv_id}"), 403, "FORBIDDEN")
    assert_error(client.delete(f"/api/workspaces/invitations/{inv_id}", headers=alice.headers),
                 403, "FORBIDDEN")
    assert db_snapshot(app) == before


# --- the service functions the accounts module calls ---------------------------------------

def test_find_valid_and_accept_services(app, ctx, people, alice):
    invitation, token = invitations.invite(alice.workspace, alice.user, "dave@example.com",
                                           "admin")
    assert invitations.find_valid(token).id == invitation.id
    assert invitations.find_valid("nope") is None
    member = invitations.accept(token, people["dave"])
    assert isinstance(member, Member) and member.role == "admin"
    assert invitations.find_valid(token) is None
    with pytest.raises(ApiError) as err:
        invitations.accept(token, people["dave"])
    assert err.value.code == "NOT_FOUND"


def test_find_valid_ignores_expired(app, ctx, people, alice):
    _, token = invitations.invite(alice.workspace, alice.user, "dave@example.com")
    clock.advance(timedelta(days=8))
    assert invitations.find_valid(token) is None
    with pytest.raises(ApiError) as err:
        invitations.accept(token, people["dave"])
    assert err.value.code == "VALIDATION_ERROR" and err.value.fields == {"token": "has expired"}

"""/api/workspaces/{id}/members: list, change role, remove and leave, for every role; the owner
is never demoted or removed here; session only; isolation; no change on any rejection."""

from __future__ import annotations

import pytest

from linkhub.models import Member, User
from linkhub.schemas.workspaces import MemberOut
from linkhub.services.accounts import create_user
from linkhub.services.workspaces import add_member, create_workspace
from tests.conftest import PASSWORD, db_snapshot, session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def team(ctx, alice):
    """Alice Co: alice owner, bob editor, dana and ada admins, vic viewer."""
    people = {}
    for name, role in (("dana", "admin"), ("ada", "admin"), ("vic", "viewer")):
        user = create_user(f"{name}@example.com", PASSWORD, name.title())
        add_member(alice.workspace, user, role)
        people[name] = user
    return people


def mid(user):
    """The member id of a user in their only (or first) workspace."""
    return Member.select().where(Member.user == user).order_by(Member.id).first().public_id


def members_url(persona, member_id=""):
    return f"/api/workspaces/{persona.workspace_id}/members" + (f"/{member_id}" if member_id
                                                                 else "")


def role_of(user):
    member = Member.select().where(Member.user == user).order_by(Member.id).first()
    return member.role if member else None


def assert_error(response, status, code):
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == code, body
    return body


# --- list ----------------------------------------------------------------------------------

def test_every_role_can_list_members(app, team, alice):
    for email in (alice.email, "dana@example.com", "bob@example.com", "vic@example.com"):
        body = session(app, email).get(members_url(alice)).get_json()
        assert body["success"] is True and body["pagination"]["total"] == 5
    first = body["data"][0]
    MemberOut.model_validate(first)
    assert (first["email"], first["name"], first["role"]) == ("alice@example.com",
                                                              "Alice Owner", "owner")
    assert first["joinedAt"].endswith("Z") and first["id"].startswith("mem_")


def test_list_is_paginated(app, team, alice):
    body = session(app, alice.email).get(members_url(alice) + "?limit=2&page=3").get_json()
    assert len(body["data"]) == 1 and body["pagination"]["hasMore"] is False
    assert body["pagination"]["totalPages"] == 3


def test_api_keys_are_refused_on_member_routes(app, client, team, alice):
    before = db_snapshot(app)
    target = mid(team["vic"])
    for method, path, payload in (("get", members_url(alice), None),
                                  ("patch", members_url(alice, target), {"role": "editor"}),
                                  ("delete", members_url(alice, target), None)):
        response = getattr(client, method)(path, headers=alice.headers, json=payload)
        assert_error(response, 403, "FORBIDDEN")
    assert db_snapshot(app) == before


def test_outsider_gets_404_like_a_missing_workspace(app, team, alice, charlie):
    outsider = session(app, charlie.email)
    missing = "/api/workspaces/ws_" + "0" * 16 + "/members"
    before = db_snapshot(app)
    a, b = outsider.get(members_url(alice)), outsider.get(missing)
    assert a.status_code == b.status_code == 404 and a.get_json() == b.get_json()
    target = mid(team["vic"])
    a = outsider.patch(members_url(alice, target), json={"role": "admin"})
    b = outsider.patch(f"{missing}/{target}", json={"role": "admin"})
    assert a.status_code == b.status_code == 404 and a.get_json() == b.get_json()
    a, b = outsider.delete(members_url(alice, target)), outsider.delete(f"{missing}/{target}")
    assert a.status_code == b.status_code == 404 and a.get_json() == b.get_json()
    assert db_snapshot(app) == before


def test_a_member_of_another_workspace_is_not_found(app, team, alice, charlie):
    owner = session(app, alice.email)
    before = db_snapshot(app)
    other = owner.patch(members_url(alice, mid(charlie.user)), json={"role": "viewer"})
    missing = owner.patch(members_url(alice, "mem_" + "0" * 16), json={"role": "viewer"})
    malformed = owner.patch(members_url(alice, "12"), json={"role": "viewer"})
    assert_error(other, 404, "NOT_FOUND")
    assert other.get_json() == missing.get_json() == malformed.get_json()
    assert_error(owner.delete(members_url(alice, mid(charlie.user))), 404, "NOT_FOUND")
    assert db_snapshot(app) == before


# --- change role ---------------------------------------------------------------------------

def test_owner_changes_roles(app, team, alice, bob):
    owner = session(app, alice.email)
    response = owner.patch(members_url(alice, mid(bob.user)), json={"role": "viewer"})
    assert response.status_code == 200
    data = response.get_json()["data"]
    MemberOut.model_validate(data)
    assert data["role"] == "viewer" and data["email"] == "bob@example.com"
    assert owner.patch(members_url(alice, mid(team["dana"])),
                       json={"role": "editor"}).get_json()["data"]["role"] == "editor"
    assert role_of(team["dana"]) == "editor"


def test_admin_manages_editors_and_viewers_and_themselves(app, team, alice, bob):
    dana = session(app, "dana@example.com")
    assert dana.patch(members_url(alice, mid(bob.user)), json={"role": "admin"}).status_code \
        == 200
    assert dana.patch(members_url(alice, mid(team["vic"])), json={"role": "editor"}) \
        .status_code == 200
    assert dana.patch(members_url(alice, mid(team["dana"])), json={"role": "viewer"}) \
        .status_code == 200
    assert (role_of(bob.user), role_of(team["vic"]), role_of(team["dana"])) == (
        "admin", "editor", "viewer")


def test_admin_cannot_change_another_admin_or_the_owner(app, team, alice):
    dana = session(app, "dana@example.com")
    before = db_snapshot(app)
    assert_error(dana.patch(members_url(alice, mid(team["ada"])), json={"role": "viewer"}),
                 403, "FORBIDDEN")
    assert_error(dana.patch(members_url(alice, mid(alice.user)), json={"role": "admin"}),
                 403, "FORBIDDEN")
    assert db_snapshot(app) == before
    assert role_of(team["ada"]) == "admin" and role_of(alice.user) == "owner"


def test_owner_may_change_another_admin(app, team, alice):
    owner = session(app, alice.email)
    assert owner.patch(members_url(alice, mid(team["ada"])), json={"role": "viewer"}) \
        .status_code == 200


def test_the_owner_is_never_demoted_and_nobody_becomes_owner_here(app, team, alice, bob):
    owner = session(app, alice.email)
    before = db_snapshot(app)
    body = assert_error(owner.patch(members_url(alice, mid(alice.user)),
                                    json={"role": "admin"}), 400, "VALIDATION_ERROR")
    assert body["error"]["details"][0]["field"] == "role"
    body = assert_error(owner.patch(members_url(alice, mid(bob.user)), json={"role": "owner"}),
                        400, "VALIDATION_ERROR")
    assert "transfer" in body["error"]["details"][0]["message"]
    assert db_snapshot(app) == before
    assert role_of(alice.user) == "owner" and role_of(bob.user) == "editor"


@pytest.mark.parametrize("payload", [{}, {"role": "boss"}, {"role": ""}, {"role": None},
                                     {"role": 3}, {"role": "OWNER"}])
def test_invalid_role_values(app, team, alice, bob, payload):
    owner = session(app, alice.email)
    before = db_snapshot(app)
    body = assert_error(owner.patch(members_url(alice, mid(bob.user)), json=payload), 400,
                        "VALIDATION_ERROR")
    assert body["error"]["details"][0]["field"] == "role"
    assert db_snapshot(app) == before


def test_malformed_body_and_missing_csrf(app, team, alice, bob):
    owner = session(app, alice.email)
    before = db_snapshot(app)
    assert_error(owner.patch(members_url(alice, mid(bob.user)), data="{",
                             content_type="application/json"), 400, "VALIDATION_ERROR")
    del owner.environ_base["HTTP_X_CSRF_TOKEN"]
    body = assert_error(owner.patch(members_url(alice, mid(bob.user)), json={"role": "viewer"}),
                        403, "FORBIDDEN")
    assert "CSRF" in body["error"]["message"]
    assert db_snapshot(app) == before


def test_editors_and_viewers_cannot_change_roles(app, team, alice, bob):
    sessions = [session(app, e) for e in ("bob@example.com", "vic@example.com")]
    before = db_snapshot(app)
    for who in sessions:
        assert_error(who.patch(members_url(alice, mid(team["vic"])), json={"role": "admin"}),
                     403, "FORBIDDEN")
        assert_error(who.patch(members_url(alice, mid(bob.user)), json={"role": "admin"}),
                     403, "FORBIDDEN")
    assert db_snapshot(app) == before


# --- remove and leave ----------------------------------------------------------------------

def test_admin_removes_an_editor_whose_key_then_stops_working(app, client, team, alice, bob):
    assert client.get("/api/workspaces", headers=bob.headers).status_code == 200
    dana = session(app, "dana@example.com")
    response = dana.delete(members_url(alice, mid(bob.user)))
    assert response.status_code == 200
    assert response.get_json()["data"]["deleted"] is True
    assert role_of(bob.user) is None
    assert User.get_by_id(bob.user.id).default_workspace_id is None
    assert_error(client.get("/api/workspaces", headers=bob.headers), 401, "INVALID_API_KEY")
    assert session(app, bob.email).get(f"/api/workspaces/{alice.workspace_id}").status_code \
        == 404


def test_removal_repoints_the_default_workspace(app, ctx, team, alice, bob):
    other = create_workspace(bob.user, "Bob Solo")
    session(app, alice.email).delete(members_url(alice, mid(bob.user)))
    assert User.get_by_id(bob.user.id).default_workspace_id == other.id


def test_members_may_leave_but_the_owner_may_not(app, team, alice, bob):
    for email, user in (("vic@example.com", team["vic"]), ("bob@example.com", bob.user),
                        ("dana@example.com", team["dana"])):
        who = session(app, email)
        assert who.delete(members_url(alice, mid(user))).status_code == 200
        assert role_of(user) is None
    owner = session(app, alice.email)
    before = db_snapshot(app)
    body = assert_error(owner.delete(members_url(alice, mid(alice.user))), 400,
                        "VALIDATION_ERROR")
    assert "owner" in body["error"]["details"][0]["message"]
    assert db_snapshot(app) == before


def test_who_may_remove_whom(app, team, alice, bob):
    dana, bob_s, vic = (session(app, e) for e in ("dana@example.com", "bob@example.com",
                                                  "vic@example.com"))
    before = db_snapshot(app)
    assert_error(dana.delete(members_url(alice, mid(alice.user))), 400, "VALIDATION_ERROR")
    assert_error(dana.delete(members_url(alice, mid(team["ada"]))), 403, "FORBIDDEN")
    assert_error(bob_s.delete(members_url(alice, mid(team["vic"]))), 403, "FORBIDDEN")
    assert_error(vic.delete(members_url(alice, mid(bob.user))), 403, "FORBIDDEN")
    assert_error(vic.delete(members_url(alice, mid(alice.user))), 403, "FORBIDDEN")
    assert db_snapshot(app) == before
    owner = session(app, alice.email)
    assert owner.delete(members_url(alice, mid(team["ada"]))).status_code == 200
    assert dana.delete(members_url(alice, mid(team["vic"]))).status_code == 200
    assert owner.get(members_url(alice)).get_json()["pagination"]["total"] == 3


def test_remove_without_csrf_is_forbidden(app, team, alice, bob):
    owner = session(app, alice.email)
    del owner.environ_base["HTTP_X_CSRF_TOKEN"]
    before = db_snapshot(app)
    assert_error(owner.delete(members_url(alice, mid(bob.user))), 403, "FORBIDDEN")
    assert db_snapshot(app) == before

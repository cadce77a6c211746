"""services.workspaces, members and api_keys called directly: validation, the join cap, slugs,
defaults after deletion, ownership transfer, who may change or remove whom, scope ceilings,
and the audit trail of each write."""

from __future__ import annotations

import pytest

from linkhub.errors import ApiError, Forbidden, Invalid
from linkhub.models import AuditLog, Member, User
from linkhub.services import api_keys, members, workspaces
from linkhub.services.accounts import create_user
from tests.conftest import PASSWORD


@pytest.fixture
def team(ctx, alice):
    people = {}
    for name, role in (("dana", "admin"), ("ada", "admin"), ("vic", "viewer")):
        user = create_user(f"{name}@example.com", PASSWORD, name.title())
        workspaces.add_member(alice.workspace, user, role)
        people[name] = user
    return people


def member(user, workspace):
    return Member.get(Member.user == user, Member.workspace == workspace)


def actions():
    return [a.action for a in AuditLog.select().order_by(AuditLog.id)]


@pytest.mark.parametrize("value", ["UTC", "Europe/Paris", "America/Argentina/Buenos_Aires",
                                   " Asia/Tokyo "])
def test_valid_timezones(ctx, value):
    assert workspaces.validate_timezone(value) == value.strip()


@pytest.mark.parametrize("value", ["", None, "utc/nowhere", "../../etc/passwd", "Mars/Base",
                                   "Europe/paris", 5])
def test_invalid_timezones(ctx, value):
    with pytest.raises(Invalid) as err:
        workspaces.validate_timezone(value)
    assert list(err.value.fields) == ["timezone"]


@pytest.mark.parametrize("value,expected", [
    (None, None), ("", None), ("  ", None),
    ("https://cdn.example.com/a.png", "https://cdn.example.com/a.png"),
    ("http://example.com", "http://example.com"),
])
def test_logo_values(ctx, value, expected):
    assert workspaces.validate_logo(value) == expected


@pytest.mark.parametrize("value", ["ftp://x.com/a.png", "javascript:alert(1)", "//x.com/a",
                                   "https:// spaced.com", "data:image/png;base64,AAAA"])
def test_bad_logos(ctx, value):
    with pytest.raises(Invalid):
        workspaces.validate_logo(value)


def test_slugs_are_unique_and_default_is_kept(ctx, alice):
    first = workspaces.create_workspace(alice.user, "Alice Co")
    second = workspaces.create_workspace(alice.user, "Alice Co")
    assert first.slug == "alice-co-2" and second.slug == "alice-co-3"
    assert User.get_by_id(alice.user.id).default_workspace_id == alice.workspace.id
    assert workspaces.create_workspace(alice.user, "Ünïcodé ✓").slug == "unicode"


def test_join_cap(ctx, alice):
    for n in range(workspaces.MAX_JOINED - 1):
        workspaces.create_workspace(alice.user, f"W{n}")
    with pytest.raises(ApiError) as err:
        workspaces.create_workspace(alice.user, "Too many")
    assert err.value.code == "LIMIT_EXCEEDED" and err.value.status == 403


def test_update_records_only_real_changes(ctx, alice):
    before = len(actions())
    workspaces.update_workspace(alice.workspace, alice.user, {"name": "Alice Co"})
    assert len(actions()) == before
    ws = workspaces.update_workspace(alice.workspace, alice.user, {"timezone": "Europe/Berlin"})
    assert ws.timezone == "Europe/Berlin" and actions()[-1] == "workspace.update"


def test_delete_needs_the_owner_and_repoints_defaults(ctx, team, alice, bob):
    with pytest.raises(Forbidden):
        workspaces.delete_workspace(alice.workspace, team["dana"])
    other = workspaces.create_workspace(bob.user, "Bob's")
    workspaces.delete_workspace(alice.workspace, alice.user)
    assert User.get_by_id(bob.user.id).default_workspace_id == other.id
    assert actions()[-1] == "workspace.delete"
    assert AuditLog.select().where(AuditLog.action == "workspace.delete").get().workspace_id \
        is None  # the entry outlives the workspace


def test_transfer_rules(ctx, team, alice, bob, charlie):
    ws = alice.workspace
    with pytest.raises(Forbidden):
        workspaces.transfer_ownership(ws, team["dana"], user_id=bob.user_id)
    with pytest.raises(Invalid):
        workspaces.transfer_ownership(ws, alice.user, user_id=alice.user_id)
    with pytest.raises(Invalid):
        workspaces.transfer_ownership(ws, alice.user, user_id=charlie.user_id)
    new_owner = workspaces.transfer_ownership(ws, alice.user,
                                              member_id=member(team["vic"], ws).public_id)
    assert new_owner.role == "owner" and member(alice.user, ws).role == "admin"
    assert Member.select().where(Member.workspace == ws, Member.role == "owner").count() == 1


def test_who_may_change_and_remove_whom(ctx, team, alice, bob):
    ws = alice.workspace
    owner, dana, ada, vic, editor = (member(u, ws) for u in (
        alice.user, team["dana"], team["ada"], team["vic"], bob.user))
    assert members.can_change_role(owner, dana) and members.can_change_role(owner, vic)
    assert not members.can_change_role(owner, owner)
    assert members.can_change_role(dana, editor) and members.can_change_role(dana, dana)
    assert not members.can_change_role(dana, ada) and not members.can_change_role(dana, owner)
    assert not members.can_change_role(editor, vic) and not members.can_change_role(vic, vic)
    assert members.can_remove(vic, vic) and members.can_remove(editor, editor)
    assert not members.can_remove(owner, owner) and not members.can_remove(dana, owner)
    assert members.can_remove(dana, editor) and not members.can_remove(dana, ada)
    assert members.can_remove(owner, ada) and not members.can_remove(editor, vic)


def test_change_role_audit_and_no_op(ctx, team, alice, bob):
    ws = alice.workspace
    target = member(bob.user, ws)
    before = len(actions())
    members.change_role(ws, alice.user, target, "editor")
    assert len(actions()) == before
    members.change_role(ws, team["dana"], target, "viewer")
    assert member(bob.user, ws).role == "viewer" and actions()[-1] == "member.update_role"


def test_change_role_of_the_owner_is_refused(ctx, team, alice):
    ws = alice.workspace
    with pytest.raises(Invalid):
        members.change_role(ws, alice.user, member(alice.user, ws), "admin")
    with pytest.raises(Forbidden):
        members.change_role(ws, team["dana"], member(alice.user, ws), "admin")


def test_scope_ceiling_follows_the_role(ctx, team, alice, bob):
    ws = alice.workspace
    api_keys.check_grantable(["*"], "viewer")
    api_keys.check_grantable(["links:read", "members:invite"], "admin")
    with pytest.raises(Forbidden):
        api_keys.check_grantable(["billing:manage"], "admin")
    with pytest.raises(Forbidden):
        api_keys.create_api_key(ws, team["dana"], "x", ["billing:manage"])
    with pytest.raises(Forbidden):
        api_keys.create_api_key(ws, create_user("out@example.com", PASSWORD), "x")
    key, _ = api_keys.create_api_key(ws, alice.user, "owner's", ["billing:manage"])
    assert key.scopes == ["billing:manage"]


def test_enable_disable_are_audited_as_such(ctx, alice):
    key, _ = api_keys.create_api_key(alice.workspace, alice.user, "k")
    api_keys.update_api_key(alice.workspace, alice.user, key, {"enabled": False})
    assert actions()[-1] == "api_key.disable" and not key.is_usable()
    api_keys.update_api_key(alice.workspace, alice.user, key, {"enabled": True})
    assert actions()[-1] == "api_key.enable" and key.is_usable()
    api_keys.update_api_key(alice.workspace, alice.user, key, {"name": "renamed"})
    assert actions()[-1] == "api_key.update"


def test_usage_counts(ctx, team, alice):
    assert workspaces.usage(alice.workspace) == {"members": 5, "pendingInvitations": 0,
                                                 "apiKeys": 2}

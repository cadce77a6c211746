"""Notifications: `notify` (recipients by role or list, preferences, e-mail copies, queued
inside a transaction), the list with its unread filter and count, mark read / all read,
preferences, isolation (another user's or workspace's notification is a 404) and the
invitation-accepted hook."""

from __future__ import annotations

import pytest

from linkhub import ids
from linkhub.db import database
from linkhub.models import EmailLog, Notification, NotificationPreference
from linkhub.schemas.notifications import NotificationOut, PreferencesOut
from linkhub.services import invitations, notifications
from linkhub.services.accounts import create_user
from linkhub.services.api_keys import create_api_key
from linkhub.services.workspaces import add_member
from tests.conftest import PASSWORD, db_snapshot, session


@pytest.fixture
def client(app):
    """A plain client: these tests also hold the `ctx` context open."""
    return app.test_client()


@pytest.fixture
def dana(ctx, alice):
    """An admin of Alice Co."""
    user = create_user("dana@example.com", PASSWORD, "Dana Admin")
    add_member(alice.workspace, user, "admin")
    return user


def listed(client, persona, query: str = "") -> tuple[list[dict], object]:
    response = client.get(f"/api/notifications{query}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"], response


def error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.get_json()
    body = response.get_json()
    assert body["error"]["code"] == code
    if field:
        assert field in [d["field"] for d in body["error"]["details"]]
    return body


# --- notify --------------------------------------------------------------------------------

def test_notify_reaches_owners_and_admins_by_default(ctx, alice, bob, dana):
    count = notifications.notify(alice.workspace, "export_ready", "Export ready",
                                 "links.csv is ready", url="/app/exports")
    assert count == 2
    rows = Notification.select().order_by(Notification.id)
    assert {r.user_id for r in rows} == {alice.user.id, dana.id}  # bob is an editor
    assert all(r.public_id.startswith("ntf_") and r.url == "/app/exports" for r in rows)
    # export_ready mails by default: one e-mail each, logged (no SMTP), in the workspace's name
    mails = list(EmailLog.select().where(EmailLog.kind == "notification.export_ready"))
    assert sorted(m.to_address for m in mails) == ["alice@example.com", "dana@example.com"]
    assert all(m.workspace_id == alice.workspace.id and m.status == "logged" for m in mails)
    assert mails[0].subject == "[Alice Co] Export ready"
    assert "links.csv is ready" in mails[0].body_text
    assert "/app/exports" in mails[0].body_text and "http" in mails[0].body_text


def test_notify_given_users_never_reaches_outsiders(ctx, alice, bob, charlie):
    count = notifications.notify(alice.workspace, "bulk_finished", "Bulk done",
                                 users=[bob.user, charlie.user.id])
    assert count == 1
    assert [r.user_id for r in Notification.select()] == [bob.user.id]
    assert EmailLog.select().count() == 0  # bulk_finished: in-app only by default
    assert notifications.notify(alice.workspace, "bulk_finished", "x", users=[]) == 0


def test_notify_follows_preferences(ctx, alice):
    user = alice.user
    notifications.set_preferences(user, [{"kind": "webhook_disabled", "inApp": False},
                                         {"kind": "bulk_finished", "email": True}])
    assert notifications.notify(alice.workspace, "webhook_disabled", "Hook off") == 1
    assert Notification.select().count() == 0  # e-mail only
    assert EmailLog.select().where(EmailLog.kind == "notification.webhook_disabled").count() == 1
    notifications.notify(alice.workspace, "bulk_finished", "Bulk done")
    assert Notification.select().count() == 1
    assert EmailLog.select().where(EmailLog.kind == "notification.bulk_finished").count() == 1
    notifications.set_preferences(user, [{"kind": "webhook_disabled", "email": False}])
    assert notifications.notify(alice.workspace, "webhook_disabled", "Hook off") == 0


def test_notify_keeps_only_safe_urls_and_caps_text(ctx, alice):
    notifications.notify(alice.workspace, "some_new_kind", "  ", "b" * 6000,
                         url="javascript:alert(1)", roles=("owner",))
    row = Notification.get()
    assert row.kind == "some_new_kind" and row.title == "some new kind"
    assert row.url is None and len(row.body) == 5000
    notifications.notify(alice.workspace, "x", "t\r\nBcc: x@evil.example", roles=("owner",))
    assert Notification.select().order_by(Notification.id.desc()).get().title == \
        "t Bcc: x@evil.example"
    Notification.delete().where(Notification.kind == "x").execute()
    notifications.notify(alice.workspace, "x", "t", url="//evil.example/x", roles=("owner",))
    notifications.notify(alice.workspace, "x", "t", url="https://ok.example/", roles=("owner",))
    assert [r.url for r in Notification.select().order_by(Notification.id)][1:] == [
        None, "https://ok.example/"]
    with pytest.raises(ValueError):
        notifications.notify(alice.workspace, "Bad Kind!", "t")


def test_notify_inside_a_transaction_queues_the_email(app, ctx, alice):
    app.config["LINKHUB"] = {**app.config["LINKHUB"], "SMTP_HOST": "127.0.0.1", "SMTP_PORT": 9}
    with database.atomic():
        notifications.notify(alice.workspace, "import_finished", "Import done")
    mail = EmailLog.get()
    assert (mail.status, mail.attempts) == ("queued", 0) and mail.next_attempt_at is not None
    with pytest.raises(RuntimeError), database.atomic():  # a rollback takes the e-mail with it
        notifications.notify(alice.workspace, "import_finished", "Import again")
        raise RuntimeError("the caller failed")
    assert EmailLog.select().count() == 1 and Notification.select().count() == 1


def test_invitation_accepted_notifies_the_admins_but_not_the_newcomer(app, ctx, alice, dana):
    newcomer = create_user("nia@example.com", PASSWORD, "Nia")
    _, token = invitations.invite(alice.workspace, alice.user, "nia@example.com", "admin")
    invitations.accept(token, newcomer)
    rows = list(Notification.select().where(Notification.kind == "invitation_accepted"))
    assert sorted(r.user_id for r in rows) == sorted([alice.user.id, dana.id])
    assert rows[0].title == "nia@example.com joined Alice Co as admin"
    assert rows[0].url == "/app/settings/members"


# --- list, count, read ----------------------------------------------------------------------

@pytest.fixture
def three(ctx, alice, bob):
    for n in range(3):
        notifications.notify(alice.workspace, "export_ready", f"Export {n}")
    notifications.notify(alice.workspace, "bulk_finished", "For bob", users=[bob.user])
    return [r.public_id for r in Notification.select().where(Notification.user == alice.user.id)
            .order_by(Notification.id)]


def test_list_is_newest_first_with_the_unread_count(client, alice, three):
    data, response = listed(client, alice)
    assert [n["title"] for n in data] == ["Export 2", "Export 1", "Export 0"]
    assert response.headers["X-Unread-Count"] == "3"
    for item in data:
        NotificationOut.model_validate(item)
    assert data[0]["read"] is False and data[0]["readAt"] is None
    page, _ = listed(client, alice, "?limit=2&page=2")
    assert [n["title"] for n in page] == ["Export 0"]
    unread = client.get("/api/notifications/unread-count", headers=alice.headers)
    assert unread.get_json()["data"] == {"unread": 3}


def test_mark_read_then_filter_unread(client, alice, three):
    response = client.post(f"/api/notifications/{three[0]}/read", headers=alice.headers)
    assert response.status_code == 200
    first = response.get_json()["data"]
    assert first["read"] is True and first["readAt"]
    again = client.post(f"/api/notifications/{three[0]}/read", headers=alice.headers)
    assert again.get_json()["data"]["readAt"] == first["readAt"]  # idempotent
    data, response = listed(client, alice, "?unread=true")
    assert [n["id"] for n in data] == [three[2], three[1]]
    assert response.headers["X-Unread-Count"] == "2"
    assert len(listed(client, alice, "?unread=false")[0]) == 3
    error(client.get("/api/notifications?unread=maybe", headers=alice.headers), 400,
          "VALIDATION_ERROR", "unread")


def test_read_all_marks_only_mine(client, alice, bob, three):
    response = client.post("/api/notifications/read-all", headers=alice.headers)
    assert response.get_json()["data"] == {"marked": 3, "unread": 0}
    assert listed(client, alice, "?unread=true")[0] == []
    assert listed(client, bob)[1].headers["X-Unread-Count"] == "1"
    response = client.post("/api/notifications/read-all", headers=alice.headers)
    assert response.get_json()["data"] == {"marked": 0, "unread": 0}


def test_someone_elses_notification_is_not_found(app, client, alice, bob, charlie, three):
    bobs = Notification.get(Notification.user == bob.user.id).public_id
    before = db_snapshot(app)
    for persona, target in ((alice, bobs), (bob, three[0]), (charlie, three[0]),
                            (alice, ids.new_id("notification")), (alice, "ntf_bad"),
                            (alice, ids.new_id("feedback"))):
        error(client.post(f"/api/notifications/{target}/read", headers=persona.headers), 404,
              "NOT_FOUND")
    assert db_snapshot(app) == before
    assert Notification.select().where(Notification.read_at.is_null(False)).count() == 0
    assert listed(client, charlie)[0] == []


def test_a_key_without_a_user_is_refused(client, ctx, alice):
    _, raw = create_api_key(alice.workspace, None, "robot", ["*"])
    response = client.get("/api/notifications", headers={"X-API-Key": raw})
    error(response, 403, "FORBIDDEN")


def test_sessions_use_the_csrf_token(app, alice, three):
    me = session(app, alice.email)
    assert me.post(f"/api/notifications/{three[0]}/read").status_code == 200
    bare = app.test_client()
    bare.post("/api/auth/sign-in/email", json={"email": alice.email, "password": PASSWORD})
    error(bare.post("/api/notifications/read-all"), 403, "FORBIDDEN")


# --- preferences ----------------------------------------------------------------------------

def test_preferences_have_documented_defaults(client, alice):
    response = client.get("/api/notifications/preferences", headers=alice.headers)
    data = response.get_json()["data"]
    PreferencesOut.model_validate(data)
    table = {p["kind"]: (p["inApp"], p["email"], p["default"]) for p in data["preferences"]}
    assert table == {"webhook_disabled": (True, True, True), "export_ready": (True, True, True),
                     "import_finished": (True, True, True),
                     "bulk_finished": (True, False, True),
                     "invitation_accepted": (True, False, True),
                     "integration_notice": (True, False, True)}


def test_put_preferences_changes_only_what_is_sent(client, alice, bob):
    response = client.put("/api/notifications/preferences", headers=alice.headers, json={
        "preferences": [{"kind": "export_ready", "email": False},
                        {"kind": "bulk_finished", "inApp": False, "email": True}]})
    assert response.status_code == 200, response.get_json()
    table = {p["kind"]: p for p in response.get_json()["data"]["preferences"]}
    assert (table["export_ready"]["inApp"], table["export_ready"]["email"]) == (True, False)
    assert table["export_ready"]["default"] is False
    assert (table["bulk_finished"]["inApp"], table["bulk_finished"]["email"]) == (False, True)
    assert table["webhook_disabled"]["default"] is True
    # per user: bob still has the defaults
    bobs = client.get("/api/notifications/preferences", headers=bob.headers).get_json()
    assert all(p["default"] for p in bobs["data"]["preferences"])


@pytest.mark.parametrize("body,field", [
    ({"preferences": [{"kind": "nope", "email": True}]}, "preferences[0].kind"),
    ({"preferences": [{"kind": "export_ready", "email": "yes"}]}, "preferences.0.email"),
    ({"preferences": [{"email": True}]}, "preferences.0.kind"),
    ({"preferences": []}, "preferences"),
    ({"preferences": "all"}, "preferences"),
    ({}, "preferences"),
])
def test_bad_preferences_are_400_and_store_nothing(app, client, alice, body, field):
    before = db_snapshot(app)
    error(client.put("/api/notifications/preferences", headers=alice.headers, json=body), 400,
          "VALIDATION_ERROR", field)
    assert db_snapshot(app) == before
    assert NotificationPreference.select().count() == 0

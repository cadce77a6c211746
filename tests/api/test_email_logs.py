"""GET /api/email-logs: admins see the e-mails sent in their workspace's name (invitations,
notifications) with status, tries and error; never account e-mails (resets, verification),
never bodies, never another workspace's. Plus the admin-only dashboard page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linkhub import clock
from linkhub.models import EmailLog
from linkhub.schemas.email_logs import EmailLogOut
from linkhub.services import accounts, invitations, notifications
from tests.conftest import db_snapshot, session


@pytest.fixture
def client(app):
    """A plain client: these tests also hold the `ctx` context open."""
    return app.test_client()


@pytest.fixture
def mails(ctx, alice, charlie):
    """Alice Co: an invitation and a notification (logged: no SMTP), one failed e-mail;
    alice's own password-reset mail (an account mail); Charlie Ltd: an invitation."""
    invitations.invite(alice.workspace, alice.user, "new@example.com", "viewer")
    clock.advance(timedelta(seconds=1))
    notifications.notify(alice.workspace, "export_ready", "Export ready", roles=("owner",))
    clock.advance(timedelta(seconds=1))
    EmailLog.create(kind="notification.import_finished", to_address="alice@example.com",
                    subject="[Alice Co] Import done", body_text="secret body", status="failed",
                    error="SMTPDataError: (451, b'busy')", attempts=2,
                    next_attempt_at=clock.now() + timedelta(minutes=5),
                    workspace=alice.workspace, user=alice.user)
    accounts.request_password_reset(alice.email)
    invitations.invite(charlie.workspace, charlie.user, "pal@example.com", "editor")


def logs(client, persona, query: str = "", status: int = 200):
    response = client.get(f"/api/email-logs{query}", headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def test_admins_see_the_workspace_mails_newest_first(client, alice, mails):
    body = logs(client, alice)
    assert [m["kind"] for m in body["data"]] == [
        "notification.import_finished", "notification.export_ready", "invitation"]
    assert body["pagination"]["total"] == 3
    for item in body["data"]:
        EmailLogOut.model_validate(item)
        assert "body" not in item and "bodyText" not in item
    failed = body["data"][0]
    assert (failed["status"], failed["attempts"], failed["to"]) == ("failed", 2,
                                                                    "alice@example.com")
    assert "451" in failed["error"] and failed["nextAttemptAt"].endswith("Z")
    assert body["data"][2]["to"] == "new@example.com" and body["data"][2]["status"] == "logged"
    assert "secret body" not in str(body)


def test_account_mails_are_never_listed(client, alice, mails):
    assert EmailLog.select().where(EmailLog.kind == "reset_password").count() == 1
    kinds = {m["kind"] for m in logs(client, alice, "?limit=100")["data"]}
    assert "reset_password" not in kinds


def test_filters(client, alice, mails):
    assert [m["kind"] for m in logs(client, alice, "?status=failed")["data"]] == [
        "notification.import_finished"]
    assert len(logs(client, alice, "?status=logged")["data"]) == 2
    assert logs(client, alice, "?status=sent")["data"] == []
    assert len(logs(client, alice, "?kind=notification.")["data"]) == 2
    assert [m["kind"] for m in logs(client, alice, "?kind=invitation")["data"]] == ["invitation"]


@pytest.mark.parametrize("query,field", [("?status=bounced", "status"), ("?kind=" + "k" * 49,
                                                                          "kind"),
                                         ("?limit=101", "limit"), ("?page=0", "page")])
def test_bad_filters_are_400(app, client, alice, mails, query, field):
    before = db_snapshot(app)
    body = logs(client, alice, query, 400)
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert field in [d["field"] for d in body["error"]["details"]]
    assert db_snapshot(app) == before


def test_each_workspace_sees_its_own(client, charlie, mails):
    data = logs(client, charlie)["data"]
    assert [(m["kind"], m["to"]) for m in data] == [("invitation", "pal@example.com")]


def test_editors_are_refused(client, bob, mails):
    body = logs(client, bob, status=403)
    assert body["error"]["code"] == "FORBIDDEN"


def test_the_dashboard_page_is_for_admins(app, alice, bob, mails):
    page = session(app, alice.email).get("/app/email-logs?status=failed")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "[Alice Co] Import done" in text
    assert "new@example.com" not in text and "secret body" not in text
    assert session(app, alice.email).get("/app/email-logs?status=nope").status_code == 400
    assert session(app, bob.email).get("/app/email-logs").status_code == 403

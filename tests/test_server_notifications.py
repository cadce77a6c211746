"""The real `linkhub serve` over real HTTP with a real SMTP server (aiosmtpd, started here):
an invitation e-mailed over SMTP, accepted by a user made with the CLI, the owner's
invitation_accepted notification (its e-mail queued in the accept transaction and delivered by
`linkhub jobs run email-retry`), the e-mail log, mark all read, feedback and wrapped."""

from __future__ import annotations

import http.cookiejar
import json
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from datetime import date
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from tests.test_server import EMAIL, PASSWORD, ROOT, WAIT, Server, _cli, _env

pytestmark = pytest.mark.server


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        self.messages.append(envelope)
        return "250 OK"


class Client:
    """urllib with a cookie jar: an API key, or a signed-in session sending its CSRF token."""

    def __init__(self, base: str, key: str | None = None):
        self.base, self.key, self.csrf = base, key, None
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def call(self, method: str, path: str, body: dict | None = None,
             status: int = 200) -> tuple[dict, dict]:
        headers = {"Accept": "application/json"}
        if self.key:
            headers["X-API-Key"] = self.key
        if self.csrf:
            headers["X-CSRF-Token"] = self.csrf
        data = None
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers=headers)
        try:
            with self.opener.open(request, timeout=WAIT) as response:
                code, head, raw = response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as err:
            with err:
                code, head, raw = err.code, dict(err.headers), err.read()
        payload = json.loads(raw) if head.get("Content-Type", "").startswith(
            "application/json") else {"html": raw.decode()}
        assert code == status, payload
        return payload, head

    def sign_in(self, email: str, password: str) -> None:
        payload, _ = self.call("POST", "/api/auth/sign-in/email",
                               {"email": email, "password": password})
        self.csrf = payload["data"]["csrfToken"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_invitation_notification_email_and_feedback_over_http(tmp_path):
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    mail = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port),
            "SMTP_FROM": "linkhub <robot@links.example>"}
    data_dir = tmp_path / "data"
    done = _cli("init", "--data-dir", str(data_dir), "--email", EMAIL, "--password", PASSWORD,
                "--json")
    assert done.returncode == 0, done.stderr
    created = json.loads(done.stdout)
    server = Server(data_dir, **mail)
    try:
        server.wait_healthy()
        owner_key = Client(server.url, created["apiKey"])
        owner_key.call("PUT", "/api/notifications/preferences", {
            "preferences": [{"kind": "invitation_accepted", "email": True}]})

        owner = Client(server.url)
        owner.sign_in(EMAIL, PASSWORD)
        invited, _ = owner.call("POST", f"/api/workspaces/{created['workspaceId']}/members/"
                                        "invite", {"email": "new@example.com"}, 201)
        token = invited["data"]["inviteUrl"].rsplit("/", 1)[1]
        [invitation] = inbox.messages  # sent over SMTP while the request ran
        assert invitation.rcpt_tos == ["new@example.com"]
        assert invited["data"]["inviteUrl"] in message_from_bytes(
            invitation.content).get_payload(decode=True).decode()

        made = _cli("create-user", "--data-dir", str(data_dir), "--email", "new@example.com",
                    "--password", "another-long-password", "--json")
        assert made.returncode == 0, made.stderr
        newcomer = Client(server.url)
        newcomer.sign_in("new@example.com", "another-long-password")
        newcomer.call("POST", f"/api/workspaces/invitations/{token}/accept")

        listed, head = owner_key.call("GET", "/api/notifications?unread=true")
        assert head["X-Unread-Count"] == "1"
        [note] = listed["data"]
        assert note["kind"] == "invitation_accepted" and "new@example.com" in note["title"]
        logs, _ = owner_key.call("GET", "/api/email-logs?kind=notification.")
        assert [m["status"] for m in logs["data"]] == ["queued"]  # queued by the accept

        run = subprocess.run(
            [sys.executable, "-m", "linkhub.cli", "jobs", "run", "email-retry", "--data-dir",
             str(data_dir)], cwd=ROOT, env=_env(**mail), capture_output=True, text=True,
            timeout=WAIT, check=False)
        assert run.returncode == 0, run.stderr
        assert json.loads(run.stdout)["result"] == {"sent": 1, "failed": 0, "expired": 0}
        assert [m.rcpt_tos for m in inbox.messages] == [["new@example.com"], [EMAIL]]
        assert "new@example.com" in message_from_bytes(inbox.messages[1].content)["Subject"]
        logs, _ = owner_key.call("GET", "/api/email-logs?status=sent")
        assert sorted(m["kind"] for m in logs["data"]) == ["invitation",
                                                            "notification.invitation_accepted"]

        page, _ = owner.call("GET", "/app/notifications")
        assert 'aria-label="Notifications: 1 unread"' in page["html"]
        marked, _ = owner.call("POST", "/api/notifications/read-all")
        assert marked["data"] == {"marked": 1, "unread": 0}
        nothing, _ = newcomer.call("GET", "/api/notifications")
        assert nothing["data"] == []  # the newcomer is not told of their own joining

        sent, _ = newcomer.call("POST", "/api/feedback", {
            "kind": "praise", "message": "Smooth invitation", "page": "/app", "rating": 5}, 201)
        listed, _ = owner_key.call("GET", "/api/feedback")
        assert [f["id"] for f in listed["data"]] == [sent["data"]["id"]]
        newcomer.call("GET", "/api/feedback", status=403)  # an editor
        newcomer.call("POST", "/api/feedback", {"kind": "bug", "message": "x" * 5001},
                      status=400)

        year, _ = owner_key.call("GET", f"/api/wrapped?year={date.today().year}")
        assert year["data"]["clicks"] == 0 and len(year["data"]["months"]) == 12
        owner_key.call("GET", "/api/wrapped?year=1999", status=400)
    finally:
        assert server.stop() == 0
        smtp.stop()

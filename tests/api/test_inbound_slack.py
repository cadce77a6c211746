"""The Slack receivers with requests signed like Slack signs them (`v0=` HMAC-SHA256 of
`v0:timestamp:body`): the Events API challenge and uninstall, the `/linkhub shorten` and
`/linkhub stats` slash commands answering in text, signed notifications becoming in-app
notifications; forged, missing and replayed (old timestamp) signatures are 401, unknown
installations and teams 404, a retried event id changes nothing."""

from __future__ import annotations

from urllib.parse import urlencode

from linkhub.models import Integration, IntegrationEvent, Link, Notification
from tests.api.inbound_support import (
    HOOKS,
    SECRETS,
    body_of,
    install,
    now,
    slack_headers,
    tracked_click,
)
from tests.conftest import db_snapshot
from tests.redirect.redirect_support import flush

SECRET = SECRETS["slack"]["signingSecret"]
TEAM = "T0001TEAM"


def post(client, path: str, body: bytes, content_type: str, *, secret: str = SECRET,
         timestamp: int | None = None, headers: dict | None = None):
    signed = slack_headers(secret, body, timestamp)
    return client.post(path, data=body, content_type=content_type,
                       headers={**signed, **(headers or {})})


def command(client, text: str, *, installation_id: str | None = None, team: str = TEAM,
            trigger: str = "13345224609.738474920.8088930838d88f008e0", **kw):
    form = {"token": "gIkuvaNzQIHg97ATvDxqgjtO", "team_id": team, "team_domain": "example",
            "enterprise_id": "", "channel_id": "C2147483705", "channel_name": "test",
            "user_id": "U2147483697", "user_name": "Steve", "command": "/linkhub",
            "text": text, "api_app_id": "A123456",
            "response_url": "https://hooks.slack.com/commands/1234/5678",
            "trigger_id": trigger}
    query = f"?installationId={installation_id}" if installation_id else ""
    return post(client, f"{HOOKS}/slack/commands{query}", urlencode(form).encode(),
                "application/x-www-form-urlencoded", **kw)


def callback(client, installation_id: str, event_type: str, event_id: str, **kw):
    payload = {"token": "XXYYZZ", "team_id": TEAM, "api_app_id": "A123456",
               "event": {"type": event_type, "user": "U061F7AUR", "ts": "1515449522.000016",
                         "channel": "C0LAN2Q65", "event_ts": "1515449522000016"},
               "type": "event_callback", "event_id": event_id, "event_time": now(),
               "authed_users": ["U061F7AUR"]}
    return post(client, f"{HOOKS}/slack/events?installationId={installation_id}",
                body_of(payload), "application/json", **kw)


def test_url_verification_answers_the_challenge(client, alice):
    installation = install(client, alice, "slack")
    payload = {"token": "Jhj5dZrVaK7ZwHHjRyZWjbDl", "type": "url_verification",
               "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}
    response = post(client, f"{HOOKS}/slack/events?installationId={installation['id']}",
                    body_of(payload), "application/json")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == payload["challenge"]
    again = post(client, f"{HOOKS}/slack/events?installationId={installation['id']}",
                 body_of(payload), "application/json")
    assert again.get_data(as_text=True) == payload["challenge"]


def test_shorten_creates_a_link_and_answers_its_short_url(app, client, alice):
    install(client, alice, "slack")
    response = command(client, "shorten <https://shop.example/spring-sale|spring sale>")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    link = Link.get(Link.destination_url == "https://shop.example/spring-sale")
    assert link.workspace_id == alice.workspace.id and link.created_by_id == alice.user.id
    assert text.startswith("Short link: ") and f"/{link.short_code} → " in text
    before = db_snapshot(app)
    replay = command(client, "shorten <https://shop.example/spring-sale|spring sale>")
    assert replay.get_data(as_text=True) == text and db_snapshot(app) == before


def test_stats_answers_the_links_clicks(app, client, alice):
    install(client, alice, "slack")
    link, _ = tracked_click(client, alice, shortCode="launch")
    flush(app)
    text = command(client, "stats launch", trigger="t-stats").get_data(as_text=True)
    assert "/launch: 1 click (1 unique), last click 20" in text, text
    assert link["id"] == IntegrationEvent.get(
        IntegrationEvent.provider_event_id == "t-stats").result["linkId"]
    missing = command(client, "stats nope", trigger="t-missing").get_data(as_text=True)
    assert "No link with the code nope" in missing


def test_help_and_bad_urls_answer_without_creating_anything(app, client, alice):
    install(client, alice, "slack")
    assert "Usage" in command(client, "", trigger="t1").get_data(as_text=True)
    assert "Usage" in command(client, "frobnicate", trigger="t2").get_data(as_text=True)
    text = command(client, "shorten javascript:alert(1)", trigger="t3").get_data(as_text=True)
    assert text.startswith("Could not shorten")
    assert Link.select().count() == 0


def test_the_team_finds_the_installation_and_must_match(app, client, alice):
    installation = install(client, alice, "slack")
    before = db_snapshot(app)
    assert command(client, "help", team="T9999OTHER").status_code == 404
    assert command(client, "help", installation_id=installation["id"],
                   team="T9999OTHER").status_code == 401
    assert db_snapshot(app) == before


def test_forged_missing_and_old_signatures_are_401(app, client, alice):
    installation = install(client, alice, "slack")
    before = db_snapshot(app)
    assert command(client, "shorten https://a.example/x",
                   secret="not-the-signing-secret").status_code == 401
    assert command(client, "shorten https://a.example/x",
                   timestamp=now() - 301).status_code == 401
    response = client.post(f"{HOOKS}/slack/commands?installationId={installation['id']}",
                           data="text=help&command=/linkhub",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 401
    assert db_snapshot(app) == before


def test_a_retried_event_changes_nothing_and_uninstall_disconnects(app, client, alice):
    installation = install(client, alice, "slack")
    first = callback(client, installation["id"], "app_mention", "Ev0PV52K21")
    assert first.get_json()["data"]["status"] == "ignored"
    before = db_snapshot(app)
    retry = callback(client, installation["id"], "app_mention", "Ev0PV52K21",
                     headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "timeout"})
    assert retry.get_json()["data"]["duplicate"] is True and db_snapshot(app) == before
    gone = callback(client, installation["id"], "app_uninstalled", "Ev0UNINSTALL")
    assert gone.get_json()["data"]["status"] == "processed"
    assert Integration.get(Integration.public_id == installation["id"]).status == \
        "disconnected"
    assert command(client, "help", trigger="after").status_code == 410


def test_a_signed_notification_reaches_the_owners(app, client, alice):
    installation = install(client, alice, "slack")
    path = f"{HOOKS}/slack/notify/{installation['id']}"
    payload = {"id": "note-1", "title": "Deploy finished",
               "text": "Spring campaign pages are live.", "url": "https://status.example/1"}
    response = post(client, path, body_of(payload), "application/json")
    data = response.get_json()["data"]
    assert response.status_code == 200 and data["status"] == "processed", data
    note = Notification.get(Notification.kind == "integration_notice")
    assert (note.title, note.body, note.url) == ("Deploy finished",
                                                 "Spring campaign pages are live.",
                                                 "https://status.example/1")
    assert note.user_id == alice.user.id and data["result"]["notified"] == 1
    before = db_snapshot(app)
    again = post(client, path, body_of(payload), "application/json").get_json()["data"]
    assert again["duplicate"] is True and db_snapshot(app) == before
    assert post(client, path, body_of({"title": ""}), "application/json").status_code == 400
    assert post(client, f"{HOOKS}/slack/notify/int_0000000000000000", body_of(payload),
                "application/json").status_code == 404
    assert post(client, path, body_of(payload), "application/json",
                secret="forged-secret-1234").status_code == 401

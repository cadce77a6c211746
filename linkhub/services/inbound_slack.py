"""Slack requests: the v0 signature (`X-Slack-Signature` = `v0=` + HMAC-SHA256 of
`v0:timestamp:body` with the signing secret, 5-minute replay window), the Events API
(`url_verification` challenge; app_uninstalled/tokens_revoked disconnect), the `/linkhub`
slash command (`shorten <url>`, `stats <code>`, `help`) and signed notifications posted into
the workspace's in-app notifications."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from linkhub import clock
from linkhub.errors import ApiError, Invalid
from linkhub.models import Integration
from linkhub.services import inbound, integrations, links
from linkhub.services.inbound import BadSignature, Event, InboundRequest, Outcome

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
NOTIFICATION_KIND = "integration_notice"
USAGE = ("Usage: /linkhub shorten <url> makes a short link; /linkhub stats <code> shows a "
         "link's clicks.")
DISCONNECTING = ("app_uninstalled", "tokens_revoked")


def _payload(request: InboundRequest) -> dict[str, Any]:
    """The JSON object body, else the form body (slash commands), else {}."""
    try:
        data = json.loads(request.body)
        if isinstance(data, dict):
            return data
    except ValueError:
        pass
    try:
        form = parse_qs(request.body.decode(), keep_blank_values=True)
    except UnicodeDecodeError:
        return {}
    return {key: values[0] for key, values in form.items()}


def team_of(request: InboundRequest) -> str | None:
    team = _payload(request).get("team_id")
    return team if isinstance(team, str) and team else None


def verify(request: InboundRequest) -> Callable[[Integration, dict[str, str]], None]:
    signature = inbound.header(request, SIGNATURE_HEADER)
    timestamp = inbound.header(request, TIMESTAMP_HEADER)
    team = team_of(request)

    def check(installation: Integration, secrets: dict[str, str]) -> None:
        base = b"v0:" + timestamp.encode() + b":" + request.body
        expected = "v0=" + inbound.hmac_sha256(secrets.get("signingSecret", ""), base).hex()
        if not inbound.same(expected, signature):
            raise BadSignature("The Slack signature does not match.")
        inbound.check_fresh(timestamp)
        configured = (installation.config or {}).get("teamId")
        if team and configured and team != configured:
            raise BadSignature("The Slack team does not match this installation.")

    return check


# --- Events API -------------------------------------------------------------------------------

def parse_event(request: InboundRequest) -> list[Event]:
    payload = _payload(request)
    if payload.get("type") == "url_verification" and isinstance(payload.get("challenge"), str):
        return [Event("url_verification:" + inbound.body_hash(payload["challenge"]),
                      "url_verification", payload)]
    inner = payload.get("event") if isinstance(payload.get("event"), dict) else {}
    if payload.get("type") != "event_callback" or not isinstance(payload.get("event_id"), str):
        raise Invalid(fields={"body": "is not a Slack Events API request"})
    return [Event(payload["event_id"], str(inner.get("type") or "event")[:100], payload)]


def handle_event(installation: Integration, event: Event) -> Outcome:
    if event.type == "url_verification":
        return Outcome("processed", {"challenge": event.payload["challenge"]})
    if event.type in DISCONNECTING:
        integrations.disconnect(installation, f"Slack sent {event.type}.")
        return Outcome("processed", {"status": "disconnected"})
    return Outcome("ignored", {"reason": f"linkhub does not use {event.type} events"})


# --- the /linkhub slash command ---------------------------------------------------------------

def parse_command(request: InboundRequest) -> list[Event]:
    payload = _payload(request)
    if not isinstance(payload.get("command"), str) or not isinstance(payload.get("text"), str):
        raise Invalid(fields={"body": "is not a Slack slash command (command, text)"})
    verb = payload["text"].strip().split(" ", 1)[0].lower() or "help"
    event_id = payload.get("trigger_id") or inbound.body_hash(request.body)
    return [Event(str(event_id)[:255], f"command.{verb}"[:100], payload)]


def _unwrap(text: str) -> str:
    """Slack sends links as `<https://x>` or `<https://x|label>`."""
    text = text.strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1].split("|", 1)[0]
    return text


def _shorten(installation: Integration, argument: str) -> Outcome:
    url = _unwrap(argument)
    if not url:
        return Outcome("ignored", {"reply": USAGE})
    try:
        link = links.create_link(installation.workspace, installation.created_by,
                                 {"destinationUrl": url})
    except ApiError as exc:
        problem = "; ".join(f"{v}" for v in exc.fields.values()) if isinstance(
            exc, Invalid) and exc.fields else exc.message
        return Outcome("ignored", {"reply": f"Could not shorten {url}: {problem}"})
    short = links.short_url(link)
    return Outcome("processed", {"reply": f"Short link: {short} → {url}",
                                 "linkId": link.public_id, "shortUrl": short})


def _stats(installation: Integration, argument: str) -> Outcome:
    code = _unwrap(argument).rsplit("/", 1)[-1]
    try:
        link = links.find_link(installation.workspace, code)
    except ApiError:
        return Outcome("ignored", {"reply": f"No link with the code {code or '(none)'} in "
                                            "this workspace."})
    last = clock.iso(link.last_clicked_at) if link.last_clicked_at else "never"
    return Outcome("processed", {
        "reply": f"{links.short_url(link)}: {link.clicks:,} click"
                 f"{'' if link.clicks == 1 else 's'} ({link.unique_clicks:,} unique), "
                 f"last click {last}.",
        "linkId": link.public_id, "clicks": link.clicks, "uniqueClicks": link.unique_clicks})


def handle_command(installation: Integration, event: Event) -> Outcome:
    verb, _, argument = event.payload["text"].strip().partition(" ")
    verb = verb.lower()
    if verb == "shorten":
        return _shorten(installation, argument)
    if verb == "stats":
        return _stats(installation, argument)
    return Outcome("ignored", {"reply": USAGE})


def reply_of(receipt: inbound.Receipt) -> str:
    """The text Slack shows the user (a replayed command answers the first reply)."""
    if receipt.error:
        return f"linkhub could not run that command: {receipt.error}"
    return (receipt.result or {}).get("reply") or USAGE


# --- signed notifications ---------------------------------------------------------------------

def parse_notification(request: InboundRequest) -> list[Event]:
    payload = _payload(request)
    text = payload.get("text") or payload.get("body")
    title = payload.get("title")
    if not (isinstance(text, str) and text.strip()) and not (
            isinstance(title, str) and title.strip()):
        raise Invalid(fields={"text": "is required (or title)"})
    given = payload.get("id") or payload.get("event_id")
    event_id = str(given) if given else inbound.body_hash(
        request.headers.get(TIMESTAMP_HEADER, ""), request.body)
    return [Event(event_id[:255], "notify", payload)]


def handle_notification(installation: Integration, event: Event) -> Outcome:
    from linkhub.services import notifications

    title = event.payload.get("title") if isinstance(event.payload.get("title"), str) else ""
    text = event.payload.get("text") or event.payload.get("body") or ""
    url = event.payload.get("url")
    url = url if isinstance(url, str) and url.startswith(("https://", "http://")) else None
    count = notifications.notify(installation.workspace, NOTIFICATION_KIND,
                                 (title.strip() or f"From {installation.name}")[:200],
                                 str(text).strip()[:5000], url=url[:2048] if url else None)
    return Outcome("processed", {"notified": count})


# --- the three receivers ----------------------------------------------------------------------

def receive(kind: str, request: InboundRequest,
            installation_id: str | None = None) -> tuple[Integration, list[inbound.Receipt]]:
    """`kind`: events | commands | notify. The installation from the path (notify) or
    `installationId`, else from the payload's `team_id` matched against `teamId`."""
    parse, handle = {"events": (parse_event, handle_event),
                     "commands": (parse_command, handle_command),
                     "notify": (parse_notification, handle_notification)}[kind]
    named = installation_id or request.args.get("installationId")
    return inbound.receive("slack", installation_id=named,
                           ref=None if named or kind == "notify" else team_of(request),
                           verify=verify(request), parse=lambda _: parse(request),
                           handle=handle)

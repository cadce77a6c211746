"""Payload formatters: what one delivery sends for each endpoint kind (`webhook` and `zapier`:
the event JSON signed per Standard Webhooks; `slack`: a human message; `segment`: a track
call). Pure functions: no database, no network."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime
from typing import Any

import standardwebhooks

from linkhub import __version__

USER_AGENT = "linkhub-webhooks/1"
SEGMENT_ENDPOINT = "https://api.segment.io/v1/track"
Request = tuple[str, dict[str, str], bytes]


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def secret_bytes(secret: str) -> bytes:
    """The key inside a `whsec_<base64>` secret (padding optional, as Standard Webhooks)."""
    text = secret[len("whsec_"):] if secret.startswith("whsec_") else secret
    return base64.b64decode(text + "=" * (-len(text) % 4))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, by the standardwebhooks package."""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return standardwebhooks.Webhook(secret).sign(msg_id, moment, body.decode())


def signed_headers(secret: str, msg_id: str, body: bytes) -> dict[str, str]:
    """Standard Webhooks headers plus their `svix-*` copies. The timestamp is the wall clock
    at sending: receivers compare it with their own clock to refuse replays."""
    timestamp = int(time.time())
    signature = sign(secret, msg_id, timestamp, body)
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp),
            "webhook-signature": signature, "svix-id": msg_id,
            "svix-timestamp": str(timestamp), "svix-signature": signature}


def _base(attempt_number: int) -> dict[str, str]:
    return {"Content-Type": "application/json", "User-Agent": USER_AGENT,
            "linkhub-attempt": str(attempt_number)}


def build(webhook: Any, event: Any, attempt_number: int) -> Request:
    """(url, headers, body) for one try of `event` (a WebhookEvent) to `webhook`."""
    payload = event.payload
    kind = webhook.kind or "webhook"
    if kind == "slack":
        headers = _base(attempt_number)
        headers["webhook-id"] = payload["id"]
        return webhook.url, headers, _json(slack_message(payload))
    if kind == "segment":
        return segment_request(webhook, payload, attempt_number)
    body = _json(payload)  # webhook and zapier (REST hook): the event itself, signed
    headers = {**_base(attempt_number), **signed_headers(webhook.secret, payload["id"], body)}
    return webhook.url, headers, body


# --- Slack ------------------------------------------------------------------------------------

def _describe(payload: dict[str, Any]) -> str:
    data = payload.get("data") or {}
    kind = payload.get("type", "")
    code = data.get("shortCode") or data.get("linkId") or "a link"
    if kind in ("link.clicked", "qr.scanned"):
        verb = "scanned" if kind == "qr.scanned" else "clicked"
        where = ", ".join(v for v in (data.get("city"), data.get("country")) if v)
        device = " on ".join(v for v in (data.get("browser"), data.get("os")) if v)
        extra = " · ".join(v for v in (where, device) if v)
        return f"*{code}* was {verb}" + (f" ({extra})" if extra else "")
    if kind.startswith("link."):
        action = kind.split(".", 1)[1]
        target = data.get("destinationUrl") or ""
        return f"Link *{code}* was {action}" + (f" → {target}" if target else "")
    if kind in ("conversion.created", "lead.created", "sale.created"):
        label = {"lead.created": "New lead", "sale.created": "New sale"}.get(kind,
                                                                            "New conversion")
        value = data.get("value")
        money = f" worth {value:g} {data.get('currency') or ''}".rstrip() if isinstance(
            value, (int, float)) else ""
        return f"{label}: *{data.get('event') or 'conversion'}*{money}"
    return f"Event *{kind}*"


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """An incoming-webhook message: plain `text` (notifications) and Block Kit `blocks`."""
    text = _describe(payload)
    return {
        "text": text.replace("*", ""),
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": text}},
            {"type": "context", "elements": [{
                "type": "mrkdwn",
                "text": f"`{payload.get('type')}` · {payload.get('createdAt')} · "
                        f"{payload.get('id')}"}]},
        ],
    }


# --- Segment ----------------------------------------------------------------------------------

def segment_request(webhook: Any, payload: dict[str, Any], attempt_number: int) -> Request:
    """A Segment HTTP Tracking API `track` call to `config.endpoint` (default Segment's own)
    with Basic auth of `config.writeKey`; the endpoint's `url` is not used."""
    config = webhook.config or {}
    data = payload.get("data") or {}
    body: dict[str, Any] = {
        "event": payload["type"], "properties": data, "timestamp": payload.get("createdAt"),
        "messageId": payload["id"],
        "context": {"library": {"name": "linkhub", "version": __version__}},
    }
    if data.get("customerId"):
        body["userId"] = data["customerId"]
    else:
        body["anonymousId"] = data.get("clickId") or payload.get("workspaceId")
    headers = _base(attempt_number)
    key = str(config.get("writeKey") or "")
    headers["Authorization"] = "Basic " + base64.b64encode(f"{key}:".encode()).decode()
    return str(config.get("endpoint") or SEGMENT_ENDPOINT), headers, _json(body)


def redact(headers: dict[str, str]) -> dict[str, str]:
    """Headers as the delivery log stores them (credentials masked)."""
    return {k: ("***" if k.lower() == "authorization" else v) for k, v in headers.items()}

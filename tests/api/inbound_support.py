"""Shared pieces of the integration and inbound-receiver tests: installing through the API, a
real click through a real redirect, and each provider's published signing algorithm computed
here, independently of linkhub's own code."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from linkhub import clock, ids
from tests.redirect.redirect_support import CHROME, make_link, visit

URL = "/api/integrations"
HOOKS = "/api/integrations/webhooks"

SECRETS = {
    "stripe": {"endpointSecret": "whsec_test_9f8e7d6c5b4a39281706f5e4d3c2b1a0"},
    "shopify": {"webhookSecret": "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"},
    "hubspot": {"clientSecret": "c7d1a2b3-e4f5-4a6b-8c9d-0e1f2a3b4c5d"},
    "slack": {"signingSecret": "8f742231b10e8888abcd99yyyzzz85a5"},
    "zapier": {},
}
CONFIG = {"shopify": {"shopDomain": "lh-test-shop.myshopify.com"},
          "hubspot": {"appId": "54321"}, "slack": {"teamId": "T0001TEAM"}}


def install(client, persona, provider: str, **body: Any) -> dict:
    body.setdefault("secrets", SECRETS[provider])
    if provider in CONFIG:
        body.setdefault("config", CONFIG[provider])
    response = client.post(URL, json={"provider": provider, **body}, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def tracked_click(client, persona, **link: Any) -> tuple[dict, str]:
    """A conversion-tracking link visited like a browser: (the link, its click id)."""
    link.setdefault("conversionTracking", True)
    made = make_link(client, persona, **link)
    response = visit(client, "/" + made["shortCode"], ua=CHROME)
    assert response.status_code == 302, response.get_data(as_text=True)
    click_id = dict(parse_qsl(urlsplit(response.headers["Location"]).query))["lw_cid"]
    assert ids.is_valid("click", click_id)
    return made, click_id


def now() -> int:
    """Epoch seconds on the app's clock (tests move it; providers sign with their own)."""
    return int(clock.now().replace(tzinfo=UTC).timestamp())


def body_of(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


# --- the providers' published algorithms ------------------------------------------------------

def stripe_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """https://docs.stripe.com/webhooks#verify-manually: `t=<ts>,v1=<hex HMAC-SHA256 of
    "<ts>.<payload>">`."""
    timestamp = now() if timestamp is None else timestamp
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def shopify_hmac(secret: str, body: bytes) -> str:
    """Base64 of the HMAC-SHA256 of the raw body with the app's secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def hubspot_v3(secret: str, method: str, uri: str, body: bytes, timestamp_ms: int) -> str:
    """Base64 HMAC-SHA256 of method + URI + body + timestamp with the client secret."""
    source = f"{method}{uri}".encode() + body + str(timestamp_ms).encode()
    return base64.b64encode(hmac.new(secret.encode(), source, hashlib.sha256).digest()).decode()


def slack_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """`v0=` + hex HMAC-SHA256 of `v0:<ts>:<body>` with the signing secret."""
    timestamp = now() if timestamp is None else timestamp
    base = f"v0:{timestamp}:".encode() + body
    signature = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Signature": signature, "X-Slack-Request-Timestamp": str(timestamp)}

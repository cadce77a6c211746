"""Helpers shared by the workspace and per-link webhook API tests: create calls, error
readers, a Standard Webhooks check of what a local receiver got, and the hostile URLs."""

from __future__ import annotations

import json
from typing import Any

from standardwebhooks.webhooks import Webhook as Verifier

from linkhub.schemas.webhooks import DeliveryOut, WebhookOut

ALLOW_PRIVATE = {"WEBHOOK_ALLOW_PRIVATE": True}
REFUSED_URLS = (
    "http://127.0.0.1/",
    "http://169.254.169.254/latest/meta-data",
    "http://localhost:8080/hook",
    "http://[::1]/hook",
    "http://10.0.0.8/hook",
    "javascript:alert(1)",
    "ftp://files.example.com/hook",
    "http://user:secret@hooks.example.com/hook",
    "https://:pw@hooks.example.com/hook",
    "hooks.example.com/no-scheme",
    "https://hooks.example.com/" + "a" * 2040,
)


def error_of(response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == code, body
    return body["error"]


def fields_of(response) -> dict[str, str]:
    error = error_of(response, 400, "VALIDATION_ERROR")
    return {d["field"]: d["message"] for d in error["details"]}


def data_of(response, status: int = 200) -> Any:
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_json()["data"]


def webhook_out(data: dict[str, Any]) -> dict[str, Any]:
    WebhookOut.model_validate(data)
    return data


def delivery_out(data: dict[str, Any]) -> dict[str, Any]:
    DeliveryOut.model_validate(data)
    return data


def create_hook(client, persona, base: str = "/api/webhooks-manage", **body) -> dict:
    body.setdefault("url", "http://127.0.0.1:9/hook")
    body.setdefault("events", ["link.created"])
    return webhook_out(data_of(client.post(base, json=body, headers=persona.headers), 201))


def make_link(client, persona, **body) -> dict:
    body.setdefault("destinationUrl", "https://example.com/landing")
    return data_of(client.post("/api/links", json=body, headers=persona.headers), 201)


def verified(secret: str, request: Any) -> dict[str, Any]:
    """The body a receiver got, after checking its Standard Webhooks signature (raises if it
    does not verify)."""
    Verifier(secret).verify(request.body, request.headers)
    return json.loads(request.body)

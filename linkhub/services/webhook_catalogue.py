"""The webhook event catalogue: every event type with its description, the JSON schema of its
`data`, its per-link alias and whether it is reserved for later; plus a sample `data` per type
(test sends, Zapier samples). Data only: no database, no sending."""

from __future__ import annotations

import copy
import json
from typing import Any

_STR = {"type": ["string", "null"]}
_NUM = {"type": ["number", "null"]}
_TIME = {"type": ["string", "null"], "format": "date-time"}

LINK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "shortCode", "shortUrl", "destinationUrl", "createdAt"],
    "properties": {
        "id": {"type": "string", "pattern": "^link_"}, "shortCode": {"type": "string"},
        "shortUrl": {"type": "string"}, "domain": {"type": "string"}, "domainId": _STR,
        "destinationUrl": _STR, "title": _STR, "description": _STR, "externalId": _STR,
        "campaignId": _STR, "folderId": _STR, "tags": {"type": "array",
                                                      "items": {"type": "string"}},
        "enabled": {"type": "boolean"}, "archived": {"type": "boolean"},
        "expiresAt": _TIME, "clicks": {"type": "integer"}, "createdAt": _TIME,
        "updatedAt": _TIME,
    },
    "additionalProperties": True,
}

CLICK_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["clickId", "linkId", "shortCode", "trigger", "timestamp"],
    "properties": {
        "clickId": {"type": "string", "pattern": "^clk_"}, "linkId": _STR, "shortCode": _STR,
        "trigger": {"enum": ["link", "qr", "deeplink"]}, "unique": {"type": "boolean"},
        "country": _STR, "city": _STR, "device": _STR, "browser": _STR, "os": _STR,
        "referrer": _STR, "referrerDomain": _STR, "ruleId": _STR, "destinationUrl": _STR,
        "timestamp": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": False,
}

CONVERSION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "event", "kind", "status", "createdAt"],
    "properties": {
        "id": {"type": "string", "pattern": "^conv_"}, "clickId": _STR, "linkId": _STR,
        "campaignId": _STR, "customerId": _STR, "pixelId": _STR,
        "event": {"type": "string"}, "kind": {"enum": ["lead", "sale", "custom"]},
        "status": {"type": "string"}, "source": _STR, "value": _NUM, "currency": _STR,
        "valueUsd": _NUM, "payout": _NUM, "orderId": _STR,
        "metadata": {"type": ["object", "null"]}, "country": _STR, "occurredAt": _TIME,
        "createdAt": _TIME,
    },
    "additionalProperties": True,
}

RESERVED_SCHEMA: dict[str, Any] = {"type": "object", "additionalProperties": True}


def _entry(description: str, schema: dict[str, Any], alias: str | None = None,
           reserved: bool = False, group: str = "links") -> dict[str, Any]:
    return {"description": description, "schema": schema, "linkAlias": alias,
            "reserved": reserved, "group": group}


CATALOGUE: dict[str, dict[str, Any]] = {
    "link.created": _entry("A link was created (API, dashboard, bulk or upsert; imports "
                           "send none per link).",
                           LINK_SCHEMA),
    "link.updated": _entry("A link was changed, archived, restored or moved.", LINK_SCHEMA),
    "link.deleted": _entry("A link was deleted (or moved to another workspace).", LINK_SCHEMA),
    "link.clicked": _entry("Someone (not a bot) followed a short link.", CLICK_SCHEMA,
                           "click", group="clicks"),
    "qr.scanned": _entry("Someone (not a bot) scanned a link's QR code.", CLICK_SCHEMA,
                         "qr_scan", group="clicks"),
    "conversion.created": _entry("A conversion was recorded (any kind).", CONVERSION_SCHEMA,
                                 "conversion", group="conversions"),
    "lead.created": _entry("A lead conversion was recorded (sign-up, lead, trial...).",
                           CONVERSION_SCHEMA, group="conversions"),
    "sale.created": _entry("A sale conversion was recorded (purchase, sale, order...).",
                           CONVERSION_SCHEMA, group="conversions"),
    "partner.*": _entry("Partner lifecycle (reserved for partner programs).",
                        RESERVED_SCHEMA, reserved=True, group="partners"),
    "commission.*": _entry("Commissions (reserved for partner programs).", RESERVED_SCHEMA,
                           reserved=True, group="partners"),
    "bounty.*": _entry("Bounties (reserved for partner programs).", RESERVED_SCHEMA,
                       reserved=True, group="partners"),
    "payout.*": _entry("Payouts (reserved for partner programs).", RESERVED_SCHEMA,
                       reserved=True, group="partners"),
}

_LINK_SAMPLE: dict[str, Any] = {
    "id": "link_0123456789abcdef", "shortCode": "spring-sale",
    "shortUrl": "https://lnk.example/spring-sale", "domain": "lnk.example", "domainId": None,
    "destinationUrl": "https://shop.example/spring", "title": "Spring sale",
    "description": None, "externalId": None, "campaignId": None, "folderId": None,
    "tags": ["newsletter"], "enabled": True, "archived": False, "expiresAt": None,
    "clicks": 42, "createdAt": "2026-03-01T09:00:00.000Z",
    "updatedAt": "2026-03-01T09:00:00.000Z",
}
_CLICK_SAMPLE: dict[str, Any] = {
    "clickId": "clk_0123456789abcdef", "linkId": "link_0123456789abcdef",
    "shortCode": "spring-sale", "trigger": "link", "unique": True, "country": "DE",
    "city": "Berlin", "device": "mobile", "browser": "Safari", "os": "iOS",
    "referrer": "https://news.example/", "referrerDomain": "news.example", "ruleId": None,
    "destinationUrl": "https://shop.example/spring", "timestamp": "2026-03-01T09:05:00.000Z",
}
_CONVERSION_SAMPLE: dict[str, Any] = {
    "id": "conv_0123456789abcdef", "clickId": "clk_0123456789abcdef",
    "linkId": "link_0123456789abcdef", "campaignId": None, "customerId": None,
    "pixelId": None, "event": "purchase", "kind": "sale", "status": "approved",
    "source": "api", "value": 49.9, "currency": "EUR", "valueUsd": 54.12, "payout": None,
    "orderId": "order-1001", "metadata": {}, "country": "DE",
    "occurredAt": "2026-03-01T09:30:00.000Z", "createdAt": "2026-03-01T09:30:00.000Z",
}


def sample(type_: str) -> dict[str, Any]:
    """A sample `data` for `type_` that matches its schema (a fresh copy each call)."""
    if type_.startswith("link.") and type_ != "link.clicked":
        return copy.deepcopy(_LINK_SAMPLE)
    if type_ == "link.clicked":
        return copy.deepcopy(_CLICK_SAMPLE)
    if type_ == "qr.scanned":
        return {**copy.deepcopy(_CLICK_SAMPLE), "trigger": "qr", "referrer": None,
                "referrerDomain": None}
    if type_ in ("conversion.created", "sale.created"):
        return copy.deepcopy(_CONVERSION_SAMPLE)
    if type_ == "lead.created":
        return {**copy.deepcopy(_CONVERSION_SAMPLE), "event": "signup", "kind": "lead",
                "value": None, "valueUsd": None, "currency": None, "orderId": None}
    return {}


def markdown() -> str:
    """docs/webhook-events.md: the catalogue as a page (a test keeps the file equal to this;
    `make webhook-docs` rewrites it)."""
    lines = [
        "# Webhook events", "",
        "Generated from `linkhub/services/webhook_catalogue.py` (`make webhook-docs`); the "
        "same catalogue is served at `GET /api/webhooks-manage/events`.", "",
        "Every delivery is a JSON body `{id, type, createdAt, workspaceId, data}` signed per "
        "Standard Webhooks: `webhook-id` (the event id, stable across retries: deduplicate on "
        "it), `webhook-timestamp` (Unix seconds) and `webhook-signature: v1,<base64 "
        "HMAC-SHA256 of id.timestamp.body>` keyed with the `whsec_` secret, plus `svix-*` "
        "copies. Retries back off 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; 20 failures in a "
        "row disable the endpoint.", "",
        "| Event | Per-link name | What happened |", "|---|---|---|",
    ]
    for name, info in CATALOGUE.items():
        alias = f"`{info['linkAlias']}`" if info["linkAlias"] else ""
        note = " (reserved)" if info["reserved"] else ""
        lines.append(f"| `{name}` | {alias} | {info['description']}{note} |")
    for name, info in CATALOGUE.items():
        if info["reserved"]:
            continue
        lines += ["", f"## `{name}`", "", info["description"], "", "Schema of `data`:", "",
                  "```json", json.dumps(info["schema"], indent=2), "```", "",
                  "Sample `data`:", "", "```json", json.dumps(sample(name), indent=2), "```"]
    return "\n".join(lines) + "\n"

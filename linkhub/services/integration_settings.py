"""The integration provider table (which secrets and non-secret settings each provider takes,
their defaults) and the checks of an installation's name, settings, secrets and status. Pure
values: no database, no HTTP."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from linkhub.errors import Invalid
from linkhub.services.conversion_values import currency_code, event_name

STATUSES = ("active", "paused", "error", "disconnected")
SETTABLE_STATUSES = ("active", "paused", "disconnected")  # `error` is set by the receivers
NAME_MAX = 200
SECRET_MAX = 500
TEXT_MAX = 255
_SHOP_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}(\.[a-z0-9][a-z0-9-]{0,62})+$")


@dataclass(frozen=True)
class Option:
    """One non-secret setting: its kind (text|bool|event|currency|host|digits), default."""

    kind: str
    default: Any = None
    required: bool = False


@dataclass(frozen=True)
class Provider:
    label: str
    secrets: tuple[str, ...] = ()  # all required
    config: dict[str, Option] = field(default_factory=dict)
    ref: str | None = None  # the config key receivers look installations up by


_ATTRIBUTION = {"saleEvent": Option("event", "purchase"),
                "recordUnattributed": Option("bool", False)}
PROVIDERS: dict[str, Provider] = {
    "stripe": Provider("Stripe", ("endpointSecret",),
                       {"accountId": Option("text"), **_ATTRIBUTION}, ref="accountId"),
    "shopify": Provider("Shopify", ("webhookSecret",),
                        {"shopDomain": Option("host", required=True), **_ATTRIBUTION},
                        ref="shopDomain"),
    "hubspot": Provider("HubSpot", ("clientSecret",), {
        "appId": Option("digits"), "leadEvent": Option("event", "lead"), **_ATTRIBUTION,
        "closedWonStage": Option("text", "closedwon"), "currency": Option("currency", "USD"),
        "clickProperty": Option("text", "lw_cid")}, ref="appId"),
    "slack": Provider("Slack", ("signingSecret",),
                      {"teamId": Option("text"), "appId": Option("text")}, ref="teamId"),
    "zapier": Provider("Zapier"),
}


# --- value checks -----------------------------------------------------------------------------

def provider(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in PROVIDERS:
        raise Invalid(fields={"provider": f"must be one of {', '.join(PROVIDERS)}"})
    return value.strip().lower()


def name(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise Invalid(fields={"name": "must be a string"})
    value = value.strip()
    if len(value) > NAME_MAX or any(ord(ch) < 32 for ch in value):
        raise Invalid(fields={"name": f"must be at most {NAME_MAX} printable characters"})
    return value


def _option(option: Option, value: Any, where: str) -> Any:
    if option.kind == "bool":
        if not isinstance(value, bool):
            raise Invalid(fields={where: "must be true or false"})
        return value
    if not isinstance(value, str) or not value.strip():
        raise Invalid(fields={where: "must be a non-empty string"})
    value = value.strip()
    if len(value) > TEXT_MAX or any(ord(ch) < 32 for ch in value):
        raise Invalid(fields={where: f"must be at most {TEXT_MAX} printable characters"})
    if option.kind == "event":
        try:
            return event_name(value)
        except Invalid as exc:
            raise Invalid(fields={where: exc.fields["event"]}) from None
    if option.kind == "currency":
        try:
            return currency_code(value)
        except Invalid as exc:
            raise Invalid(fields={where: exc.fields["currency"]}) from None
    if option.kind == "host" and not _SHOP_RE.fullmatch(value.lower().rstrip(".")):
        raise Invalid(fields={where: "must be a host name such as your-shop.myshopify.com"})
    if option.kind == "digits" and not value.isdigit():
        raise Invalid(fields={where: "must be digits"})
    return value.lower().rstrip(".") if option.kind == "host" else value


def config(spec: Provider, given: Any, stored: dict[str, Any],
            problems: dict[str, str]) -> dict[str, Any]:
    """Merge `given` (null resets a key to its default) over `stored`, checking each value."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        problems["config"] = "must be an object"
        return stored
    merged = dict(stored)
    for key, value in given.items():
        option = spec.config.get(key)
        if option is None:
            problems[f"config.{key}"] = (f"is not a {spec.label} setting (known: "
                                         f"{', '.join(spec.config) or 'none'})")
        elif value is None:
            merged.pop(key, None)
        else:
            try:
                merged[key] = _option(option, value, f"config.{key}")
            except Invalid as exc:
                problems.update(exc.fields)
    for key, option in spec.config.items():
        if option.required and key not in merged and f"config.{key}" not in problems:
            problems[f"config.{key}"] = "is required"
    return merged


def secrets(spec: Provider, given: Any, stored: dict[str, str],
             problems: dict[str, str]) -> dict[str, str]:
    """Merge `given` secrets over `stored`; every secret of the provider must end up set."""
    if given is None:
        given = {}
    if not isinstance(given, dict):
        problems["secrets"] = "must be an object"
        return stored
    merged = dict(stored)
    for key, value in given.items():
        where = f"secrets.{key}"
        if key not in spec.secrets:
            problems[where] = (f"is not a {spec.label} secret (known: "
                               f"{', '.join(spec.secrets) or 'none'})")
        elif not isinstance(value, str) or not 8 <= len(value.strip()) <= SECRET_MAX:
            problems[where] = f"must be a string of 8 to {SECRET_MAX} characters"
        elif key == "endpointSecret" and not value.strip().startswith("whsec_"):
            problems[where] = "must be the endpoint's signing secret (whsec_…)"
        else:
            merged[key] = value.strip()
    for key in spec.secrets:
        if key not in merged and f"secrets.{key}" not in problems:
            problems[f"secrets.{key}"] = "is required"
    return merged


def status(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in SETTABLE_STATUSES:
        raise Invalid(fields={"status": f"must be one of {', '.join(SETTABLE_STATUSES)}"})
    return value.strip().lower()

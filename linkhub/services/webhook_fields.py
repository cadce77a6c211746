"""The field rules of webhook endpoints (URL, events, description, enabled): each bad value is
an Invalid naming its field, and every problem of a request is reported together. Shared by
workspace and per-link endpoints and by the outbound integrations."""

from __future__ import annotations

import urllib.parse
from collections.abc import Mapping
from typing import Any

from flask import current_app

from linkhub.errors import Invalid
from linkhub.services import net_guard, webhook_events
from linkhub.services.field_checks import boolean, checked

URL_MAX = 2048
DESCRIPTION_MAX = 200
EVENTS_MAX = 50
NOT_NULL = ("url", "events", "enabled")


def allow_private() -> bool:
    return bool(current_app.config["LINKHUB"].get("WEBHOOK_ALLOW_PRIVATE", False))


def clean_url(value: Any) -> str:
    """An absolute http(s) URL of at most 2,048 characters whose host is not private (unless
    WEBHOOK_ALLOW_PRIVATE is on); the address is checked again at every delivery."""
    url = value.strip() if isinstance(value, str) else value
    if url is None or url == "":
        raise Invalid(fields={"url": "is required"})
    if not isinstance(url, str):
        raise Invalid(fields={"url": "must be a string"})
    if len(url) > URL_MAX:
        raise Invalid(fields={"url": f"must be at most {URL_MAX} characters"})
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        raise Invalid(fields={"url": "is not a valid URL"}) from None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise Invalid(fields={"url": "must be an absolute http:// or https:// URL"})
    net_guard.check_url(url, allow_private=allow_private())
    return url


def _family_reserved(name: str) -> bool:
    """`partner.created` when the catalogue reserves the family as `partner.*`."""
    return any(info.get("reserved") and key.endswith(".*") and name.startswith(key[:-1])
               for key, info in webhook_events.CATALOGUE.items())


def aliases() -> dict[str, str]:
    """Per-link short names -> dotted event types (`click` -> `link.clicked`)."""
    return {info["linkAlias"]: key for key, info in webhook_events.CATALOGUE.items()
            if info.get("linkAlias")}


def selectable_events(scope: str) -> list[str]:
    """The event types an endpoint of `scope` may subscribe to, in catalogue order."""
    return [key for key, info in webhook_events.CATALOGUE.items()
            if not info.get("reserved") and "*" not in key
            and (scope == "workspace" or info.get("linkAlias"))]


def _event_type(name: Any, scope: str) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("must be an event type name")
    name = name.strip()
    full = aliases().get(name, name)
    info = webhook_events.CATALOGUE.get(full)
    if (info is not None and info.get("reserved")) or (info is None and _family_reserved(full)):
        raise ValueError(f"reserved for partner programs, which this install does not offer "
                         f"yet ({full}): it cannot be subscribed to")
    if info is None or "*" in full:
        raise ValueError(f"unknown event type {name!r}; see GET /api/webhooks-manage/events")
    if scope == "link" and not info.get("linkAlias"):
        names = ", ".join(sorted(aliases()))
        raise ValueError(f"not a per-link event ({full}); a link webhook takes {names}")
    return full


def clean_events(value: Any, scope: str) -> list[str]:
    """A non-empty list of catalogue event types (aliases become dotted names, duplicates go,
    order is kept). Every bad item is named."""
    if not isinstance(value, list):
        raise Invalid(fields={"events": "must be a list of event types"})
    if not value:
        raise Invalid(fields={"events": "choose at least one event"})
    if len(value) > EVENTS_MAX:
        raise Invalid(fields={"events": f"must list at most {EVENTS_MAX} events"})
    problems: dict[str, str] = {}
    events: list[str] = []
    for index, item in enumerate(value):
        try:
            full = _event_type(item, scope)
        except ValueError as exc:
            problems[f"events.{index}"] = str(exc)
            continue
        if full not in events:
            events.append(full)
    if problems:
        raise Invalid(fields=problems)
    return events


def _description(value: Any) -> str | None:
    text = value.strip() if isinstance(value, str) else value
    if text is None or text == "":
        return None
    if not isinstance(text, str):
        raise Invalid(fields={"description": "must be a string"})
    if len(text) > DESCRIPTION_MAX:
        raise Invalid(fields={"description": f"must be at most {DESCRIPTION_MAX} characters"})
    return text



def changes(data: Mapping[str, Any], scope: str) -> dict[str, Any]:
    """Check every given field (all problems reported together); API names -> columns."""
    checks = {
        "url": ("url", clean_url),
        "events": ("events", lambda v: clean_events(v, scope)),
        "description": ("name", _description),
        "enabled": ("enabled", lambda v: boolean(v, "enabled")),
    }
    return checked(data, checks,
                   {k: "cannot be null" for k in NOT_NULL if k in data and data[k] is None})

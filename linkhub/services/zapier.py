"""Zapier REST hooks: a subscription is an outbound destination of kind `zapier` for one event
(created and deleted through services/outbound.py), plus the sample payloads, dropdown lists
and the auth test Zapier's app calls. No HTTP routing here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from linkhub import clock
from linkhub.errors import Invalid, NotFound
from linkhub.models import ApiKey, Campaign, Link, User, Webhook, Workspace
from linkhub.services import outbound, webhook_events
from linkhub.services.links import short_url

KIND = "zapier"


def subscribe(workspace: Workspace, actor: User | None, data: Mapping[str, Any]) -> Webhook:
    """`hookUrl` (Zapier's target URL) and `event` are required; one destination per call."""
    problems: dict[str, str] = {}
    event = None
    try:
        event = outbound.event_type(data.get("event"), "event")
    except Invalid as exc:
        problems.update(exc.fields)
    hook_url = data.get("hookUrl")
    if hook_url is None or (isinstance(hook_url, str) and not hook_url.strip()):
        problems["hookUrl"] = "is required"
    if problems:
        raise Invalid(fields=problems)
    try:
        return outbound.create_destination(workspace, actor, {
            "kind": KIND, "name": f"Zapier: {event}", "url": hook_url, "events": [event]})
    except Invalid as exc:  # outbound names the target `url`
        raise Invalid(fields={("hookUrl" if k == "url" else k): v
                              for k, v in exc.fields.items()}) from None


def unsubscribe(workspace: Workspace, actor: User | None, public_id: str) -> None:
    """Delete one Zapier subscription of the workspace (404 for anything else)."""
    row = outbound.get_destination(workspace, public_id, kind=KIND)
    outbound.delete_destination(workspace, actor, row)


def subscription_json(row: Webhook) -> dict[str, Any]:
    return {"id": row.public_id, "event": (row.events or [""])[0], "hookUrl": row.url,
            "createdAt": clock.iso(row.created_at)}


def sample(workspace: Workspace, event: str) -> dict[str, Any]:
    """A made-up event of type `event` shaped like what the hook receives (404 when the type
    is unknown or reserved)."""
    try:
        name = outbound.event_type(event)
    except Invalid:
        raise NotFound("Unknown event type: see /api/integrations/webhooks/zapier/events.") \
            from None
    return {"id": "evt_sample", "type": name, "createdAt": clock.iso(clock.now()),
            "workspaceId": workspace.public_id, "data": webhook_events.sample(name)}


def link_choices(workspace: Workspace, *, offset: int = 0,
                 limit: int = 20) -> tuple[list[dict[str, Any]], int]:
    """The workspace's live links, newest first, as dropdown entries."""
    query = Link.select().where(Link.workspace == workspace, Link.deleted_at.is_null())
    total = query.count()
    rows = query.order_by(Link.created_at.desc(), Link.id.desc()).offset(offset).limit(limit)
    out = []
    for link in rows:
        url = short_url(link)
        out.append({"id": link.public_id, "shortCode": link.short_code, "shortUrl": url,
                    "title": link.title, "destinationUrl": link.destination_url or "",
                    "label": f"{link.title} ({url})" if link.title else url})
    return out, total


def campaign_choices(workspace: Workspace, *, offset: int = 0,
                     limit: int = 20) -> tuple[list[dict[str, Any]], int]:
    """The workspace's campaigns by name, as dropdown entries."""
    query = Campaign.select().where(Campaign.workspace == workspace)
    total = query.count()
    rows = query.order_by(Campaign.name.asc(), Campaign.id.asc()).offset(offset).limit(limit)
    return [{"id": c.public_id, "name": c.name, "label": c.name} for c in rows], total


def auth_info(workspace: Workspace, user: User | None, api_key: ApiKey | None) -> dict[str, Any]:
    """What Zapier's connection test shows: the workspace, the key and its owner."""
    return {
        "workspace": {"id": workspace.public_id, "name": workspace.name},
        "apiKey": None if api_key is None else {
            "id": api_key.public_id, "name": api_key.name, "prefix": api_key.lookup,
            "scopes": list(api_key.scopes or [])},
        "user": None if user is None else {"id": user.public_id, "email": user.email,
                                           "name": user.name},
    }

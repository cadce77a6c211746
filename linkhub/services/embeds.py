"""Embed tokens: create, list, read, rotate and revoke the `/embed/<token>` widgets (`stats`,
`timeseries`, `top_referrers`) over a link, a campaign or the workspace; the public token
lookup (never cached) and the widget data. The figures are services/public_shares.figures."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from html import escape
from typing import Any

from peewee import JOIN

from linkhub import clock, ids
from linkhub.errors import Conflict, Invalid, NotFound
from linkhub.models import Campaign, EmbedToken, Link, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit, campaigns, public_shares, rules
from linkhub.services.analytics import rollups
from linkhub.services.analytics.rollups import Scope

WIDGETS = ("stats", "timeseries", "top_referrers")
NODES = {"embed_stats": "stats", "embed_timeseries": "timeseries",
         "embed_top_referrers": "top_referrers"}
# what each widget shows (public_shares.METRICS names)
WIDGET_METRICS = {"stats": ("clicks", "uniqueClicks"), "timeseries": ("clicks", "timeseries"),
                  "top_referrers": ("referrers",)}
FRAME_HEIGHTS = {"stats": 140, "timeseries": 280, "top_referrers": 340}
NAME_MAX = 100
TOUCH_EVERY = timedelta(seconds=60)
GONE = "This embed does not exist or was revoked."


# --- widget choice ----------------------------------------------------------------------------

def widget_of(args: Mapping[str, str], default: str | None = None) -> str:
    """The widget asked for by `node` (embed_stats, embed_timeseries, embed_top_referrers) or
    `widgetType` (stats, timeseries, top_referrers); both given must agree."""
    node = (args.get("node") or "").strip()
    kind = (args.get("widgetType") or "").strip()
    problems: dict[str, str] = {}
    if node and node not in NODES:
        problems["node"] = f"must be one of {', '.join(NODES)}"
    if kind and kind not in WIDGETS:
        problems["widgetType"] = f"must be one of {', '.join(WIDGETS)}"
    if not problems and node and kind and NODES[node] != kind:
        problems["widgetType"] = f"does not match node {node}"
    if not problems and not node and not kind and default is None:
        problems["node"] = "is required (or widgetType)"
    if problems:
        raise Invalid(fields=problems)
    return NODES.get(node) or kind or default


def node_of(widget: str) -> str:
    return f"embed_{widget}"


# --- scope ------------------------------------------------------------------------------------

def _scope_refs(workspace: Workspace, data: Mapping[str, Any]) -> tuple[Link | None,
                                                                          Campaign | None]:
    link_id, campaign_id = data.get("linkId"), data.get("campaignId")
    if link_id is not None and campaign_id is not None:
        raise Invalid(fields={"campaignId": "give linkId or campaignId, not both"})
    if link_id is not None:
        return rules.live_link(workspace, link_id), None
    if campaign_id is not None:
        return None, campaigns.get_campaign(workspace, campaign_id)
    return None, None


def scope_of(token: EmbedToken, workspace: Workspace) -> tuple[Scope, str, str]:
    """(scope, kind, title) of a token; 404 when its link was deleted or moved away."""
    if token.link_id is not None:
        link = Link.get_or_none(Link.id == token.link_id, Link.workspace == workspace,
                                Link.deleted_at.is_null())
        if link is None:
            raise NotFound(GONE)
        return Scope(workspace, [link.id], link_id=link.id), "link", link.title or link.short_code
    if token.campaign_id is not None:
        campaign = Campaign.get_by_id(token.campaign_id)  # deleting a campaign deletes its tokens
        return Scope.of_campaign(workspace, campaign.id), "campaign", campaign.name
    return Scope(workspace), "workspace", workspace.name


# --- writes -----------------------------------------------------------------------------------

def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    problems: dict[str, str] = {}
    name = data.get("name")
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        problems["name"] = "is required"
    elif len(name) > NAME_MAX:
        problems["name"] = f"must be at most {NAME_MAX} characters"
    widget = data.get("widget")
    if widget not in WIDGETS:
        problems["widget"] = f"must be one of {', '.join(WIDGETS)}"
    if problems:
        raise Invalid(fields=problems)
    return {"name": name, "widget": widget}


def create(workspace: Workspace, actor: User | None, data: Mapping[str, Any]) -> EmbedToken:
    """`name` and `widget` required; `linkId` or `campaignId` narrows it (none: the whole
    workspace). 400 on a bad field, 404 on another workspace's link or campaign."""
    values = _clean(data)
    link, campaign = _scope_refs(workspace, data)
    token = EmbedToken.create(public_id=ids.new_id("embed"), workspace=workspace,
                              token=public_shares.new_token(), link=link, campaign=campaign,
                              created_by=actor, **values)
    audit.record("embed.create", "embed", token.public_id, workspace=workspace, actor=actor,
                 details={"name": token.name, "widget": token.widget,
                          "linkId": link.public_id if link else None,
                          "campaignId": campaign.public_id if campaign else None})
    return token


def list_tokens(workspace: Workspace, page: Page, *,
                include_revoked: bool = False) -> tuple[list[EmbedToken], int]:
    query = (EmbedToken.select(EmbedToken, Link, Campaign)
             .join(Link, JOIN.LEFT_OUTER, on=(EmbedToken.link == Link.id))
             .switch(EmbedToken).join(Campaign, JOIN.LEFT_OUTER,
                                      on=(EmbedToken.campaign == Campaign.id))
             .where(EmbedToken.workspace == workspace))
    if not include_revoked:
        query = query.where(EmbedToken.revoked_at.is_null())
    total = query.count()
    rows = list(query.order_by(EmbedToken.created_at.desc(), EmbedToken.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, total


def get(workspace: Workspace, embed_id: str) -> EmbedToken:
    """The workspace's token with this `emb_` id (revoked ones too); 404 otherwise."""
    token = None
    if ids.is_valid("embed", embed_id):
        token = EmbedToken.get_or_none(EmbedToken.workspace == workspace,
                                       EmbedToken.public_id == embed_id)
    if token is None:
        raise NotFound("Embed not found.")
    return token


def rotate(workspace: Workspace, actor: User | None, token: EmbedToken) -> EmbedToken:
    """A new token value; pages using the old one answer 404 at once."""
    if token.revoked_at is not None:
        raise Conflict(message="The embed is revoked; create a new one instead.")
    token.token = public_shares.new_token()
    token.rotated_at = clock.now()
    token.save()
    audit.record("embed.rotate", "embed", token.public_id, workspace=workspace, actor=actor)
    return token


def revoke(workspace: Workspace, actor: User | None, token: EmbedToken) -> EmbedToken:
    """Stops the widget at once; the row stays (revoked) for the record. Repeating is
    harmless."""
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save()
        audit.record("embed.revoke", "embed", token.public_id, workspace=workspace,
                     actor=actor)
    return token


# --- public use -------------------------------------------------------------------------------

@dataclass(frozen=True)
class EmbedView:
    token: EmbedToken
    workspace: Workspace
    kind: str  # link | campaign | workspace
    title: str
    scope: Scope


def find_public(raw: str | None) -> EmbedView:
    """The live token behind `raw`, read from the database on every call (a rotation or a
    revocation answers 404 from the next request on)."""
    if not public_shares.looks_like_token(raw):
        raise NotFound(GONE)
    token = EmbedToken.get_or_none(EmbedToken.token == raw)
    if token is None or token.revoked_at is not None:
        raise NotFound(GONE)
    workspace = Workspace.get_by_id(token.workspace_id)
    scope, kind, title = scope_of(token, workspace)
    now = clock.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        EmbedToken.update(last_used_at=now).where(EmbedToken.id == token.id).execute()
        token.last_used_at = now
    return EmbedView(token, workspace, kind, title, scope)


def widget_data(widget: str, scope: Scope, kind: str, title: str, workspace: Workspace,
                args: Mapping[str, str], scope_ids: dict[str, str | None]) -> dict[str, Any]:
    """One widget's answer: `node`, `widgetType`, `scope`, `range` and its figures. The range
    (400) and `limit` (top_referrers, 1-50, default 10) come from `args`."""
    rng = public_shares.public_range(args, workspace)
    limit = public_shares.row_limit(args) if widget == "top_referrers" else 0
    body = public_shares.figures(scope, rng, WIDGET_METRICS[widget], limit or 10)
    return {"node": node_of(widget), "widgetType": widget,
            "scope": {"type": kind, "title": title, **scope_ids}, **body}


def public_data(view: EmbedView, args: Mapping[str, str]) -> dict[str, Any]:
    """The data of a token's own widget (what `/embed/<token>.json` answers). A `node` or
    `widgetType` naming another widget is a 400: a token unlocks its own widget only."""
    widget = view.token.widget
    if widget_of(args, default=widget) != widget:
        raise Invalid(fields={"node": f"this token serves the {node_of(widget)} widget only"})
    return widget_data(widget, view.scope, view.kind, view.title, view.workspace, args,
                       _ids(view.token))


def workspace_data(workspace: Workspace, args: Mapping[str, str]) -> dict[str, Any]:
    """A signed-in caller's preview of any widget over the workspace, or the `linkId` /
    `campaignId` it names (404 when not the workspace's)."""
    scope = rollups.resolve_scope(workspace, args)
    widget = widget_of(args)
    link_id = str(args.get("linkId") or "").strip() or None
    campaign_id = None if link_id else (str(args.get("campaignId") or "").strip() or None)
    if scope.link_id is not None:
        link = Link.get_by_id(scope.link_id)
        kind, title = "link", link.title or link.short_code
    elif scope.campaign_id is not None:
        kind, title = "campaign", Campaign.get_by_id(scope.campaign_id).name
    else:
        kind, title = "workspace", workspace.name
    return widget_data(widget, scope, kind, title, workspace, args,
                       {"linkId": link_id, "campaignId": campaign_id})


def _ids(token: EmbedToken) -> dict[str, str | None]:
    link = Link.get_by_id(token.link_id) if token.link_id is not None else None
    campaign = Campaign.get_by_id(token.campaign_id) if token.campaign_id is not None else None
    return {"linkId": link.public_id if link else None,
            "campaignId": campaign.public_id if campaign else None}


# --- output -----------------------------------------------------------------------------------

def url_of(token: EmbedToken) -> str:
    return f"{public_shares.base_url()}/embed/{token.token}"


def snippet(token: EmbedToken) -> str:
    """The copy-paste `<iframe>` for the token's widget."""
    return (f'<iframe src="{escape(url_of(token))}" title="{escape(token.name)}" '
            f'width="100%" height="{FRAME_HEIGHTS[token.widget]}" style="border:0" '
            f'loading="lazy"></iframe>')


def serialize(token: EmbedToken) -> dict[str, Any]:
    live = token.revoked_at is None
    link = token.link if token.link_id is not None else None
    campaign = token.campaign if token.campaign_id is not None else None
    creator = token.created_by if token.created_by_id is not None else None
    return {
        "id": token.public_id, "name": token.name, "widget": token.widget,
        "node": node_of(token.widget),
        "scope": "link" if link else "campaign" if campaign else "workspace",
        "linkId": link.public_id if link else None,
        "campaignId": campaign.public_id if campaign else None,
        "token": token.token if live else None,
        "url": url_of(token) if live else None,
        "jsonUrl": f"{url_of(token)}.json" if live else None,
        "snippet": snippet(token) if live else None,
        "revoked": not live, "revokedAt": clock.iso(token.revoked_at),
        "rotatedAt": clock.iso(token.rotated_at), "lastUsedAt": clock.iso(token.last_used_at),
        "createdBy": creator.public_id if creator else None,
        "createdAt": clock.iso(token.created_at), "updatedAt": clock.iso(token.updated_at),
    }

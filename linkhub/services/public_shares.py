"""Public stats shares: the per-link and per-campaign toggle with the metrics the owner makes
public, token rotation, `Link.public_stats` kept in step, the public token lookup (never
cached), and the public figures (also used by embeds). Numbers come from services/analytics."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import Invalid, NotFound
from linkhub.models import Campaign, Link, PublicShare, User, Workspace
from linkhub.services import audit
from linkhub.services.analytics import breakdowns, ranges, rollups
from linkhub.services.analytics.ranges import Range
from linkhub.services.analytics.rollups import Scope

METRICS = ("clicks", "uniqueClicks", "timeseries", "countries", "devices", "browsers", "os",
           "referrers")
DEFAULT_METRICS = ("clicks", "uniqueClicks", "timeseries")
# Query parameters a public visitor may set; never includeBots or currency.
PUBLIC_ARGS = ("days", "start", "end", "granularity", "timezone")
DEFAULT_ROWS = 10
MAX_ROWS = 50
TOKEN_BYTES = 24  # 32 URL-safe characters
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{22,64}")
# breakdown metric -> rollup dimension and the row key it is answered under
_DIMENSIONS = {"countries": "country", "devices": "device", "browsers": "browser", "os": "os",
               "referrers": "referrer"}
_ROW_KEYS = {"countries": "country", "devices": "device", "browsers": "browser", "os": "os",
             "referrers": "referrer"}


def new_token() -> str:
    return ids.new_token(TOKEN_BYTES)


def looks_like_token(value: object) -> bool:
    return isinstance(value, str) and bool(_TOKEN_RE.fullmatch(value))


def base_url() -> str:
    return current_app.config["LINKHUB"]["BASE_URL"]


# --- the figures ------------------------------------------------------------------------------

def public_range(args: Mapping[str, str], workspace: Workspace) -> Range:
    """The range a public page or widget shows: the visitor's `days`/`start`/`end`/
    `granularity`/`timezone` (400 when bad), human clicks only, USD (no money is shown)."""
    return ranges.parse({k: args[k] for k in PUBLIC_ARGS if k in args}, workspace)


def row_limit(args: Mapping[str, str]) -> int:
    return breakdowns.top_limit(args, DEFAULT_ROWS, MAX_ROWS)


def figures(scope: Scope, rng: Range, metrics: tuple[str, ...] | list[str],
            limit: int = DEFAULT_ROWS) -> dict[str, Any]:
    """Exactly the chosen metrics, nothing else: `clicks` and `uniqueClicks` totals,
    `timeseries` points (with `uniqueClicks` only when that metric is chosen too), and rows
    `{<dimension>, [name], clicks, percentage}` for the breakdowns, most clicks first."""
    out: dict[str, Any] = {}
    if "clicks" in metrics or "uniqueClicks" in metrics:
        total = rollups.totals(scope, rng)
        if "clicks" in metrics:
            out["clicks"] = total.shown(rng.include_bots)
        if "uniqueClicks" in metrics:
            out["uniqueClicks"] = total.unique
    if "timeseries" in metrics:
        buckets = rollups.by_bucket(scope, rng)
        points = []
        for bucket in rng.buckets():
            counts = buckets.get(bucket, rollups.Counts())
            point = {"timestamp": rng.label(bucket), "clicks": counts.shown(rng.include_bots)}
            if "uniqueClicks" in metrics:
                point["uniqueClicks"] = counts.unique
            points.append(point)
        out["timeseries"] = points
    for metric, dimension in _DIMENSIONS.items():
        if metric not in metrics:
            continue
        if metric == "countries":
            found = breakdowns.countries(scope, rng, limit)["countries"]
        else:
            found, _ = breakdowns.rows(rollups.by_value(scope, rng, dimension), rng,
                                       _ROW_KEYS[metric], dimension, limit)
        out[metric] = [{key: row[key] for key in (_ROW_KEYS[metric], "name", "clicks",
                                                   "percentage") if key in row}
                       for row in found]
    out["range"] = {"start": clock.iso(rng.start), "end": clock.iso(rng.end),
                    "granularity": rng.granularity, "timezone": rng.timezone}
    return out


# --- finding ----------------------------------------------------------------------------------

def share_of(workspace: Workspace, *, link: Link | None = None,
             campaign: Campaign | None = None) -> PublicShare | None:
    """The share of the link or campaign, when one was ever set up in this workspace."""
    if link is not None:
        share = PublicShare.get_or_none(PublicShare.link == link)
    else:
        share = PublicShare.get_or_none(PublicShare.campaign == campaign)
    if share is not None and share.workspace_id != workspace.id:
        return None  # the link moved to another workspace: its old share is dead
    return share


@dataclass(frozen=True)
class PublicView:
    """What a valid token shows: the share, its title, and the scope its numbers cover."""

    share: PublicShare
    workspace: Workspace
    kind: str  # link | campaign
    title: str
    short_url: str | None
    scope: Scope


def find_public(token: str) -> PublicView:
    """The enabled share behind `token`, read from the database on every call (a rotation, a
    disable, a deleted link or campaign answers 404 at once)."""
    if not looks_like_token(token):
        raise NotFound("This public stats page does not exist.")
    share = PublicShare.get_or_none(PublicShare.token == token)
    if share is None or not share.enabled:
        raise NotFound("This public stats page does not exist.")
    workspace = Workspace.get_by_id(share.workspace_id)
    if share.link_id is not None:
        from linkhub.services.links import short_url

        link = Link.get_or_none(Link.id == share.link_id, Link.workspace == workspace,
                                Link.deleted_at.is_null())
        if link is None:
            raise NotFound("This public stats page does not exist.")
        return PublicView(share, workspace, "link", link.title or link.short_code,
                          short_url(link), Scope(workspace, [link.id], link_id=link.id))
    campaign = Campaign.get_or_none(Campaign.id == share.campaign_id,
                                    Campaign.workspace == workspace)
    if campaign is None:
        raise NotFound("This public stats page does not exist.")
    return PublicView(share, workspace, "campaign", campaign.name, None,
                      Scope.of_campaign(workspace, campaign.id))


# --- writes -----------------------------------------------------------------------------------

def clean(data: Mapping[str, Any]) -> dict[str, Any]:
    """`enabled` (true/false) and `metrics` (a non-empty list of METRICS names; duplicates
    dropped, canonical order) when present; every problem at once."""
    changes: dict[str, Any] = {}
    problems: dict[str, str] = {}
    if "enabled" in data:
        if isinstance(data["enabled"], bool):
            changes["enabled"] = data["enabled"]
        else:
            problems["enabled"] = "must be true or false"
    if "metrics" in data:
        value = data["metrics"]
        if not isinstance(value, list) or not value:
            problems["metrics"] = f"must be a non-empty list of: {', '.join(METRICS)}"
        else:
            for index, name in enumerate(value):
                if name not in METRICS:
                    problems[f"metrics.{index}"] = f"must be one of {', '.join(METRICS)}"
                    break
            else:
                changes["metrics"] = [m for m in METRICS if m in value]
    if problems:
        raise Invalid(fields=problems)
    return changes


def _target(link: Link | None, campaign: Campaign | None) -> tuple[str, str]:
    return ("link", link.public_id) if link is not None else ("campaign", campaign.public_id)


def _sync_link_flag(link: Link | None, enabled: bool) -> None:
    """`Link.public_stats` mirrors the share's `enabled` (the redirect never reads it)."""
    if link is not None and link.public_stats != enabled:
        now = clock.now()
        Link.update(public_stats=enabled, updated_at=now).where(Link.id == link.id).execute()
        link.public_stats, link.updated_at = enabled, now


def _fresh(workspace: Workspace, link: Link | None, campaign: Campaign | None) -> PublicShare:
    old = (PublicShare.get_or_none(PublicShare.link == link) if link is not None
           else PublicShare.get_or_none(PublicShare.campaign == campaign))
    if old is not None:  # left behind in the link's former workspace
        old.delete_instance()
    return PublicShare(workspace=workspace, link=link, campaign=campaign, token=new_token(),
                       metrics=list(DEFAULT_METRICS), enabled=False)


def configure(workspace: Workspace, actor: User | None, data: Mapping[str, Any], *,
              link: Link | None = None, campaign: Campaign | None = None) -> PublicShare:
    """Turn the share on or off and/or choose its metrics (absent fields unchanged; a first
    call creates the share: off, default metrics, a new token). Enabling keeps the token."""
    if (link is None) == (campaign is None):
        raise ValueError("exactly one of link or campaign")
    changes = clean(data)
    share = share_of(workspace, link=link, campaign=campaign)
    with database.atomic():
        if share is None:
            share = _fresh(workspace, link, campaign)
        for attr, value in changes.items():
            setattr(share, attr, value)
        share.updated_at = clock.now()
        share.save()
        _sync_link_flag(link, share.enabled)
        kind, public_id = _target(link, campaign)
        audit.record("public_share.update", kind, public_id, workspace=workspace, actor=actor,
                     details={"enabled": share.enabled, "metrics": share.metrics})
    return share


def rotate(workspace: Workspace, actor: User | None, *, link: Link | None = None,
           campaign: Campaign | None = None) -> PublicShare:
    """A new token: the old URL answers 404 from the next request on."""
    share = share_of(workspace, link=link, campaign=campaign)
    with database.atomic():
        if share is None:
            share = _fresh(workspace, link, campaign)
        share.token = new_token()
        share.rotated_at = share.updated_at = clock.now()
        share.save()
        kind, public_id = _target(link, campaign)
        audit.record("public_share.rotate", kind, public_id, workspace=workspace, actor=actor)
    return share


def follow_link(link: Link, actor: User | None) -> None:
    """Called by services/links.py when a link write sets `publicStats`: the share follows
    (created with the default metrics on first enable). Runs inside the caller's transaction."""
    share = share_of(link.workspace, link=link)
    if share is None and not link.public_stats:
        return
    if share is None:
        share = _fresh(link.workspace, link, None)
    if share.enabled != link.public_stats or share.id is None:
        share.enabled = link.public_stats
        share.updated_at = clock.now()
        share.save()
        audit.record("public_share.update", "link", link.public_id, workspace=link.workspace,
                     actor=actor, details={"enabled": share.enabled, "metrics": share.metrics})


# --- output -----------------------------------------------------------------------------------

def url_of(share: PublicShare | None) -> str | None:
    return f"{base_url()}/s/{share.token}" if share is not None else None


def serialize(share: PublicShare | None, *, link: Link | None = None,
              campaign: Campaign | None = None) -> dict[str, Any]:
    """The share as the API answers it; a link or campaign never shared answers the defaults
    (off, no token)."""
    return {
        "linkId": link.public_id if link is not None else None,
        "campaignId": campaign.public_id if campaign is not None else None,
        "enabled": bool(share and share.enabled),
        "metrics": list(share.metrics) if share is not None else list(DEFAULT_METRICS),
        "availableMetrics": list(METRICS),
        "token": share.token if share is not None else None,
        "url": url_of(share),
        "createdAt": clock.iso(share.created_at) if share is not None else None,
        "updatedAt": clock.iso(share.updated_at) if share is not None else None,
        "rotatedAt": clock.iso(share.rotated_at) if share is not None else None,
    }

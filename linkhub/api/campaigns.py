"""/api/campaigns: list, create, read, update and delete campaigns. Parse, call
services/campaigns.py, serialise with the envelope; no business rule here."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, request

from linkhub import clock, pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.errors import Invalid
from linkhub.models import Campaign
from linkhub.schemas import campaigns as s
from linkhub.services import campaigns

bp = Blueprint("campaigns", __name__)
TAG = "Campaigns"


def campaign_json(campaign: Campaign, link_count: int | None = None) -> dict[str, Any]:
    if link_count is None:
        link_count = campaigns.link_counts([campaign.id]).get(campaign.id, 0)
    money = campaigns.from_micros
    return {
        "id": campaign.public_id, "name": campaign.name, "description": campaign.description,
        "type": campaign.type, "status": campaign.status, "pixelCode": campaign.pixel_code,
        "conversionTracking": campaign.conversion_tracking, "costModel": campaign.cost_model,
        "costOverride": money(campaign.cost_override_micros),
        "costCurrency": campaign.cost_currency,
        "dailyBudget": money(campaign.daily_budget_micros),
        "totalBudget": money(campaign.total_budget_micros),
        # No cost ledger exists yet: spend stays 0 until costs are recorded.
        "spentToday": 0, "spentTotal": 0,
        "goalType": campaign.goal_type, "goalValue": money(campaign.goal_value_micros),
        "linkCount": link_count,
        "createdAt": clock.iso(campaign.created_at), "updatedAt": clock.iso(campaign.updated_at),
    }


def flag(value: str | None, field: str) -> bool:
    """A boolean query parameter: true/false, 1/0 (absent = false)."""
    if value is None or value == "":
        return False
    lowered = value.lower()
    if lowered in ("true", "1", "yes"):
        return True
    if lowered in ("false", "0", "no"):
        return False
    raise Invalid(fields={field: "must be true or false"})


def _sort(query: s.CampaignListQuery) -> tuple[str, str]:
    if query.sort:
        order = "desc" if query.sort.startswith("-") else "asc"
        name = query.sort.lstrip("-+")
        if name not in campaigns.SORTS:
            raise Invalid(fields={"sort": f"must be one of {', '.join(campaigns.SORTS)} "
                                          "(prefix - for descending)"})
        return name, order
    return pagination.sort_order(request.args, tuple(campaigns.SORTS), "createdAt")


@bp.get("/campaigns")
@require("campaigns:read")
@endpoint("List campaigns", query=s.CampaignListQuery, response=s.CampaignOut, listing=True,
          tag=TAG)
def list_campaigns(query: s.CampaignListQuery) -> Response:
    """Filters `status`, `type`, `search` (name, description); sort by `createdAt` (default,
    newest first) or `name` with `sortBy` + `sortOrder`, or `sort=-name`."""
    page = pagination.parse(request.args)
    sort, order = _sort(query)
    rows, total = campaigns.list_campaigns(g.workspace, status=query.status, type=query.type,
                                           search=query.search, sort=sort, order=order,
                                           offset=page.offset, limit=page.limit)
    counts = campaigns.link_counts([c.id for c in rows])
    return listing([campaign_json(c, counts.get(c.id, 0)) for c in rows], page, total)


@bp.post("/campaigns")
@require("campaigns:write")
@endpoint("Create a campaign", body=s.CampaignCreate, response=s.CampaignOut, status=201,
          tag=TAG)
def create_campaign(body: s.CampaignCreate) -> Response:
    """`name` is required; `type` defaults to `link`, `status` to `active`, `costModel` to
    `none`, `costCurrency` to `USD`. `pixelCode` is generated."""
    campaign = campaigns.create_campaign(g.workspace, g.user,
                                         body.model_dump(include=body.model_fields_set))
    return created(campaign_json(campaign, 0))


@bp.get("/campaigns/<campaign_id>")
@require("campaigns:read")
@endpoint("Get a campaign", response=s.CampaignOut, tag=TAG)
def get_campaign(campaign_id: str) -> Response:
    return ok(campaign_json(campaigns.get_campaign(g.workspace, campaign_id)))


@bp.patch("/campaigns/<campaign_id>")
@require("campaigns:write")
@endpoint("Update a campaign", body=s.CampaignUpdate, response=s.CampaignOut, tag=TAG)
def update_campaign(campaign_id: str, body: s.CampaignUpdate) -> Response:
    campaign = campaigns.get_campaign(g.workspace, campaign_id)
    campaign = campaigns.update_campaign(g.workspace, g.user, campaign,
                                         body.model_dump(include=body.model_fields_set))
    return ok(campaign_json(campaign))


@bp.delete("/campaigns/<campaign_id>")
@require("campaigns:write")
@endpoint("Delete a campaign", query=s.ForceQuery, response=s.CampaignDeletedOut, tag=TAG,
          errors=("CAMPAIGN_IN_USE",))
def delete_campaign(campaign_id: str, query: s.ForceQuery) -> Response:
    """A campaign with links answers 409 CAMPAIGN_IN_USE unless `?force=true`: the links then
    keep working with no campaign, and the campaign's own rules are deleted."""
    force = flag(query.force, "force")
    campaign = campaigns.get_campaign(g.workspace, campaign_id)
    detached = campaigns.delete_campaign(g.workspace, g.user, campaign, force=force)
    return ok({"id": campaign_id, "deleted": True, "detachedLinks": detached})

"""The campaign form and its translation to the API's field names that
services/campaigns.py takes (amounts go as typed: the service parses and checks them)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import Length

from linkhub.dashboard.forms import api_data, options
from linkhub.models import Campaign
from linkhub.services import campaigns

TYPE_LABELS = {"link": "Links", "pixel": "Pixel only"}
COST_LABELS = {"none": "No cost", "cpc": "Cost per click (CPC)",
               "cpm": "Cost per 1,000 impressions (CPM)", "cpa": "Cost per action (CPA)",
               "revshare": "Revenue share"}
TEXTS = ("name", "description", "type", "status", "cost_model", "cost_override",
         "cost_currency", "daily_budget", "total_budget", "goal_type", "goal_value")
MONEY = {"cost_override": "cost_override_micros", "daily_budget": "daily_budget_micros",
         "total_budget": "total_budget_micros", "goal_value": "goal_value_micros"}


class CampaignForm(FlaskForm):
    name = StringField("Name", [Length(max=1000)])
    description = TextAreaField("Description", [Length(max=20_000)])
    type = SelectField("Type", validate_choice=False, default="link",
                       choices=options((t, TYPE_LABELS.get(t, t)) for t in campaigns.TYPES))
    status = SelectField("Status", validate_choice=False, default="active",
                         choices=options((s, s.title()) for s in campaigns.STATUSES))
    conversion_tracking = BooleanField("Track conversions")
    cost_model = SelectField("Cost model", validate_choice=False, default="none",
                             choices=options(
                                 (c, COST_LABELS.get(c, c)) for c in campaigns.COST_MODELS))
    cost_override = StringField("Cost", [Length(max=40)])
    cost_currency = StringField("Currency", [Length(max=20)], default="USD",
                                render_kw={"list": "currencies"})
    daily_budget = StringField("Daily budget", [Length(max=40)])
    total_budget = StringField("Total budget", [Length(max=40)])
    goal_type = SelectField("Goal", validate_choice=False, choices=options(
        [("", "No goal")] + [(g, g.title()) for g in campaigns.GOAL_TYPES]))
    goal_value = StringField("Goal value", [Length(max=40)])


def to_api(form: CampaignForm) -> dict[str, Any]:
    data = api_data(form, TEXTS)
    data["conversionTracking"] = bool(form.conversion_tracking.data)
    return data


def initial(campaign: Campaign) -> dict[str, Any]:
    data: dict[str, Any] = {name: getattr(campaign, name) or "" for name in TEXTS
                            if name not in MONEY}
    data.update({name: "" if getattr(campaign, column) is None
                 else str(campaigns.from_micros(getattr(campaign, column)))
                 for name, column in MONEY.items()})
    data["conversion_tracking"] = campaign.conversion_tracking
    return data

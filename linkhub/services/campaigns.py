"""Campaigns: create, list, update and delete; pixel codes; money in integer micro-units.
Every campaign rule lives here (enums, currencies, budgets, delete-with-links). No HTTP here."""

from __future__ import annotations

import secrets
from decimal import Decimal, InvalidOperation
from typing import Any

import peewee

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Invalid, NotFound
from linkhub.models import Campaign, Link, Rule, User, Workspace
from linkhub.services import audit
from linkhub.services.field_checks import boolean, checked

TYPES = ("link", "pixel")
STATUSES = ("active", "paused", "archived")
COST_MODELS = ("none", "cpc", "cpm", "cpa", "revshare")
GOAL_TYPES = ("conversion", "lead", "pageview", "custom")
NAME_MAX = 200
DESCRIPTION_MAX = 5000
PIXEL_CODE_PREFIX = "lw_px_"
PIXEL_CODE_LENGTH = 24
MICROS = 1_000_000
MAX_AMOUNT = Decimal(10) ** 12  # fits a signed 64-bit integer of micro-units comfortably
# Current ISO 4217 currencies (2025 list; funds, metals and test codes left out).
CURRENCIES = frozenset("""
AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW
KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN
NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK
SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS
VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())
SORTS = {"createdAt": Campaign.created_at, "name": peewee.fn.LOWER(Campaign.name)}

# API field -> model column for the amounts stored in micro-units.
MONEY_FIELDS = {"costOverride": "cost_override_micros", "dailyBudget": "daily_budget_micros",
                "totalBudget": "total_budget_micros", "goalValue": "goal_value_micros"}


# --- value checks -----------------------------------------------------------------------------

def _choice(value: Any, field: str, allowed: tuple[str, ...], *, nullable: bool = False) -> Any:
    if value is None and nullable:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise Invalid(fields={field: f"must be one of {', '.join(allowed)}"})
    return value


def _text(value: Any, field: str, limit: int, *, required: bool = False) -> str | None:
    cleaned = value.strip() if isinstance(value, str) else value
    if cleaned is None or cleaned == "":
        if required:
            raise Invalid(fields={field: "is required"})
        return None
    if not isinstance(cleaned, str):
        raise Invalid(fields={field: "must be a string"})
    if len(cleaned) > limit:
        raise Invalid(fields={field: f"must be at most {limit} characters"})
    return cleaned


def to_micros(value: Any, field: str) -> int | None:
    """A decimal amount in currency units (>= 0, at most 6 decimals) as integer micro-units."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Invalid(fields={field: "must be a number"})
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise Invalid(fields={field: "must be a number"}) from None
    if not amount.is_finite():
        raise Invalid(fields={field: "must be a finite number"})
    if amount < 0:
        raise Invalid(fields={field: "must be zero or more"})
    if amount > MAX_AMOUNT:
        raise Invalid(fields={field: f"must be at most {MAX_AMOUNT:f}"})
    micros = amount * MICROS
    if micros != micros.to_integral_value():
        raise Invalid(fields={field: "must have at most 6 decimal places"})
    return int(micros)


def from_micros(micros: int | None) -> float | int | None:
    """Micro-units back to a JSON number in currency units (0.5 for 500000, 12 for 12000000)."""
    if micros is None:
        return None
    if micros % MICROS == 0:
        return micros // MICROS
    return float(Decimal(micros) / MICROS)


def _currency(value: Any) -> str:
    if not isinstance(value, str) or value.strip() not in CURRENCIES:
        raise Invalid(fields={"costCurrency": "must be a current ISO 4217 code in upper case, "
                                              "such as USD or EUR"})
    return value.strip()



_CHECKS: dict[str, tuple[str, Any]] = {
    "name": ("name", lambda v: _text(v, "name", NAME_MAX, required=True)),
    "description": ("description", lambda v: _text(v, "description", DESCRIPTION_MAX)),
    "type": ("type", lambda v: _choice(v, "type", TYPES)),
    "status": ("status", lambda v: _choice(v, "status", STATUSES)),
    "conversionTracking": ("conversion_tracking", lambda v: boolean(v, "conversionTracking")),
    "costModel": ("cost_model", lambda v: _choice(v, "costModel", COST_MODELS)),
    "costCurrency": ("cost_currency", _currency),
    "goalType": ("goal_type", lambda v: _choice(v, "goalType", GOAL_TYPES, nullable=True)),
    **{api: (col, (lambda f: lambda v: to_micros(v, f))(api))
       for api, col in MONEY_FIELDS.items()},
}


def _changes(data: dict[str, Any]) -> dict[str, Any]:
    """Check every given field; all problems are reported together."""
    return checked(data, _CHECKS)


def new_pixel_code() -> str:
    while True:
        code = PIXEL_CODE_PREFIX + "".join(secrets.choice(ids.ID_ALPHABET)
                                           for _ in range(PIXEL_CODE_LENGTH))
        if not Campaign.select().where(Campaign.pixel_code == code).exists():
            return code


# --- reads ------------------------------------------------------------------------------------

def get_campaign(workspace: Workspace, public_id: str) -> Campaign:
    """The workspace's campaign, or 404 (also for another workspace's or a malformed id)."""
    if not ids.is_valid("campaign", public_id):
        raise NotFound("Campaign not found.")
    campaign = Campaign.get_or_none(Campaign.workspace == workspace,
                                    Campaign.public_id == public_id)
    if campaign is None:
        raise NotFound("Campaign not found.")
    return campaign


def link_counts(campaign_ids: list[int]) -> dict[int, int]:
    """Live (not deleted) links per campaign id."""
    if not campaign_ids:
        return {}
    rows = (Link.select(Link.campaign, peewee.fn.COUNT(Link.id).alias("n"))
            .where(Link.campaign.in_(campaign_ids), Link.deleted_at.is_null())
            .group_by(Link.campaign).tuples())
    return {campaign_id: n for campaign_id, n in rows}


def list_campaigns(workspace: Workspace, *, status: str | None = None,
                   type: str | None = None, search: str | None = None,
                   sort: str = "createdAt", order: str = "desc",
                   offset: int = 0, limit: int = 20) -> tuple[list[Campaign], int]:
    query = Campaign.select().where(Campaign.workspace == workspace)
    if status:
        query = query.where(Campaign.status == _choice(status, "status", STATUSES))
    if type:
        query = query.where(Campaign.type == _choice(type, "type", TYPES))
    if search:
        needle = search.strip()
        query = query.where(Campaign.name.contains(needle)
                            | Campaign.description.contains(needle))
    if sort not in SORTS:
        raise Invalid(fields={"sortBy": f"must be one of {', '.join(SORTS)}"})
    column = SORTS[sort]
    ordering = column.desc() if order == "desc" else column.asc()
    tiebreak = Campaign.id.desc() if order == "desc" else Campaign.id.asc()
    total = query.count()
    rows = list(query.order_by(ordering, tiebreak).offset(offset).limit(limit))
    return rows, total


# --- writes -----------------------------------------------------------------------------------

def _clear_redirect_cache() -> None:
    from linkhub.redirect import cache

    cache.for_app().clear()


def create_campaign(workspace: Workspace, actor: User | None, data: dict[str, Any]) -> Campaign:
    """`data` uses the API's field names; `name` is required, the rest take their defaults."""
    if "name" not in data:
        data = {**data, "name": None}
    changes = _changes({k: v for k, v in data.items() if v is not None or k == "name"})
    with database.atomic():
        campaign = Campaign.create(public_id=ids.new_id("campaign"), workspace=workspace,
                                   pixel_code=new_pixel_code(), **changes)
        audit.record("campaign.create", "campaign", campaign.public_id, workspace=workspace,
                     actor=actor)
    return campaign


def update_campaign(workspace: Workspace, actor: User | None, campaign: Campaign,
                    data: dict[str, Any]) -> Campaign:
    """Apply the given keys; `null` clears a nullable field (not name, type, status, model)."""
    required = ("name", "type", "status", "costModel", "costCurrency", "conversionTracking")
    nulls = {k: "cannot be null" for k in required if k in data and data[k] is None}
    if nulls:
        raise Invalid(fields=nulls)
    changes = _changes(data)
    changed = {k: v for k, v in changes.items() if getattr(campaign, k) != v}
    if changed:
        with database.atomic():
            for key, value in changed.items():
                setattr(campaign, key, value)
            campaign.save()
            audit.record("campaign.update", "campaign", campaign.public_id,
                         workspace=workspace, actor=actor,
                         details={"fields": sorted(changed)})
        if {"status", "type", "conversion_tracking"} & changed.keys():
            _clear_redirect_cache()
    return campaign


def delete_campaign(workspace: Workspace, actor: User | None, campaign: Campaign, *,
                    force: bool = False) -> int:
    """Delete the campaign. With live links it answers 409 CAMPAIGN_IN_USE unless `force`:
    then the links keep working with no campaign and the campaign's own rules are deleted.
    Returns how many live links were detached."""
    live = link_counts([campaign.id]).get(campaign.id, 0)
    if live and not force:
        raise ApiError("CAMPAIGN_IN_USE",
                       f"The campaign still has {live} link(s); move them first or send "
                       "?force=true to detach them.", extra={"linkCount": live})
    now = clock.now()
    with database.atomic():
        Link.update(campaign=None, updated_at=now).where(Link.campaign == campaign).execute()
        # Soft-deleted and detached, so click history keeps pointing at the rule rows.
        Rule.update(campaign=None, deleted_at=now, updated_at=now).where(
            Rule.campaign == campaign, Rule.deleted_at.is_null()).execute()
        Rule.update(campaign=None).where(Rule.campaign == campaign).execute()
        public_id, name = campaign.public_id, campaign.name
        campaign.delete_instance()
        audit.record("campaign.delete", "campaign", public_id, workspace=workspace,
                     actor=actor, details={"name": name, "detachedLinks": live})
    _clear_redirect_cache()
    return live

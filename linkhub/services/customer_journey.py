"""A customer's touchpoints: their clicks (stored `Click` rows by public id, or still in the
click buffer), the journey (clicks and conversions in time order) and attribution detail
(first-click, last-click and linear credit per link and campaign). Reads only."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import peewee
from flask import current_app, has_app_context

from linkhub import clock
from linkhub.models import Campaign, Click, Conversion, Customer, Link, Workspace
from linkhub.services.campaigns import from_micros
from linkhub.services.customers import refs

COUNTED_STATUS = "approved"
MODELS = ("firstClick", "lastClick", "linear")


@dataclass(frozen=True)
class Touch:
    click_id: str
    link_pk: int
    at: datetime
    trigger: str
    country: str | None
    device: str | None
    os: str | None
    browser: str | None
    referrer_domain: str | None
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    buffered: bool

    @property
    def source(self) -> str | None:
        """What brought the visitor: `utm_source`, else the referrer's domain."""
        return self.utm_source or self.referrer_domain


def _from_columns(click_id: str, link_pk: int, at: datetime, trigger: str,
                  row: dict[str, Any], buffered: bool) -> Touch:
    return Touch(click_id, link_pk, at, trigger or "link", row.get("country"),
                 row.get("device_type"), row.get("os"), row.get("browser"),
                 row.get("referrer_domain"), row.get("utm_source"), row.get("utm_medium"),
                 row.get("utm_campaign"), buffered)


def touches(workspace: Workspace, click_ids: list[str]) -> dict[str, Touch]:
    """The workspace's clicks with these public ids. The buffer is read before the table: a
    click leaves the buffer only after its row is committed, so none slips between the two."""
    wanted = {c for c in click_ids if c}
    found: dict[str, Touch] = {}
    pipeline = current_app.extensions.get("linkhub.clicks") if has_app_context() else None
    if pipeline is not None:
        describe = getattr(pipeline.writer, "describe", None)
        for click_id in wanted:
            event = pipeline.buffer.find(click_id)
            if event is None or event.workspace_id != workspace.id:
                continue
            columns = describe(event) if describe is not None else {}
            found[click_id] = _from_columns(click_id, event.link_id, event.created_at,
                                            event.trigger, columns, True)
    rest = wanted - found.keys()
    if rest:
        rows = (Click.select().where(Click.workspace == workspace, Click.public_id.in_(rest))
                .dicts())
        for row in rows:
            found[row["public_id"]] = _from_columns(row["public_id"], row["link"],
                                                    row["created_at"], row["trigger"], row,
                                                    False)
    return found


def _conversions(customer: Customer) -> list[Conversion]:
    return list(Conversion.select().where(Conversion.customer == customer)
                .order_by(Conversion.occurred_at, Conversion.id))


def _customer_touches(customer: Customer, conversions: list[Conversion]) -> list[Touch]:
    """Every click of the customer (first touch + the conversions' clicks), oldest first."""
    click_ids = [customer.click_public_id, *(c.click_public_id for c in conversions)]
    found = touches(customer.workspace, [c for c in click_ids if c])
    return sorted(found.values(), key=lambda t: (t.at, t.click_id))


def _link_refs(link_pks: set[int]) -> dict[int, tuple[str, str, str | None]]:
    """link pk -> (link public id, short code, campaign public id)."""
    if not link_pks:
        return {}
    rows = (Link.select(Link.id, Link.public_id, Link.short_code, Campaign.public_id)
            .join(Campaign, peewee.JOIN.LEFT_OUTER, on=(Link.campaign == Campaign.id))
            .where(Link.id.in_(link_pks)).tuples())
    return {pk: (public_id, code, campaign) for pk, public_id, code, campaign in rows}


def _click_step(touch: Touch, links: dict, first_touch: str | None) -> dict[str, Any]:
    link_id, code, campaign_id = links.get(touch.link_pk, (None, None, None))
    return {"type": "click", "timestamp": clock.iso(touch.at), "clickId": touch.click_id,
            "linkId": link_id, "shortCode": code, "campaignId": campaign_id,
            "trigger": touch.trigger, "country": touch.country, "device": touch.device,
            "os": touch.os, "browser": touch.browser, "referrerDomain": touch.referrer_domain,
            "utmSource": touch.utm_source, "utmMedium": touch.utm_medium,
            "utmCampaign": touch.utm_campaign, "firstTouch": touch.click_id == first_touch,
            "pending": touch.buffered}


def _conversion_step(conversion: Conversion, known: dict) -> dict[str, Any]:
    return {"type": "conversion", "timestamp": clock.iso(conversion.occurred_at),
            "conversionId": conversion.public_id, "eventType": conversion.kind,
            "eventName": conversion.event, "status": conversion.status,
            "value": from_micros(conversion.value_micros), "currency": conversion.currency,
            "valueUsd": from_micros(conversion.value_usd_micros),
            "clickId": conversion.click_public_id,
            "linkId": known.get(("link", conversion.link_id)),
            "campaignId": known.get(("campaign", conversion.campaign_id)),
            "orderId": conversion.order_id, "country": conversion.country}


def journey(customer: Customer) -> dict[str, Any]:
    """Clicks and conversions in time order (a click before a conversion at the same time)."""
    conversions = _conversions(customer)
    clicks = _customer_touches(customer, conversions)
    links = _link_refs({t.link_pk for t in clicks})
    known = refs(conversions)
    steps = [((t.at, 0, t.click_id), _click_step(t, links, customer.click_public_id))
             for t in clicks]
    steps += [((c.occurred_at, 1, c.id), _conversion_step(c, known))
              for c in conversions]
    steps.sort(key=lambda item: item[0])
    counted = [c for c in conversions if c.status == COUNTED_STATUS]
    return {
        "customerId": customer.public_id,
        "steps": [step for _, step in steps],
        "summary": {
            "clicks": len(clicks), "conversions": len(conversions),
            "leads": sum(c.kind == "lead" for c in counted),
            "sales": sum(c.kind == "sale" for c in counted),
            "revenueUsd": from_micros(sum(c.value_usd_micros for c in counted)),
            "firstSeenAt": clock.iso(customer.first_seen_at),
            "lastSeenAt": clock.iso(customer.last_seen_at),
        },
    }


# --- attribution ------------------------------------------------------------------------------

def _split(total: int, parts: int) -> list[int]:
    """`total` micro-units in `parts` integer shares that add up exactly (the remainder goes to
    the latest touches)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i >= parts - extra else 0) for i in range(parts)]


def _credits(clicks: list[Touch], conversions: list[Conversion]
             ) -> tuple[dict[str, dict[int, list[float]]], int, int]:
    """model -> link pk -> [conversions credited, revenue micros]; plus unattributed
    (conversions, micros). A conversion's touchpoints are the clicks at or before it."""
    credit: dict[str, dict[int, list[float]]] = {m: defaultdict(lambda: [0.0, 0])
                                                 for m in MODELS}
    lost_n = lost_micros = 0
    for conversion in conversions:
        before = [t for t in clicks if t.at <= conversion.occurred_at] or \
            [t for t in clicks if t.click_id == conversion.click_public_id]
        value = conversion.value_usd_micros or 0
        if not before:
            lost_n, lost_micros = lost_n + 1, lost_micros + value
            continue
        for model, touch in (("firstClick", before[0]), ("lastClick", before[-1])):
            credit[model][touch.link_pk][0] += 1
            credit[model][touch.link_pk][1] += value
        for touch, share in zip(before, _split(value, len(before)), strict=True):
            credit["linear"][touch.link_pk][0] += 1 / len(before)
            credit["linear"][touch.link_pk][1] += share
    return credit, lost_n, lost_micros


def _rank(row: dict[str, Any]) -> tuple:
    return (-row["revenueUsd"], -row["conversions"], str(row.get("linkId") or row["campaignId"]))


def _model_rows(credit: dict[int, list[float]], links: dict, total: int
                ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    by_campaign: dict[str | None, list[float]] = defaultdict(lambda: [0.0, 0])
    link_rows = []
    for pk, (n, micros) in credit.items():
        link_id, code, campaign_id = links.get(pk, (None, None, None))
        link_rows.append({"linkId": link_id, "shortCode": code, "campaignId": campaign_id,
                          "conversions": round(n, 4), "revenueUsd": from_micros(int(micros)),
                          "revenueShare": round(micros / total, 4) if total else 0})
        by_campaign[campaign_id][0] += n
        by_campaign[campaign_id][1] += micros
    campaign_rows = [{"campaignId": cid, "conversions": round(n, 4),
                      "revenueUsd": from_micros(int(micros)),
                      "revenueShare": round(micros / total, 4) if total else 0}
                     for cid, (n, micros) in by_campaign.items()]
    return sorted(link_rows, key=_rank), sorted(campaign_rows, key=_rank)


def attribution(customer: Customer) -> dict[str, Any]:
    """First-click, last-click and linear credit of the customer's approved conversions, per
    link and per campaign, with revenue shares; the first and last touch themselves."""
    conversions = _conversions(customer)
    clicks = _customer_touches(customer, conversions)
    counted = [c for c in conversions if c.status == COUNTED_STATUS]
    links = _link_refs({t.link_pk for t in clicks})
    credit, lost_n, lost_micros = _credits(clicks, counted)
    total = sum(c.value_usd_micros or 0 for c in counted)
    models = {}
    for model in MODELS:
        link_rows, campaign_rows = _model_rows(credit[model], links, total)
        models[model] = {"links": link_rows, "campaigns": campaign_rows}

    def touch_json(touch: Touch | None) -> dict[str, Any] | None:
        if touch is None:
            return None
        link_id, code, campaign_id = links.get(touch.link_pk, (None, None, None))
        return {"clickId": touch.click_id, "timestamp": clock.iso(touch.at), "linkId": link_id,
                "shortCode": code, "campaignId": campaign_id, "source": touch.source}

    return {
        "customerId": customer.public_id,
        "conversions": len(counted), "revenueUsd": from_micros(total),
        "touchpoints": len(clicks),
        "firstTouch": touch_json(clicks[0] if clicks else None),
        "lastTouch": touch_json(clicks[-1] if clicks else None),
        "models": models,
        "unattributed": {"conversions": lost_n, "revenueUsd": from_micros(lost_micros)},
    }

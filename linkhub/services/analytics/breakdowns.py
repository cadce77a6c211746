"""Dimension breakdowns of a scope over a range: countries, continents, map points, devices,
browsers, OS, referrers and triggers from the rollups; regions and cities from raw clicks (the
only place they are kept). Rows share one shape: {<dimension>, dimension, clicks,
unique_clicks, percentage}. Read-only."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import peewee

from linkhub.errors import Invalid
from linkhub.models import Click
from linkhub.redirect import geo
from linkhub.services.analytics.geo_tables import CONTINENT_NAMES, COUNTRIES, country_name
from linkhub.services.analytics.ranges import Range
from linkhub.services.analytics.rollups import Counts, Scope, by_value

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
TRIGGERS = ("link", "qr", "deeplink")
UNKNOWN = "unknown"
_COUNTRY_RE = re.compile(r"[A-Za-z]{2}")


def top_limit(args: Mapping[str, str], default: int = DEFAULT_LIMIT,
              maximum: int = MAX_LIMIT) -> int:
    """`limit` for top-N lists: 1..maximum, default `default`; anything else is a 400."""
    raw = (args.get("limit") or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise Invalid(fields={"limit": f"must be a whole number from 1 to {maximum}"})
    return int(raw)


def country_filter(args: Mapping[str, str]) -> str | None:
    raw = (args.get("country") or "").strip()
    if not raw:
        return None
    if not _COUNTRY_RE.fullmatch(raw):
        raise Invalid(fields={"country": "must be a two-letter country code"})
    return raw.upper()


def percentage(part: int, whole: int) -> float:
    return round(part * 100 / whole, 2) if whole else 0.0


def rows(counts: Mapping[str, Counts], rng: Range, key: str, dimension: str,
         limit: int | None = None,
         extra: Callable[[str], dict[str, Any]] | None = None) -> tuple[list[dict], int]:
    """Rows sorted by clicks (then value), zero rows left out, percentages of the whole total
    (before `limit` cuts the list); returns (rows, total clicks)."""
    shown = {value: c.shown(rng.include_bots) for value, c in counts.items()}
    total = sum(shown.values())
    ordered = sorted((v for v in counts if shown[v] > 0), key=lambda v: (-shown[v], v))
    out = []
    for value in ordered[:limit] if limit else ordered:
        row = {key: value, **(extra(value) if extra else {}), "dimension": dimension,
               "clicks": shown[value], "unique_clicks": counts[value].unique,
               "percentage": percentage(shown[value], total)}
        out.append(row)
    return out, total


# --- from the rollups -------------------------------------------------------------------------

def countries(scope: Scope, rng: Range, limit: int) -> dict[str, Any]:
    found, total = rows(by_value(scope, rng, "country"), rng, "country", "country", limit,
                        lambda code: {"name": country_name(code)})
    return {"countries": found, "totalClicks": total}


def continents(scope: Scope, rng: Range) -> dict[str, Any]:
    merged: dict[str, Counts] = {}
    for code, counts in by_value(scope, rng, "country").items():
        target = merged.setdefault(geo.continent(code) or UNKNOWN, Counts())
        target.add(counts.clicks, counts.unique, counts.bots)
    found, total = rows(merged, rng, "continent", "continent", None,
                        lambda code: {"name": CONTINENT_NAMES.get(code)})
    return {"continents": found, "totalClicks": total}


def coordinates(scope: Scope, rng: Range, limit: int) -> dict[str, Any]:
    """Map points at country centroids (clicks keep a country, not a position)."""
    counts = {code: c for code, c in by_value(scope, rng, "country").items() if code in COUNTRIES}

    def point(code: str) -> dict[str, Any]:
        place = COUNTRIES[code]
        return {"name": place.name, "latitude": place.latitude, "longitude": place.longitude,
                "precision": "country"}

    found, total = rows(counts, rng, "country", "coordinates", limit, point)
    return {"points": found, "totalClicks": total}


def devices(scope: Scope, rng: Range, limit: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    total = 0
    for name, dimension in (("deviceData", "device"), ("browserData", "browser"),
                            ("osData", "os")):
        out[name], total = rows(by_value(scope, rng, dimension), rng, dimension, dimension,
                                limit)
    out["totalClicks"] = total
    return out


def referrers(scope: Scope, rng: Range, limit: int) -> dict[str, Any]:
    found, total = rows(by_value(scope, rng, "referrer"), rng, "referrer", "referrer", limit)
    return {"referrers": found, "totalClicks": total}


def triggers(scope: Scope, rng: Range) -> dict[str, Any]:
    """Every trigger (link, qr, deeplink) with its count, zeros included."""
    counts = by_value(scope, rng, "trigger")
    shown = {t: counts.get(t, Counts()).shown(rng.include_bots) for t in TRIGGERS}
    for value, c in counts.items():
        shown.setdefault(value, c.shown(rng.include_bots))
    total = sum(shown.values())
    found = [{"trigger": t, "dimension": "trigger", "clicks": shown[t],
              "unique_clicks": counts.get(t, Counts()).unique,
              "percentage": percentage(shown[t], total)}
             for t in sorted(shown, key=lambda t: (-shown[t], t))]
    return {"triggers": found, "totalClicks": total}


# --- from raw clicks --------------------------------------------------------------------------

def raw_clicks(scope: Scope, rng: Range, *columns: Any) -> peewee.ModelSelect:
    """Click rows of the scope in the range (bots only with includeBots)."""
    query = Click.select(*columns).where(Click.workspace == scope.workspace,
                                         Click.created_at >= rng.start,
                                         Click.created_at < rng.end)
    if scope.links is not None:
        links = scope.links
        query = query.where(Click.link == links[0] if isinstance(links, list) and len(links) == 1
                            else Click.link.in_(links))
    if not rng.include_bots:
        query = query.where(Click.bot == False)  # noqa: E712
    return query


def _places(scope: Scope, rng: Range, country: str | None, with_city: bool,
            limit: int) -> tuple[list[dict], int]:
    keys = [Click.country, Click.region] + ([Click.city] if with_city else [])
    query = raw_clicks(scope, rng, *keys, peewee.fn.COUNT(Click.id),
                       peewee.fn.SUM(Click.is_unique))
    if country:
        query = query.where(Click.country == country)
    grouped = list(query.group_by(*keys).tuples())
    total = sum(r[-2] for r in grouped)
    grouped.sort(key=lambda r: (-r[-2], [k or "" for k in r[:-2]]))
    out = []
    for row in grouped[:limit]:
        code, region = row[0] or UNKNOWN, row[1] or UNKNOWN
        item = {"country": code, "countryName": country_name(row[0]), "region": region}
        if with_city:
            item["city"] = row[2] or UNKNOWN
        item.update(dimension="city" if with_city else "region", clicks=row[-2],
                    unique_clicks=int(row[-1] or 0), percentage=percentage(row[-2], total))
        out.append(item)
    return out, total


def regions(scope: Scope, rng: Range, country: str | None, limit: int) -> dict[str, Any]:
    """Regions (country + region) from raw clicks: filled only when a city database
    (LINKHUB_GEOIP_CITY_DB) was configured when the click was recorded, else `unknown`."""
    found, total = _places(scope, rng, country, False, limit)
    return {"regions": found, "country": country, "totalClicks": total}


def cities(scope: Scope, rng: Range, country: str | None, limit: int) -> dict[str, Any]:
    found, total = _places(scope, rng, country, True, limit)
    return {"cities": found, "country": country, "totalClicks": total}

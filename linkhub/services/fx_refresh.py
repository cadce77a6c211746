"""The FX refresh: download the ECB reference rates XML (FX_RATES_URL), parse it safely, re-base
per-EUR figures to units per 1 USD and upsert one `FxRate` per currency and day (source `ecb`).
All or nothing: any problem raises FxRefreshError before a row is written. No API concerns."""

from __future__ import annotations

import logging
import re
import urllib.request
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

from flask import current_app

from linkhub.db import database
from linkhub.models import FxRate

log = logging.getLogger(__name__)

SOURCE = "ecb"
MAX_BYTES = 1_048_576
TIMEOUT_SECONDS = 10
_CODE_RE = re.compile(r"^[A-Z]{3}$")
_FORBIDDEN = (b"<!doctype", b"<!entity")

Fetch = Callable[[str], bytes]


class FxRefreshError(Exception):
    """The rates could not be fetched or understood; nothing was written."""


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001, ANN201
        if urlsplit(newurl).scheme not in ("http", "https"):
            raise FxRefreshError(f"refusing a redirect to {newurl!r}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _check_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise FxRefreshError(f"FX_RATES_URL must be an http(s) URL, got {url!r}")


def http_fetch(url: str) -> bytes:
    """GET `url` (http/https only, 10 s timeout, at most MAX_BYTES) and return the body."""
    _check_url(url)
    opener = urllib.request.build_opener(_HttpOnlyRedirects())
    request = urllib.request.Request(url, headers={"User-Agent": "linkhub-fx-refresh",
                                                   "Accept": "application/xml, text/xml"})
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            data = response.read(MAX_BYTES + 1)
    except FxRefreshError:
        raise
    except (OSError, ValueError) as exc:  # URLError, HTTPError, timeouts are OSErrors
        raise FxRefreshError(f"could not fetch {url}: {exc}") from exc
    if len(data) > MAX_BYTES:
        raise FxRefreshError(f"{url} answered more than {MAX_BYTES} bytes")
    return data


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse(data: bytes) -> dict[date, dict[str, Decimal]]:
    """{day: {code: units per 1 EUR}} from an ECB eurofxref XML document (daily or history
    files alike). DOCTYPE and entity declarations are refused outright."""
    if not isinstance(data, bytes | bytearray):
        raise FxRefreshError("the rates document must be bytes")
    if len(data) > MAX_BYTES:
        raise FxRefreshError(f"the rates document is larger than {MAX_BYTES} bytes")
    lowered = bytes(data).lower()
    if any(marker in lowered for marker in _FORBIDDEN):
        raise FxRefreshError("the rates document declares a DOCTYPE or entities; refused")
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise FxRefreshError(f"the rates document is not well-formed XML: {exc}") from exc
    days: dict[date, dict[str, Decimal]] = {}
    for cube in root.iter():
        if _local(cube.tag) != "Cube" or "time" not in cube.attrib:
            continue
        try:
            day = date.fromisoformat(cube.attrib["time"].strip())
        except ValueError as exc:
            raise FxRefreshError(f"bad date {cube.attrib['time']!r} in the rates") from exc
        rates = days.setdefault(day, {})
        for item in cube:
            if _local(item.tag) != "Cube":
                continue
            code = item.attrib.get("currency", "").strip().upper()
            try:
                value = Decimal(item.attrib.get("rate", "").strip())
            except InvalidOperation:
                value = Decimal("NaN")
            if not _CODE_RE.match(code) or not value.is_finite() or value <= 0:
                raise FxRefreshError(f"bad rate {item.attrib!r} on {day}")
            rates[code] = value
    if not days or not any(days.values()):
        raise FxRefreshError("the rates document has no dated rates")
    return days


def per_usd(per_eur: dict[str, Decimal], day: date) -> dict[str, Decimal]:
    """Re-base one day's per-EUR rates to units per 1 USD (EUR itself included)."""
    usd = per_eur.get("USD")
    if usd is None:
        raise FxRefreshError(f"the rates of {day} have no USD rate to re-base on")
    rebased = {code: value / usd for code, value in per_eur.items() if code != "EUR"}
    rebased["EUR"] = Decimal(1) / usd
    rebased["USD"] = Decimal(1)
    return rebased


def _configured_url() -> str:
    return str(current_app.config["LINKHUB"].get("FX_RATES_URL") or "").strip()


def refresh(url: str | None = None, fetch: Fetch | None = None) -> dict[str, Any]:
    """Fetch, parse and store the rates. Returns {"skipped": True, ...} when FX_RATES_URL is
    empty, else {"days": [...], "currencies", "inserted", "updated", "unchanged"}. Running it
    twice on the same document changes nothing. FxRefreshError leaves the table untouched."""
    url = _configured_url() if url is None else url.strip()
    if not url:
        return {"skipped": True, "reason": "FX_RATES_URL is empty"}
    _check_url(url)
    try:
        data = (fetch or http_fetch)(url)
    except FxRefreshError:
        raise
    except Exception as exc:  # an injected fetch's own failure
        raise FxRefreshError(f"could not fetch {url}: {exc}") from exc
    table = {day: per_usd(rates, day) for day, rates in parse(data).items()}
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    with database.atomic():
        existing = {(row.currency, row.day): row for row in
                    FxRate.select().where(FxRate.day.in_(list(table)))}
        for day, rates in sorted(table.items()):
            for code, value in sorted(rates.items()):
                number = float(value)
                row = existing.get((code, day))
                if row is None:
                    FxRate.create(currency=code, day=day, rate=number, source=SOURCE)
                    counts["inserted"] += 1
                elif row.rate != number or row.source != SOURCE:
                    (FxRate.update(rate=number, source=SOURCE)
                     .where(FxRate.id == row.id).execute())
                    counts["updated"] += 1
                else:
                    counts["unchanged"] += 1
    days = sorted(table)
    log.info("fx refresh from %s: %s %s", url, [d.isoformat() for d in days], counts)
    return {"days": [d.isoformat() for d in days],
            "currencies": len(set().union(*table.values())), **counts}

"""FX rates: units of a currency per 1 USD on a day, and conversion of micro-unit amounts to USD
micro-dollars. Stored `FxRate` rows win (latest on or before the day); otherwise the snapshot
shipped in `linkhub/data/fx_snapshot.json`. No HTTP and no fetching here (the refresh job is
the data-operations module's)."""

from __future__ import annotations

import json
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from importlib import resources
from typing import Any

from linkhub.models import FxRate

BASE = "USD"
SNAPSHOT_FILE = "fx_snapshot.json"


@lru_cache(maxsize=1)
def snapshot() -> dict[str, Any]:
    """The shipped snapshot: {"date": "YYYY-MM-DD", "base": "USD", "rates": {code: rate}}."""
    text = resources.files("linkhub.data").joinpath(SNAPSHOT_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    data["rates"] = {code.upper(): float(rate) for code, rate in data["rates"].items()}
    data["rates"][BASE] = 1.0
    return data


def snapshot_date() -> date:
    return date.fromisoformat(snapshot()["date"])


def known(currency: str) -> bool:
    """True for USD, a snapshot currency, or one with a stored rate."""
    if not isinstance(currency, str) or len(currency) != 3 or not currency.isalpha():
        return False
    code = currency.upper()
    if code in snapshot()["rates"]:
        return True
    return FxRate.select(FxRate.id).where(FxRate.currency == code).exists()


def rate(currency: str, day: date) -> float:
    """Units of `currency` per 1 USD on `day`: the latest stored rate on or before the day,
    else the snapshot's. KeyError for a currency nobody knows."""
    code = currency.upper()
    if code == BASE:
        return 1.0
    stored = (FxRate.select(FxRate.rate)
              .where(FxRate.currency == code, FxRate.day <= day)
              .order_by(FxRate.day.desc()).limit(1).scalar())
    if stored:
        return float(stored)
    rates = snapshot()["rates"]
    if code in rates:
        return rates[code]
    raise KeyError(code)


def to_usd_micros(amount_micros: int, currency: str, day: date) -> int:
    """`amount_micros` of `currency` as USD micro-dollars at the day's rate, rounded half to
    even to the micro-dollar (Decimal arithmetic on the rate's shortest repr: no float error)."""
    if currency.upper() == BASE:
        return int(amount_micros)
    per_usd = Decimal(repr(rate(currency, day)))
    return int((Decimal(int(amount_micros)) / per_usd).to_integral_value(ROUND_HALF_EVEN))


def table(day: date) -> dict[str, float]:
    """Every known currency's rate on `day` (snapshot currencies plus stored ones)."""
    codes = set(snapshot()["rates"]) | {
        code for (code,) in FxRate.select(FxRate.currency).distinct().tuples()}
    return {code: rate(code, day) for code in sorted(codes)}

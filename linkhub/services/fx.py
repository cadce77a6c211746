"""FX rates: units of a currency per 1 USD on a day, and conversion of micro-unit amounts to USD
micro-dollars. Stored `FxRate` rows win (latest on or before the day); otherwise the snapshot
shipped in `linkhub/data/fx_snapshot.json`. Also re-basing and Decimal conversion between any
two currencies for /api/fx. No HTTP and no fetching here (services/fx_refresh.py does that)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from typing import Any

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import FxRate

BASE = "USD"
SNAPSHOT_FILE = "fx_snapshot.json"
STALE_AFTER = timedelta(days=3)
FIRST_DAY = date(1999, 1, 4)  # the ECB's first reference rates
MAX_AMOUNT = Decimal(10) ** 15
_DAY_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


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


def lookup(currency: str, day: date) -> tuple[float, date | None, str]:
    """(units per USD, the rate's own day, its source) for `currency` on `day`: the latest
    stored rate on or before the day, else the snapshot's. USD is (1.0, None, "fixed").
    KeyError for a currency nobody knows. The one rate lookup of the module."""
    code = currency.upper()
    if code == BASE:
        return 1.0, None, "fixed"
    stored = (FxRate.select(FxRate.rate, FxRate.day, FxRate.source)
              .where(FxRate.currency == code, FxRate.day <= day)
              .order_by(FxRate.day.desc()).limit(1).tuples().first())
    if stored and stored[0]:
        return float(stored[0]), stored[1], stored[2]
    rates = snapshot()["rates"]
    if code in rates:
        return rates[code], snapshot_date(), "snapshot"
    raise KeyError(code)


def rate(currency: str, day: date) -> float:
    """Units of `currency` per 1 USD on `day`: the latest stored rate on or before the day,
    else the snapshot's. KeyError for a currency nobody knows."""
    return lookup(currency, day)[0]


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


def _dec(value: float) -> Decimal:
    return Decimal(repr(value))  # the float's shortest repr: no binary noise


def _effective(found: list[tuple[float, date | None, str]], day: date, *,
               oldest: bool) -> tuple[date, str]:
    """The oldest (a conversion: staleness never hides either rate) or newest (a table: the
    latest publication) day among the rates used, and the source of a rate of that day."""
    dated = sorted((d, src) for _, d, src in found if d is not None)
    if not dated:  # USD against USD
        return day, "fixed"
    return dated[0] if oldest else dated[-1]


def rates_on(day: date, base: str = BASE) -> tuple[date, str, dict[str, float]]:
    """(effective day, source, {code: units of code per 1 `base`}) for every known currency
    on `day`: each currency's own latest rate; the effective day is the newest of them (a
    currency the latest publication lacks keeps its older rate). KeyError for an unknown base."""
    codes = set(snapshot()["rates"]) | {
        code for (code,) in FxRate.select(FxRate.currency).distinct().tuples()}
    found = {code: lookup(code, day) for code in sorted(codes)}
    base = base.upper()
    per_usd_base = _dec(found[base][0] if base in found else lookup(base, day)[0])
    rates = {code: float(_dec(r) / per_usd_base) for code, (r, _, _) in found.items()}
    effective, source = _effective(list(found.values()), day, oldest=False)
    return effective, source, rates


def convert(amount: Decimal, from_: str, to: str, day: date) -> dict[str, Any]:
    """`amount` of `from_` in `to` on `day` (Decimal throughout; result rounded half to even
    to 6 decimals): {"result", "rate" (units of `to` per 1 `from_`), "date", "source"}.
    KeyError for an unknown currency."""
    found_from, found_to = lookup(from_, day), lookup(to, day)
    cross = _dec(found_to[0]) / _dec(found_from[0])
    result = (amount * cross).quantize(Decimal("0.000001"), ROUND_HALF_EVEN)
    effective, source = _effective([found_from, found_to], day, oldest=True)
    return {"result": result, "rate": cross, "date": effective, "source": source}


# --- /api/fx answers: input checks (400 VALIDATION_ERROR) and serialisation --------------------

def _day(value: str | None, errors: dict[str, str]) -> date:
    today = clock.now().date()
    if value is None or value == "":
        return today
    try:
        day = date.fromisoformat(value) if _DAY_RE.match(value) else None
    except ValueError:
        day = None
    if day is None:
        errors["date"] = "must be a date as YYYY-MM-DD"
    elif day < FIRST_DAY:
        errors["date"] = f"must be on or after {FIRST_DAY.isoformat()}"
    elif day > today + timedelta(days=1):  # a day ahead: callers east of UTC
        errors["date"] = "must not be in the future"
    else:
        return day
    return today


def _currency(value: str | None, field: str, errors: dict[str, str],
              default: str | None = None) -> str:
    if value is None or value == "":
        if default is not None:
            return default
        errors[field] = "is required"
        return BASE
    if not known(value):
        errors[field] = "must be a known ISO 4217 currency code"
        return BASE
    return value.upper()


def _amount(value: str | None, errors: dict[str, str]) -> Decimal:
    if value is None or value == "":
        errors["amount"] = "is required"
        return Decimal(0)
    try:
        amount = Decimal(value) if len(value) <= 40 else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        errors["amount"] = "must be a decimal number"
    elif amount < 0:
        errors["amount"] = "must not be negative"
    elif amount >= MAX_AMOUNT:
        errors["amount"] = f"must be less than {MAX_AMOUNT:,}"
    else:
        return amount
    return Decimal(0)


def _stale(effective: date, day: date) -> bool:
    return abs(day - effective) > STALE_AFTER


def rates_answer(base: str | None, day_text: str | None) -> dict[str, Any]:
    """GET /api/fx/rates: {base, date, source, stale, rates} or Invalid."""
    errors: dict[str, str] = {}
    code = _currency(base, "base", errors, default=BASE)
    day = _day(day_text, errors)
    if errors:
        raise Invalid(fields=errors)
    effective, source, rates = rates_on(day, code)
    return {"base": code, "date": effective.isoformat(), "source": source,
            "stale": _stale(effective, day), "rates": rates}


def convert_answer(from_: str | None, to: str | None, amount_text: str | None,
                   day_text: str | None) -> dict[str, Any]:
    """GET /api/fx/convert: {from, to, amount, result, rate, date, source, stale} or Invalid."""
    errors: dict[str, str] = {}
    source_code = _currency(from_, "from", errors)
    target_code = _currency(to, "to", errors)
    amount = _amount(amount_text, errors)
    day = _day(day_text, errors)
    if errors:
        raise Invalid(fields=errors)
    done = convert(amount, source_code, target_code, day)
    return {"from": source_code, "to": target_code, "amount": float(amount),
            "result": float(done["result"]), "rate": float(done["rate"]),
            "date": done["date"].isoformat(), "source": done["source"],
            "stale": _stale(done["date"], day)}

"""services/fx.py: the shipped snapshot (ECB reference rates re-based to USD), stored rates
winning on or before their day, exact micro-unit conversion, and the snapshot file shipping
as package data."""

from __future__ import annotations

import configparser
from datetime import date
from pathlib import Path

import pytest

from linkhub.models import FxRate
from linkhub.services import fx

ROOT = Path(__file__).resolve().parents[2]
ECB_CURRENCIES = set("""USD JPY BGN CZK DKK GBP HUF PLN RON SEK CHF ISK NOK TRY AUD BRL CAD CNY
HKD IDR ILS INR KRW MXN MYR NZD PHP SGD THB ZAR""".split())
DAY = date(2026, 2, 2)


def test_the_snapshot_has_the_ecb_currencies_per_usd():
    snap = fx.snapshot()
    assert snap["base"] == "USD" and fx.snapshot_date() == date(2025, 10, 9)
    assert ECB_CURRENCIES | {"EUR"} <= set(snap["rates"])
    assert snap["rates"]["USD"] == 1.0
    # re-based from the ECB's per-EUR figures: X per USD = (X per EUR) / (USD per EUR)
    for code, per_eur in snap["ecbPerEur"].items():
        rebased = float(per_eur) / float(snap["ecbPerEur"]["USD"])
        assert snap["rates"][code] == pytest.approx(rebased, rel=1e-9), code


def test_known(ctx):
    assert fx.known("EUR") and fx.known("usd") and fx.known("JPY")
    for code in ("XYZ", "US", "EURO", "", "E1R", 12, None):
        assert not fx.known(code), code
    assert not fx.known("AED")
    FxRate.create(currency="AED", day=DAY, rate=3.6725, source="test")
    assert fx.known("AED") and fx.rate("AED", DAY) == 3.6725


def test_stored_rates_win_on_and_after_their_day(ctx):
    assert fx.rate("EUR", DAY) == fx.snapshot()["rates"]["EUR"]
    FxRate.create(currency="EUR", day=DAY, rate=0.8, source="test")
    FxRate.create(currency="EUR", day=date(2026, 2, 5), rate=0.9, source="test")
    assert fx.rate("EUR", date(2026, 2, 1)) == fx.snapshot()["rates"]["EUR"]
    assert fx.rate("EUR", DAY) == 0.8
    assert fx.rate("EUR", date(2026, 2, 4)) == 0.8
    assert fx.rate("eur", date(2027, 1, 1)) == 0.9
    assert fx.to_usd_micros(100_000_000, "EUR", DAY) == 125_000_000
    assert fx.table(DAY)["EUR"] == 0.8 and fx.table(DAY)["USD"] == 1.0
    with pytest.raises(KeyError):
        fx.rate("XYZ", DAY)


def test_conversion_is_exact(ctx):
    assert fx.to_usd_micros(123_456_789, "USD", DAY) == 123_456_789
    # 100 EUR at 1.1611 USD per EUR, to the micro-dollar
    assert fx.to_usd_micros(100_000_000, "EUR", DAY) == 116_110_000
    assert fx.to_usd_micros(0, "JPY", DAY) == 0
    FxRate.create(currency="GBP", day=DAY, rate=4.0, source="test")
    assert fx.to_usd_micros(2, "GBP", DAY) == 0  # 0.5 rounds half to even
    assert fx.to_usd_micros(6, "GBP", DAY) == 2  # 1.5 rounds half to even
    assert fx.to_usd_micros(10, "GBP", DAY) == 2  # 2.5 rounds half to even


def test_the_snapshot_ships_as_package_data():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert "*.json" in config["options.package_data"]["linkhub.data"]
    assert (ROOT / "linkhub" / "data" / "__init__.py").is_file()
    assert (ROOT / "linkhub" / "data" / fx.SNAPSHOT_FILE).is_file()

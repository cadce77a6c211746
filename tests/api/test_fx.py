"""/api/fx/rates and /api/fx/convert through HTTP: exact numbers from the fixture ECB XML,
re-basing, Decimal conversion, staleness, snapshot fallback, bad input (400, nothing
written) and auth."""

from __future__ import annotations

from datetime import datetime

import pytest

from linkhub import clock
from tests.conftest import db_snapshot
from tests.services.test_fx_refresh import load_fixture

TODAY = datetime(2026, 2, 3, 12, 0)


@pytest.fixture
def rates(app):
    clock.freeze(TODAY)
    with app.app_context():
        load_fixture()  # 2026-02-02: USD 1.25, GBP 0.85, JPY 160, CHF 0.95 per EUR


def _data(response) -> dict:
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def test_rates_per_usd_from_the_stored_ecb_day(client, alice, rates):
    data = _data(client.get("/api/fx/rates", headers=alice.headers))
    assert {k: data[k] for k in ("base", "date", "source", "stale")} == {
        "base": "USD", "date": "2026-02-02", "source": "ecb", "stale": False}
    assert data["rates"]["GBP"] == 0.68 and data["rates"]["EUR"] == 0.8
    assert data["rates"]["JPY"] == 128.0 and data["rates"]["USD"] == 1.0
    assert "AUD" in data["rates"]  # snapshot currencies the fixture lacks stay listed


def test_rates_rebased_to_another_base(client, alice, rates):
    data = _data(client.get("/api/fx/rates?base=gbp&date=2026-02-02", headers=alice.headers))
    assert data["base"] == "GBP" and data["rates"]["GBP"] == 1.0
    assert data["rates"]["USD"] == pytest.approx(1 / 0.68, rel=1e-12)
    assert data["rates"]["EUR"] == pytest.approx(0.8 / 0.68, rel=1e-12)


def test_convert_is_exact_and_reports_the_ecb_day(client, alice, rates):
    data = _data(client.get("/api/fx/convert?from=EUR&to=USD&amount=12.5",
                            headers=alice.headers))
    assert data == {"from": "EUR", "to": "USD", "amount": 12.5, "result": 15.625, "rate": 1.25,
                    "date": "2026-02-02", "source": "ecb", "stale": False}
    data = _data(client.get("/api/fx/convert?from=GBP&to=JPY&amount=1&date=2026-02-02",
                            headers=alice.headers))
    assert data["rate"] == pytest.approx(188.2352941176, rel=1e-10)
    assert data["result"] == 188.235294  # Decimal, half to even at 6 decimals
    same = _data(client.get("/api/fx/convert?from=usd&to=USD&amount=0", headers=alice.headers))
    assert same["result"] == 0 and same["rate"] == 1


def test_staleness_and_snapshot_fallback(client, alice, rates):
    clock.freeze(datetime(2026, 2, 10, 12, 0))
    assert _data(client.get("/api/fx/rates", headers=alice.headers))["stale"] is True  # today
    data = _data(client.get("/api/fx/convert?from=EUR&to=USD&amount=1&date=2026-02-05",
                            headers=alice.headers))
    assert data["date"] == "2026-02-02" and data["stale"] is False  # 3 days: still fresh
    data = _data(client.get("/api/fx/convert?from=EUR&to=USD&amount=1&date=2026-02-06",
                            headers=alice.headers))
    assert data["stale"] is True and data["result"] == 1.25
    # before the first stored day: the shipped snapshot (2025-10-09, 1.1611 USD per EUR)
    data = _data(client.get("/api/fx/convert?from=EUR&to=USD&amount=100&date=2025-10-10",
                            headers=alice.headers))
    assert (data["source"], data["date"], data["stale"]) == ("snapshot", "2025-10-09", False)
    assert data["result"] == 116.11
    data = _data(client.get("/api/fx/rates?date=2026-01-01", headers=alice.headers))
    assert (data["source"], data["date"], data["stale"]) == ("snapshot", "2025-10-09", True)


BAD = [
    ("/api/fx/rates?base=XYZ", "base"),
    ("/api/fx/rates?base=EURO", "base"),
    ("/api/fx/rates?date=2026-02-30", "date"),
    ("/api/fx/rates?date=02/02/2026", "date"),
    ("/api/fx/rates?date=1990-01-01", "date"),
    ("/api/fx/rates?date=2030-01-01", "date"),
    ("/api/fx/convert?to=USD&amount=1", "from"),
    ("/api/fx/convert?from=EUR&to=ABC&amount=1", "to"),
    ("/api/fx/convert?from=EUR&to=USD", "amount"),
    ("/api/fx/convert?from=EUR&to=USD&amount=-1", "amount"),
    ("/api/fx/convert?from=EUR&to=USD&amount=abc", "amount"),
    ("/api/fx/convert?from=EUR&to=USD&amount=NaN", "amount"),
    ("/api/fx/convert?from=EUR&to=USD&amount=Infinity", "amount"),
    ("/api/fx/convert?from=EUR&to=USD&amount=1e300", "amount"),
    ("/api/fx/convert?from=EUR&to=USD&amount=1&date=tomorrow", "date"),
]


@pytest.mark.parametrize("url,field", BAD)
def test_bad_input_is_400_and_changes_nothing(app, client, alice, rates, url, field):
    before = db_snapshot(app)
    response = client.get(url, headers=alice.headers)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in {d["field"] for d in error["details"]}
    assert db_snapshot(app) == before


def test_several_problems_are_reported_together(client, alice, rates):
    response = client.get("/api/fx/convert?from=XX&to=YYY&amount=-3&date=x",
                          headers=alice.headers)
    fields = {d["field"] for d in response.get_json()["error"]["details"]}
    assert fields == {"from", "to", "amount", "date"}


def test_auth(client, alice, charlie, rates):
    for url in ("/api/fx/rates", "/api/fx/convert?from=EUR&to=USD&amount=1"):
        response = client.get(url)
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "UNAUTHORIZED"
        assert client.get(url, headers=charlie.headers).status_code == 200  # any member

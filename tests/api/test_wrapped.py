"""GET /api/wrapped: a year in review computed from rollups, with exact figures from known
traffic driven through real redirects (a New York workspace, so local days and years differ
from UTC ones), the year's validation, isolation and the dashboard page's numbers."""

from __future__ import annotations

from datetime import datetime

import pytest

from linkhub import clock
from linkhub.models import Click, Link, Workspace
from linkhub.schemas.wrapped import WrappedOut
from tests.conftest import db_snapshot, session
from tests.redirect.redirect_support import ANDROID, CHROME, GOOGLEBOT, IPHONE

VISITORS = {
    "A": ("8.8.8.8", CHROME),        # US
    "B": ("5.9.0.1", IPHONE),        # DE
    "C": ("81.2.69.160", ANDROID),   # GB
    "D": ("133.0.0.1", CHROME),      # JP
    "BOT": ("8.8.8.8", GOOGLEBOT),
}
# (UTC time, visitor, code); the local (America/New_York) day is in the comment
VISITS = [
    (datetime(2024, 3, 5, 15, 0), "A", "wrap1"),     # v1  2024-03-05
    (datetime(2024, 3, 5, 15, 5), "B", "wrap1"),     # v2  2024-03-05
    (datetime(2025, 1, 1, 3, 0), "C", "wrap2"),      # v3  2024-12-31 22:00 EST: last year
    (datetime(2025, 3, 10, 15, 0), "A", "wrap1"),    # v4  2025-03-10 (A seen in 2024)
    (datetime(2025, 3, 10, 15, 1), "B", "wrap1"),    # v5  2025-03-10 (B seen in 2024)
    (datetime(2025, 3, 10, 15, 2), "C", "wrap1"),    # v6  2025-03-10 unique
    (datetime(2025, 3, 11, 2, 0), "D", "wrap2"),     # v7  2025-03-10 22:00 EDT unique
    (datetime(2025, 3, 11, 2, 1), "BOT", "wrap2"),   # v8  bot: left out
    (datetime(2025, 7, 4, 12, 0), "A", "wrap3"),     # v9  2025-07-04 unique
    (datetime(2025, 7, 4, 12, 1), "A", "wrap1"),     # v10 2025-07-04
    (datetime(2025, 12, 31, 23, 30), "D", "wrap3"),  # v11 2025-12-31 unique
    (datetime(2026, 1, 1, 4, 30), "B", "wrap3"),     # v12 2025-12-31 23:30 EST unique
    (datetime(2026, 1, 1, 5, 30), "D", "wrap1"),     # v13 2026-01-01 00:30: this year
]
# (UTC time, the nth human click of the code, USD value)
CONVERSIONS = [(datetime(2024, 3, 5, 15, 6), "wrap1", 0, 5),
               (datetime(2025, 3, 10, 15, 3), "wrap1", 2, 25),
               (datetime(2025, 7, 4, 12, 2), "wrap3", 0, 10)]
NOW = datetime(2026, 2, 1, 12, 0)


@pytest.fixture
def settings_overrides():
    return {"TRUSTED_PROXIES": ["127.0.0.1"], "RATE_LIMIT_ENABLED": False}


def _flush(app) -> int:
    return app.extensions["linkhub.clicks"].writer.flush()


@pytest.fixture
def traffic(app, client, alice):
    Workspace.update(timezone="America/New_York").where(
        Workspace.public_id == alice.workspace_id).execute()
    clock.freeze(datetime(2024, 1, 2))
    for code, title in (("wrap1", "First"), ("wrap2", "Second"), ("wrap3", "Third")):
        response = client.post("/api/links", headers=alice.headers, json={
            "shortCode": code, "destinationUrl": f"https://example.com/{code}",
            "title": title, "conversionTracking": True})
        assert response.status_code == 201, response.get_json()
    visitors = {}
    for when, who, code in VISITS:
        clock.freeze(when)
        ip, agent = VISITORS[who]
        visitor = visitors.setdefault(who, app.test_client())
        response = visitor.get(f"/{code}", headers={"User-Agent": agent, "X-Forwarded-For": ip})
        assert response.status_code == 302
    assert _flush(app) == len(VISITS)
    for n, (when, code, nth, value) in enumerate(CONVERSIONS):
        clock.freeze(when)
        clicks = list(Click.select().join(Link, on=(Click.link == Link.id))
                      .where(Link.short_code == code, Click.bot == False)  # noqa: E712
                      .order_by(Click.id))
        response = client.post("/api/conversions/track", headers=alice.headers, json={
            "clickId": clicks[nth].public_id, "event": "purchase", "value": value,
            "currency": "USD", "orderId": f"order-{n}"})
        assert response.status_code == 201, response.get_json()
    clock.freeze(NOW)


def wrapped(client, persona, query: str = "year=2025", status: int = 200) -> dict:
    response = client.get(f"/api/wrapped?{query}", headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"] if status == 200 else response.get_json()


def test_the_year_in_review_has_exact_figures(client, alice, traffic):
    data = wrapped(client, alice)
    WrappedOut.model_validate(data)
    assert data["year"] == 2025 and data["timezone"] == "America/New_York"
    assert data["complete"] is True
    assert (data["start"], data["end"]) == ("2025-01-01T05:00:00.000Z",
                                            "2026-01-01T05:00:00.000Z")
    # v4 v5 v6 v7 v9 v10 v11 v12; unique: v6 v7 v9 v11 v12 (A and B met wrap1 in 2024)
    assert (data["clicks"], data["uniqueClicks"]) == (8, 5)
    assert (data["previousYearClicks"], data["clicksGrowth"]) == (3, 166.67)
    assert [(link["shortCode"], link["clicks"], link["uniqueClicks"])
            for link in data["topLinks"]] == [("wrap1", 4, 1), ("wrap3", 3, 3), ("wrap2", 1, 1)]
    assert data["topLinks"][0]["title"] == "First" and data["topLinks"][0]["id"].startswith(
        "link_")
    assert data["topCountries"] == [
        {"country": "US", "clicks": 3, "share": 37.5},
        {"country": "DE", "clicks": 2, "share": 25.0},
        {"country": "JP", "clicks": 2, "share": 25.0},
        {"country": "GB", "clicks": 1, "share": 12.5}]
    # local 2025-03-10 has v4 v5 v6 and v7 (22:00 EDT); in UTC it would have only three
    assert data["busiestDay"] == {"date": "2025-03-10", "weekday": "Monday", "clicks": 4}
    months = {m["month"]: m for m in data["months"]}
    assert list(months) == [f"2025-{n:02d}" for n in range(1, 13)]
    assert months["2025-03"] == {"month": "2025-03", "clicks": 4, "uniqueClicks": 2,
                                 "previousYearClicks": 2, "growth": 100.0}
    assert months["2025-07"] == {"month": "2025-07", "clicks": 2, "uniqueClicks": 1,
                                 "previousYearClicks": 0, "growth": None}
    assert months["2025-12"] == {"month": "2025-12", "clicks": 2, "uniqueClicks": 2,
                                 "previousYearClicks": 1, "growth": 100.0}
    assert sum(m["clicks"] for m in data["months"]) == 8
    assert (data["conversions"], data["revenue"], data["currency"]) == (2, 35, "USD")
    assert (data["previousYearConversions"], data["previousYearRevenue"],
            data["revenueGrowth"]) == (1, 5, 600.0)


def test_the_current_year_is_the_default_and_counts_so_far(client, alice, traffic):
    data = wrapped(client, alice, "")
    assert data["year"] == 2026 and data["complete"] is False
    assert data["clicks"] == 1 and data["topLinks"][0]["shortCode"] == "wrap1"
    assert data["previousYearClicks"] == 8 and data["busiestDay"]["date"] == "2026-01-01"


def test_a_quiet_year_is_all_zeros(client, alice, traffic):
    data = wrapped(client, alice, "year=2010")
    assert (data["clicks"], data["topLinks"], data["topCountries"], data["busiestDay"]) == \
        (0, [], [], None)
    assert data["clicksGrowth"] is None and len(data["months"]) == 12


@pytest.mark.parametrize("year,message", [
    ("1999", "2000 or later"), ("2027", "future"), ("abc", "four-digit"), ("20255", "four"),
    ("-2025", "four"), ("２０２５", "four"),
])
def test_bad_years_are_400(app, client, alice, year, message):
    clock.freeze(NOW)
    before = db_snapshot(app)
    body = wrapped(client, alice, f"year={year}", 400)
    assert body["error"]["code"] == "VALIDATION_ERROR"
    assert body["error"]["details"][0]["field"] == "year"
    assert message in body["error"]["details"][0]["message"]
    assert db_snapshot(app) == before


def test_next_year_is_judged_in_the_workspace_time_zone(client, alice):
    # 2026-01-01 02:00 UTC is still 2025 in New York: 2026 is the future there
    Workspace.update(timezone="America/New_York").where(
        Workspace.public_id == alice.workspace_id).execute()
    clock.freeze(datetime(2026, 1, 1, 2, 0))
    wrapped(client, alice, "year=2026", 400)
    assert wrapped(client, alice, "")["year"] == 2025


def test_another_workspace_sees_only_its_own_year(client, charlie, traffic):
    data = wrapped(client, charlie)
    assert data["clicks"] == 0 and data["topLinks"] == [] and data["conversions"] == 0


def test_the_dashboard_page_shows_the_same_numbers(app, alice, traffic):
    me = session(app, alice.email)
    page = me.get("/app/wrapped?year=2025").get_data(as_text=True)
    assert 'data-metric="clicks">8<' in page
    assert 'data-metric="busiestDay">2025-03-10<' in page
    assert "First" in page and "166.7%" in page and "35.00 USD" in page
    assert 'data-month="2025-03"' in page and "@media print" not in page  # CSS in a file
    response = me.get("/app/wrapped?year=1999")
    assert response.status_code == 400 and "2000 or later" in response.get_data(as_text=True)

"""Known traffic for the analytics API tests, driven through real redirects: three links (one
with two rules), a campaign with a cost model and budgets, a folder, tags, four visitors from
four countries on three devices, a bot, QR scans, referrers, and conversions tracked through
the API. The expected figures are worked out by hand in the test modules. No tests here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from linkhub import clock
from linkhub.models import Click
from tests.redirect.redirect_support import ANDROID, CHROME, GOOGLEBOT, IPHONE

CREATED = datetime(2026, 3, 9, 8, 0)
NOW = datetime(2026, 3, 10, 18, 0)  # the clock while reports are read
RANGE = "start=2026-03-09&end=2026-03-10&timezone=UTC"
SETTINGS = {"TRUSTED_PROXIES": ["127.0.0.1"], "RATE_LIMIT_ENABLED": False}

# visitor -> (X-Forwarded-For, user agent); each has its own cookie jar (its lh_vid)
VISITORS = {
    "A": ("8.8.8.8", CHROME),        # US, desktop, windows, chrome
    "B": ("5.9.0.1", IPHONE),        # DE, mobile, ios, safari
    "C": ("81.2.69.160", ANDROID),   # GB, mobile, android, chrome
    "D": ("133.0.0.1", CHROME),      # JP, desktop, windows, chrome
    "BOT": ("8.8.8.8", GOOGLEBOT),   # US, a crawler
}
GOOGLE = "https://www.google.com/search?q=x"
TWITTER = "https://twitter.com/someone/status/1"

# (UTC time, visitor, path, referrer) in order; numbered as in the test modules' comments
VISITS = [
    (datetime(2026, 3, 9, 10, 15), "A", "/promo", GOOGLE),      # 1 L1 default, unique
    (datetime(2026, 3, 9, 10, 16), "B", "/promo", None),        # 2 L1 rule DE, unique
    (datetime(2026, 3, 9, 10, 17), "C", "/promo", TWITTER),     # 3 L1 rule mobile, unique
    (datetime(2026, 3, 9, 10, 18), "BOT", "/promo", None),      # 4 L1 bot
    (datetime(2026, 3, 9, 14, 40), "A", "/promo", GOOGLE),      # 5 L1 default
    (datetime(2026, 3, 9, 14, 41), "A", "/docs?utm_source=news&utm_medium=email", GOOGLE),  # 6
    (datetime(2026, 3, 10, 9, 5), "D", "/promo?qr=1", None),    # 7 L1 default, qr, unique
    (datetime(2026, 3, 10, 9, 6), "B", "/promo", None),         # 8 L1 rule DE
    (datetime(2026, 3, 10, 9, 7), "D", "/third?qr=1", None),    # 9 L3 qr, unique
    (datetime(2026, 3, 10, 9, 8), "C", "/docs", None),          # 10 L2, unique
]


@dataclass
class Scenario:
    links: dict[str, dict] = field(default_factory=dict)  # L1, L2, L3
    rules: dict[str, dict] = field(default_factory=dict)  # DE, MOBILE
    campaign: dict = field(default_factory=dict)
    empty_campaign: dict = field(default_factory=dict)
    folder: dict = field(default_factory=dict)
    conversions: list[dict] = field(default_factory=list)


def _post(client, persona, path: str, body: dict) -> dict:
    response = client.post(path, json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def visit(app, clients: dict, who: str, path: str, referrer: str | None = None):
    ip, ua = VISITORS[who]
    if who not in clients:
        clients[who] = app.test_client()
    headers = {"User-Agent": ua, "X-Forwarded-For": ip}
    if referrer:
        headers["Referer"] = referrer
    response = clients[who].get(path, headers=headers)
    assert response.status_code == 302, response.data[:200]
    return response


def flush(app) -> int:
    return app.extensions["linkhub.clicks"].writer.flush()


def build(app, client, persona, *, conversions: bool = True) -> Scenario:
    """Create the links and rules, drive VISITS, track conversions; leaves the clock at NOW."""
    sc = Scenario()
    clock.freeze(CREATED)
    sc.campaign = _post(client, persona, "/api/campaigns", {
        "name": "Spring", "costModel": "cpc", "costOverride": 0.5, "dailyBudget": 10,
        "totalBudget": 100})
    sc.empty_campaign = _post(client, persona, "/api/campaigns", {"name": "Idle"})
    sc.folder = _post(client, persona, "/api/folders", {"name": "Marketing"})
    sc.links["L1"] = _post(client, persona, "/api/links", {
        "shortCode": "promo", "destinationUrl": "https://example.com/landing",
        "title": "Promo", "campaignId": sc.campaign["id"], "folderId": sc.folder["id"],
        "tags": ["alpha", "beta"], "conversionTracking": True})
    sc.links["L2"] = _post(client, persona, "/api/links", {
        "shortCode": "docs", "destinationUrl": "https://docs.example.org/start",
        "title": "=HYPERLINK(\"http://evil\")", "folderId": sc.folder["id"],
        "tags": ["alpha"]})
    sc.links["L3"] = _post(client, persona, "/api/links", {
        "shortCode": "third", "destinationUrl": "https://third.example.net/",
        "title": "@third", "campaignId": sc.campaign["id"]})
    sc.rules["DE"] = _post(client, persona, "/api/rules", {
        "name": "Germany", "linkId": sc.links["L1"]["id"], "priority": 1,
        "destinationUrl": "https://de.example.com/",
        "conditions": [{"field": "country", "operator": "equals", "value": "DE"}]})
    sc.rules["MOBILE"] = _post(client, persona, "/api/rules", {
        "name": "Phones", "linkId": sc.links["L1"]["id"], "priority": 2,
        "destinationUrl": "https://m.example.com/",
        "conditions": [{"field": "deviceType", "operator": "equals", "value": "mobile"}]})
    clients: dict = {}
    for when, who, path, referrer in VISITS:
        clock.freeze(when)
        visit(app, clients, who, path, referrer)
    flush(app)
    if conversions:
        track(client, persona, sc)
    clock.freeze(NOW)
    return sc


def click_id(link_code: str, nth: int = 0) -> str:
    from linkhub.models import Link

    rows = (Click.select().join(Link, on=(Click.link == Link.id))
            .where(Link.short_code == link_code, Click.bot == False)  # noqa: E712
            .order_by(Click.id))
    return list(rows)[nth].public_id


def track(client, persona, sc: Scenario) -> None:
    """Counted: a $25.50 sale on Mar 9, a lead and a pending $10 sale on Mar 10; not
    counted: a rejected $100 sale on Mar 10."""
    for when, nth, body in (
            (datetime(2026, 3, 9, 16, 0), 0, {"event": "purchase", "value": 25.5,
                                              "orderId": "o-1"}),
            (datetime(2026, 3, 10, 10, 0), 1, {"event": "signup"}),
            (datetime(2026, 3, 10, 11, 0), 2, {"event": "purchase", "value": 10,
                                               "orderId": "o-2", "status": "pending"}),
            (datetime(2026, 3, 10, 12, 0), 3, {"event": "purchase", "value": 100,
                                               "orderId": "o-3", "status": "rejected"})):
        clock.freeze(when)
        sc.conversions.append(_post(client, persona, "/api/conversions/track",
                                    {"clickId": click_id("promo", nth), **body}))


def get(client, persona, path: str, status: int = 200) -> dict:
    response = client.get(path, headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def data(client, persona, path: str) -> dict:
    return get(client, persona, path)["data"]

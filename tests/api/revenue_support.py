"""Helpers for the unified-analytics and live-feed tests: links and campaigns made through the
API, a visitor (own cookie jar, address and agent) clicking a short link, the click id the
redirect appended, and conversions tracked through POST /api/conversions/track. No tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from linkhub import clock
from tests.redirect.useragents import AGENTS

UA = {agent.name: agent.ua for agent in AGENTS}


def at(*parts: int) -> None:
    """Pin the app clock (clicks, conversions and ranges all read it)."""
    clock.freeze(datetime(*parts))


def make_campaign(client, persona, name: str) -> str:
    response = client.post("/api/campaigns", json={"name": name}, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]["id"]


def make_link(client, persona, code: str, title: str, campaign_id: str | None = None) -> str:
    body: dict[str, Any] = {"destinationUrl": "https://shop.example/landing", "shortCode": code,
                            "title": title, "conversionTracking": True}
    if campaign_id:
        body["campaignId"] = campaign_id
    response = client.post("/api/links", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]["id"]


def click(app, path: str, agent: str = "iphone-safari", ip: str = "8.8.8.8",
          referrer: str | None = None) -> str | None:
    """One visit by a visitor of its own; the `lw_cid` the redirect appended (None for bots,
    whose redirect may carry one too: then it is returned as well)."""
    headers = {"User-Agent": UA[agent]}
    if referrer:
        headers["Referer"] = referrer
    with app.test_client() as visitor:
        response = visitor.get(path, headers=headers, environ_base={"REMOTE_ADDR": ip})
    assert response.status_code in (301, 302, 307, 308), response.status_code
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return query.get("lw_cid", [None])[0]


def flush(app) -> int:
    return app.extensions["linkhub.clicks"].writer.flush()


def track(client, persona, click_id: str, event: str, value: float | None = None,
          **extra: Any) -> str:
    body = {"clickId": click_id, "event": event, **extra}
    if value is not None:
        body["value"] = value
    response = client.post("/api/conversions/track", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]["conversionId"]


def set_status(client, persona, conversion_id: str, status: str) -> None:
    response = client.patch(f"/api/conversions/{conversion_id}", json={"status": status},
                            headers=persona.headers)
    assert response.status_code == 200, response.get_json()


def get(client, persona, path: str, /, **params: Any) -> dict[str, Any]:
    response = client.get(path, query_string=params, headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def error(client, persona, path: str, expected: int, /, **params: Any) -> dict[str, Any]:
    response = client.get(path, query_string=params, headers=persona.headers)
    assert response.status_code == expected, response.get_json()
    return response.get_json()["error"]

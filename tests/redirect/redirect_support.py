"""Helpers shared by the redirect tests: create links, rules, campaigns and domains through the
real API, send a visitor with a real user agent, flush the click writer and read what it
wrote. No tests here."""

from __future__ import annotations

from typing import Any

from linkhub.models import Click, ClickRollup, Domain, Link, OrphanVisit
from linkhub.services import domain_verification
from tests.redirect.useragents import AGENTS

UA = {agent.name: agent.ua for agent in AGENTS}
CHROME = UA["chrome-windows"]
IPHONE = UA["iphone-safari"]
ANDROID = UA["pixel-chrome"]
GOOGLEBOT = UA["googlebot"]


def make_link(client, persona, **body: Any) -> dict:
    body.setdefault("destinationUrl", "https://example.com/landing")
    response = client.post("/api/links", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def patch_link(client, persona, link_id: str, **body: Any) -> dict:
    response = client.patch(f"/api/links/{link_id}", json=body, headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


def make_rule(client, persona, **body: Any) -> dict:
    body.setdefault("name", "Rule")
    response = client.post("/api/rules", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def make_campaign(client, persona, **body: Any) -> dict:
    body.setdefault("name", "Spring")
    response = client.post("/api/campaigns", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def make_domain(client, persona, name: str, *, verified: bool = True, monkeypatch=None,
                **body: Any) -> dict:
    """A custom domain through the API; verified through the verify endpoint with the probes
    replaced (monkeypatch given) or by marking the model (the cache is cleared either way)."""
    response = client.post("/api/domains", json={"name": name, **body}, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    if verified and monkeypatch is not None:
        monkeypatch.setattr(domain_verification, "check", lambda domain, token: (True, None))
        got = client.post(f"/api/domains/{data['id']}/verify", headers=persona.headers)
        assert got.status_code == 200 and got.get_json()["data"]["verified"], got.get_json()
        return got.get_json()["data"]
    if verified:
        Domain.update(verified=True).where(Domain.public_id == data["id"]).execute()
        client.application.extensions["linkhub.link_cache"].clear()
    return data


def visit(client, path: str, ua: str | None = CHROME, method: str = "GET", **kwargs: Any):
    headers = dict(kwargs.pop("headers", {}) or {})
    if ua is not None:
        headers.setdefault("User-Agent", ua)
    return client.open(path, method=method, headers=headers, **kwargs)


def flush(app) -> int:
    return app.extensions["linkhub.clicks"].writer.flush()


def clicks(link_id: str | None = None) -> list[Click]:
    query = Click.select().order_by(Click.id)
    if link_id is not None:
        query = query.join(Link, on=(Click.link == Link.id)).where(Link.public_id == link_id)
    return list(query)


def link_row(link_id: str) -> Link:
    return Link.get(Link.public_id == link_id)


def orphans() -> list[OrphanVisit]:
    return list(OrphanVisit.select().order_by(OrphanVisit.id))


def rollup(link_id: str, dimension: str, value: str) -> tuple[int, int, int]:
    """(clicks, uniqueClicks, botClicks) summed over hours."""
    rows = (ClickRollup.select().join(Link, on=(ClickRollup.link == Link.id))
            .where(Link.public_id == link_id, ClickRollup.matches(dimension, value)))
    totals = [0, 0, 0]
    for row in rows:
        totals[0] += row.clicks
        totals[1] += row.unique_clicks
        totals[2] += row.bot_clicks
    return tuple(totals)

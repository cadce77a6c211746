"""A known story of clicks, customers and conversions, built only through HTTP (redirects with
real user agents and IPs, /api/customers and /api/conversions/track) under a frozen clock, for
the customers and events tests. No tests here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from linkhub import clock, ids
from tests.redirect.redirect_support import CHROME, flush, make_campaign, make_link, visit

TRACK = "/api/conversions/track"


def click(client, link: dict, *, query: str = "", ip: str | None = None,
          referer: str | None = None) -> str:
    """Visit a conversion-tracking link like a browser; the `lw_cid` of its Location."""
    kwargs: dict = {"headers": {"Referer": referer} if referer else {}}
    if ip:
        kwargs["environ_base"] = {"REMOTE_ADDR": ip}
    response = visit(client, "/" + link["shortCode"] + query, ua=CHROME, **kwargs)
    assert response.status_code == 302, response.get_data(as_text=True)
    cid = dict(parse_qsl(urlsplit(response.headers["Location"]).query))["lw_cid"]
    assert ids.is_valid("click", cid)
    return cid


def track(client, persona, **body) -> dict:
    response = client.post(TRACK, json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def upsert(client, persona, status: int = 201, **body) -> dict:
    response = client.post("/api/customers", json=body, headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"]


def customer(client, persona, ref: str) -> dict:
    response = client.get(f"/api/customers/{ref}", headers=persona.headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]


@dataclass
class Story:
    spring: dict = field(default_factory=dict)
    link_a: dict = field(default_factory=dict)
    link_b: dict = field(default_factory=dict)
    clicks: dict[str, str] = field(default_factory=dict)
    conversions: dict[str, str] = field(default_factory=dict)  # orderId -> conv id
    customers: dict[str, str] = field(default_factory=dict)  # externalId -> cus id


def at(*parts: int) -> None:
    clock.freeze(datetime(*parts))


def tell(app, client, persona) -> Story:
    """Four customers over three months (now: 2026-03-10 11:00 UTC, the last two clicks still
    in the buffer):

    - u1: click c1 on link A (campaign Spring, ?utm_source=newsletter, US) 2026-01-05 10:00,
      lead L-1 and purchase S-1 of 100 USD then; click c5 on link B (US) 2026-03-10 11:00 and
      purchase S-5 of 25.
    - u2: click c2 on link B (Referer twitter.com, GB) 2026-01-20 09:00, lead L-2 then;
      purchase S-2 of 30 on the same click 2026-02-10 08:00.
    - u3: created through /api/customers 2026-02-03 12:00, no click, no conversion.
    - u4: click c4 on link A (NL) 2026-02-15 16:30: purchase S-3 of 70 refunded, S-4 of 20.
    - plus a custom `download` event D-1 on c5 with no customer (2026-03-10 11:00).
    """
    story = Story()
    at(2026, 1, 5, 10, 0)
    story.spring = make_campaign(client, persona, name="Spring")
    story.link_a = make_link(client, persona, shortCode="shopa", conversionTracking=True,
                             campaignId=story.spring["id"])
    story.link_b = make_link(client, persona, shortCode="shopb", conversionTracking=True)
    c = story.clicks
    c["c1"] = click(client, story.link_a, query="?utm_source=newsletter", ip="8.8.8.8")
    for order, event, value in (("L-1", "signup", None), ("S-1", "purchase", 100)):
        story.conversions[order] = track(client, persona, clickId=c["c1"], event=event,
                                         value=value, orderId=order,
                                         customerExternalId="u1")["conversionId"]
    at(2026, 1, 20, 9, 0)
    c["c2"] = click(client, story.link_b, referer="https://twitter.com/post/1",
                    ip="81.2.69.142")
    story.conversions["L-2"] = track(client, persona, clickId=c["c2"], event="signup",
                                     orderId="L-2", customerExternalId="u2")["conversionId"]
    flush(app)
    at(2026, 2, 3, 12, 0)
    story.customers["u3"] = upsert(client, persona, externalId="u3", email="u3@example.com",
                                   name="User Three")["id"]
    at(2026, 2, 10, 8, 0)
    story.conversions["S-2"] = track(client, persona, clickId=c["c2"], event="purchase",
                                     value=30, orderId="S-2",
                                     customerExternalId="u2")["conversionId"]
    at(2026, 2, 15, 16, 30)
    c["c4"] = click(client, story.link_a, ip="2.16.0.1")
    for order, value, status in (("S-3", 70, "refunded"), ("S-4", 20, "approved")):
        story.conversions[order] = track(client, persona, clickId=c["c4"], event="purchase",
                                         value=value, orderId=order, status=status,
                                         customerExternalId="u4")["conversionId"]
    flush(app)
    at(2026, 3, 10, 11, 0)
    c["c5"] = click(client, story.link_b, ip="8.8.8.8")
    story.conversions["S-5"] = track(client, persona, clickId=c["c5"], event="purchase",
                                     value=25, orderId="S-5",
                                     customerId="ext_u1")["conversionId"]
    story.conversions["D-1"] = track(client, persona, clickId=c["c5"], event="download",
                                     value=5, orderId="D-1")["conversionId"]
    for ext in ("u1", "u2", "u4"):
        story.customers[ext] = customer(client, persona, f"ext_{ext}")["id"]
    return story

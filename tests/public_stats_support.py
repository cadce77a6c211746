"""Known traffic for the public stats and embed tests, driven through real redirects and the
click writer: a campaign with two links (promo, third), a link outside it (docs), three
visitors from three countries on two devices, and a crawler. No tests here.

Expected figures (bots left out), range 2026-03-09..2026-03-10 UTC:
  promo: clicks 4 (Mar 9: 3, Mar 10: 1), unique 3 (Mar 9: 2, Mar 10: 1);
         countries US 2, DE 1, GB 1; devices desktop 2, mobile 2;
         referrers google.com 2, direct 1, twitter.com 1
  campaign (promo + third): clicks 5, unique 4; countries US 2, GB 2, DE 1
  workspace (promo + third + docs): clicks 6, unique 5
"""

from __future__ import annotations

from datetime import datetime

from linkhub import clock
from tests.redirect.redirect_support import ANDROID, CHROME, GOOGLEBOT, IPHONE

SETTINGS = {"TRUSTED_PROXIES": ["127.0.0.1"], "RATE_LIMIT_ENABLED": False}
CREATED = datetime(2026, 3, 9, 8, 0)
NOW = datetime(2026, 3, 10, 18, 0)
RANGE = "start=2026-03-09&end=2026-03-10&timezone=UTC"

VISITORS = {"A": ("8.8.8.8", CHROME), "B": ("5.9.0.1", IPHONE), "C": ("81.2.69.160", ANDROID),
            "BOT": ("8.8.8.8", GOOGLEBOT)}
GOOGLE = "https://google.com/search?q=x"
TWITTER = "https://twitter.com/someone/status/1"
VISITS = [
    (datetime(2026, 3, 9, 10, 15), "A", "/promo", GOOGLE),
    (datetime(2026, 3, 9, 10, 16), "B", "/promo", None),
    (datetime(2026, 3, 9, 10, 17), "BOT", "/promo", None),
    (datetime(2026, 3, 9, 14, 0), "A", "/promo", GOOGLE),
    (datetime(2026, 3, 10, 9, 0), "C", "/promo", TWITTER),
    (datetime(2026, 3, 10, 9, 5), "C", "/third", None),
    (datetime(2026, 3, 10, 9, 6), "A", "/docs", None),
]


def post(client, persona, path: str, body: dict, status: int = 201) -> dict:
    response = client.post(path, json=body, headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"]


def put(client, persona, path: str, body: dict, status: int = 200) -> dict:
    response = client.put(path, json=body, headers=persona.headers)
    assert response.status_code == status, response.get_json()
    return response.get_json()["data"]


def flush(app) -> int:
    return app.extensions["linkhub.clicks"].writer.flush()


def build(app, client, persona) -> dict:
    """Create the campaign and links, drive VISITS, flush; leaves the clock at NOW."""
    clock.freeze(CREATED)
    campaign = post(client, persona, "/api/campaigns", {"name": "Spring"})
    made = {"campaign": campaign}
    for code, title, in_campaign in (("promo", "Promo", True), ("third", "Third", True),
                                     ("docs", "Docs", False)):
        body = {"shortCode": code, "title": title,
                "destinationUrl": f"https://example.com/{code}-landing"}
        if in_campaign:
            body["campaignId"] = campaign["id"]
        made[code] = post(client, persona, "/api/links", body)
    clients: dict = {}
    for when, who, path, referrer in VISITS:
        clock.freeze(when)
        ip, ua = VISITORS[who]
        visitor = clients.setdefault(who, app.test_client())
        headers = {"User-Agent": ua, "X-Forwarded-For": ip}
        if referrer:
            headers["Referer"] = referrer
        assert visitor.get(path, headers=headers).status_code == 302
    flush(app)
    clock.freeze(NOW)
    return made


def token_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


def scoped_headers(app, persona, scopes: list[str]) -> dict[str, str]:
    """An API key of `persona` carrying only `scopes`."""
    from linkhub.services.api_keys import create_api_key

    with app.test_request_context():
        _, raw = create_api_key(persona.workspace, persona.user, "scoped", scopes)
    return {"X-API-Key": raw}


def viewer_headers(app, owner) -> dict[str, str]:
    """An all-scope API key of a new viewer of the owner's workspace."""
    import secrets

    from linkhub.services.accounts import create_user
    from linkhub.services.api_keys import create_api_key
    from linkhub.services.workspaces import add_member
    from tests.conftest import PASSWORD

    with app.test_request_context():
        user = create_user(f"viewer-{secrets.token_hex(3)}@example.com", PASSWORD, "Vera")
        add_member(owner.workspace, user, "viewer")
        _, raw = create_api_key(owner.workspace, user, "viewer key", ["*"])
    return {"X-API-Key": raw}

"""Steps 4-5 of the redirect: visitor facts and rules, end to end. Country (through a trusted
proxy's X-Forwarded-For, or the peer address), device and OS from real user agents, language
groups, `query.<name>`, time in the rule's zone, priority order, campaign and shared rules,
sticky percentage splits by the `lh_vid` cookie; the matched rule is recorded on the click and
in the `rule` rollup."""

from __future__ import annotations

from collections import Counter

import pytest

from linkhub import clock
from tests.redirect.redirect_support import (
    ANDROID,
    CHROME,
    IPHONE,
    UA,
    clicks,
    flush,
    make_campaign,
    make_link,
    make_rule,
    rollup,
    visit,
)

DEFAULT = "https://example.com/default"


@pytest.fixture
def settings_overrides():
    return {"TRUSTED_PROXIES": ["127.0.0.1"]}


@pytest.fixture
def link(client, alice):
    return make_link(client, alice, shortCode="smart", destinationUrl=DEFAULT)


def cond(field, operator, value=None):
    item = {"field": field, "operator": operator}
    if value is not None:
        item["value"] = value
    return item


def where(client, path="/smart", **kwargs) -> str:
    response = visit(client, path, **kwargs)
    assert response.status_code == 302, response.data[:200]
    return response.headers["Location"]


def test_country_from_a_trusted_proxy(client, app, alice, link):
    rule = make_rule(client, alice, linkId=link["id"], conditions=[cond("country", "in",
                                                                        ["de", "AT"])],
                     destinationUrl="https://example.com/de")
    assert where(client, headers={"X-Forwarded-For": "5.9.0.1"}) == "https://example.com/de"
    assert where(client, headers={"X-Forwarded-For": "8.8.8.8"}) == DEFAULT
    assert where(client) == DEFAULT  # 127.0.0.1: no country, so no match
    flush(app)
    first, second, third = clicks(link["id"])
    assert (first.country, first.rule_id is not None) == ("DE", True)
    assert (second.country, second.rule_id) == ("US", None)
    assert rollup(link["id"], "rule", rule["id"]) == (1, 1, 0)
    assert rollup(link["id"], "rule", "default") == (2, 0, 0)  # same visitor (lh_vid cookie)
    assert rollup(link["id"], "country", "DE") == (1, 1, 0)


def test_country_from_the_peer_address(client, alice, link):
    make_rule(client, alice, linkId=link["id"], conditions=[cond("country", "equals", "JP")],
              destinationUrl="https://example.com/jp")
    assert where(client, environ_base={"REMOTE_ADDR": "133.242.0.3"}) == \
        "https://example.com/jp"
    # An untrusted peer cannot claim another country.
    assert where(client, environ_base={"REMOTE_ADDR": "8.8.8.8"},
                 headers={"X-Forwarded-For": "133.242.0.3"}) == DEFAULT


@pytest.mark.parametrize("agent, expected", [
    ("iphone-safari", "https://example.com/ios"),
    ("samsung-galaxy-chrome", "https://example.com/android"),
    ("ipad-safari", "https://example.com/tablet"),
    ("chrome-windows", DEFAULT),
    ("safari-macos", DEFAULT),
])
def test_device_and_os_from_real_user_agents(client, alice, link, agent, expected):
    make_rule(client, alice, linkId=link["id"], priority=1,
              destinationUrl="https://example.com/tablet",
              conditions=[cond("deviceType", "equals", "tablet")])
    make_rule(client, alice, linkId=link["id"], priority=2,
              destinationUrl="https://example.com/ios",
              conditions=[cond("os", "equals", "iOS")])
    make_rule(client, alice, linkId=link["id"], priority=3,
              destinationUrl="https://example.com/android",
              conditions=[cond("os", "equals", "android"), cond("deviceType", "equals",
                                                                "mobile")])
    assert where(client, ua=UA[agent]) == expected


def test_language_groups(client, alice, link):
    make_rule(client, alice, linkId=link["id"], destinationUrl="https://example.com/es",
              conditions=[cond("language", "equals", "es")])
    assert where(client, headers={"Accept-Language": "es-MX,es;q=0.9"}) == \
        "https://example.com/es"
    assert where(client, headers={"Accept-Language": "fr-FR, es-AR;q=0.5"}) == \
        "https://example.com/es"  # any accepted language counts
    assert where(client, headers={"Accept-Language": "en-US,en;q=0.9"}) == DEFAULT
    assert where(client) == DEFAULT


def test_query_parameter_rule(client, alice, link):
    make_rule(client, alice, linkId=link["id"], destinationUrl="https://example.com/vip",
              conditions=[cond("query.tier", "equals", "gold")])
    assert where(client, "/smart?tier=GOLD").startswith("https://example.com/vip?")
    assert where(client, "/smart?tier=silver").startswith(DEFAULT)


def test_time_in_the_rule_timezone(client, alice, link):
    make_rule(client, alice, linkId=link["id"], timezone="America/New_York",
              destinationUrl="https://example.com/morning",
              conditions=[cond("hour", "less_than", 12)])
    clock.freeze(clock.parse_iso("2030-06-03T15:30:00Z"))  # 11:30 in New York (EDT)
    assert where(client) == "https://example.com/morning"
    clock.freeze(clock.parse_iso("2030-06-03T16:30:00Z"))  # 12:30 in New York
    assert where(client) == DEFAULT


def test_day_of_week_defaults_to_the_workspace_zone(client, alice, link):
    make_rule(client, alice, linkId=link["id"], destinationUrl="https://example.com/weekend",
              conditions=[cond("dayOfWeek", "in", ["saturday", "sunday"])])
    clock.freeze(clock.parse_iso("2030-06-01T10:00:00Z"))  # a Saturday (UTC workspace)
    assert where(client) == "https://example.com/weekend"
    clock.freeze(clock.parse_iso("2030-06-03T10:00:00Z"))  # Monday
    assert where(client) == DEFAULT


def test_priority_order_first_match_wins(client, app, alice, link):
    low = make_rule(client, alice, linkId=link["id"], priority=50,
                    destinationUrl="https://example.com/second",
                    conditions=[cond("deviceType", "equals", "mobile")])
    high = make_rule(client, alice, linkId=link["id"], priority=10,
                     destinationUrl="https://example.com/first",
                     conditions=[cond("os", "equals", "ios")])
    assert where(client, ua=IPHONE) == "https://example.com/first"
    assert where(client, ua=ANDROID) == "https://example.com/second"
    response = client.put(f"/api/rules/{low['id']}", json={"priority": 1},
                          headers=alice.headers)
    assert response.status_code == 200, response.get_json()
    assert where(client, ua=IPHONE) == "https://example.com/second"
    flush(app)
    assert [c.rule.public_id for c in clicks(link["id"])] == [high["id"], low["id"], low["id"]]


def test_campaign_rules_apply_to_all_its_links(client, app, alice):
    campaign = make_campaign(client, alice)
    first = make_link(client, alice, shortCode="one", campaignId=campaign["id"])
    make_link(client, alice, shortCode="two", campaignId=campaign["id"])
    make_link(client, alice, shortCode="solo")
    rule = make_rule(client, alice, campaignId=campaign["id"],
                     destinationUrl="https://example.com/campaign-mobile",
                     conditions=[cond("deviceType", "equals", "mobile")])
    assert where(client, "/one", ua=IPHONE) == "https://example.com/campaign-mobile"
    assert where(client, "/two", ua=ANDROID) == "https://example.com/campaign-mobile"
    assert where(client, "/one", ua=CHROME) == "https://example.com/landing"
    assert where(client, "/solo", ua=IPHONE) == "https://example.com/landing"
    flush(app)
    assert clicks(first["id"])[0].rule.public_id == rule["id"]
    assert rollup(first["id"], "rule", rule["id"]) == (1, 1, 0)


def test_shared_rules_attached_to_links(client, alice, link):
    shared = make_rule(client, alice, destinationUrl="https://example.com/shared",
                       conditions=[cond("referrerDomain", "equals", "news.example")])
    assert where(client, headers={"Referer": "https://news.example/a"}) == DEFAULT
    response = client.post(f"/api/rules/{shared['id']}/attach", json={"linkId": link["id"]},
                           headers=alice.headers)
    assert response.status_code == 200, response.get_json()
    assert where(client, headers={"Referer": "https://www.news.example/a"}) == \
        "https://example.com/shared"
    client.post(f"/api/rules/{shared['id']}/detach", json={"linkId": link["id"]},
                headers=alice.headers)
    assert where(client, headers={"Referer": "https://news.example/a"}) == DEFAULT


def test_percentage_split_is_sticky_per_visitor(app, alice, link):
    make_rule(app.test_client(), alice, linkId=link["id"],
              destinationUrl="https://example.com/b",
              conditions=[cond("percentage", "less_than", 50)])
    seen = Counter()
    for n in range(40):
        with app.test_client() as visitor:  # its own cookie jar
            ip = {"REMOTE_ADDR": f"198.51.100.{n + 1}"}
            first = where(visitor, environ_base=ip)
            assert visitor.get_cookie("lh_vid") is not None
            # Same lh_vid, any address or agent: the same side of the split.
            for m in range(3):
                assert where(visitor, environ_base={"REMOTE_ADDR": f"203.0.113.{m + 1}"},
                             ua=UA["firefox-linux"]) == first
            seen[first] += 1
    assert set(seen) == {"https://example.com/b", DEFAULT}


def test_rule_destination_keeps_link_settings(client, alice):
    link = make_link(client, alice, shortCode="utm", utmSource="newsletter")
    make_rule(client, alice, linkId=link["id"], destinationUrl="https://example.com/m?x=1",
              conditions=[cond("deviceType", "equals", "mobile")])
    assert where(client, "/utm?ref=a", ua=IPHONE) == \
        "https://example.com/m?x=1&utm_source=newsletter&ref=a"


def test_rule_changes_apply_to_the_next_redirect(client, alice, link):
    rule = make_rule(client, alice, linkId=link["id"], destinationUrl="https://example.com/m",
                     conditions=[cond("deviceType", "equals", "mobile")])
    assert where(client, ua=IPHONE) == "https://example.com/m"
    client.put(f"/api/rules/{rule['id']}", json={"enabled": False}, headers=alice.headers)
    assert where(client, ua=IPHONE) == DEFAULT
    client.put(f"/api/rules/{rule['id']}", json={"enabled": True,
                                                "destinationUrl": "https://example.com/n"},
               headers=alice.headers)
    assert where(client, ua=IPHONE) == "https://example.com/n"
    client.delete(f"/api/rules/{rule['id']}", headers=alice.headers)
    assert where(client, ua=IPHONE) == DEFAULT

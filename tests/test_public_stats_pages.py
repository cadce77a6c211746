"""The public pages: `/s/<token>` shows exactly the chosen metrics of real traffic (driven
through redirects and the click writer) and nothing else; `/embed/<token>` and its `.json`
answer each widget's exact numbers; disabled, rotated, revoked or unknown tokens are 404 at
once; framing and caching headers; bad parameters are 400."""

from __future__ import annotations

import re
from html import unescape

import pytest

from linkhub import clock
from tests import public_stats_support as sup
from tests.conftest import db_snapshot


@pytest.fixture
def settings_overrides():
    return sup.SETTINGS


@pytest.fixture
def traffic(app, client, alice):
    made = sup.build(app, client, alice)
    yield made
    clock.reset()


def share(client, alice, link_id: str, **body) -> dict:
    return sup.put(client, alice, f"/api/links/{link_id}/public-stats", body)


def html(response) -> str:
    return unescape(response.get_data(as_text=True))


def metrics_shown(page: str) -> set[str]:
    return set(re.findall(r'data-metric="(\w+)"', page))


def rows(page: str, metric: str) -> dict[str, tuple[str, str]]:
    """{value: (clicks, share)} of one breakdown table."""
    section = page.split(f'data-metric="{metric}"', 1)[1].split("</section>", 1)[0]
    return {v: (c, p) for v, c, p in re.findall(
        r'<tr data-value="([^"]+)"><td>[^<]*</td><td class="num">(\d+)</td>'
        r'<td class="num">([\d.]+)%</td></tr>', section)}


def stat(page: str, metric: str) -> str:
    match = re.search(rf'data-metric="{metric}">\s*<span class="stat-label">[^<]*</span>\s*'
                      r'<span class="stat-value">(\d+)</span>', page)
    assert match, metric
    return match.group(1)


# --- /s/<token> ---------------------------------------------------------------------------------

def test_page_shows_exactly_the_chosen_metrics(client, alice, traffic):
    data = share(client, alice, traffic["promo"]["id"], enabled=True,
                 metrics=["countries", "clicks"])
    response = client.get(f"/s/{sup.token_of(data['url'])}?{sup.RANGE}")
    assert response.status_code == 200
    page = html(response)
    assert metrics_shown(page) == {"clicks", "countries"}
    assert stat(page, "clicks") == "4"
    assert rows(page, "countries") == {"US": ("2", "50.0"), "DE": ("1", "25.0"),
                                       "GB": ("1", "25.0")}
    for hidden in ("Unique visitors", "Referrers", "Devices", "google.com", "desktop",
                   "Clicks over time", "example.com/promo-landing"):
        assert hidden not in page, hidden
    assert "Promo" in page


def test_every_metric_of_a_link(client, alice, traffic):
    data = share(client, alice, traffic["promo"]["id"], enabled=True,
                 metrics=["clicks", "uniqueClicks", "timeseries", "countries", "devices",
                          "browsers", "os", "referrers"])
    page = html(client.get(f"/s/{sup.token_of(data['url'])}?{sup.RANGE}"))
    assert metrics_shown(page) == {"clicks", "uniqueClicks", "timeseries", "countries",
                                   "devices", "browsers", "os", "referrers"}
    assert (stat(page, "clicks"), stat(page, "uniqueClicks")) == ("4", "3")
    assert rows(page, "devices") == {"desktop": ("2", "50.0"), "mobile": ("2", "50.0")}
    assert rows(page, "referrers") == {"google.com": ("2", "50.0"), "direct": ("1", "25.0"),
                                       "twitter.com": ("1", "25.0")}
    points = re.findall(r'<tr data-point="([^"]+)"><td>[^<]*</td><td class="num">(\d+)</td>'
                        r'<td class="num">(\d+)</td></tr>', page)
    assert points == [("2026-03-09T00:00:00.000+00:00", "3", "2"),
                      ("2026-03-10T00:00:00.000+00:00", "1", "1")]
    assert page.count('class="ps-bar"') == 2 and "<svg" in page


def test_timeseries_without_unique_has_no_unique_column(client, alice, traffic):
    data = share(client, alice, traffic["promo"]["id"], enabled=True, metrics=["timeseries"])
    page = html(client.get(f"/s/{sup.token_of(data['url'])}?{sup.RANGE}"))
    assert metrics_shown(page) == {"timeseries"}
    assert "Unique" not in page
    assert re.findall(r'<tr data-point="[^"]+"><td>[^<]*</td><td class="num">(\d+)</td></tr>',
                      page) == ["3", "1"]


def test_campaign_page_sums_its_links(client, alice, traffic):
    campaign_id = traffic["campaign"]["id"]
    data = sup.put(client, alice, f"/api/campaigns/{campaign_id}/public-stats",
                   {"enabled": True, "metrics": ["clicks", "uniqueClicks", "countries"]})
    page = html(client.get(f"/s/{sup.token_of(data['url'])}?{sup.RANGE}"))
    assert (stat(page, "clicks"), stat(page, "uniqueClicks")) == ("5", "4")
    assert rows(page, "countries") == {"US": ("2", "40.0"), "GB": ("2", "40.0"),
                                       "DE": ("1", "20.0")}
    assert "Spring" in page and "campaign" in page


def test_default_range_is_the_last_30_days(client, alice, traffic):
    data = share(client, alice, traffic["promo"]["id"], enabled=True, metrics=["clicks"])
    url = f"/s/{sup.token_of(data['url'])}"
    assert stat(html(client.get(url)), "clicks") == "4"
    clock.freeze(sup.NOW.replace(month=5))  # two months on: nothing in the last 30 days
    assert stat(html(client.get(url)), "clicks") == "0"
    assert stat(html(client.get(url + "?days=90")), "clicks") == "4"


def test_disable_rotate_and_delete_answer_404_at_once(app, client, alice, traffic):
    link_id = traffic["promo"]["id"]
    data = share(client, alice, link_id, enabled=True, metrics=["clicks"])
    url = f"/s/{sup.token_of(data['url'])}"
    assert client.get(url).status_code == 200
    share(client, alice, link_id, enabled=False)
    assert client.get(url).status_code == 404
    again = share(client, alice, link_id, enabled=True)
    assert again["url"] == data["url"] and client.get(url).status_code == 200
    rotated = sup.post(client, alice, f"/api/links/{link_id}/public-stats/rotate", {}, 200)
    assert rotated["url"] != data["url"]
    assert client.get(url).status_code == 404
    new_url = f"/s/{sup.token_of(rotated['url'])}"
    assert client.get(new_url).status_code == 200
    assert client.delete(f"/api/links/{link_id}", headers=alice.headers).status_code == 200
    assert client.get(new_url).status_code == 404


def test_unknown_tokens_and_bad_parameters(app, client, alice, traffic):
    data = share(client, alice, traffic["promo"]["id"], enabled=True, metrics=["clicks"])
    url = f"/s/{sup.token_of(data['url'])}"
    for path in ("/s/x", "/s/" + "A" * 32, "/s/" + "A" * 200, url + "x"):
        response = client.get(path)
        assert response.status_code == 404 and response.mimetype == "text/html"
    before = db_snapshot(app)
    for query, word in (("days=0", "days"), ("timezone=Mars/Base", "timezone"),
                        ("start=2026-03-10&end=2026-03-01", "start"), ("limit=900", "limit"),
                        ("granularity=week", "granularity")):
        response = client.get(f"{url}?{query}")
        assert response.status_code == 400, query
        assert word in html(response)
    assert db_snapshot(app) == before


def test_another_workspaces_link_is_404_and_changes_nothing(app, client, alice, charlie,
                                                            traffic):
    link_id = traffic["promo"]["id"]
    before = db_snapshot(app)
    for method, path in (("PUT", f"/api/links/{link_id}/public-stats"),
                         ("POST", f"/api/links/{link_id}/public-stats/rotate"),
                         ("GET", f"/api/links/{link_id}/public-stats")):
        response = client.open(path, method=method, json={"enabled": True},
                               headers=charlie.headers)
        assert response.status_code == 404 and response.get_json()["error"]["code"] == \
            "NOT_FOUND"
    assert db_snapshot(app) == before


def test_page_headers(client, alice, traffic):
    data = share(client, alice, traffic["promo"]["id"], enabled=True, metrics=["clicks"])
    response = client.get(f"/s/{sup.token_of(data['url'])}")
    assert response.headers["Cache-Control"] == "no-store"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "Content-Security-Policy" not in response.headers


# --- /embed/<token> -----------------------------------------------------------------------------

def embed(client, alice, widget: str, **scope) -> dict:
    return sup.post(client, alice, "/api/embeds", {"name": "Site", "widget": widget, **scope})


def test_embed_json_answers_each_widgets_exact_numbers(client, alice, traffic):
    promo = traffic["promo"]["id"]
    stats = embed(client, alice, "stats", linkId=promo)
    body = client.get(f"/embed/{stats['token']}.json?{sup.RANGE}").get_json()["data"]
    assert set(body) == {"node", "widgetType", "scope", "range", "clicks", "uniqueClicks"}
    assert (body["clicks"], body["uniqueClicks"]) == (4, 3)
    assert body["scope"] == {"type": "link", "title": "Promo", "linkId": promo,
                             "campaignId": None}
    series = embed(client, alice, "timeseries", campaignId=traffic["campaign"]["id"])
    body = client.get(f"/embed/{series['token']}.json?{sup.RANGE}").get_json()["data"]
    assert set(body) == {"node", "widgetType", "scope", "range", "clicks", "timeseries"}
    assert body["clicks"] == 5
    assert body["timeseries"] == [
        {"timestamp": "2026-03-09T00:00:00.000+00:00", "clicks": 3},
        {"timestamp": "2026-03-10T00:00:00.000+00:00", "clicks": 2}]
    referrers = embed(client, alice, "top_referrers", linkId=promo)
    body = client.get(f"/embed/{referrers['token']}.json?{sup.RANGE}&limit=2").get_json()
    assert body["data"]["referrers"] == [
        {"referrer": "google.com", "clicks": 2, "percentage": 50.0},
        {"referrer": "direct", "clicks": 1, "percentage": 25.0}]
    assert set(body["data"]) == {"node", "widgetType", "scope", "range", "referrers"}
    workspace = embed(client, alice, "stats")
    body = client.get(f"/embed/{workspace['token']}.json?{sup.RANGE}").get_json()["data"]
    assert (body["clicks"], body["uniqueClicks"]) == (6, 5)
    assert body["scope"]["type"] == "workspace"


def test_embed_page_is_frameable_and_shows_the_numbers(client, alice, traffic):
    stats = embed(client, alice, "stats", linkId=traffic["promo"]["id"])
    response = client.get(f"/embed/{stats['token']}?{sup.RANGE}")
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == "frame-ancestors *"
    assert "X-Frame-Options" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"
    page = html(response)
    assert re.search(r'data-metric="clicks"><span class="value">4</span>', page)
    assert re.search(r'data-metric="uniqueClicks"><span class="value">3</span>', page)
    assert metrics_shown(page) == {"clicks", "uniqueClicks"}
    series = embed(client, alice, "timeseries", linkId=traffic["promo"]["id"])
    page = html(client.get(f"/embed/{series['token']}?{sup.RANGE}"))
    assert metrics_shown(page) == {"clicks", "timeseries"}
    assert page.count('class="ps-bar"') == 2
    data = client.get(f"/embed/{series['token']}.json")
    assert data.headers["Access-Control-Allow-Origin"] == "*"


def test_revoked_or_rotated_embed_is_404_at_once(client, alice, traffic):
    first = embed(client, alice, "stats", linkId=traffic["promo"]["id"])
    assert client.get(f"/embed/{first['token']}").status_code == 200
    rotated = sup.post(client, alice, f"/api/embeds/{first['id']}/rotate", {}, 200)
    for path in (f"/embed/{first['token']}", f"/embed/{first['token']}.json"):
        assert client.get(path).status_code == 404
    assert client.get(f"/embed/{rotated['token']}").status_code == 200
    assert client.delete(f"/api/embeds/{first['id']}", headers=alice.headers).status_code == 200
    page = client.get(f"/embed/{rotated['token']}")
    assert page.status_code == 404 and page.mimetype == "text/html"
    data = client.get(f"/embed/{rotated['token']}.json")
    assert data.status_code == 404 and data.get_json() == {
        "success": False, "error": {"code": "NOT_FOUND",
                                    "message": "This embed does not exist or was revoked."}}


def test_embed_of_a_deleted_link_is_404(client, alice, traffic):
    stats = embed(client, alice, "stats", linkId=traffic["docs"]["id"])
    assert client.get(f"/embed/{stats['token']}").status_code == 200
    client.delete(f"/api/links/{traffic['docs']['id']}", headers=alice.headers)
    assert client.get(f"/embed/{stats['token']}").status_code == 404


def test_embed_json_bad_parameters(app, client, alice, traffic):
    stats = embed(client, alice, "stats")
    before = db_snapshot(app)
    for query, field in (("days=abc", "days"), ("node=embed_timeseries", "node"),
                         ("widgetType=map", "widgetType")):
        response = client.get(f"/embed/{stats['token']}.json?{query}")
        assert response.status_code == 400, query
        assert field in {d["field"] for d in response.get_json()["error"]["details"]}
    assert db_snapshot(app) == before


def test_public_segments_are_not_short_codes(client, alice):
    for code in ("s", "embed"):
        response = client.post("/api/links", json={"shortCode": code,
                                                   "destinationUrl": "https://example.com"},
                               headers=alice.headers)
        assert response.status_code == 400

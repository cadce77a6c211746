"""Steps 6-7 of the redirect: redirectBehavior (auto, always, rule_only, never), redirectType,
deep links per platform (custom scheme page, intent, http(s) redirect, rule-level overrides),
the delayed interstitial and the in-app browser breakout."""

from __future__ import annotations

import pytest

from linkhub.models import Link
from tests.redirect.redirect_support import (
    ANDROID,
    CHROME,
    IPHONE,
    UA,
    clicks,
    flush,
    make_link,
    make_rule,
    visit,
)

MOBILE = [{"field": "deviceType", "operator": "equals", "value": "mobile"}]


def test_auto_without_destination_answers_404(client, app, alice):
    link = make_link(client, alice, shortCode="empty", destinationUrl=None,
                     redirectBehavior="rule_only")
    # rule_only links may lack a destination; switching to auto keeps that state possible
    Link.update(redirect_behavior="auto").where(Link.public_id == link["id"]).execute()
    app.extensions["linkhub.link_cache"].clear()
    response = visit(client, "/empty")
    assert response.status_code == 404 and b"Link not found" in response.data
    assert "Location" not in response.headers


def test_always_without_destination_answers_502_and_logs(client, app, alice, caplog):
    link = make_link(client, alice, shortCode="broken", destinationUrl=None,
                     redirectBehavior="rule_only")
    Link.update(redirect_behavior="always").where(Link.public_id == link["id"]).execute()
    app.extensions["linkhub.link_cache"].clear()
    with caplog.at_level("ERROR", logger="linkhub.redirect.views"):
        response = visit(client, "/broken")
    assert response.status_code == 502 and b"nowhere to go" in response.data
    assert any(link["id"] in record.getMessage() for record in caplog.records)


def test_rule_only_without_a_match_answers_404_and_records(client, app, alice):
    link = make_link(client, alice, shortCode="only", destinationUrl=None,
                     redirectBehavior="rule_only")
    make_rule(client, alice, linkId=link["id"], conditions=MOBILE,
              destinationUrl="https://example.com/mobile")
    assert visit(client, "/only", ua=IPHONE).headers["Location"] == "https://example.com/mobile"
    response = visit(client, "/only", ua=CHROME)
    assert response.status_code == 404 and b"Link not found" in response.data
    flush(app)
    rows = clicks(link["id"])
    assert [r.destination_url for r in rows] == ["https://example.com/mobile", None]
    assert Link.get(Link.public_id == link["id"]).clicks == 2


def test_rule_only_ignores_the_link_destination_without_a_match(client, alice):
    link = make_link(client, alice, shortCode="only", redirectBehavior="rule_only",
                     destinationUrl="https://example.com/fallback")
    make_rule(client, alice, linkId=link["id"], conditions=MOBILE,
              destinationUrl="https://example.com/mobile")
    assert visit(client, "/only", ua=CHROME).status_code == 404


def test_never_answers_204_and_records(client, app, alice):
    link = make_link(client, alice, shortCode="track", redirectBehavior="never")
    response = visit(client, "/track")
    assert response.status_code == 204 and response.data == b""
    assert "Location" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
    flush(app)
    [row] = clicks(link["id"])
    assert row.destination_url is None and not row.bot


@pytest.mark.parametrize("kind", [301, 302, 307, 308])
def test_redirect_type(client, alice, kind):
    make_link(client, alice, shortCode=f"r{kind}", redirectType=kind)
    response = visit(client, f"/r{kind}")
    assert response.status_code == kind
    assert response.headers["Location"] == "https://example.com/landing"


@pytest.fixture
def app_link(client, alice):
    return make_link(client, alice, shortCode="open", destinationUrl="https://example.com/web",
                     deepLinkEnabled=True, deepLinkIos="myapp://item/42",
                     deepLinkAndroid="intent://item/42#Intent;scheme=myapp;"
                                     "package=com.example.app;end",
                     deepLinkFallbackUrl="https://example.com/get-the-app")


def test_ios_gets_the_custom_scheme_page(client, app, app_link):
    response = visit(client, "/open", ua=IPHONE)
    assert response.status_code == 200
    body = response.data.decode()
    assert '"myapp://item/42"' in body and 'href="myapp://item/42"' in body
    assert "https://example.com/get-the-app" in body
    assert "https://example.com/web" not in body
    flush(app)
    [row] = clicks(app_link["id"])
    assert (row.trigger, row.destination_url) == ("deeplink", "myapp://item/42")


def test_android_gets_the_intent(client, app_link):
    response = visit(client, "/open", ua=ANDROID)
    assert response.status_code == 200
    assert "intent://item/42#Intent;scheme=myapp;package=com.example.app;end" in \
        response.data.decode()


def test_desktop_gets_the_destination(client, app, app_link):
    response = visit(client, "/open", ua=CHROME)
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/web"
    flush(app)
    assert clicks(app_link["id"])[0].trigger == "link"


def test_fallback_defaults_to_the_destination(client, alice):
    make_link(client, alice, shortCode="nofb", destinationUrl="https://example.com/web",
              deepLinkEnabled=True, deepLinkIos="myapp://x")
    assert "https://example.com/web" in visit(client, "/nofb", ua=IPHONE).data.decode()


def test_https_deep_link_is_a_plain_redirect(client, alice):
    make_link(client, alice, shortCode="ul", destinationUrl="https://example.com/web",
              deepLinkEnabled=True, deepLinkIos="https://app.example.com/open/42",
              redirectType=307)
    response = visit(client, "/ul", ua=IPHONE)
    assert response.status_code == 307
    assert response.headers["Location"] == "https://app.example.com/open/42"


def test_deep_links_off_means_the_destination(client, alice):
    make_link(client, alice, shortCode="off", deepLinkEnabled=False, deepLinkIos="myapp://x")
    assert visit(client, "/off", ua=IPHONE).status_code == 302


def test_rule_level_deep_link_overrides(client, alice):
    link = make_link(client, alice, shortCode="rl", destinationUrl="https://example.com/web")
    make_rule(client, alice, linkId=link["id"], conditions=MOBILE,
              destinationUrl="https://example.com/mobile", deepLinkEnabled=True,
              deepLinkIos="ruleapp://promo", deepLinkFallbackUrl="https://example.com/store")
    body = visit(client, "/rl", ua=IPHONE).data.decode()
    assert "ruleapp://promo" in body and "https://example.com/store" in body
    # Android matches the rule too, but the rule names no Android target.
    assert visit(client, "/rl", ua=ANDROID).headers["Location"] == "https://example.com/mobile"
    assert visit(client, "/rl", ua=CHROME).headers["Location"] == "https://example.com/web"


def test_redirect_delay_interstitial(client, app, alice):
    link = make_link(client, alice, shortCode="wait", destinationUrl="https://example.com/web")
    make_rule(client, alice, linkId=link["id"], conditions=MOBILE,
              destinationUrl="https://example.com/slow?a=1", redirectDelayMs=2500)
    response = visit(client, "/wait", ua=IPHONE)
    assert response.status_code == 200
    body = response.data.decode()
    assert '<meta http-equiv="refresh" content="2;url=https://example.com/slow?a=1">' in body
    assert "2500" in body and "Location" not in response.headers
    flush(app)
    assert clicks(link["id"])[0].destination_url == "https://example.com/slow?a=1"


def test_instagram_on_android_breaks_out_through_an_intent(client, alice):
    make_link(client, alice, shortCode="ig", destinationUrl="https://shop.example.com/p?id=7",
              inappBrowserBreakout=True)
    response = visit(client, "/ig", ua=UA["instagram-android"])
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("intent://shop.example.com/p?id=7#Intent;scheme=https;"
                               "package=com.android.chrome;")
    assert "S.browser_fallback_url=https%3A%2F%2Fshop.example.com%2Fp%3Fid%3D7" in location
    # Chrome itself (no in-app browser) just gets the destination.
    assert visit(client, "/ig", ua=ANDROID).headers["Location"] == \
        "https://shop.example.com/p?id=7"


def test_instagram_on_ios_gets_the_breakout_page(client, alice):
    make_link(client, alice, shortCode="ig", destinationUrl="https://shop.example.com/p",
              inappBrowserBreakout=True)
    response = visit(client, "/ig", ua=UA["instagram-ios"])
    assert response.status_code == 200
    body = response.data.decode()
    assert "x-safari-https://shop.example.com/p" in body
    assert 'href="https://shop.example.com/p"' in body


def test_breakout_off_means_a_plain_redirect(client, alice):
    make_link(client, alice, shortCode="ig", destinationUrl="https://shop.example.com/p")
    assert visit(client, "/ig", ua=UA["instagram-android"]).status_code == 302
    assert visit(client, "/ig", ua=UA["instagram-ios"]).status_code == 302

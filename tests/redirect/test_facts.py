"""Visitor facts: the real user-agent table, bots, Accept-Language, referrers, query/UTM, the
visitor id and its cookie, IP anonymisation, laziness (parsers called only when asked, once per
distinct user agent) and the snapshot the click writer rebuilds from."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from linkhub.redirect import agents, bots, geo
from linkhub.redirect.facts import (
    CLICK_COLUMNS,
    FIELDS,
    MAX_LANGUAGES,
    VisitorFacts,
    anonymize_ip,
    ip_hash,
    parse_accept_language,
    read_visitor_cookie,
    referrer_domain,
    visitor_cookie_value,
    warm_up,
)
from tests.redirect.useragents import AGENTS

SECRET = b"test-secret-0123456789"
NOW = datetime(2026, 3, 2, 14, 30, tzinfo=UTC)
CHROME = next(a.ua for a in AGENTS if a.name == "chrome-windows")
IPHONE = next(a.ua for a in AGENTS if a.name == "iphone-safari")


def make(headers: dict[str, str] | None = None, *, ip: str = "8.8.8.8", method: str = "GET",
         query: str = "", secret: bytes = SECRET, settings: dict[str, Any] | None = None,
         **extra: str) -> VisitorFacts:
    environ: dict[str, Any] = {"REQUEST_METHOD": method, "QUERY_STRING": query,
                               "PATH_INFO": "/abc", "SERVER_NAME": "localhost",
                               "wsgi.input": object(), **extra}
    for name, value in (headers or {}).items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return VisitorFacts(environ, client_ip=ip, now=NOW, secret=secret, settings=settings or {})


# --- the user-agent table ------------------------------------------------------------------------

@pytest.mark.parametrize("agent", AGENTS, ids=[a.name for a in AGENTS])
def test_real_user_agents(agent):
    f = make({"User-Agent": agent.ua})
    assert f.get("deviceType") == agent.device
    assert f.get("os") == agent.os
    assert f.get("osVersion") == agent.os_version
    assert f.get("browser") == agent.browser
    assert f.get("deviceBrand") == agent.brand
    assert f.get("bot") is agent.bot
    assert f.get("isCrawler") is agent.crawler
    assert f.get("isPreview") is agent.preview
    assert f.get("inApp") is (agent.in_app is not None)
    assert f.get("inAppName") == agent.in_app
    assert f.get("userAgent") == agent.ua


def test_table_covers_what_it_should():
    devices = {a.device for a in AGENTS}
    assert {"mobile", "tablet", "desktop", "bot", "tv", "console"} <= devices
    assert {a.in_app for a in AGENTS} >= {"instagram", "facebook", "tiktok", "linkedin"}
    assert sum(a.preview for a in AGENTS) >= 9


def test_versions():
    f = make({"User-Agent": next(a.ua for a in AGENTS if a.name == "edge-windows")})
    assert f.get("browserVersion") == "124.0.2478.80"
    assert make({"User-Agent": IPHONE}).get("browserVersion") == "17.4.1"


def test_head_request_is_a_bot_but_keeps_its_device():
    f = make({"User-Agent": CHROME}, method="HEAD")
    assert f.get("bot") is True
    assert f.get("deviceType") == "desktop"
    assert f.get("isCrawler") is False and f.get("isPreview") is False
    assert f.get("method") == "HEAD"


@pytest.mark.parametrize("headers", [{}, {"User-Agent": ""}, {"User-Agent": "   "}])
def test_missing_or_empty_user_agent_is_a_bot(headers):
    f = make(headers)
    assert f.get("bot") is True
    assert f.get("deviceType") == "bot"
    assert f.get("os") is None and f.get("browser") is None
    assert f.get("userAgent") is None


def test_unknown_agent_is_unknown_not_desktop():
    f = make({"User-Agent": "Mozilla/5.0 (Unknown; Whatever) SomethingNew/1.0"})
    assert f.get("deviceType") is None
    assert f.get("bot") is False


def test_very_long_user_agent_is_cut():
    f = make({"User-Agent": CHROME + " x" * 5000})
    assert f.get("deviceType") == "desktop"
    assert len(f.get("userAgent")) == agents.MAX_UA


# --- Accept-Language -----------------------------------------------------------------------------

@pytest.mark.parametrize(("header", "expected"), [
    ("en-US,en;q=0.9,fr;q=0.8", ["en-us", "en", "fr"]),
    ("fr;q=0.5, es-MX, de;q=0.7", ["es-mx", "de", "fr"]),
    ("da, en-gb;q=0.8, en;q=0.7", ["da", "en-gb", "en"]),
    ("pt-BR;q=0.8,pt;q=0.8,en;q=0.9", ["en", "pt-br", "pt"]),  # ties keep header order
    ("de;q=0, en", ["en"]),                                    # q=0 means "not this one"
    ("*;q=0.5, it", ["it"]),
    ("en_GB", ["en-gb"]),
    ("EN-us; Q=0.4 ,ja", ["ja", "en-us"]),
    ("en;q=2, fr;q=abc, de;q=, 12, en-@@, ;q=0.5, ja", ["ja"]),  # malformed items skipped
    ("es,es,ES;q=0.5", ["es"]),
    ("", []),
    (",,,;", []),
])
def test_accept_language(header, expected):
    assert parse_accept_language(header) == expected
    assert make({"Accept-Language": header}).get("language") == expected


def test_accept_language_is_capped():
    header = ",".join(f"l{chr(97 + i)}" for i in range(20))
    assert len(parse_accept_language(header)) == MAX_LANGUAGES
    assert make().get("language") == []


# --- referrer ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("referrer", "domain"), [
    ("https://www.google.com/search?q=x", "google.com"),
    ("https://t.co/abc", "t.co"),
    ("http://WWW.Example.COM:8080/path", "example.com"),
    ("https://m.facebook.com/", "m.facebook.com"),
    ("https://xn--bcher-kva.de/kaufen", "bücher.de"),
    ("https://www.BÜCHER.de/", "bücher.de"),
    ("https://example.org./", "example.org"),
    ("http://[2001:db8::1]:8443/x", "2001:db8::1"),
    ("http://192.0.2.1/", "192.0.2.1"),
    ("android-app://com.google.android.gm/", "com.google.android.gm"),
    ("https://user:pw@wwwhost.net/", "wwwhost.net"),
    ("not a url", None),
    ("example.com/path", None),          # no scheme: not an absolute URL
    ("https://", None),
    ("http://[::1/", None),               # broken IPv6 literal
    ("https://exa mple.com/", None),
    ("https://<script>/", None),
    ("", None),
])
def test_referrer_domain(referrer, domain):
    assert referrer_domain(referrer) == domain
    f = make({"Referer": referrer})
    assert f.get("referrer") == (referrer.strip() or None)
    assert f.get("referrerDomain") == domain


def test_referrer_is_capped_and_utf8_recovered():
    long = "https://example.com/" + "a" * 5000
    assert len(make({"Referer": long}).get("referrer")) == 2048
    raw = "https://bücher.de/straße".encode().decode("latin-1")  # as a WSGI server hands it over
    f = make({"Referer": raw})
    assert f.get("referrer") == "https://bücher.de/straße"
    assert f.get("referrerDomain") == "bücher.de"
    assert make().get("referrer") is None and make().get("referrerDomain") is None


# --- query and UTM -------------------------------------------------------------------------------

def test_utm_and_query_parameters():
    f = make(query="utm_source=news%20letter&utm_medium=email&utm_campaign=spring+sale"
                   "&utm_term=&utm_source=second&ref=abc&empty=&x=%E2%9C%93")
    assert f.get("utmSource") == "news letter"      # first value wins
    assert f.get("utmMedium") == "email"
    assert f.get("utmCampaign") == "spring sale"
    assert f.get("utmTerm") is None                 # blank UTM = unknown
    assert f.get("utmContent") is None
    assert f.get("query.ref") == "abc"
    assert f.get("query.empty") == ""               # present but blank
    assert f.get("query.x") == "✓"
    assert f.get("query.missing") is None
    assert f.get("query")["utm_source"] == "news letter"


def test_query_limits_and_garbage():
    f = make(query="&".join(f"k{i}={i}" for i in range(500)) + "&%ZZ=1&a=%")
    assert f.get("query.k0") == "0" and f.get("query.k99") == "99"
    assert f.get("query.k100") is None
    assert make(query="").get("query") == {}
    assert make(query="a=%FF%FE").get("query.a") == "\ufffd\ufffd"


# --- visitor id and cookie -----------------------------------------------------------------------

def test_visitor_id_is_stable_for_same_ip_and_agent():
    a = make({"User-Agent": CHROME}, ip="81.2.69.160")
    b = make({"User-Agent": CHROME}, ip="81.2.69.160")
    assert a.get("visitorId") == b.get("visitorId")
    assert len(a.get("visitorId")) == 32
    assert make({"User-Agent": IPHONE}, ip="81.2.69.160").get("visitorId") != a.get("visitorId")
    assert make({"User-Agent": CHROME}, ip="81.2.69.161").get("visitorId") != a.get("visitorId")
    other_key = make({"User-Agent": CHROME}, ip="81.2.69.160", secret=b"another")
    assert other_key.get("visitorId") != a.get("visitorId")
    assert a.get("isNewVisitor") is True and a.get("isReturning") is False


def test_cookie_round_trip_makes_a_returning_visitor():
    first = make({"User-Agent": CHROME}, ip="81.2.69.160")
    assert first.needs_visitor_cookie is True
    value = first.new_visitor_cookie_value
    assert read_visitor_cookie(value, SECRET) == first.get("visitorId")

    # later, from another network and browser version: the cookie keeps the id
    later = make({"User-Agent": IPHONE, "Cookie": f"sid=abc; lh_vid={value}; theme=dark"},
                 ip="193.0.6.139")
    assert later.get("visitorId") == first.get("visitorId")
    assert later.get("isReturning") is True and later.get("isNewVisitor") is False
    assert later.needs_visitor_cookie is False
    assert later.new_visitor_cookie_value is None


@pytest.mark.parametrize("cookie", [
    "lh_vid=",
    "lh_vid=garbage",
    "lh_vid=" + "a" * 32 + "." + "0" * 16,                   # right shape, wrong MAC
    "lh_vid=" + "A" * 32 + ".0123456789abcdef",             # upper case is not ours
    "lh_vid=" + "a" * 31 + ".0123456789abcdef",
    "xlh_vid=VALID",                                         # another cookie's name
])
def test_tampered_or_malformed_cookie_is_ignored(cookie):
    genuine = visitor_cookie_value("f" * 32, SECRET)
    f = make({"User-Agent": CHROME, "Cookie": cookie.replace("VALID", genuine)})
    assert f.get("visitorId") != "f" * 32
    assert f.get("visitorId") == make({"User-Agent": CHROME}).get("visitorId")
    assert f.get("isNewVisitor") is True and f.needs_visitor_cookie is True


def test_cookie_signed_with_another_secret_is_ignored():
    value = visitor_cookie_value("e" * 32, b"other-install")
    assert make({"Cookie": f"lh_vid={value}"}).get("isReturning") is False
    assert make({"Cookie": f"lh_vid={visitor_cookie_value('e' * 32, SECRET)}"}).get(
        "visitorId") == "e" * 32


# --- IP privacy ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("ip", "anonymized"), [
    ("81.2.69.160", "81.2.69.0"),
    ("8.8.8.8", "8.8.8.0"),
    ("2001:4860:4860::8888", "2001:4860:4860::"),
    ("2a03:2880:f12f:83:face:b00c::25de", "2a03:2880:f12f::"),
    ("::ffff:81.2.69.160", "81.2.69.0"),
    ("fe80::1%eth0", "fe80::"),
    ("not-an-ip", None),
    ("", None),
])
def test_anonymize_ip(ip, anonymized):
    assert anonymize_ip(ip) == anonymized


def test_ip_hash_is_keyed_canonical_and_short():
    h = ip_hash("81.2.69.160", SECRET)
    assert len(h) == 32 and int(h, 16) >= 0
    assert ip_hash("::ffff:81.2.69.160", SECRET) == h
    assert ip_hash("81.2.69.160", b"other") != h
    assert ip_hash("81.2.69.161", SECRET) != h
    assert ip_hash("2001:DB8::1", SECRET) == ip_hash("2001:db8::1", SECRET)


# --- other facts ---------------------------------------------------------------------------------

def test_method_host_time_ip_and_paid_fields():
    f = make(HTTP_HOST="Go.Example.com:8080", method="post")
    assert f.get("method") == "POST"
    assert f.get("host") == "go.example.com"
    assert f.get("time") is NOW
    assert f.get("ip") == "8.8.8.8"
    assert make(HTTP_HOST="[::1]:8080").get("host") == "::1"
    assert make().get("host") == "localhost"                 # SERVER_NAME fallback
    f.get("os")  # intermediate results are not facts
    for name in ("isp", "asn", "vpn", "proxy", "tor", "datacenter", "nonsense", "agent", "ua"):
        assert f.get(name) is None, name


def test_needed_computes_only_the_named_facts():
    f = VisitorFacts({"HTTP_USER_AGENT": IPHONE}, client_ip="8.8.8.8", now=NOW, secret=SECRET,
                     needs=["country", "deviceType", "query.ref"])
    assert f.needed() == {"country": "US", "deviceType": "mobile", "query.ref": None}


def test_field_names_match_the_rule_engine():
    from linkhub.redirect.evaluate import FIELD_KINDS, TIME_FIELDS

    engine_fields = set(FIELD_KINDS) - TIME_FIELDS - {"percentage"}
    assert engine_fields <= FIELDS
    assert {"time", "visitorId", "query"} <= FIELDS


# --- laziness and caching ------------------------------------------------------------------------

class Counter:
    def __init__(self, real):
        self.real, self.calls = real, 0

    def __call__(self, *args):
        self.calls += 1
        return self.real(*args)


def test_country_alone_parses_no_user_agent(monkeypatch):
    describe, classify = Counter(agents.describe), Counter(bots.classify)
    monkeypatch.setattr(agents, "describe", describe)
    monkeypatch.setattr(bots, "classify", classify)
    f = make({"User-Agent": IPHONE, "Accept-Language": "en", "Referer": "https://x.io/"})
    assert f.get("country") == "US"
    assert (describe.calls, classify.calls) == (0, 0)
    assert f.get("utmSource") is None and f.get("referrerDomain") == "x.io"
    assert (describe.calls, classify.calls) == (0, 0)
    # bot detection needs the crawler list, not ua-parser
    assert f.get("bot") is False and f.get("isPreview") is False
    assert (describe.calls, classify.calls) == (0, 1)
    for field in ("deviceType", "os", "browser", "osVersion", "deviceType"):
        f.get(field)
    assert (describe.calls, classify.calls) == (1, 1)


def test_geo_not_touched_for_device_rules(monkeypatch):
    country = Counter(geo.country)
    monkeypatch.setattr(geo, "country", country)
    f = make({"User-Agent": IPHONE})
    assert f.get("deviceType") == "mobile" and f.get("os") == "ios"
    assert country.calls == 0
    f.get("country")
    f.get("continent")
    assert country.calls == 1


def test_nothing_is_parsed_at_construction(monkeypatch):
    for module, name in ((agents, "describe"), (bots, "classify"), (geo, "country"),
                         (geo, "canonical_ip"), (geo, "packed_ip")):
        monkeypatch.setattr(module, name, lambda *_a: pytest.fail("parsed too early"))
    make({"User-Agent": IPHONE, "Accept-Language": "en"}, query="utm_source=x")


def test_user_agent_parse_is_lru_cached_across_requests(monkeypatch):
    agents.describe.cache_clear()
    parse = Counter(agents._parse)
    monkeypatch.setattr(agents, "_parse", parse)
    for _ in range(5):
        assert make({"User-Agent": IPHONE}).get("os") == "ios"
    assert make({"User-Agent": CHROME}).get("os") == "windows"
    assert parse.calls == 2


# --- recording -----------------------------------------------------------------------------------

def rich_request(**settings: Any) -> VisitorFacts:
    value = visitor_cookie_value("c" * 32, SECRET)
    return make({"User-Agent": IPHONE, "Accept-Language": "es-MX,es;q=0.9",
                 "Referer": "https://www.instagram.com/p/xyz", "X-Secret-Header": "nope",
                 "Authorization": "Bearer nope", "Cookie": f"sid=session; lh_vid={value}"},
                ip="81.2.69.160", query="utm_source=ig&utm_campaign=spring&ref=bio",
                settings=settings, HTTP_HOST="go.example.com")


def test_for_click_columns():
    record = rich_request().for_click(store_ip=True, store_user_agent=True, store_referrer=True)
    assert set(record) == set(CLICK_COLUMNS)
    assert record == {
        "country": "GB", "region": None, "city": None, "deviceType": "mobile", "os": "ios",
        "osVersion": "17.4.1", "browser": "safari", "browserVersion": "17.4.1",
        "deviceBrand": "Apple", "bot": False, "isCrawler": False, "isPreview": False,
        "referrer": "https://www.instagram.com/p/xyz", "referrerDomain": "instagram.com",
        "language": "es-mx", "utmSource": "ig", "utmMedium": None, "utmCampaign": "spring",
        "utmTerm": None, "utmContent": None, "visitorId": "c" * 32,
        "ipTruncated": "81.2.69.0", "ipHash": ip_hash("81.2.69.160", SECRET),
        "userAgent": IPHONE,
    }


def test_for_click_privacy_switches():
    record = rich_request().for_click(store_ip=False, store_user_agent=False,
                                      store_referrer=False)
    assert record["ipTruncated"] is None and record["ipHash"] is None
    assert record["userAgent"] is None and record["referrer"] is None
    assert record["referrerDomain"] == "instagram.com"   # the domain alone is kept
    assert record["country"] == "GB" and record["os"] == "ios"
    raw = rich_request(ANONYMIZE_IP=False).for_click(True, True, True)
    assert raw["ipTruncated"] == "81.2.69.160"


def test_snapshot_round_trip_gives_identical_click_record():
    original = rich_request()
    snap = original.snapshot()
    assert snap["ip"] == "81.2.69.160" and snap["now"] is NOW
    assert "HTTP_AUTHORIZATION" not in snap["environ"]
    assert "HTTP_X_SECRET_HEADER" not in snap["environ"]
    assert "sid=" not in snap["environ"]["HTTP_COOKIE"]
    assert "wsgi.input" not in snap["environ"]
    rebuilt = VisitorFacts.from_snapshot(snap, secret=SECRET, settings={})
    for flags in ((True, True, True), (False, False, False), (True, False, True)):
        assert rebuilt.for_click(*flags) == original.for_click(*flags)
    for name in ("host", "method", "time", "isReturning", "query.ref", "language", "inApp"):
        assert rebuilt.get(name) == original.get(name), name


def test_snapshot_of_a_new_visitor_and_a_tampered_cookie():
    for cookie in (None, "lh_vid=tampered"):
        headers = {"User-Agent": CHROME, **({"Cookie": cookie} if cookie else {})}
        original = make(headers, ip="193.0.6.139", method="HEAD")
        rebuilt = VisitorFacts.from_snapshot(original.snapshot(), secret=SECRET)
        assert rebuilt.for_click() == original.for_click()
        assert rebuilt.get("bot") is True and rebuilt.get("isNewVisitor") is True


def test_warm_up_prepares_everything(tmp_path):
    warm_up({})
    warm_up({"GEOIP_CITY_DB": str(tmp_path / "absent.mmdb")})  # a missing database is no error
    assert agents._parser is not None
    geo.close_readers()


def test_concurrent_requests_agree():
    expected = {a.name: (a.device, a.os, a.bot) for a in AGENTS}
    agents.describe.cache_clear()
    bots.classify.cache_clear()

    def work(agent):
        f = make({"User-Agent": agent.ua})
        return agent.name, (f.get("deviceType"), f.get("os"), f.get("bot"))

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, AGENTS * 5))
    assert all(expected[name] == got for name, got in results)


def test_crawler_patterns_re2_cannot_compile_fall_back_to_re():
    fast, slow = bots._compile_crawlers(["Googlebot/", r"(?<=x)ybot", r"(a)\1bot"])
    assert fast is not None and slow is not None  # lookbehind and backreference: re only
    assert fast.search("Googlebot/2.1") and not fast.search("xybot")
    assert slow.search("xybot") and slow.search("aabot") and not slow.search("ybot")
    everything, none = bots._compile_crawlers(["Googlebot/", "bingbot"])
    assert everything.search("bingbot/2.0") and none is None

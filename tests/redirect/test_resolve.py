"""The cached lookup: statements counted on the SQLite connection (a hit runs none, a miss at
most two reads, a custom host one more, once), no write ever on the request thread, and cache
invalidation: every change made through the API shows on the very next redirect (no TTL)."""

from __future__ import annotations

import pytest

from linkhub.models import Link
from linkhub.redirect import cache as link_cache
from linkhub.redirect.resolve import Miss, load_link_row
from linkhub.services.rules import rules_for_link
from tests.redirect.redirect_support import (
    IPHONE,
    make_campaign,
    make_domain,
    make_link,
    make_rule,
    patch_link,
    visit,
)


class Statements:
    """Every statement SQLite runs on this thread's connection while active."""

    def __init__(self, app):
        self.connection = app.extensions["linkhub.db"].connection()
        self.seen: list[str] = []

    def __enter__(self) -> Statements:
        self.connection.set_trace_callback(self.seen.append)
        return self

    def __exit__(self, *exc) -> None:
        self.connection.set_trace_callback(None)

    @property
    def writes(self) -> list[str]:
        return [s for s in self.seen if s.lstrip().split()[0].upper() in
                ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP")]

    @property
    def reads(self) -> list[str]:
        return [s for s in self.seen if s.lstrip().upper().startswith("SELECT")]


def test_hit_runs_no_statement_and_a_miss_one_read(client, app, alice):
    link = make_link(client, alice, shortCode="fast", conversionTracking=True)
    make_rule(client, alice, linkId=link["id"], destinationUrl="https://example.com/m",
              conditions=[{"field": "deviceType", "operator": "equals", "value": "mobile"}])
    visit(client, "/warm-the-host-lookup")  # the unknown test host, looked up once
    with Statements(app) as miss:
        assert visit(client, "/fast").status_code == 302
    assert len(miss.reads) == 1 and miss.writes == [], miss.seen  # link, template, rules
    assert len(miss.seen) == len(miss.reads)  # no BEGIN/COMMIT either
    for ua in (IPHONE, None):
        with Statements(app) as hit:
            assert visit(client, "/fast?x=1", ua=ua).status_code == 302
        assert hit.seen == [], hit.seen


def test_unknown_codes_are_cached_misses(client, app):
    visit(client, "/warm")
    with Statements(app) as first:
        assert visit(client, "/nope").status_code == 404
    assert len(first.reads) == 1 and first.writes == []
    with Statements(app) as second:
        assert visit(client, "/nope").status_code == 404
    assert second.seen == []


def test_custom_host_costs_one_cached_domain_read(client, app, alice, monkeypatch):
    make_domain(client, alice, "go.example.com", monkeypatch=monkeypatch)
    make_link(client, alice, shortCode="d", domain="go.example.com")
    host = {"Host": "go.example.com"}
    with Statements(app) as first:
        assert visit(client, "/d", headers=host).status_code == 302
    assert len(first.reads) == 2 and first.writes == [], first.seen
    domain_reads = [s for s in first.reads if '"domain"' in s.split("FROM", 1)[1][:20]]
    assert len(domain_reads) == 1  # every domain at once
    visit(client, "/d")  # the default domain has no `d`: a cached miss from now on
    with Statements(app) as again:
        assert visit(client, "/d", headers=host).status_code == 302
        assert visit(client, "/d", headers={"Host": "random-1.example.net"}).status_code == 404
        assert visit(client, "/d", headers={"Host": "random-2.example.net"}).status_code == 404
    assert again.seen == []  # made-up hosts cost nothing once the domains are loaded


def test_password_orphan_and_limited_paths_never_write(client, app, alice):
    make_link(client, alice, shortCode="pw", password="letmein1")
    make_link(client, alice, shortCode="lim", clicksLimit=1)
    for path in ("/pw", "/lim", "/lim", "/missing"):
        visit(client, path)
    with Statements(app) as seen:
        visit(client, "/pw", method="POST", data={"password": "letmein1"})
        visit(client, "/pw", method="POST", data={"password": "wrong-one"})
        visit(client, "/lim")
        visit(client, "/missing")
    assert seen.seen == []


# --- invalidation: the very next redirect reflects the change -----------------------------------

@pytest.fixture
def link(client, alice):
    link = make_link(client, alice, shortCode="inv", destinationUrl="https://example.com/one")
    assert visit(client, "/inv").headers["Location"] == "https://example.com/one"  # cached
    return link


def test_patching_the_destination(client, alice, link):
    patch_link(client, alice, link["id"], destinationUrl="https://example.com/two")
    assert visit(client, "/inv").headers["Location"] == "https://example.com/two"


def test_disabling_and_enabling(client, alice, link):
    patch_link(client, alice, link["id"], enabled=False)
    assert visit(client, "/inv").status_code == 404
    patch_link(client, alice, link["id"], enabled=True)
    assert visit(client, "/inv").status_code == 302


def test_deleting(client, alice, link):
    assert client.delete(f"/api/links/{link['id']}", headers=alice.headers).status_code == 200
    assert visit(client, "/inv").status_code == 404


def test_archiving(client, alice, link):
    client.post(f"/api/links/{link['id']}/archive", headers=alice.headers)
    assert visit(client, "/inv").status_code == 404
    client.post(f"/api/links/{link['id']}/unarchive", headers=alice.headers)
    assert visit(client, "/inv").status_code == 302


def test_renaming_the_code(client, alice, link):
    assert visit(client, "/renamed").status_code == 404  # a cached miss for the new code
    patch_link(client, alice, link["id"], shortCode="renamed")
    assert visit(client, "/renamed").status_code == 302
    assert visit(client, "/inv").status_code == 404


def test_changing_its_rules(client, alice, link):
    rule = make_rule(client, alice, linkId=link["id"], destinationUrl="https://example.com/m",
                     conditions=[{"field": "deviceType", "operator": "equals",
                                  "value": "mobile"}])
    assert visit(client, "/inv", ua=IPHONE).headers["Location"] == "https://example.com/m"
    client.put(f"/api/rules/{rule['id']}", headers=alice.headers,
               json={"destinationUrl": "https://example.com/n"})
    assert visit(client, "/inv", ua=IPHONE).headers["Location"] == "https://example.com/n"
    client.delete(f"/api/rules/{rule['id']}", headers=alice.headers)
    assert visit(client, "/inv", ua=IPHONE).headers["Location"] == "https://example.com/one"


def test_setting_a_password(client, alice, link):
    patch_link(client, alice, link["id"], password="sesame-1")
    assert visit(client, "/inv").status_code == 200


# --- the cache itself ---------------------------------------------------------------------------

def test_cache_is_bounded_and_forgets_evicted_links(monkeypatch):
    monkeypatch.setattr(link_cache, "MAX_LINKS", 3)
    store = link_cache.LinkCache()
    for n in range(5):
        store.put_link((0, f"c{n}"), n, f"entry{n}", store.generation)
    assert store.stats()["links"] == 3
    assert store.get_link((0, "c0")) is None and store.get_link((0, "c4")) == "entry4"
    store.invalidate_link(4)
    assert store.get_link((0, "c4")) is None
    store.invalidate_link(0)  # evicted long ago: harmless
    assert store.stats()["links"] == 2


def test_a_fill_started_before_an_invalidation_is_dropped():
    store = link_cache.LinkCache()
    started = store.generation
    store.invalidate_link(7, (0, "x"))
    store.put_link((0, "x"), 7, "stale", started)
    assert store.get_link((0, "x")) is None


def test_misses_keep_their_reason():
    store = link_cache.LinkCache()
    store.put_link((0, "gone"), None, Miss("unknown"), store.generation)
    assert store.get_link((0, "gone")) == Miss("unknown")
    store.invalidate_link(9, (0, "gone"))
    assert store.get_link((0, "gone")) is None


def test_a_link_moving_to_another_code_leaves_no_stale_entry():
    store = link_cache.LinkCache()
    store.put_link((0, "old"), 5, "v1", store.generation)
    store.put_link((0, "new"), 5, "v2", store.generation)
    assert store.get_link((0, "old")) is None and store.get_link((0, "new")) == "v2"


# --- the prepared reads agree with the services ---------------------------------------------------

def test_load_rules_matches_rules_for_link(client, app, alice, charlie):
    mobile = [{"field": "deviceType", "operator": "equals", "value": "mobile"}]
    campaign = make_campaign(client, alice)
    link = make_link(client, alice, shortCode="many", campaignId=campaign["id"])
    other = make_link(client, alice, shortCode="other")
    make_rule(client, alice, linkId=link["id"], priority=5, conditions=mobile,
              destinationUrl="https://example.com/a", timezone="Europe/Paris",
              deepLinkEnabled=True, deepLinkIos="myapp://x", redirectDelayMs=300)
    make_rule(client, alice, linkId=link["id"], priority=1, type="geo",
              conditions={"countries": ["DE"], "operator": "in"},
              destinationUrl="https://example.com/b")
    off = make_rule(client, alice, linkId=link["id"], conditions=mobile, enabled=False,
                    destinationUrl="https://example.com/c")
    gone = make_rule(client, alice, linkId=link["id"], conditions=mobile,
                     destinationUrl="https://example.com/d")
    client.delete(f"/api/rules/{gone['id']}", headers=alice.headers)
    make_rule(client, alice, campaignId=campaign["id"], priority=5, conditions=mobile,
              destinationUrl="https://example.com/e")
    shared = make_rule(client, alice, conditions=mobile, destinationUrl="https://example.com/f",
                       forwardUtms=False, preserveQueryParams=True)
    client.post(f"/api/rules/{shared['id']}/attach", json={"linkId": link["id"]},
                headers=alice.headers)
    make_rule(client, alice, conditions=mobile, destinationUrl="https://example.com/g")
    make_rule(client, alice, linkId=other["id"], conditions=mobile,
              destinationUrl="https://example.com/h")
    theirs = make_link(client, charlie, shortCode="theirs")
    make_rule(client, charlie, linkId=theirs["id"], conditions=mobile,
              destinationUrl="https://example.com/i")
    for code in ("many", "other", "theirs"):
        model = Link.get(Link.short_code == code)
        assert load_link_row(0, code)[3] == rules_for_link(model), code
    rules = load_link_row(0, "many")[3]
    assert len(rules) == 4 and off["id"] not in [r["id"] for r in rules]


def test_load_link_row_reads_what_the_model_reads(client, alice):
    response = client.post("/api/utm-templates", headers=alice.headers, json={
        "name": "T", "utmMedium": "email", "ref": "r"})
    template_id = response.get_json()["data"]["id"]
    make_link(client, alice, shortCode="full", expiresAt="2099-01-01T10:00:00Z",
              clicksLimit=7, password="pw-12345", redirectType=307, ogTitle="T",
              utmSource="s", utmTemplateId=template_id, conversionTracking=True)
    row, workspace, template, rules = load_link_row(0, "full")
    model = Link.get(Link.short_code == "full")
    for name, value in vars(row).items():
        assert value == getattr(model, name), name
    assert workspace.timezone == model.workspace.timezone and workspace.store_ip is True
    assert (template.utm_medium, template.ref) == ("email", "r") and rules == []
    assert load_link_row(0, "absent") is None


def test_warm_compiles_the_busiest_live_links_so_their_first_visit_reads_nothing(
        client, app, alice):
    for code in ("w1", "w2", "w3"):
        make_link(client, alice, shortCode=code)
    make_link(client, alice, shortCode="w4")
    patch_link(client, alice, "w4", enabled=False)  # disabled: not warmed
    visit(client, "/warm-the-host-lookup")
    resolver = app.extensions["linkhub.redirect"].resolver
    cache = link_cache.for_app(app)
    cache.clear()
    assert resolver.warm(2) == 2  # a limit is a limit
    assert resolver.warm(10) == 1  # what is already compiled is not loaded again
    assert cache.get_link((0, "w4")) is None
    visit(client, "/warm-the-host-lookup")
    with Statements(app) as first:
        assert visit(client, "/w3").status_code == 302
    assert first.seen == [], first.seen
    assert resolver.warm(0) == 0

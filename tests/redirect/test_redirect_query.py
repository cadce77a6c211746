"""Steps 8-9 of the redirect: the query string (preserveQueryParams, forwardUtms, internal
parameters, `?qr=1`), no open redirect whatever the query says (a hypothesis property), link
UTM fields and UTM templates, and click ids (`lw_cid`) that the buffer knows before the
flush."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linkhub import ids
from linkhub.models import Link
from tests.redirect.redirect_support import (
    clicks,
    flush,
    make_link,
    patch_link,
    rollup,
    visit,
)

DEST = "https://shop.example.com/p/item?color=red&size=m#reviews"


def where(client, path: str, **kwargs) -> str:
    response = visit(client, path, **kwargs)
    assert response.status_code == 302, response.data[:200]
    return response.headers["Location"]


def test_incoming_query_is_merged_destination_keys_win(client, alice):
    make_link(client, alice, shortCode="q", destinationUrl=DEST)
    assert where(client, "/q?color=blue&ref=tw&utm_source=x&empty=") == (
        "https://shop.example.com/p/item?color=red&size=m&ref=tw&utm_source=x&empty="
        "#reviews")


def test_repeated_and_encoded_values_are_forwarded_byte_for_byte(client, alice):
    make_link(client, alice, shortCode="q", destinationUrl="https://example.com/")
    assert where(client, "/q?tag=a&tag=b&name=Jos%C3%A9+M&raw=%E9") == (
        "https://example.com/?tag=a&tag=b&name=Jos%C3%A9+M&raw=%E9")


def test_without_preserve_only_utms_are_forwarded(client, alice):
    make_link(client, alice, shortCode="q", destinationUrl="https://example.com/a",
              preserveQueryParams=False)
    assert where(client, "/q?ref=tw&utm_source=x&utm_medium=y") == (
        "https://example.com/a?utm_source=x&utm_medium=y")


def test_without_preserve_and_forward_nothing_is_forwarded(client, alice):
    make_link(client, alice, shortCode="q", destinationUrl="https://example.com/a",
              preserveQueryParams=False, forwardUtms=False)
    assert where(client, "/q?ref=tw&utm_source=x") == "https://example.com/a"


def test_internal_parameters_are_stripped(client, app, alice):
    link = make_link(client, alice, shortCode="q", destinationUrl="https://example.com/a")
    assert where(client, "/q?qr=1&x=1") == "https://example.com/a?x=1"
    assert where(client, "/q?lh_notrack=1&x=2") == "https://example.com/a?x=2"
    assert where(client, "/q?qr=0") == "https://example.com/a"
    flush(app)
    assert [c.trigger for c in clicks(link["id"])] == ["qr", "link"]  # lh_notrack: no click


def test_qr_trigger_lands_in_the_rollup(client, app, alice):
    link = make_link(client, alice, shortCode="q")
    where(client, "/q?qr=1")
    where(client, "/q")
    flush(app)
    assert rollup(link["id"], "trigger", "qr")[0] == 1
    assert rollup(link["id"], "trigger", "link")[0] == 1


def test_query_cannot_replace_the_destination(client, alice):
    make_link(client, alice, shortCode="q", destinationUrl="https://example.com/a")
    for query in ("url=https://evil.example/", "destination=https://evil.example/",
                  "next=//evil.example", "redirect=https%3A%2F%2Fevil.example",
                  "x=%0d%0aLocation:%20https://evil.example", "@evil.example",
                  "a=1%23frag", "u=https://evil.example/%2F.."):
        location = where(client, f"/q?{query}")
        parts = urlsplit(location)
        assert (parts.scheme, parts.netloc, parts.path) == ("https", "example.com", "/a"), query
        assert parts.fragment == "" and "\r" not in location and "\n" not in location


RAW_QUERY = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0xFF,
                                           blacklist_characters="#"), max_size=120)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=RAW_QUERY)
def test_no_open_redirect_for_any_query_string(client, alice, query):
    if Link.get_or_none(Link.short_code == "prop") is None:  # once per test, not per example
        make_link(client, alice, shortCode="prop", destinationUrl=DEST, conversionTracking=True)
    response = visit(client, "/prop", environ_overrides={"QUERY_STRING": query})
    assert response.status_code == 302
    location = response.headers["Location"]
    parts, wanted = urlsplit(location), urlsplit(DEST)
    assert (parts.scheme, parts.netloc, parts.path, parts.fragment) == (
        wanted.scheme, wanted.netloc, wanted.path, wanted.fragment)
    assert parts.query.startswith(wanted.query)
    assert all(0x21 <= ord(c) < 0x7F for c in location)  # nothing unescaped in the header
    cid = [v for k, v in parse_qsl(parts.query) if k == "lw_cid"]
    assert len(cid) == 1 and ids.is_valid("click", cid[0])


def test_link_utm_fields_are_added_where_missing(client, alice):
    make_link(client, alice, shortCode="u", destinationUrl="https://example.com/a?utm_source=own",
              utmSource="link", utmMedium="email", utmCampaign="spring sale")
    assert where(client, "/u") == ("https://example.com/a?utm_source=own&utm_medium=email"
                                   "&utm_campaign=spring%20sale")
    # The link's values are part of the destination: an incoming utm_medium does not win.
    assert where(client, "/u?utm_medium=sms&utm_term=shoes") == (
        "https://example.com/a?utm_source=own&utm_medium=email&utm_campaign=spring%20sale"
        "&utm_term=shoes")


def test_utm_templates_fill_the_empty_values(client, alice):
    response = client.post("/api/utm-templates", headers=alice.headers, json={
        "name": "Newsletter", "utmSource": "template", "utmMedium": "newsletter",
        "ref": "nl"})
    assert response.status_code == 201, response.get_json()
    template = response.get_json()["data"]
    link = make_link(client, alice, shortCode="t", destinationUrl="https://example.com/a",
                     utmSource="mine", utmTemplateId=template["id"])
    assert where(client, "/t") == ("https://example.com/a?utm_source=mine"
                                   "&utm_medium=newsletter&ref=nl")
    client.patch(f"/api/utm-templates/{template['id']}", headers=alice.headers,
                 json={"utmMedium": "weekly"})
    assert where(client, "/t") == "https://example.com/a?utm_source=mine&utm_medium=weekly&ref=nl"
    patch_link(client, alice, link["id"], utmTemplateId=None)
    assert where(client, "/t") == "https://example.com/a?utm_source=mine"


def test_click_id_with_conversion_tracking(client, app, alice):
    link = make_link(client, alice, shortCode="c", destinationUrl="https://example.com/a?x=1",
                     conversionTracking=True)
    location = where(client, "/c?lw_cid=clk_AAAAAAAAAAAAAAAA&ref=1")
    query = parse_qsl(urlsplit(location).query)
    assert [k for k, _ in query] == ["x", "ref", "lw_cid"]  # an incoming lw_cid is dropped
    click_id = dict(query)["lw_cid"]
    assert ids.is_valid("click", click_id) and click_id != "clk_AAAAAAAAAAAAAAAA"
    buffer = app.extensions["linkhub.clicks"].buffer
    found = buffer.find(click_id)
    assert found is not None and found.link_id and found.destination_url == location
    flush(app)
    assert buffer.find(click_id) is None
    [row] = clicks(link["id"])
    assert row.public_id == click_id and row.destination_url == location


def test_no_click_id_without_conversion_tracking(client, app, alice):
    link = make_link(client, alice, shortCode="n", destinationUrl="https://example.com/a")
    assert "lw_cid" not in where(client, "/n")
    flush(app)
    [row] = clicks(link["id"])
    assert ids.is_valid("click", row.public_id)  # every click still has its own id

"""The public fire endpoints `/p/<id>.gif` and `POST /p/<id>` through HTTP with real user
agents: the GIF and its headers, captured parameters, beacons (JSON, sendBeacon text, forms),
privacy switches, bots, disabled/expired/exhausted/deleted pixels (the GIF still answers,
nothing is recorded), conversions from a real redirect's `lw_cid` (and the refusals that must
not break the GIF), campaign pixel codes, `firesLimit` under 50 concurrent requests on a live
server, and `/p` never being taken for a short code."""

from __future__ import annotations

import struct
import threading
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from linkhub import clock, ids
from linkhub.models import Conversion, OrphanVisit, Pixel, PixelFire, Workspace
from linkhub.services import conversions, short_codes
from tests.conftest import db_snapshot, login
from tests.redirect.redirect_support import (
    CHROME,
    GOOGLEBOT,
    IPHONE,
    UA,
    flush,
    make_campaign,
    make_link,
    visit,
)

BROWSER = {"User-Agent": CHROME}


def make_pixel(client, persona, **body) -> dict:
    body.setdefault("name", "Checkout")
    response = client.post("/api/pixels", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def new_click(client, persona, **link_fields) -> str:
    """Visit a conversion-tracking link like a browser; the `lw_cid` of its Location."""
    link = make_link(client, persona, conversionTracking=True, **link_fields)
    response = visit(client, "/" + link["shortCode"], ua=IPHONE)
    assert response.status_code == 302
    cid = dict(parse_qsl(urlsplit(response.headers["Location"]).query))["lw_cid"]
    assert ids.is_valid("click", cid)
    return cid


def gif(client, ref: str, query: str = "", headers: dict | None = None):
    response = client.get(f"/p/{ref}.gif" + (f"?{query}" if query else ""),
                          headers=headers if headers is not None else BROWSER)
    assert_gif(response)
    return response


def assert_gif(response) -> None:
    assert response.status_code == 200
    assert response.mimetype == "image/gif"
    assert response.headers["Cache-Control"] == "no-store"
    data = response.data
    assert data.startswith(b"GIF89a") and struct.unpack("<HH", data[6:10]) == (1, 1)
    gce = data.index(b"\x21\xf9\x04")
    assert data[gce + 3] & 1  # the transparency flag of the graphic control extension
    assert data.endswith(b";")


def fires(pixel_id: str | None = None) -> list[PixelFire]:
    query = PixelFire.select().order_by(PixelFire.id)
    if pixel_id is not None:
        query = query.join(Pixel).where(Pixel.public_id == pixel_id)
    return list(query)


def pixel_row(pixel_id: str) -> Pixel:
    return Pixel.get(Pixel.public_id == pixel_id)


# --- the GIF ------------------------------------------------------------------------------------

def test_unknown_ids_get_the_gif_and_record_nothing(client, app):
    before = db_snapshot(app)
    for ref in (ids.new_id("pixel"), "px_bad", "lw_px_" + "a" * 24, "anything", "%00"):
        gif(client, ref, "plan=pro")
    assert db_snapshot(app) == before


def test_a_fire_records_captured_values_referrer_and_agent(client, alice):
    pixel = make_pixel(client, alice, captureParams=["plan", "seats", "missing"])
    gif(client, pixel["id"], "plan=pro&seats=3&utm_source=mail&lw_cid=nope",
        {"User-Agent": CHROME, "Referer": "https://shop.example/thanks?o=1"})
    (fire,) = fires(pixel["id"])
    assert fire.params == {"plan": "pro", "seats": "3"}
    assert (fire.transport, fire.bot, fire.user_agent) == ("gif", False, CHROME)
    assert fire.referrer == "https://shop.example/thanks?o=1"
    assert fire.ip_truncated == "127.0.0.0" and len(fire.ip_hash) == 32
    assert fire.workspace.public_id == alice.workspace_id and fire.campaign_id is None
    assert fire.click_public_id is None and fire.conversion_public_id is None
    row = pixel_row(pixel["id"])
    assert row.fires == 1 and row.last_fired_at is not None


def test_head_is_answered_but_not_recorded(client, alice):
    pixel = make_pixel(client, alice)
    response = client.head(f"/p/{pixel['id']}.gif", headers=BROWSER)
    assert response.status_code == 200 and response.mimetype == "image/gif"
    assert fires() == [] and pixel_row(pixel["id"]).fires == 0


@pytest.mark.parametrize("settings_overrides", [{"ANONYMIZE_IP": False}])
def test_without_anonymisation_the_whole_ip_is_kept(client, alice):
    pixel = make_pixel(client, alice)
    gif(client, pixel["id"])
    assert fires()[0].ip_truncated == "127.0.0.1"


def test_workspace_privacy_switches(client, alice):
    Workspace.update(store_ip=False, store_user_agent=False, store_referrer=False).where(
        Workspace.public_id == alice.workspace_id).execute()
    pixel = make_pixel(client, alice, captureParams=["plan"])
    gif(client, pixel["id"], "plan=pro", {"User-Agent": CHROME, "Referer": "https://a.example/"})
    (fire,) = fires()
    assert (fire.ip_truncated, fire.ip_hash, fire.user_agent, fire.referrer) == (
        None, None, None, None)
    assert fire.params == {"plan": "pro"}


@pytest.mark.parametrize("agent", ["googlebot", "bingbot", "slackbot-linkexpanding",
                                   "facebookexternalhit", "curl"])
def test_bots_are_recorded_flagged_not_counted_nor_converted(client, alice, agent):
    cid = new_click(client, alice)
    pixel = make_pixel(client, alice, conversionTracking=True, firesLimit=1)
    gif(client, pixel["id"], f"lw_cid={cid}&value=5", {"User-Agent": UA[agent]})
    (fire,) = fires()
    assert fire.bot is True and fire.click_public_id == cid
    assert fire.conversion_public_id is None and fire.conversion_error is None
    assert Conversion.select().count() == 0
    assert pixel_row(pixel["id"]).fires == 0  # a bot never uses up the limit
    gif(client, pixel["id"])  # a person still can
    assert pixel_row(pixel["id"]).fires == 1 and len(fires()) == 2


# --- what stops recording -----------------------------------------------------------------------

def test_disabled_expired_exhausted_and_deleted_pixels_record_nothing(client, app, alice):
    disabled = make_pixel(client, alice, enabled=False)
    expiring = make_pixel(client, alice, expiresAt=clock.iso(clock.now() + timedelta(hours=1)))
    limited = make_pixel(client, alice, firesLimit=2)
    deleted = make_pixel(client, alice)
    assert client.delete(f"/api/pixels/{deleted['id']}", headers=alice.headers).status_code \
        == 200
    for _ in range(3):
        gif(client, limited["id"])
    assert len(fires(limited["id"])) == 2 and pixel_row(limited["id"]).fires == 2
    gif(client, expiring["id"])
    assert len(fires(expiring["id"])) == 1
    clock.advance(timedelta(hours=2))
    before = db_snapshot(app)
    for ref in (disabled["id"], expiring["id"], limited["id"], deleted["id"]):
        gif(client, ref, headers={"User-Agent": CHROME})
        response = client.post(f"/p/{ref}", json={"a": 1}, headers=BROWSER)
        assert response.status_code == 204
        gif(client, ref, headers={"User-Agent": GOOGLEBOT})  # bots neither
    assert db_snapshot(app) == before


def test_re_enabling_or_raising_the_limit_resumes(client, alice):
    pixel = make_pixel(client, alice, firesLimit=1, enabled=False)
    gif(client, pixel["id"])
    assert fires() == []
    client.patch(f"/api/pixels/{pixel['id']}", json={"enabled": True}, headers=alice.headers)
    gif(client, pixel["id"])
    gif(client, pixel["id"])
    assert len(fires()) == 1
    client.patch(f"/api/pixels/{pixel['id']}", json={"firesLimit": None},
                 headers=alice.headers)
    gif(client, pixel["id"])
    assert len(fires()) == 2 and pixel_row(pixel["id"]).fires == 2


# --- beacons ------------------------------------------------------------------------------------

def test_beacon_json_text_and_form_bodies(client, alice):
    pixel = make_pixel(client, alice, captureParams=["plan", "step", "nested"])
    url = f"/p/{pixel['id']}"
    sent = [
        client.post(url + "?step=1", json={"plan": "pro", "nested": {"a": [1]}},
                    headers=BROWSER),
        client.post(url + "?plan=q", data='{"plan": "team", "step": 2}',
                    content_type="text/plain;charset=UTF-8", headers=BROWSER),  # sendBeacon
        client.post(url, data={"plan": "solo", "step": "3"}, headers=BROWSER),
        client.post(url + "?plan=fromquery", data="{not json", content_type="text/plain",
                    headers=BROWSER),
        client.post(url + "?plan=big", data='{"plan": "' + "x" * 70_000 + '"}',
                    content_type="application/json", headers=BROWSER),
        client.post(url + "?plan=arr", data="[1, 2]", content_type="application/json",
                    headers=BROWSER),
    ]
    for response in sent:
        assert response.status_code == 204 and response.data == b""
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert [f.params for f in fires()] == [
        {"plan": "pro", "step": "1", "nested": '{"a":[1]}'},
        {"plan": "team", "step": 2},
        {"plan": "solo", "step": "3"},
        {"plan": "fromquery"},
        {"plan": "big"},
        {"plan": "arr"},
    ]
    assert {f.transport for f in fires()} == {"beacon"}
    assert pixel_row(pixel["id"]).fires == 6


def test_captured_values_are_capped(client, alice):
    pixel = make_pixel(client, alice, captureParams=["note"])
    client.post(f"/p/{pixel['id']}", json={"note": "n" * 900}, headers=BROWSER)
    assert fires()[0].params == {"note": "n" * 500}


def test_a_signed_in_browser_needs_no_csrf_token(app, alice):
    signed_in = app.test_client()
    login(signed_in, alice.email)
    pixel = make_pixel(signed_in, alice)
    response = signed_in.post(f"/p/{pixel['id']}", data="{}", content_type="text/plain",
                              headers=BROWSER)
    assert response.status_code == 204 and len(fires()) == 1


def test_cors_preflight(client, alice):
    pixel = make_pixel(client, alice)
    response = client.options(f"/p/{pixel['id']}", headers={
        "Origin": "https://shop.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert fires() == []


# --- conversions --------------------------------------------------------------------------------

def test_a_fire_with_a_buffered_click_becomes_a_conversion(client, app, alice):
    cid = new_click(client, alice)  # not flushed: the click is still in the buffer
    pixel = make_pixel(client, alice, eventName="Purchase", conversionTracking=True,
                       captureParams=["plan"])
    gif(client, pixel["id"], f"lw_cid={cid}&value=19.99&currency=eur&orderId=A-1&plan=pro")
    (fire,) = fires()
    assert fire.click_public_id == cid and fire.conversion_error is None
    conversion = Conversion.get(Conversion.public_id == fire.conversion_public_id)
    assert (conversion.event, conversion.kind, conversion.source) == ("purchase", "sale", "pixel")
    assert conversion.pixel_public_id == pixel["id"] and conversion.click_public_id == cid
    assert (conversion.value_micros, conversion.currency, conversion.order_id) == (
        19_990_000, "EUR", "A-1")
    assert conversion.metadata == {"plan": "pro"}
    assert conversion.link.workspace.public_id == alice.workspace_id
    flush(app)


def test_a_beacon_with_a_stored_click_and_a_json_amount(client, app, alice):
    cid = new_click(client, alice)
    flush(app)
    pixel = make_pixel(client, alice, conversionTracking=True)
    response = client.post(f"/p/{pixel['id']}", json={"lw_cid": cid, "value": 49.99,
                                                     "event": "signup"}, headers=BROWSER)
    assert response.status_code == 204
    conversion = Conversion.get(Conversion.public_id == fires()[0].conversion_public_id)
    assert (conversion.event, conversion.kind) == ("signup", "lead")  # no eventName: the param
    assert (conversion.value_micros, conversion.currency) == (49_990_000, "USD")


def test_event_defaults_to_conversion(client, alice):
    cid = new_click(client, alice)
    pixel = make_pixel(client, alice, conversionTracking=True)
    gif(client, pixel["id"], f"lw_cid={cid}")
    conversion = Conversion.get(Conversion.public_id == fires()[0].conversion_public_id)
    assert (conversion.event, conversion.value_micros) == ("conversion", 0)


def test_without_conversion_tracking_the_click_id_is_only_kept(client, alice):
    cid = new_click(client, alice)
    pixel = make_pixel(client, alice)
    gif(client, pixel["id"], f"lw_cid={cid}&value=3")
    (fire,) = fires()
    assert fire.click_public_id == cid and fire.conversion_public_id is None
    assert fire.conversion_error is None and Conversion.select().count() == 0


def test_refused_conversions_never_break_the_gif(client, alice, charlie):
    mine = new_click(client, alice)
    theirs = new_click(client, charlie)
    pixel = make_pixel(client, alice, conversionTracking=True)
    cases = [
        (f"lw_cid={ids.new_id('click')}", "VALIDATION_ERROR"),  # unknown click
        (f"lw_cid={theirs}", "VALIDATION_ERROR"),  # another workspace's click
        ("lw_cid=clk_bad", "VALIDATION_ERROR"),
        (f"lw_cid={mine}&value=abc", "VALIDATION_ERROR"),
        (f"lw_cid={mine}&value=-1", "VALIDATION_ERROR"),
        (f"lw_cid={mine}&currency=XYZ", "VALIDATION_ERROR"),
        (f"lw_cid={mine}&orderId=O-1", None),
        (f"lw_cid={mine}&orderId=O-1", "DUPLICATE_ORDER"),
    ]
    for query, _ in cases:
        gif(client, pixel["id"], query)
    recorded = fires()
    assert len(recorded) == len(cases) and pixel_row(pixel["id"]).fires == len(cases)
    for fire, (query, code) in zip(recorded, cases, strict=True):
        if code is None:
            assert fire.conversion_public_id and fire.conversion_error is None, query
        else:
            assert fire.conversion_public_id is None, query
            assert fire.conversion_error.startswith(code + ":"), (query, fire.conversion_error)
    assert Conversion.select().count() == 1


def test_an_old_click_is_outside_the_window(client, alice):
    cid = new_click(client, alice)
    pixel = make_pixel(client, alice, conversionTracking=True)
    clock.advance(timedelta(days=31))
    gif(client, pixel["id"], f"lw_cid={cid}")
    assert "attribution window" in fires()[0].conversion_error
    assert Conversion.select().count() == 0


def test_conversions_through_pixels_are_rate_limited_per_ip(client, alice, monkeypatch):
    monkeypatch.setattr(conversions, "S2S_RATE", "2/minute")
    pixel = make_pixel(client, alice, conversionTracking=True)
    for _ in range(3):
        gif(client, pixel["id"], f"lw_cid={ids.new_id('click')}")
    errors = [f.conversion_error.split(":")[0] for f in fires()]
    assert errors == ["VALIDATION_ERROR", "VALIDATION_ERROR", "RATE_LIMITED"]


# --- campaign pixel codes -----------------------------------------------------------------------

def test_campaign_pixel_code_records_and_converts(client, app, alice):
    campaign = make_campaign(client, alice, conversionTracking=True, type="pixel")
    code = campaign["pixelCode"]
    cid = new_click(client, alice)
    gif(client, code, f"lw_cid={cid}&event=purchase&amount=12.5&order_id=C-9&plan=x",
        {"User-Agent": CHROME, "Referer": "https://shop.example/"})
    response = client.post(f"/p/{code}", data='{"event": "lead"}', content_type="text/plain",
                           headers=BROWSER)
    assert response.status_code == 204
    first, second = fires()
    assert first.pixel_id is None and first.campaign.public_id == campaign["id"]
    assert first.params == {"event": "purchase", "amount": "12.5", "order_id": "C-9"}
    assert first.referrer == "https://shop.example/"
    conversion = Conversion.get(Conversion.public_id == first.conversion_public_id)
    assert (conversion.event, conversion.value_micros, conversion.order_id) == (
        "purchase", 12_500_000, "C-9")
    assert conversion.pixel_public_id == code and conversion.source == "pixel"
    assert (second.transport, second.params, second.conversion_public_id) == (
        "beacon", {"event": "lead"}, None)


def test_campaign_codes_without_tracking_or_archived(client, app, alice):
    quiet = make_campaign(client, alice)
    cid = new_click(client, alice)
    gif(client, quiet["pixelCode"], f"lw_cid={cid}")
    assert fires()[0].conversion_public_id is None and Conversion.select().count() == 0
    client.patch(f"/api/campaigns/{quiet['id']}", json={"status": "archived"},
                 headers=alice.headers)
    before = db_snapshot(app)
    gif(client, quiet["pixelCode"])
    assert db_snapshot(app) == before


def test_a_pixel_fire_carries_its_campaign(client, alice):
    campaign = make_campaign(client, alice)
    pixel = make_pixel(client, alice, campaignId=campaign["id"])
    gif(client, pixel["id"])
    assert fires()[0].campaign.public_id == campaign["id"]


# --- the limit under concurrency ----------------------------------------------------------------

def test_fires_limit_holds_under_50_concurrent_requests(client, app, alice, live_server):
    pixel = make_pixel(client, alice, firesLimit=10, captureParams=["n"])
    start = threading.Barrier(50)

    def hit(n: int) -> tuple[int, str, bytes]:
        request = urllib.request.Request(f"{live_server.url}/p/{pixel['id']}.gif?n={n}",
                                         headers={"User-Agent": UA["firefox-linux"]})
        start.wait()
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers["Content-Type"], response.read()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(hit, range(50)))
    assert all(status == 200 and kind == "image/gif" and body.startswith(b"GIF89a")
               for status, kind, body in results)
    recorded = fires(pixel["id"])
    assert len(recorded) == 10 and pixel_row(pixel["id"]).fires == 10
    assert len({f.params["n"] for f in recorded}) == 10


# --- /p is not a short code ---------------------------------------------------------------------

def test_p_is_a_reserved_segment_not_a_short_code(client, app, alice):
    assert "p" in short_codes.reserved_segments(app)
    response = client.post("/api/links", json={"destinationUrl": "https://example.com",
                                                "shortCode": "p"}, headers=alice.headers)
    assert response.status_code == 400
    assert response.get_json()["error"]["details"][0]["field"] == "shortCode"
    link = make_link(client, alice, shortCode="pricing")
    assert visit(client, "/pricing").status_code == 302
    gif(client, ids.new_id("pixel"))
    response = client.post(f"/p/{ids.new_id('pixel')}", json={}, headers=BROWSER)
    assert response.status_code == 204
    flush(app)
    assert OrphanVisit.select().count() == 0
    assert link["shortCode"] == "pricing"

"""/api/qr: create, list, read, update and delete per-link QR codes; the images (PNG decoded
here and compared module by module with segno's symbol of the expected URL, SVG path
compared with segno's), logos (cap, URLs refused, types), DUPLICATE_CODE, LIMIT_EXCEEDED,
scopes, isolation, and scan metrics driven by real `?qr=1` redirects."""

from __future__ import annotations

import base64
import io
import re
import struct
import zlib
from datetime import datetime

import pytest
import segno

from linkhub import clock
from linkhub.models import AuditLog, Link, QrCode
from tests.api.links_support import api_key, viewer_headers
from tests.conftest import db_snapshot
from tests.redirect.useragents import AGENTS

UA = {agent.name: agent.ua for agent in AGENTS}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# --- helpers ----------------------------------------------------------------------------------

def make_link(client, persona, **body) -> dict:
    body.setdefault("destinationUrl", "https://example.com/landing")
    response = client.post("/api/links", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def make_qr(client, persona, link_id: str, **body) -> dict:
    body.setdefault("name", "Poster")
    response = client.post(f"/api/qr/links/{link_id}", json=body, headers=persona.headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def error_of(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:400]
    body = response.get_json()
    assert body["success"] is False and body["error"]["code"] == code, body
    return body["error"]


def fields_of(response) -> dict[str, str]:
    error = error_of(response, 400, "VALIDATION_ERROR")
    return {d["field"]: d["message"] for d in error["details"]}


def png_chunk(tag: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + tag + body
            + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF))


def solid_png(width: int, height: int, rgba: tuple[int, int, int, int]) -> bytes:
    """An RGBA PNG of one colour, rows written with the Sub filter."""
    row = bytes([1]) + bytes(rgba) + bytes(4 * (width - 1))  # Sub: the rest repeat the first
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (PNG_SIGNATURE + png_chunk(b"IHDR", header)
            + png_chunk(b"IDAT", zlib.compress(row * height)) + png_chunk(b"IEND", b""))


def data_url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def decode_rgb_png(data: bytes) -> tuple[int, int, list[bytes]]:
    """Our own PNG output: 8-bit RGB, unfiltered rows (decoded independently of the app)."""
    assert data.startswith(PNG_SIGNATURE)
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0] == \
            zlib.crc32(tag + body) & 0xFFFFFFFF
        if tag == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, ctype = header[:4]
    assert (depth, ctype) == (8, 2)
    raw = zlib.decompress(idat)
    stride = width * 3 + 1
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, [raw[y * stride + 1:(y + 1) * stride] for y in range(height)]


def modules_of(png: bytes, expected: segno.QRCode, dark: bytes) -> list[list[int]]:
    """Read the module grid back from the pixels (centre of each module)."""
    width, _, rows = decode_rgb_png(png)
    n = len(expected.matrix)
    module = width // (n + 8)
    origin = (width - n * module) // 2
    centre = origin + module // 2
    return [[int(rows[centre + y * module][(centre + x * module) * 3:
                                            (centre + x * module) * 3 + 3] == dark)
             for x in range(n)] for y in range(n)]


def symbol(url: str, level: str) -> segno.QRCode:
    return segno.make(url, error=level.lower(), micro=False, boost_error=False)


# --- create, read, list -----------------------------------------------------------------------

def test_create_with_defaults_and_read_back(client, alice):
    link = make_link(client, alice, shortCode="qr-home")
    qr = make_qr(client, alice, link["id"])
    assert qr["id"].startswith("qr_") and qr["linkId"] == link["id"]
    assert (qr["name"], qr["size"], qr["format"], qr["errorCorrection"]) == (
        "Poster", 512, "png", "M")
    assert (qr["foregroundColor"], qr["backgroundColor"]) == ("#000000", "#ffffff")
    assert qr["hasLogo"] is False and qr["logoType"] is None and qr["logoBytes"] is None
    assert qr["encodedUrl"] == link["shortUrl"] + "?qr=1"
    assert qr["imageUrl"].endswith(f"/api/qr/{qr['id']}/image")
    assert re.fullmatch(r"[0-9a-f]{32}", qr["signature"])
    got = client.get(f"/api/qr/{qr['id']}", headers=alice.headers).get_json()["data"]
    assert got == qr
    listed = client.get(f"/api/qr/links/{link['id']}", headers=alice.headers).get_json()
    assert listed["data"] == [qr] and listed["pagination"]["total"] == 1
    # the short code works as the link reference too
    listed = client.get("/api/qr/links/qr-home", headers=alice.headers).get_json()
    assert [q["id"] for q in listed["data"]] == [qr["id"]]
    assert AuditLog.get(AuditLog.resource_id == qr["id"]).action == "qr.create"


def test_create_with_every_option(client, alice):
    link = make_link(client, alice)
    qr = make_qr(client, alice, link["id"], name="Flyer", size=300, format="SVG",
                 errorCorrection="q", foregroundColor="#1E40AF", backgroundColor="#FFFFF0")
    assert (qr["size"], qr["format"], qr["errorCorrection"]) == (300, "svg", "Q")
    assert (qr["foregroundColor"], qr["backgroundColor"]) == ("#1e40af", "#fffff0")


# --- images -----------------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_png_encodes_exactly_the_short_url_with_qr_1(client, alice, level):
    link = make_link(client, alice)
    qr = make_qr(client, alice, link["id"], size=333, errorCorrection=level,
                 foregroundColor="#102030", backgroundColor="#f0f0e0")
    response = client.get(f"/api/qr/{qr['id']}/image", headers=alice.headers)
    assert response.status_code == 200 and response.mimetype == "image/png"
    png = response.get_data()
    width, height, rows = decode_rgb_png(png)
    assert (width, height) == (333, 333)
    assert rows[0][:3] == bytes.fromhex("f0f0e0")  # quiet zone in the background colour
    expected = symbol(link["shortUrl"] + "?qr=1", level)
    grid = modules_of(png, expected, bytes.fromhex("102030"))
    assert grid == [list(row) for row in expected.matrix]
    assert response.headers["ETag"] == f'"{qr["signature"]}"'
    assert "Content-Disposition" not in response.headers


def test_svg_carries_segnos_path_for_the_url(client, alice):
    link = make_link(client, alice)
    qr = make_qr(client, alice, link["id"], format="svg", size=256, foregroundColor="#aa0000")
    response = client.get(f"/api/qr/{qr['id']}/image", headers=alice.headers)
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert 'width="256" height="256"' in svg
    reference = io.BytesIO()
    symbol(link["shortUrl"] + "?qr=1", "M").save(reference, kind="svg", border=4)
    path = re.search(r'<path[^>]*stroke="[^"]+"[^>]*d="([^"]+)"', reference.getvalue().decode())
    assert path and f'd="{path.group(1)}"' in svg
    assert "<image" not in svg and "<script" not in svg


def test_format_override_download_and_revalidation(client, alice):
    link = make_link(client, alice, shortCode="dl-me")
    qr = make_qr(client, alice, link["id"], name="Shop window")
    response = client.get(f"/api/qr/{qr['id']}/image?format=svg&download=1",
                          headers=alice.headers)
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="Shop-window-dl-me.svg"'
    png = client.get(f"/api/qr/{qr['id']}/image?download=1", headers=alice.headers)
    assert png.headers["Content-Disposition"].endswith('-dl-me.png"')
    again = client.get(f"/api/qr/{qr['id']}/image",
                       headers={**alice.headers, "If-None-Match": png.headers["ETag"]})
    assert again.status_code == 304 and not again.get_data()
    error = fields_of(client.get(f"/api/qr/{qr['id']}/image?format=gif",
                                 headers=alice.headers))
    assert "format" in error


# --- logos ------------------------------------------------------------------------------------

def test_png_logo_is_drawn_in_the_middle_and_raises_error_correction(client, alice):
    link = make_link(client, alice)
    logo = solid_png(16, 16, (255, 0, 0, 255))
    qr = make_qr(client, alice, link["id"], size=400, errorCorrection="L",
                 imageData=data_url("image/png", logo))
    assert qr["errorCorrection"] == "H" and qr["hasLogo"] is True
    assert (qr["logoType"], qr["logoBytes"]) == ("image/png", len(logo))
    png = client.get(f"/api/qr/{qr['id']}/image", headers=alice.headers).get_data()
    width, _, rows = decode_rgb_png(png)
    assert rows[width // 2][width // 2 * 3:width // 2 * 3 + 3] == b"\xff\x00\x00"
    assert rows[5][15:18] == b"\xff\xff\xff"  # corners untouched
    # the same symbol with the logo removed keeps H and the module grid
    patched = client.patch(f"/api/qr/{qr['id']}", json={"imageData": None},
                           headers=alice.headers).get_json()["data"]
    assert patched["hasLogo"] is False and patched["errorCorrection"] == "H"
    assert patched["signature"] != qr["signature"]
    plain = client.get(f"/api/qr/{qr['id']}/image", headers=alice.headers).get_data()
    expected = symbol(link["shortUrl"] + "?qr=1", "H")
    assert modules_of(plain, expected, b"\x00\x00\x00") == [list(r) for r in expected.matrix]


def test_svg_embeds_any_logo_as_a_data_url(client, alice):
    link = make_link(client, alice)
    jpeg = b"\xff\xd8\xff\xe0" + b"\x00" * 60 + b"\xff\xd9"
    qr = make_qr(client, alice, link["id"], format="svg",
                 imageData=data_url("image/jpeg", jpeg))
    svg = client.get(f"/api/qr/{qr['id']}/image", headers=alice.headers).get_data(as_text=True)
    assert f'href="{data_url("image/jpeg", jpeg)}"' in svg
    vector = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><circle r="4"/></svg>'
    other = make_qr(client, alice, link["id"], name="Vector", format="svg",
                    imageData=data_url("image/svg+xml", vector))
    assert other["logoType"] == "image/svg+xml"
    # a PNG download of a JPEG-logo code cannot draw the logo: said, not silently dropped
    error = fields_of(client.get(f"/api/qr/{qr['id']}/image?format=png",
                                 headers=alice.headers))
    assert "SVG" in error["format"]


@pytest.mark.parametrize("image_data, fragment", [
    ("https://example.com/logo.png", "never fetched"),
    ("http://127.0.0.1/logo.png", "never fetched"),
    ("data:image/gif;base64,R0lGODlhAQABAAAAACw=", "PNG, JPEG or SVG"),
    ("data:image/png,notbase64", "base64"),
    ("data:image/png;base64,%%%%", "base64"),
    (data_url("image/png", b"\xff\xd8\xff\xe0rest"), "declares"),
    (data_url("image/svg+xml", b"<html><script>alert(1)</script></html>"), "declares"),
    (data_url("image/png", solid_png(600, 4, (0, 0, 0, 255))), "512"),
    (data_url("image/jpeg", b"\xff\xd8\xff" + b"\x00" * 10), "SVG codes"),  # format png
])
def test_bad_logos_are_400_and_change_nothing(client, app, alice, image_data, fragment):
    link = make_link(client, alice)
    before = db_snapshot(app)
    response = client.post(f"/api/qr/links/{link['id']}", headers=alice.headers,
                           json={"name": "Logo", "imageData": image_data})
    assert fragment in fields_of(response)["imageData"]
    assert db_snapshot(app) == before


def test_logo_over_the_size_cap_is_400(client, app, alice):
    link = make_link(client, alice)
    big = b"\xff\xd8\xff" + b"\x01" * (256 * 1024)
    before = db_snapshot(app)
    response = client.post(f"/api/qr/links/{link['id']}", headers=alice.headers,
                           json={"name": "Big", "format": "svg",
                                 "imageData": data_url("image/jpeg", big)})
    assert "256 KB" in fields_of(response)["imageData"]
    assert db_snapshot(app) == before


# --- validation, duplicates, limits -----------------------------------------------------------

@pytest.mark.parametrize("body, field", [
    ({}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 101}, "name"),
    ({"name": "A", "size": 63}, "size"),
    ({"name": "A", "size": 2049}, "size"),
    ({"name": "A", "size": "512"}, "size"),
    ({"name": "A", "format": "gif"}, "format"),
    ({"name": "A", "errorCorrection": "X"}, "errorCorrection"),
    ({"name": "A", "foregroundColor": "red"}, "foregroundColor"),
    ({"name": "A", "backgroundColor": "#fff"}, "backgroundColor"),
    ({"name": "A", "foregroundColor": "#FFFFFF"}, "backgroundColor"),
])
def test_invalid_settings_are_400(client, app, alice, body, field):
    link = make_link(client, alice)
    before = db_snapshot(app)
    response = client.post(f"/api/qr/links/{link['id']}", json=body, headers=alice.headers)
    assert field in fields_of(response)
    assert db_snapshot(app) == before


def test_duplicate_name_in_the_same_link_is_409_duplicate_code(client, app, alice):
    link = make_link(client, alice)
    other = make_link(client, alice)
    first = make_qr(client, alice, link["id"], name="Menu")
    before = db_snapshot(app)
    response = client.post(f"/api/qr/links/{link['id']}", json={"name": "menu"},
                           headers=alice.headers)
    error_of(response, 409, "DUPLICATE_CODE")
    assert db_snapshot(app) == before
    make_qr(client, alice, other["id"], name="Menu")  # another link may use the name
    second = make_qr(client, alice, link["id"], name="Table tent")
    response = client.patch(f"/api/qr/{second['id']}", json={"name": "MENU"},
                            headers=alice.headers)
    error_of(response, 409, "DUPLICATE_CODE")
    assert QrCode.get(QrCode.public_id == second["id"]).name == "Table tent"
    renamed = client.patch(f"/api/qr/{first['id']}", json={"name": "MENU"},
                           headers=alice.headers)  # its own name in another case is fine
    assert renamed.status_code == 200 and renamed.get_json()["data"]["name"] == "MENU"


@pytest.mark.parametrize("settings_overrides", [{"QR_LIMIT_PER_LINK": 2}])
def test_per_link_limit_is_403_limit_exceeded(client, app, alice):
    link = make_link(client, alice)
    make_qr(client, alice, link["id"], name="One")
    make_qr(client, alice, link["id"], name="Two")
    before = db_snapshot(app)
    response = client.post(f"/api/qr/links/{link['id']}", json={"name": "Three"},
                           headers=alice.headers)
    assert "QR_LIMIT_PER_LINK" in error_of(response, 403, "LIMIT_EXCEEDED")["message"]
    assert db_snapshot(app) == before
    make_qr(client, alice, make_link(client, alice)["id"], name="Three")  # per link


def test_update_and_delete(client, app, alice):
    link = make_link(client, alice)
    qr = make_qr(client, alice, link["id"])
    response = client.patch(f"/api/qr/{qr['id']}", headers=alice.headers,
                            json={"size": 128, "format": "svg", "backgroundColor": "#eeeeee"})
    data = response.get_json()["data"]
    assert (data["size"], data["format"], data["backgroundColor"], data["name"]) == (
        128, "svg", "#eeeeee", "Poster")
    before = db_snapshot(app)
    bad = client.patch(f"/api/qr/{qr['id']}", json={"size": 5000, "format": "bmp"},
                       headers=alice.headers)
    assert set(fields_of(bad)) == {"size", "format"}
    assert db_snapshot(app) == before
    deleted = client.delete(f"/api/qr/{qr['id']}", headers=alice.headers)
    assert deleted.get_json()["data"] == {"id": qr["id"], "deleted": True}
    error_of(client.get(f"/api/qr/{qr['id']}", headers=alice.headers), 404, "NOT_FOUND")
    actions = [a.action for a in AuditLog.select().where(AuditLog.resource_id == qr["id"])
               .order_by(AuditLog.id)]
    assert actions == ["qr.create", "qr.update", "qr.delete"]


def test_codes_of_a_deleted_link_are_gone(client, alice):
    link = make_link(client, alice)
    qr = make_qr(client, alice, link["id"])
    assert client.delete(f"/api/links/{link['id']}", headers=alice.headers).status_code == 200
    for path in (f"/api/qr/{qr['id']}", f"/api/qr/{qr['id']}/image",
                 f"/api/qr/{qr['id']}/scans", f"/api/qr/links/{link['id']}"):
        error_of(client.get(path, headers=alice.headers), 404, "NOT_FOUND")


# --- access -------------------------------------------------------------------------------------

def test_another_workspace_gets_404_and_changes_nothing(client, app, alice, charlie):
    link = make_link(client, alice)
    qr = make_qr(client, alice, link["id"])
    before = db_snapshot(app)
    calls = [("POST", f"/api/qr/links/{link['id']}", {"name": "Mine"}),
             ("GET", f"/api/qr/links/{link['id']}", None),
             ("GET", f"/api/qr/{qr['id']}", None),
             ("PATCH", f"/api/qr/{qr['id']}", {"name": "Mine"}),
             ("DELETE", f"/api/qr/{qr['id']}", None),
             ("GET", f"/api/qr/{qr['id']}/image", None),
             ("GET", f"/api/qr/{qr['id']}/scans", None),
             ("GET", "/api/qr/qr_0000000000000000", None),
             ("GET", "/api/qr/not-an-id", None)]
    messages = set()
    for method, path, body in calls:
        response = client.open(path, method=method, json=body, headers=charlie.headers)
        messages.add(error_of(response, 404, "NOT_FOUND")["message"])
    assert db_snapshot(app) == before
    assert len(messages) <= 2  # "Link not found." / "QR code not found." as for missing ones


def test_scopes_and_roles(client, app, alice):
    link = make_link(client, alice)
    qr = make_qr(client, alice, link["id"])
    headers = api_key(app, alice, ["links:read"])
    assert client.get(f"/api/qr/{qr['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/qr/{qr['id']}/image", headers=headers).status_code == 200
    for method, path, body in (("POST", f"/api/qr/links/{link['id']}", {"name": "x"}),
                               ("PATCH", f"/api/qr/{qr['id']}", {"name": "x"}),
                               ("DELETE", f"/api/qr/{qr['id']}", None),
                               ("GET", f"/api/qr/{qr['id']}/scans", None)):
        error_of(client.open(path, method=method, json=body, headers=headers), 403,
                 "FORBIDDEN")
    scans = client.get(f"/api/qr/{qr['id']}/scans", headers=api_key(app, alice,
                                                                     ["analytics:read"]))
    assert scans.status_code == 200
    viewer = viewer_headers(app, alice)  # every scope, but a viewer's role
    assert client.get(f"/api/qr/links/{link['id']}", headers=viewer).status_code == 200
    error_of(client.post(f"/api/qr/links/{link['id']}", json={"name": "v"}, headers=viewer),
             403, "FORBIDDEN")


# --- scans ------------------------------------------------------------------------------------

def flush(app) -> None:
    app.extensions["linkhub.clicks"].writer.flush()


def scan(app, path: str, agent: str, ip: str) -> None:
    with app.test_client() as visitor:  # one cookie jar each: visitor = ip + agent
        response = visitor.get(path, headers={"User-Agent": UA[agent]},
                               environ_base={"REMOTE_ADDR": ip})
        assert response.status_code == 302


def test_scans_count_qr_redirects_exactly(client, app, alice):
    link = make_link(client, alice, shortCode="scan-me")
    qr = make_qr(client, alice, link["id"])
    path = qr["encodedUrl"].split("/", 3)[3]  # "scan-me?qr=1"
    assert path == "scan-me?qr=1"
    scan(app, "/" + path, "iphone-safari", "8.8.8.8")
    scan(app, "/" + path, "iphone-safari", "8.8.8.8")  # same person again
    scan(app, "/" + path, "pixel-chrome", "81.2.69.142")
    scan(app, "/" + path, "googlebot", "66.249.66.1")  # a bot: counted apart
    scan(app, "/scan-me", "chrome-windows", "5.9.0.1")  # a plain click, not a scan
    flush(app)
    response = client.get(f"/api/qr/{qr['id']}/scans", headers=alice.headers)
    data = response.get_json()["data"]
    assert (data["total"], data["unique"], data["bots"]) == (3, 2, 1)
    assert data["allTime"] == {"total": 3, "unique": 2, "bots": 1}
    assert (data["scope"], data["days"], data["timezone"]) == ("link", 30, "UTC")
    assert len(data["byDay"]) == 30
    today = clock.now().date().isoformat()
    assert data["byDay"][-1] == {"date": today, "total": 3, "unique": 2}
    assert sum(day["total"] for day in data["byDay"]) == 3
    assert data["byCountry"] == [{"country": "US", "total": 2, "unique": 1},
                                 {"country": "GB", "total": 1, "unique": 1}]
    assert data["byDevice"] == [{"device": "mobile", "total": 3, "unique": 2}]
    assert data["lastScannedAt"] is not None
    assert Link.get(Link.public_id == link["id"]).clicks == 4  # the plain click counts there


def test_scans_use_local_days_and_the_range(client, app, alice):
    clock.freeze(datetime(2026, 3, 10, 23, 30))
    link = make_link(client, alice)
    qr = make_qr(client, alice, link["id"])
    path = "/" + qr["encodedUrl"].split("/", 3)[3]
    scan(app, path, "iphone-safari", "8.8.8.8")  # 2026-03-11 08:30 in Tokyo
    clock.freeze(datetime(2026, 3, 1, 12, 0))
    scan(app, path, "pixel-chrome", "81.2.69.142")  # 9 days earlier
    flush(app)
    clock.freeze(datetime(2026, 3, 11, 1, 0))
    url = f"/api/qr/{qr['id']}/scans"
    tokyo = client.get(url + "?days=3&timezone=Asia/Tokyo",
                       headers=alice.headers).get_json()["data"]
    assert [d["date"] for d in tokyo["byDay"]] == ["2026-03-09", "2026-03-10", "2026-03-11"]
    assert [d["total"] for d in tokyo["byDay"]] == [0, 0, 1]
    assert (tokyo["total"], tokyo["allTime"]["total"]) == (1, 2)
    assert tokyo["byCountry"] == [{"country": "US", "total": 1, "unique": 1}]
    utc = client.get(url + "?days=11", headers=alice.headers).get_json()["data"]
    assert utc["total"] == 2 and utc["byDay"][0] == {"date": "2026-03-01", "total": 1,
                                                      "unique": 1}
    assert utc["byDay"][9] == {"date": "2026-03-10", "total": 1, "unique": 1}


@pytest.mark.parametrize("query, field", [("days=0", "days"), ("days=366", "days"),
                                          ("days=abc", "days"),
                                          ("timezone=Mars/Olympus", "timezone")])
def test_scans_reject_bad_ranges(client, alice, query, field):
    link = make_link(client, alice)
    qr = make_qr(client, alice, link["id"])
    response = client.get(f"/api/qr/{qr['id']}/scans?{query}", headers=alice.headers)
    assert field in fields_of(response)

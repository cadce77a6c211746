"""services/qr_logos.py: the data-URL and magic-byte checks and the pure-Python PNG decoder
(every row filter, colour type and low bit depth), against PNGs written here and by segno."""

from __future__ import annotations

import base64
import io
import random
import struct
import zlib

import pytest
import segno

from linkhub.services import qr_logos
from linkhub.services.qr_logos import LogoError


def chunk(tag: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + tag + body
            + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF))


def paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def filtered(rows: list[bytes], bpp: int, kinds: list[int]) -> bytes:
    """Apply PNG's forward filters (the decoder must undo them)."""
    out, prev = b"", bytes(len(rows[0]))
    for row, kind in zip(rows, kinds, strict=True):
        line = []
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            predictor = (0, a, b, (a + b) // 2, paeth(a, b, c))[kind]
            line.append((x - predictor) & 255)
        out += bytes([kind]) + bytes(line)
        prev = row
    return out


def png(width: int, height: int, depth: int, ctype: int, raw: bytes, *extra: bytes,
        interlace: int = 0) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, depth, ctype, 0, 0, interlace)
    return (qr_logos.PNG_SIGNATURE + chunk(b"IHDR", header) + b"".join(extra)
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


@pytest.mark.parametrize("kind", [0, 1, 2, 3, 4])
def test_every_row_filter_is_undone(kind):
    rng = random.Random(kind)
    rows = [bytes(rng.randrange(256) for _ in range(5 * 4)) for _ in range(4)]
    data = png(5, 4, 8, 6, filtered(rows, 4, [kind] * 4))
    width, height, pixels = qr_logos.png_pixels(data)
    assert (width, height) == (5, 4) and list(pixels) == rows


def test_rgb_gray_and_gray_alpha_become_rgba():
    rgb = [bytes([10, 20, 30, 40, 50, 60])]
    assert qr_logos.png_pixels(png(2, 1, 8, 2, filtered(rgb, 3, [4])))[2] == (
        bytes([10, 20, 30, 255, 40, 50, 60, 255]),)
    gray_alpha = [bytes([7, 128, 9, 0])]
    assert qr_logos.png_pixels(png(2, 1, 8, 4, filtered(gray_alpha, 2, [1])))[2] == (
        bytes([7, 7, 7, 128, 9, 9, 9, 0]),)
    sixteen = [bytes([1, 2, 3, 4, 5, 6])]  # one RGB pixel, 16 bits a sample: high bytes
    assert qr_logos.png_pixels(png(1, 1, 16, 2, filtered(sixteen, 6, [0])))[2] == (
        bytes([1, 3, 5, 255]),)


def test_segno_pngs_decode_module_for_module():
    qr = segno.make("logo test", micro=False)
    for colours in ({}, {"dark": "#ff0000", "light": "#00ff00"}, {"dark": "#123456",
                                                                 "light": None}):
        out = io.BytesIO()
        qr.save(out, kind="png", scale=2, border=0, **colours)  # 1-bit gray or palette
        width, _, rows = qr_logos.png_pixels(out.getvalue())
        assert width == 2 * len(qr.matrix)
        seen = {bool(m): rows[2 * y][8 * x:8 * x + 4]
                for y, line in enumerate(qr.matrix) for x, m in enumerate(line)}
        dark = bytes.fromhex(colours.get("dark", "#000000")[1:]) + b"\xff"
        assert seen[True] == dark
        if "light" in colours and colours["light"] is None:
            assert seen[False][3] == 0  # transparent background through tRNS


def test_png_limits_and_corruption():
    with pytest.raises(LogoError, match="interlaced"):
        qr_logos.png_pixels(png(1, 1, 8, 6, b"\0" * 5, interlace=1))
    with pytest.raises(LogoError, match="512"):
        qr_logos.png_pixels(png(513, 1, 8, 0, b"\0" * 514))
    with pytest.raises(LogoError, match="truncated"):
        qr_logos.png_pixels(png(4, 4, 8, 6, b"\0" * 10))
    with pytest.raises(LogoError, match="filter"):
        qr_logos.png_pixels(png(1, 1, 8, 0, b"\x09\x00"))
    with pytest.raises(LogoError, match="palette"):
        qr_logos.png_pixels(png(1, 1, 8, 3, b"\0\0"))


def url(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def test_parse_logo_accepts_the_three_types_by_their_bytes():
    small = png(1, 1, 8, 0, b"\0\0")
    assert qr_logos.parse_logo(url("image/png", small)).mime == "image/png"
    assert qr_logos.parse_logo(url("image/jpg", b"\xff\xd8\xff\xdb")).mime == "image/jpeg"
    svg = b'\xef\xbb\xbf<!-- logo --><svg viewBox="0 0 1 1"></svg>'
    logo = qr_logos.parse_logo(" " + url("IMAGE/SVG+XML", svg) + "\n")
    assert logo.data == svg and logo.data_url == url("image/svg+xml", svg)


@pytest.mark.parametrize("text, message", [
    ("//example.com/a.png", "never fetched"),
    ("data:image/png;base64", "base64 data: URL"),
    ("data:text/html;base64,PGI+", "PNG, JPEG or SVG"),
    ("data:image/png;base64,", "empty"),
    (url("image/svg+xml", b'<!DOCTYPE svg [<!ENTITY x "y">]><svg></svg>'), "declares"),
    (url("image/jpeg", b"GIF89a"), "declares"),
])
def test_parse_logo_refusals(text, message):
    with pytest.raises(LogoError, match=message):
        qr_logos.parse_logo(text)

"""Logos for QR codes: uploaded data URLs checked (types by magic bytes, the size cap, never
a fetched URL) and a small pure-Python PNG decoder so PNG logos can be drawn into PNG codes
without Pillow. Bytes in, bytes out: no database, no request."""

from __future__ import annotations

import base64
import binascii
import re
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache

LOGO_MAX_BYTES = 256 * 1024
LOGO_PNG_MAX_SIDE = 512  # PNG logos drawn into PNG output are decoded in pure Python
MIME_OF = {"image/png": "image/png", "image/jpeg": "image/jpeg", "image/jpg": "image/jpeg",
           "image/svg+xml": "image/svg+xml"}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_SVG_START = re.compile(r"^\s*(<\?xml[^>]*\?>\s*)?(<!--.*?-->\s*)*(<!DOCTYPE[^>\[]*>\s*)?"
                        r"(<!--.*?-->\s*)*<svg[\s>]", re.S | re.I)
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # PNG colour type -> samples per pixel


class LogoError(ValueError):
    """A logo that cannot be used; the message says why (shown to the user)."""


@dataclass(frozen=True)
class Logo:
    mime: str
    data: bytes

    @property
    def data_url(self) -> str:
        return f"data:{self.mime};base64,{base64.b64encode(self.data).decode('ascii')}"


def parse_logo(text: str) -> Logo:
    """A `data:image/png|jpeg|svg+xml;base64,...` URL -> Logo. Never fetches anything: any
    other URL is refused. The bytes must be what the data URL says they are."""
    text = text.strip()
    if not text.lower().startswith("data:"):
        raise LogoError("must be an uploaded image as a data: URL "
                        "(data:image/png;base64,...); logos are never fetched from a URL")
    header, comma, payload = text[5:].partition(",")
    parts = [p.strip().lower() for p in header.split(";")]
    if not comma or "base64" not in parts[1:]:
        raise LogoError("must be a base64 data: URL (data:image/png;base64,...)")
    mime = MIME_OF.get(parts[0])
    if mime is None:
        raise LogoError("must be a PNG, JPEG or SVG image")
    payload = re.sub(r"\s+", "", payload)
    if len(payload) * 3 // 4 > LOGO_MAX_BYTES + 3:
        raise LogoError(f"is larger than {LOGO_MAX_BYTES // 1024} KB")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise LogoError("is not valid base64") from None
    if not data:
        raise LogoError("is empty")
    if len(data) > LOGO_MAX_BYTES:
        raise LogoError(f"is larger than {LOGO_MAX_BYTES // 1024} KB")
    if sniff(data) != mime:
        raise LogoError(f"the data is not the {mime} image the data URL declares")
    if mime == "image/png":
        _png_header(data)
    return Logo(mime, data)


def sniff(data: bytes) -> str | None:
    """The image type the bytes really are (PNG, JPEG, SVG), else None."""
    if data.startswith(PNG_SIGNATURE):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    head = data[:4096].decode("utf-8", "ignore").lstrip("\ufeff")
    if _SVG_START.match(head) and "<!ENTITY" not in data.decode("utf-8", "ignore").upper():
        return "image/svg+xml"
    return None


def _chunks(data: bytes):
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, tag = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            raise LogoError("the PNG file is truncated")
        yield tag, body
        if tag == b"IEND":
            return
        pos += 12 + length


def _png_header(data: bytes) -> tuple[int, int, int, int, int]:
    first = next(_chunks(data), None)
    if first is None or first[0] != b"IHDR" or len(first[1]) != 13:
        raise LogoError("the PNG file has no valid header")
    width, height, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", first[1])
    if ctype not in _CHANNELS or depth not in (1, 2, 4, 8, 16) or not width or not height:
        raise LogoError("the PNG file has an invalid header")
    return width, height, depth, ctype, interlace


def _unfilter(kind: int, line: bytearray, prev: bytes, bpp: int) -> None:
    n = len(line)
    if kind == 1:
        for i in range(bpp, n):
            line[i] = (line[i] + line[i - bpp]) & 255
    elif kind == 2:
        line[:] = bytes((a + b) & 255 for a, b in zip(line, prev, strict=True))
    elif kind == 3:
        for i in range(n):
            left = line[i - bpp] if i >= bpp else 0
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
    elif kind == 4:
        for i in range(n):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    elif kind != 0:
        raise LogoError("the PNG file is corrupt (unknown row filter)")


def _rgba(line: bytes, width: int, depth: int, ctype: int, palette: bytes,
          alpha: bytes) -> bytes:
    """One unfiltered row as RGBA bytes."""
    if depth == 16:
        line, depth = line[0::2], 8  # high bytes are enough for a logo
    if depth < 8:  # gray or palette packed several pixels to a byte
        per, mask = 8 // depth, (1 << depth) - 1
        line = bytes((line[x // per] >> (8 - depth * (x % per + 1))) & mask
                     for x in range(width))
        if ctype == 0:
            line = bytes(v * 255 // mask for v in line)
    out = bytearray(width * 4)
    if ctype == 3:
        table = [palette[i::3].ljust(256, b"\0") for i in range(3)]
        for i in range(3):
            out[i::4] = line.translate(bytes(table[i][:256]))
        out[3::4] = line.translate(alpha.ljust(256, b"\xff")[:256])
    elif ctype in (0, 4):
        step = 1 if ctype == 0 else 2
        for i in range(3):
            out[i::4] = line[0::step]
        out[3::4] = line[1::2] if ctype == 4 else b"\xff" * width
    else:
        step = 3 if ctype == 2 else 4
        for i in range(3):
            out[i::4] = line[i::step]
        out[3::4] = line[3::4] if ctype == 6 else b"\xff" * width
    return bytes(out)


@lru_cache(maxsize=16)
def png_pixels(data: bytes) -> tuple[int, int, tuple[bytes, ...]]:
    """Decode a PNG logo to (width, height, RGBA rows). Non-interlaced, at most
    LOGO_PNG_MAX_SIDE pixels a side; LogoError otherwise."""
    width, height, depth, ctype, interlace = _png_header(data)
    if interlace:
        raise LogoError("interlaced PNG logos cannot be drawn; save it without interlacing")
    if max(width, height) > LOGO_PNG_MAX_SIDE:
        raise LogoError(f"PNG logos drawn into PNG codes may be at most {LOGO_PNG_MAX_SIDE}"
                        f"x{LOGO_PNG_MAX_SIDE} pixels")
    palette, alpha, idat = b"", b"", []
    for tag, body in _chunks(data):
        if tag == b"PLTE":
            palette = body
        elif tag == b"tRNS" and ctype == 3:
            alpha = body
        elif tag == b"IDAT":
            idat.append(body)
    if ctype == 3 and not palette:
        raise LogoError("the PNG file has no palette")
    bits = _CHANNELS[ctype] * depth
    stride, bpp = (width * bits + 7) // 8, max(1, bits // 8)
    expected = height * (stride + 1)
    try:
        raw = zlib.decompressobj().decompress(b"".join(idat), expected)
    except zlib.error:
        raise LogoError("the PNG file is corrupt") from None
    if len(raw) < expected:
        raise LogoError("the PNG file is truncated")
    rows, prev = [], bytes(stride)
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1:start + 1 + stride])
        _unfilter(raw[start], line, prev, bpp)
        rows.append(_rgba(bytes(line), width, depth, ctype, palette, alpha))
        prev = bytes(line)
    return width, height, tuple(rows)


def check_drawable(logo: Logo, fmt: str) -> None:
    """LogoError unless `logo` can be drawn into a `fmt` image (SVG embeds any logo)."""
    if fmt != "png":
        return
    if logo.mime != "image/png":
        raise LogoError("JPEG and SVG logos can only be drawn into SVG codes; upload a PNG "
                        "logo or use format svg")
    png_pixels(logo.data)

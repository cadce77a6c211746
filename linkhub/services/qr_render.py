"""Drawing QR codes: segno builds the symbol; this module writes an exact-size PNG (its own
small encoder, so no Pillow) or an SVG, each with an optional centred logo (read by
qr_logos.py). Bytes in, bytes out: no database, no request."""

from __future__ import annotations

import io
import struct
import zlib
from functools import lru_cache

import segno

from linkhub.services.qr_logos import PNG_SIGNATURE, Logo, check_drawable, png_pixels

QUIET = 4  # modules of quiet zone around the symbol (ISO/IEC 18004)
LOGO_RATIO = 0.22  # logo box side / symbol side: ~5 % of the modules, well inside H's 30 %
CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}


def symbol(content: str, error: str) -> segno.QRCode:
    """The QR symbol for `content` at exactly error level `error` (L, M, Q or H)."""
    return segno.make(content, error=error.lower(), micro=False, boost_error=False)


def min_size(content: str, error: str) -> int:
    """Fewest pixels a side that give every module at least one pixel plus the quiet zone."""
    return len(symbol(content, error).matrix) + 2 * QUIET


def _chunk(tag: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + tag + body
            + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF))


def _blend(pixel: bytes, light: bytes) -> bytes:
    a = pixel[3]
    if a == 255:
        return pixel[:3]
    return bytes((pixel[i] * a + light[i] * (255 - a)) // 255 for i in range(3))


def _draw_logo(rows: list, origin: int, span: int, module: int, light: bytes,
               logo: Logo) -> None:
    """Paint a light square (1 module of padding) and the logo, fitted and centred in it."""
    width, height, pixels = png_pixels(logo.data)
    side = int(span * LOGO_RATIO)
    x0 = origin + (span - side) // 2
    pad = module
    for y in range(x0 - pad, x0 + side + pad):
        row = bytearray(rows[y])
        row[(x0 - pad) * 3:(x0 + side + pad) * 3] = light * (side + 2 * pad)
        rows[y] = row
    fit = min(side / width, side / height)
    tw, th = max(1, round(width * fit)), max(1, round(height * fit))
    lx, ly = x0 + (side - tw) // 2, x0 + (side - th) // 2
    columns = [min(width - 1, int((tx + 0.5) * width / tw)) * 4 for tx in range(tw)]
    for ty in range(th):
        src = pixels[min(height - 1, int((ty + 0.5) * height / th))]
        rows[ly + ty][lx * 3:(lx + tw) * 3] = b"".join(_blend(src[i:i + 4], light)
                                                      for i in columns)


def _png(qr: segno.QRCode, size: int, fg: str, bg: str, logo: Logo | None) -> bytes:
    matrix = qr.matrix
    n = len(matrix)
    module = size // (n + 2 * QUIET)
    if module < 1:
        raise ValueError(f"{size} px is too small for this symbol")
    origin = (size - n * module) // 2  # the spare pixels widen the quiet zone evenly
    dark, light = bytes.fromhex(fg[1:]), bytes.fromhex(bg[1:])
    left, right = light * origin, light * (size - origin - n * module)
    rows: list = [light * size] * origin
    for line in matrix:
        row = left + b"".join((dark if m else light) * module for m in line) + right
        rows.extend([row] * module)
    rows.extend([light * size] * (size - len(rows)))
    if logo is not None:
        _draw_logo(rows, origin, n * module, module, light, logo)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 6))
            + _chunk(b"IEND", b""))


def _svg(qr: segno.QRCode, size: int, fg: str, bg: str, logo: Logo | None) -> bytes:
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=1, border=QUIET, dark=fg, light=bg, xmldecl=True,
            omitsize=True, svgclass=None, lineclass=None, nl=False)
    svg = out.getvalue().decode("utf-8")
    svg = svg.replace("<svg ", f'<svg width="{size}" height="{size}" ', 1)
    if logo is not None:
        n = len(qr.matrix)
        side = n * LOGO_RATIO
        x = QUIET + (n - side) / 2
        url = logo.data_url  # rebuilt from the decoded bytes: nothing of the request verbatim
        extra = (f'<rect x="{x - 1:.3f}" y="{x - 1:.3f}" width="{side + 2:.3f}" '
                 f'height="{side + 2:.3f}" fill="{bg}"/>'
                 f'<image x="{x:.3f}" y="{x:.3f}" width="{side:.3f}" height="{side:.3f}" '
                 f'preserveAspectRatio="xMidYMid meet" href="{url}" xlink:href="{url}"/>')
        svg = svg.replace("<svg ", '<svg xmlns:xlink="http://www.w3.org/1999/xlink" ', 1)
        end = svg.rindex("</svg>")
        svg = svg[:end] + extra + svg[end:]
    return svg.encode("utf-8")


@lru_cache(maxsize=32)
def render(content: str, fmt: str, size: int, error: str, fg: str, bg: str,
           logo: Logo | None = None) -> bytes:
    """The image bytes (`fmt` png or svg). A PNG needs a PNG logo it can decode (LogoError
    otherwise); an SVG embeds any accepted logo as a data URL."""
    qr = symbol(content, error)
    if fmt == "svg":
        return _svg(qr, size, fg, bg, logo)
    if logo is not None:
        check_drawable(logo, fmt)
    return _png(qr, size, fg, bg, logo)

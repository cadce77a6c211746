"""Request and response models of /api/qr. Types only; every rule (sizes, colours, logo
format and cap, names unique per link, the per-link limit) is in services/qr_codes.py."""

from __future__ import annotations

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel
from linkhub.schemas.links import StrictModel

LOGO_HELP = ("An uploaded logo as a data URL: `data:image/png;base64,...` (or image/jpeg, "
             "image/svg+xml), at most 256 KB decoded. Never fetched from a URL. PNG codes "
             "draw PNG logos (up to 512x512 px); SVG codes embed any of the three. A logo "
             "raises errorCorrection to H. null removes it.")


class QrCreate(StrictModel):
    name: str = Field(description="1-100 characters, unique among the link's QR codes "
                      "(ignoring case); a duplicate is 409 DUPLICATE_CODE.")
    size: int | None = Field(None, description="Pixels a side, 64-2048 (default 512).")
    format: str | None = Field(None, description="`png` (default) or `svg`.")
    errorCorrection: str | None = Field(None, description="`L`, `M` (default), `Q` or `H`.")
    foregroundColor: str | None = Field(None, description="`#rrggbb` (default #000000).")
    backgroundColor: str | None = Field(None, description="`#rrggbb` (default #ffffff).")
    imageData: str | None = Field(None, description=LOGO_HELP)


class QrUpdate(StrictModel):
    """Send only what changes."""

    name: str = Field(None, description="1-100 characters, unique among the link's QR codes.")
    size: int = Field(None, description="Pixels a side, 64-2048.")
    format: str = Field(None, description="`png` or `svg`.")
    errorCorrection: str = Field(None, description="`L`, `M`, `Q` or `H`.")
    foregroundColor: str = Field(None, description="`#rrggbb`.")
    backgroundColor: str = Field(None, description="`#rrggbb`.")
    imageData: str | None = Field(None, description=LOGO_HELP)


class QrImageQuery(ApiModel):
    format: str | None = Field(None, description="`png` or `svg` (default: the code's own).")
    download: str | None = Field(None, description="`1` adds Content-Disposition: attachment.")


class QrScansQuery(ApiModel):
    days: str | None = Field(None, description="Local days back, today included: 1-365 "
                             "(default 30).")
    timezone: str | None = Field(None, description="IANA zone of the days (default: the "
                                 "workspace's).")


class QrOut(OutModel):
    id: str
    linkId: str
    name: str
    size: int
    format: str
    errorCorrection: str
    foregroundColor: str
    backgroundColor: str
    hasLogo: bool
    logoType: str | None
    logoBytes: int | None
    encodedUrl: str = Field(description="The link's short URL with `?qr=1`: scans count as "
                            "trigger `qr`.")
    imageUrl: str
    signature: str = Field(description="HMAC of what the image shows, keyed with this code's "
                           "own salt; also the image's ETag.")
    createdAt: str
    updatedAt: str


class QrDeletedOut(OutModel):
    id: str
    deleted: bool


class ScanTotals(OutModel):
    total: int
    unique: int
    bots: int


class ScanDay(OutModel):
    date: str
    total: int
    unique: int


class ScanCountry(OutModel):
    country: str
    total: int
    unique: int


class ScanDevice(OutModel):
    device: str
    total: int
    unique: int


class QrScansOut(OutModel):
    qrId: str
    linkId: str
    encodedUrl: str
    scope: str = Field(description="`link`: every QR code of a link encodes the same URL, so "
                       "these are the link's QR scans.")
    days: int
    timezone: str
    start: str
    end: str
    total: int = Field(description="Human scans in the range (bots excluded).")
    unique: int
    bots: int
    allTime: ScanTotals
    lastScannedAt: str | None
    byDay: list[ScanDay]
    byCountry: list[ScanCountry]
    byDevice: list[ScanDevice]

"""QR codes of links: render settings and uploaded logos checked, one name per link (409
DUPLICATE_CODE), the per-link limit (403 LIMIT_EXCEEDED), images drawn by qr_render and each
code's signature. A code encodes its link's short URL + `?qr=1`, so scans are clicks with
trigger `qr` (services/qr_scans.py reads them). No drawing and no HTTP here."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Any

import peewee
from flask import current_app

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Conflict, Invalid, NotFound
from linkhub.models import Link, QrCode, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit, links, qr_logos, qr_render
from linkhub.services.qr_logos import Logo, LogoError

SIZE_MIN, SIZE_MAX = 64, 2048
FORMATS = ("png", "svg")
LEVELS = ("L", "M", "Q", "H")
NAME_MAX = 100
DEFAULTS: dict[str, Any] = {"size": 512, "format": "png", "error_correction": "M",
                            "foreground_color": "#000000", "background_color": "#ffffff"}
_HEX_RE = re.compile(r"^#[0-9a-f]{6}$")


def encoded_url(link: Link) -> str:
    """What every QR code of `link` encodes: its short URL marked as a scan."""
    return links.short_url(link) + "?qr=1"


def _live(query: peewee.ModelSelect) -> peewee.ModelSelect:
    return query.join(Link).where(Link.deleted_at.is_null())


def get_qr(workspace: Workspace, qr_id: str) -> QrCode:
    """The workspace's QR code (of a link that is not deleted), else 404."""
    qr = None
    if ids.is_valid("qr", qr_id):
        qr = _live(QrCode.select(QrCode, Link)).where(QrCode.public_id == qr_id,
                                                       QrCode.workspace == workspace).first()
    if qr is None:
        raise NotFound("QR code not found.")
    return qr


def _listing(query: peewee.ModelSelect, page: Page) -> tuple[list[QrCode], int]:
    fields = [f for f in QrCode._meta.sorted_fields if f.name != "logo_data"]
    total = query.count()
    rows = list(query.select(*fields, Link).order_by(QrCode.created_at, QrCode.id)
                .offset(page.offset).limit(page.limit))
    return rows, total


def list_for_link(workspace: Workspace, link: Link, page: Page) -> tuple[list[QrCode], int]:
    return _listing(_live(QrCode.select()).where(QrCode.link == link,
                                                 QrCode.workspace == workspace), page)


def list_for_workspace(workspace: Workspace, page: Page) -> tuple[list[QrCode], int]:
    return _listing(_live(QrCode.select()).where(QrCode.workspace == workspace), page)


# --- checks -----------------------------------------------------------------------------------

def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(fields={"name": "is required"})
    if len(value.strip()) > NAME_MAX:
        raise Invalid(fields={"name": f"must be at most {NAME_MAX} characters"})
    return value.strip()


def _size(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(fields={"size": "must be a whole number of pixels"})
    if not SIZE_MIN <= value <= SIZE_MAX:
        raise Invalid(fields={"size": f"must be between {SIZE_MIN} and {SIZE_MAX} pixels"})
    return value


def _choice(field: str, value: Any, options: tuple[str, ...]) -> str:
    text = value.strip() if isinstance(value, str) else ""
    for option in options:
        if text.lower() == option.lower():
            return option
    raise Invalid(fields={field: f"must be one of {', '.join(options)}"})


def _color(field: str, value: Any) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if not _HEX_RE.match(text):
        raise Invalid(fields={field: "must be a colour as #rrggbb"})
    return text


def _logo(value: Any) -> Logo | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(fields={"imageData": "must be a data: URL string or null"})
    try:
        return qr_logos.parse_logo(value)
    except LogoError as exc:
        raise Invalid(fields={"imageData": str(exc)}) from None


_FIELDS = (("name", "name", _name), ("size", "size", _size),
           ("format", "format", lambda v: _choice("format", v, FORMATS)),
           ("errorCorrection", "error_correction",
            lambda v: _choice("errorCorrection", v, LEVELS)),
           ("foregroundColor", "foreground_color", lambda v: _color("foregroundColor", v)),
           ("backgroundColor", "background_color", lambda v: _color("backgroundColor", v)))


def stored_logo(qr: QrCode) -> Logo | None:
    return Logo(qr.logo_mime, bytes(qr.logo_data)) if qr.logo_data is not None else None


def _clean(link: Link, data: Mapping[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """The columns to write for the API-named keys present in `data`, checked together with
    the rest of `state` (the current or default values). Invalid lists every problem."""
    problems: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key, column, check in _FIELDS:
        if key in data:
            try:
                values[column] = check(data[key])
            except Invalid as exc:
                problems.update(exc.fields)
    if "imageData" in data:
        try:
            values["logo"] = _logo(data["imageData"])
        except Invalid as exc:
            problems.update(exc.fields)
    bad = set(problems)  # the checks below look only at values that parsed
    merged = {**state, **values}
    logo = merged["logo"] if "imageData" not in bad else None
    if logo is not None:
        # the logo hides modules in the middle: the highest level keeps the code readable
        values["error_correction"] = merged["error_correction"] = "H"
    if (not bad & {"foregroundColor", "backgroundColor"}
            and merged["foreground_color"] == merged["background_color"]):
        problems["backgroundColor"] = "must differ from foregroundColor"
    if logo is not None and merged["format"] == "png" and "format" not in bad:
        try:
            qr_logos.check_drawable(logo, "png")
        except LogoError as exc:
            problems["imageData"] = str(exc)
    if not bad & {"size", "errorCorrection"}:
        smallest = qr_render.min_size(encoded_url(link), merged["error_correction"])
        if merged["size"] < smallest:
            problems["size"] = f"must be at least {smallest} pixels for this link's URL"
    if problems:
        raise Invalid(fields=problems)
    return values


def _logo_columns(values: dict[str, Any]) -> dict[str, Any]:
    if "logo" not in values:
        return values
    logo = values.pop("logo")
    return {**values, "logo_mime": logo.mime if logo else None,
            "logo_data": logo.data if logo else None, "logo_size": len(logo.data) if logo else None}


def _duplicate(name: str) -> Conflict:
    return Conflict("DUPLICATE_CODE", f"This link already has a QR code named '{name}'.")


def _name_taken(link: Link, name: str, exclude: int | None = None) -> bool:
    query = QrCode.select(QrCode.id).where(QrCode.link == link, QrCode.name_key == name.lower())
    if exclude is not None:
        query = query.where(QrCode.id != exclude)
    return query.exists()


# --- writes -----------------------------------------------------------------------------------

def create_qr(workspace: Workspace, actor: User | None, link: Link,
              data: Mapping[str, Any]) -> QrCode:
    """A new QR code for `link` (of `workspace`) from API-named fields; `name` is required,
    the render settings take their defaults when absent or null."""
    data = {key: value for key, value in data.items()
            if value is not None or key in ("name", "imageData")}
    data.setdefault("name", None)
    values = _logo_columns(_clean(link, data, {**DEFAULTS, "logo": None}))
    limit = current_app.config["LINKHUB"]["QR_LIMIT_PER_LINK"]
    if limit > 0 and QrCode.select().where(QrCode.link == link).count() >= limit:
        raise ApiError("LIMIT_EXCEEDED", f"This link already has {limit} QR codes, the most "
                                         "allowed (QR_LIMIT_PER_LINK).")
    if _name_taken(link, values["name"]):
        raise _duplicate(values["name"])
    try:
        with database.atomic():
            qr = QrCode.create(public_id=ids.new_id("qr"), workspace=workspace, link=link,
                               name_key=values["name"].lower(),
                               signing_salt=ids.new_token(24), **{**DEFAULTS, **values})
            audit.record("qr.create", "qr", qr.public_id, workspace=workspace, actor=actor,
                         details={"linkId": link.public_id})
    except peewee.IntegrityError:
        raise _duplicate(values["name"]) from None
    return qr


def update_qr(workspace: Workspace, actor: User | None, qr: QrCode,
              data: Mapping[str, Any]) -> QrCode:
    """Change the API-named fields present in `data`; `imageData: null` removes the logo."""
    state = {column: getattr(qr, column) for column in DEFAULTS}
    values = _logo_columns(_clean(qr.link, data, {**state, "logo": stored_logo(qr)}))
    if "name" in values:
        if _name_taken(qr.link, values["name"], exclude=qr.id):
            raise _duplicate(values["name"])
        values["name_key"] = values["name"].lower()
    for column, value in values.items():
        setattr(qr, column, value)
    try:
        with database.atomic():
            qr.save()
            audit.record("qr.update", "qr", qr.public_id, workspace=workspace, actor=actor,
                         details={"fields": sorted(data)})
    except peewee.IntegrityError:
        raise _duplicate(qr.name) from None
    return qr


def delete_qr(workspace: Workspace, actor: User | None, qr: QrCode) -> None:
    with database.atomic():
        qr.delete_instance()
        audit.record("qr.delete", "qr", qr.public_id, workspace=workspace, actor=actor,
                     details={"linkId": qr.link.public_id})


# --- images and output ------------------------------------------------------------------------

def signature(qr: QrCode, fmt: str | None = None) -> str:
    """HMAC of everything the image shows, keyed by the install's secret and this code's own
    salt: a strong ETag that changes with any setting or with the link's short URL (a new logo
    is an update, so `updatedAt` covers it without reading the logo's bytes)."""
    key = current_app.config["LINKHUB_SECRETS"]["hashing_key"].encode() + qr.signing_salt.encode()
    message = "|".join((qr.public_id, encoded_url(qr.link), fmt or qr.format, str(qr.size),
                        qr.error_correction, qr.foreground_color, qr.background_color,
                        qr.logo_mime or "-", str(qr.logo_size), str(qr.updated_at)))
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()[:32]


def image(qr: QrCode, fmt: str | None = None) -> tuple[bytes, str, str, str]:
    """(bytes, content type, signature, download file name) of the code drawn as `fmt`
    (default: its own format)."""
    fmt = qr.format if fmt in (None, "") else _choice("format", fmt, FORMATS)
    content = encoded_url(qr.link)
    # a short code changed since creation may need more modules than the stored size holds
    size = max(qr.size, qr_render.min_size(content, qr.error_correction))
    try:
        data = qr_render.render(content, fmt, size, qr.error_correction, qr.foreground_color,
                                qr.background_color, stored_logo(qr))
    except LogoError as exc:
        raise Invalid(fields={"format": str(exc)}) from None
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", qr.name).strip("-")[:60] or "qr"
    code = re.sub(r"[^A-Za-z0-9_-]+", "-", qr.link.short_code)
    return data, qr_render.CONTENT_TYPES[fmt], signature(qr, fmt), f"{stem}-{code}.{fmt}"


def preview(link: Link) -> bytes:
    """An SVG for the link page: the link's first QR code, else the default settings."""
    first = (QrCode.select().where(QrCode.link == link).order_by(QrCode.created_at, QrCode.id)
             .first())
    if first is not None:
        first.link = link
        return image(first, "svg")[0]
    content = encoded_url(link)
    return qr_render.render(content, "svg", DEFAULTS["size"], DEFAULTS["error_correction"],
                            DEFAULTS["foreground_color"], DEFAULTS["background_color"])


def serialize(qr: QrCode) -> dict[str, Any]:
    base = current_app.config["LINKHUB"]["BASE_URL"]
    return {
        "id": qr.public_id, "linkId": qr.link.public_id, "name": qr.name, "size": qr.size,
        "format": qr.format, "errorCorrection": qr.error_correction,
        "foregroundColor": qr.foreground_color, "backgroundColor": qr.background_color,
        "hasLogo": qr.logo_mime is not None, "logoType": qr.logo_mime,
        "logoBytes": qr.logo_size, "encodedUrl": encoded_url(qr.link),
        "imageUrl": f"{base}/api/qr/{qr.public_id}/image", "signature": signature(qr),
        "createdAt": clock.iso(qr.created_at), "updatedAt": clock.iso(qr.updated_at),
    }

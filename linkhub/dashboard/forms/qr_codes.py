"""The QR code form (name, size, format, error correction, colours, logo upload) and its
translation to the API's field names that services/qr_codes.py takes. An uploaded logo file
becomes the same data URL the API accepts; the service checks it."""

from __future__ import annotations

import base64
from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Length, Optional

from linkhub.dashboard.forms import options
from linkhub.models import QrCode
from linkhub.services import qr_codes, qr_logos

LEVEL_LABELS = {"L": "Low (7 %)", "M": "Medium (15 %)", "Q": "Quartile (25 %)",
                "H": "High (30 %)"}


class QrForm(FlaskForm):
    name = StringField("Name", [Length(max=1000)])
    size = IntegerField("Size (pixels)", [Optional()], default=qr_codes.DEFAULTS["size"],
                        render_kw={"min": qr_codes.SIZE_MIN, "max": qr_codes.SIZE_MAX})
    format = SelectField("Format", validate_choice=False, default="png",
                         choices=options((f, f.upper()) for f in qr_codes.FORMATS))
    error_correction = SelectField("Error correction", validate_choice=False, default="M",
                                   choices=options(LEVEL_LABELS.items()))
    foreground_color = StringField("Foreground", default="#000000")
    background_color = StringField("Background", default="#ffffff")
    image_data = FileField("Logo", render_kw={"accept": "image/png,image/jpeg,image/svg+xml"})
    remove_logo = BooleanField("Remove the logo")


def initial(qr: QrCode) -> dict[str, Any]:
    return {"name": qr.name, "size": qr.size, "format": qr.format,
            "error_correction": qr.error_correction, "foreground_color": qr.foreground_color,
            "background_color": qr.background_color}


def _logo(form: QrForm) -> str | None:
    upload = form.image_data.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    data = upload.read(qr_logos.LOGO_MAX_BYTES + 1)  # one byte over is enough to refuse
    mime = (upload.mimetype or "application/octet-stream").lower()
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def to_api(form: QrForm) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": (form.name.data or "").strip(), "size": form.size.data,
        "format": form.format.data, "errorCorrection": form.error_correction.data,
        "foregroundColor": (form.foreground_color.data or "").strip(),
        "backgroundColor": (form.background_color.data or "").strip()}
    logo = _logo(form)
    if logo is not None:
        data["imageData"] = logo
    elif form.remove_logo.data:
        data["imageData"] = None
    return data

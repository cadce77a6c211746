"""/api/qr: QR codes of links (create, list, read, update, delete), their images and their
scan metrics. Parse -> services/qr_codes.py and qr_scans.py -> envelope (or image bytes);
no rule here."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import created, listing, ok
from linkhub.schemas import qr_codes as s
from linkhub.services import links, qr_codes, qr_scans

bp = Blueprint("qr", __name__)
TAG = "QR codes"
# The image is a file of its own: it may be cached privately and revalidated by signature.
_IMAGE_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"


@bp.post("/qr/links/<link_id>")
@require("links:create")
@endpoint("Create a QR code for a link", body=s.QrCreate, response=s.QrOut, status=201,
          tag=TAG, errors=("DUPLICATE_CODE", "LIMIT_EXCEEDED"))
def create_qr(link_id: str, body: s.QrCreate) -> Response:
    """Encodes the link's short URL with `?qr=1`, so scans count as trigger `qr`. A name the
    link already uses is 409 DUPLICATE_CODE; past QR_LIMIT_PER_LINK codes, 403
    LIMIT_EXCEEDED."""
    link = links.find_link(g.workspace, link_id)
    qr = qr_codes.create_qr(g.workspace, g.user, link,
                            body.model_dump(include=body.model_fields_set))
    return created(qr_codes.serialize(qr))


@bp.get("/qr/links/<link_id>")
@require("links:read")
@endpoint("List a link's QR codes", response=s.QrOut, listing=True, tag=TAG)
def list_qr(link_id: str) -> Response:
    """Oldest first."""
    page = pagination.parse(request.args)
    link = links.find_link(g.workspace, link_id)
    rows, total = qr_codes.list_for_link(g.workspace, link, page)
    return listing([qr_codes.serialize(qr) for qr in rows], page, total)


@bp.get("/qr/<qr_id>")
@require("links:read")
@endpoint("Get a QR code", response=s.QrOut, tag=TAG)
def get_qr(qr_id: str) -> Response:
    return ok(qr_codes.serialize(qr_codes.get_qr(g.workspace, qr_id)))


@bp.patch("/qr/<qr_id>")
@require("links:update")
@endpoint("Update a QR code", body=s.QrUpdate, response=s.QrOut, tag=TAG,
          errors=("DUPLICATE_CODE",))
def update_qr(qr_id: str, body: s.QrUpdate) -> Response:
    """Send only what changes; `imageData: null` removes the logo."""
    qr = qr_codes.get_qr(g.workspace, qr_id)
    qr = qr_codes.update_qr(g.workspace, g.user, qr,
                            body.model_dump(include=body.model_fields_set))
    return ok(qr_codes.serialize(qr))


@bp.delete("/qr/<qr_id>")
@require("links:delete")
@endpoint("Delete a QR code", response=s.QrDeletedOut, tag=TAG)
def delete_qr(qr_id: str) -> Response:
    """Printed copies keep working: they encode the link's short URL."""
    qr = qr_codes.get_qr(g.workspace, qr_id)
    qr_codes.delete_qr(g.workspace, g.user, qr)
    return ok({"id": qr_id, "deleted": True})


@bp.get("/qr/<qr_id>/image")
@require("links:read")
@endpoint("The QR code's image", query=s.QrImageQuery, tag=TAG, media_type="image/png")
def qr_image(qr_id: str, query: s.QrImageQuery) -> Response:
    """PNG (`image/png`) or SVG (`image/svg+xml`) bytes in the code's format, or `format`.
    `download=1` adds `Content-Disposition: attachment`. The ETag is the code's signature."""
    qr = qr_codes.get_qr(g.workspace, qr_id)
    data, content_type, signature, name = qr_codes.image(qr, query.format)
    response = Response(data, mimetype=content_type)
    response.set_etag(signature)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Security-Policy"] = _IMAGE_CSP
    if query.download in ("1", "true"):
        response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response.make_conditional(request)


@bp.get("/qr/<qr_id>/scans")
@require("analytics:read")
@endpoint("Scan metrics of a QR code", query=s.QrScansQuery, response=s.QrScansOut, tag=TAG)
def qr_scan_metrics(qr_id: str, query: s.QrScansQuery) -> Response:
    """Human scans, unique scans and bot scans over the last `days` (in `timezone`), by day,
    country and device, plus all-time totals. Every QR code of a link encodes the same URL,
    so these are the link's QR scans (`scope: link`)."""
    qr = qr_codes.get_qr(g.workspace, qr_id)
    return ok(qr_scans.scans(g.workspace, qr, request.args))

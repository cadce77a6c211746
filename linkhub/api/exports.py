"""/api/exports (create → 202, list, status, download) and the POST /api/links/export shortcut.
Parse, call services/exports.py, serialise; the `exports` job writes the files."""

from __future__ import annotations

from flask import Blueprint, Response, g, request, send_file

from linkhub import auth, pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import listing, ok
from linkhub.schemas import exports as s
from linkhub.services import exports

bp = Blueprint("exports", __name__)
TAG = "Exports"
READ = "links:read"  # the catalogue's permission for exports


def _type_scope(kind: object) -> None:
    """A key also needs the read scope of the data it exports (clicks: analytics:read, ...)."""
    scope = exports.SCOPES.get(kind) if isinstance(kind, str) else None
    if scope:
        auth.enforce(scope)


def _accepted(export) -> Response:
    return ok(exports.serialize(export), 202,
              headers={"Location": f"/api/exports/{export.public_id}"})


@bp.post("/exports")
@require(READ)
@endpoint("Create an export", body=s.ExportIn, response=s.ExportOut, status=202, tag=TAG)
def create_export(body: s.ExportIn) -> Response:
    """Queues a file of the workspace's `links`, `clicks`, `conversions`, `customers` or
    `events` as `csv`, `json` or `xlsx`, with `filters` and a choice of `columns`; answers
    202 with status `pending`. The `exports` job writes it (within seconds on `linkhub serve`);
    poll `GET /api/exports/{id}`, then download it for 7 days. `partners` and `commissions`
    answer 400 until the partner module exists."""
    _type_scope(body.type)
    data = body.model_dump(include={"type", "format", "filters", "columns"})
    return _accepted(exports.create_export(g.workspace, g.user, data))


@bp.post("/links/export")
@require(READ)
@endpoint("Export links", body=s.LinkExportIn, response=s.ExportOut, status=202, tag="Links")
def export_links(body: s.LinkExportIn) -> Response:
    """The same as `POST /api/exports` with `type: links` (202, then poll
    `GET /api/exports/{id}`)."""
    data = {"type": "links", **body.model_dump(include={"format", "filters", "columns"})}
    return _accepted(exports.create_export(g.workspace, g.user, data))


@bp.get("/exports")
@require(READ)
@endpoint("List exports", query=s.ExportListQuery, response=s.ExportOut, listing=True,
          tag=TAG)
def list_exports(query: s.ExportListQuery) -> Response:
    """The workspace's exports, newest first; filter by `status` or `type`."""
    page = pagination.parse(request.args)
    rows, total = exports.list_exports(g.workspace, status=query.status, kind=query.type,
                                       offset=page.offset, limit=page.limit)
    return listing([exports.serialize(e) for e in rows], page, total)


@bp.get("/exports/<export_id>")
@require(READ)
@endpoint("Export status", response=s.ExportOut, tag=TAG)
def get_export(export_id: str) -> Response:
    """Status (`pending`, `processing`, `completed`, `failed`, `expired`), rows written so
    far, and the download URL once completed."""
    return ok(exports.serialize(exports.get_export(g.workspace, export_id)))


@bp.get("/exports/<export_id>/download")
@require(READ)
@endpoint("Download an export", tag=TAG, errors=("BAD_REQUEST", "GONE"),
          media_type="application/octet-stream")
def download_export(export_id: str) -> Response:
    """Streams the file (text/csv, application/json or the xlsx type) as an attachment.
    400 BAD_REQUEST while it is not ready, 410 GONE once expired, 404 for an unknown id or
    another workspace's export."""
    export = exports.get_export(g.workspace, export_id)
    _type_scope(export.type)
    found = exports.download(export)
    response = send_file(found.path, as_attachment=True, download_name=found.name, max_age=0)
    response.headers["Content-Type"] = found.content_type  # as is (no second charset)
    return response

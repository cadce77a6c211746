"""Exports: validating and recording a request (type, format, filters, columns), finding and
listing a workspace's exports, what a download serves (or why not: 400 not ready, 410
expired), and the public shape. Writing the file is services/export_jobs.py's."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from peewee import JOIN

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Invalid, NotFound
from linkhub.models import Export, User, Workspace
from linkhub.services import audit, export_queries
from linkhub.services.export_writers import CONTENT_TYPES

TYPES = export_queries.TYPES
FORMATS = ("csv", "json", "xlsx")
# Types of the catalogue whose module does not exist yet: a clear 400 until it does.
NOT_YET = ("partners", "commissions")
STATUSES = ("pending", "processing", "completed", "failed", "cancelled", "expired")
RUNNING = ("pending", "processing")
RETENTION = timedelta(days=7)
EXPORT_DIR = "exports"
# The scope a key needs for each type's data, beside links:read on every export route.
SCOPES = {"links": "links:read", "clicks": "analytics:read",
          "conversions": "conversions:read", "events": "conversions:read",
          "customers": "customers:read"}


def export_dir() -> Path:
    """<data dir>/exports, where finished files and temp files live."""
    path = Path(current_app.config["LINKHUB"]["DATA_DIR"]) / EXPORT_DIR
    path.mkdir(parents=True, exist_ok=True)
    return path


def columns_of(kind: str) -> list[str]:
    """Every column of a type, in file order (the default choice)."""
    return list(export_queries.source(kind).columns)


def _check_columns(kind: str, columns: Any, problems: dict[str, str]) -> list[str]:
    known = columns_of(kind)
    if columns is None:
        return known
    if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
        problems["columns"] = "must be a list of column names"
    elif not columns:
        problems["columns"] = "must name at least one column (or leave it out for all)"
    elif len(set(columns)) != len(columns):
        problems["columns"] = "names a column twice"
    elif unknown := [c for c in columns if c not in known]:
        problems["columns"] = (f"unknown column(s) {', '.join(unknown)}; {kind} exports "
                               f"have {', '.join(known)}")
    return columns if isinstance(columns, list) else known


def validate(workspace: Workspace, data: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned request {type, format, filters, columns}; every problem at once (400)."""
    problems: dict[str, str] = {}
    kind = data.get("type")
    fmt = data.get("format") or "csv"
    filters = {} if data.get("filters") is None else data["filters"]
    if kind in NOT_YET:
        problems["type"] = (f"{kind} exports are not available until the partner module "
                            "exists")
    elif kind not in TYPES:
        problems["type"] = (f"must be one of {', '.join(TYPES)}" if kind
                            else "is required")
    if fmt not in FORMATS:
        problems["format"] = f"must be one of {', '.join(FORMATS)}"
    if not isinstance(filters, dict):
        problems["filters"] = "must be an object"
        filters = {}
    if kind not in TYPES:
        raise Invalid(fields=problems)
    columns = _check_columns(kind, data.get("columns"), problems)
    try:
        export_queries.where(workspace, kind, filters)
    except Invalid as exc:
        problems.update(exc.fields)
    if problems:
        raise Invalid(fields=problems)
    return {"type": kind, "format": fmt, "filters": filters, "columns": columns}


def create_export(workspace: Workspace, actor: User | None, data: Mapping[str, Any]) -> Export:
    """Record a pending export (202); the `exports` job writes its file."""
    clean = validate(workspace, data)
    with database.atomic():
        export = Export.create(public_id=ids.new_id("export"), workspace=workspace,
                               created_by=actor, **clean)
        audit.record("export.create", "export", export.public_id, workspace=workspace,
                     actor=actor, details={"type": clean["type"], "format": clean["format"]})
    return export


def get_export(workspace: Workspace, export_id: str) -> Export:
    """The workspace's export; a malformed id, a missing one or another workspace's: 404."""
    export = None
    if ids.is_valid("export", export_id):
        export = Export.get_or_none(Export.public_id == export_id,
                                    Export.workspace == workspace)
    if export is None:
        raise NotFound("Export not found.")
    return export


def list_exports(workspace: Workspace, *, status: str | None = None, kind: str | None = None,
                 offset: int = 0, limit: int = 20) -> tuple[list[Export], int]:
    """Newest first, optionally one status or type."""
    problems = {}
    if status and status not in STATUSES:
        problems["status"] = f"must be one of {', '.join(STATUSES)}"
    if kind and kind not in TYPES:
        problems["type"] = f"must be one of {', '.join(TYPES)}"
    if problems:
        raise Invalid(fields=problems)
    query = (Export.select(Export, User)
             .join(User, JOIN.LEFT_OUTER, on=(Export.created_by == User.id))
             .where(Export.workspace == workspace))
    if status:  # a completed export past its expiry is expired, job or not
        lapsed = (Export.status == "completed") & (Export.expires_at <= clock.now())
        query = query.where((Export.status == status) | lapsed if status == "expired"
                            else (Export.status == status) & ~lapsed)
    if kind:
        query = query.where(Export.type == kind)
    rows = list(query.order_by(Export.created_at.desc(), Export.id.desc())
                .offset(offset).limit(limit))
    return rows, query.order_by().count()


def is_expired(export: Export) -> bool:
    return export.status == "expired" or (
        export.status == "completed" and export.expires_at is not None
        and export.expires_at <= clock.now())


def file_name(export: Export) -> str:
    """The download's name: `links-export-20260115-103000.csv`."""
    return f"{export.type}-export-{export.created_at:%Y%m%d-%H%M%S}.{export.format}"


@dataclass(frozen=True)
class Download:
    path: Path
    content_type: str
    name: str


def download(export: Export) -> Download:
    """The finished file; 400 while it is not ready (or failed), 410 once expired."""
    if is_expired(export):
        raise ApiError("GONE", "The export has expired: its file is deleted 7 days after it "
                               "is ready. Create a new export.")
    if export.status != "completed":
        raise ApiError("BAD_REQUEST", f"The export is not ready to download (status: "
                                      f"{export.status}).", extra={"status": export.status})
    path = Path(current_app.config["LINKHUB"]["DATA_DIR"]) / (export.file_path or "")
    if not export.file_path or not path.is_file():
        raise ApiError("GONE", "The export's file is no longer available. Create a new export.")
    return Download(path, CONTENT_TYPES[export.format], file_name(export))


def serialize(export: Export) -> dict[str, Any]:
    status = "expired" if is_expired(export) else export.status
    ready = status == "completed"
    return {
        "id": export.public_id, "type": export.type, "format": export.format,
        "status": status, "filters": export.filters, "columns": export.columns,
        "rowsWritten": export.rows_written,
        "sizeBytes": export.size_bytes if ready else None,
        "fileName": file_name(export),
        "downloadUrl": f"/api/exports/{export.public_id}/download" if ready else None,
        "error": export.error,
        "createdBy": export.created_by.public_id if export.created_by_id else None,
        "createdAt": clock.iso(export.created_at), "startedAt": clock.iso(export.started_at),
        "finishedAt": clock.iso(export.finished_at),
        "expiresAt": clock.iso(export.expires_at),
    }

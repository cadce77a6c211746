"""Import jobs: creating them (every upload check happens before any work: size, encoding,
columns, row count), listing, status, cancel, and the row-level error report. The data files
live under <data dir>/imports/. Running them is import_runs.py's (the `imports` job)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from flask import current_app

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Conflict, Invalid, NotFound
from linkhub.models import ImportJob, ImportRowError, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit, import_csv, link_bundle

STATUSES = ("pending", "processing", "completed", "failed", "cancelled")
ACTIVE = ("pending", "processing")
SOURCES = ("csv", "json", "bitly", "rebrandly", "shortio")
FOLDER = "imports"
COPY_BYTES = 1 << 20
REPORT_COLUMNS = ("row", "result", "shortCode", "field", "message")


# --- files -------------------------------------------------------------------------------------

def data_path(relative: str = "") -> Path:
    """A path under the data directory (import files live in its `imports/` folder)."""
    return Path(current_app.config["LINKHUB"]["DATA_DIR"]) / relative


def _new_file(suffix: str) -> tuple[str, Path, str]:
    public_id = ids.new_id("import")
    relative = f"{FOLDER}/{public_id}{suffix}"
    path = data_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    return public_id, path, relative


def remove_file(relative: str | None) -> None:
    if relative:
        data_path(relative).unlink(missing_ok=True)


def store_upload(stream: IO[bytes], target: Path) -> int:
    """Copy an upload to `target`, refusing more than IMPORT_MAX_BYTES (413)."""
    limit = current_app.config["LINKHUB"]["IMPORT_MAX_BYTES"]
    size = 0
    with target.open("wb") as out:
        while chunk := stream.read(COPY_BYTES):
            size += len(chunk)
            if size > limit:
                break
            out.write(chunk)
    if size > limit:
        target.unlink(missing_ok=True)
        raise ApiError("PAYLOAD_TOO_LARGE", f"The upload is larger than {limit:,} bytes "
                                            f"({limit / 1_048_576:g} MB, IMPORT_MAX_BYTES).")
    return size


def _mapping(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
        raise Invalid(fields={"mapping": "must be an object of our field -> column name"})
    return value


# --- creating ----------------------------------------------------------------------------------

def create_job(workspace: Workspace, actor: User | None, source: str, *,
               public_id: str | None = None, **fields: Any) -> ImportJob:
    """Queue a job (the `imports` job picks it up)."""
    with database.atomic():
        job = ImportJob.create(public_id=public_id or ids.new_id("import"), workspace=workspace,
                               created_by=actor, source=source, status="pending",
                               options=fields.pop("options", None) or {}, **fields)
        audit.record("import.create", "import", job.public_id, workspace=workspace,
                     actor=actor, details={"source": source, "total": job.total})
    return job


def _from_file(workspace: Workspace, actor: User | None, source: str, suffix: str,
               fill: Any, **fields: Any) -> ImportJob:
    """Write the data file with `fill(path)` (which checks it and returns more job fields);
    any refusal removes the file and leaves the database as it was."""
    public_id, path, relative = _new_file(suffix)
    try:
        fields.update(fill(path))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return create_job(workspace, actor, source, public_id=public_id, file_path=relative,
                      **fields)


def import_csv_file(workspace: Workspace, actor: User | None, stream: IO[bytes],
                    file_name: str | None, mapping: Any = None) -> ImportJob:
    """An uploaded CSV: size, encoding, columns and row count are checked first (400/413)."""
    wanted = _mapping(mapping)

    def fill(path: Path) -> dict[str, Any]:
        store_upload(stream, path)
        resolved, total = import_csv.inspect_csv(path, wanted)
        return {"mapping": resolved, "total": total}

    return _from_file(workspace, actor, "csv", ".csv", fill,
                      file_name=(file_name or "upload.csv")[:255])


def import_csv_rows(workspace: Workspace, actor: User | None, rows: Any,
                    mapping: Any = None) -> ImportJob:
    """CSV-like rows sent as JSON objects (keys are the column names)."""
    if not isinstance(rows, list):
        raise Invalid(fields={"rows": "must be a list of objects"})
    wanted = _mapping(mapping)

    def fill(path: Path) -> dict[str, Any]:
        resolved, total = import_csv.save_json_rows(rows, path, wanted)
        return {"mapping": resolved, "total": total, "options": {"input": "rows"}}

    return _from_file(workspace, actor, "csv", ".jsonl", fill, file_name="rows.json")


def import_bundle(workspace: Workspace, actor: User | None, *, stream: IO[bytes] | None = None,
                  bundle: Any = None, file_name: str | None = None) -> ImportJob:
    """A linkhub JSON bundle, uploaded as a file or sent as the body."""

    def fill(path: Path) -> dict[str, Any]:
        if stream is not None:
            store_upload(stream, path)
            total = len(link_bundle.read(path).get("links", []))
        else:
            total = link_bundle.save(bundle, path)
        return {"total": total}

    return _from_file(workspace, actor, "json", ".json", fill,
                      file_name=(file_name or "bundle.json")[:255])


# --- reading -----------------------------------------------------------------------------------

def get_job(workspace: Workspace, public_id: str) -> ImportJob:
    job = None
    if ids.is_valid("import", public_id):
        job = ImportJob.get_or_none(ImportJob.public_id == public_id,
                                    ImportJob.workspace == workspace)
    if job is None:
        raise NotFound("Import job not found.")
    return job


def list_jobs(workspace: Workspace, page: Page, *, status: str | None = None,
              source: str | None = None) -> tuple[list[ImportJob], int]:
    query = ImportJob.select().where(ImportJob.workspace == workspace)
    for name, value, allowed, column in (("status", status, STATUSES, ImportJob.status),
                                         ("source", source, SOURCES, ImportJob.source)):
        if value:
            if value not in allowed:
                raise Invalid(fields={name: "must be one of " + ", ".join(allowed)})
            query = query.where(column == value)
    rows = list(query.order_by(ImportJob.created_at.desc(), ImportJob.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, query.count()


def progress(job: ImportJob) -> int | None:
    """Percent done; None while the total is unknown (providers page without one)."""
    if job.status == "completed":
        return 100
    if not job.total:
        return None
    return min(100, job.processed * 100 // job.total)


def problems(job: ImportJob, limit: int = 20) -> list[ImportRowError]:
    """The first skipped or failed rows (the dashboard shows them beside the download)."""
    return list(ImportRowError.select().where(ImportRowError.job == job)
                .order_by(ImportRowError.row, ImportRowError.id).limit(limit))


def _cell(value: Any) -> Any:
    """Cells that a spreadsheet would run as a formula are escaped in the report."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report(job: ImportJob) -> Iterator[str]:
    """The error report as CSV text pieces: one line per skipped or failed row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(REPORT_COLUMNS)
    query = (ImportRowError.select().where(ImportRowError.job == job)
             .order_by(ImportRowError.row, ImportRowError.id))
    for number, item in enumerate(query.iterator()):
        writer.writerow([item.row, item.result, _cell(item.short_code), _cell(item.field),
                         _cell(item.message)])
        if number % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


# --- cancelling -----------------------------------------------------------------

def cancel_job(workspace: Workspace, actor: User | None, job: ImportJob) -> ImportJob:
    """Stop a pending or running import (the chunk in flight is rolled back); 409 once done."""
    now = clock.now()
    changed = ImportJob.update(status="cancelled", finished_at=now, updated_at=now,
                               token_encrypted=None, file_path=None).where(
        ImportJob.id == job.id, ImportJob.status.in_(ACTIVE)).execute()
    fresh = ImportJob.get_by_id(job.id)
    if not changed:
        raise Conflict(message=f"The import is already {fresh.status}; only pending or "
                               "processing imports can be cancelled.")
    audit.record("import.cancel", "import", job.public_id, workspace=workspace, actor=actor)
    remove_file(job.file_path)
    return fresh

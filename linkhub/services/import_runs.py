"""`run_pending`, the `imports` job: each pending or unfinished import is read from its
source (import_csv, link_bundle, import_providers) in chunks, and each chunk is one transaction
writing the links (import_rows), their report rows and the moved cursor together, so a run
killed halfway resumes where it stopped without duplicating links. Ends with a notification."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from typing import Any

import peewee

from linkhub import clock, jobs
from linkhub.db import database
from linkhub.errors import ApiError
from linkhub.models import ImportJob
from linkhub.services import audit, import_csv, import_rows, imports, link_bundle

log = logging.getLogger(__name__)

CHUNK = 500
JOB_NAME = "imports"


_REPORT_INSERT = ('INSERT INTO "import_row_error" ("job_id", "row", "result", "short_code", '
                  '"field", "message") VALUES (?, ?, ?, ?, ?, ?)')


class _Stopped(Exception):
    """The job left `processing` (cancelled) while a chunk was being written."""


def _finish(job: ImportJob, status: str, error: str | None = None) -> None:
    now = clock.now()
    with database.atomic("IMMEDIATE"):
        changed = ImportJob.update(status=status, error=error, finished_at=now, updated_at=now,
                                   token_encrypted=None, file_path=None).where(
            ImportJob.id == job.id, ImportJob.status.in_(imports.ACTIVE)).execute()
        if not changed:
            return
        fresh = ImportJob.get_by_id(job.id)
        audit.record("import.finish", "import", job.public_id, workspace=fresh.workspace,
                     details={"status": status, "created": fresh.created_count,
                              "skipped": fresh.skipped_count, "failed": fresh.failed_count})
    imports.remove_file(job.file_path)
    try:
        _notify(fresh)
    except Exception:  # the import is done; a failed notification must not undo that
        log.exception("import %s: the notification failed", job.public_id)


def _notify(job: ImportJob) -> None:
    from linkhub.services.notifications import notify

    counts = (f"{job.created_count:,} created, {job.skipped_count:,} skipped, "
              f"{job.failed_count:,} failed")
    title = {"completed": "Import finished", "failed": "Import failed"}[job.status]
    body = counts if job.status == "completed" else f"{job.error} ({counts})"
    notify(job.workspace, "import_finished", f"{title}: {counts}" if job.status == "completed"
           else title, body, url=f"/app/imports/{job.public_id}",
           users=[job.created_by_id] if job.created_by_id else None)


def _numbered(job: ImportJob, chunk_size: int) -> Iterator[tuple[list, str]]:
    """(rows, cursor after them) for file sources: rows are (number, fields or None)."""
    path = imports.data_path(job.file_path)
    start = int(job.cursor or 0)
    if job.source == "json":
        rows: Iterator = link_bundle.link_rows(link_bundle.read(path), start)
    elif (job.options or {}).get("input") == "rows":
        rows = import_csv.json_rows(path, job.mapping, start)
    else:
        rows = import_csv.csv_rows(path, job.mapping, start)
    batch: list = []
    for item in rows:
        batch.append(item)
        if len(batch) >= chunk_size:
            yield batch, str(batch[-1][0])
            batch = []
    if batch:
        yield batch, str(batch[-1][0])


def _provider_chunks(job: ImportJob) -> Iterator[tuple[list, str]]:
    from linkhub.services import import_providers

    cursor = json.loads(job.cursor) if job.cursor else None
    number = job.processed
    for rows, following in import_providers.pages(job, cursor):
        numbered = list(enumerate(rows, start=number + 1))
        number += len(rows)
        yield numbered, json.dumps(following)


def _commit(job: ImportJob, writer: import_rows.LinkWriter, rows: list,
            cursor: str) -> None:
    present = [(n, d) for n, d in rows if d is not None]
    checked = writer.check(present)  # the slow part, before the write lock
    with database.atomic("IMMEDIATE"):
        outcome = writer.write(checked)
        if job.source == "json":
            kept, more = link_bundle.load_rules(writer.workspace, writer.actor, outcome.created)
            outcome.created, outcome.problems = kept, outcome.problems + more
        _save_problems(job, outcome.problems)
        skipped = sum(1 for p in outcome.problems if p.result == "skipped")
        changed = ImportJob.update(
            processed=ImportJob.processed + len(present),
            created_count=ImportJob.created_count + len(outcome.created),
            skipped_count=ImportJob.skipped_count + skipped,
            failed_count=ImportJob.failed_count + len(outcome.problems) - skipped,
            cursor=cursor, updated_at=clock.now()).where(
            ImportJob.id == job.id, ImportJob.status == "processing").execute()
        if changed != 1:
            raise _Stopped()
    import_rows.invalidate(outcome.created)


def _save_problems(job: ImportJob, problems: list[import_rows.RowProblem]) -> None:
    if problems:
        database.cursor().executemany(_REPORT_INSERT, [
            (job.id, p.row, p.result, p.short_code, p.field, p.message[:1000])
            for p in problems])


def _setup_bundle(job: ImportJob, writer: import_rows.LinkWriter) -> None:
    """Tags, folders, campaigns and shared rules first, in one transaction with cursor 0."""
    bundle = link_bundle.read(imports.data_path(job.file_path))
    with database.atomic("IMMEDIATE"):
        problems = link_bundle.load_setup(writer.workspace, writer.actor, bundle)
        _save_problems(job, [import_rows.RowProblem(0, "failed", None, "bundle", p)
                             for p in problems])
        if ImportJob.update(cursor="0").where(ImportJob.id == job.id,
                                              ImportJob.status == "processing").execute() != 1:
            raise _Stopped()


def process(job: ImportJob, chunk_size: int = CHUNK) -> str:
    """Run one job to its end; returns its outcome, or why it stopped early ("cancelled",
    "lease-lost", "busy": the next run resumes from the cursor)."""
    from linkhub.services.import_providers import ProviderBusy, ProviderError

    now = clock.now()
    ImportJob.update(status="processing", started_at=now, updated_at=now).where(
        ImportJob.id == job.id, ImportJob.status == "pending").execute()
    job = ImportJob.get_by_id(job.id)
    if job.status != "processing":
        return "cancelled"
    try:
        writer = import_rows.LinkWriter(job.workspace, job.created_by)
        if job.source == "json" and job.cursor is None:
            _setup_bundle(job, writer)
            job = ImportJob.get_by_id(job.id)
        chunks = _numbered(job, chunk_size) if job.source in ("csv", "json") else \
            _provider_chunks(job)
        for rows, cursor in chunks:
            _commit(job, writer, rows, cursor)
            if not jobs.renew(JOB_NAME):
                return "lease-lost"
    except _Stopped:
        return "cancelled"
    except ProviderBusy:
        return "busy"
    except (ProviderError, ApiError) as exc:
        _finish(job, "failed", exc.message if isinstance(exc, ApiError) else str(exc))
        return "failed"
    except (peewee.OperationalError, sqlite3.OperationalError):
        raise  # the database is locked or gone: the job stays as it is, the next run resumes
    except Exception:
        log.exception("import %s failed", job.public_id)
        _finish(job, "failed", "An unexpected error stopped the import (see the server log).")
        return "failed"
    _finish(job, "completed")
    return "completed"


def run_pending(chunk_size: int = CHUNK) -> dict[str, Any]:
    """The `imports` job: every pending or unfinished import, oldest first."""
    summary: dict[str, Any] = {"jobs": 0}
    while True:
        job = (ImportJob.select().where(ImportJob.status.in_(imports.ACTIVE))
               .order_by(ImportJob.created_at, ImportJob.id).first())
        if job is None:
            return summary
        summary["jobs"] += 1
        outcome = process(job, chunk_size)
        summary[outcome] = summary.get(outcome, 0) + 1
        if outcome in ("lease-lost", "busy"):
            return summary

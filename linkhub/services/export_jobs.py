"""The `exports` job (write each pending export's file, batch by batch, under the job lease)
and the `export-expiry` job (delete files 7 days after they are ready). Progress lives in the
Export row, so a run killed halfway is finished by the next without a row twice or missing.

Resume design: the file is written to `<data dir>/exports/<id>.<fmt>.part`; after each batch
the file is flushed and then `cursor` (last primary key written), `rows_written` and
`size_bytes` (the bytes of the .part file holding exactly those rows) are committed. A resumed
CSV/JSON export truncates the .part file to `size_bytes` (dropping any rows written after the
last commit) and appends from `cursor`; when the .part file is missing or shorter than that,
or the format is xlsx (a zip written only at close), it starts again from the first row."""

from __future__ import annotations

import logging
import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from linkhub import clock, jobs
from linkhub.errors import Invalid
from linkhub.models import Export
from linkhub.services import export_queries
from linkhub.services.export_writers import open_writer
from linkhub.services.exports import EXPORT_DIR, RETENTION, RUNNING, export_dir

log = logging.getLogger(__name__)
JOB = "exports"
STALE_TEMP = timedelta(days=1)


def _paths(export: Export) -> tuple[Path, Path]:
    final = export_dir() / f"{export.public_id}.{export.format}"
    return final.with_name(final.name + ".part"), final


def _resume_point(export: Export, part: Path) -> tuple[int, int, int] | None:
    """(cursor, rows, bytes) to append from, or None to start again."""
    if export.status != "processing" or export.format == "xlsx" or export.cursor <= 0:
        return None
    if not part.is_file() or part.stat().st_size < export.size_bytes or not export.size_bytes:
        return None
    return export.cursor, export.rows_written, export.size_bytes


def _finish(export: Export, **changes: Any) -> None:
    Export.update(updated_at=clock.now(), **changes).where(Export.id == export.id).execute()


def _fail(export: Export, part: Path, message: str) -> str:
    part.unlink(missing_ok=True)
    _finish(export, status="failed", error=message[:500], finished_at=clock.now())
    return "failed"


def _notify(export: Export) -> None:
    from linkhub.services.notifications import notify

    noun = "row" if export.rows_written == 1 else "rows"
    try:
        notify(export.workspace, "export_ready", f"Your {export.type} export is ready",
               f"{export.rows_written:,} {noun} as {export.format.upper()}. Download it "
               f"within {RETENTION.days} days.", url="/app/exports",
               users=[export.created_by_id] if export.created_by_id else None)
    except Exception:  # a notification problem never undoes a finished export
        log.exception("export %s: notification failed", export.public_id)


def process(export: Export, lease: str = JOB) -> str:
    """Write (or finish) one export: completed | failed | gone (row deleted) | lost (lease
    lost: the next run resumes it)."""
    part, final = _paths(export)
    try:
        terms = export_queries.where(export.workspace, export.type, export.filters)
    except Invalid as exc:  # e.g. a filter this version no longer takes
        return _fail(export, part, "; ".join(f"{k}: {v}" for k, v in exc.fields.items()))
    resume = _resume_point(export, part)
    cursor, rows, size = resume or (0, 0, 0)
    if resume:
        with open(part, "r+b") as fh:
            fh.truncate(size)
    _finish(export, status="processing", started_at=export.started_at or clock.now(),
            cursor=cursor, rows_written=rows, size_bytes=size, error=None)
    writer = None
    try:
        writer = open_writer(export.format, part, export.columns, append=bool(resume),
                             written=rows)
        for last_pk, batch in export_queries.batches(export.type, terms, export.columns,
                                                     after=cursor):
            writer.write(batch)
            rows += len(batch)
            size = writer.checkpoint()
            kept = Export.update(cursor=last_pk, rows_written=rows, size_bytes=size,
                                 updated_at=clock.now()).where(
                Export.id == export.id, Export.status == "processing").execute()
            if not kept:  # deleted (with its workspace) while we wrote
                writer.abort()
                part.unlink(missing_ok=True)
                return "gone"
            if not jobs.renew(lease):
                writer.abort()
                return "lost"
        writer.close()
    except Exception as exc:
        log.exception("export %s failed", export.public_id)
        if writer is not None:
            writer.abort()
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else None
        return _fail(export, part, "The export could not be written"  # no server paths
                     + (f": {reason}." if reason else "; see the server log."))
    except BaseException:  # shutdown or interrupt: keep the progress, the next run resumes
        if writer is not None:
            writer.abort()
        raise
    os.replace(part, final)
    now = clock.now()
    _finish(export, status="completed", rows_written=rows, size_bytes=final.stat().st_size,
            file_path=f"{EXPORT_DIR}/{final.name}", finished_at=now, expires_at=now + RETENTION)
    export = Export.get_by_id(export.id)
    _notify(export)
    return "completed"


def run_pending(lease: str = JOB) -> dict[str, Any]:
    """The `exports` job: every pending export, and any a killed run left processing, oldest
    first. Run it through jobs.run (it renews that lease between batches)."""
    summary: dict[str, Any] = {"completed": 0, "failed": 0, "rows": 0}
    last = 0
    while True:
        export = (Export.select().where(Export.status.in_(RUNNING), Export.id > last)
                  .order_by(Export.id).first())
        if export is None:
            break
        last = export.id
        outcome = process(export, lease)
        if outcome == "lost":
            summary["stopped"] = "lease lost"
            break
        if outcome in ("completed", "failed"):
            summary[outcome] += 1
        if outcome == "completed":
            summary["rows"] += Export.get_by_id(export.id).rows_written
    return summary


def expire() -> dict[str, int]:
    """The `export-expiry` job: files of exports ready for 7 days are deleted (status
    expired; downloads answer 410 from the moment they expire, job or not)."""
    now = clock.now()
    expired = 0
    for export in Export.select().where(Export.status == "completed",
                                        Export.expires_at <= now):
        _, final = _paths(export)
        final.unlink(missing_ok=True)
        _finish(export, status="expired", file_path=None)
        expired += 1
    # xlsxwriter's row files of a process killed mid-export (a live run touches its own)
    stale = time.time() - STALE_TEMP.total_seconds()
    for leftover in export_dir().glob("tmp*"):
        if leftover.is_file() and leftover.stat().st_mtime < stale:
            leftover.unlink(missing_ok=True)
    return {"expired": expired}

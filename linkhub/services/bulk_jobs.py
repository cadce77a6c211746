"""The `bulk-operations` job: works through pending and processing bulk operations, oldest
first, in chunks. Each chunk's links, its per-row results and the operation's cursor commit in
one transaction, so a run killed halfway is resumed at the cursor by the next run and no item is
applied twice. It renews the job lease between chunks and stops when the lease is lost."""

from __future__ import annotations

import logging
from typing import Any

from linkhub import clock, jobs
from linkhub.db import database
from linkhub.models import BulkOperation, BulkOperationResult
from linkhub.services import bulk_rows
from linkhub.services.bulk import ACTIVE, CANCELLED

log = logging.getLogger(__name__)

JOB_NAME = "bulk-operations"
CHUNK = 100
MAX_ATTEMPTS = 3  # runs an operation may stop on an unexpected error before it is failed


def run_due() -> dict[str, Any]:
    """One pass: every due operation until none is left or the lease is lost."""
    summary = {"operations": 0, "items": 0}
    done: set[int] = set()
    while True:
        op = (BulkOperation.select().where(BulkOperation.status.in_(ACTIVE),
                                           BulkOperation.id.not_in(list(done) or [0]))
              .order_by(BulkOperation.created_at, BulkOperation.id).first())
        if op is None:
            return summary
        done.add(op.id)
        try:
            items, finished = _process(op)
        except Exception as exc:  # the chunk rolled back; its items are retried next run
            log.exception("bulk operation %s stopped", op.public_id)
            _stopped(op, exc)
            continue
        summary["operations"] += 1
        summary["items"] += items
        if not finished:  # lease lost: another run carries on
            summary["leaseLost"] = True
            return summary


def _process(op: BulkOperation) -> tuple[int, bool]:
    """(items applied, finished without losing the lease)."""
    now = clock.now()
    if op.status == "pending":
        BulkOperation.update(status="processing", started_at=now, updated_at=now).where(
            BulkOperation.id == op.id, BulkOperation.status == "pending").execute()
    conflicts = bulk_rows.batch_conflicts(op.action, op.items)
    count = 0
    while True:
        if not jobs.renew(JOB_NAME):
            return count, False
        status, applied = _chunk(op, conflicts)
        count += applied
        if status != "processing":
            break
    _finish(op, status)
    return count, True


def _chunk(op: BulkOperation, conflicts: dict[int, Any]) -> tuple[str, int]:
    """Apply the next chunk and commit it with its results and the new cursor. Returns the
    status the operation is in afterwards (`processing` while items remain) and the number
    of items processed."""
    outcomes: list[bulk_rows.Outcome] = []
    try:
        with database.atomic("IMMEDIATE"):
            fresh = (BulkOperation.select(BulkOperation.status, BulkOperation.cursor)
                     .where(BulkOperation.id == op.id).first())
            if fresh is None or fresh.status == "cancelled" or op.public_id in CANCELLED:
                return "cancelled", 0
            cursor = fresh.cursor
            stop = min(cursor + CHUNK, op.total)
            while cursor < stop and op.public_id not in CANCELLED:
                if cursor in conflicts:
                    outcomes.append(bulk_rows.Outcome(cursor, error=conflicts[cursor]))
                else:
                    outcomes.append(bulk_rows.apply(op.workspace, op.created_by, op.action,
                                                    op.items[cursor], cursor,
                                                    dry_run=op.dry_run, contain=True))
                cursor += 1
            _record(op, outcomes, cursor)
    finally:
        bulk_rows.invalidate(outcomes)
    if op.public_id in CANCELLED:
        return "cancelled", len(outcomes)
    return ("processing" if cursor < op.total else "completed"), len(outcomes)


def _record(op: BulkOperation, outcomes: list[bulk_rows.Outcome], cursor: int) -> None:
    keep_link = not (op.dry_run and op.action == "create")  # a dry-run link never existed
    rows = [{"operation": op.id, "index": o.index, "success": o.error is None,
             "link_public_id": o.link.public_id if o.link is not None and keep_link else None,
             "error_code": o.error.code if o.error is not None else None,
             "error": bulk_rows.error_json(o.error) if o.error is not None else None}
            for o in outcomes]
    if rows:
        BulkOperationResult.insert_many(rows).execute()
    good = sum(1 for o in outcomes if o.error is None)
    BulkOperation.update(cursor=cursor, processed=BulkOperation.processed + len(rows),
                         succeeded=BulkOperation.succeeded + good,
                         failed=BulkOperation.failed + len(rows) - good,
                         updated_at=clock.now()).where(BulkOperation.id == op.id).execute()


def _finish(op: BulkOperation, status: str) -> None:
    now = clock.now()
    changed = BulkOperation.update(status=status, finished_at=now, updated_at=now).where(
        BulkOperation.id == op.id, BulkOperation.status.in_(ACTIVE)).execute()
    CANCELLED.discard(op.public_id)
    final = BulkOperation.get_by_id(op.id)
    if changed or status == "cancelled":
        _notify(final)


def _stopped(op: BulkOperation, exc: Exception) -> None:
    """Count an unexpected stop; after MAX_ATTEMPTS the operation is failed."""
    attempts = op.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "error": f"{type(exc).__name__}: {exc}"[:500],
                              "updated_at": clock.now()}
    if attempts >= MAX_ATTEMPTS:
        values.update(status="failed", finished_at=clock.now())
    BulkOperation.update(**values).where(BulkOperation.id == op.id,
                                         BulkOperation.status.in_(ACTIVE)).execute()
    if attempts >= MAX_ATTEMPTS:
        _notify(BulkOperation.get_by_id(op.id))


def _notify(op: BulkOperation) -> None:
    """Tell the operation's creator (else the workspace's owners and admins)."""
    try:
        from linkhub.services.notifications import notify
    except ImportError:  # the notifications module is optional for this job
        return
    verb = "Validation" if op.dry_run else f"Bulk {op.action}"
    title = f"{verb} of {op.total:,} links {op.status}"
    body = f"{op.succeeded:,} succeeded, {op.failed:,} failed, {op.processed:,} processed."
    users = [op.created_by] if op.created_by_id else None
    try:
        notify(op.workspace, "bulk_finished", title, body, url=f"/app/bulk/{op.public_id}",
               users=users)
    except Exception:  # a notification must never undo or repeat the work
        log.exception("bulk operation %s: notification failed", op.public_id)

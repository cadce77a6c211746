"""Bulk link work: the synchronous routes (up to 1,000 items, all or nothing in one transaction)
and the asynchronous operations (`op_…`, up to 10,000 items: start, list, read, results, cancel).
Every item goes through services/links.py via bulk_rows.py; the job that works through queued
operations lives in bulk_jobs.py. No HTTP here."""

from __future__ import annotations

from typing import Any

import peewee

from linkhub import clock, ids
from linkhub.db import database
from linkhub.errors import ApiError, Conflict, Invalid, NotFound
from linkhub.models import BulkOperation, BulkOperationResult, Link, User, Workspace
from linkhub.pagination import Page
from linkhub.services import audit, bulk_rows

MAX_SYNC_ITEMS = 1_000
MAX_ASYNC_ITEMS = 10_000
STATUSES = ("pending", "processing", "completed", "failed", "cancelled")
ACTIVE = ("pending", "processing")
# The job's in-process view of cancellations, so a running operation stops at the next item
# (another process sees the cancelled status at its next chunk).
CANCELLED: set[str] = set()  # public ids (integer ids repeat across databases)
# Every column but the (large) input items: what reads and lists load.
_LIGHT = [f for f in BulkOperation._meta.sorted_fields if f.name != "items"]


def _check_items(action: str, items: Any, maximum: int, hint: str = "") -> list[Any]:
    if action not in bulk_rows.ACTIONS:
        raise Invalid(fields={"action": "must be create, update or delete"})
    name = bulk_rows.ITEMS_FIELD[action]
    if not isinstance(items, list) or not items:
        raise Invalid(fields={name: "must be a non-empty list"})
    if len(items) > maximum:
        raise Invalid(fields={name: f"at most {maximum:,} items per request (got "
                                    f"{len(items):,}){hint}"})
    return items


# --- synchronous ------------------------------------------------------------------------------

def run_sync(workspace: Workspace, actor: User | None, action: str,
             items: list[Any]) -> list[Link]:
    """Apply every item in one transaction. Any item error: nothing is written and a 400
    VALIDATION_ERROR lists every failing item (`details`: field `links.<index>.<name>`,
    `index`, `code`, `status`)."""
    items = _check_items(action, items, MAX_SYNC_ITEMS,
                         "; the /api/bulk/links routes take up to 10,000 asynchronously")
    conflicts = bulk_rows.batch_conflicts(action, items)
    outcomes: list[bulk_rows.Outcome] = []
    try:
        with database.atomic("IMMEDIATE"):
            for index, item in enumerate(items):
                if index in conflicts:
                    outcomes.append(bulk_rows.Outcome(index, error=conflicts[index]))
                else:
                    outcomes.append(bulk_rows.apply(workspace, actor, action, item, index))
            failed = [o for o in outcomes if o.error is not None]
            if failed:  # raised inside the block: the whole batch rolls back
                raise _rejected(action, failed, len(items))
    finally:
        bulk_rows.invalidate(outcomes)
    return [o.link for o in outcomes]


def _rejected(action: str, failed: list[bulk_rows.Outcome], total: int) -> ApiError:
    prefix = bulk_rows.ITEMS_FIELD[action]
    details = [d for o in failed for d in bulk_rows.item_details(prefix, o.index, o.error)]
    return ApiError("VALIDATION_ERROR", f"{len(failed)} of {total} items failed; nothing was "
                    "written.", details=details)


# --- asynchronous operations ------------------------------------------------------------------

def start(workspace: Workspace, actor: User | None, action: str, items: Any, *,
          dry_run: bool = False) -> BulkOperation:
    """Queue an operation (status `pending`); the `bulk-operations` job works through it.
    A dry run (`validate` routes) checks every row and writes no link."""
    items = _check_items(action, items, MAX_ASYNC_ITEMS)
    op = BulkOperation.create(public_id=ids.new_id("operation"), workspace=workspace,
                              created_by=actor, action=action, dry_run=dry_run,
                              total=len(items), items=items)
    audit.record("bulk.start", "bulk_operation", op.public_id, workspace=workspace, actor=actor,
                 details={"action": action, "dryRun": dry_run, "total": len(items)})
    return op


def run_validated(workspace: Workspace, actor: User | None, op: BulkOperation) -> BulkOperation:
    """Start the real operation for a finished validation, with the same rows."""
    if not op.dry_run or op.status != "completed":
        raise Conflict(message="Only a completed validation can be run.")
    items = BulkOperation.select(BulkOperation.items).where(BulkOperation.id == op.id).get().items
    return start(workspace, actor, op.action, items)


def find(workspace: Workspace, operation_id: str) -> BulkOperation:
    op = None
    if ids.is_valid("operation", operation_id):
        op = (BulkOperation.select(*_LIGHT)
              .where(BulkOperation.public_id == operation_id,
                     BulkOperation.workspace == workspace).first())
    if op is None:
        raise NotFound("Bulk operation not found.")
    return op


def list_operations(workspace: Workspace, page: Page,
                    status: str | None = None) -> tuple[list[BulkOperation], int]:
    """Newest first; `status` filters."""
    query = (BulkOperation.select(*_LIGHT, User.id, User.public_id)
             .join(User, peewee.JOIN.LEFT_OUTER, on=(BulkOperation.created_by == User.id))
             .where(BulkOperation.workspace == workspace))
    if status:
        if status not in STATUSES:
            raise Invalid(fields={"status": "must be one of " + ", ".join(STATUSES)})
        query = query.where(BulkOperation.status == status)
    total = query.count()
    rows = list(query.order_by(BulkOperation.created_at.desc(), BulkOperation.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, total



def results(op: BulkOperation, page: Page,
            outcome: str | None = None) -> tuple[list[BulkOperationResult], int]:
    """Per-row results in item order; `outcome` = `succeeded` or `failed` filters."""
    query = BulkOperationResult.select().where(BulkOperationResult.operation == op)
    if outcome:
        if outcome not in ("succeeded", "failed"):
            raise Invalid(fields={"outcome": "must be succeeded or failed"})
        query = query.where(BulkOperationResult.success == (outcome == "succeeded"))
    total = query.count()
    return list(query.order_by(BulkOperationResult.index).offset(page.offset)
                .limit(page.limit)), total


def cancel(workspace: Workspace, actor: User | None, op: BulkOperation) -> BulkOperation:
    """A pending operation is cancelled at once, a processing one stops at its next item
    (items done so far stay done). Cancelling a cancelled one is harmless; a finished one
    is 409 CONFLICT."""
    if op.status == "cancelled":
        return op
    if op.status not in ACTIVE:
        raise Conflict(message=f"The operation already finished ({op.status}).")
    CANCELLED.add(op.public_id)  # read by a run in this process at its next item
    now = clock.now()
    with database.atomic("IMMEDIATE"):
        BulkOperation.update(status="cancelled", finished_at=now, updated_at=now).where(
            BulkOperation.id == op.id, BulkOperation.status.in_(ACTIVE)).execute()
        audit.record("bulk.cancel", "bulk_operation", op.public_id, workspace=workspace,
                     actor=actor)
    return BulkOperation.select(*_LIGHT).where(BulkOperation.id == op.id).get()


# --- serialisation ------------------------------------------------------------------------------

def progress(op: BulkOperation) -> int:
    """Whole percent of items processed (100 once finished with nothing left)."""
    if not op.total:
        return 100 if op.status not in ACTIVE else 0
    return min(100, op.processed * 100 // op.total)


def serialize_result(row: BulkOperationResult) -> dict[str, Any]:
    return {"index": row.index, "success": row.success, "linkId": row.link_public_id,
            "error": row.error}


def serialize(op: BulkOperation, *, errors: bool = False) -> dict[str, Any]:
    """The public shape; with `errors`, the first 100 failed rows (the rest: /results)."""
    body: dict[str, Any] = {
        "id": op.public_id, "action": op.action, "dryRun": op.dry_run, "status": op.status,
        "total": op.total, "processed": op.processed, "succeeded": op.succeeded,
        "failed": op.failed, "progress": progress(op), "error": op.error,
        "createdBy": op.created_by.public_id if op.created_by_id else None,
        "createdAt": clock.iso(op.created_at), "updatedAt": clock.iso(op.updated_at),
        "startedAt": clock.iso(op.started_at), "finishedAt": clock.iso(op.finished_at),
    }
    if errors:
        failed, _ = results(op, Page(1, 100), "failed")
        body["errors"] = [serialize_result(r) for r in failed]
    return body

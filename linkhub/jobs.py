"""The JOBS table: background work as plain functions with their schedule. Tests and
`linkhub jobs run NAME` call them directly; scheduler.py runs them inside `linkhub serve`.
A job runs inside an app context with a database connection; it must not start threads.
`run(job)` holds the job's lease (a JobLease row) while it runs, so two runs never overlap; a job
that works in steps calls `renew(name)` between steps and keeps its progress in its own rows, so
a run killed halfway is finished by the next one."""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from linkhub import clock, idempotency
from linkhub.models import JobLease, OneTimeToken, UserSession

# A lease lapses this long after its last renewal (a killed holder frees the job by then).
LEASE_TTL = timedelta(minutes=5)
_OWNER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"

# Used and expired one-time tokens are kept this long so a second click on an e-mail link can
# still say "already used" rather than "unknown".
TOKEN_GRACE = timedelta(days=1)


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], dict[str, Any] | None]
    trigger: str  # an APScheduler 3 trigger name: "interval" or "cron"
    schedule: dict[str, Any] = field(default_factory=dict)  # the trigger's keyword arguments
    help: str = ""

    def describe_schedule(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.schedule.items())
        return f"{self.trigger}({args})"


def purge_expired() -> dict[str, int]:
    """Delete expired sessions, spent one-time tokens and expired idempotency records."""
    now = clock.now()
    cutoff = now - TOKEN_GRACE
    sessions = UserSession.delete().where(UserSession.expires_at <= now).execute()
    tokens = OneTimeToken.delete().where(
        (OneTimeToken.expires_at < cutoff)
        | (OneTimeToken.used_at.is_null(False) & (OneTimeToken.used_at < cutoff))).execute()
    records = idempotency.purge_expired()
    return {"sessions": sessions, "tokens": tokens, "idempotencyRecords": records}


def purge_clicks() -> dict[str, int]:
    """Apply each workspace's raw-click retention period (hourly rollups are kept)."""
    from linkhub.services.clicks import purge_expired_clicks

    return {"clicks": purge_expired_clicks()}


def fx_refresh() -> dict[str, Any]:
    """Fetch the day's reference rates from FX_RATES_URL into FxRate (skipped when empty)."""
    from linkhub.services.fx_refresh import refresh

    return refresh()


def imports() -> dict[str, Any]:
    """Process pending and unfinished import jobs in chunks (resumable, idempotent by code)."""
    from linkhub.services.import_runs import run_pending

    return run_pending()


def email_retry() -> dict[str, Any]:
    """Send queued e-mails and retry failed ones (bounded; skipped without SMTP_HOST)."""
    from linkhub.services.email import retry_due

    return retry_due(lambda: renew("email-retry"))


def exports() -> dict[str, Any]:
    """Write the files of pending exports batch by batch (resumed after a restart)."""
    from linkhub.services.export_jobs import run_pending

    return run_pending("exports")


def export_expiry() -> dict[str, Any]:
    """Delete export files 7 days after they are ready (their status becomes expired)."""
    from linkhub.services.export_jobs import expire

    return expire()


def bulk_operations() -> dict[str, Any]:
    """Work through queued bulk link operations in chunks (resumed at their cursor)."""
    from linkhub.services.bulk_jobs import run_due

    return run_due()


def webhook_deliver() -> dict[str, Any]:
    """One pass of the webhook engine, waiting for its sends (serve's dispatcher runs passes
    continuously; this is the backstop and the CLI's way in)."""
    from linkhub.services.webhook_delivery import deliver_due

    return deliver_due(wait=True)


JOBS: tuple[Job, ...] = (
    Job("webhook-deliver", webhook_deliver, "interval", {"minutes": 1},
        "Send due webhook deliveries (serve's dispatcher does this continuously)."),
    Job("bulk-operations", bulk_operations, "interval", {"seconds": 5},
        "Run queued bulk link operations (validate, create, update, delete) in chunks of 100."),
    Job("exports", exports, "interval", {"seconds": 5},
        "Write pending exports (CSV, JSON, xlsx) to <data dir>/exports, resuming after a restart."),
    Job("export-expiry", export_expiry, "interval", {"hours": 1},
        "Delete export files 7 days after they are ready (downloads then answer 410)."),
    Job("email-retry", email_retry, "interval", {"minutes": 1},
        "Send queued e-mails and retry failed ones (5 tries in all, within 2 days)."),
    Job("imports", imports, "interval", {"seconds": 5},
        "Run queued link imports (CSV, JSON bundle, Bitly, Rebrandly, Short.io) in chunks."),
    Job("purge-expired", purge_expired, "interval", {"hours": 1},
        "Delete expired sessions, used or expired one-time tokens and idempotency records."),
    Job("purge-clicks", purge_clicks, "cron", {"hour": 3, "minute": 17},
        "Delete raw clicks older than each workspace's retention period (rollups stay)."),
    Job("fx-refresh", fx_refresh, "cron", {"hour": 16, "minute": 5},
        "Fetch the ECB reference rates (FX_RATES_URL) into the FX history, per currency and day."),
)


def by_name(name: str) -> Job | None:
    return next((job for job in JOBS if job.name == name), None)


def acquire(name: str, ttl: timedelta = LEASE_TTL) -> bool:
    """Take the lease on `name` unless a live holder has it (one atomic statement)."""
    now = clock.now()
    cursor = JobLease._meta.database.execute_sql(
        'INSERT INTO "job_lease" (name, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?) '
        "ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
        "acquired_at = excluded.acquired_at, expires_at = excluded.expires_at "
        "WHERE job_lease.expires_at <= ? OR job_lease.owner = excluded.owner",
        (name, _OWNER, now, now + ttl, now))
    return cursor.rowcount == 1


# Set while `linkhub serve` shuts down: long jobs stop at their next renew() and resume after
# the restart instead of holding the shutdown up (they keep their progress in their rows).
SHUTTING_DOWN = threading.Event()


def renew(name: str, ttl: timedelta = LEASE_TTL) -> bool:
    """Extend our lease; False when we no longer hold it or the server is shutting down (the
    caller should stop where it is)."""
    if SHUTTING_DOWN.is_set():
        return False
    return JobLease.update(expires_at=clock.now() + ttl).where(
        (JobLease.name == name) & (JobLease.owner == _OWNER)).execute() == 1


def release(name: str) -> None:
    JobLease.delete().where((JobLease.name == name) & (JobLease.owner == _OWNER)).execute()


def run(job: Job) -> dict[str, Any] | None:
    """One leased run of `job`: {"skipped": True, "reason": "leased"} while another run holds
    it. Every caller (scheduler, `linkhub jobs run`, tests of overlap) goes through here."""
    if not acquire(job.name):
        return {"skipped": True, "reason": "leased"}
    try:
        return job.func()
    finally:
        release(job.name)

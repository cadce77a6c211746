"""Runs the JOBS table on an APScheduler 3 BackgroundScheduler. Started only by `linkhub
serve` (never by create_app or tests); each run gets an app context and its own database
connection, and a failing run is logged without stopping the scheduler."""

from __future__ import annotations

import logging
import time
from datetime import UTC

from apscheduler.schedulers.background import BackgroundScheduler
from flask import Flask

from linkhub import jobs as jobs_table
from linkhub.jobs import JOBS, Job

log = logging.getLogger(__name__)


def run_job(app: Flask, job: Job) -> dict | None:
    """One run of `job` inside an app context (the scheduler thread has no connection yet)."""
    database = app.extensions["linkhub.db"]
    started = time.monotonic()
    with app.app_context():
        database.connect(reuse_if_open=True)
        try:
            result = jobs_table.run(job)
        except Exception:
            log.exception("job %s failed", job.name)
            return None
        finally:
            database.close()
    log.info("job %s done in %.2fs: %s", job.name, time.monotonic() - started, result)
    return result


def build(app: Flask, jobs: tuple[Job, ...] = JOBS) -> BackgroundScheduler:
    """A scheduler with every job added, not yet started."""
    scheduler = BackgroundScheduler(timezone=UTC, job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    for job in jobs:
        scheduler.add_job(run_job, job.trigger, args=(app, job), id=job.name, name=job.name,
                          replace_existing=True, **job.schedule)
    return scheduler


def start(app: Flask) -> BackgroundScheduler:
    scheduler = build(app)
    scheduler.start()
    log.info("scheduler started with %d job(s)", len(scheduler.get_jobs()))
    return scheduler


def stop(scheduler: BackgroundScheduler | None) -> None:
    """Stop scheduling and wait for a running job to finish."""
    if scheduler is not None and scheduler.running:
        jobs_table.SHUTTING_DOWN.set()  # a long job stops at its next renew()
        try:
            scheduler.shutdown(wait=True)
        finally:
            jobs_table.SHUTTING_DOWN.clear()

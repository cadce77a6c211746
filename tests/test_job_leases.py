"""Job leases: a job never runs twice at once (the scheduler and `linkhub jobs run` share the
lease), a crashed holder's lease lapses, and a run releases its lease when it ends or fails."""

from __future__ import annotations

from datetime import timedelta

import pytest

from linkhub import clock, jobs
from linkhub.models import JobLease


def _other_holder(name: str, minutes: int = 5) -> None:
    now = clock.now()
    JobLease.insert(name=name, owner="elsewhere:1:x", acquired_at=now,
                    expires_at=now + timedelta(minutes=minutes)).execute()


def test_a_held_lease_makes_a_second_run_skip(ctx):
    calls = []
    job = jobs.Job("lease-probe", lambda: calls.append(1) or {"ran": True}, "interval")
    _other_holder("lease-probe")
    assert jobs.run(job) == {"skipped": True, "reason": "leased"}
    assert calls == []


def test_an_expired_lease_is_taken_over(ctx):
    job = jobs.Job("lease-probe", lambda: {"ran": True}, "interval")
    _other_holder("lease-probe")
    clock.advance(jobs.LEASE_TTL + timedelta(seconds=1))
    assert jobs.run(job) == {"ran": True}
    assert JobLease.select().count() == 0  # released after the run


def test_a_failing_run_releases_its_lease(ctx):
    def boom():
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        jobs.run(jobs.Job("lease-probe", boom, "interval"))
    assert not JobLease.select().where(JobLease.name == "lease-probe").exists()


def test_renew_only_extends_our_own_lease(ctx):
    assert jobs.acquire("a")
    assert jobs.acquire("a")  # our own holder may take it again (a resumed run)
    assert jobs.renew("a")
    _other_holder("c")
    assert not jobs.renew("c")
    jobs.release("c")  # not ours: left alone
    assert JobLease.select().where(JobLease.name == "c").exists()


def test_every_registered_job_runs_under_its_lease(ctx):
    seen = {}

    for job in jobs.JOBS:
        if job.name == "fx-refresh":
            continue
        original = job.func

        def probe(original=original, name=job.name):
            seen[name] = JobLease.get_by_id(name).owner
            return original()

        jobs.run(jobs.Job(job.name, probe, job.trigger, job.schedule))
    assert seen and all(":" in owner for owner in seen.values())


def test_renew_says_stop_while_the_server_shuts_down(ctx):
    assert jobs.acquire("long-job")
    jobs.SHUTTING_DOWN.set()
    try:
        assert not jobs.renew("long-job")  # the job stops at its next step
    finally:
        jobs.SHUTTING_DOWN.clear()
    assert jobs.renew("long-job")


def test_scheduler_stop_raises_the_flag_while_it_waits(app, monkeypatch):
    from linkhub import scheduler

    seen = []

    class Running:
        running = True

        def shutdown(self, wait):
            seen.append(jobs.SHUTTING_DOWN.is_set())

    scheduler.stop(Running())
    assert seen == [True] and not jobs.SHUTTING_DOWN.is_set()

"""The JOBS table, the purge-expired job, the scheduler's wiring (built, never started) and the
shutdown-hook registry used by `linkhub serve`."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from linkhub import clock, ids, jobs, lifecycle, scheduler
from linkhub.auth import hash_secret
from linkhub.models import IdempotencyRecord, OneTimeToken, UserSession


def _session(user, expires_in: timedelta) -> UserSession:
    now = clock.now()
    return UserSession.create(token_hash=hash_secret(ids.new_token()), user=user,
                              created_at=now, last_seen_at=now, expires_at=now + expires_in)


def _token(user, *, expires_in: timedelta, used_ago: timedelta | None = None) -> OneTimeToken:
    now = clock.now()
    return OneTimeToken.create(token_hash=hash_secret(ids.new_token()), user=user,
                               purpose="reset_password", expires_at=now + expires_in,
                               used_at=None if used_ago is None else now - used_ago)


def _idempotency(key: str, age: timedelta) -> IdempotencyRecord:
    return IdempotencyRecord.create(principal="ip:127.0.0.1", key=key, method="POST",
                                    path="/api/x", body_hash="0" * 64, status_code=201,
                                    response_body="{}", created_at=clock.now() - age)


def test_purge_expired_deletes_only_what_has_expired(ctx, alice):
    user = alice.user
    live_session = _session(user, timedelta(days=3))
    _session(user, timedelta(seconds=-1))
    _session(user, timedelta(days=-40))
    fresh_token = _token(user, expires_in=timedelta(hours=1))
    recently_used = _token(user, expires_in=timedelta(hours=1), used_ago=timedelta(hours=2))
    recently_expired = _token(user, expires_in=timedelta(hours=-2))
    _token(user, expires_in=timedelta(hours=1), used_ago=timedelta(days=2))
    _token(user, expires_in=timedelta(days=-3))
    young = _idempotency("young", timedelta(hours=1))
    _idempotency("old", timedelta(hours=25))
    sessions_before = UserSession.select().count()

    result = jobs.purge_expired()

    assert result == {"sessions": 2, "tokens": 2, "idempotencyRecords": 1}
    assert UserSession.select().count() == sessions_before - 2
    assert UserSession.get_or_none(UserSession.id == live_session.id) is not None
    assert {t.id for t in OneTimeToken.select()} == {
        fresh_token.id, recently_used.id, recently_expired.id}
    assert [r.id for r in IdempotencyRecord.select()] == [young.id]


def test_purge_expired_follows_the_clock(ctx, alice):
    session = _session(alice.user, timedelta(hours=2))
    assert jobs.purge_expired()["sessions"] == 0
    clock.advance(timedelta(hours=3))
    assert jobs.purge_expired()["sessions"] == 1
    assert UserSession.get_or_none(UserSession.id == session.id) is None


def test_the_jobs_table_is_well_formed():
    names = [job.name for job in jobs.JOBS]
    assert len(names) == len(set(names))
    for job in jobs.JOBS:
        assert callable(job.func) and job.trigger in ("interval", "cron", "date")
        assert job.help and jobs.by_name(job.name) is job
    assert jobs.by_name("no-such-job") is None


def test_the_scheduler_is_built_with_every_job_but_not_started(app):
    built = scheduler.build(app)
    assert not built.running
    assert sorted(j.id for j in built.get_jobs()) == sorted(job.name for job in jobs.JOBS)


def test_run_job_gives_the_job_an_app_context_and_a_connection(app, alice):
    seen: dict = {}

    def probe():
        from flask import current_app

        seen["app"] = current_app._get_current_object()
        seen["users"] = app.extensions["linkhub.db"].execute_sql(
            'SELECT COUNT(*) FROM "user"').fetchone()[0]
        return {"ok": True}

    def broken():
        raise RuntimeError("boom")

    results = []
    worker = threading.Thread(target=lambda: results.extend([
        scheduler.run_job(app, jobs.Job("probe", probe, "interval", {"hours": 1})),
        scheduler.run_job(app, jobs.Job("broken", broken, "interval", {"hours": 1})),
    ]))
    worker.start()
    worker.join(timeout=30)
    assert results == [{"ok": True}, None]  # a failing job is logged, not raised
    assert seen["app"] is app and seen["users"] >= 3


def test_shutdown_hooks_run_in_order_and_a_failure_does_not_stop_the_rest(app):
    calls = []
    lifecycle.on_shutdown(app, lambda: calls.append("first"))

    def failing():
        raise RuntimeError("flush failed")

    lifecycle.on_shutdown(app, failing)
    lifecycle.on_shutdown(app, lambda: calls.append("third"))
    assert lifecycle.run_shutdown_hooks(app) == 1
    assert calls == ["first", "third"]


@pytest.mark.parametrize("name", [job.name for job in jobs.JOBS])
def test_every_job_runs_on_the_test_install(ctx, name):
    result = jobs.by_name(name).func()
    assert result is None or isinstance(result, dict)

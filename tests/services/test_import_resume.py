"""The `imports` job across a crash: a run killed inside a chunk (its transaction rolled back)
or between chunks leaves the job `processing` with its cursor; once the dead holder's lease
lapses the next run finishes it, and every row is imported exactly once. Also for a provider
job (the cursor is the provider's page cursor) and for two runs at once."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from linkhub import clock, jobs
from linkhub.models import ImportJob, JobLease, Link
from linkhub.services import import_providers, import_rows, import_runs, imports
from tests.api.provider_fakes import GOOD, FakeProviders

ROWS = 1_000
CHUNK = 100


class Killed(BaseException):
    """Stands for the process dying (not an Exception: nothing may catch it)."""


@pytest.fixture
def fake():
    server = FakeProviders(bitly={"Ga1": 250})
    yield server
    server.stop()


@pytest.fixture
def settings_overrides(fake):
    return {"IMPORT_BITLY_URL": fake.url + "/bitly", "IMPORT_ALLOW_PRIVATE": True}


def csv_job(persona) -> ImportJob:
    content = "url,code\n" + "".join(f"https://example.com/{n},res-{n}\n" for n in range(ROWS))
    return imports.import_csv_file(persona.workspace, persona.user,
                                   io.BytesIO(content.encode()), "big.csv")


def kill_on_call(monkeypatch, target, name: str, call: int, *, after: bool) -> None:
    """Make `target.name` die on its `call`-th call (after doing its work, or before)."""
    original = getattr(target, name)
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == call and not after:
            raise Killed()
        result = original(*args, **kwargs)
        if calls["n"] == call:
            raise Killed()
        return result

    monkeypatch.setattr(target, name, dying)


def crash(chunk: int = CHUNK) -> None:
    """A leased run that dies: the lease stays behind, held by a process that is gone."""
    assert jobs.acquire(import_runs.JOB_NAME)
    with pytest.raises(Killed):
        import_runs.run_pending(chunk)
    JobLease.update(owner="dead-host:1:0000").where(
        JobLease.name == import_runs.JOB_NAME).execute()


def restart(chunk: int = CHUNK) -> dict:
    job = jobs.Job(import_runs.JOB_NAME, lambda: import_runs.run_pending(chunk), "interval", {})
    assert jobs.run(job) == {"skipped": True, "reason": "leased"}  # the dead holder's lease
    clock.advance(jobs.LEASE_TTL + timedelta(seconds=1))
    return jobs.run(job)


def codes(persona) -> list[str]:
    return [c for (c,) in Link.select(Link.short_code).where(
        Link.workspace == persona.workspace, Link.deleted_at.is_null()).tuples()]


def test_killed_inside_a_chunk_then_rerun_imports_every_row_once(ctx, alice, monkeypatch):
    job = csv_job(alice)
    kill_on_call(monkeypatch, import_rows.LinkWriter, "write", 4, after=True)
    crash()
    row = ImportJob.get_by_id(job.id)
    assert row.status == "processing" and row.cursor == "300" and row.processed == 300
    assert len(codes(alice)) == 300  # the fourth chunk's links were rolled back
    monkeypatch.undo()
    assert restart()["completed"] == 1
    row = ImportJob.get_by_id(job.id)
    assert (row.status, row.processed, row.created_count, row.skipped_count) == (
        "completed", ROWS, ROWS, 0)
    found = codes(alice)
    assert len(found) == ROWS and set(found) == {f"res-{n}" for n in range(ROWS)}


def test_killed_between_chunks_then_rerun_imports_every_row_once(ctx, alice, monkeypatch):
    job = csv_job(alice)
    kill_on_call(monkeypatch, jobs, "renew", 7, after=False)
    crash()
    row = ImportJob.get_by_id(job.id)
    assert row.cursor == "700" and len(codes(alice)) == 700
    monkeypatch.undo()
    restart()
    row = ImportJob.get_by_id(job.id)
    assert (row.processed, row.created_count, row.skipped_count, row.failed_count) == (
        ROWS, ROWS, 0, 0)
    assert len(codes(alice)) == ROWS


def test_a_provider_import_resumes_from_the_page_cursor(ctx, alice, fake, monkeypatch):
    job = import_providers.start(alice.workspace, alice.user, "bitly", {"accessToken": GOOD})
    kill_on_call(monkeypatch, import_rows.LinkWriter, "write", 2, after=True)
    crash()
    row = ImportJob.get_by_id(job.id)
    assert row.processed == 100 and '"after": "100"' in row.cursor
    assert row.token_encrypted  # still held: the job is not over
    monkeypatch.undo()
    restart()
    row = ImportJob.get_by_id(job.id)
    assert (row.status, row.created_count, row.skipped_count) == ("completed", 250, 0)
    assert len(codes(alice)) == 250 and row.token_encrypted is None
    pages = fake.seen("/bitly/v4/groups/Ga1/bitlinks")
    assert sum("search_after" not in p for p in pages) == 1  # never restarted from page one


def test_a_second_run_while_the_first_holds_the_lease_is_skipped(ctx, alice):
    job = csv_job(alice)
    assert jobs.acquire(import_runs.JOB_NAME)
    JobLease.update(owner="other-host:2:0000").where(
        JobLease.name == import_runs.JOB_NAME).execute()
    assert jobs.run(jobs.by_name("imports")) == {"skipped": True, "reason": "leased"}
    assert ImportJob.get_by_id(job.id).status == "pending"

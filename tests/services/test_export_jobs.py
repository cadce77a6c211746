"""The `exports` and `export-expiry` jobs called directly: a run killed halfway is finished by
the next one with every row exactly once (CSV and JSON append from the committed cursor after
cutting the temp file back to the committed size; xlsx and a lost temp file start again), a
lost lease stops the run, a second run at the same time (another process) skips, a filter
that no longer parses fails the export, and expiry deletes the file."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from linkhub import clock, ids, jobs
from linkhub.models import Export
from linkhub.services import export_jobs, export_queries, exports
from linkhub.services import links as link_service
from tests.test_server import ROOT, _env

COLUMNS = ["id", "shortCode"]


class Crash(BaseException):
    """A process dying mid-run: not an Exception, so nothing marks the export failed."""


@pytest.fixture
def seven_links(ctx, alice, monkeypatch) -> list[tuple[str, str]]:
    """Seven links, batches of 3 (so 3 + 3 + 1 rows)."""
    monkeypatch.setattr(export_queries, "BATCH_SIZE", 3)
    made = [link_service.create_link(alice.workspace, None, {
        "destinationUrl": f"https://example.com/{n}", "shortCode": f"code{n}"})
        for n in range(7)]
    return [(link.public_id, link.short_code) for link in made]


def new_export(alice, fmt: str = "csv") -> Export:
    return exports.create_export(alice.workspace, alice.user,
                                 {"type": "links", "format": fmt, "columns": COLUMNS})


def run() -> dict:
    return jobs.run(jobs.by_name("exports"))


def spy_writes(monkeypatch, crash_on: int | None = None) -> list[int]:
    """Record the rows each write() gets; raise Crash instead of the `crash_on`-th write."""
    seen: list[int] = []
    opened = export_jobs.open_writer

    def open_writer(*args, **kwargs):
        writer = opened(*args, **kwargs)
        write = writer.write

        def counted(rows):
            if crash_on is not None and len(seen) + 1 == crash_on:
                raise Crash()
            seen.append(len(rows))
            write(rows)

        writer.write = counted
        return writer

    monkeypatch.setattr(export_jobs, "open_writer", open_writer)
    return seen


def part_file(export: Export) -> Path:
    return exports.export_dir() / f"{export.public_id}.{export.format}.part"


def content(export: Export) -> bytes:
    export = Export.get_by_id(export.id)
    assert export.status == "completed", (export.status, export.error)
    return exports.download(export).path.read_bytes()


def csv_of(rows: list[tuple[str, str]]) -> bytes:
    return ("id,shortCode\r\n" + "".join(f"{i},{c}\r\n" for i, c in rows)).encode()


def crash_after_two_batches(monkeypatch, export: Export) -> Export:
    spy_writes(monkeypatch, crash_on=3)
    with pytest.raises(Crash):
        run()
    monkeypatch.undo()  # only the spy: BATCH_SIZE is set again below
    monkeypatch.setattr(export_queries, "BATCH_SIZE", 3)
    halfway = Export.get_by_id(export.id)
    assert (halfway.status, halfway.rows_written) == ("processing", 6)
    if export.format != "xlsx":  # an xlsx file exists only once it is closed
        assert part_file(halfway).stat().st_size == halfway.size_bytes
    return halfway


def test_csv_resumes_from_the_cursor_without_duplicates(ctx, alice, seven_links,
                                                        monkeypatch):
    export = new_export(alice)
    halfway = crash_after_two_batches(monkeypatch, export)
    assert halfway.cursor == link_service.find_link(alice.workspace, seven_links[5][0]).id
    # rows written after the last commit (a crash between write and commit) are cut off
    with open(part_file(halfway), "ab") as fh:
        fh.write(b"link_half,written\r\n")
    writes = spy_writes(monkeypatch)
    assert run() == {"completed": 1, "failed": 0, "rows": 7}
    assert writes == [1]  # appended the last row only
    assert content(export) == csv_of(seven_links)
    assert not part_file(export).exists()


def test_json_resume_stays_one_valid_array(ctx, alice, seven_links, monkeypatch):
    export = new_export(alice, "json")
    crash_after_two_batches(monkeypatch, export)
    run()
    assert json.loads(content(export)) == [{"id": i, "shortCode": c} for i, c in seven_links]


def test_a_missing_temp_file_starts_again(ctx, alice, seven_links, monkeypatch):
    export = new_export(alice)
    halfway = crash_after_two_batches(monkeypatch, export)
    part_file(halfway).unlink()
    writes = spy_writes(monkeypatch)
    run()
    assert writes == [3, 3, 1]
    assert content(export) == csv_of(seven_links)


def test_xlsx_starts_again_after_a_crash(ctx, alice, seven_links, monkeypatch):
    export = new_export(alice, "xlsx")
    crash_after_two_batches(monkeypatch, export)
    writes = spy_writes(monkeypatch)
    run()
    assert writes == [3, 3, 1]
    sheet = zipfile.ZipFile(io.BytesIO(content(export))).read("xl/worksheets/sheet1.xml")
    for public_id, code in seven_links:
        assert sheet.count(public_id.encode()) == 1 and sheet.count(f">{code}<".encode()) == 1
    assert sheet.count(b"<row ") == 8
    assert Export.get_by_id(export.id).rows_written == 7


def test_a_lost_lease_stops_and_the_next_run_finishes(ctx, alice, seven_links, monkeypatch):
    export = new_export(alice)
    monkeypatch.setattr(jobs, "renew", lambda name, ttl=None: False)
    assert run() == {"completed": 0, "failed": 0, "rows": 0, "stopped": "lease lost"}
    assert Export.get_by_id(export.id).rows_written == 3
    monkeypatch.undo()
    monkeypatch.setattr(export_queries, "BATCH_SIZE", 3)
    assert run()["completed"] == 1
    assert content(export) == csv_of(seven_links)


def test_a_second_run_at_the_same_time_skips(app, ctx, alice, seven_links, monkeypatch):
    export = new_export(alice)
    answers = []
    opened = export_jobs.open_writer

    def open_writer(*args, **kwargs):
        writer = opened(*args, **kwargs)
        write = writer.write

        def write_once_other_run_tried(rows):
            if not answers:  # while this run holds the lease: `linkhub jobs run exports`
                done = subprocess.run(
                    [sys.executable, "-m", "linkhub.cli", "jobs", "run", "exports",
                     "--data-dir", app.config["LINKHUB"]["DATA_DIR"]],
                    cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=60,
                    check=False)
                assert done.returncode == 0, done.stderr
                answers.append(json.loads(done.stdout.strip().splitlines()[-1]))
            write(rows)

        writer.write = write_once_other_run_tried
        return writer

    monkeypatch.setattr(export_jobs, "open_writer", open_writer)
    assert run()["completed"] == 1
    assert answers == [{"job": "exports", "result": {"skipped": True, "reason": "leased"}}]
    assert content(export) == csv_of(seven_links)


def test_pending_exports_run_oldest_first_and_a_bad_filter_fails(ctx, alice, seven_links):
    broken = Export.create(public_id=ids.new_id("export"), workspace=alice.workspace,
                           type="clicks", format="csv", columns=["id"],
                           filters={"colour": "red"})
    good = new_export(alice)
    assert run() == {"completed": 1, "failed": 1, "rows": 7}
    broken = Export.get_by_id(broken.id)
    assert broken.status == "failed" and "filters.colour" in broken.error
    assert broken.finished_at is not None and not part_file(broken).exists()
    assert content(good) == csv_of(seven_links)
    assert run() == {"completed": 0, "failed": 0, "rows": 0}  # nothing left to do


def test_expiry_deletes_files_seven_days_after_they_are_ready(ctx, alice, seven_links):
    old, recent = new_export(alice), None
    run()
    clock.advance(timedelta(days=3))
    recent = new_export(alice)
    run()
    old_file = exports.download(Export.get_by_id(old.id)).path
    clock.advance(timedelta(days=4))
    assert jobs.run(jobs.by_name("export-expiry")) == {"expired": 1}
    assert Export.get_by_id(old.id).status == "expired" and not old_file.exists()
    assert Export.get_by_id(recent.id).status == "completed"
    assert content(recent) == csv_of(seven_links)
    assert jobs.run(jobs.by_name("export-expiry")) == {"expired": 0}


def test_expiry_removes_temp_files_left_by_a_killed_xlsx_run(ctx):
    import os
    import time

    old = exports.export_dir() / "tmpk1lled"
    fresh = exports.export_dir() / "tmpw0rking"
    for path in (old, fresh):
        path.write_bytes(b"row data")
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    export_jobs.expire()
    assert not old.exists() and fresh.exists()


@pytest.mark.parametrize("raw", ["2026-01-15 10:30:00", "2026-01-15 10:30:00.123456",
                                 "2026-01-15 10:30:00.999999", "2026-01-15"])
def test_raw_timestamps_are_written_like_the_api_writes_them(raw):
    from linkhub.services.export_queries import _iso

    assert _iso(raw) == clock.iso(clock.parse_iso(raw))
    assert _iso(None) is None


def test_a_write_error_fails_the_export_without_leaking_paths(ctx, alice, seven_links,
                                                              monkeypatch):
    export = new_export(alice)
    opened = export_jobs.open_writer

    def full_disk(*args, **kwargs):
        writer = opened(*args, **kwargs)

        def write(rows):
            raise OSError(28, "No space left on device", str(part_file(export)))

        writer.write = write
        return writer

    monkeypatch.setattr(export_jobs, "open_writer", full_disk)
    assert run() == {"completed": 0, "failed": 1, "rows": 0}
    failed = Export.get_by_id(export.id)
    assert failed.error == "The export could not be written: No space left on device."
    assert not part_file(failed).exists()

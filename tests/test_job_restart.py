"""A job killed halfway finishes after a restart without duplicating rows: a real
`linkhub jobs run imports` process is SIGKILLed after its first committed chunk, its lease
lapses, and the next process completes the import with every row imported exactly once."""

from __future__ import annotations

import io
import os
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from linkhub.app import create_app
from linkhub.models import Workspace
from linkhub.services import imports
from tests.test_server import EMAIL, PASSWORD, ROOT, WAIT, _cli, _env

pytestmark = pytest.mark.server

ROWS = 6_000  # twelve chunks of 500: long enough to be killed between two of them


def _job(db: Path) -> tuple[str, int, int]:
    with closing(sqlite3.connect(db, timeout=30)) as conn:
        return conn.execute("SELECT status, processed, created_count FROM import_job").fetchone()


def test_a_killed_import_job_finishes_once_after_restart(tmp_path):
    data_dir = tmp_path / "data"
    done = _cli("init", "--data-dir", str(data_dir), "--email", EMAIL, "--password", PASSWORD,
                "--json")
    assert done.returncode == 0, done.stderr
    csv = "url,code\n" + "".join(f"https://shop.example/item/{n},item-{n}\n"
                                 for n in range(ROWS))
    app = create_app({"DATA_DIR": str(data_dir), "SCHEDULER": False})
    with app.app_context():
        app.extensions["linkhub.db"].connect(reuse_if_open=True)
        imports.import_csv_file(Workspace.select().first(), None, io.BytesIO(csv.encode()),
                                "items.csv")
        app.extensions["linkhub.db"].close()
    db = data_dir / "linkhub.sqlite3"
    command = [sys.executable, "-m", "linkhub.cli", "jobs", "run", "imports", "--data-dir",
               str(data_dir)]

    first = subprocess.Popen(command, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + WAIT
    while _job(db)[1] == 0 and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.kill(first.pid, signal.SIGKILL)  # mid-import: no clean-up of any kind
    first.wait(timeout=WAIT)
    status, processed, _ = _job(db)
    assert status == "processing" and 0 < processed < ROWS, (status, processed)

    with closing(sqlite3.connect(db)) as conn:  # the dead holder's lease lapses (TTL later)
        conn.execute("UPDATE job_lease SET expires_at = '2000-01-01 00:00:00'")
        conn.commit()
    second = subprocess.run(command, cwd=ROOT, env=_env(), capture_output=True, text=True,
                            timeout=WAIT * 4, check=False)
    assert second.returncode == 0, second.stderr
    status, processed, created = _job(db)
    assert (status, processed, created) == ("completed", ROWS, ROWS)
    with closing(sqlite3.connect(db)) as conn:
        links, codes = conn.execute("SELECT COUNT(*), COUNT(DISTINCT short_code) FROM link "
                                    "WHERE short_code LIKE 'item-%'").fetchone()
    assert links == codes == ROWS  # every row once: nothing lost, nothing doubled

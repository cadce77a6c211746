"""Online backups of the SQLite file through SQLite's backup API: consistent while the server
keeps writing, written as one self-contained file (journal mode DELETE, no -wal/-shm)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path

from linkhub import clock, db

BACKUP_DIR = "backups"


class BackupError(RuntimeError):
    """The backup could not be made (no database, unwritable target...)."""


def default_target(data_dir: str | Path, when: datetime | None = None) -> Path:
    """<data dir>/backups/linkhub-<UTC time>.sqlite3, with -2, -3... when that name is taken."""
    stamp = (when or clock.now()).strftime("%Y%m%dT%H%M%SZ")
    folder = Path(data_dir) / BACKUP_DIR
    target, n = folder / f"linkhub-{stamp}.sqlite3", 1
    while target.exists():
        n += 1
        target = folder / f"linkhub-{stamp}-{n}.sqlite3"
    return target


def backup(data_dir: str | Path, target: str | Path | None = None) -> Path:
    """Copy the data dir's database to `target` (default: <data dir>/backups/...), mode 0600.
    Returns the path written. An existing target file is refused rather than overwritten."""
    source_path = db.db_path(data_dir)
    if not source_path.is_file():
        raise BackupError(f"no database at {source_path}")
    target_path = Path(target).expanduser().resolve() if target else default_target(data_dir)
    if target_path.exists():
        raise BackupError(f"{target_path} already exists")
    target_path.parent.mkdir(parents=True, exist_ok=True)
    partial = target_path.with_name(target_path.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=30)
    try:
        source.execute("PRAGMA busy_timeout = 30000")
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest)  # one step: a single consistent snapshot
            dest.execute("PRAGMA journal_mode = DELETE")
            ok = dest.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            dest.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {exc}") from None
    finally:
        source.close()
    if ok != "ok":
        partial.unlink(missing_ok=True)
        raise BackupError(f"the backup copy failed its check: {ok}")
    partial.chmod(0o600)  # a copy of every user's data: readable by the owner only
    partial.replace(target_path)
    return target_path

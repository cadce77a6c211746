"""The database handle (one WAL-mode SQLite file), its pragmas, and BaseModel. Models bind to
the proxy here; create_app points it at the data dir's file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import peewee

from linkhub import clock

PRAGMAS = (
    ("journal_mode", "wal"),
    ("busy_timeout", 5000),
    ("foreign_keys", 1),
    ("synchronous", "normal"),
    ("cache_size", -16_000),
)

database = peewee.DatabaseProxy()

DB_FILENAME = "linkhub.sqlite3"
# UPDATE ... FROM (3.33), RETURNING and MATERIALIZED common table expressions (3.35): the click
# writer's statements use all three.
MIN_SQLITE = (3, 35, 0)


def db_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / DB_FILENAME


def open_database(path: str | Path) -> peewee.SqliteDatabase:
    """Open (creating when needed) the SQLite file and bind the models to it."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise RuntimeError(f"linkhub needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer; "
                           f"this Python links SQLite {sqlite3.sqlite_version}.")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = peewee.SqliteDatabase(str(path), pragmas=PRAGMAS, check_same_thread=False,
                               timeout=5)
    database.initialize(db)
    return db


class JSONField(peewee.TextField):
    """JSON stored as text; dumps compactly and loads on read."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, separators=(",", ":"))

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class TimestampedModel(BaseModel):
    """A model with a public id plus created/updated times taken from the one clock."""

    public_id = peewee.CharField(max_length=40, unique=True)
    created_at = peewee.DateTimeField(default=clock.now)
    updated_at = peewee.DateTimeField(default=clock.now)

    def save(self, *args: Any, **kwargs: Any) -> int:
        if self._pk is not None:
            self.updated_at = clock.now()
        return super().save(*args, **kwargs)

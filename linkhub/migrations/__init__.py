"""Numbered schema migrations (`NNNN_name.py`, each with `up(db, migrator)`), applied in order
and recorded in `schema_migrations`. The migrations own the schema; models mirror it."""

from __future__ import annotations

import importlib
import pkgutil
import re
from dataclasses import dataclass

import peewee
from playhouse.migrate import SqliteMigrator

from linkhub import clock

_NAME_RE = re.compile(r"^(\d{4})_[a-z0-9_]+$")


@dataclass(frozen=True)
class Migration:
    number: int
    name: str

    def load(self):
        return importlib.import_module(f"{__name__}.{self.name}")


def available() -> list[Migration]:
    found = []
    for info in pkgutil.iter_modules(__path__):
        match = _NAME_RE.match(info.name)
        if match:
            found.append(Migration(int(match.group(1)), info.name))
    found.sort(key=lambda m: m.number)
    numbers = [m.number for m in found]
    if len(set(numbers)) != len(numbers):
        raise RuntimeError(f"duplicate migration numbers: {numbers}")
    return found


def _ensure_table(db: peewee.SqliteDatabase) -> None:
    db.execute_sql(
        'CREATE TABLE IF NOT EXISTS "schema_migrations" ('
        '"name" VARCHAR(255) NOT NULL PRIMARY KEY, "applied_at" DATETIME NOT NULL)')


def applied(db: peewee.SqliteDatabase) -> set[str]:
    _ensure_table(db)
    return {row[0] for row in db.execute_sql('SELECT "name" FROM "schema_migrations"')}


def pending(db: peewee.SqliteDatabase) -> list[Migration]:
    done = applied(db)
    return [m for m in available() if m.name not in done]


def status(db: peewee.SqliteDatabase) -> list[tuple[str, bool]]:
    done = applied(db)
    return [(m.name, m.name in done) for m in available()]


def migrate_up(db: peewee.SqliteDatabase) -> list[str]:
    """Apply every pending migration, each in its own transaction. Returns the names applied."""
    ran = []
    migrator = SqliteMigrator(db)
    for migration in pending(db):
        module = migration.load()
        with db.atomic():
            module.up(db, migrator)
            db.execute_sql('INSERT INTO "schema_migrations" ("name", "applied_at") VALUES (?, ?)',
                           (migration.name, clock.now()))
        ran.append(migration.name)
    return ran

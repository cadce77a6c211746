"""The migrations own the schema and the models mirror it: a database built by the migrations
and one built by create_tables(ALL_MODELS) agree table by table, column by column and index by
index; foreign keys match the models' ForeignKeyFields. Also: idempotence, pragmas, secrets."""

from __future__ import annotations

import stat

import peewee
import pytest

from linkhub import db, migrations, secretfile
from linkhub.app import create_app
from linkhub.models import ALL_MODELS

BOOKKEEPING = {"schema_migrations"}
FTS_TABLES = ("search_index",)  # FTS5 (0018) and its shadow tables: SQL only, no model


def _tables(conn: peewee.SqliteDatabase) -> list[str]:
    return sorted(r[0] for r in conn.execute_sql(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        if r[0] not in BOOKKEEPING and not r[0].startswith(FTS_TABLES))


def _columns(conn, table: str) -> list[tuple]:
    # (name, declared type, NOT NULL, primary key position)
    return [(r[1], r[2].upper(), r[3], r[5])
            for r in conn.execute_sql(f'PRAGMA table_info("{table}")')]


def _indexes(conn, table: str) -> dict[str, tuple]:
    found = {}
    for row in conn.execute_sql(f'PRAGMA index_list("{table}")'):
        name, unique, origin = row[1], row[2], row[3]
        if origin == "pk" or name.startswith("sqlite_autoindex"):
            continue
        cols = tuple(r[2] for r in conn.execute_sql(f'PRAGMA index_info("{name}")'))
        found[name] = (bool(unique), cols)
    return found


def _foreign_keys(conn, table: str) -> set[tuple]:
    # (column, target table, target column, ON DELETE)
    return {(r[3], r[2], r[4], r[6].upper())
            for r in conn.execute_sql(f'PRAGMA foreign_key_list("{table}")')}


def _model_foreign_keys() -> dict[str, set[tuple]]:
    wanted: dict[str, set[tuple]] = {}
    for model in ALL_MODELS:
        keys = wanted.setdefault(model._meta.table_name, set())
        for field in model._meta.sorted_fields:
            if isinstance(field, peewee.ForeignKeyField):
                on_delete = (field.on_delete or "NO ACTION").upper()
                keys.add((field.column_name, field.rel_model._meta.table_name,
                          field.rel_field.column_name, on_delete))
    return wanted


@pytest.fixture(scope="module")
def databases(tmp_path_factory):
    base = tmp_path_factory.mktemp("schema")
    migrated = peewee.SqliteDatabase(str(base / "migrated.sqlite3"), pragmas=db.PRAGMAS)
    migrations.migrate_up(migrated)
    modelled = peewee.SqliteDatabase(str(base / "models.sqlite3"), pragmas=db.PRAGMAS)
    with modelled.bind_ctx(ALL_MODELS):
        modelled.create_tables(ALL_MODELS)
    yield migrated, modelled
    migrated.close()
    modelled.close()


def test_same_tables(databases):
    migrated, modelled = databases
    assert _tables(migrated) == _tables(modelled)
    assert set(_tables(migrated)) == {m._meta.table_name for m in ALL_MODELS}


def test_same_columns(databases):
    migrated, modelled = databases
    for table in _tables(modelled):
        assert _columns(migrated, table) == _columns(modelled, table), table


def test_same_indexes(databases):
    migrated, modelled = databases
    for table in _tables(modelled):
        assert _indexes(migrated, table) == _indexes(modelled, table), table


def test_foreign_keys_match_the_models(databases):
    migrated, _ = databases
    wanted = _model_foreign_keys()
    for table in _tables(migrated):
        assert _foreign_keys(migrated, table) == wanted[table], table


def test_migrations_are_numbered_once_and_recorded(databases):
    migrated, _ = databases
    names = [m.name for m in migrations.available()]
    assert names and names[0] == "0001_accounts_workspaces"
    assert [m.number for m in migrations.available()] == sorted(
        {m.number for m in migrations.available()})
    assert migrations.status(migrated) == [(n, True) for n in names]


def test_migrate_up_is_idempotent(tmp_path):
    conn = peewee.SqliteDatabase(str(tmp_path / "x.sqlite3"), pragmas=db.PRAGMAS)
    first = migrations.migrate_up(conn)
    assert first == [m.name for m in migrations.available()]
    schema = sorted(conn.execute_sql("SELECT type, name, sql FROM sqlite_master").fetchall(),
                    key=lambda r: (r[0], r[1]))
    assert migrations.migrate_up(conn) == []
    assert migrations.pending(conn) == []
    assert sorted(conn.execute_sql("SELECT type, name, sql FROM sqlite_master").fetchall(),
                  key=lambda r: (r[0], r[1])) == schema
    conn.close()


def test_the_pragmas_are_in_force(tmp_path):
    app = create_app({"DATA_DIR": str(tmp_path)})
    database = app.extensions["linkhub.db"]
    try:
        database.connect(reuse_if_open=True)

        def pragma(name):
            return database.execute_sql(f"PRAGMA {name}").fetchone()[0]

        assert pragma("journal_mode") == "wal"
        assert pragma("foreign_keys") == 1
        assert pragma("synchronous") == 1  # NORMAL
        assert pragma("busy_timeout") == 5000
    finally:
        database.close()


def test_secrets_are_created_with_mode_0600(tmp_path):
    create_app({"DATA_DIR": str(tmp_path)}).extensions["linkhub.db"].close()
    path = tmp_path / secretfile.FILENAME
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    values = secretfile.load_or_create(tmp_path)
    assert set(secretfile.NAMES) <= set(values) and all(len(v) >= 32 for v in values.values())
    assert secretfile.load_or_create(tmp_path) == values  # stable across restarts

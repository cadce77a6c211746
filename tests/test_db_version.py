"""The SQLite the writer's statements need is checked when the database is opened."""

from __future__ import annotations

import pytest

from linkhub import db


def test_an_old_sqlite_is_refused_with_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(db.sqlite3, "sqlite_version_info", (3, 31, 1))
    monkeypatch.setattr(db.sqlite3, "sqlite_version", "3.31.1")
    with pytest.raises(RuntimeError, match=r"needs SQLite 3\.35\.0 or newer.*3\.31\.1"):
        db.open_database(tmp_path / "x.sqlite3")
    assert not (tmp_path / "x.sqlite3").exists()


def test_this_sqlite_is_new_enough():
    assert db.sqlite3.sqlite_version_info >= db.MIN_SQLITE

"""The `linkhub` command in-process through click's CliRunner: init, create-user,
create-api-key, migrate, jobs, backup and settings."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkhub import config, db, migrations
from linkhub.app import create_app
from linkhub.cli import main

EMAIL, PASSWORD = "founder@example.com", "a-long-enough-secret"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner(env=env).invoke(main, list(args), catch_exceptions=False)


def counts(data_dir: Path) -> dict[str, int]:
    with sqlite3.connect(db.db_path(data_dir)) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {t: conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def query(data_dir: Path, sql: str, *params) -> list[tuple]:
    conn = sqlite3.connect(db.db_path(data_dir))
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def api_get(data_dir: Path, path: str, headers: dict[str, str]):
    """A request through a fresh app, built after the CLI ran (the CLI rebinds the models)."""
    app = create_app({"DATA_DIR": str(data_dir), "RATE_LIMIT_ENABLED": False})
    try:
        with app.test_client() as client:
            return client.get(path, headers=headers)
    finally:
        app.extensions["linkhub.db"].close()


def init_json(data_dir: Path, email: str = EMAIL) -> dict:
    result = run("init", "--data-dir", str(data_dir), "--email", email, "--password", PASSWORD,
                 "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# --- init ---------------------------------------------------------------------------------


def test_init_json_prints_exactly_one_object_and_the_key_works(tmp_path):
    result = run("init", "--data-dir", str(tmp_path), "--email", EMAIL, "--password", PASSWORD,
                 "--json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1
    body = json.loads(lines[0])
    assert set(body) == {"userId", "workspaceId", "apiKey"}
    assert body["userId"].startswith("usr_") and body["workspaceId"].startswith("ws_")
    assert body["apiKey"].startswith("lh_")
    assert query(tmp_path, 'SELECT email FROM "user"') == [(EMAIL,)]
    assert query(tmp_path, "SELECT scopes, created_by_id IS NOT NULL FROM api_key") == [
        ('["*"]', 1)]
    for headers in ({"X-API-Key": body["apiKey"]},
                    {"Authorization": f"Bearer {body['apiKey']}"}):
        response = api_get(tmp_path, "/api/workspaces", headers)
        assert response.status_code == 200, response.get_json()
        assert [w["id"] for w in response.get_json()["data"]] == [body["workspaceId"]]


def test_init_names_the_workspace_and_prints_a_readable_summary(tmp_path):
    result = run("init", "--data-dir", str(tmp_path), "--email", EMAIL, "--password", PASSWORD,
                 "--workspace", "Acme Links")
    assert result.exit_code == 0, result.output
    assert "Acme Links" in result.stdout and "lh_" in result.stdout
    assert query(tmp_path, "SELECT name FROM workspace") == [("Acme Links",)]
    assert query(tmp_path, "SELECT role FROM member") == [("owner",)]


def test_init_applies_the_migrations(tmp_path):
    init_json(tmp_path)
    applied = {r[0] for r in query(tmp_path, "SELECT name FROM schema_migrations")}
    assert applied == {m.name for m in migrations.available()}


def test_init_with_an_existing_email_exits_1_and_changes_nothing(tmp_path):
    init_json(tmp_path)
    before = counts(tmp_path)
    result = run("init", "--data-dir", str(tmp_path), "--email", EMAIL.upper(), "--password",
                 PASSWORD, "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "already exists" in result.stderr
    assert counts(tmp_path) == before


@pytest.mark.parametrize(("email", "password", "fields"), [
    ("not-an-address", PASSWORD, ["email:"]),
    ("ok@example.com", "short", ["password:"]),
    ("ok@example.com", "password123", ["password:"]),
])
def test_init_with_invalid_input_exits_1_with_field_messages(tmp_path, email, password, fields):
    result = run("init", "--data-dir", str(tmp_path), "--email", email, "--password", password,
                 "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    for field in fields:
        assert field in result.stderr
    assert counts(tmp_path)["user"] == 0
    assert counts(tmp_path)["workspace"] == 0 and counts(tmp_path)["api_key"] == 0


def test_init_reads_the_data_dir_from_the_environment(tmp_path):
    target = tmp_path / "from-env"
    result = run("init", "--email", EMAIL, "--password", PASSWORD, "--json",
                 env={"LINKHUB_DATA_DIR": str(target)})
    assert result.exit_code == 0, result.output
    assert db.db_path(target).is_file()


def test_a_bad_setting_is_a_clear_error(tmp_path):
    result = run("init", "--data-dir", str(tmp_path), "--email", EMAIL, "--password", PASSWORD,
                 env={"LINKHUB_SESSION_DAYS": "many"})
    assert result.exit_code == 1
    assert "LINKHUB_SESSION_DAYS" in result.stderr


# --- create-user --------------------------------------------------------------------------


def test_create_user_alone(tmp_path):
    init_json(tmp_path)
    result = run("create-user", "--data-dir", str(tmp_path), "--email", "second@example.com",
                 "--password", PASSWORD, "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"userId"} and body["userId"].startswith("usr_")
    assert query(tmp_path, 'SELECT COUNT(*) FROM "user"') == [(2,)]


def test_create_user_in_a_workspace_with_a_role(tmp_path):
    ws = init_json(tmp_path)["workspaceId"]
    result = run("create-user", "--data-dir", str(tmp_path), "--email", "ed@example.com",
                 "--password", PASSWORD, "--workspace", ws, "--role", "viewer", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"userId", "memberId"} and body["memberId"].startswith("mem_")
    rows = query(tmp_path, 'SELECT m.role, m.public_id FROM member m JOIN "user" u '
                           'ON u.id = m.user_id WHERE u.public_id = ?', body["userId"])
    assert rows == [("viewer", body["memberId"])]


def test_create_user_role_defaults_to_editor(tmp_path):
    ws = init_json(tmp_path)["workspaceId"]
    result = run("create-user", "--data-dir", str(tmp_path), "--email", "ed@example.com",
                 "--password", PASSWORD, "--workspace", ws, "--json")
    assert result.exit_code == 0, result.output
    assert query(tmp_path, "SELECT role FROM member ORDER BY id") == [("owner",), ("editor",)]


@pytest.mark.parametrize("workspace", ["ws_0000000000000000", "nonsense"])
def test_create_user_in_an_unknown_workspace_exits_1_and_creates_nobody(tmp_path, workspace):
    init_json(tmp_path)
    before = counts(tmp_path)
    result = run("create-user", "--data-dir", str(tmp_path), "--email", "ed@example.com",
                 "--password", PASSWORD, "--workspace", workspace, "--json")
    assert result.exit_code == 1
    assert "not found" in result.stderr and result.stdout == ""
    assert counts(tmp_path) == before


def test_create_user_with_a_taken_email_exits_1(tmp_path):
    init_json(tmp_path)
    before = counts(tmp_path)
    result = run("create-user", "--data-dir", str(tmp_path), "--email", EMAIL,
                 "--password", PASSWORD)
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert counts(tmp_path) == before


def test_create_user_role_without_workspace_is_a_usage_error(tmp_path):
    result = run("create-user", "--data-dir", str(tmp_path), "--email", "ed@example.com",
                 "--password", PASSWORD, "--role", "admin")
    assert result.exit_code == 2 and "--workspace" in result.stderr


# --- create-api-key -----------------------------------------------------------------------


def test_create_api_key_with_every_scope_acts_with_owner_reach(tmp_path):
    ws = init_json(tmp_path)["workspaceId"]
    result = run("create-api-key", "--data-dir", str(tmp_path), "--workspace", ws, "--name",
                 "Deploy bot", "--json")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert set(body) == {"id", "key", "workspaceId", "scopes"}
    assert body["id"].startswith("key_") and body["key"].startswith("lh_")
    assert body["workspaceId"] == ws and body["scopes"] == ["*"]
    assert query(tmp_path, "SELECT name, created_by_id FROM api_key WHERE public_id = ?",
                 body["id"]) == [("Deploy bot", None)]
    response = api_get(tmp_path, "/api/workspaces", {"X-API-Key": body["key"]})
    assert response.status_code == 200
    assert response.get_json()["data"][0]["id"] == ws


def test_create_api_key_with_chosen_scopes(tmp_path):
    ws = init_json(tmp_path)["workspaceId"]
    result = run("create-api-key", "--data-dir", str(tmp_path), "--workspace", ws, "--name",
                 "Reader", "--scopes", "links:read, analytics:read", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["scopes"] == ["analytics:read", "links:read"]


def test_create_api_key_with_an_unknown_scope_exits_1(tmp_path):
    ws = init_json(tmp_path)["workspaceId"]
    before = counts(tmp_path)
    result = run("create-api-key", "--data-dir", str(tmp_path), "--workspace", ws, "--name",
                 "Bad", "--scopes", "links:read,root:everything", "--json")
    assert result.exit_code == 1
    assert "scopes:" in result.stderr and "root:everything" in result.stderr
    assert counts(tmp_path) == before


def test_create_api_key_for_an_unknown_workspace_exits_1(tmp_path):
    init_json(tmp_path)
    before = counts(tmp_path)
    result = run("create-api-key", "--data-dir", str(tmp_path), "--workspace",
                 "ws_0000000000000000", "--name", "Nope", "--json")
    assert result.exit_code == 1 and "not found" in result.stderr
    assert result.stdout == ""
    assert counts(tmp_path) == before


# --- migrate ------------------------------------------------------------------------------


def test_migrate_status_then_up_then_status(tmp_path):
    names = [m.name for m in migrations.available()]
    result = run("migrate", "status", "--data-dir", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"{n}  pending" for n in names]

    result = run("migrate", "--data-dir", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [f"Applied {n}" for n in names]

    result = run("migrate", "up", "--data-dir", str(tmp_path))
    assert result.exit_code == 0 and "up to date" in result.stdout

    result = run("migrate", "status", "--data-dir", str(tmp_path))
    assert result.stdout.splitlines() == [f"{n}  applied" for n in names]


# --- jobs ---------------------------------------------------------------------------------


def test_jobs_list_names_every_job():
    from linkhub.jobs import JOBS

    result = run("jobs", "list")
    assert result.exit_code == 0
    listed = [line.split("\t")[0] for line in result.stdout.splitlines()]
    assert listed == [job.name for job in JOBS]
    assert "purge-expired" in listed


def test_jobs_run_purge_expired(tmp_path):
    init_json(tmp_path)
    result = run("jobs", "run", "purge-expired", "--data-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["job"] == "purge-expired"
    assert set(body["result"]) == {"sessions", "tokens", "idempotencyRecords"}


def test_jobs_run_an_unknown_job_lists_the_names(tmp_path):
    result = run("jobs", "run", "no-such-job", "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "no-such-job" in result.stderr and "purge-expired" in result.stderr


# --- backup -------------------------------------------------------------------------------


def test_backup_to_the_default_place_is_a_valid_copy(tmp_path):
    init_json(tmp_path)
    result = run("backup", "--data-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    written = Path(result.stdout.strip())
    assert written.parent == (tmp_path / "backups").resolve()
    assert written.name.startswith("linkhub-") and written.suffix == ".sqlite3"
    assert written.stat().st_mode & 0o777 == 0o600
    conn = sqlite3.connect(written)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute('SELECT email FROM "user"').fetchall() == [(EMAIL,)]
    finally:
        conn.close()
    again = run("backup", "--data-dir", str(tmp_path))
    assert again.exit_code == 0 and Path(again.stdout.strip()) != written


def test_backup_to_a_chosen_file_and_never_over_an_existing_one(tmp_path):
    init_json(tmp_path)
    target = tmp_path / "elsewhere" / "copy.sqlite3"
    result = run("backup", "--data-dir", str(tmp_path), "--to", str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(target.resolve())
    assert target.is_file()
    result = run("backup", "--data-dir", str(tmp_path), "--to", str(target))
    assert result.exit_code == 1 and "already exists" in result.stderr


def test_backup_without_a_database_exits_1(tmp_path):
    result = run("backup", "--data-dir", str(tmp_path / "empty"))
    assert result.exit_code == 1 and "no database" in result.stderr


# --- settings and the shim ----------------------------------------------------------------


def test_settings_prints_the_readme_table():
    result = run("settings")
    assert result.exit_code == 0
    assert result.stdout.strip() == config.markdown_table()


def test_settings_current_shows_values_with_flags_over_env_and_masks_secrets(tmp_path):
    result = run("settings", "--current", "--data-dir", str(tmp_path / "flag"),
                 env={"LINKHUB_DATA_DIR": str(tmp_path / "env"), "LINKHUB_PORT": "9001",
                      "LINKHUB_SMTP_PASSWORD": "hunter2-but-longer"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"LINKHUB_DATA_DIR={(tmp_path / 'flag').resolve()}" in lines
    assert "LINKHUB_PORT=9001" in lines
    assert "LINKHUB_BASE_URL=http://127.0.0.1:9001" in lines
    assert "hunter2" not in result.stdout


def test_every_subcommand_accepts_data_dir():
    def walk(group, prefix=()):
        for name, command in group.commands.items():
            if hasattr(command, "commands"):
                yield from walk(command, (*prefix, name))
            else:
                yield (*prefix, name), command

    for path, command in walk(main):
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        assert "--data-dir" in options, path

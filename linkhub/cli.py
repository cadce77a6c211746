"""The `linkhub` command: serve, init, create-user, create-api-key, migrate, backup, jobs and
settings. Commands parse flags, call services inside an app + request context and print; the
rules themselves live in services/. `python -m linkhub.cli` works too."""

from __future__ import annotations

import gc
import json
import logging
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from flask import Flask

from linkhub import __version__, config, db, ids, migrations
from linkhub.backup import BackupError
from linkhub.errors import ApiError, Invalid

SWITCH_INTERVAL = 0.001  # seconds: sys.setswitchinterval under `serve` (see below)

data_dir_option = click.option(
    "--data-dir", type=click.Path(file_okay=False), default=None,
    help="Data directory (default: LINKHUB_DATA_DIR, else ./linkhub-data).")
json_option = click.option("--json", "as_json", is_flag=True,
                           help="Print one JSON object on stdout and nothing else.")


def _fail(message: str) -> click.ClickException:
    return click.ClickException(message)


def _describe(err: ApiError) -> str:
    if isinstance(err, Invalid) and err.fields:
        lines = [err.message] if len(err.fields) > 1 else []
        lines += [f"{field}: {message}" for field, message in err.fields.items()]
        return "\n".join(lines)
    return err.message


def _settings(data_dir: str | None, **overrides: Any) -> dict[str, Any]:
    try:
        return config.load({"DATA_DIR": data_dir, **overrides})
    except config.ConfigError as exc:
        raise _fail(str(exc)) from None


def _make_app(data_dir: str | None, **overrides: Any) -> Flask:
    from linkhub.app import create_app

    try:
        return create_app({"DATA_DIR": data_dir, **overrides})
    except config.ConfigError as exc:
        raise _fail(str(exc)) from None


@contextmanager
def service_context(data_dir: str | None, *, migrate: bool = True) -> Iterator[Flask]:
    """An app with an app + request context and an open connection, so services that use
    flask.g or current_app work; pending migrations are applied first."""
    app = _make_app(data_dir)
    database = app.extensions["linkhub.db"]
    with app.app_context(), app.test_request_context():
        database.connect(reuse_if_open=True)
        try:
            if migrate:
                migrations.migrate_up(database)
            yield app
        except ApiError as err:
            raise _fail(_describe(err)) from None
        finally:
            database.close()


def _emit(as_json: bool, payload: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(payload))
    else:
        for line in lines:
            click.echo(line)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="linkhub")
def main() -> None:
    """linkhub: self-hosted smart links in one process and one SQLite file."""


@main.command()
@data_dir_option
@click.option("--host", default=None, help="Listen address (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Listen port (default 8080; 0 = any).")
@click.option("--base-url", default=None, help="Public URL (default http://HOST:PORT).")
@click.option("--threads", type=int, default=None, help="waitress worker threads (default 8).")
def serve(data_dir: str | None, host: str | None, port: int | None, base_url: str | None,
          threads: int | None) -> None:
    """Apply migrations, start the scheduler and serve until SIGTERM/SIGINT."""
    from linkhub import lifecycle, scheduler

    app = _make_app(data_dir, HOST=host, PORT=port, BASE_URL=base_url, THREADS=threads)
    settings = app.config["LINKHUB"]
    logging.basicConfig(level=settings["LOG_LEVEL"],
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if settings["LOG_LEVEL"] != "DEBUG":  # APScheduler narrates every job at INFO
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    database = app.extensions["linkhub.db"]
    database.connect(reuse_if_open=True)
    applied = migrations.migrate_up(database)
    database.close()
    try:
        server = lifecycle.make_server(app, settings["HOST"], settings["PORT"],
                                       settings["THREADS"])
    except OSError as exc:
        raise _fail(f"cannot listen on {settings['HOST']}:{settings['PORT']}: {exc}") from None
    urls = lifecycle.listen_urls(server)
    if settings["PORT"] == 0 and settings["BASE_URL"] == config.derived_base_url(
            settings["HOST"], 0):
        settings["BASE_URL"] = config.derived_base_url(settings["HOST"],
                                                       server.effective_port)
    click.echo(f"linkhub {__version__}")
    click.echo(f"Data directory: {settings['DATA_DIR']}")
    click.echo(f"Database: {db.db_path(settings['DATA_DIR'])}")
    if applied:
        click.echo(f"Migrations applied: {', '.join(applied)}")
    for url in urls:
        click.echo(f"Listening on: {url}")
    click.echo(f"Public URL: {settings['BASE_URL']}")
    _start_click_writer(app)
    background = scheduler.start(app) if settings["SCHEDULER"] else None
    if background is not None:  # webhook deliveries, continuously (stopped at shutdown)
        from linkhub import webhook_dispatcher

        webhook_dispatcher.start(app)
    click.echo(f"Scheduler: {'off' if background is None else 'on'}")
    click.echo("Press Ctrl+C to stop.")
    try:
        stopped_by = lifecycle.run_until_signalled(server)
    finally:
        scheduler.stop(background)
        failures = lifecycle.run_shutdown_hooks(app)
        database.close()
    click.echo(f"linkhub stopped ({stopped_by}).")
    if failures:
        raise SystemExit(1)


def _start_click_writer(app) -> None:
    """Warm the visitor-facts parsers, start the single click writer, and flush what is left
    at shutdown (the hook runs after the server stopped accepting)."""
    from linkhub import lifecycle
    from linkhub.redirect import clicks, facts

    facts.warm_up(app.config["LINKHUB"])
    writer = clicks.for_app(app).writer
    writer.start()
    lifecycle.on_shutdown(app, writer.stop)
    # Full garbage collections walk every library object and cached link while holding the
    # GIL (110-260 ms pauses measured under load): collect young objects less eagerly and keep
    # what exists after start-up out of every future collection.
    gc.collect()
    gc.set_threshold(50_000, 20, 100)
    gc.freeze()
    # Redirects are answered on waitress's I/O thread (redirect/serving.py): while the writer
    # runs Python, that thread waits for the GIL up to one switch interval per hand-off, 5 ms
    # by default. A shorter interval bounds those waits (the tail latency under load).
    sys.setswitchinterval(SWITCH_INTERVAL)
    limit = app.config["LINKHUB"]["LINK_CACHE_WARM"]
    if limit > 0:
        threading.Thread(target=_warm_link_cache, args=(app, limit), daemon=True,
                         name="linkhub-link-cache-warm").start()


def _warm_link_cache(app, limit: int) -> None:
    """Compile the busiest links into the redirect cache in the background, then freeze what
    that created too (it lives as long as the process, like the start-up objects)."""
    from linkhub.db import database

    started = time.monotonic()
    try:
        loaded = app.extensions["linkhub.redirect"].resolver.warm(limit)
    except Exception:  # a cold cache only costs a read per first visit
        logging.getLogger(__name__).exception("warming the link cache failed")
        return
    finally:
        database.close()
    gc.freeze()
    click.echo(f"Link cache: {loaded} links warmed in {time.monotonic() - started:.1f}s")


@main.command()
@data_dir_option
@click.option("--email", required=True, help="The first user's e-mail address.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="The first user's password (prompted when omitted).")
@click.option("--name", default="", help="The user's display name.")
@click.option("--workspace", "workspace_name", default=None,
              help="Name of the workspace to create (default: \"<name>'s workspace\").")
@json_option
def init(data_dir: str | None, email: str, password: str, name: str,
         workspace_name: str | None, as_json: bool) -> None:
    """Create the first user, a workspace they own and an all-scope API key."""
    from linkhub.services.accounts import create_user
    from linkhub.services.api_keys import create_api_key
    from linkhub.services.workspaces import create_workspace

    with service_context(data_dir) as app:
        with db.database.atomic():
            user = create_user(email, password, name)
            owner = user.name or user.email.split("@")[0]
            workspace = create_workspace(user, workspace_name or f"{owner}'s workspace")
            key, raw = create_api_key(workspace, user, "CLI key", ["*"])
        base_url = app.config["LINKHUB"]["BASE_URL"]
    _emit(as_json, {"userId": user.public_id, "workspaceId": workspace.public_id,
                    "apiKey": raw},
          [f"Created user {user.email} ({user.public_id})",
           f"Created workspace \"{workspace.name}\" ({workspace.public_id}), owned by them",
           f"API key {key.public_id} with every scope (shown once, keep it): {raw}",
           f"Next: linkhub serve, then sign in at {base_url}/app"])


def _find_workspace(public_id: str) -> Any:
    from linkhub.models import Workspace

    found = None
    if ids.is_valid("workspace", public_id):
        found = Workspace.get_or_none(Workspace.public_id == public_id)
    if found is None:
        raise _fail(f"workspace {public_id} not found")
    return found


@main.command("create-user")
@data_dir_option
@click.option("--email", required=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted when omitted.")
@click.option("--name", default="")
@click.option("--workspace", "workspace_id", default=None,
              help="Add the user to this workspace (ws_…).")
@click.option("--role", type=click.Choice(["owner", "admin", "editor", "viewer"]),
              default=None, help="Role in --workspace (default editor).")
@json_option
def create_user_cmd(data_dir: str | None, email: str, password: str, name: str,
                    workspace_id: str | None, role: str | None, as_json: bool) -> None:
    """Create a user, optionally as a member of a workspace."""
    from linkhub.services.accounts import create_user
    from linkhub.services.workspaces import add_member

    if role and not workspace_id:
        raise click.UsageError("--role needs --workspace")
    with service_context(data_dir):
        with db.database.atomic():
            workspace = _find_workspace(workspace_id) if workspace_id else None
            user = create_user(email, password, name)
            member = add_member(workspace, user, role or "editor") if workspace else None
    payload = {"userId": user.public_id}
    lines = [f"Created user {user.email} ({user.public_id})"]
    if member is not None:
        payload["memberId"] = member.public_id
        lines.append(f"Member {member.public_id} of {workspace.public_id} as {member.role}")
    _emit(as_json, payload, lines)


@main.command("create-api-key")
@data_dir_option
@click.option("--workspace", "workspace_id", required=True, help="The key's workspace (ws_…).")
@click.option("--name", required=True, help="A name to recognise the key by.")
@click.option("--scopes", default="*", show_default=True,
              help="Comma-separated scopes, or * for all.")
@json_option
def create_api_key_cmd(data_dir: str | None, workspace_id: str, name: str, scopes: str,
                       as_json: bool) -> None:
    """Create an API key (no creator user: it acts with an owner's reach)."""
    from linkhub.services.api_keys import create_api_key

    wanted = [s.strip() for s in scopes.split(",") if s.strip()]
    with service_context(data_dir):
        with db.database.atomic():
            key, raw = create_api_key(_find_workspace(workspace_id), None, name, wanted)
    _emit(as_json, {"id": key.public_id, "key": raw, "workspaceId": workspace_id,
                    "scopes": list(key.scopes)},
          [f"API key {key.public_id} for {workspace_id} ({', '.join(key.scopes)})",
           f"Key (shown once, keep it): {raw}"])


@main.command()
@data_dir_option
@click.argument("action", type=click.Choice(["up", "status"]), default="up")
def migrate(data_dir: str | None, action: str) -> None:
    """Apply pending migrations (up, the default) or list them (status)."""
    with service_context(data_dir, migrate=False) as app:
        database = app.extensions["linkhub.db"]
        if action == "status":
            for name, done in migrations.status(database):
                click.echo(f"{name}  {'applied' if done else 'pending'}")
            return
        ran = migrations.migrate_up(database)
    for name in ran:
        click.echo(f"Applied {name}")
    if not ran:
        click.echo("Nothing to apply: the database is up to date.")


@main.command()
@data_dir_option
@click.option("--to", "target", type=click.Path(dir_okay=False), default=None,
              help="Backup file (default <data dir>/backups/linkhub-<UTC time>.sqlite3).")
def backup(data_dir: str | None, target: str | None) -> None:
    """Copy the database with SQLite's online backup API (safe while the server runs)."""
    from linkhub import backup as backups

    settings = _settings(data_dir)
    try:
        written = backups.backup(settings["DATA_DIR"], target)
    except BackupError as exc:
        raise _fail(str(exc)) from None
    click.echo(str(written))


@main.group()
def jobs() -> None:
    """Background jobs (the scheduler runs them inside `linkhub serve`)."""


@jobs.command("list")
@data_dir_option
def jobs_list(data_dir: str | None) -> None:
    """List the jobs and their schedules."""
    from linkhub.jobs import JOBS

    for job in JOBS:
        click.echo(f"{job.name}\t{job.describe_schedule()}\t{job.help}")


@jobs.command("run")
@data_dir_option
@click.argument("name")
def jobs_run(data_dir: str | None, name: str) -> None:
    """Run one job now and print its result."""
    from linkhub.jobs import JOBS, by_name, run

    job = by_name(name)
    if job is None:
        raise _fail(f"no job named {name!r}; jobs: {', '.join(j.name for j in JOBS)}")
    with service_context(data_dir):
        result = run(job)
    click.echo(json.dumps({"job": job.name, "result": result}))


@main.command()
@data_dir_option
@click.option("--current", is_flag=True, help="Show the resolved values instead of the table.")
def settings(data_dir: str | None, current: bool) -> None:
    """Print the settings table (Markdown, as in the README) or the values in force."""
    if not current:
        click.echo(config.markdown_table())
        return
    for name, value in _settings(data_dir).items():
        shown = "********" if value and name in config.SECRET_SETTINGS else value
        click.echo(f"{config.BY_NAME[name].env}={shown}")


if __name__ == "__main__":
    main(prog_name="linkhub")

"""Shared fixtures: a fresh data dir per test (database built once by the real migrations and
copied), the personas alice (owner), bob (editor in alice's workspace) and charlie (outsider),
each with an all-scope API key, and factories for more."""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import argon2
import pytest

from linkhub import clock, db, migrations
from linkhub.app import create_app
from linkhub.models import User, Workspace
from linkhub.services import passwords

PASSWORD = "correct-horse-battery"

# argon2's cheapest profile keeps the suite fast; tests/services/test_passwords.py checks the
# production parameters separately.
passwords._hasher = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)


@dataclass
class Persona:
    name: str
    email: str
    password: str
    user_id: str
    workspace_id: str
    api_key: str
    role: str

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-Key": self.api_key}

    @property
    def user(self) -> User:
        return User.get(User.public_id == self.user_id)

    @property
    def workspace(self) -> Workspace:
        return Workspace.get(Workspace.public_id == self.workspace_id)


def _build_template(base: Path) -> dict[str, Persona]:
    from linkhub.services.accounts import create_user
    from linkhub.services.api_keys import create_api_key
    from linkhub.services.workspaces import add_member, create_workspace

    app = create_app({"DATA_DIR": str(base), "RATE_LIMIT_ENABLED": False})
    database = app.extensions["linkhub.db"]
    migrations.migrate_up(database)
    people: dict[str, Persona] = {}
    with app.app_context(), app.test_request_context():
        alice = create_user("alice@example.com", PASSWORD, "Alice Owner")
        alice_ws = create_workspace(alice, "Alice Co")
        bob = create_user("bob@example.com", PASSWORD, "Bob Editor")
        add_member(alice_ws, bob, "editor")
        bob.default_workspace = alice_ws
        bob.save()
        charlie = create_user("charlie@example.com", PASSWORD, "Charlie Outsider")
        charlie_ws = create_workspace(charlie, "Charlie Ltd")
        for person, ws, role in ((alice, alice_ws, "owner"), (bob, alice_ws, "editor"),
                                 (charlie, charlie_ws, "owner")):
            _, raw = create_api_key(ws, person, f"{person.name} key", ["*"])
            key = person.email.split("@")[0]
            people[key] = Persona(key, person.email, PASSWORD, person.public_id, ws.public_id,
                                  raw, role)
    database.close()
    return people


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory) -> tuple[Path, dict[str, Persona]]:
    base = tmp_path_factory.mktemp("template") / "data"
    people = _build_template(base)
    return base, people


@pytest.fixture
def data_dir(template_dir, tmp_path) -> Path:
    base, _ = template_dir
    target = tmp_path / "data"
    target.mkdir()
    for name in (db.DB_FILENAME, "secrets.json"):
        shutil.copy2(base / name, target / name)
    return target


@pytest.fixture
def settings_overrides() -> dict:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def app(data_dir, settings_overrides):
    clock.reset()
    # FX_RATES_URL "": no test reaches the ECB (a test points it at a local server instead)
    application = create_app({"DATA_DIR": str(data_dir), "FX_RATES_URL": "",
                              **settings_overrides})
    application.config["TESTING"] = True
    yield application
    application.extensions["linkhub.db"].close()
    clock.reset()


@pytest.fixture
def client(app):
    """The test client, kept open so a test can read `flask.g`/session state after a request
    (other clients made in the same test share that context: prefer `session(app, email)`)."""
    with app.test_client() as test_client:
        yield test_client


@pytest.fixture
def ctx(app):
    """An app + request context for calling services directly."""
    with app.app_context(), app.test_request_context():
        app.extensions["linkhub.db"].connect(reuse_if_open=True)
        yield


@pytest.fixture
def personas(template_dir) -> dict[str, Persona]:
    return template_dir[1]


@pytest.fixture
def alice(personas) -> Persona:
    return personas["alice"]


@pytest.fixture
def bob(personas) -> Persona:
    return personas["bob"]


@pytest.fixture
def charlie(personas) -> Persona:
    return personas["charlie"]


def db_snapshot(app) -> dict[str, int]:
    """Row counts of every table, to prove a rejected request changed nothing."""
    database = app.extensions["linkhub.db"]
    tables = [r[0] for r in database.execute_sql(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
    return {t: database.execute_sql(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in tables}


def login(client, email: str, password: str = PASSWORD) -> str:
    """Sign in through the API; returns the session's CSRF token."""
    response = client.post("/api/auth/sign-in/email", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return response.get_json()["data"]["csrfToken"]



@pytest.fixture
def live_server(app):
    """The test's app served by waitress on a free loopback port, in a thread, built like
    `linkhub serve` builds it (proxy headers left for clientip.py to judge)."""
    from waitress import wasyncore
    from waitress.channel import HTTPChannel

    from linkhub.lifecycle import make_server

    server = make_server(app, "127.0.0.1", 0, 4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.effective_port}"
    yield server
    # Let the workers finish what they are answering, then close every socket from the loop's
    # own thread (closing them from here races the select loop: "Bad file descriptor").
    server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    def close_everything():
        for channel in list(server._map.values()):
            if isinstance(channel, HTTPChannel):  # also closes its spooled output buffers
                channel.handle_close()
        wasyncore.close_all(server._map)

    server.trigger.pull_trigger(close_everything)
    thread.join(timeout=5)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never a downloaded browser)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    context.close()


def session(app, email: str, password: str = PASSWORD):
    """A fresh test client signed in as `email`, sending its CSRF token on every request."""
    signed_in = app.test_client()
    signed_in.environ_base["HTTP_X_CSRF_TOKEN"] = login(signed_in, email, password)
    return signed_in

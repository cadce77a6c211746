"""`pip install .` ships everything: the wheel holds every package, template, static file and
migration plus the console script, and an app imported from the unpacked wheel (not the
checkout) finds its templates and static files inside the package. The checkout's
`python linkhub.py` shim works too."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TOP_SKIP = {".git", "build", "dist", "linkhub-data", ".hypothesis", ".benchmarks",
            ".ruff_cache", ".pytest_cache", ".venv", "tests", "node_modules"}


def _skip(folder: str, entries: list[str]) -> set[str]:
    top = Path(folder) == ROOT
    return {e for e in entries
            if e == "__pycache__" or e.endswith(".egg-info") or (top and e in TOP_SKIP)}


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if not k.startswith("LINKHUB_") and k != "PYTHONPATH"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Built once from a copy of the checkout, so the build never writes into the tree."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=_skip)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(base / "dist"), str(source)],
        capture_output=True, text=True, env=_env(), timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = (base / "dist").glob("linkhub-*.whl")
    return built


@pytest.fixture(scope="module")
def names(wheel) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def _expected_data(folder: str) -> set[str]:
    top = ROOT / folder
    return {f"linkhub/{folder}/{p.relative_to(top).as_posix()}" for p in top.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.parametrize("path", [
    "linkhub/templates/base.html",
    "linkhub/templates/dashboard/layout.html",
    "linkhub/static/app.css",
    "linkhub/migrations/0001_accounts_workspaces.py",
    "linkhub/cli.py",
])
def test_the_wheel_holds(names, path):
    assert path in names


def test_every_template_and_static_file_is_in_the_wheel(names):
    for folder in ("templates", "static"):
        expected = _expected_data(folder)
        assert expected, folder
        assert expected - names == set(), f"{folder}/ files missing from the wheel"


def test_every_migration_is_in_the_wheel(names):
    for path in (ROOT / "linkhub" / "migrations").glob("[0-9][0-9][0-9][0-9]_*.py"):
        assert f"linkhub/migrations/{path.name}" in names


def test_every_package_of_the_checkout_is_in_the_wheel(names):
    found = {p.parent.relative_to(ROOT).as_posix()
             for p in (ROOT / "linkhub").rglob("__init__.py") if "__pycache__" not in p.parts}
    assert found
    missing = {package for package in found if f"{package}/__init__.py" not in names}
    assert missing == set(), "setup.py's package discovery missed these"
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "linkhub").rglob("*.py")
               if "__pycache__" not in p.parts}
    assert modules - names == set()


def test_the_console_script_and_no_stray_top_level_modules(wheel, names):
    with zipfile.ZipFile(wheel) as archive:
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(entry_points).decode()
    assert "[console_scripts]" in text
    assert "linkhub = linkhub.cli:main" in text
    assert {n.split("/")[0] for n in names if "/" in n} <= {
        "linkhub", next(n.split("/")[0] for n in names if ".dist-info/" in n)}
    assert "linkhub.py" not in names and not any(n.startswith("tests/") for n in names)


def test_the_unpacked_wheel_serves_its_own_templates_and_static_files(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(site)
    script = textwrap.dedent(f"""
        import json, sys
        import linkhub, linkhub.app
        from linkhub import migrations
        app = linkhub.app.create_app({{"DATA_DIR": {str(tmp_path / "data")!r}}})
        migrations.migrate_up(app.extensions["linkhub.db"])
        client = app.test_client()
        css = client.get("/static/app.css")
        missing = client.get("/no/such/page/here")
        print(json.dumps({{
            "package": linkhub.__file__,
            "templates": app.template_folder, "static": app.static_folder,
            "css": css.status_code, "missing": missing.status_code,
            "html": "<html" in missing.get_data(as_text=True).lower(),
        }}))
        css.close()
        app.extensions["linkhub.db"].close()
    """)
    env = _env()
    env["PYTHONPATH"] = str(site)
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["package"].startswith(str(site))
    assert seen["templates"] == str(site / "linkhub" / "templates")
    assert seen["static"] == str(site / "linkhub" / "static")
    assert seen["css"] == 200
    assert seen["missing"] == 404 and seen["html"]


def test_the_checkout_shim_runs_the_cli():
    done = subprocess.run([sys.executable, "linkhub.py", "--help"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "Usage: linkhub" in done.stdout
    for command in ("serve", "init", "create-user", "create-api-key", "migrate", "backup",
                    "jobs"):
        assert command in done.stdout


def test_python_dash_m_runs_the_cli():
    done = subprocess.run([sys.executable, "-m", "linkhub.cli", "--version"], cwd=ROOT,
                          env=_env(), capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    assert "linkhub" in done.stdout

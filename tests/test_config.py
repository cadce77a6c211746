"""The settings registry: README's table matches it, sources apply in the documented order,
bad values are clear errors, and config.py is the only reader of the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from linkhub import config

ROOT = Path(__file__).resolve().parent.parent
ROW_RE = re.compile(r"^\|\s*(\w+)\s*\|\s*`(LINKHUB_\w+)`\s*\|\s*(.*?)\s*\|(.*)\|\s*$")


def readme_rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        match = ROW_RE.match(line)
        if match:
            name, env, default, _help = match.groups()
            assert name not in rows, f"{name} appears twice in README's settings table"
            rows[name] = (env, default)
    return rows


def test_readme_settings_table_matches_the_registry():
    rows = readme_rows()
    registry = {s.name for s in config.SETTINGS}
    hint = "regenerate README's table: make readme-settings"
    assert set(rows) - registry == set(), f"README lists unknown settings; {hint}"
    assert registry - set(rows) == set(), f"README misses settings; {hint}"
    for setting in config.SETTINGS:
        env, default = rows[setting.name]
        assert env == setting.env
        shown = config.format_default(setting)
        assert default == (f"`{shown}`" if shown else "(empty)"), (setting.name, hint)


def test_readme_contains_the_generated_table():
    assert config.markdown_table() in (ROOT / "README.md").read_text()


def test_every_default_parses_to_itself():
    for setting in config.SETTINGS:
        assert setting.parse(setting.default) == setting.default, setting.name


def test_defaults(tmp_path):
    settings = config.load({"DATA_DIR": str(tmp_path)}, environ={})
    assert settings["PORT"] == 8080 and settings["HOST"] == "127.0.0.1"
    assert settings["BASE_URL"] == "http://127.0.0.1:8080"
    assert settings["DATA_DIR"] == str(tmp_path.resolve())
    assert set(settings) == {s.name for s in config.SETTINGS}


def test_the_data_dir_defaults_to_linkhub_data_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert config.load(environ={})["DATA_DIR"] == str(tmp_path / "linkhub-data")


def test_precedence_defaults_file_config_env_overrides(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "linkhub.toml").write_text(
        'port = 1001\nthreads = 2\nLINKHUB_SESSION_DAYS = 7\nlog_level = "debug"\n')
    other = tmp_path / "other.toml"
    other.write_text("PORT = 1002\nTHREADS = 3\nrate_limit_enabled = false\n")
    overrides = {"DATA_DIR": str(data_dir)}

    settings = config.load(overrides, environ={})
    assert (settings["PORT"], settings["THREADS"], settings["SESSION_DAYS"]) == (1001, 2, 7)
    assert settings["LOG_LEVEL"] == "DEBUG" and settings["RATE_LIMIT_ENABLED"] is True

    env = {"LINKHUB_CONFIG": str(other)}
    settings = config.load(overrides, environ=env)
    assert (settings["PORT"], settings["THREADS"], settings["SESSION_DAYS"]) == (1002, 3, 7)
    assert settings["RATE_LIMIT_ENABLED"] is False

    env["LINKHUB_PORT"] = "1003"
    settings = config.load(overrides, environ=env)
    assert (settings["PORT"], settings["THREADS"]) == (1003, 3)

    settings = config.load({**overrides, "port": 1004, "threads": None}, environ=env)
    assert (settings["PORT"], settings["THREADS"]) == (1004, 3)  # None means "not given"
    assert settings["BASE_URL"] == "http://127.0.0.1:1004"


def test_the_config_file_may_name_the_data_dir(tmp_path):
    data_dir = tmp_path / "elsewhere"
    data_dir.mkdir()
    (data_dir / "linkhub.toml").write_text("session_days = 3\n")
    cfg = tmp_path / "linkhub.toml"
    cfg.write_text(f'data_dir = "{data_dir}"\n')
    settings = config.load(environ={"LINKHUB_CONFIG": str(cfg)})
    assert settings["DATA_DIR"] == str(data_dir.resolve()) and settings["SESSION_DAYS"] == 3


def test_base_url_is_kept_when_given_and_loses_its_trailing_slash(tmp_path):
    settings = config.load({"DATA_DIR": str(tmp_path)},
                           environ={"LINKHUB_BASE_URL": "https://go.example.com/"})
    assert settings["BASE_URL"] == "https://go.example.com"
    wildcard = config.load({"DATA_DIR": str(tmp_path), "HOST": "0.0.0.0", "PORT": 80},
                           environ={})
    assert wildcard["BASE_URL"] == "http://127.0.0.1:80"


@pytest.mark.parametrize(("env", "needle"), [
    ({"LINKHUB_PORT": "abc"}, "LINKHUB_PORT"),
    ({"LINKHUB_PORT": "70000"}, "LINKHUB_PORT"),
    ({"LINKHUB_THREADS": "0"}, "LINKHUB_THREADS"),
    ({"LINKHUB_OPEN_SIGNUP": "maybe"}, "LINKHUB_OPEN_SIGNUP"),
    ({"LINKHUB_SECURE_COOKIES": "sometimes"}, "LINKHUB_SECURE_COOKIES"),
    ({"LINKHUB_LOG_LEVEL": "chatty"}, "LINKHUB_LOG_LEVEL"),
    ({"LINKHUB_CONFIG": "/nonexistent/linkhub.toml"}, "does not exist"),
])
def test_bad_values_are_clear_errors(tmp_path, env, needle):
    with pytest.raises(config.ConfigError, match=re.escape(needle)):
        config.load({"DATA_DIR": str(tmp_path)}, environ=env)


def test_bad_config_files_are_clear_errors(tmp_path):
    (tmp_path / "linkhub.toml").write_text("no_such_setting = 1\n")
    with pytest.raises(config.ConfigError, match="no_such_setting"):
        config.load({"DATA_DIR": str(tmp_path)}, environ={})
    (tmp_path / "linkhub.toml").write_text("port = [\n")
    with pytest.raises(config.ConfigError, match="linkhub.toml"):
        config.load({"DATA_DIR": str(tmp_path)}, environ={})
    (tmp_path / "linkhub.toml").write_text('data_dir = "/somewhere/else"\n')
    with pytest.raises(config.ConfigError, match="data_dir"):
        config.load({"DATA_DIR": str(tmp_path)}, environ={})


def test_unknown_overrides_are_refused(tmp_path):
    with pytest.raises(config.ConfigError, match="NOT_A_SETTING"):
        config.load({"DATA_DIR": str(tmp_path), "not_a_setting": 1}, environ={})


def test_booleans_and_lists_from_the_environment(tmp_path):
    settings = config.load({"DATA_DIR": str(tmp_path)}, environ={
        "LINKHUB_OPEN_SIGNUP": "on", "LINKHUB_SCHEDULER": "0",
        "LINKHUB_TRUSTED_PROXIES": " 10.0.0.1, 10.0.0.0/8 ,,"})
    assert settings["OPEN_SIGNUP"] is True and settings["SCHEDULER"] is False
    assert settings["TRUSTED_PROXIES"] == ["10.0.0.1", "10.0.0.0/8"]


def test_only_config_reads_the_environment():
    offenders = []
    pattern = re.compile(r"\bos\.(environ|getenv|putenv)\b|\bgetenv\(|from os import .*environ")
    for path in sorted((ROOT / "linkhub").rglob("*.py")):
        if path.name == "config.py" and path.parent.name == "linkhub":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if pattern.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == [], "only linkhub/config.py may read os.environ"

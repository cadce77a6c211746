"""The settings registry: every setting's name, default, type and help, and the one reader of
os.environ. Order: defaults < config file (<data dir>/linkhub.toml or LINKHUB_CONFIG) <
LINKHUB_* environment < explicit overrides (CLI flags, create_app(overrides))."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

TRUE_WORDS = {"1", "true", "on", "yes"}
FALSE_WORDS = {"0", "false", "off", "no", ""}


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE_WORDS:
        return True
    if text in FALSE_WORDS:
        return False
    raise ValueError(f"expected one of {sorted(TRUE_WORDS | FALSE_WORDS - {''})}, got {value!r}")


def _int(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("expected an integer")
    return int(value)


def _str(value: Any) -> str:
    return str(value)


def _list(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in str(value).split(",") if part.strip()]


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[Any], Any]
    help: str

    @property
    def env(self) -> str:
        return f"LINKHUB_{self.name}"


SETTINGS: tuple[Setting, ...] = (
    Setting("DATA_DIR", "./linkhub-data", _str,
            "Folder holding the SQLite file, secrets, exports and backups."),
    Setting("CONFIG", "", _str,
            "Path of a TOML config file (default: <data dir>/linkhub.toml when it exists)."),
    Setting("BASE_URL", "http://127.0.0.1:8080", _str,
            "Public URL of this install; its host is the default short domain."),
    Setting("HOST", "127.0.0.1", _str, "Address `linkhub serve` listens on."),
    Setting("PORT", 8080, _int, "Port `linkhub serve` listens on."),
    Setting("THREADS", 8, _int, "waitress worker threads."),
    Setting("LOG_LEVEL", "INFO", _str, "Python logging level."),
    Setting("OPEN_SIGNUP", False, _bool,
            "Allow sign-up after the first user exists (otherwise only with an invitation)."),
    Setting("REQUIRE_EMAIL_VERIFICATION", False, _bool,
            "Refuse sign-in until the e-mail address is verified."),
    Setting("MAX_BODY_BYTES", 1_048_576, _int,
            "Largest accepted request body in bytes; larger bodies get 413 PAYLOAD_TOO_LARGE."),
    Setting("RATE_LIMIT_API", "1200/minute", _str, "Requests per API key (or session user)."),
    Setting("RATE_LIMIT_ANONYMOUS", "120/minute", _str, "Anonymous API requests per IP."),
    Setting("RATE_LIMIT_LOGIN", "10/minute", _str,
            "Sign-in, sign-up and password-reset attempts per IP and e-mail."),
    Setting("RATE_LIMIT_INVITES", "30/hour", _str, "Invitations sent per user."),
    Setting("RATE_LIMIT_ENABLED", True, _bool, "Turn API rate limiting on or off."),
    Setting("LOGIN_LOCKOUT_FAILURES", 5, _int,
            "Consecutive failed sign-ins that lock an account for LOGIN_LOCKOUT_MINUTES."),
    Setting("LOGIN_LOCKOUT_MINUTES", 15, _int, "How long a locked account stays locked."),
    Setting("SESSION_DAYS", 30, _int, "Lifetime of a dashboard session."),
    Setting("SECURE_COOKIES", "auto", _str,
            "`auto` (Secure when BASE_URL is https), `on` or `off`."),
    Setting("TRUSTED_PROXIES", [], _list,
            "Comma-separated proxy IPs whose X-Forwarded-For is believed."),
    Setting("SMTP_HOST", "", _str, "SMTP server; empty means e-mails are only logged."),
    Setting("SMTP_PORT", 587, _int, "SMTP port."),
    Setting("SMTP_USERNAME", "", _str, "SMTP user name (optional)."),
    Setting("SMTP_PASSWORD", "", _str, "SMTP password (optional)."),
    Setting("SMTP_STARTTLS", True, _bool, "Use STARTTLS when the server offers it."),
    Setting("SMTP_FROM", "linkhub <no-reply@localhost>", _str, "From address of outgoing mail."),
    Setting("SCHEDULER", True, _bool, "Run background jobs inside `linkhub serve`."),
)

BY_NAME = {s.name: s for s in SETTINGS}


class ConfigError(ValueError):
    """A setting has a value that cannot be parsed."""


def _env_source(environ: dict[str, str]) -> dict[str, Any]:
    return {s.name: environ[s.env] for s in SETTINGS if s.env in environ}


def _file_source(path: Path) -> dict[str, Any]:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.upper().removeprefix("LINKHUB_")
        if name not in BY_NAME:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        out[name] = value
    return out


def load(overrides: dict[str, Any] | None = None,
         environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Resolve every setting. Keys of `overrides` are setting names (any case)."""
    environ = dict(os.environ) if environ is None else environ
    overrides = {k.upper(): v for k, v in (overrides or {}).items() if v is not None}
    unknown = set(overrides) - set(BY_NAME)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    env = _env_source(environ)
    pre = {**env, **overrides}
    data_dir = Path(str(pre.get("DATA_DIR", BY_NAME["DATA_DIR"].default))).expanduser()
    config_path = str(pre.get("CONFIG") or "")
    file_values: dict[str, Any] = {}
    if config_path:
        file_values = _file_source(Path(config_path).expanduser())
    elif (data_dir / "linkhub.toml").is_file():
        file_values = _file_source(data_dir / "linkhub.toml")
    merged: dict[str, Any] = {}
    for s in SETTINGS:
        raw = s.default
        for source in (file_values, env, overrides):
            if s.name in source:
                raw = source[s.name]
        try:
            merged[s.name] = s.parse(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{s.env}: {exc}") from None
    merged["DATA_DIR"] = str(Path(merged["DATA_DIR"]).expanduser().resolve())
    merged["BASE_URL"] = merged["BASE_URL"].rstrip("/")
    return merged

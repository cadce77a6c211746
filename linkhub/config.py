"""The settings registry: every setting's name, default, type and help, and the one reader of
os.environ. Order: defaults < config file (<data dir>/linkhub.toml or LINKHUB_CONFIG) <
LINKHUB_* environment < explicit overrides (CLI flags, create_app(overrides))."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


def _port(value: Any) -> int:
    port = _int(value)
    if not 0 <= port <= 65535:
        raise ValueError(f"expected a port number 0-65535, got {port}")
    return port


def _positive(value: Any) -> int:
    number = _int(value)
    if number < 1:
        raise ValueError(f"expected a whole number of at least 1, got {number}")
    return number


def _choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        text = str(value).strip()
        if text.lower() not in options:
            raise ValueError(f"expected one of {', '.join(options)}, got {value!r}")
        return text.lower()
    return parse


def _log_level(value: Any) -> str:
    text = str(value).strip().upper()
    if text not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ValueError(f"expected DEBUG, INFO, WARNING, ERROR or CRITICAL, got {value!r}")
    return text


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
    Setting("BASE_URL", "", _str,
            "Public URL of this install; its host is the default short domain. "
            "Empty: http://HOST:PORT."),
    Setting("HOST", "127.0.0.1", _str, "Address `linkhub serve` listens on."),
    Setting("PORT", 8080, _port, "Port `linkhub serve` listens on."),
    Setting("THREADS", 8, _positive, "waitress worker threads."),
    Setting("LOG_LEVEL", "INFO", _log_level, "Python logging level."),
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
    Setting("RATE_LIMIT_LINK_PASSWORD", "10/minute", _str,
            "Password tries on a protected link per IP and link."),
    Setting("LOGIN_LOCKOUT_FAILURES", 5, _int,
            "Consecutive failed sign-ins that lock an account for LOGIN_LOCKOUT_MINUTES."),
    Setting("LOGIN_LOCKOUT_MINUTES", 15, _int, "How long a locked account stays locked."),
    Setting("SESSION_DAYS", 30, _int, "Lifetime of a dashboard session."),
    Setting("SECURE_COOKIES", "auto", _choice("auto", "on", "off"),
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
    Setting("DESTINATION_BLOCKLIST", [], _list,
            "Comma-separated domains links may not point to (subdomains included)."),
    Setting("GEOIP_CITY_DB", "", _str,
            "Optional MaxMind-format city .mmdb path: adds region, city and time zone facts."),
    Setting("ANONYMIZE_IP", True, _bool,
            "Store clicks with a truncated IP (IPv4 /24, IPv6 /48) and a keyed hash, "
            "not the full address."),
    Setting("CLICK_BUFFER_SIZE", 50_000, _int,
            "Click events held in memory before new ones are dropped (and counted)."),
    Setting("CLICK_FLUSH_SECONDS", 1.0, float,
            "How often the click writer flushes the buffer to SQLite (at most)."),
    Setting("CLICK_WRITER_CACHE_MB", 256, _int,
            "SQLite page cache of the click writer's connection, in MB (the indexes it "
            "updates stay in memory; used only as they fill, so a small database never "
            "reaches it)."),
    Setting("QR_LIMIT_PER_LINK", 50, _int,
            "Most QR codes one link may have (403 LIMIT_EXCEEDED beyond); 0 means no limit."),
    Setting("REDIRECT_INLINE", True, _bool,
            "`serve` answers redirects on waitress's I/O thread instead of handing each to a "
            "worker thread (the API and dashboard always use the workers)."),
    Setting("LINK_CACHE_WARM", 10_000, int,
            "Links `serve` compiles into the redirect cache at start-up, most recently "
            "clicked first (0: none; each link then costs one read on its first visit)."),
    Setting("FX_RATES_URL", "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml",
            _str, "ECB-format reference rates XML fetched daily by the `fx-refresh` job "
            "(empty: no refresh; the shipped snapshot and stored rates are used)."),
    Setting("IMPORT_MAX_BYTES", 52_428_800, _positive,
            "Largest CSV or JSON import upload in bytes (50 MB); larger uploads get 413."),
    Setting("IMPORT_ALLOW_PRIVATE", False, _bool,
            "Let provider imports call private, loopback and link-local addresses "
            "(off: refused; tests point the provider URLs at a local server)."),
    Setting("IMPORT_BITLY_URL", "https://api-ssl.bitly.com", _str,
            "Bitly API base URL used by Bitly imports (v4 API and OAuth token exchange)."),
    Setting("IMPORT_BITLY_CLIENT_ID", "", _str,
            "Bitly OAuth app client id (empty: Bitly imports take an access token only)."),
    Setting("IMPORT_BITLY_CLIENT_SECRET", "", _str, "Bitly OAuth app client secret."),
    Setting("IMPORT_REBRANDLY_URL", "https://api.rebrandly.com", _str,
            "Rebrandly API base URL used by Rebrandly imports."),
    Setting("IMPORT_SHORTIO_URL", "https://api.short.io", _str,
            "Short.io API base URL used by Short.io imports."),
    Setting("WEBHOOK_ALLOW_PRIVATE", False, _bool,
            "Let webhooks and outbound destinations target private, loopback and link-local "
            "addresses (off: refused, checked again at every connection)."),
    Setting("WEBHOOK_TIMEOUT_SECONDS", 10, float,
            "Total time one webhook try may take (connecting at most 5 s of it)."),
    Setting("WEBHOOK_WORKERS", 4, _positive,
            "Webhook tries sent at once (one per endpoint; a hanging receiver holds one)."),
    Setting("METATAGS_ALLOW_PRIVATE", False, _bool,
            "Let /api/metatags fetch pages on private, loopback and link-local addresses "
            "(off: refused, redirects included)."),
    Setting("BULK_MAX_BYTES", 16_777_216, _positive,
            "Largest body of the asynchronous bulk link routes and the bulk page's upload "
            "(16 MB; up to 10,000 rows); larger bodies get 413."),
)

BY_NAME = {s.name: s for s in SETTINGS}

# Settings whose values are never printed (`linkhub settings --current` masks them).
SECRET_SETTINGS = frozenset({"SMTP_PASSWORD", "IMPORT_BITLY_CLIENT_SECRET"})


class ConfigError(ValueError):
    """A setting has a value that cannot be parsed, or a config file is unreadable."""


def _env_source(environ: dict[str, str]) -> dict[str, Any]:
    return {s.name: environ[s.env] for s in SETTINGS if s.env in environ}


def _file_source(path: Path, *, in_data_dir: bool = False) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"config file {path} does not exist") from None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"config file {path}: {exc}") from None
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.upper().removeprefix("LINKHUB_")
        if name not in BY_NAME:
            raise ConfigError(f"{path}: unknown setting {key!r}")
        if in_data_dir and name in ("DATA_DIR", "CONFIG"):
            raise ConfigError(f"{path}: {key} cannot be set inside the data directory's own file")
        out[name] = value
    return out


def derived_base_url(host: str, port: int) -> str:
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def load(overrides: dict[str, Any] | None = None,
         environ: dict[str, str] | None = None) -> dict[str, Any]:
    """Resolve every setting. Keys of `overrides` are setting names (any case); None values are
    ignored. Sources, lowest first: defaults, <data dir>/linkhub.toml, the LINKHUB_CONFIG file,
    LINKHUB_* environment variables, overrides."""
    environ = dict(os.environ) if environ is None else environ
    overrides = {k.upper(): v for k, v in (overrides or {}).items() if v is not None}
    unknown = set(overrides) - set(BY_NAME)
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    env = _env_source(environ)
    pre = {**env, **overrides}
    config_path = str(pre.get("CONFIG") or "")
    config_file = _file_source(Path(config_path).expanduser()) if config_path else {}
    data_dir = Path(str(pre.get("DATA_DIR") or config_file.get("DATA_DIR")
                        or BY_NAME["DATA_DIR"].default)).expanduser()
    local_path = data_dir / "linkhub.toml"
    local_file = _file_source(local_path, in_data_dir=True) if local_path.is_file() else {}
    merged: dict[str, Any] = {}
    for s in SETTINGS:
        raw = s.default
        for source in (local_file, config_file, env, overrides):
            if s.name in source:
                raw = source[s.name]
        try:
            merged[s.name] = s.parse(raw)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{s.env}: {exc}") from None
    merged["DATA_DIR"] = str(Path(merged["DATA_DIR"]).expanduser().resolve())
    if not merged["BASE_URL"].strip():
        merged["BASE_URL"] = derived_base_url(merged["HOST"], merged["PORT"])
    merged["BASE_URL"] = merged["BASE_URL"].strip().rstrip("/")
    return merged


def format_default(setting: Setting) -> str:
    """How a default is written in the README's settings table."""
    value = setting.default
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, (list, tuple)):
        return ",".join(value)
    return str(value)


def markdown_table() -> str:
    """The README's settings table, generated from the registry (`linkhub settings`)."""
    lines = ["| Setting | Environment variable | Default | What it does |",
             "|---|---|---|---|"]
    for s in SETTINGS:
        default = format_default(s)
        shown = f"`{default}`" if default else "(empty)"
        lines.append(f"| {s.name} | `{s.env}` | {shown} | {s.help.replace('|', '/')} |")
    return "\n".join(lines)

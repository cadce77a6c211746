"""create_app(overrides): config -> db -> extensions -> blueprints -> error handlers.
No side effects beyond opening the database: no scheduler, no threads, no migrations."""

from __future__ import annotations

import logging
import re
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from flask_wtf.csrf import CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge

from linkhub import auth, config, db, errors, idempotency, ratelimit, secretfile
from linkhub.clientip import client_ip
from linkhub.redirect import cache as link_cache

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
PACKAGE_DIR = Path(__file__).resolve().parent


def _asset_dir(name: str) -> str:
    """templates/ and static/ sit inside the package when installed, beside it in a checkout."""
    installed = PACKAGE_DIR / name
    return str(installed if installed.is_dir() else PACKAGE_DIR.parent / name)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    settings = config.load(overrides)
    app = Flask("linkhub", template_folder=_asset_dir("templates"),
                static_folder=_asset_dir("static"), static_url_path="/static")
    secrets = secretfile.load_or_create(settings["DATA_DIR"])
    secure = settings["SECURE_COOKIES"].lower()
    app.config.update(
        LINKHUB=settings,
        LINKHUB_SECRETS=secrets,
        SECRET_KEY=secrets["session_key"],
        MAX_CONTENT_LENGTH=settings["MAX_BODY_BYTES"],
        MAX_FORM_MEMORY_SIZE=settings["MAX_BODY_BYTES"],
        SESSION_COOKIE_NAME="linkhub_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=(secure == "on" or (secure == "auto" and
                                                  settings["BASE_URL"].startswith("https:"))),
        PERMANENT_SESSION_LIFETIME=timedelta(days=settings["SESSION_DAYS"]),
        WTF_CSRF_TIME_LIMIT=None,
        WTF_CSRF_HEADERS=["X-CSRF-Token", "X-CSRFToken"],
        JSON_SORT_KEYS=False,
    )
    app.json.sort_keys = False
    logging.getLogger("linkhub").setLevel(settings["LOG_LEVEL"].upper())

    database = db.open_database(db.db_path(settings["DATA_DIR"]))
    app.extensions["linkhub.db"] = database
    ratelimit.init_app(app)
    link_cache.init_app(app)
    csrf = CSRFProtect(app)

    _install_request_hooks(app)
    errors.register(app)

    from linkhub.api import api_bp
    from linkhub.dashboard import dashboard_bp
    from linkhub.pixel_fire import pixel_bp
    from linkhub.public import public_bp
    from linkhub.public_stats import public_stats_bp
    from linkhub.redirect.views import install as install_redirects
    from linkhub.wellknown import wellknown_bp

    app.register_blueprint(api_bp)
    # /api checks CSRF itself, only for session-authenticated writes. flask-wtf matches the
    # request's own (nested, "api.auth") blueprint, so every child is exempted, not just api_bp.
    for name, blueprint in app.blueprints.items():
        if name == "api" or name.startswith("api."):
            csrf.exempt(blueprint)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(wellknown_bp)
    app.register_blueprint(pixel_bp)
    csrf.exempt(pixel_bp)  # public beacons carry no session and no CSRF token
    app.register_blueprint(public_stats_bp)  # /s/<token>, /embed/<token> (GET only)
    install_redirects(app)
    from linkhub.redirect import clicks
    from linkhub.services import webhook_events

    clicks.for_app(app).writer.in_transaction.append(webhook_events.emit_clicks)  # the outbox
    return app


def _install_request_hooks(app: Flask) -> None:
    @app.before_request
    def _begin() -> Response | None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID_RE.fullmatch(incoming) else uuid.uuid4().hex
        g.client_ip = client_ip(request.environ, app.config["LINKHUB"]["TRUSTED_PROXIES"])
        if request.endpoint == "static":
            return None
        app.extensions["linkhub.db"].connect(reuse_if_open=True)
        # Upload views (imports) name the setting that raises their body limit.
        body_limit = getattr(app.view_functions.get(request.endpoint), "linkhub_body_limit", None)
        if body_limit:
            request.max_content_length = app.config["LINKHUB"][body_limit] + 65_536
        is_api = errors.wants_json()
        if is_api:
            g.rate_window = None
        try:
            auth.load_principal()
        except errors.ApiError:
            if is_api:  # a rejected credential still counts against the caller's IP
                ratelimit.check_api_request(auth.principal_key(),
                                            app.config["LINKHUB"]["RATE_LIMIT_ANONYMOUS"])
            raise
        if is_api:
            settings = app.config["LINKHUB"]
            rule = (settings["RATE_LIMIT_API"] if g.auth_via
                    else settings["RATE_LIMIT_ANONYMOUS"])
            ratelimit.check_api_request(auth.principal_key(), rule)
            if (request.content_length or 0) > request.max_content_length:
                raise RequestEntityTooLarge()  # before anything reads (or ignores) the body
            if request.url_rule is not None:
                auth.check_csrf()
                return idempotency.before()
        return None

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers["X-Request-Id"] = getattr(g, "request_id", None) or uuid.uuid4().hex
        if errors.wants_json():
            response = idempotency.after(response)
            response = ratelimit.add_headers(response)
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        if "dashboard" in request.blueprints:
            response.headers.setdefault("X-Frame-Options", "DENY")
            response.headers.setdefault("Cache-Control", "no-store")
        return response

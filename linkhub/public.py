"""Operational routes outside /api and /app: /health, /robots.txt, /favicon.ico."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from linkhub import __version__

public_bp = Blueprint("public", __name__)

@public_bp.get("/health")
def health() -> Response:
    database = current_app.extensions["linkhub.db"]
    database.execute_sql("SELECT 1")
    body = {"status": "ok", "version": __version__}
    # Figures contributed by other rooms (click-buffer drops, queue depth...).
    for probe in current_app.extensions.get("linkhub.health_probes", []):
        body.update(probe())
    return jsonify(body)


@public_bp.get("/robots.txt")
def robots() -> Response:
    return Response("User-agent: *\nDisallow: /\n", mimetype="text/plain")


@public_bp.get("/favicon.ico")
def favicon() -> Response:
    return current_app.send_static_file("favicon.svg")

"""Operational routes outside /api and /app: /health, /robots.txt, /favicon.ico."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from linkhub import __version__

public_bp = Blueprint("public", __name__)

# Extra health figures (click-buffer drops, queue depth...) are contributed by later modules.
HEALTH_PROBES: list = []


@public_bp.get("/health")
def health() -> Response:
    database = current_app.extensions["linkhub.db"]
    database.execute_sql("SELECT 1")
    body = {"status": "ok", "version": __version__}
    for probe in HEALTH_PROBES:
        body.update(probe())
    return jsonify(body)


@public_bp.get("/robots.txt")
def robots() -> Response:
    return Response("User-agent: *\nDisallow: /\n", mimetype="text/plain")


@public_bp.get("/favicon.ico")
def favicon() -> Response:
    return current_app.send_static_file("favicon.svg")

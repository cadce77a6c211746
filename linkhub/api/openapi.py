"""/api/openapi.json (the document openapi_doc.py builds) and the offline Swagger UI at /api/docs
(assets from the installed swagger-ui-bundle package)."""

from __future__ import annotations

import swagger_ui_bundle
from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    send_from_directory,
    url_for,
)

from linkhub import auth, errors
from linkhub.api.openapi_doc import TAG, document
from linkhub.api.spec import endpoint

bp = Blueprint("openapi", __name__)
ASSET_DIR = swagger_ui_bundle.swagger_ui_path
ASSET_MAX_AGE = 7 * 24 * 3600
ASSETS = frozenset(f"{name}{ext}" for ext in ("", ".map") for name in (
    "swagger-ui-bundle.js", "swagger-ui.css", "swagger-ui-standalone-preset.js")
) | {"favicon-16x16.png", "favicon-32x32.png"}


@bp.get("/openapi.json")
@endpoint("The OpenAPI 3.1 document of this API", tag=TAG, public=True,
          media_type="application/json")
def openapi_json() -> Response:
    """Generated from the routes and their request/response models; no authentication."""
    return jsonify(document(current_app))


@bp.get("/docs")
@endpoint("Browsable API documentation (Swagger UI, works offline)", tag=TAG, public=True,
          media_type="text/html")
def docs() -> str:
    """An HTML page that renders /api/openapi.json with the bundled Swagger UI."""
    signed_in = g.get("auth_via") == "session"
    return render_template("api_docs.html", spec_url=url_for(".openapi_json"),
                           csrf_token=auth.csrf_token() if signed_in else None)


@bp.get("/docs/assets/<path:filename>")
@endpoint("A Swagger UI asset shipped in the swagger-ui-bundle package", tag=TAG,
          public=True, media_type="application/octet-stream")
def docs_asset(filename: str) -> Response:
    """The Swagger UI scripts, stylesheet and icons; nothing is fetched from a CDN."""
    if filename not in ASSETS:
        raise errors.NotFound("No such documentation asset.")
    return send_from_directory(ASSET_DIR, filename, max_age=ASSET_MAX_AGE)

"""The JSON API under /api: one child blueprint per feature, all listed here."""

from flask import Blueprint

from linkhub.api import auth, openapi, settings, workspaces

api_bp = Blueprint("api", __name__, url_prefix="/api")

CHILDREN = (auth.bp, settings.bp, workspaces.bp, openapi.bp)

for child in CHILDREN:
    api_bp.register_blueprint(child)

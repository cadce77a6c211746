"""The JSON API under /api: one child blueprint per feature, all listed here."""

from flask import Blueprint

from linkhub.api import (
    auth,
    campaigns,
    domains,
    folders,
    links,
    openapi,
    rules,
    settings,
    tags,
    utm_templates,
    workspaces,
)

api_bp = Blueprint("api", __name__, url_prefix="/api")

CHILDREN = (
    auth.bp, settings.bp, workspaces.bp, links.bp, campaigns.bp, rules.bp, domains.bp,
    tags.bp, folders.bp, utm_templates.bp, openapi.bp,
)

for child in CHILDREN:
    api_bp.register_blueprint(child)

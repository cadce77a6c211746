"""The JSON API under /api: one child blueprint per feature, all listed here."""

from flask import Blueprint

from linkhub.api import (
    analytics,
    analytics_revenue,
    auth,
    campaigns,
    conversions,
    customers,
    domains,
    events,
    folders,
    fx,
    links,
    live,
    openapi,
    pixels,
    public_shares,
    qr,
    rules,
    settings,
    tags,
    track,
    tracking,
    utm_templates,
    workspaces,
)

api_bp = Blueprint("api", __name__, url_prefix="/api")

CHILDREN = (
    auth.bp, settings.bp, workspaces.bp, links.bp, campaigns.bp, rules.bp, domains.bp,
    tags.bp, folders.bp, utm_templates.bp, conversions.bp, pixels.bp,
    customers.bp, events.bp, tracking.bp, track.bp, analytics_revenue.bp, live.bp,
    qr.bp, analytics.bp, public_shares.bp, fx.bp,
    openapi.bp,
)

for child in CHILDREN:
    api_bp.register_blueprint(child)

"""The JSON API under /api: one child blueprint per feature, all listed here."""

from flask import Blueprint

from linkhub.api import (
    analytics,
    analytics_revenue,
    auth,
    bulk,
    campaigns,
    conversions,
    customers,
    domains,
    email_logs,
    events,
    exports,
    feedback,
    folders,
    fx,
    imports,
    inbound,
    integrations,
    link_webhooks,
    links,
    live,
    metatags,
    notifications,
    openapi,
    outbound,
    pixels,
    public_shares,
    qr,
    rules,
    search,
    settings,
    tags,
    track,
    tracking,
    utm_templates,
    webhooks,
    workspaces,
    wrapped,
    zapier,
)

api_bp = Blueprint("api", __name__, url_prefix="/api")

CHILDREN = (
    auth.bp, settings.bp, workspaces.bp, links.bp, campaigns.bp, rules.bp, domains.bp,
    tags.bp, folders.bp, utm_templates.bp, conversions.bp, pixels.bp,
    customers.bp, events.bp, tracking.bp, track.bp, analytics_revenue.bp, live.bp,
    qr.bp, analytics.bp, public_shares.bp, fx.bp,
    notifications.bp, feedback.bp, email_logs.bp, wrapped.bp,
    exports.bp, imports.bp,
    bulk.bp, search.bp,
    outbound.bp, zapier.bp, metatags.bp,
    integrations.bp, inbound.bp,
    webhooks.bp, link_webhooks.bp,
    openapi.bp,
)

for child in CHILDREN:
    api_bp.register_blueprint(child)

"""The server-rendered dashboard under /app: each feature's pages are a child blueprint listed
here. Pages bind a form, call the same services as the API, and render."""

from flask import Blueprint

from linkhub.dashboard import (
    accounts,
    analytics,
    api_keys,
    bulk,
    campaigns,
    conversions,
    customers,
    domains,
    email_logs,
    embeds,
    exports,
    feedback,
    home,
    imports,
    integrations,
    integrations_inbound,
    links,
    live,
    notifications,
    organize,
    pixels,
    qr_codes,
    rules,
    search,
    tracking,
    webhooks,
    workspaces,
    wrapped,
)

dashboard_bp = Blueprint("dashboard", __name__, url_prefix="/app")

CHILDREN = (home.bp, accounts.bp, workspaces.bp, links.bp, rules.bp, campaigns.bp, domains.bp,
            organize.bp, pixels.bp, qr_codes.bp, conversions.bp,
            customers.bp, tracking.bp, embeds.bp, analytics.bp, live.bp,
            notifications.bp, feedback.bp, email_logs.bp, wrapped.bp,
            webhooks.bp, bulk.bp, search.bp, integrations.bp, exports.bp,
            integrations_inbound.bp, imports.bp, api_keys.bp)

for child in CHILDREN:
    dashboard_bp.register_blueprint(child)


@dashboard_bp.app_context_processor
def _shell_context() -> dict:
    """What the layout needs: the signed-in user, their workspaces, the current one, the nav."""
    from flask import g

    from linkhub.services.workspaces import workspaces_of

    user = g.get("user") if g.get("auth_via") == "session" else None
    return {
        "current_user": user,
        "current_workspace": g.get("workspace") if user else None,
        "my_workspaces": workspaces_of(user) if user else [],
        "role": g.get("role"),
        "nav_items": NAV_ITEMS,
    }


# Later modules append {"endpoint": ..., "label": ...} for their pages (links, analytics, ...).
NAV_ITEMS: list[dict[str, str]] = [
    {"endpoint": "dashboard.links.index", "label": "Links"},
    {"endpoint": "dashboard.analytics.index", "label": "Analytics"},
    {"endpoint": "dashboard.live.index", "label": "Live"},
    {"endpoint": "dashboard.wrapped.index", "label": "Wrapped"},
    {"endpoint": "dashboard.campaigns.index", "label": "Campaigns"},
    {"endpoint": "dashboard.conversions.index", "label": "Conversions"},
    {"endpoint": "dashboard.customers.index", "label": "Customers"},
    {"endpoint": "dashboard.pixels.index", "label": "Pixels"},
    {"endpoint": "dashboard.qr_codes.index", "label": "QR codes"},
    {"endpoint": "dashboard.tracking.index", "label": "Tracking"},
    {"endpoint": "dashboard.webhooks.index", "label": "Webhooks"},
    {"endpoint": "dashboard.integrations.index", "label": "Integrations"},
    {"endpoint": "dashboard.embeds.index", "label": "Embeds"},
    {"endpoint": "dashboard.rules.index", "label": "Rules"},
    {"endpoint": "dashboard.domains.index", "label": "Domains"},
    {"endpoint": "dashboard.organize.index", "label": "Tags & folders"},
    {"endpoint": "dashboard.organize.utm_templates", "label": "UTM templates"},
    {"endpoint": "dashboard.bulk.index", "label": "Bulk operations"},
    {"endpoint": "dashboard.imports.index", "label": "Imports"},
    {"endpoint": "dashboard.exports.index", "label": "Exports"},
]

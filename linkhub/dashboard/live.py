"""Dashboard live feed (/app/analytics/live): the last minutes' clicks, QR scans and conversions
and the live counters from services/live.py, rendered once; static/analytics.js then follows
GET /api/analytics/live/stream (polling GET /api/analytics/live when streams are refused)."""

from __future__ import annotations

from flask import Blueprint, g, render_template, url_for

from linkhub.dashboard.guard import workspace_required
from linkhub.services import live

bp = Blueprint("live", __name__)
POLL_SECONDS = 5.0  # the fallback's pace; the click writer flushes about every second
MAX_ROWS = 200  # rows the page keeps before dropping the oldest


@bp.get("/analytics/live")
@workspace_required
def index():
    events, meta = live.recent(g.workspace, live.parse({}))
    config = {"stream": url_for("api.live.live_stream"), "poll": url_for("api.live.live_events"),
              "stats": url_for("api.live.live_stats"), "pollSeconds": POLL_SECONDS,
              "maxRows": MAX_ROWS, "linkPage": url_for("dashboard.analytics.link",
                                                       link_id="LINK_ID")}
    return render_template("dashboard/analytics/live.html", events=events, meta=meta,
                           stats=live.stats(g.workspace), windows=live.WINDOWS, config=config)

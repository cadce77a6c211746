"""The public, unauthenticated pages of public stats and embeds: `GET /s/<token>` (read-only
page with the metrics the owner chose), `GET /embed/<token>` (an iframe-able widget) and
`GET /embed/<token>.json` (its data). Tokens are looked up by the services on every request."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, render_template, request

from linkhub import errors
from linkhub.envelope import ok
from linkhub.errors import ApiError
from linkhub.services import embeds, public_shares

public_stats_bp = Blueprint("public_stats", __name__)

RANGES = (7, 30, 90)
CHART_W, CHART_H = 600, 160


def chart(points: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """Bars of an inline SVG (no script, no library) for timeseries points."""
    if not points:
        return None
    top = max(p["clicks"] for p in points) or 1
    step = CHART_W / len(points)
    width = max(step * 0.8, 1)
    bars = []
    for index, point in enumerate(points):
        height = round(point["clicks"] * (CHART_H - 10) / top, 2)
        bars.append({"x": round(index * step + (step - width) / 2, 2), "w": round(width, 2),
                     "y": round(CHART_H - height, 2), "h": height, "point": point})
    return {"w": CHART_W, "h": CHART_H, "bars": bars, "top": top}


def _range_links() -> list[dict[str, Any]]:
    """"Last N days" links keeping the visitor's other parameters (timezone, granularity)."""
    current = request.args.get("days", "30")
    chosen_dates = "start" in request.args or "end" in request.args
    links = []
    for days in RANGES:
        args = {k: v for k, v in request.args.items() if k not in ("days", "start", "end")}
        args["days"] = str(days)
        links.append({"days": days, "args": args,
                      "active": not chosen_dates and current == str(days)})
    return links


@public_stats_bp.get("/s/<token>")
def share_page(token: str) -> str:
    """Only the chosen metrics; a disabled, rotated or unknown token is a 404 page."""
    view = public_shares.find_public(token)
    rng = public_shares.public_range(request.args, view.workspace)
    data = public_shares.figures(view.scope, rng, view.share.metrics,
                                 public_shares.row_limit(request.args))
    return render_template("public_stats/share.html", view=view, data=data,
                           chart=chart(data.get("timeseries")), ranges=_range_links(),
                           metrics=view.share.metrics)


@public_stats_bp.get("/embed/<token>")
def embed_page(token: str) -> str:
    """The token's widget, meant for an <iframe> on any site."""
    view = embeds.find_public(token)
    data = embeds.public_data(view, request.args)
    return render_template("public_stats/embed.html", view=view, data=data,
                           chart=chart(data.get("timeseries")))


@public_stats_bp.get("/embed/<token>.json")
def embed_json(token: str) -> Response:
    """The widget's data in the success envelope (errors in the error envelope)."""
    try:
        view = embeds.find_public(token)
        return ok(embeds.public_data(view, request.args))
    except ApiError as exc:
        return errors.json_error(exc)


@public_stats_bp.after_request
def _headers(response: Response) -> Response:
    """Never cached (a revoked token must stop at once), not indexed, no token in Referer.
    Embeds may be framed by any site; the JSON may be read by any origin (no credentials)."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    if request.path.startswith("/embed/"):
        response.headers.pop("X-Frame-Options", None)
        response.headers["Content-Security-Policy"] = "frame-ancestors *"
        if request.path.endswith(".json"):
            response.headers["Access-Control-Allow-Origin"] = "*"
    return response

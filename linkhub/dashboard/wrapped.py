"""Dashboard year in review (/app/wrapped?year=): the same report as /api/wrapped, on a page
made to be printed or shared as a screenshot. Calls services/wrapped.py; no rule here."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from linkhub.dashboard.forms import message_of
from linkhub.dashboard.guard import workspace_required
from linkhub.errors import Invalid
from linkhub.services import wrapped

bp = Blueprint("wrapped", __name__)


@bp.get("/wrapped")
@workspace_required
def index():
    current = wrapped.this_year(g.workspace)
    try:
        year = wrapped.parse_year(g.workspace, request.args.get("year"))
    except Invalid as exc:
        return render_template("dashboard/wrapped/index.html", report=None,
                               error=message_of(exc), years=_years(current),
                               year=current), 400
    report = wrapped.year_in_review(g.workspace, year)
    peak = max((m["clicks"] for m in report["months"]), default=0)
    return render_template("dashboard/wrapped/index.html", report=report, error=None,
                           years=_years(current), year=year, peak=peak)


def _years(current: int) -> list[int]:
    return list(range(current, max(wrapped.FIRST_YEAR, current - 9) - 1, -1))

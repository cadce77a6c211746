"""Dashboard e-mail log (admins): the e-mails sent in the workspace's name with their status,
tries and last error, filtered by status. Calls services/email_logs.py like the API does."""

from __future__ import annotations

from flask import Blueprint, g, render_template, request

from linkhub import pagination
from linkhub.dashboard.forms import message_of
from linkhub.dashboard.guard import require_role, workspace_required
from linkhub.errors import Invalid
from linkhub.services import email, email_logs

bp = Blueprint("email_logs", __name__)
PAGE_SIZE = 25
BADGES = {"sent": "badge-green", "failed": "badge-red", "queued": "badge-amber", "logged": ""}


@bp.get("/email-logs")
@workspace_required
def index():
    require_role("admin")
    status = (request.args.get("status") or "").strip()
    error, rows, total = None, [], 0
    try:
        page = pagination.parse({"page": request.args.get("page", "")}, default_limit=PAGE_SIZE)
        found, total = email_logs.list_logs(g.workspace, page, status or None)
        rows = [email_logs.serialize(r) for r in found]
    except Invalid as exc:
        error, page = message_of(exc), pagination.Page(1, PAGE_SIZE)
    return render_template("dashboard/email_logs/index.html", rows=rows, total=total, page=page,
                           pages=-(-total // PAGE_SIZE), status=status, error=error,
                           statuses=email.STATUSES, badges=BADGES,
                           max_attempts=email.MAX_ATTEMPTS), 400 if error else 200

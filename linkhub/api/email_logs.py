"""/api/email-logs: the e-mails sent in the workspace's name (invitations, notifications) with
their delivery status and last error, for admins. Parse -> services/email_logs.py -> envelope.
Account e-mails (verification, resets) are never listed: they carry one-time links."""

from __future__ import annotations

from flask import Blueprint, Response, g, request

from linkhub import pagination
from linkhub.api.spec import endpoint
from linkhub.auth import require
from linkhub.envelope import listing
from linkhub.schemas import email_logs as s
from linkhub.services import email_logs

bp = Blueprint("email_logs", __name__)
TAG = "E-mail logs"


@bp.get("/email-logs")
@require("workspace:read", role="admin")
@endpoint("List the workspace's e-mails", query=s.EmailLogQuery, response=s.EmailLogOut,
          listing=True, tag=TAG)
def list_email_logs(query: s.EmailLogQuery) -> Response:
    """Newest first. Status `logged` means no SMTP server is configured; `failed` ones are
    retried by the `email-retry` job (5 tries in all, within 2 days). Bodies are not shown."""
    page = pagination.parse(request.args)
    rows, total = email_logs.list_logs(g.workspace, page, query.status, query.kind)
    return listing([email_logs.serialize(r) for r in rows], page, total)

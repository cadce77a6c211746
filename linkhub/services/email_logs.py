"""The workspace's outbound e-mail log as its admins see it: e-mails sent in the workspace's
name (invitations, notifications), filtered by status and kind. Account e-mails (sign-up
verification, password resets, address changes) belong to their user, not to a workspace,
and carry one-time links, so they never appear here; nor does any e-mail body."""

from __future__ import annotations

from typing import Any

from linkhub import clock
from linkhub.errors import Invalid
from linkhub.models import EmailLog, Workspace
from linkhub.pagination import Page
from linkhub.services import email


def list_logs(workspace: Workspace, page: Page, status: str | None = None,
              kind: str | None = None) -> tuple[list[EmailLog], int]:
    """Newest first. `status` is one of email.STATUSES; `kind` an exact kind (`invitation`)
    or a prefix ending in a dot (`notification.`)."""
    query = EmailLog.select().where(EmailLog.workspace == workspace)
    if status:
        if status not in email.STATUSES:
            raise Invalid(fields={"status": "must be one of " + ", ".join(email.STATUSES)})
        query = query.where(EmailLog.status == status)
    if kind:
        if len(kind) > 48:
            raise Invalid(fields={"kind": "must be at most 48 characters"})
        query = query.where(EmailLog.kind.startswith(kind) if kind.endswith(".")
                            else EmailLog.kind == kind)
    total = query.count()
    rows = list(query.order_by(EmailLog.created_at.desc(), EmailLog.id.desc())
                .offset(page.offset).limit(page.limit))
    return rows, total


def serialize(row: EmailLog) -> dict[str, Any]:
    return {"kind": row.kind, "to": row.to_address, "subject": row.subject,
            "status": row.status, "error": row.error, "attempts": row.attempts,
            "createdAt": clock.iso(row.created_at), "sentAt": clock.iso(row.sent_at),
            "nextAttemptAt": clock.iso(row.next_attempt_at)}

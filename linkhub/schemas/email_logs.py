"""Request and response models of /api/email-logs. Types only; what a workspace's log holds
is decided in services/email_logs.py."""

from __future__ import annotations

from pydantic import Field

from linkhub.schemas import ApiModel, OutModel


class EmailLogQuery(ApiModel):
    status: str | None = Field(None, description="logged (no SMTP configured), queued, sent or "
                               "failed.")
    kind: str | None = Field(None, description="An exact kind (`invitation`) or a prefix ending "
                             "in a dot (`notification.`).")


class EmailLogOut(OutModel):
    kind: str
    to: str
    subject: str
    status: str
    error: str | None = Field(description="The SMTP error of the last failed try.")
    attempts: int = Field(description="SMTP tries so far (0 when only logged or queued).")
    createdAt: str
    sentAt: str | None
    nextAttemptAt: str | None = Field(description="When the `email-retry` job tries again.")

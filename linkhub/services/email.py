"""Outbound e-mail: render a text template from templates/emails/, send it over SMTP when
SMTP_HOST is set, and always write it to the e-mail log (status logged|queued|sent|failed).
Failed and queued e-mails are (re)tried by the `email-retry` job, a bounded number of times."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app, render_template

from linkhub import clock
from linkhub.models import EmailLog, User, Workspace

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 10
STATUSES = ("logged", "queued", "sent", "failed")
# Tries per e-mail (the first one included) and the wait after each failed try. Mails carry
# links that expire (resets: an hour, verification: days), so nothing older than MAX_AGE is
# tried again.
MAX_ATTEMPTS = 5
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2))
MAX_AGE = timedelta(days=2)
RETRY_BATCH = 200


def _deliver(settings: dict[str, Any], to: str, subject: str, body: str) -> None:
    msg = EmailMessage()
    msg["From"] = settings["SMTP_FROM"]
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="linkhub")
    msg.set_content(body)
    with smtplib.SMTP(settings["SMTP_HOST"], settings["SMTP_PORT"],
                      timeout=SMTP_TIMEOUT) as smtp:
        smtp.ehlo()
        if settings["SMTP_STARTTLS"] and smtp.has_extn("starttls"):
            smtp.starttls()
            smtp.ehlo()
        if settings["SMTP_USERNAME"]:
            smtp.login(settings["SMTP_USERNAME"], settings["SMTP_PASSWORD"])
        smtp.send_message(msg)


def _attempt(entry: EmailLog, settings: dict[str, Any]) -> bool:
    """One SMTP try of a logged e-mail, recorded on its row (status, error, attempts, and when
    to try again: never once MAX_ATTEMPTS is reached)."""
    entry.attempts += 1
    try:
        _deliver(settings, entry.to_address, entry.subject, entry.body_text)
    except (OSError, smtplib.SMTPException) as exc:
        entry.status, entry.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        entry.next_attempt_at = (clock.now() + BACKOFF[min(entry.attempts, len(BACKOFF)) - 1]
                                 if entry.attempts < MAX_ATTEMPTS else None)
        log.warning("e-mail %s to %s failed (try %d): %s", entry.kind, entry.to_address,
                    entry.attempts, exc)
        ok = False
    else:
        entry.status, entry.sent_at = "sent", clock.now()
        entry.error = entry.next_attempt_at = None
        ok = True
    entry.save()
    return ok


def send(kind: str, to: str, subject: str, template: str, context: dict[str, Any], *,
         user: User | None = None, workspace: Workspace | None = None) -> EmailLog:
    """Send (or only log) one e-mail. Never raises for a delivery failure: it is logged, and
    the `email-retry` job tries again later."""
    settings = current_app.config["LINKHUB"]
    body = render_template(f"emails/{template}.txt", **context)
    entry = EmailLog.create(kind=kind, to_address=to, subject=subject, body_text=body,
                            user=user, workspace=workspace, status="logged")
    if not settings["SMTP_HOST"]:
        log.info("e-mail %s to %s logged (no SMTP configured)", kind, to)
        return entry
    _attempt(entry, settings)
    return entry


def queue(kind: str, to: str, subject: str, template: str, context: dict[str, Any], *,
          user: User | None = None, workspace: Workspace | None = None) -> EmailLog:
    """Render and log an e-mail now, deliver it on the next `email-retry` run: for callers
    inside a database transaction, which must not wait on an SMTP server (and whose rollback
    then takes the e-mail with it). Without SMTP it is only logged, as `send` does."""
    settings = current_app.config["LINKHUB"]
    body = render_template(f"emails/{template}.txt", **context)
    queued = bool(settings["SMTP_HOST"])
    return EmailLog.create(kind=kind, to_address=to, subject=subject, body_text=body,
                           user=user, workspace=workspace,
                           status="queued" if queued else "logged",
                           next_attempt_at=clock.now() if queued else None)


def retry_due(keep_going: Callable[[], bool] = lambda: True) -> dict[str, Any]:
    """The `email-retry` job: deliver queued e-mails and try failed ones whose wait is over,
    each at most MAX_ATTEMPTS times in all. Every try is saved on its row before the next, so
    a run stopped halfway loses nothing (at worst one e-mail goes out twice: SMTP has no
    transaction with SQLite). `keep_going` (the job lease) is asked between e-mails."""
    settings = current_app.config["LINKHUB"]
    if not settings["SMTP_HOST"]:
        return {"skipped": True, "reason": "SMTP_HOST is not set"}
    now = clock.now()
    expired = (EmailLog.update(next_attempt_at=None, status="failed",
                               error=f"not sent within {MAX_AGE.days} days; gave up")
               .where(EmailLog.status.in_(("queued", "failed")),
                      EmailLog.next_attempt_at.is_null(False),
                      EmailLog.created_at < now - MAX_AGE).execute())
    due = list(EmailLog.select().where(EmailLog.status.in_(("queued", "failed")),
                                       EmailLog.next_attempt_at <= now)
               .order_by(EmailLog.next_attempt_at, EmailLog.id).limit(RETRY_BATCH))
    sent = failed = 0
    for entry in due:
        if not keep_going():
            break
        if _attempt(entry, settings):
            sent += 1
        else:
            failed += 1
    return {"sent": sent, "failed": failed, "expired": expired}

"""Outbound e-mail: render a text template from templates/emails/, send it over SMTP when
SMTP_HOST is set, and always write it to the e-mail log (status logged|sent|failed)."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any

from flask import current_app, render_template

from linkhub import clock
from linkhub.models import EmailLog, User, Workspace

log = logging.getLogger(__name__)
SMTP_TIMEOUT = 10


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


def send(kind: str, to: str, subject: str, template: str, context: dict[str, Any], *,
         user: User | None = None, workspace: Workspace | None = None) -> EmailLog:
    """Send (or only log) one e-mail. Never raises for a delivery failure: it is logged."""
    settings = current_app.config["LINKHUB"]
    body = render_template(f"emails/{template}.txt", **context)
    entry = EmailLog.create(kind=kind, to_address=to, subject=subject, body_text=body,
                            user=user, workspace=workspace, status="logged")
    if not settings["SMTP_HOST"]:
        log.info("e-mail %s to %s logged (no SMTP configured)", kind, to)
        return entry
    try:
        _deliver(settings, to, subject, body)
    except (OSError, smtplib.SMTPException) as exc:
        entry.status, entry.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
        log.warning("e-mail %s to %s failed: %s", kind, to, exc)
    else:
        entry.status, entry.sent_at = "sent", clock.now()
    entry.save()
    return entry

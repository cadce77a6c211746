"""The mailer against a real local SMTP server (aiosmtpd, started here): delivery, failures
recorded on the e-mail log row, the `email-retry` job (queued e-mails, bounded retries with
backoff, giving up after two days, stopping when its lease is lost, skipped without SMTP), and
migration 0014 keeping existing e-mail log rows."""

from __future__ import annotations

import socket
from datetime import datetime, timedelta
from email import message_from_bytes

import peewee
import pytest
from aiosmtpd.controller import Controller
from playhouse.migrate import SqliteMigrator

from linkhub import clock, db, jobs, migrations
from linkhub.models import EmailLog
from linkhub.services import email

START = datetime(2026, 5, 4, 9, 0)


class Inbox:
    """An aiosmtpd handler keeping what it accepts; `fail` makes it answer 451 to DATA."""

    def __init__(self) -> None:
        self.messages: list = []
        self.fail = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        if self.fail:
            return "451 4.3.0 Mailbox busy, try later"
        self.messages.append(envelope)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    inbox.port = controller.port
    yield inbox
    controller.stop()


@pytest.fixture
def settings_overrides(smtp):
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port,
            "SMTP_FROM": "linkhub <robot@links.example>"}


@pytest.fixture
def frozen():
    clock.freeze(START)
    yield
    clock.reset()


def _send(to: str = "dana@example.com") -> EmailLog:
    return email.send("test", to, "Hello there", "notification",
                      {"user": None, "workspace": type("W", (), {"name": "Acme"})(),
                       "title": "Something happened", "body": "Details.", "url": None})


def _retry() -> dict:
    return jobs.run(jobs.by_name("email-retry"))


def _row(entry: EmailLog) -> EmailLog:
    return EmailLog.get_by_id(entry.id)


def test_send_delivers_over_smtp_and_records_one_attempt(ctx, smtp, frozen):
    entry = _send()
    row = _row(entry)
    assert (row.status, row.attempts, row.error, row.next_attempt_at) == ("sent", 1, None, None)
    assert row.sent_at == START
    [envelope] = smtp.messages
    assert envelope.rcpt_tos == ["dana@example.com"]
    message = message_from_bytes(envelope.content)
    assert message["Subject"] == "Hello there" and "robot@links.example" in message["From"]
    assert "Something happened" in message.get_payload()


def test_a_refused_email_is_failed_with_the_error_and_retried_later(ctx, smtp, frozen):
    smtp.fail = True
    row = _row(_send())
    assert (row.status, row.attempts) == ("failed", 1)
    assert "451" in row.error and row.next_attempt_at == START + timedelta(minutes=1)
    smtp.fail = False
    assert _retry() == {"sent": 0, "failed": 0, "expired": 0}  # not due yet
    clock.advance(timedelta(minutes=1))
    assert _retry() == {"sent": 1, "failed": 0, "expired": 0}
    row = _row(row)
    assert (row.status, row.attempts, row.error, row.next_attempt_at) == ("sent", 2, None, None)
    assert len(smtp.messages) == 1
    assert _retry() == {"sent": 0, "failed": 0, "expired": 0}  # never sent twice


def test_retries_are_bounded_with_growing_waits(ctx, smtp, frozen):
    smtp.fail = True
    row = _row(_send())
    waits = []
    while row.next_attempt_at is not None:
        waits.append(row.next_attempt_at - clock.now())
        clock.freeze(row.next_attempt_at)
        assert _retry()["failed"] == 1
        row = _row(row)
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                     timedelta(hours=2)]
    assert (row.status, row.attempts) == ("failed", email.MAX_ATTEMPTS)
    clock.advance(timedelta(days=1))
    assert _retry() == {"sent": 0, "failed": 0, "expired": 0}
    assert smtp.messages == []


def test_a_closed_port_is_a_failure_too(app, ctx, frozen):
    app.config["LINKHUB"] = {**app.config["LINKHUB"], "SMTP_PORT": _free_port()}
    row = _row(_send())
    assert row.status == "failed" and row.attempts == 1
    assert "ConnectionRefusedError" in row.error


def test_queued_emails_go_out_on_the_next_run(ctx, smtp, frozen):
    entry = email.queue("test", "eve@example.com", "Queued", "notification",
                        {"user": None, "workspace": None, "title": "t", "body": "",
                         "url": None})
    assert (entry.status, entry.attempts, entry.next_attempt_at) == ("queued", 0, START)
    assert smtp.messages == []
    assert _retry() == {"sent": 1, "failed": 0, "expired": 0}
    assert _row(entry).status == "sent" and len(smtp.messages) == 1


def test_old_failures_are_given_up(ctx, smtp, frozen):
    smtp.fail = True
    row = _row(_send())
    smtp.fail = False
    clock.advance(email.MAX_AGE + timedelta(minutes=1))
    assert _retry() == {"sent": 0, "failed": 0, "expired": 1}
    row = _row(row)
    assert row.status == "failed" and row.next_attempt_at is None
    assert "gave up" in row.error and smtp.messages == []


def test_a_run_that_loses_its_lease_stops_and_the_next_one_finishes(ctx, smtp, frozen):
    smtp.fail = True
    rows = [_row(_send(f"user{n}@example.com")) for n in range(3)]
    smtp.fail = False
    clock.advance(timedelta(minutes=1))
    answers = iter([True, False])
    assert email.retry_due(lambda: next(answers)) == {"sent": 1, "failed": 0, "expired": 0}
    assert _retry() == {"sent": 2, "failed": 0, "expired": 0}
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == [r.to_address for r in rows]


def test_without_smtp_the_job_is_skipped_and_mail_only_logged(app, ctx, frozen):
    app.config["LINKHUB"] = {**app.config["LINKHUB"], "SMTP_HOST": ""}
    row = _row(_send())
    assert (row.status, row.attempts) == ("logged", 0)
    assert _retry() == {"skipped": True, "reason": "SMTP_HOST is not set"}


def test_migration_0014_keeps_the_email_log(tmp_path):
    conn = peewee.SqliteDatabase(str(tmp_path / "old.sqlite3"), pragmas=db.PRAGMAS)
    migrations.applied(conn)  # the bookkeeping table
    migrator = SqliteMigrator(conn)
    for migration in migrations.available():
        if migration.number >= 14:
            break
        with conn.atomic():
            migration.load().up(conn, migrator)
            conn.execute_sql('INSERT INTO "schema_migrations" VALUES (?, ?)',
                             (migration.name, START))
    for n, status in enumerate(("logged", "sent", "failed"), start=1):
        conn.execute_sql(
            'INSERT INTO "email_log" (id, kind, to_address, subject, body_text, status, '
            'created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
            (n * 10, "invitation", f"x{n}@example.com", "s", "body", status, START))
    migrations.migrate_up(conn)
    rows = conn.execute_sql('SELECT id, status, attempts, next_attempt_at, body_text '
                            'FROM "email_log" ORDER BY id').fetchall()
    assert rows == [(10, "logged", 0, None, "body"), (20, "sent", 1, None, "body"),
                    (30, "failed", 1, None, "body")]
    indexes = {r[1] for r in conn.execute_sql('PRAGMA index_list("email_log")')}
    assert {"email_log_user_id", "email_log_workspace_id",
            "email_log_status_next_attempt_at"} <= indexes
    assert conn.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    conn.close()

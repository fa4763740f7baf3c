"""The outbox against a real SMTP server (aiosmtpd with STARTTLS, or SMTPS, and a login), started by the fixtures of
tests/servers/smtp.py: delivered intact, refused logins and certificates held, a server down then back."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from supportstation.clock import utc_now
from supportstation.reports import mail
from supportstation.reports.outbox import Outbox, OutboxState
from supportstation.reports.report_mail import compose_report_mail
from supportstation.settings import CompanyDetails, EngineerProfile, MailSettings, Settings
from supportstation.storage.database import Database
from tests.reports.conftest import PDF, Seed, seed
from tests.servers.smtp import SENDER, TEST_PASSWORD, SmtpServer

CONTACT = "jeanne.dupre@clinique.example.fr"
COPY = "dsi@clinique.example.fr"


def queue_report(database: Database, mail_settings: MailSettings) -> tuple[Seed, int, str]:
    """The seeded report's e-mail, queued; returns the seed, its outbox id and its Message-ID."""
    seeded = seed(database, sender=SENDER)
    settings = Settings(
        profile=EngineerProfile(name="Émilie Ingénieure", email=SENDER),
        company=CompanyDetails(name="Infogérance Rhône SAS"),
        mail=mail_settings,
    )
    with database.session() as session:
        composed = compose_report_mail(
            session, seeded.report_id, settings, None, to=[f"Jeanne Dupré <{CONTACT}>"], cc=[COPY]
        )
    entry_id = Outbox(database).enqueue(composed.message, seeded.ticket_id, seeded.report_id)
    return seeded, entry_id, str(composed.message["Message-ID"])


def password() -> str:
    return TEST_PASSWORD


def test_a_report_arrives_intact_through_starttls_with_a_login(
    sqlite_database: Database, smtp_server: SmtpServer
) -> None:
    _seeded, entry_id, message_id = queue_report(sqlite_database, smtp_server.settings())
    outbox = Outbox(sqlite_database)
    [outcome] = outbox.send_due(smtp_server.settings(), password)
    assert outcome.sent, outcome.error

    [received] = smtp_server.messages
    assert received.mail_from == SENDER
    assert received.recipients == [CONTACT, COPY]
    assert received.data == outbox.raw(entry_id)  # the stored bytes, exactly
    parsed = received.parsed()
    assert parsed["Message-ID"] == message_id
    assert str(parsed["Subject"]) == (
        "Rapport d'intervention RI-2026-0042 – INC-2026-01042 : Serveur de fichiers arrêté après la coupure électrique"
    )
    assert "Jeanne Dupré" in str(parsed["To"]) and COPY in str(parsed["Cc"])
    [attachment] = parsed.iter_attachments()
    assert attachment.get_filename() == "RI-2026-0042-r1.pdf"
    assert hashlib.sha256(attachment.get_content()).hexdigest() == hashlib.sha256(PDF).hexdigest()
    entry = outbox.get(entry_id)
    assert (entry.state, entry.attempts, entry.last_error) == (OutboxState.SENT, 1, "")


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # aiosmtpd does not see SMTPS as TLS
def test_a_report_arrives_through_smtps(sqlite_database: Database, smtps_server: SmtpServer) -> None:
    _seeded, _entry_id, message_id = queue_report(sqlite_database, smtps_server.settings())
    [outcome] = Outbox(sqlite_database).send_due(smtps_server.settings(), password)
    assert outcome.sent, outcome.error
    [received] = smtps_server.messages
    assert received.parsed()["Message-ID"] == message_id


def test_a_wrong_password_holds_the_message_and_never_shows_the_password(
    sqlite_database: Database, smtp_server: SmtpServer
) -> None:
    wrong = "Pas-le-bon-mot-de-passe-2026"
    _seeded, entry_id, _message_id = queue_report(sqlite_database, smtp_server.settings())
    now = utc_now()  # the outbox's clock: the message is due from when it was queued
    outbox = Outbox(sqlite_database)
    [outcome] = outbox.send_due(smtp_server.settings(), lambda: wrong, now)
    assert outcome.state is OutboxState.HELD
    assert "refused the login of support@example.test" in outcome.error and "535" in outcome.error
    assert "Check the user name and the password" in outcome.error
    entry = outbox.get(entry_id)
    assert entry.state is OutboxState.HELD and entry.last_error == outcome.error
    assert wrong not in entry.last_error and TEST_PASSWORD not in entry.last_error
    assert smtp_server.messages == []
    # Held: not retried by itself, even much later.
    assert outbox.send_due(smtp_server.settings(), password, now + timedelta(days=1)) == []
    outbox.retry_now(entry_id)
    [outcome] = outbox.send_due(smtp_server.settings(), password)
    assert outcome.sent and len(smtp_server.messages) == 1


def test_a_server_down_is_retried_later_and_the_message_delivered_once(
    sqlite_database: Database, smtp_server: SmtpServer
) -> None:
    _seeded, entry_id, message_id = queue_report(sqlite_database, smtp_server.settings())
    now = utc_now()  # the outbox's clock: the message is due from when it was queued
    outbox = Outbox(sqlite_database)
    smtp_server.stop()
    [outcome] = outbox.send_due(smtp_server.settings(), password, now)
    assert outcome.state is OutboxState.QUEUED
    assert "refused the connection" in outcome.error
    entry = outbox.get(entry_id)
    assert entry.attempts == 1 and entry.next_attempt_at == now + timedelta(minutes=1)
    assert "refused the connection" in entry.last_error

    smtp_server.start()  # same port
    assert outbox.send_due(smtp_server.settings(), password, now + timedelta(seconds=30)) == []  # backing off
    [outcome] = outbox.send_due(smtp_server.settings(), password, now + timedelta(minutes=1))
    assert outcome.sent
    assert outbox.send_due(smtp_server.settings(), password, now + timedelta(hours=2)) == []
    [received] = smtp_server.messages
    assert received.parsed()["Message-ID"] == message_id
    assert outbox.get(entry_id).attempts == 2


def test_a_certificate_from_an_unknown_ca_holds_the_message(sqlite_database: Database, smtp_server: SmtpServer) -> None:
    without_ca = smtp_server.settings(ca_file="")
    _seeded, _entry_id, _message_id = queue_report(sqlite_database, without_ca)
    now = utc_now()  # the outbox's clock: the message is due from when it was queued
    [outcome] = Outbox(sqlite_database).send_due(without_ca, password, now)
    assert outcome.state is OutboxState.HELD
    assert "certificate of the mail server 127.0.0.1" in outcome.error and "not trusted" in outcome.error
    assert "CA file" in outcome.error
    assert smtp_server.messages == []


def test_a_refused_recipient_holds_it_and_a_partial_refusal_is_noted(
    sqlite_database: Database, smtp_server: SmtpServer
) -> None:
    _seeded, entry_id, _message_id = queue_report(sqlite_database, smtp_server.settings())
    now = utc_now()  # the outbox's clock: the message is due from when it was queued
    outbox = Outbox(sqlite_database)
    smtp_server.handler.unknown_recipients = {CONTACT, COPY}
    [outcome] = outbox.send_due(smtp_server.settings(), password, now)
    assert outcome.state is OutboxState.HELD and f"{CONTACT} (550 5.1.1 No such user here)" in outcome.error

    smtp_server.handler.unknown_recipients = {COPY}
    outbox.retry_now(entry_id)
    [outcome] = outbox.send_due(smtp_server.settings(), password)
    assert outcome.sent and outcome.refused == {COPY: "550 5.1.1 No such user here"}
    assert smtp_server.messages[0].recipients == [CONTACT]
    assert COPY in outbox.get(entry_id).last_error


def test_the_wrong_security_setting_is_explained(sqlite_database: Database, smtp_server: SmtpServer) -> None:
    implicit_tls = smtp_server.settings(security="ssl")
    with pytest.raises(mail.SecureConnectionFailed, match="STARTTLS is usually port 587"):
        mail.send_message(implicit_tls, TEST_PASSWORD, b"Subject: x\r\n\r\nx\r\n", SENDER, [CONTACT])

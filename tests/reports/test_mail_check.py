"""`check_connection`, the settings page's Test button, against the real SMTP servers of tests/servers/smtp.py:
TLS and a login, then QUIT, nothing sent; every failure a MailError that says what to fix, never the password."""

from __future__ import annotations

import socket

import pytest

from supportstation.reports import mail
from tests.servers.smtp import TEST_PASSWORD, TEST_USER, SmtpServer


def test_starttls_and_login_are_accepted_and_nothing_is_sent(smtp_server: SmtpServer) -> None:
    outcome = mail.check_connection(smtp_server.settings(), TEST_PASSWORD)
    assert outcome.startswith(f"Connected to 127.0.0.1:{smtp_server.port} (encrypted with TLSv1.")
    assert outcome.endswith(f"login of {TEST_USER} accepted.")
    assert smtp_server.handler.quit_seen.wait(5)  # said goodbye, as a polite client does
    assert smtp_server.messages == []


def test_ssl_from_the_first_byte_is_accepted(smtps_server: SmtpServer) -> None:
    outcome = mail.check_connection(smtps_server.settings(), TEST_PASSWORD)
    assert "encrypted with TLSv1." in outcome and "login of" in outcome


def test_without_a_user_name_no_login_is_tried(smtp_server: SmtpServer) -> None:
    outcome = mail.check_connection(smtp_server.settings(username=""), None)
    assert outcome.endswith("no login tried, as no user name is set.")


def test_a_wrong_password_is_refused_without_showing_it(smtp_server: SmtpServer) -> None:
    wrong = "pas-le-bon-mot-de-passe"
    with pytest.raises(mail.AuthenticationRefused) as refused:
        mail.check_connection(smtp_server.settings(), wrong)
    assert "refused the login of support@example.test" in str(refused.value)
    assert wrong not in str(refused.value)


def test_a_user_name_without_a_password_is_said_before_connecting(smtp_server: SmtpServer) -> None:
    with pytest.raises(mail.MailSettingsError, match="no password"):
        mail.check_connection(smtp_server.settings(), None)


def test_a_login_without_encryption_is_refused_before_connecting(smtp_server: SmtpServer) -> None:
    with pytest.raises(mail.MailSettingsError, match="encrypted connection"):
        mail.check_connection(smtp_server.settings(security="none"), TEST_PASSWORD)


def test_the_sender_address_plays_no_part(smtp_server: SmtpServer) -> None:
    assert "accepted" in mail.check_connection(smtp_server.settings(from_address=""), TEST_PASSWORD)


def test_a_certificate_signed_by_an_unknown_ca_is_not_trusted(smtp_server: SmtpServer) -> None:
    with pytest.raises(mail.CertificateNotTrusted, match="CA file"):
        mail.check_connection(smtp_server.settings(ca_file=""), TEST_PASSWORD)


def test_ssl_against_a_starttls_port_fails_clearly(smtp_server: SmtpServer) -> None:
    with pytest.raises(mail.SendError, match="security setting"):
        mail.check_connection(smtp_server.settings(security="ssl", timeout=5.0), TEST_PASSWORD)


def test_a_closed_port_is_unreachable(smtp_server: SmtpServer) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(mail.ServerUnreachable, match="refused the connection"):
        mail.check_connection(smtp_server.settings(port=port), TEST_PASSWORD)


def test_an_unusable_ca_file_is_a_settings_problem(smtp_server: SmtpServer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(mail.MailSettingsError, match="cannot be used"):
        mail.check_connection(smtp_server.settings(ca_file=str(tmp_path / "missing.pem")), TEST_PASSWORD)

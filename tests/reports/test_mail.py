"""Composing a report e-mail, checking addresses, saving .eml files, and explaining SMTP failures (no server)."""

from __future__ import annotations

import base64
import email.policy
import hashlib
import smtplib
import socket
import ssl
from email.parser import BytesParser
from pathlib import Path

import pytest

from supportstation.reports import mail
from supportstation.reports.report_mail import local_date
from supportstation.reports.smtp_failures import classify
from supportstation.settings import MailSettings

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
PASSWORD = "s3cret-Pa55word"


def settings(**changes: object) -> MailSettings:
    values: dict[str, object] = {
        "host": "smtp.example.fr",
        "from_address": "ingenieur@infogerance.example.fr",
        "from_name": "Émilie Ingénieure",
        "username": "emilie",
    }
    values.update(changes)
    return MailSettings(**values)  # type: ignore[arg-type]


def composed() -> mail.EmailMessage:
    return mail.compose(
        settings(),
        to=["Jean Dupont <jean.dupont@client.example.fr>", "compta@client.example.fr"],
        cc=['"Martin, Paul" <paul.martin@client.example.fr>'],
        subject="Rapport d'intervention RI-2026-0042 – INC-1 : serveur arrêté\n(suite)",
        body="Bonjour,\n\nVeuillez trouver ci-joint le rapport. Ça marche à nouveau.\n",
        attachment=mail.PdfAttachment(PDF, "RI-2026-0042-r1.pdf"),
    )


def test_a_report_email_has_every_header_the_body_and_the_pdf_intact() -> None:
    message = composed()
    raw = mail.message_bytes(message)
    assert raw.isascii()  # 7-bit: no server needs 8BITMIME for the accents
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")

    parsed = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert parsed["From"].addresses[0].display_name == "Émilie Ingénieure"
    assert [a.addr_spec for a in parsed["To"].addresses] == [
        "jean.dupont@client.example.fr",
        "compta@client.example.fr",
    ]
    assert parsed["Cc"].addresses[0].display_name == "Martin, Paul"
    assert str(parsed["Subject"]) == "Rapport d'intervention RI-2026-0042 – INC-1 : serveur arrêté (suite)"
    assert parsed["Message-ID"].endswith("@infogerance.example.fr>")
    assert parsed["Date"].datetime is not None and parsed["Date"].datetime.tzinfo is not None
    body = parsed.get_body(("plain",))
    assert body is not None and "Ça marche à nouveau." in body.get_content()
    attachments = list(parsed.iter_attachments())
    assert len(attachments) == 1
    assert attachments[0].get_content_type() == "application/pdf"
    assert attachments[0].get_filename() == "RI-2026-0042-r1.pdf"
    assert hashlib.sha256(attachments[0].get_content()).hexdigest() == hashlib.sha256(PDF).hexdigest()


def test_every_message_gets_its_own_message_id() -> None:
    assert composed()["Message-ID"] != composed()["Message-ID"]


def test_a_saved_eml_file_parses_back_to_the_same_message(tmp_path: Path) -> None:
    message = composed()
    target = tmp_path / "RI-2026-0042-r1.eml"
    mail.save_eml(message, target)
    assert target.read_bytes() == mail.message_bytes(message)
    back = mail.parse_message(target.read_bytes())
    assert back["Message-ID"] == message["Message-ID"]
    assert next(back.iter_attachments()).get_content() == PDF
    assert not list(tmp_path.glob("*.tmp"))


def test_saving_an_eml_where_it_cannot_be_written_says_where(tmp_path: Path) -> None:
    with pytest.raises(mail.MailError, match=r"Could not save the message to .*missing"):
        mail.save_eml(composed(), tmp_path / "missing" / "x.eml")


@pytest.mark.parametrize(
    "address",
    ["jean@example.fr", "jean.dupont+rapport@client.example.co.uk", "o'brien@example.ie", "a_b-c@sub-1.example.fr"],
)
def test_good_addresses_pass(address: str) -> None:
    assert mail.check_address(f"  {address} ") == address


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("", "it is empty"),
        ("jean.example.fr", "exactly one @"),
        ("jean@@example.fr", "exactly one @"),
        ("@example.fr", "nothing comes before the @"),
        ("jean dupont@example.fr", "before the @"),
        ("jean..dupont@example.fr", "before the @"),
        ("jean@localhost", "not a domain name"),
        ("jean@exa_mple.fr", "not a domain name"),
        ("jean@-example.fr", "not a domain name"),
        ("jérôme@example.fr", "accented"),
    ],
)
def test_bad_addresses_are_refused_with_the_address_and_the_reason(address: str, reason: str) -> None:
    with pytest.raises(mail.AddressError) as caught:
        mail.check_address(address)
    assert reason in str(caught.value)
    assert (address or '""') in str(caught.value)
    assert caught.value.address == address


def test_a_bad_recipient_stops_composing_and_is_named() -> None:
    with pytest.raises(mail.AddressError, match="jean@exemple"):
        mail.compose(settings(), to=["ok@example.fr", "Jean <jean@exemple>"], subject="s", body="b")
    with pytest.raises(mail.AddressError, match="no recipient"):
        mail.compose(settings(), to=[], subject="s", body="b")


def test_a_bad_sender_address_points_to_the_settings() -> None:
    with pytest.raises(mail.MailSettingsError, match="sender address in the e-mail settings"):
        mail.compose(settings(from_address="ingenieur"), to=["a@example.fr"], subject="s", body="b")


def test_typed_address_lists_are_split_outside_quotes_and_brackets() -> None:
    typed = 'a@example.fr; "Martin, Paul" <paul@example.fr>,\n  Jean <jean@example.fr> ,'
    assert mail.split_addresses(typed) == ["a@example.fr", '"Martin, Paul" <paul@example.fr>', "Jean <jean@example.fr>"]
    assert [str(mail.parse_recipient(item)) for item in mail.split_addresses(typed)] == [
        "a@example.fr",
        '"Martin, Paul" <paul@example.fr>',
        "Jean <jean@example.fr>",
    ]


def test_the_signing_date_is_written_in_the_clients_time_zone_and_language() -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 3, 12, 16, 5, tzinfo=UTC)
    assert local_date(moment, "fr", "Europe/Paris") == "12/03/2026 à 17:05"
    assert local_date(moment, "en", "America/Montreal") == "2026-03-12 12:05"
    assert local_date(None, "fr", "Europe/Paris") == ""


def test_settings_that_cannot_send_are_refused_before_anything_else() -> None:
    with pytest.raises(mail.MailSettingsError, match="No mail server"):
        mail.check_settings(settings(host=""))
    with pytest.raises(mail.MailSettingsError, match="encrypted connection"):
        mail.check_settings(settings(security="none"))
    mail.check_settings(settings(security="none", username=""))  # a relay on the company network
    with pytest.raises(mail.MailSettingsError, match=r"CA file .*nowhere\.pem"):
        mail.check_settings(settings(ca_file="/nowhere.pem"))


# -- failures explained, never with the password -----------------------------------------------------------------------


def explain(error: Exception) -> mail.SendError:
    return classify(error, settings(), PASSWORD, ["jean@client.example.fr"])


def test_a_refused_login_is_held_and_never_shows_the_password_even_when_the_server_echoes_it() -> None:
    plain = base64.b64encode(f"\0emilie\0{PASSWORD}".encode()).decode()
    echoed = smtplib.SMTPAuthenticationError(535, f"5.7.8 bad credentials {plain} {PASSWORD}".encode())
    failure = explain(echoed)
    assert isinstance(failure, mail.AuthenticationRefused)
    assert not failure.temporary and failure.about_server
    assert "refused the login of emilie" in str(failure) and "535" in str(failure)
    assert PASSWORD not in str(failure) and plain not in str(failure)


@pytest.mark.parametrize(
    ("error", "kind", "temporary", "words"),
    [
        (ConnectionRefusedError(111, "Connection refused"), mail.ServerUnreachable, True, "refused the connection"),
        (TimeoutError("timed out"), mail.ServerUnreachable, True, "did not answer within 30 s"),
        (socket.gaierror(-2, "Name or service not known"), mail.ServerUnreachable, True, "cannot be found"),
        (OSError(101, "Network is unreachable"), mail.ServerUnreachable, True, "Network is unreachable"),
        (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), mail.ServerUnreachable, True, "closed"),
        (smtplib.SMTPDataError(451, b"4.3.0 try later"), mail.TemporaryFailure, True, "451 4.3.0 try later"),
        (smtplib.SMTPAuthenticationError(454, b"4.7.0 busy"), mail.TemporaryFailure, True, "454"),
        (smtplib.SMTPDataError(552, b"5.3.4 too big"), mail.MessageRefused, False, "552 5.3.4 too big"),
        (smtplib.SMTPSenderRefused(553, b"not yours", "x@y.fr"), mail.MessageRefused, False, "sender address x@y.fr"),
        (
            smtplib.SMTPRecipientsRefused({"jean@client.example.fr": (550, b"5.1.1 no such user")}),
            mail.RecipientRefused,
            False,
            "jean@client.example.fr (550 5.1.1 no such user)",
        ),
        (
            smtplib.SMTPRecipientsRefused({"jean@client.example.fr": (450, b"4.2.1 greylisted")}),
            mail.TemporaryFailure,
            True,
            "greylisted",
        ),
        (
            ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"),
            mail.SecureConnectionFailed,
            False,
            "465",
        ),
        (ValueError("something odd"), mail.MessageRefused, False, "failed unexpectedly: ValueError"),
    ],
)
def test_failures_are_sorted_into_retry_later_or_wait_for_the_engineer(
    error: Exception, kind: type, temporary: bool, words: str
) -> None:
    failure = explain(error)
    assert type(failure) is kind
    assert failure.temporary is temporary
    assert words in str(failure)
    assert "smtp.example.fr" in str(failure)


def test_an_untrusted_certificate_says_so_and_where_to_give_the_ca() -> None:
    error = ssl.SSLCertVerificationError(1, "certificate verify failed")
    error.verify_message = "unable to get local issuer certificate"
    failure = explain(error)
    assert isinstance(failure, mail.CertificateNotTrusted) and not failure.temporary
    assert "unable to get local issuer certificate" in str(failure) and "CA file" in str(failure)

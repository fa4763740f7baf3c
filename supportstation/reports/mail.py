"""E-mailing a signed report: composing the message, checking addresses, saving it as .eml, and one SMTP delivery.

    message = compose(settings.mail, to=["jean@client.fr"], subject=…, body=…, attachment=PdfAttachment(pdf, name))
    Outbox(database).enqueue(message, ticket_id, report_id)   # stored as bytes; sent now or when back online
    save_eml(message, Path("RI-2026-0042-r1.eml"))            # or handed over to the engineer's own mail client

`report_mail.compose_report_mail` fills subject, body and attachment from a signed report and its templates.

The message is built once and stored whole (see `outbox.py`): every retry sends the same bytes, so the same
Message-ID, and a receiver can tell a repeat from a new report. It is pure 7-bit ASCII (quoted-printable body, base64
attachment, encoded headers), which every server accepts without extensions.

`send_message` is blocking (smtplib): call it from a worker thread. TLS certificates and host names are always
verified; a company with a private CA gives its CA file (`MailSettings.ca_file`) instead. Its errors are
`SendError`s, each saying whether a later retry may succeed (`temporary`); none ever contains the password.
"""

from __future__ import annotations

import base64
import email.policy
import logging
import os
import re
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.settings import MAIL_SECURITY, MailSettings

if TYPE_CHECKING:
    from supportstation.vault import Vault

# The vault key of the SMTP password: the one place it is kept.
PASSWORD_KEY = "smtp/password"

log = logging.getLogger(__name__)

_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_DOMAIN_LABEL = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_NAMED_ADDRESS = re.compile(r'\s*"?(?P<name>[^"<>]*?)"?\s*<(?P<address>[^<>]*)>\s*')


# -- errors ------------------------------------------------------------------------------------------------------------


class MailError(Exception):
    """Anything about e-mail that cannot be done; the message is user-visible and never contains the password."""


class AddressError(MailError, ValueError):
    """An e-mail address that is not valid; the message names it and says what is wrong."""

    def __init__(self, message: str, *, address: str) -> None:
        super().__init__(message)
        self.address = address


class MailSettingsError(MailError):
    """The e-mail settings do not allow sending (no server, no sender, no password, an unusable CA file)."""


class SendError(MailError):
    """One delivery failed. `temporary`: a later retry may succeed (the server was unreachable or said 4xx);
    otherwise the message waits for the engineer. `about_server`: the next messages would fail the same way."""

    temporary = False
    about_server = False


class ServerUnreachable(SendError):
    temporary = True
    about_server = True


class TemporaryFailure(SendError):
    """The server answered 4xx: busy, greylisting, a mailbox over quota for now."""

    temporary = True


class CertificateNotTrusted(SendError):
    about_server = True


class SecureConnectionFailed(SendError):
    about_server = True


class AuthenticationRefused(SendError):
    about_server = True


class RecipientRefused(SendError):
    """The server refused every recipient of the message."""


class MessageRefused(SendError):
    """The sender address or the message itself was refused, or the server failed in a way a retry will not fix."""


# -- addresses ---------------------------------------------------------------------------------------------------------


def address_problem(address: str) -> str | None:
    """Why `address` (a bare user@domain) is not one SupportStation sends to, or None when it is fine."""
    if not address:
        return _("it is empty")
    if not address.isascii():
        return _("it contains accented or non-Latin characters, which many mail servers refuse")
    if address.count("@") != 1:
        return _("it must contain exactly one @")
    local, domain = address.split("@")
    if not local:
        return _("nothing comes before the @")
    if not _LOCAL_PART.fullmatch(local):
        return _("the part before the @ contains spaces or characters an address cannot hold")
    labels = domain.split(".")
    if len(labels) < 2 or not all(_DOMAIN_LABEL.fullmatch(label) for label in labels):
        return _("the part after the @ is not a domain name such as example.fr")
    if len(address) > 254:
        return _("it is longer than 254 characters")
    return None


def check_address(address: str) -> str:
    """The address without surrounding spaces; AddressError naming it when it is not valid."""
    candidate = address.strip()
    problem = address_problem(candidate)
    if problem is not None:
        raise AddressError(
            _("The e-mail address {address} is not valid: {problem}.").format(
                address=candidate or '""', problem=problem
            ),
            address=candidate,
        )
    return candidate


def parse_recipient(text: str) -> Address:
    """`jean@example.fr` or `Jean Dupont <jean@example.fr>`, checked."""
    named = _NAMED_ADDRESS.fullmatch(text)
    name, address = (named["name"].strip(), named["address"]) if named else ("", text)
    if any(character in name for character in "\r\n"):
        raise AddressError(_("The name of {address} spans several lines.").format(address=address), address=address)
    return Address(display_name=name, addr_spec=check_address(address))


def split_addresses(text: str) -> list[str]:
    """What the engineer typed in a To or Cc field, split at commas, semicolons and new lines (not inside a quoted
    name or <…>)."""
    items: list[str] = []
    current: list[str] = []
    quoted = angled = False
    for character in text:
        if character == '"' and not angled:
            quoted = not quoted
        elif character == "<" and not quoted:
            angled = True
        elif character == ">" and not quoted:
            angled = False
        if character in ",;\n" and not (quoted or angled):
            items.append("".join(current))
            current = []
        else:
            current.append(character)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


# -- composing ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PdfAttachment:
    data: bytes
    file_name: str


def compose(
    settings: MailSettings,
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
    subject: str,
    body: str,
    attachment: PdfAttachment | None = None,
    now: datetime | None = None,
) -> EmailMessage:
    """A complete message, From the settings' sender, with a new Message-ID in the sender's domain.

    Raises AddressError for a bad recipient and MailSettingsError when no valid sender address is set.
    """
    sender = _sender(settings)
    recipients = [parse_recipient(item) for item in to]
    copies = [parse_recipient(item) for item in cc]
    if not recipients:
        raise AddressError(_("The message has no recipient: give at least one address in To."), address="")
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = recipients
    if copies:
        message["Cc"] = copies
    # A subject is one line: a template's line breaks would otherwise end the header early.
    message["Subject"] = " ".join(subject.split())
    message["Date"] = format_datetime((now or utc_now()).astimezone())
    message["Message-ID"] = make_msgid(domain=sender.domain)
    # Quoted-printable keeps the whole message 7-bit, so no server needs 8BITMIME to carry accents.
    message.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    if attachment is not None:
        message.add_attachment(attachment.data, maintype="application", subtype="pdf", filename=attachment.file_name)
    return message


def _sender(settings: MailSettings) -> Address:
    problem = address_problem(settings.from_address.strip())
    if problem is not None:
        raise MailSettingsError(
            _("The sender address in the e-mail settings ({address}) is not valid: {problem}.").format(
                address=settings.from_address.strip() or '""', problem=problem
            )
        )
    return Address(display_name=" ".join(settings.from_name.split()), addr_spec=settings.from_address.strip())


def message_bytes(message: EmailMessage) -> bytes:
    """The message as it goes on the wire (CRLF line ends): what the outbox stores and a .eml file holds."""
    return message.as_bytes(policy=email.policy.SMTP)


def parse_message(raw: bytes) -> EmailMessage:
    message = BytesParser(policy=email.policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    return message


def save_eml(message: EmailMessage | bytes, path: Path) -> None:
    """Writes the message as a .eml file any mail client opens, atomically: a crash never leaves half a file."""
    data = message if isinstance(message, bytes) else message_bytes(message)
    temporary = path.with_name(path.name + ".tmp")
    try:
        with temporary.open("wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise MailError(
            _("Could not save the message to {path}: {reason}").format(path=path, reason=error.strerror or error)
        ) from error


# -- settings and password ---------------------------------------------------------------------------------------------


def check_settings(settings: MailSettings) -> None:
    """MailSettingsError when these settings cannot send anything, before any message is touched."""
    if not settings.host.strip():
        raise MailSettingsError(_("No mail server is set: fill in the e-mail settings first."))
    _sender(settings)
    if settings.security not in MAIL_SECURITY:
        raise MailSettingsError(
            _("Unknown mail security {security}: use starttls, ssl or none.").format(security=settings.security)
        )
    if settings.security == "none" and settings.username:
        # A login without TLS would send the password in clear over the client's network.
        raise MailSettingsError(
            _("The mail server login needs an encrypted connection: choose STARTTLS or SSL/TLS, not none.")
        )
    if settings.security != "none":
        tls_context(settings)


def tls_context(settings: MailSettings) -> ssl.SSLContext:
    """The system's CAs plus the company's own CA file if given; certificates and host names are always checked."""
    context = ssl.create_default_context()
    if settings.ca_file:
        try:
            context.load_verify_locations(cafile=settings.ca_file)
        except (OSError, ssl.SSLError) as error:
            reason = getattr(error, "strerror", None) or getattr(error, "reason", None) or error
            raise MailSettingsError(
                _("The CA file {path} of the e-mail settings cannot be used: {reason}").format(
                    path=settings.ca_file, reason=reason
                )
            ) from None
    return context


def password_from_vault(vault: Vault) -> str:
    """The SMTP password; MailSettingsError saying where to enter it when the vault has none."""
    if not vault.exists(PASSWORD_KEY):
        raise MailSettingsError(
            _(
                "No mail server password is stored: enter it in the e-mail settings (it is kept in the vault as {key})."
            ).format(key=PASSWORD_KEY)
        )
    return vault.load_text(PASSWORD_KEY)


# -- sending -----------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """The server accepted the message (250). `refused`: recipients it refused while accepting it for the others."""

    refused: dict[str, str] = field(default_factory=dict)


def send_message(
    settings: MailSettings, password: str | None, raw: bytes, sender: str, recipients: Sequence[str]
) -> Delivery:
    """Sends the exact bytes `raw` to `recipients` and returns once the server answered 250 to them.

    Blocking: call it from a worker thread. Raises a SendError (or MailSettingsError), whose message never contains
    the password; the library's own exception is not chained, as its text may echo what was sent.
    """
    from supportstation.reports.smtp_failures import classify

    check_settings(settings)
    context = tls_context(settings) if settings.security != "none" else None
    try:
        connection = _connect(settings, context)
        try:
            refused = _transaction(connection, settings, password, context, raw, sender, recipients)
        except BaseException:
            connection.close()
            raise
    except SendError:
        raise
    except Exception as error:
        raise classify(error, settings, password, recipients) from None
    _quit(connection)
    log.info("Mail server %s:%s accepted a message for %s", settings.host, settings.port, ", ".join(recipients))
    return Delivery({address: f"{code} {_text(reply)}" for address, (code, reply) in refused.items()})


def _connect(settings: MailSettings, context: ssl.SSLContext | None) -> smtplib.SMTP:
    # Connecting in the constructor: it is what records the host name TLS checks the certificate against.
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def _transaction(
    connection: smtplib.SMTP,
    settings: MailSettings,
    password: str | None,
    context: ssl.SSLContext | None,
    raw: bytes,
    sender: str,
    recipients: Sequence[str],
) -> dict[str, tuple[int, bytes]]:
    _secure_and_log_in(connection, settings, password, context)
    return connection.sendmail(sender, list(recipients), raw)


def _login(connection: smtplib.SMTP, username: str, password: str) -> None:
    if f"{username}{password}".isascii():
        connection.login(username, password)
        return
    # smtplib encodes credentials as ASCII and fails on "é"; AUTH PLAIN carries UTF-8 (RFC 4616), so send it directly.
    connection.ehlo_or_helo_if_needed()
    if not connection.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server.")
    if "PLAIN" not in connection.esmtp_features["auth"].upper().split():
        raise smtplib.SMTPException("No suitable authentication method found.")
    credentials = base64.b64encode(f"\0{username}\0{password}".encode()).decode("ascii")
    code, reply = connection.docmd("AUTH", f"PLAIN {credentials}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _quit(connection: smtplib.SMTP) -> None:
    # The message is accepted already: a failure to say goodbye changes nothing.
    try:
        connection.quit()
    except (smtplib.SMTPException, OSError):
        connection.close()


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply).replace("\n", " ").strip()


def server_name(settings: MailSettings) -> str:
    return f"{settings.host}:{settings.port}"


# -- checking the connection -------------------------------------------------------------------------------------------

# A stand-in sender, so that `check_settings` judges only what a connection needs: no message is sent.
_ANY_SENDER = "connection-check@example.com"


def check_connection(settings: MailSettings, password: str | None) -> str:
    """Connects to the server as `send_message` would (TLS per `security`, a login when a user name is set), says
    QUIT, and returns what worked, for the engineer to read. Nothing is sent.

    Blocking: call it from a worker thread. Raises MailSettingsError or a SendError, never containing the password.
    """
    from dataclasses import replace

    from supportstation.reports.smtp_failures import classify

    check_settings(replace(settings, from_address=_ANY_SENDER))
    if settings.username and not password:
        raise MailSettingsError(_("A user name is set but no password: type the password to test the login."))
    context = tls_context(settings) if settings.security != "none" else None
    try:
        connection = _connect(settings, context)
        try:
            _secure_and_log_in(connection, settings, password, context)
        except BaseException:
            connection.close()
            raise
    except SendError:
        raise
    except Exception as error:
        raise classify(error, settings, password, []) from None
    protocol = connection.sock.version() if isinstance(connection.sock, ssl.SSLSocket) else None
    _quit(connection)
    server = server_name(settings)
    log.info("Mail server %s answered a connection check", server)
    encryption = _("encrypted with {protocol}").format(protocol=protocol) if protocol else _("not encrypted")
    if settings.username:
        return _("Connected to {server} ({encryption}), login of {user} accepted.").format(
            server=server, encryption=encryption, user=settings.username
        )
    return _("Connected to {server} ({encryption}); no login tried, as no user name is set.").format(
        server=server, encryption=encryption
    )


def _secure_and_log_in(
    connection: smtplib.SMTP, settings: MailSettings, password: str | None, context: ssl.SSLContext | None
) -> None:
    # Before any transaction, and for `check_connection`: TLS as the settings say, then the login if one is set.
    server = server_name(settings)
    if settings.security == "starttls":
        try:
            connection.starttls(context=context)
        except smtplib.SMTPNotSupportedError:
            raise SecureConnectionFailed(
                _(
                    "The mail server {server} does not offer STARTTLS, so the connection cannot be encrypted. "
                    "Check the port and the security setting (SSL/TLS is usually port 465)."
                ).format(server=server)
            ) from None
    if not settings.username:
        return
    try:
        _login(connection, settings.username, password or "")
    except smtplib.SMTPNotSupportedError:
        raise AuthenticationRefused(
            _(
                "The mail server {server} does not accept a login on this connection: check the port and "
                "the security setting, or clear the user name if the server needs none."
            ).format(server=server)
        ) from None
    except (smtplib.SMTPResponseException, smtplib.SMTPServerDisconnected):
        raise  # a refusal, with the server's code: classified with the others
    except smtplib.SMTPException:
        raise AuthenticationRefused(
            _("The mail server {server} offers no login method SupportStation knows (PLAIN, LOGIN, CRAM-MD5).").format(
                server=server
            )
        ) from None

"""Turning what smtplib, ssl and the socket raise into a `SendError` an engineer understands.

The split that matters is temporary or not: an unreachable server, a timeout or a 4xx reply will likely pass later,
so the outbox retries them by itself; a certificate that is not trusted, a refused login or recipient will not,
so the message waits for the engineer. Server replies are quoted (they say what is wrong), scrubbed of the password
and of its base64 forms first: a server may echo the AUTH line it refused.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Callable, Sequence

from supportstation.i18n import _
from supportstation.reports.mail import (
    AuthenticationRefused,
    CertificateNotTrusted,
    MessageRefused,
    RecipientRefused,
    SecureConnectionFailed,
    SendError,
    ServerUnreachable,
    TemporaryFailure,
    server_name,
)
from supportstation.settings import MailSettings


def classify(error: Exception, settings: MailSettings, password: str | None, recipients: Sequence[str]) -> SendError:
    server = server_name(settings)

    def scrub(text: object) -> str:
        return _scrubbed(_as_text(text), settings.username, password)

    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _recipients_refused(server, error.recipients, scrub)
    if isinstance(error, smtplib.SMTPResponseException):
        return _reply(error, server, settings, scrub)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return ServerUnreachable(
            _(
                "The mail server {server} closed the connection ({detail}). If this happens every time, check the "
                "port and the security setting (STARTTLS is usually port 587, SSL/TLS port 465)."
            ).format(server=server, detail=scrub(error) or _("no reason given"))
        )
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return MessageRefused(
            _("The mail server {server} lacks a feature this message needs: {detail}").format(
                server=server, detail=scrub(error)
            )
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return CertificateNotTrusted(
            _(
                "The certificate of the mail server {server} is not trusted ({detail}). If your company signs its "
                "own certificates, give its CA file in the e-mail settings."
            ).format(server=server, detail=scrub(getattr(error, "verify_message", None) or error))
        )
    if isinstance(error, ssl.SSLError):
        return SecureConnectionFailed(
            _(
                "No secure connection could be made with the mail server {server} ({detail}). Check the port and the "
                "security setting: STARTTLS is usually port 587, SSL/TLS port 465."
            ).format(server=server, detail=scrub(getattr(error, "reason", None) or error))
        )
    return _network(error, server, settings) or MessageRefused(
        _("Sending through the mail server {server} failed unexpectedly: {kind}: {detail}").format(
            server=server, kind=type(error).__name__, detail=scrub(error)
        )
    )


def _network(error: Exception, server: str, settings: MailSettings) -> SendError | None:
    if isinstance(error, socket.gaierror):
        return ServerUnreachable(
            _(
                "The mail server {host} cannot be found ({detail}): check its name, and that this computer is online."
            ).format(host=settings.host, detail=error.strerror or error)
        )
    if isinstance(error, ConnectionRefusedError):
        return ServerUnreachable(
            _("The mail server {server} refused the connection: it is down, or the port is wrong.").format(
                server=server
            )
        )
    if isinstance(error, TimeoutError):
        return ServerUnreachable(
            _("The mail server {server} did not answer within {seconds:g} s.").format(
                server=server, seconds=settings.timeout
            )
        )
    if isinstance(error, OSError):
        return ServerUnreachable(
            _("The mail server {server} cannot be reached: {detail}.").format(
                server=server, detail=error.strerror or error
            )
        )
    return None


Scrub = Callable[[object], str]


def _reply(error: smtplib.SMTPResponseException, server: str, settings: MailSettings, scrub: Scrub) -> SendError:
    reply = f"{error.smtp_code} {scrub(error.smtp_error)}".strip()
    if isinstance(error, smtplib.SMTPAuthenticationError) and not _temporary(error.smtp_code):
        return AuthenticationRefused(
            _(
                "The mail server {server} refused the login of {user} ({reply}). Check the user name and the "
                "password in the e-mail settings."
            ).format(server=server, user=settings.username, reply=reply)
        )
    if _temporary(error.smtp_code):
        return TemporaryFailure(
            _("The mail server {server} cannot take the message for now ({reply}); it will be tried again.").format(
                server=server, reply=reply
            )
        )
    if isinstance(error, smtplib.SMTPSenderRefused):
        return MessageRefused(
            _("The mail server {server} refused the sender address {sender} ({reply}).").format(
                server=server, sender=_as_text(error.sender), reply=reply
            )
        )
    return MessageRefused(
        _("The mail server {server} refused the message ({reply}).").format(server=server, reply=reply)
    )


def _recipients_refused(server: str, refused: dict[str, tuple[int, bytes]], scrub: Scrub) -> SendError:
    details = "; ".join(f"{address} ({code} {scrub(reply)})" for address, (code, reply) in refused.items())
    if refused and all(_temporary(code) for code, _text in refused.values()):
        return TemporaryFailure(
            _("The mail server {server} cannot take mail for {details} for now; it will be tried again.").format(
                server=server, details=details
            )
        )
    return RecipientRefused(
        _("The mail server {server} refused the recipients: {details}. Correct the addresses, then send again.").format(
            server=server, details=details
        )
    )


def _temporary(code: int) -> bool:
    return 400 <= code < 500


def _as_text(value: object) -> str:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())


def _scrubbed(text: str, username: str, password: str | None) -> str:
    if not password:
        return text
    from supportstation.vault.redaction import redact

    # AUTH PLAIN sends base64("\0user\0password"), AUTH LOGIN base64("password"): hide both, and the plain value.
    secrets = [password, f"\0{username}\0{password}", f"{username}\0{password}"]
    cleaned = redact(text, secrets)
    # Redaction leaves secrets under four characters alone (they would garble any text); an error message is short.
    return cleaned.replace(password, "[secret]")

"""A real SMTP server for tests: aiosmtpd on 127.0.0.1, with TLS from a throwaway CA, and a login required.

`SmtpServer` runs in STARTTLS mode (port 587 style: STARTTLS required before AUTH and mail) or SSL mode (port 465
style: TLS from the first byte). It keeps every message it accepted, envelope and bytes as received, and can be
stopped and started again on the same port, for "the server is down, then back". `on_data` lets a test act at the
moment the message arrives, before the client gets its 250.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from supportstation.settings import MailSettings

TEST_USER = "support@example.test"
# Accented on purpose: French passwords have accents, and smtplib's own login cannot send them.
TEST_PASSWORD = "Mot-de-passe-été-2026!"
SENDER = "ingenieur@example.test"


def free_port() -> int:
    # aiosmtpd cannot be given port 0 (it must know the port to check the server is up): pick one ourselves.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class SmtpCertificates:
    ca_file: Path
    certificate_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.certificate_file, self.key_file)
        return context


def make_certificates(folder: Path) -> SmtpCertificates:
    """A CA of its own and a certificate it signs for IP 127.0.0.1 (the name the client checks)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SupportStation test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    files = SmtpCertificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    files.certificate_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


@dataclass(frozen=True)
class ReceivedMessage:
    mail_from: str
    recipients: list[str]
    data: bytes  # as received, after the SMTP dot-unstuffing: the message the client sent

    def parsed(self) -> Any:
        import email.policy
        from email.parser import BytesParser

        return BytesParser(policy=email.policy.default).parsebytes(self.data)


@dataclass
class RecordingHandler:
    messages: list[ReceivedMessage] = field(default_factory=list)
    # Called in the server's thread when a message has arrived, before the 250 goes back.
    on_data: Callable[[Envelope], None] | None = None
    quit_seen: threading.Event = field(default_factory=threading.Event)
    # Addresses answered "550 no such user" at RCPT time.
    unknown_recipients: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.unknown_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.on_data is not None:
            self.on_data(envelope)
        data = envelope.original_content or b""
        with self.lock:
            self.messages.append(ReceivedMessage(str(envelope.mail_from), list(envelope.rcpt_tos), bytes(data)))
        return "250 2.0.0 Message accepted for delivery"

    async def handle_QUIT(self, server: Any, session: Session, envelope: Envelope) -> str:
        self.quit_seen.set()
        return "221 2.0.0 Bye"


def authenticate(server: Any, session: Session, envelope: Envelope, mechanism: str, auth_data: Any) -> AuthResult:
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    good = auth_data.login == TEST_USER.encode() and auth_data.password == TEST_PASSWORD.encode("utf-8")
    # handled=False on failure, or aiosmtpd sends no reply and the client waits for ever.
    return AuthResult(success=good, handled=False)


class SmtpServer:
    """One server on a fixed port of 127.0.0.1; `stop` and `start` keep that port."""

    def __init__(self, certificates: SmtpCertificates, *, security: str = "starttls") -> None:
        self.certificates = certificates
        self.security = security
        self.host = "127.0.0.1"
        self.port = free_port()
        self.handler = RecordingHandler()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[ReceivedMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        context = self.certificates.server_context()
        if self.security == "ssl":
            tls: dict[str, Any] = {"ssl_context": context, "auth_require_tls": False}  # TLS from the first byte
        else:
            tls = {"tls_context": context, "require_starttls": True}
        controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            authenticator=authenticate,
            auth_required=True,
            **tls,
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def settings(self, **changes: Any) -> MailSettings:
        """Client settings that work with this server; `changes` to break one thing."""
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": TEST_USER,
            "from_address": SENDER,
            "from_name": "Ingénieur Support",
            "ca_file": str(self.certificates.ca_file),
            "timeout": 10.0,
        }
        values.update(changes)
        return MailSettings(**values)

    def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[ReceivedMessage]:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages

"""TLS certificates of WinRM hosts: what a host presents, and the certificates the engineer pinned.

Most Windows hosts answer WinRM over HTTPS with a self-signed certificate that no CA vouches for. Rather than turn
verification off, the engineer is shown the certificate (subject, issuer, expiry, SHA-256 fingerprint) as he is
shown an SSH host key, and pins it once or always; a pinned certificate that changes is refused, like a changed
host key. Pins live in a text file beside the app's known_hosts: `host:port sha256-hex`, one per line.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from supportstation.i18n import _
from supportstation.remote.host_keys import HostKeyDecision, HostKeyPrompt
from supportstation.remote.results import ChangedHostKey, ConnectError, UnknownHostKey
from supportstation.remote.threads import in_thread

if TYPE_CHECKING:
    from cryptography import x509

CERTIFICATE_KIND = "TLS certificate"


def normalise_fingerprint(text: str) -> str:
    """`AB:CD:…`, `abcd…` or `SHA256:AB:CD…` as 64 lower-case hex digits; ValueError if it is not a SHA-256."""
    digits = text.strip().removeprefix("SHA256:").removeprefix("sha256:").replace(":", "").replace(" ", "").lower()
    if len(digits) != 64 or any(c not in "0123456789abcdef" for c in digits):
        raise ValueError(_("{text} is not a SHA-256 fingerprint (64 hexadecimal digits).").format(text=text))
    return digits


def shown_fingerprint(hex_digits: str) -> str:
    """As `openssl x509 -fingerprint -sha256` prints it: upper-case pairs joined by colons."""
    upper = hex_digits.upper()
    return ":".join(upper[i : i + 2] for i in range(0, len(upper), 2))


@dataclass(frozen=True)
class OfferedCertificate:
    """A certificate a host presented, as the engineer is shown it (the fields a host-key prompt reads)."""

    host: str
    port: int
    der: bytes
    problem: str = ""  # why the usual verification did not vouch for it ("self-signed certificate", …)

    key_type = CERTIFICATE_KIND

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.der).hexdigest()

    @property
    def fingerprint(self) -> str:
        return shown_fingerprint(self.sha256)

    @property
    def host_entry(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def _certificate(self) -> x509.Certificate:
        # Imported here: cryptography's X.509 modules cost every SSH command ~0.06 s, and only WinRM reads them.
        from cryptography.x509 import load_der_x509_certificate

        return load_der_x509_certificate(self.der)

    @property
    def subject(self) -> str:
        return _common_name(self._certificate.subject)

    @property
    def issuer(self) -> str:
        return _common_name(self._certificate.issuer)

    @property
    def not_after(self) -> datetime:
        return self._certificate.not_valid_after_utc

    @property
    def not_before(self) -> datetime:
        return self._certificate.not_valid_before_utc

    @property
    def expired(self) -> bool:
        return self.not_after < datetime.now(UTC)

    def summary(self) -> str:
        return _("subject {subject}, issued by {issuer}, valid until {expiry:%Y-%m-%d}").format(
            subject=self.subject, issuer=self.issuer, expiry=self.not_after
        )


def _common_name(name: x509.Name) -> str:
    from cryptography.x509.oid import NameOID

    names = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(names[0].value) if names else name.rfc4514_string()


def fetch_certificate(host: str, port: int, timeout: float, ca_file: Path | None = None) -> OfferedCertificate:
    """One TLS handshake: the certificate the host presents, and why the system's CAs (or `ca_file`) do not vouch
    for it, if they do not. Nothing but the handshake is sent. Blocking: call it in a worker thread."""
    problem = ""
    try:
        with _handshake(host, port, timeout, verified=True, ca_file=ca_file) as tls:
            der = tls.getpeercert(binary_form=True)
    except ssl.SSLCertVerificationError as error:
        problem = error.verify_message or str(error)
        with _handshake(host, port, timeout, verified=False) as tls:
            der = tls.getpeercert(binary_form=True)
    if not der:
        raise ConnectError(_("{host}:{port} presented no certificate.").format(host=host, port=port))
    return OfferedCertificate(host, port, der, problem)


@contextlib.contextmanager
def _handshake(host: str, port: int, timeout: float, *, verified: bool, ca_file: Path | None = None):  # type: ignore[no-untyped-def]
    if verified:
        context = ssl.create_default_context(cafile=os.fspath(ca_file) if ca_file else None)
    else:
        # Only to read the certificate and show it: no request, no credential goes over this connection.
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection((host, port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname=host) as tls,
    ):
        yield tls


async def trusted_certificate(
    host: str,
    port: int,
    *,
    label: str,
    pins: CertificatePins,
    prompt: HostKeyPrompt,
    timeout: float,
    ca_file: Path | None = None,
    given_fingerprint: str = "",
) -> tuple[OfferedCertificate, HostKeyDecision | None, str]:
    """The certificate `host:port` presents, once trusted: (certificate, the engineer's decision if he was asked,
    the SHA-256 to pin the connection to, or "" when the CAs vouch for it).

    A fingerprint given for this connection, else a pinned one, must match (ChangedHostKey otherwise); a certificate
    no CA vouches for is shown to the engineer, who pins it once or always, or refuses (UnknownHostKey)."""
    offered = await in_thread(_fetch, host, port, label, timeout, ca_file)
    try:
        expected = normalise_fingerprint(given_fingerprint) if given_fingerprint else None
    except ValueError as error:
        raise ConnectError(str(error)) from None
    expected = expected or await in_thread(pins.get, offered.host_entry)
    if expected is not None:
        if offered.sha256 != expected:
            raise changed_certificate_error(offered, expected)
        return offered, None, expected
    if not offered.problem:
        return offered, None, ""
    decision = await prompt(offered)  # type: ignore[arg-type]
    if decision is HostKeyDecision.REFUSE:
        raise untrusted_certificate_error(offered)
    if decision is HostKeyDecision.ACCEPT_ALWAYS:
        await in_thread(pins.pin, offered)
    return offered, decision, offered.sha256


def _fetch(host: str, port: int, label: str, timeout: float, ca_file: Path | None) -> OfferedCertificate:
    try:
        return fetch_certificate(host, port, timeout, ca_file)
    except TimeoutError:
        raise ConnectError(_("{host} did not answer in {seconds:g} s.").format(host=label, seconds=timeout)) from None
    except OSError as error:
        reason = error.strerror or str(error)
        raise ConnectError(_("Cannot connect to {host}: {reason}").format(host=label, reason=reason)) from None


class CertificatePins:
    """The certificates pinned for good, one per host and port (the user's decision "always")."""

    def __init__(self, file: Path) -> None:
        self.file = file
        self._lock = threading.Lock()

    def _entries(self) -> dict[str, str]:
        if not self.file.is_file():
            return {}
        entries = {}
        for line in self.file.read_text(encoding="ascii", errors="replace").splitlines():
            name, _space, digest = line.strip().partition(" ")
            with contextlib.suppress(ValueError):  # a damaged line pins nothing; the others still count
                entries[name] = normalise_fingerprint(digest)
        return entries

    def get(self, host_entry: str) -> str | None:
        return self._entries().get(host_entry)

    def pin(self, offered: OfferedCertificate) -> None:
        with self._lock:
            entries = self._entries()
            entries[offered.host_entry] = offered.sha256
            self._write(entries)

    def remove(self, host_entry: str) -> bool:
        with self._lock:
            entries = self._entries()
            removed = entries.pop(host_entry, None) is not None
            self._write(entries)
            return removed

    def _write(self, entries: dict[str, str]) -> None:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.file.with_suffix(".tmp")
        temporary.write_text("".join(f"{name} {digest}\n" for name, digest in sorted(entries.items())), "ascii")
        os.replace(temporary, self.file)


def changed_certificate_error(offered: OfferedCertificate, pinned_sha256: str) -> ChangedHostKey:
    return ChangedHostKey(
        _(
            "REFUSED: the certificate of {host} has changed. It presented {offered} ({summary}), but the pinned "
            "certificate is {pinned}. This can mean that someone is intercepting the connection; nothing was sent. "
            "Check the certificate with the client's administrator before pinning the new one."
        ).format(
            host=offered.host_entry,
            offered=offered.fingerprint,
            summary=offered.summary(),
            pinned=shown_fingerprint(pinned_sha256),
        )
    )


def untrusted_certificate_error(offered: OfferedCertificate) -> UnknownHostKey:
    return UnknownHostKey(
        _(
            "The certificate of {host} is not trusted ({problem}): {summary}, SHA-256 {fingerprint}. It was not "
            "accepted; pin it after checking the fingerprint with the client (--cert-fingerprint on the command line)."
        ).format(
            host=offered.host_entry,
            problem=offered.problem,
            summary=offered.summary(),
            fingerprint=offered.fingerprint,
        )
    )

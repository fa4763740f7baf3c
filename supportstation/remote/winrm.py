"""Commands on Windows hosts over WinRM, streamed: pywinrm's `Protocol` driven one Receive at a time.

`winrm.Session.run_cmd` waits for a command to end before it returns anything; the engineer must see output while a
command runs, so this module drives the WS-Management exchange itself: a shell, a command, then Receive after
Receive, each answering with what arrived meanwhile (or, after the operation timeout, with nothing). Cancelling
sends Signal terminate, and the shell is deleted on every path.

Security: HTTPS is verified (the system's CAs, a CA file, or a certificate pinned by its SHA-256 fingerprint, checked
before any credential is sent); plain HTTP is used only with NTLM or Kerberos message encryption; Basic only over
HTTPS. Everything here blocks: call it in a worker thread.
"""

from __future__ import annotations

import contextlib
import ssl
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from winrm.exceptions import InvalidCredentialsError, WinRMError, WinRMOperationTimeoutError, WinRMTransportError
from winrm.protocol import Protocol

from supportstation.i18n import _
from supportstation.remote.results import AuthenticationFailed, ConnectError

UTF8_CODE_PAGE = 65001
OPERATION_TIMEOUT_S = 2  # how long one Receive waits for output: also how long a cancel can take to be sent
READ_TIMEOUT_S = OPERATION_TIMEOUT_S + 8  # the HTTP answer to a Receive comes at most this long after the request
AUTH_SCHEMES = ("ntlm", "kerberos", "credssp", "basic")


@dataclass(frozen=True)
class WinrmEndpoint:
    url: str  # https://host:5986/wsman or http://host:5985/wsman
    username: str
    password: str
    auth: str = "ntlm"
    ca_file: Path | None = None
    pinned_sha256: str = ""  # hex, with or without colons: the certificate the engineer checked and pinned

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or self.url

    @property
    def is_https(self) -> bool:
        return urlsplit(self.url).scheme == "https"


class _PinnedAdapter(HTTPAdapter):
    """urllib3 compares the server certificate's fingerprint right after the TLS handshake, before a request (and
    its credentials) is sent. The fingerprint does the vouching, so the TLS context loads no CA store: loading the
    system's took about 45 ms per connection (bench/winrm.py)."""

    def __init__(self, fingerprint: str) -> None:
        self._fingerprint = fingerprint
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        kwargs["ssl_context"] = context
        kwargs["assert_fingerprint"] = self._fingerprint
        super().init_poolmanager(*args, **kwargs)


# requests reads the proxy settings by writing `no_proxy` into os.environ and deleting it after (requests.utils.
# set_environ): two sessions doing it in two threads at once made one fail with KeyError('no_proxy') when three
# commands started together on one host. The environment is read once, under this lock, and never again.
_ENVIRONMENT_READ = threading.Lock()


def _build_sessions_safely(protocol: Protocol, fingerprint: str) -> None:
    """pywinrm builds a new HTTP session whenever its last one was closed. Each is built under the lock above, then
    kept from reading the environment again; with a pinned certificate each gets the pinned check, so no request can
    ever go out over a connection whose certificate was not compared."""
    transport = protocol.transport
    build = transport.build_session

    def build_safely() -> requests.Session:
        fresh = transport.session is None
        with _ENVIRONMENT_READ:
            session = build()
        if fresh:
            session.trust_env = False  # its proxies were settled by the build: none (see open_protocol)
            if fingerprint:
                session.mount("https://", _PinnedAdapter(fingerprint))
        return session

    transport.build_session = build_safely  # type: ignore[method-assign]


def open_protocol(endpoint: WinrmEndpoint) -> Protocol:
    """A protocol object set up as the security rules above say; refuses, with the reason, a setting that breaks
    them. Nothing is sent yet."""
    if endpoint.auth not in AUTH_SCHEMES:
        raise ConnectError(_("Unknown WinRM authentication {auth}.").format(auth=endpoint.auth))
    if endpoint.auth == "basic" and not endpoint.is_https:
        raise ConnectError(
            _("{host}: Basic authentication sends the password readable; it is allowed over HTTPS only.").format(
                host=endpoint.host
            )
        )
    pinned = endpoint.pinned_sha256.replace(":", "").lower()
    protocol = Protocol(
        endpoint.url,
        transport=endpoint.auth,  # type: ignore[arg-type]
        username=endpoint.username,
        password=endpoint.password,
        # A pinned certificate replaces the CA check: the fingerprint is compared instead (see _PinnedAdapter).
        server_cert_validation="ignore" if pinned else "validate",
        ca_trust_path=str(endpoint.ca_file) if endpoint.ca_file else None,  # type: ignore[arg-type]
        operation_timeout_sec=OPERATION_TIMEOUT_S,
        read_timeout_sec=READ_TIMEOUT_S,
        # Over HTTP the SOAP messages are sealed by NTLM or Kerberos, or not sent at all.
        message_encryption="auto" if endpoint.is_https else "always",
        proxy=None,  # a client's hosts are reached directly, never through a proxy from the environment
    )
    _build_sessions_safely(protocol, pinned if endpoint.is_https else "")
    return protocol


class WinrmCommand:
    """One command in a shell of its own: `read()` until it says the command is done, then `close()` (always)."""

    def __init__(self, protocol: Protocol, endpoint: WinrmEndpoint, shell_id: str, command_id: str) -> None:
        self.protocol = protocol
        self.endpoint = endpoint
        self.shell_id = shell_id
        self.command_id = command_id
        self.exit_code: int | None = None
        self.done = False

    def read(self) -> tuple[bytes, bytes]:
        """One Receive: the stdout and stderr that arrived, empty after an operation timeout without output."""
        try:
            stdout, stderr, code, done = self.protocol.get_command_output_raw(self.shell_id, self.command_id)
        except WinRMOperationTimeoutError:
            return b"", b""
        except Exception as error:
            raise _connect_error(self.endpoint, error) from None
        if done:
            self.done, self.exit_code = True, code
        return stdout, stderr

    def send(self, data: bytes, *, end: bool = False) -> None:
        """One Send: `data` on the command's standard input, and end-of-input with `end`."""
        try:
            self.protocol.send_command_input(self.shell_id, self.command_id, data, end=end)
        except Exception as error:
            raise _connect_error(self.endpoint, error) from None

    def terminate(self) -> None:
        """Signal terminate: Windows stops the command (and what it started in the shell)."""
        with contextlib.suppress(WinRMError, requests.RequestException):
            self.protocol.cleanup_command(self.shell_id, self.command_id)

    def close(self) -> None:
        """Deletes the shell; an unreachable host keeps it until its idle timeout, which is all that can be done."""
        close_shell(self.protocol, self.shell_id)


def open_shell(protocol: Protocol, endpoint: WinrmEndpoint) -> str:
    """A new shell (UTF-8 code page, no profile); ConnectError, naming the host, if the host refuses it."""
    try:
        return protocol.open_shell(codepage=UTF8_CODE_PAGE, noprofile=True)
    except Exception as error:
        raise _connect_error(endpoint, error) from None


def close_shell(protocol: Protocol, shell_id: str) -> None:
    """Deletes the shell and keeps the HTTP session: its connection, its login and (when pinned) its checked
    certificate serve the next command."""
    with contextlib.suppress(WinRMError, requests.RequestException):
        protocol.close_shell(shell_id, close_session=False)


def close_session(protocol: Protocol) -> None:
    with contextlib.suppress(Exception):  # only sockets to close; nothing is left on the host
        protocol.transport.close_session()


def start_command(protocol: Protocol, endpoint: WinrmEndpoint, command_line: str) -> WinrmCommand:
    """Opens a shell and starts `command_line` in it; ConnectError, naming the host, if not."""
    shell_id = open_shell(protocol, endpoint)
    try:
        command_id = protocol.run_command(shell_id, command_line)
    except Exception as error:
        close_shell(protocol, shell_id)
        raise _connect_error(endpoint, error) from None
    return WinrmCommand(protocol, endpoint, shell_id, command_id)


def _connect_error(endpoint: WinrmEndpoint, error: Exception) -> ConnectError:
    """The error as the engineer should read it; never with the password in it."""
    host = endpoint.host
    if isinstance(error, InvalidCredentialsError):
        return AuthenticationFailed(
            _("{host} refused the login of {user} ({auth}): wrong user name or password.").format(
                host=host, user=endpoint.username, auth=endpoint.auth
            )
        )
    if isinstance(error, requests.exceptions.SSLError):
        if "fingerprint" in str(error).lower():
            return ConnectError(
                _(
                    "{host} presented a certificate other than the one pinned: nothing was sent. Check the "
                    "certificate with the client's administrator before pinning the new one."
                ).format(host=host)
            )
        return ConnectError(
            _("{host}: the TLS certificate could not be verified: {reason}").format(
                host=host, reason=_ssl_reason(error)
            )
        )
    if isinstance(error, requests.exceptions.Timeout):
        return ConnectError(_("{host} did not answer in time.").format(host=host))
    if isinstance(error, requests.exceptions.ConnectionError):
        return ConnectError(_("{host}: the connection failed or was lost.").format(host=host))
    if isinstance(error, WinRMTransportError):
        return ConnectError(_("{host} answered with an HTTP error: {code}.").format(host=host, code=error.code))
    return ConnectError(_("{host}: {error}").format(host=host, error=str(error) or type(error).__name__))


def _ssl_reason(error: Exception) -> str:
    text = str(error)
    for known in ("certificate has expired", "self-signed certificate", "Hostname mismatch", "unable to get local"):
        if known.lower() in text.lower():
            return known
    return text[-200:]

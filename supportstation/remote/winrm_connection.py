"""A Windows host over WinRM seen as the runner sees an SSH host: a connection that starts processes, whose output is
read piece by piece until they end.

A WinRM "connection" is a login checked once and a few `Protocol` objects (each an HTTP session with its own NTLM
context, which cannot be shared by two requests at once): a command takes an idle one, or a new one when all are busy,
and gives it back when its shell is deleted. Twenty commands in a row thus authenticate once.
"""

from __future__ import annotations

import asyncio
import codecs
import threading
from dataclasses import dataclass, field

from winrm.protocol import Protocol

from supportstation.i18n import _
from supportstation.remote.certificates import CertificatePins, OfferedCertificate, trusted_certificate
from supportstation.remote.clixml import ClixmlDecoder
from supportstation.remote.host_keys import HostKeyDecision, HostKeyPrompt
from supportstation.remote.powershell import ScriptTooLong, encoded_command
from supportstation.remote.results import AuthenticationFailed, ConnectError, Stream
from supportstation.remote.ssh import ConnectOptions
from supportstation.remote.targets import Credentials, Target, WinrmShell
from supportstation.remote.threads import in_thread
from supportstation.remote.winrm import (
    WinrmCommand,
    WinrmEndpoint,
    close_session,
    close_shell,
    open_protocol,
    open_shell,
    start_command,
)

SHELLS_PER_CONNECTION = 8  # Windows allows 30 shells per user by default (MaxShellsPerUser); leave the rest to others


def command_line(command: str, shell: str) -> str:
    """What the Windows shell runs: cmd text as it is, a PowerShell script as an -EncodedCommand line."""
    if shell == WinrmShell.CMD:
        return command
    if shell == WinrmShell.POWERSHELL:
        return encoded_command(command)
    raise ConnectError(_("A Windows host runs PowerShell or cmd commands, not {shell} ones.").format(shell=shell))


@dataclass
class WinrmConnection:
    target: Target
    endpoint: WinrmEndpoint
    offered_key: OfferedCertificate | None  # None over plain HTTP (sealed by NTLM instead)
    key_decision: HostKeyDecision | None  # set when the engineer pinned the certificate for this connection
    options: ConnectOptions = field(default_factory=ConnectOptions)
    via: None = None
    session_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(SHELLS_PER_CONNECTION))
    _idle: list[Protocol] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    @property
    def fingerprint(self) -> str:
        return self.offered_key.fingerprint if self.offered_key is not None else ""

    @property
    def active(self) -> bool:
        return not self._closed

    def probe(self) -> bool:
        """Every Receive is a request the host answers (after its operation timeout when the command is silent), and
        one left unanswered fails the read: a silent host is noticed there, so there is nothing more to probe."""
        return not self._closed

    def start(self, command: str, *, pty: bool = False, shell: str = WinrmShell.POWERSHELL) -> WinrmProcess:
        """Starts `command` in a shell of its own. Blocking: call it in a worker thread."""
        del pty  # WinRM has no terminal to ask for: output comes as the command writes it
        try:
            line = command_line(command, shell)
        except ScriptTooLong as error:
            raise ConnectError(str(error)) from None
        protocol = self._take()
        try:
            started = start_command(protocol, self.endpoint, line)
        except ConnectError:
            # Not given back: it may be half-way through an NTLM exchange or on a dead socket.
            close_session(protocol)
            raise
        return WinrmProcess(self, protocol, started, powershell=shell == WinrmShell.POWERSHELL)

    def _take(self) -> Protocol:
        with self._lock:
            if self._closed:
                raise ConnectError(_("The connection to {host} was closed.").format(host=self.target.label))
            if self._idle:
                return self._idle.pop()
        return open_protocol(self.endpoint)

    def _give_back(self, protocol: Protocol) -> None:
        with self._lock:
            if not self._closed:
                self._idle.append(protocol)

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for protocol in idle:
            close_session(protocol)


class WinrmProcess:
    """A running command, read by the runner's reader thread as an SshProcess is."""

    def __init__(self, connection: WinrmConnection, protocol: Protocol, command: WinrmCommand, *, powershell: bool):
        self.connection = connection
        self.protocol = protocol
        self.command = command
        self.exit_code: int | None = None
        self._ended = False
        self._broken = False
        self._closed = False
        # PowerShell writes its errors as CLIXML on stderr: decoded to the text the engineer would see in a console.
        self._clixml = ClixmlDecoder() if powershell else None
        self._stderr_text = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def read(self, _timeout: float) -> list[tuple[Stream, bytes]] | None:
        """One Receive: it waits on the host for output, up to the operation timeout (2 s), whatever `_timeout` says.
        None once the command has ended and everything was read. ConnectionError when the host is lost."""
        if self._ended:
            return None
        try:
            stdout, stderr = self.command.read()
        except ConnectError as error:
            self._broken = True
            raise ConnectionError(str(error)) from None
        pieces = []
        if stdout:
            pieces.append((Stream.STDOUT, stdout))
        if self.command.done:
            self._ended = True
            self.exit_code = self.command.exit_code
        stderr = self._decoded_stderr(stderr, final=self._ended)
        if stderr:
            pieces.append((Stream.STDERR, stderr))
        return pieces

    def _decoded_stderr(self, data: bytes, *, final: bool) -> bytes:
        if self._clixml is None:
            return data
        text = self._clixml.feed(self._stderr_text.decode(data, final=final))
        if final:
            text += self._clixml.flush()
        return text.encode("utf-8")

    def terminate(self, _signal: str = "TERM") -> None:
        """Signal terminate, once: Windows has no TERM and KILL, it ends the command and what it started."""
        if self._ended:
            return
        self._ended = True
        self.command.terminate()

    def send(self, _data: bytes) -> None:
        raise ConnectError(_("Commands on Windows hosts take no input here."))

    def close_input(self) -> None:
        """Commands run from the panel get no input: nothing to close, and no Send to spend a round trip on."""

    def send_input(self, data: bytes, *, end: bool = False) -> None:
        """Feeds a script that reads its input (a file upload). ConnectionError when the host is lost."""
        try:
            self.command.send(data, end=end)
        except ConnectError as error:
            self._broken = True
            raise ConnectionError(str(error)) from None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.command.close()
        if self._broken:
            close_session(self.protocol)
        else:
            self.connection._give_back(self.protocol)


async def connect_winrm(
    target: Target,
    *,
    pins: CertificatePins,
    prompt: HostKeyPrompt,
    credentials: Credentials,
    options: ConnectOptions,
) -> WinrmConnection:
    """Checks the certificate (HTTPS) and the login; asks the engineer about a certificate no CA vouches for."""
    winrm = target.winrm
    assert winrm is not None, "connect_winrm needs a WinRM target"
    if target.jump:
        raise ConnectError(_("{host}: jump hosts are for SSH; WinRM connects directly.").format(host=target.label))
    if not credentials.password:
        raise AuthenticationFailed(
            _("No password for {user} on {host}: store one in the vault, or give it with --password-env.").format(
                user=target.login, host=target.label
            )
        )
    offered, decision, pinned = None, None, ""
    if winrm.https:
        offered, decision, pinned = await trusted_certificate(
            target.host,
            target.port,
            label=target.label,
            pins=pins,
            prompt=prompt,
            timeout=options.connect_timeout,
            ca_file=winrm.ca_file,
            given_fingerprint=winrm.cert_fingerprint,
        )
    endpoint = WinrmEndpoint(
        url=target.wsman_url,
        username=target.login,
        password=credentials.password,
        auth=winrm.auth,
        ca_file=winrm.ca_file,
        pinned_sha256=pinned,
    )
    protocol = await in_thread(open_protocol, endpoint)
    await in_thread(_check_login, protocol, endpoint)
    return WinrmConnection(target, endpoint, offered, decision, options, _idle=[protocol])


def _check_login(protocol: Protocol, endpoint: WinrmEndpoint) -> None:
    """Opens and deletes a shell: the login (and, over HTTP, the message encryption) is known to work before the
    connection is called made."""
    close_shell(protocol, open_shell(protocol, endpoint))

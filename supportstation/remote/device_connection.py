"""Gear reached through a plugin's transport (a switch's CLI, a server BMC's Redfish), seen by the engine as any
other connection: the same runs, recording, redaction, audit and timeline as SSH and WinRM.

The engine does what must not depend on a plugin's care: it checks the device's identity before the plugin opens
anything (the SSH host key against the app's known_hosts, or the TLS certificate against the CAs and the pins,
asking the engineer about one it does not know, exactly as for SSH and WinRM hosts) and hands the plugin only the
key or certificate that was accepted. The plugin's session then runs one command at a time in a worker thread; its
output is passed on as it comes, like a remote process's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import paramiko

from supportstation.i18n import _
from supportstation.remote.certificates import CertificatePins, OfferedCertificate, trusted_certificate
from supportstation.remote.host_keys import HostKeyDecision, HostKeyPrompt, HostKeyStore, OfferedKey
from supportstation.remote.results import AuthenticationFailed, ConnectError, Stream
from supportstation.remote.ssh import ConnectOptions, negotiate_host_key, open_socket, verify_host_key
from supportstation.remote.targets import Credentials, Target
from supportstation.remote.threads import in_thread

if TYPE_CHECKING:
    from supportstation.plugin_api.transports import DeviceSession, Transport

log = logging.getLogger(__name__)

_END = object()  # put on the output queue by the command's thread when it is done


@dataclass
class DeviceConnection:
    """An open session of a plugin's transport. Devices answer one command at a time: one session slot."""

    target: Target
    session: DeviceSession
    offered_key: OfferedKey | OfferedCertificate | None
    key_decision: HostKeyDecision | None
    options: ConnectOptions = field(default_factory=ConnectOptions)
    via: None = None  # no jump hosts for devices (yet): the field the pool's close order reads
    session_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    _known_hosts: Path | None = None

    @property
    def fingerprint(self) -> str:
        return self.offered_key.fingerprint if self.offered_key is not None else ""

    @property
    def active(self) -> bool:
        try:
            return bool(self.session.active)
        except Exception:  # a plugin's property that fails says the session cannot be trusted any more
            return False

    def probe(self) -> bool:
        # A device CLI has no keepalive the engine can send between a command's lines: the session knows best.
        return self.active

    def start(self, command: str, *, pty: bool = False, shell: str = "") -> DeviceProcess:
        del pty, shell  # a device session has no terminal, and speaks its transport's language only
        return DeviceProcess(self, command)

    def close(self) -> None:
        try:
            self.session.close()
        except Exception:
            log.warning("Closing the %s session to %s failed", self.target.transport, self.target.label, exc_info=True)
        if self._known_hosts is not None:
            with contextlib.suppress(OSError):
                self._known_hosts.unlink()
            with contextlib.suppress(OSError):
                self._known_hosts.parent.rmdir()


class DeviceProcess:
    """One command of a device session, run in its own thread; read like a remote process's output."""

    def __init__(self, connection: DeviceConnection, command: str) -> None:
        self.connection = connection
        self.exit_code: int | None = None
        self._cancelled = threading.Event()
        self._output: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._lost: str = ""
        self._ended = False
        threading.Thread(target=self._run, args=(command,), name="device command", daemon=True).start()

    def _run(self, command: str) -> None:
        from supportstation.plugin_api.transports import DeviceConnectionLost, DeviceError

        try:
            code = self.connection.session.run(command, self._put_stdout, self._cancelled)
            self.exit_code = code if isinstance(code, int) and not isinstance(code, bool) else 1
            if self.exit_code is not code:
                self._output.put((Stream.STDERR, _("The transport returned no exit code.").encode()))
        except DeviceConnectionLost as error:
            self._lost = str(error) or _("The device closed the session.")
        except DeviceError as error:
            # The plugin's message is meant for the engineer: it ends the command as a failure, said on stderr.
            self._output.put((Stream.STDERR, (str(error) + "\n").encode()))
            self.exit_code = 1
        except Exception as error:  # a plugin's bug is this command's failure, never the app's
            log.exception("The %s transport failed", self.connection.target.transport)
            message = _("The {transport} transport failed: {error}").format(
                transport=self.connection.target.transport, error=f"{type(error).__name__}: {error}"
            )
            self._output.put((Stream.STDERR, (message + "\n").encode()))
            self.exit_code = 1
        finally:
            self._output.put(_END)

    def _put_stdout(self, data: bytes) -> None:
        if isinstance(data, str):  # be lenient with a plugin that passes text
            data = data.encode()
        if data:
            self._output.put((Stream.STDOUT, bytes(data)))

    def read(self, timeout: float) -> list[tuple[Stream, bytes]] | None:
        """What came since the last read (waiting up to `timeout` for something); None once the command ended."""
        if self._ended:
            return None
        pieces: list[tuple[Stream, bytes]] = []
        try:
            item = self._output.get(timeout=timeout)
            while True:
                if item is _END:
                    self._ended = True
                    if self._lost:
                        raise EOFError(self._lost)
                    return pieces or None
                pieces.append(item)  # type: ignore[arg-type]
                item = self._output.get_nowait()
        except queue.Empty:
            return pieces

    def terminate(self, _signal: str = "TERM") -> None:
        self._cancelled.set()

    def send(self, _data: bytes) -> None:
        raise ConnectError(_("A device command takes no input."))

    def close_input(self) -> None:
        """Nothing to close: a device command reads no input."""

    def close(self) -> None:
        self._cancelled.set()


async def connect_device(
    target: Target,
    transport: Transport,
    *,
    host_keys: HostKeyStore,
    pins: CertificatePins,
    prompt: HostKeyPrompt,
    credentials: Credentials,
    options: ConnectOptions,
) -> DeviceConnection:
    """Checks the device's identity, then opens the transport's session. Raises ConnectError (or one of its kinds)."""
    from supportstation.plugin_api.transports import DeviceError, DeviceLoginRefused, DeviceTarget

    assert target.device is not None, "connect_device needs a device target"
    if target.jump:
        raise ConnectError(
            _("{host}: jump hosts are for SSH hosts; a device is reached directly.").format(host=target.label)
        )
    offered: OfferedKey | OfferedCertificate | None = None
    decision: HostKeyDecision | None = None
    known_hosts: Path | None = None
    pinned = ""
    if transport.identity == "ssh-host-key":
        offered, decision = await _accepted_host_key(target, host_keys, prompt, options)
        known_hosts = await in_thread(_one_key_file, offered)
    elif transport.identity == "tls-certificate":
        offered, decision, pinned = await trusted_certificate(
            target.host, target.port, label=target.label, pins=pins, prompt=prompt, timeout=options.connect_timeout
        )
    device_target = DeviceTarget(
        host=target.host,
        port=target.port,
        user=target.login,
        password=credentials.password,
        secret=credentials.enable_secret,
        options=dict(target.device.options),
        known_hosts=known_hosts,
        pinned_sha256=pinned,
        timeout=options.connect_timeout,
    )
    try:
        session = await in_thread(transport.connect, device_target)
    except DeviceError as error:
        _remove(known_hosts)
        kind = AuthenticationFailed if isinstance(error, DeviceLoginRefused) else ConnectError
        raise kind(_("{host}: {error}").format(host=target.label, error=error)) from None
    except Exception as error:
        _remove(known_hosts)
        log.exception("The %s transport could not connect", transport.name)
        raise ConnectError(
            _("{host}: the {transport} transport failed to connect: {error}").format(
                host=target.label, transport=transport.name, error=f"{type(error).__name__}: {error}"
            )
        ) from None
    return DeviceConnection(target, session, offered, decision, options, _known_hosts=known_hosts)


async def _accepted_host_key(
    target: Target, host_keys: HostKeyStore, prompt: HostKeyPrompt, options: ConnectOptions
) -> tuple[OfferedKey, HostKeyDecision | None]:
    """The device's SSH host key, from a handshake that goes no further than the key exchange, once accepted."""
    sock = await in_thread(open_socket, target, options, None)
    handshake = paramiko.Transport(sock)
    try:
        offered = await in_thread(negotiate_host_key, handshake, target, host_keys, options)
    finally:
        handshake.close()
    return offered, await verify_host_key(offered, host_keys, prompt)


def _one_key_file(offered: OfferedKey) -> Path:
    """A private known_hosts file holding only the accepted key: the transport must connect strictly against it, so
    a device that answers the second connection with another key is refused."""
    folder = Path(tempfile.mkdtemp(prefix="supportstation-device-"))
    file = folder / "known_hosts"
    descriptor = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as stream:
        stream.write(f"{offered.host_entry} {offered.key_type} {offered.key_base64}\n")
    return file


def _remove(known_hosts: Path | None) -> None:
    if known_hosts is not None:
        with contextlib.suppress(OSError):
            known_hosts.unlink()
            known_hosts.parent.rmdir()

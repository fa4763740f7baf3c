"""The SSH transport (paramiko): connecting through jump hosts, verifying the host key, logging in, running commands.

paramiko blocks, so every call here except `connect_ssh` runs in a worker thread. `connect_ssh` is a coroutine
because an unknown host key stops the connection half-way to ask the engineer (an awaitable prompt, a dialog in the
GUI), between the key exchange and the login.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import select
import socket
import threading
import time
from dataclasses import dataclass, field

import paramiko
from paramiko.common import cMSG_CHANNEL_EOF, cMSG_CHANNEL_REQUEST
from paramiko.message import Message

from supportstation.i18n import _
from supportstation.remote.host_keys import (
    HostKeyDecision,
    HostKeyPrompt,
    HostKeyStore,
    KeyCheck,
    OfferedKey,
    changed_key_error,
    unknown_key_error,
)
from supportstation.remote.results import AuthenticationFailed, ConnectError, Stream
from supportstation.remote.ssh_auth import authenticate
from supportstation.remote.targets import Credentials, Target
from supportstation.remote.threads import Pacer, executor, in_thread

log = logging.getLogger(__name__)

READ_SIZE = 1024 * 1024
# While output pours in, the reader lets it gather for a few milliseconds between reads rather than waking for each
# 32 KiB packet and taking the GIL from the transport thread each time (bench/stream.py: fewer slow rounds). Live
# output is late by at most BATCH_WAIT, which no eye sees; a trickle of output is read at once.
STREAMING_READ = 64 * 1024
BATCH_BYTES = 1024 * 1024
BATCH_WAIT = 0.005
# paramiko's fastest cipher here (GROUND.md); the others stay as fallbacks in paramiko's order.
PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")
# The channel window. With 8 MiB, OpenSSH's sshd (9.2) often spun on the CPU while sending and a 100 MB `cat` took
# 1-2 s instead of 0.4 s; 4 MiB was steady in bench/stream.py, and is twice OpenSSH's own client window, which
# matters on a long link (throughput <= window / round trip).
WINDOW_SIZE = 4 * 1024 * 1024
SESSIONS_PER_CONNECTION = 8  # below OpenSSH's default of 10, leaving room for SFTP


@dataclass(frozen=True)
class ConnectOptions:
    connect_timeout: float = 15.0
    # While a command is silent, the connection is probed this often; no answer within `dead_after` means it is lost.
    keepalive_interval: float = 15.0
    dead_after: float = 20.0


@dataclass
class SshConnection:
    target: Target
    transport: paramiko.Transport
    offered_key: OfferedKey
    key_decision: HostKeyDecision | None  # set when the engineer accepted the key for this connection
    via: SshConnection | None = None
    options: ConnectOptions = field(default_factory=ConnectOptions)
    _probe_lock: threading.Lock = field(default_factory=threading.Lock)
    # OpenSSH refuses an 11th session on one connection (MaxSessions 10): commands beyond this wait for a slot.
    session_slots: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(SESSIONS_PER_CONNECTION))

    @property
    def fingerprint(self) -> str:
        return self.offered_key.fingerprint

    @property
    def active(self) -> bool:
        return self.transport.is_active() and (self.via is None or self.via.active)

    def start(self, command: str, *, pty: bool = False, shell: str = "sh") -> SshProcess:
        """Opens a channel on the shared connection and starts `command` there. Blocking."""
        if shell != "sh":
            raise ConnectError(
                _("{target} runs POSIX shell commands over SSH, not {shell} ones.").format(
                    target=self.target.label, shell=shell
                )
            )
        try:
            channel = self.transport.open_session(timeout=self.options.connect_timeout)
            if pty:
                channel.get_pty(term="xterm", width=200, height=50)
            channel.exec_command(command if pty else cancellable(command))
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise ConnectError(
                _("{target}: cannot start the command: {error}").format(target=self.target.label, error=error)
            ) from error
        return SshProcess(channel, self, pty=pty)

    def open_shell(self, term: str, cols: int, rows: int) -> paramiko.Channel:
        """Opens a channel with a terminal of `cols` x `rows` and starts the login shell there. Blocking."""
        try:
            channel = self.transport.open_session(timeout=self.options.connect_timeout)
            channel.get_pty(term=term, width=cols, height=rows)
            channel.invoke_shell()
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise ConnectError(
                _("{target}: cannot open a shell: {error}").format(target=self.target.label, error=error)
            ) from error
        return channel

    def probe(self) -> bool:
        """True if the server answers a keepalive request within `dead_after` seconds. Blocking."""
        if not self.active:
            return False
        answered = threading.Event()

        def ask() -> None:
            # A dying transport raises anything: silence (no `answered`) is what says the link is dead.
            with contextlib.suppress(Exception):
                # OpenSSH answers an unknown global request with a failure message: any answer proves the link.
                self.transport.global_request("keepalive@openssh.com", wait=True)
                answered.set()

        with self._probe_lock:
            threading.Thread(target=ask, daemon=True, name="ssh-probe").start()
            return answered.wait(self.options.dead_after) and self.active

    def open_sftp(self) -> paramiko.SFTPClient:
        client = paramiko.SFTPClient.from_transport(self.transport)
        if client is None:
            raise ConnectError(_("{target}: the server refused the SFTP subsystem.").format(target=self.target.label))
        return client

    def close(self) -> None:
        self.transport.close()


def cancellable(command: str) -> str:
    """`command` wrapped so that stopping it stops everything it started.

    OpenSSH delivers a "signal" request to the session's shell only, so `echo a; sleep 60` would leave `sleep`
    running after a cancel. Run in the background of a shell that traps TERM and passes it to its whole process
    group (sshd made the session a group of its own), the command can be stopped whole. Standard input is handed
    through fd 3 because a background job's input is otherwise /dev/null. The newline lets a command end in a
    comment. POSIX shells (sh, dash, bash, zsh, ksh) accept it; with a terminal it is not needed, as Ctrl-C reaches
    the foreground group.
    """
    return f"trap 'trap - TERM; kill -TERM 0' TERM; exec 3<&0; ({command}\n) <&3 3<&- & wait $!"


class SshProcess:
    """One command on one channel: read its output, feed its input, stop it."""

    def __init__(self, channel: paramiko.Channel, connection: SshConnection, *, pty: bool) -> None:
        self.channel = channel
        self.connection = connection
        self.pty = pty
        self._streaming = False

    def read(self, timeout: float) -> list[tuple[Stream, bytes]] | None:
        """Whatever arrived within `timeout` seconds ([] if nothing), or None once the command's output has ended."""
        channel = self.channel
        if self._streaming and len(channel.in_buffer) < BATCH_BYTES and not channel.eof_received:
            time.sleep(BATCH_WAIT)
        elif not (channel.recv_ready() or channel.recv_stderr_ready() or channel.closed or channel.eof_received):
            select.select([channel], [], [], timeout)
        pieces: list[tuple[Stream, bytes]] = []
        while channel.recv_ready():
            pieces.append((Stream.STDOUT, channel.recv(READ_SIZE)))
        while channel.recv_stderr_ready():
            pieces.append((Stream.STDERR, channel.recv_stderr(READ_SIZE)))
        # Streaming while each read finds at least STREAMING_READ bytes; a trickle or a pause ends it.
        self._streaming = sum(len(piece[1]) for piece in pieces) >= STREAMING_READ
        if pieces:
            return [(stream, data) for stream, data in pieces if data]
        if channel.closed or (channel.eof_received and channel.exit_status_ready()):
            return None
        if channel.eof_received and not self.connection.active:
            return None
        return []

    @property
    def exit_code(self) -> int | None:
        """The command's exit status, or None if the channel ended without one (killed by a signal, link lost)."""
        if not self.channel.exit_status_ready():
            return None
        status = self.channel.recv_exit_status()
        return None if status == -1 else status

    def send(self, data: bytes) -> None:
        self.channel.sendall(data)

    def close_input(self) -> None:
        """End of input (RFC 4254 §5.3 EOF). Not paramiko's shutdown_write, which sends its EOF after letting go of
        the channel's lock: see `_send_while_open`."""
        message = Message()
        message.add_byte(cMSG_CHANNEL_EOF)
        message.add_int(self.channel.remote_chanid)
        self._send_while_open(message, eof=True)

    def terminate(self, signal_name: str = "TERM") -> None:
        """Asks the server to stop the command. Best effort: the link may already be gone."""
        try:
            if self.pty:
                self.channel.send(b"\x03")  # Ctrl-C reaches the whole foreground process group through the tty
            self._send_signal(signal_name)
        except (OSError, EOFError, paramiko.SSHException) as error:
            log.debug("Could not signal the remote command: %s", error)

    def _send_signal(self, signal_name: str) -> None:
        # RFC 4254 §6.9 "signal" request; OpenSSH's sshd delivers it to the session's process group. paramiko has no
        # public call for it, so the message is built here.
        message = Message()
        message.add_byte(cMSG_CHANNEL_REQUEST)
        message.add_int(self.channel.remote_chanid)
        message.add_string("signal")
        message.add_boolean(False)
        message.add_string(signal_name)
        self._send_while_open(message)

    def _send_while_open(self, message: Message, *, eof: bool = False) -> None:
        """Sends a message about the channel unless it is closed, under the channel's lock as paramiko sends data.
        A command that ends at once can see its channel closed by both sides in the meantime; OpenSSH then drops the
        whole connection, every other command on it with it, for a message about a channel it has freed ("ieof
        packet referred to nonexistent channel"). Under the lock, the close waits for the message to be sent."""
        channel = self.channel
        with channel.lock:
            if channel.closed or (eof and channel.eof_sent):
                return
            channel.transport._send_user_message(message)
            if eof:
                channel.eof_sent = True  # paramiko's close then sends none of its own

    def close(self) -> None:
        self.channel.close()


# -- connecting ------------------------------------------------------------------------------------------------------


async def connect_ssh(
    target: Target,
    *,
    host_keys: HostKeyStore,
    prompt: HostKeyPrompt,
    credentials: Credentials,
    options: ConnectOptions,
    via: SshConnection | None = None,
    handshake: Handshake | None = None,
) -> SshConnection:
    """Connects and logs in. Raises ConnectError (or one of its kinds) with a message naming the host.

    `handshake`: the key exchange with this target, started earlier (see `remote.handshakes`); the host key is
    checked and the login made here all the same."""
    transport, offered = await (handshake or Handshake(target, host_keys, options, via)).result()
    try:
        decision = await verify_host_key(offered, host_keys, prompt)
        await in_thread(authenticate, transport, target, credentials, options.connect_timeout)
    except BaseException:
        transport.close()
        raise
    transport.set_keepalive(max(1, int(options.keepalive_interval)))
    return SshConnection(target, transport, offered, decision, via, options)


class Handshake:
    """The TCP connection and the key exchange with a target, made in a worker thread from the start. `result()`
    waits for the transport and the host key it offered (not checked yet: the caller does that, then logs in);
    `abandon()` drops it, at once even half-way, so that nothing is left open."""

    def __init__(
        self, target: Target, host_keys: HostKeyStore, options: ConnectOptions, via: SshConnection | None = None
    ) -> None:
        self._lock = threading.Lock()
        self._transport: paramiko.Transport | None = None
        self._abandoned = False
        self.future = executor().submit(contextvars.copy_context().run, self._make, target, host_keys, options, via)

    def _make(
        self, target: Target, host_keys: HostKeyStore, options: ConnectOptions, via: SshConnection | None
    ) -> tuple[paramiko.Transport, OfferedKey]:
        sock = open_socket(target, options, via)
        transport = paramiko.Transport(sock, default_window_size=WINDOW_SIZE)
        _pace(transport)
        with self._lock:  # from here on, abandon() closes it; before, it is closed here
            self._transport, abandoned = transport, self._abandoned
        try:
            if abandoned:
                raise ConnectError(_("The connection to {where} was given up.").format(where=target.label))
            return transport, negotiate_host_key(transport, target, host_keys, options)
        except BaseException:
            transport.close()
            sock.close()
            raise

    async def result(self) -> tuple[paramiko.Transport, OfferedKey]:
        try:
            return await asyncio.wrap_future(self.future)
        except asyncio.CancelledError:
            self.abandon()  # a connect cancelled half-way leaves no connection behind
            raise

    def abandon(self) -> None:
        with self._lock:
            self._abandoned = True
            transport = self._transport
        if transport is not None:
            # The socket too: a transport whose key exchange has not started yet does not close it.
            transport.close()
            transport.sock.close()


def _pace(transport: paramiko.Transport) -> None:
    """The transport's thread decrypts and dispatches every packet in Python: paced like the other busy loops, so
    that a window in this process keeps responding during a big output (see `threads.Pacer`)."""
    read_message = transport.packetizer.read_message
    pacer = Pacer()

    def paced_read_message() -> tuple[int, paramiko.Message]:
        pacer.worked()
        return read_message()

    transport.packetizer.read_message = paced_read_message  # type: ignore[method-assign]


def open_socket(target: Target, options: ConnectOptions, via: SshConnection | None) -> socket.socket | paramiko.Channel:
    where = target.address
    if via is not None:
        try:
            return via.transport.open_channel(
                "direct-tcpip", (target.host, target.port), ("127.0.0.1", 0), timeout=options.connect_timeout
            )
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise ConnectError(
                _("The jump host {jump} could not reach {where}: {error}").format(
                    jump=via.target.label, where=where, error=error
                )
            ) from error
    try:
        sock = socket.create_connection((target.host, target.port), timeout=options.connect_timeout)
    except socket.gaierror as error:
        message = _("The host name {host} does not resolve ({error}).").format(host=target.host, error=error)
        raise ConnectError(message) from error
    except ConnectionRefusedError as error:
        raise ConnectError(
            _("{where} refused the connection: no SSH server listens on that port.").format(where=where)
        ) from error
    except TimeoutError as error:
        raise ConnectError(
            _("{where} did not answer within {seconds:g} s.").format(where=where, seconds=options.connect_timeout)
        ) from error
    except OSError as error:
        message = _("Cannot reach {where}: {error}").format(where=where, error=error.strerror or error)
        raise ConnectError(message) from error
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def negotiate_host_key(
    transport: paramiko.Transport, target: Target, host_keys: HostKeyStore, options: ConnectOptions
) -> OfferedKey:
    security = transport.get_security_options()
    security.ciphers = PREFERRED_CIPHERS + tuple(c for c in security.ciphers if c not in PREFERRED_CIPHERS)
    known = host_keys.known_types(target.host, target.port)
    if known:
        # Ask first for a key type we already know, as OpenSSH does; otherwise a host with several keys could offer
        # one we never saw and look "changed".
        wanted = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256")}
        first = [name for kind in known for name in wanted.get(kind, (kind,)) if name in security.key_types]
        security.key_types = tuple(first) + tuple(k for k in security.key_types if k not in first)
    where = target.address
    silent = ConnectError(
        _(
            "{where} accepted the connection but did not complete the SSH handshake within {seconds:g} s: is an "
            "SSH server listening on that port?"
        ).format(where=where, seconds=options.connect_timeout)
    )
    # The server's greeting is waited for as long as the connection itself (paramiko's own wait is 15 s).
    transport.banner_timeout = options.connect_timeout
    try:
        transport.start_client(timeout=options.connect_timeout)
    except (paramiko.SSHException, EOFError, OSError) as error:
        if isinstance(error.__context__, TimeoutError):
            raise silent from error  # paramiko's wait for the greeting ended first: the same silence, said the same
        raise ConnectError(
            _("{where} did not complete the SSH handshake: {error}").format(
                where=where, error=error or type(error).__name__
            )
        ) from error
    if not (transport.is_active() and transport.initial_kex_done):  # paramiko's timeout returns without a word
        raise silent
    key = transport.get_remote_server_key()
    return OfferedKey(target.host, target.port, key.get_name(), key.get_base64())


async def verify_host_key(
    offered: OfferedKey, host_keys: HostKeyStore, prompt: HostKeyPrompt
) -> HostKeyDecision | None:
    check = await in_thread(host_keys.check, offered)
    if check.status is KeyCheck.KNOWN:
        return None
    if check.status is KeyCheck.CHANGED:
        raise changed_key_error(offered, check.stored)
    decision = await prompt(offered)
    if decision is HostKeyDecision.REFUSE:
        raise unknown_key_error(offered)
    if decision is HostKeyDecision.ACCEPT_ALWAYS:
        await in_thread(host_keys.add, offered)
    return decision


__all__ = ["AuthenticationFailed", "ConnectOptions", "SshConnection", "SshProcess", "connect_ssh"]

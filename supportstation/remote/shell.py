"""An interactive shell on an SSH connection: a terminal (PTY) on the server, keys in, screen output out.

    shell = await ShellSession.open(connection, cols=80, rows=24, on_output=show, secrets=vault.known_secrets())
    shell.send(b"ls\\r")
    shell.resize(120, 40)
    end = await shell.wait()            # a ShellEnd: the shell exited, was closed, or the connection was lost
    text = shell.transcript.text()      # what the server sent, as plain text, redacted

paramiko blocks, so a reader thread waits for output (and hands it to `on_output`, from that thread) and a writer
thread sends keys, size changes and the close, in the order they were asked for: the caller (the GUI thread) never
waits on the network, even when the server stops reading and the channel's window is full.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import queue
import select
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import paramiko

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.remote.results import ConnectError
from supportstation.remote.ssh import SshConnection
from supportstation.remote.terminal_transcript import Transcript
from supportstation.remote.threads import in_thread

log = logging.getLogger(__name__)

TERM = "xterm-256color"
READ_SIZE = 64 * 1024
READ_WAIT = 0.2  # how often a silent reader looks at the connection and at a close request
SLOT_WAIT = 10.0  # how long to wait for one of the connection's sessions to be free before giving up
PIPE_LIMIT = 1024 * 1024  # output a slow screen has not taken yet before the server is slowed down
# The writer closes the channel after the keys sent before; if it is stuck (a server that reads nothing leaves a full
# window), the reader closes it after this long.
CLOSE_GRACE = 2.0
LOSS_SETTLE = 0.5


class EndReason(enum.StrEnum):
    EXITED = "exited"  # the shell ended on the server (exit, logout, Ctrl-D)
    CLOSED = "closed"  # the engineer closed the terminal
    CONNECTION_LOST = "connection_lost"


@dataclass(frozen=True)
class ShellEnd:
    reason: EndReason
    message: str  # for the engineer, ready to show
    exit_code: int | None = None


OutputCallback = Callable[[bytes], None]


class OutputPipe:
    """Output handed from the reader thread to a consumer that takes it when it can (a screen that repaints a few
    times a second). `put` waits while `limit` bytes are not taken yet, so a flood slows the remote program through
    SSH flow control instead of filling memory; `on_ready` is called (from the reader thread) when output arrives in
    an empty pipe, so the consumer need not poll."""

    def __init__(self, on_ready: Callable[[], None] = lambda: None, limit: int = PIPE_LIMIT) -> None:
        self._buffer = bytearray()
        self._limit = limit
        self._on_ready = on_ready
        self._condition = threading.Condition()
        self._closed = False

    def put(self, data: bytes) -> None:
        with self._condition:
            while len(self._buffer) >= self._limit and not self._closed:
                self._condition.wait(0.5)
            if self._closed:
                return
            was_empty = not self._buffer
            self._buffer += data
        if was_empty:
            self._on_ready()

    def take(self, max_bytes: int) -> bytes:
        with self._condition:
            taken = bytes(self._buffer[:max_bytes])
            del self._buffer[:max_bytes]
            self._condition.notify_all()
        return taken

    def __len__(self) -> int:
        with self._condition:
            return len(self._buffer)

    def close(self) -> None:
        """No one reads any more: what is waiting is dropped and the writer is never held up again."""
        with self._condition:
            self._closed = True
            self._buffer.clear()
            self._condition.notify_all()


class ShellSession:
    def __init__(
        self,
        connection: SshConnection,
        channel: paramiko.Channel,
        *,
        on_output: OutputCallback,
        secrets: Iterable[str],
    ) -> None:
        self.connection = connection
        self.channel = channel
        self.transcript = Transcript(secrets)
        self.started_at: datetime = utc_now()
        self.ended_at: datetime | None = None
        self.end: ShellEnd | None = None
        self._on_output = on_output
        self._loop = asyncio.get_running_loop()
        self._ended: asyncio.Future[ShellEnd] = self._loop.create_future()
        self._requests: queue.SimpleQueue[tuple[str, object]] = queue.SimpleQueue()
        self._close_requested = threading.Event()
        self._close_requested_at = 0.0

    @classmethod
    async def open(
        cls,
        connection: SshConnection,
        *,
        on_output: OutputCallback,
        cols: int = 80,
        rows: int = 24,
        secrets: Iterable[str] = (),
        term: str = TERM,
    ) -> ShellSession:
        """Starts the login shell in a terminal of `cols` x `rows`; ConnectError if the server refuses."""
        # A terminal holds one of the connection's sessions for as long as it is open, like a command does.
        try:
            await asyncio.wait_for(connection.session_slots.acquire(), SLOT_WAIT)
        except TimeoutError:
            raise ConnectError(
                _(
                    "{target}: every session of the connection is in use; close a terminal or wait for a command."
                ).format(target=connection.target.label)
            ) from None
        try:
            channel = await in_thread(connection.open_shell, term, cols, rows)
        except BaseException:
            connection.session_slots.release()
            raise
        shell = cls(connection, channel, on_output=on_output, secrets=secrets)
        label = connection.target.label
        threading.Thread(target=shell._read, name=f"shell reader {label}", daemon=True).start()
        threading.Thread(target=shell._write, name=f"shell writer {label}", daemon=True).start()
        return shell

    @property
    def target_label(self) -> str:
        return self.connection.target.label

    @property
    def host_key_fingerprint(self) -> str:
        return self.connection.fingerprint

    @property
    def running(self) -> bool:
        return self.end is None

    # -- called from the event loop (never blocks) --

    def send(self, data: bytes) -> None:
        """Keys (or pasted text) for the shell; ignored once it has ended."""
        if data and self.end is None:
            self._requests.put(("send", data))

    def resize(self, cols: int, rows: int) -> None:
        if self.end is None:
            self._requests.put(("resize", (max(1, cols), max(1, rows))))

    def close(self) -> None:
        """Ends the session; `wait()` then gives a CLOSED end (unless it had already ended otherwise)."""
        self._close_requested_at = time.monotonic()
        self._close_requested.set()
        self._requests.put(("close", None))

    async def wait(self) -> ShellEnd:
        return await asyncio.shield(self._ended)

    # -- the writer thread --

    def _write(self) -> None:
        while True:
            kind, value = self._requests.get()
            if kind == "stop":
                return
            try:
                if kind == "send":
                    assert isinstance(value, bytes)
                    self.channel.sendall(value)
                elif kind == "resize":
                    cols, rows = value  # type: ignore[misc]
                    self.channel.resize_pty(width=cols, height=rows)
                elif kind == "close":
                    self.channel.close()
                    return
            except (OSError, EOFError, paramiko.SSHException) as error:
                # The reader sees the same dead channel and says why the session ended.
                log.debug("Could not %s on the shell of %s: %s", kind, self.target_label, error)

    # -- the reader thread --

    def _read(self) -> None:
        end: ShellEnd | None = None
        try:
            end = self._pump()
        except Exception as unexpected:  # the session must always end, or its caller waits forever
            log.exception("The reader of a terminal failed")
            end = ShellEnd(EndReason.CONNECTION_LOST, str(unexpected) or type(unexpected).__name__)
        finally:
            self.transcript.finish()
            self.ended_at = utc_now()
            self.end = end
            self._requests.put(("stop", None))
            with contextlib.suppress(Exception):
                self.channel.close()
            self._finish(end or ShellEnd(EndReason.CONNECTION_LOST, ""))

    def _pump(self) -> ShellEnd:
        channel = self.channel
        last_heard = time.monotonic()
        while True:
            if not (channel.recv_ready() or channel.recv_stderr_ready() or channel.closed or channel.eof_received):
                select.select([channel], [], [], READ_WAIT)
            data = self._available()
            if data:
                last_heard = time.monotonic()
                self.transcript.feed(data)
                self._on_output(data)
                continue
            if self._close_requested.is_set():
                if channel.closed or not self.connection.active:
                    return ShellEnd(EndReason.CLOSED, _("Closed by the engineer."))
                if time.monotonic() - self._close_requested_at > CLOSE_GRACE:
                    channel.close()
            if channel.closed or (channel.eof_received and channel.exit_status_ready()):
                return self._ending()
            if not self.connection.active:
                return self._lost(_("The connection to {target} closed."))
            if time.monotonic() - last_heard >= self.connection.options.keepalive_interval:
                if not self.connection.probe():
                    self.connection.close()
                    return self._lost(_("The connection to {target} was lost: no answer for {seconds:g} s."))
                last_heard = time.monotonic()

    def _available(self) -> bytes:
        pieces = []
        while self.channel.recv_ready():
            pieces.append(self.channel.recv(READ_SIZE))
        # With a terminal, the server sends both streams as one; anything on stderr still belongs on the screen.
        while self.channel.recv_stderr_ready():
            pieces.append(self.channel.recv_stderr(READ_SIZE))
        return b"".join(pieces)

    def _ending(self) -> ShellEnd:
        if self._close_requested.is_set():
            return ShellEnd(EndReason.CLOSED, _("Closed by the engineer."))
        if self.channel.exit_status_ready():
            status = self.channel.recv_exit_status()
            if status != -1:
                return ShellEnd(
                    EndReason.EXITED, _("The shell exited (exit code {code}).").format(code=status), exit_code=status
                )
        # paramiko closes a dying transport's channels before it marks the transport inactive: a channel closed
        # without an exit status is a lost connection if the transport follows it shortly.
        deadline = time.monotonic() + LOSS_SETTLE
        while self.connection.active and time.monotonic() < deadline:
            time.sleep(0.02)
        if not self.connection.active:
            return self._lost(_("The connection to {target} closed."))
        return ShellEnd(EndReason.EXITED, _("The shell ended without an exit status: its session was closed."))

    def _lost(self, message: str) -> ShellEnd:
        text = message.format(target=self.target_label, seconds=self.connection.options.dead_after)
        return ShellEnd(EndReason.CONNECTION_LOST, text)

    def _finish(self, end: ShellEnd) -> None:
        def resolve() -> None:
            self.connection.session_slots.release()
            if not self._ended.done():
                self._ended.set_result(end)

        try:
            self._loop.call_soon_threadsafe(resolve)
        except RuntimeError:
            log.debug("The event loop closed before the terminal ended")

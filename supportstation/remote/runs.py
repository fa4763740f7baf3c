"""Running a command on a target: streaming, timeouts, cancel, sudo, redaction and recording, for every transport.

    runner = Runner(pool, recorder=recorder_factory, secrets=vault.known_secrets)
    handle = await runner.start(RunRequest(target, "df -h"))
    async for chunk in handle:          # output as it arrives, already redacted
        show(chunk)
    result = await handle.wait()        # a RunResult; never raises for a failed command

The output is read by a worker thread, which also redacts and records it, so a crash of the GUI side loses nothing
more than the recorder's last second and a slow reader slows the remote command (SSH flow control) instead of
filling memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.quoting import quote_sh
from supportstation.remote.results import Chunk, ConnectError, RunResult, RunState, Stream
from supportstation.remote.ssh import SshConnection, SshProcess
from supportstation.remote.targets import Target
from supportstation.remote.threads import Pacer, in_thread
from supportstation.vault.redaction import StreamRedactor, redact

log = logging.getLogger(__name__)

READ_WAIT = 0.2  # how often the reader looks at cancel and the deadline while the command is silent
STOP_GRACE = 2.0  # after TERM, how long a command has to end before KILL
CONSUMER_SLICE_S = 0.005  # the longest an iterating consumer works on a batch before its event loop runs again
LIVE_BUFFER_LIMIT = 16 * 1024 * 1024  # output waiting for a slow reader before the remote side is slowed down
SUDO_PROMPT = "[supportstation:sudo]"


@dataclass(frozen=True)
class RunRequest:
    target: Target
    command: str
    timeout: float | None = None
    pty: bool = False
    sudo: bool = False
    action_id: str | None = None
    shell: str | None = None  # the command's language (sh, powershell, cmd); None: the target's
    shown_command: str | None = None  # what to store and show instead of `command` (a procedure's, secrets masked)
    attach_as: str = ""  # a file name: the standard output of a successful run is attached to the ticket under it
    # The command's standard input, then its end. None: it ends at once, as with `ssh -n`, so that a command that
    # reads its input (`cat`, a prompt) ends rather than waits forever. With a pty the input stays open, as a
    # terminal's does: a program that needs a terminal is stopped with a timeout or a cancel.
    input: bytes | None = None

    @property
    def language(self) -> str:
        return self.shell or self.target.shell


class RunRecorder(Protocol):
    """Stores a run as it happens (see `remote.recording`). Called from the reader thread."""

    def begin(self, request: RunRequest, result: RunResult, connection: SshConnection | None) -> None: ...

    def add(self, chunk: Chunk) -> None: ...

    def idle(self) -> None:
        """Called while the command is silent, about every READ_WAIT seconds."""

    def finish(self, result: RunResult) -> None: ...


RecorderFactory = Callable[[RunRequest], RunRecorder | None]


class RunHandle:
    """A command that runs; iterate it for output, `cancel()` it, `await wait()` for the result."""

    def __init__(self, request: RunRequest, result: RunResult, *, live: bool) -> None:
        self.request = request
        self.result = result
        self._live = live
        self._cancel = threading.Event()
        self._done = asyncio.Event()
        self._wakeup = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._condition = threading.Condition()
        self._pending: deque[Chunk] = deque()
        self._pending_bytes = 0
        self._finished = False
        self.cancel_reason = ""

    def cancel(self, reason: str = "") -> None:
        """Stops the command. `reason` is what its result says, when someone else than the engineer stopped it."""
        if not self._cancel.is_set():
            self.cancel_reason = reason
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    async def wait(self) -> RunResult:
        await self._done.wait()
        return self.result

    def detach(self) -> None:
        """Stop buffering output for a reader (a closed panel): the run goes on and is still recorded."""
        with self._condition:
            self._live = False
            self._pending.clear()
            self._pending_bytes = 0
            self._condition.notify_all()

    def __aiter__(self) -> AsyncIterator[Chunk]:
        return self._chunks()

    async def _chunks(self) -> AsyncIterator[Chunk]:
        while True:
            with self._condition:
                batch = list(self._pending)
                self._pending.clear()
                self._pending_bytes = 0
                finished = self._finished
                self._condition.notify_all()
            slice_started = time.perf_counter()
            for chunk in batch:
                yield chunk
                if time.perf_counter() - slice_started >= CONSUMER_SLICE_S:
                    # The consumer shares its event loop (a window's): a large batch is handed over in slices.
                    await asyncio.sleep(0)
                    slice_started = time.perf_counter()
            if finished and not batch:
                return
            if not batch:
                await self._wakeup.wait()
                self._wakeup.clear()

    # -- called from the reader thread --

    def _deliver(self, chunk: Chunk) -> None:
        with self._condition:
            if not self._live:
                return
            while self._live and self._pending_bytes > LIVE_BUFFER_LIMIT and not self._cancel.is_set():
                self._condition.wait(0.5)
            self._pending.append(chunk)
            self._pending_bytes += len(chunk.data)
        self._signal()

    def _finish(self) -> None:
        with self._condition:
            self._finished = True
        self._signal(done=True)

    def _signal(self, *, done: bool = False) -> None:
        def wake() -> None:
            self._wakeup.set()
            if done:
                self._done.set()

        try:
            self._loop.call_soon_threadsafe(wake)
        except RuntimeError:
            log.debug("The event loop closed before the run ended")


class Runner:
    def __init__(
        self,
        pool: ConnectionPool,
        *,
        recorder: RecorderFactory | None = None,
        secrets: Callable[[], list[str]] = list,
    ) -> None:
        self.pool = pool
        self.recorder = recorder
        self.secrets = secrets

    async def run(self, request: RunRequest) -> RunResult:
        handle = await self.start(request, live=False)
        return await handle.wait()

    async def start(self, request: RunRequest, *, live: bool = True) -> RunHandle:
        secrets = await in_thread(self.secrets)
        # The command is shown, stored and audited as the output is: with the vault's secrets hidden (an action's
        # parameter may be one). The server still gets the real command line.
        # Compiling the secrets' patterns takes tens of ms: not on the caller's event loop, a window's.
        shown_command = await in_thread(redact, request.shown_command or request.command, secrets)
        result = RunResult(target=request.target.url, command=shown_command, started_at=utc_now())
        handle = RunHandle(request, result, live=live)
        recorder = self.recorder(request) if self.recorder else None
        try:
            if request.sudo and request.target.winrm is not None:
                raise ConnectError(
                    _("sudo is for Linux and Unix hosts: over WinRM a command runs as the account that logs in.")
                )
            if request.sudo and request.target.device is not None:
                raise ConnectError(_("sudo is for Linux and Unix hosts, not for a device's command line."))
            if request.input and (request.target.winrm is not None or request.target.device is not None):
                raise ConnectError(_("Only commands on Linux and Unix hosts (over SSH) can be given input."))
            if request.input and (request.pty or request.sudo):
                raise ConnectError(_("A command run with a terminal or with sudo cannot be given input."))
            connection = await self.pool.connection(request.target)
        except ConnectError as error:
            result.state, result.error, result.ended_at = RunState.NOT_CONNECTED, str(error), utc_now()
            if recorder is not None:
                await in_thread(_record_unstarted, recorder, request, result)
            handle._finish()
            return handle
        result.host_key_fingerprint = connection.fingerprint
        credentials = await in_thread(self.pool.credentials, request.target)
        redactor = await in_thread(StreamRedactor, [*secrets, *credentials.secrets()])
        command_line = sudo_command(request.command, with_password=bool(credentials.password)) if request.sudo else None
        await connection.session_slots.acquire()
        try:
            process = await in_thread(
                connection.start, command_line or request.command, pty=request.pty, shell=request.language
            )
        except ConnectError as error:
            connection.session_slots.release()
            # A refused channel (the server's MaxSessions, 10 by default) leaves the connection up, with other
            # commands running on it: only a dead connection is dropped.
            if not connection.active:
                self.pool.drop(request.target, connection)
            result.state, result.error, result.ended_at = RunState.NOT_CONNECTED, str(error), utc_now()
            if recorder is not None:
                await in_thread(_record_unstarted, recorder, request, result, connection)
            handle._finish()
            return handle
        try:
            if recorder is not None:
                await in_thread(recorder.begin, request, result, connection)
            if request.sudo:
                await in_thread(_send_sudo_password, process, credentials.password)
        except BaseException:
            # Without its record (or its password) the command must not run on unseen: stop it, then say why.
            process.terminate("KILL")
            process.close()
            connection.session_slots.release()
            raise
        reader = _Reader(handle, process, connection, redactor, recorder, self.pool)
        threading.Thread(target=reader.run, name=f"run {request.target.label}", daemon=True).start()
        if request.input:
            # Fed while the reader reads: a command writing output before it reads its input would otherwise
            # fill both windows and wait on us as we wait on it.
            threading.Thread(
                target=_feed_input, args=(process, request.input), name=f"input {request.target.label}", daemon=True
            ).start()
        elif not request.sudo and not request.pty:
            await in_thread(process.close_input)
        return handle


def _record_unstarted(
    recorder: RunRecorder, request: RunRequest, result: RunResult, connection: SshConnection | None = None
) -> None:
    recorder.begin(request, result, connection)
    recorder.finish(result)


def sudo_command(command: str, *, with_password: bool) -> str:
    """`command` as root. With a password, one `sudo -S` reads it from standard input; the root shell then takes
    /dev/null as the command's input, so the command can never read the password, even when sudo did not ask for it.

    Not `sudo -S -v && sudo -n ...`: without a terminal sudo ties its cached credential to the parent process, and
    the shell execs the last command of a list, so the second sudo has another parent and refuses to run."""
    if not with_password:
        return f"sudo -n -- sh -c {quote_sh(command)} </dev/null"
    return f"sudo -S -p {quote_sh(SUDO_PROMPT)} -- sh -c {quote_sh('exec </dev/null; ' + command)}"


def _send_sudo_password(process: SshProcess, password: str | None) -> None:
    if password:
        process.send(password.encode("utf-8") + b"\n")
    process.close_input()


def _feed_input(process: SshProcess, data: bytes) -> None:
    """The command's input, then its end. A command that ends before it read all of it (`head`) closes the channel:
    what it did not read is dropped, as ssh drops it."""
    try:
        process.send(data)
        process.close_input()
    except Exception as error:  # whatever the channel says, the reader says what became of the run
        log.debug("The remote command took only part of its input: %s", error)


class _Reader:
    """The worker-thread side of a run: read, redact, record, hand over; then decide the final state."""

    def __init__(
        self,
        handle: RunHandle,
        process: SshProcess,
        connection: SshConnection,
        redactor: StreamRedactor,
        recorder: RunRecorder | None,
        pool: ConnectionPool,
    ) -> None:
        self.handle = handle
        self.process = process
        self.connection = connection
        self.redactor = redactor
        self.recorder = recorder
        self.pool = pool
        self.started = time.monotonic()

    def run(self) -> None:
        result = self.handle.result
        try:
            state, error = self._pump()
            if state in (RunState.CANCELLED, RunState.TIMED_OUT):
                self._stop()
            for stream in (Stream.STDOUT, Stream.STDERR):
                self._emit(stream, self.redactor.flush(stream))
            result.exit_code = self.process.exit_code
            if state is None:
                state, error = self._ending()
            result.state, result.error = state, error
        except Exception as unexpected:  # the thread must always finish the run, or its caller waits forever
            log.exception("The reader of a remote run failed")
            result.state, result.error = RunState.CONNECTION_LOST, str(unexpected) or type(unexpected).__name__
        finally:
            result.ended_at = utc_now()
            self.process.close()
            if result.state is RunState.CONNECTION_LOST:
                self.pool.drop(self.handle.request.target, self.connection)
            if self.recorder is not None:
                try:
                    self.recorder.finish(result)
                except Exception:
                    log.exception("Could not record the end of a remote run")
            self.handle._finish()
            self._release_slot()

    def _release_slot(self) -> None:
        with contextlib.suppress(RuntimeError):  # the loop is gone, and the connection with it
            self.handle._loop.call_soon_threadsafe(self.connection.session_slots.release)

    def _pump(self) -> tuple[RunState | None, str]:
        request = self.handle.request
        deadline = self.started + request.timeout if request.timeout else None
        last_heard = time.monotonic()
        pacer = Pacer()
        while True:
            if self.handle.cancelled:
                return RunState.CANCELLED, self.handle.cancel_reason or _("Cancelled by the engineer.")
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return RunState.TIMED_OUT, _("No end after {seconds:g} s: stopped.").format(seconds=request.timeout)
            try:
                pieces = self.process.read(READ_WAIT)
            except (OSError, EOFError) as error:
                return RunState.CONNECTION_LOST, str(error)
            if pieces is None:
                return None, ""
            if pieces:
                last_heard = time.monotonic()
                for stream, data in pieces:
                    self._emit(stream, self.redactor.feed(stream, data))
                pacer.worked()
                continue
            if self.recorder is not None:
                # Output followed by silence is committed now, not when the next output or the end comes.
                self.recorder.idle()
            if now - last_heard >= self.connection.options.keepalive_interval:
                if not self.connection.probe():
                    self.connection.close()
                    return RunState.CONNECTION_LOST, _(
                        "The connection to {target} was lost: no answer for {seconds:g} s."
                    ).format(target=request.target.label, seconds=self.connection.options.dead_after)
                last_heard = time.monotonic()

    def _stop(self) -> None:
        """TERM, a short grace for the last output, then KILL."""
        self.process.terminate("TERM")
        grace_end = time.monotonic() + STOP_GRACE
        while time.monotonic() < grace_end:
            pieces = self.process.read(0.1)
            if pieces is None:
                return
            for stream, data in pieces:
                self._emit(stream, self.redactor.feed(stream, data))
        self.process.terminate("KILL")

    def _ending(self) -> tuple[RunState, str]:
        code = self.handle.result.exit_code
        if code == 0:
            return RunState.SUCCEEDED, ""
        if code is not None:
            return RunState.FAILED, ""
        no_status = _("The command ended without an exit status: its session was closed or killed on the server.")
        if not self.connection.active:
            # Whether the channel or the whole connection is seen closed first when the server's session dies is a
            # race: both messages say the same thing, the exit status that never came.
            closed = _("The connection to {target} closed while the command ran.").format(
                target=self.handle.request.target.label
            )
            return RunState.CONNECTION_LOST, f"{closed} {no_status}"
        return RunState.CONNECTION_LOST, no_status

    def _emit(self, stream: Stream, data: bytes) -> None:
        if not data:
            return
        if self.handle.request.sudo:
            # On stderr, or on stdout with a terminal, which carries both streams.
            data = data.replace(SUDO_PROMPT.encode(), b"")
            if not data:
                return
        chunk = Chunk(stream, data, time.monotonic() - self.started)
        self.handle.result.output.append(chunk)
        if self.recorder is not None:
            self.recorder.add(chunk)
        self.handle._deliver(chunk)

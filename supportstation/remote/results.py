"""What a remote run produces, the same for every transport: states, output chunks, the result and its errors.

Like Invoke's `Result` and `UnexpectedExit`: a result is a plain object; a failure is an exception that carries the
partial result, so a caller that catches it still has the output that arrived before things went wrong.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from supportstation.i18n import _


class Stream(enum.IntEnum):
    STDOUT = 1
    STDERR = 2


class RunState(enum.StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # the command ran and exited non-zero
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"
    CONNECTION_LOST = "connection_lost"  # the link or the server died while the command ran
    NOT_CONNECTED = "not_connected"  # the command never started: unreachable, refused host key, bad credentials

    @property
    def finished(self) -> bool:
        return self is not RunState.RUNNING


def state_label(state: RunState) -> str:
    labels = {
        RunState.RUNNING: _("running"),
        RunState.SUCCEEDED: _("succeeded"),
        RunState.FAILED: _("failed"),
        RunState.CANCELLED: _("cancelled"),
        RunState.TIMED_OUT: _("timed out"),
        RunState.CONNECTION_LOST: _("connection lost"),
        RunState.NOT_CONNECTED: _("not connected"),
    }
    return labels[state]


@dataclass(frozen=True, slots=True)
class Chunk:
    """Bytes exactly as received (after redaction of known secrets), and when, in seconds since the run started."""

    stream: Stream
    data: bytes
    offset: float


@dataclass
class RunOutput:
    """The output kept in memory: every chunk up to `memory_limit` bytes, then only a tail of `tail_limit` bytes.

    The complete output of a recorded run is in storage (see `remote.recording`); this bound is what lets a command
    print a gigabyte without the application holding it.
    """

    memory_limit: int = 8 * 1024 * 1024
    tail_limit: int = 1024 * 1024
    head: list[Chunk] = field(default_factory=list)
    tail: deque[Chunk] = field(default_factory=deque)
    sizes: dict[Stream, int] = field(default_factory=lambda: {Stream.STDOUT: 0, Stream.STDERR: 0})
    omitted: int = 0
    _head_bytes: int = 0
    _tail_bytes: int = 0

    def append(self, chunk: Chunk) -> None:
        self.sizes[chunk.stream] += len(chunk.data)
        if self._head_bytes + len(chunk.data) <= self.memory_limit and not self.tail:
            self.head.append(chunk)
            self._head_bytes += len(chunk.data)
            return
        self.tail.append(chunk)
        self._tail_bytes += len(chunk.data)
        while self._tail_bytes > self.tail_limit and len(self.tail) > 1:
            dropped = self.tail.popleft()
            self._tail_bytes -= len(dropped.data)
            self.omitted += len(dropped.data)

    @property
    def truncated(self) -> bool:
        return self.omitted > 0

    @property
    def total_bytes(self) -> int:
        return self.sizes[Stream.STDOUT] + self.sizes[Stream.STDERR]

    def chunks(self) -> list[Chunk]:
        return [*self.head, *self.tail]

    def bytes_of(self, stream: Stream) -> bytes:
        return b"".join(chunk.data for chunk in self.chunks() if chunk.stream is stream)

    def text(self, stream: Stream | None = None) -> str:
        """For display: decoded with replacement characters, with a marker where the middle was left out."""
        parts = [chunk.data for chunk in self.head if stream is None or chunk.stream is stream]
        if self.omitted:
            marker = _("[… {size} bytes not kept in memory …]").format(size=self.omitted)
            parts.append(b"\n" + marker.encode("utf-8") + b"\n")
        parts += [chunk.data for chunk in self.tail if stream is None or chunk.stream is stream]
        return b"".join(parts).decode("utf-8", errors="replace")


@dataclass
class RunResult:
    target: str
    command: str
    started_at: datetime
    ended_at: datetime | None = None
    state: RunState = RunState.RUNNING
    exit_code: int | None = None
    output: RunOutput = field(default_factory=RunOutput)
    error: str = ""  # why it did not succeed, when the exit code alone does not say
    host_key_fingerprint: str = ""
    run_id: int | None = None  # the stored run, when recorded

    @property
    def stdout(self) -> str:
        return self.output.text(Stream.STDOUT)

    @property
    def stderr(self) -> str:
        return self.output.text(Stream.STDERR)

    @property
    def ok(self) -> bool:
        return self.state is RunState.SUCCEEDED

    @property
    def duration(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds()

    def describe(self) -> str:
        """One line a person reads: what happened to the command, and where."""
        return _("{target}: {outcome}").format(target=self.target, outcome=self.outcome())

    def outcome(self) -> str:
        """What happened to the command: "exit code 2", "not connected: …"."""
        if self.state is RunState.FAILED:
            return _("exit code {code}").format(code=self.exit_code)
        if self.error:
            return _("{state}: {error}").format(state=state_label(self.state), error=self.error)
        return state_label(self.state)


# -- errors ----------------------------------------------------------------------------------------------------------


class RemoteError(Exception):
    """Base of every error the remote core raises. Messages never contain secrets."""


class ConnectError(RemoteError):
    """The host could not be reached or refused the session (network, DNS, protocol, authentication)."""


class AuthenticationFailed(ConnectError):
    """The host refused every login method tried; the message lists them, never a secret."""


class HostKeyError(ConnectError):
    """The host's key was not trusted: unknown and not accepted, or changed."""


class UnknownHostKey(HostKeyError):
    """The host's key is not known and the engineer (or the caller's policy) did not accept it."""


class ChangedHostKey(HostKeyError):
    """The host offered a key that differs from the stored one: possibly an attack; always refused."""


class RunFailed(RemoteError):
    """A run that did not succeed, with its partial result."""

    def __init__(self, result: RunResult) -> None:
        super().__init__(result.describe())
        self.result = result

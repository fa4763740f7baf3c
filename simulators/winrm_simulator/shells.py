"""Shells and commands behind the WinRM simulator: `/bin/sh -c` processes or recorded PowerShell answers.

A Windows host would run `cmd /c`; the simulator runs the same command line through `/bin/sh -c` and streams its
output: reader threads append chunks as they arrive, and each Receive takes what is there, so a slow command's output
reaches the client over several Receives, as on Windows.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .powershell import Response

STATUS_CONTROL_C_EXIT = 3221225786  # 0xC000013A: the exit code Windows reports after ctrl_c


@dataclass
class Output:
    """One Receive's worth: chunks per stream, and the exit code once the command is done and drained."""

    chunks: list[tuple[str, bytes]]
    exit_code: int | None


class Command:
    """A running command; output is buffered until a Receive takes it."""

    def __init__(self, command_line: str) -> None:
        self.id = str(uuid.uuid4()).upper()
        self.command_line = command_line
        self.process: subprocess.Popen[bytes] | None = None
        self._changed = threading.Condition()
        self._chunks: list[tuple[str, bytes]] = []
        self._exit_code: int | None = None
        self._done = False
        self._input: ScriptInput | None = None

    @classmethod
    def recorded(cls, command_line: str, response: Response) -> Command:
        """A command whose whole output is known already (a recorded PowerShell response)."""
        command = cls(command_line)
        for name, data in (("stdout", response.stdout), ("stderr", response.stderr)):
            raw = data.encode("utf-8") if isinstance(data, str) else data
            if raw:
                command._chunks.append((name, raw))
        command._finish(response.exit_code)
        return command

    @classmethod
    def scripted(cls, command_line: str, run: ScriptRun) -> Command:
        """A command carried out by Python standing in for a PowerShell script (see files.py): `run` reads the input
        the client Sends, line by line, writes output that Receives take as it comes, and returns the exit code."""
        command = cls(command_line)
        command._input = ScriptInput()
        threading.Thread(target=command._run_script, args=(run,), daemon=True, name="winrm-sim-script").start()
        return command

    def _run_script(self, run: ScriptRun) -> None:
        assert self._input is not None
        code = 1
        try:
            code = run(self._input, self._write)
        except ScriptKilled:
            pass
        except Exception as error:  # a stand-in's own bug: the command must still end, or the client waits forever
            self._write("stderr", f"simulator error: {error!r}\r\n".encode())
        finally:
            self._finish(code)

    def _write(self, stream: str, data: bytes) -> None:
        with self._changed:
            self._chunks.append((stream, data))
            self._changed.notify_all()

    @classmethod
    def spawned(cls, command_line: str, cwd: str | None, env: dict[str, str]) -> Command:
        command = cls(command_line)
        command.process = subprocess.Popen(
            ["/bin/sh", "-c", command_line],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd if cwd and Path(cwd).is_dir() else None,
            env={**os.environ, **env},
            # Its own process group, so Signal reaches the children of sh (a `sleep` inside a script) too.
            start_new_session=True,
        )
        readers = [
            threading.Thread(target=command._read, args=(name, pipe), daemon=True, name=f"winrm-sim-{name}")
            for name, pipe in (("stdout", command.process.stdout), ("stderr", command.process.stderr))
        ]
        for reader in readers:
            reader.start()
        threading.Thread(target=command._reap, args=(readers,), daemon=True, name="winrm-sim-reap").start()
        return command

    def _read(self, name: str, pipe: object) -> None:
        fd = pipe.fileno()  # type: ignore[attr-defined]
        # os.read returns whatever is available: that is what makes output stream instead of arriving at exit.
        while chunk := os.read(fd, 65536):
            with self._changed:
                self._chunks.append((name, chunk))
                self._changed.notify_all()

    def _reap(self, readers: list[threading.Thread]) -> None:
        for reader in readers:
            reader.join()
        assert self.process is not None
        code = self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        # A signal death has no Windows equivalent but ctrl_c's; anything else reads as a plain failure.
        self._finish(STATUS_CONTROL_C_EXIT if code == -signal.SIGINT else (1 if code < 0 else code))

    def _finish(self, exit_code: int) -> None:
        with self._changed:
            self._exit_code = exit_code
            self._done = True
            self._changed.notify_all()

    def receive(self, timeout: float, stopping: threading.Event) -> Output | None:
        """Wait up to `timeout` for output or the end; None means nothing came (the caller answers a timeout fault)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not self._chunks and not self._done:
                left = deadline - time.monotonic()
                if left <= 0 or stopping.is_set():
                    return None
                # Short waits so a stopping simulator is never held up by a long poll.
                self._changed.wait(min(left, 0.2))
            chunks, self._chunks = self._chunks, []
            # Done is reported only once everything the process wrote has been handed out.
            return Output(chunks, self._exit_code if self._done and not self._chunks else None)

    def send(self, data: bytes, end: bool) -> None:
        if self._input is not None:
            self._input.feed(data, end)
            return
        if self.process is None or self.process.stdin is None:
            return
        try:
            if data:
                self.process.stdin.write(data)
                self.process.stdin.flush()
            if end:
                self.process.stdin.close()
        except (BrokenPipeError, ValueError):
            pass  # the command exited or closed its input: Windows drops the input silently too

    def signal(self, code: str) -> None:
        """ctrl_c interrupts; terminate (and anything else) kills the whole process group."""
        if self._input is not None:
            self._input.kill()
            return
        if self.process is None or self.process.poll() is not None:
            return
        sig = signal.SIGINT if code.endswith("/ctrl_c") else signal.SIGKILL
        with contextlib.suppress(ProcessLookupError):  # it exited meanwhile
            os.killpg(self.process.pid, sig)

    def kill(self) -> None:
        self.signal("terminate")


class ScriptKilled(Exception):
    """Raised inside a scripted command's reading when the client sent Signal terminate."""


class ScriptInput:
    """What the client Sends to a scripted command, read line by line as PowerShell's `$input` reads stdin."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._buffer = b""
        self._ended = False
        self._killed = False

    def feed(self, data: bytes, end: bool) -> None:
        with self._changed:
            self._buffer += data
            self._ended = self._ended or end
            self._changed.notify_all()

    def kill(self) -> None:
        with self._changed:
            self._killed = True
            self._changed.notify_all()

    def check(self) -> None:
        if self._killed:
            raise ScriptKilled

    def lines(self) -> Iterator[bytes]:
        """Lines without their CR LF, until the input ends; ScriptKilled once terminated."""
        while True:
            with self._changed:
                while b"\n" not in self._buffer and not self._ended and not self._killed:
                    self._changed.wait(0.2)
                self.check()
                if b"\n" in self._buffer:
                    line, self._buffer = self._buffer.split(b"\n", 1)
                elif self._buffer:
                    line, self._buffer = self._buffer, b""
                else:
                    return
            yield line.rstrip(b"\r")


ScriptRun = Callable[[ScriptInput, Callable[[str, bytes], None]], int]


@dataclass
class Shell:
    """A cmd shell: its id, owner, start-up directory and environment, and its commands."""

    owner: str
    cwd: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    id: str = field(default_factory=lambda: str(uuid.uuid4()).upper())
    commands: dict[str, Command] = field(default_factory=dict)

    def close(self) -> None:
        for command in self.commands.values():
            command.kill()
        self.commands.clear()

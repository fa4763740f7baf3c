"""The start-up agent: a process that has already imported SupportStation's command-line modules and forks a copy of
itself for each command. A command typed in a terminal without one starts one in the background for the next
commands, as Mercurial's chg and Gradle's daemon do (`cli.start_agent_for_later`); scripts never do,
SUPPORTSTATION_NO_AGENT=1 or the `command_agent` setting turns that off, and `supportstation agent start` starts one
by hand. One agent per socket (a lock held from before it loads); one socket per version.

A command otherwise spends ~0.6 s of processor time starting Python and importing SQLAlchemy, paramiko and the
app's modules before it reaches a host; forked from the agent it starts with all of that done. The command runs in
the forked process with the caller's terminal (its standard streams, passed as file descriptors), working folder,
environment and arguments (agent_client.py). The command tells the caller its exit status as it ends; the agent
reports it instead when the command was killed.

What the agent does not do, on purpose:
- hold a secret: the forked process unlocks the vault itself, from the caller's environment, as a direct run would,
  and ends with the command; the agent never opens the vault or the database, and keeps of the environment it was
  started in only where things are and the language (KEPT_VARIABLES), never a password variable;
- serve anyone else: its socket is in a folder only its user can enter, and each connection's user is checked
  (SO_PEERCRED); it runs nothing the caller could not run;
- outlive its use: it stops after `--idle-minutes` without a command (30 by default), or with `agent stop`;
- run the window, or an agent command: those run in the caller's process.
A change to the code the agent loaded (an upgrade, an edited checkout or plugin), noticed before each command and every
few seconds, stops the agent: the command runs on its own, and starts a fresh agent. A caller of another version (told
this socket) runs its command itself. A forked command takes its caller's umask, and the agent runs from `/` with
nothing of the folder it was started in on its module path.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import gc
import importlib
import json
import logging
import os
import selectors
import signal
import socket
import struct
import sys
import time
import traceback
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NoReturn

from supportstation import __version__
from supportstation.agent_client import HEADER, ask, connect, is_private_folder, lock_path, socket_path
from supportstation.i18n import _

log = logging.getLogger(__name__)

DEFAULT_IDLE_MINUTES = 30.0
START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 5.0  # a caller that connects and sends nothing must not hold the agent up
SOCKET_CHECK_S = 5.0  # how often the agent checks that its socket is still there
MAX_REQUEST_BYTES = 4 * 1024 * 1024
# What a command needs before it reaches a host, imported once here instead of in every command. Never Qt: the window
# runs in the caller's process, and forking a process that has loaded Qt is unsafe.
PRELOADED = (
    "supportstation.cli",
    "supportstation.storage.database",
    "supportstation.storage.models",
    "supportstation.storage.run_models",
    "supportstation.remote.commands",
    "supportstation.remote.recording",
    "supportstation.remote.workbench",
    "supportstation.remote.fanout",
    "supportstation.tickets.commands",
    "supportstation.tickets.details",
    "supportstation.procedures.commands",
    "supportstation.reports.commands",
    "supportstation.reports.outbox_commands",
    "supportstation.plugin_commands",
    "supportstation.plugins",
    "supportstation.vault",
    "supportstation.audit",
    "sqlalchemy.dialects.sqlite",
    "encodings.idna",  # imported by the first connection to a host name
)


class AgentError(Exception):
    """The agent cannot start: the reason is for the engineer."""


def serve(path: Path | None = None, idle_minutes: float = DEFAULT_IDLE_MINUTES, *, announce: bool = False) -> int:
    """Runs the agent until it is stopped or idle. `announce`: print `ready PID` once listening, then let go of the
    standard streams, so that `start`, which waits for them to close, returns."""
    path = path or Path(socket_path())
    private_folder(path.parent)
    lock = hold_lock(path)  # before loading: a second agent started meanwhile ends at once
    preload()
    listener = listen(path)
    agent = _Agent(listener, path, idle_minutes * 60, loaded_code(), lock)
    if announce:
        print(f"ready {os.getpid()}", flush=True)
        null = os.open(os.devnull, os.O_RDWR)
        for number in (0, 1, 2):
            os.dup2(null, number)
        os.close(null)
    try:
        agent.run()
    finally:
        agent.close()
    return 0


def preload() -> None:
    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except Exception:  # the command imports it again and reports the failure where it can be read
            log.warning("The agent could not import %s", name, exc_info=True)
    from sqlalchemy.orm import configure_mappers

    configure_mappers()  # done by the first query otherwise: ~40 ms of every command
    if "PySide6" in sys.modules:  # a module above started importing Qt at import time: fork would not be safe
        raise AgentError(_("Qt was loaded while preparing the agent: it could not start commands safely."))
    # What was imported stays out of the cycle collector's reach: a collection in a forked command would otherwise
    # write to every object's header, and copy the whole agent's memory into that process, page by page.
    gc.collect()
    gc.freeze()


def loaded_code() -> dict[str, tuple[int, int, int]]:
    """The interpreter (the bundle's executable, when frozen) and the source files of the modules loaded from outside
    the standard library, each with its modification time, size and inode. Checked before each command (~300 files,
    about a millisecond) and every few seconds: the agent must never run code older than the caller's files."""
    import sysconfig

    standard_library = sysconfig.get_paths()["stdlib"] + os.sep
    sources = [sys.executable]
    for module in list(sys.modules.values()):
        source = getattr(module, "__file__", None)
        if isinstance(source, str) and not source.startswith(standard_library):
            sources.append(source)
    found = {}
    for source in sources:
        with contextlib.suppress(OSError):  # a module packed in the bundle's archive has no file of its own
            found[source] = _file_identity(source)
    return found


def _file_identity(source: str) -> tuple[int, int, int]:
    status = os.stat(source)
    return status.st_mtime_ns, status.st_size, status.st_ino


def _changed_since(code: Mapping[str, tuple[int, int, int]]) -> str | None:
    """The first file of `code` changed, replaced or removed since, or None."""
    for source, identity in code.items():
        try:
            if _file_identity(source) != identity:
                return source
        except OSError:
            return source
    return None


def private_folder(folder: Path) -> None:
    """Creates the agent's folder if needed; refuses one that someone else could have put a socket in."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not is_private_folder(folder):
        message = _("{folder} is not a private folder (yours, mode 0700, not a link): the agent will not listen there.")
        raise AgentError(message.format(folder=folder))


def hold_lock(path: Path) -> int:
    """The agent's lock for this socket, held until the process ends (the kernel lets go of it even after kill -9)."""
    descriptor = os.open(lock_path(path), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(descriptor)
        raise AgentError(_("An agent is already starting or running for {path}.").format(path=path)) from None
    return descriptor


def is_starting_or_running(path: Path) -> bool:
    """An agent holds the lock of this socket: it is loading, or listening."""
    try:
        descriptor = os.open(lock_path(path), os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)  # and the lock with it, if this took it
    return False


def listen(path: Path) -> socket.socket:
    """Listens on `path`, in the private folder `serve` made, as the holder of its lock (`hold_lock`)."""
    if os.path.lexists(path):
        answering = connect(path)
        if answering is not None:
            answering.close()
            raise AgentError(_("An agent already listens on {path}.").format(path=path))
        path.unlink()  # left by an agent that was killed
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.fspath(path))
    os.chmod(path, 0o600)
    listener.listen(32)
    return listener


class _Agent:
    def __init__(
        self, listener: socket.socket, path: Path, idle_seconds: float, code: Mapping[str, tuple[int, int, int]],
        lock: int,
    ) -> None:  # fmt: skip
        self.listener = listener
        self.code = code
        self.lock = lock
        self.path = path
        self.idle_seconds = idle_seconds
        self.running: dict[int, socket.socket] = {}  # forked command → the connection its caller waits on
        self.last_used = time.monotonic()
        self.stopping = False
        self.served = 0  # commands forked since the start
        self.socket_inode = os.stat(path).st_ino
        # A child's end wakes the loop at once (its caller is waiting for the exit status): SIGCHLD through a pipe.
        self.wakeup, wakeup_write = socket.socketpair()
        self.wakeup.setblocking(False)
        wakeup_write.setblocking(False)
        self._wakeup_write = wakeup_write
        signal.set_wakeup_fd(wakeup_write.fileno())
        signal.signal(signal.SIGCHLD, lambda _number, _frame: None)
        signal.signal(signal.SIGTERM, self._stop_on_signal)
        signal.signal(signal.SIGINT, self._stop_on_signal)
        self.selector = selectors.DefaultSelector()
        self.selector.register(listener, selectors.EVENT_READ)
        self.selector.register(self.wakeup, selectors.EVENT_READ)

    def _socket_is_ours(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self.socket_inode
        except OSError:
            return False

    def _stop_on_signal(self, _number: int, _frame: object) -> None:
        self.stopping = True

    def run(self) -> None:
        while True:
            self._reap()
            if self.stopping:
                self._stop_listening()
                if not self.running:
                    return
            idle_left = self.idle_seconds - (time.monotonic() - self.last_used)
            if not self.running and idle_left <= 0:
                return
            if not self.stopping and not self._socket_is_ours():
                self.stopping = True  # removed or replaced: no caller can reach this agent any more
                continue
            if not self.stopping and self._code_changed():
                continue
            timeout = SOCKET_CHECK_S if self.running else min(max(idle_left, 0.05), SOCKET_CHECK_S)
            for key, _events in self.selector.select(timeout):
                if key.fileobj is self.wakeup:
                    with contextlib.suppress(BlockingIOError):
                        while self.wakeup.recv(512):
                            pass
                elif key.fileobj is self.listener and not self.stopping:
                    connection, _address = self.listener.accept()
                    self.last_used = time.monotonic()
                    self._answer(connection)
                elif isinstance(key.data, int):  # a caller waiting for its command went away (killed, closed)
                    self._caller_gone(key.fileobj, key.data)  # type: ignore[arg-type]

    def _answer(self, connection: socket.socket) -> None:
        descriptors: list[int] = []
        try:
            if not _same_user(connection):
                connection.close()
                return
            connection.settimeout(REQUEST_TIMEOUT_S)
            request, descriptors = _receive(connection)
            if "ping" in request:
                _reply(connection, {"pid": os.getpid(), "version": __version__, "socket": os.fspath(self.path),
                                    "idle_minutes": self.idle_seconds / 60, "running": len(self.running),
                                    "served": self.served})  # fmt: skip
            elif "stop" in request:
                self.stopping = True
                _reply(connection, {"stopping": True, "running": len(self.running)})
            elif "run" in request:
                self._fork(connection, request, descriptors)
                return  # the connection stays open until the command ends
            connection.close()
        except (OSError, ValueError) as error:  # a caller that went away or spoke nonsense: the next one is served
            log.warning("The agent dropped a request: %s", error)
            connection.close()
        finally:
            for descriptor in descriptors:
                with contextlib.suppress(OSError):
                    os.close(descriptor)

    def _fork(self, connection: socket.socket, request: dict[str, Any], descriptors: list[int]) -> None:
        arguments = request["run"]
        if not _well_formed(request, descriptors):
            raise ValueError("a run request is arguments, a version, a folder, an environment and three streams")
        # Another version calls only on a socket it was told (each version has its own by default): it runs itself.
        if request["version"] != __version__ or self._code_changed() or runs_in_caller(arguments):
            _reply(connection, {"run_here": True})
            connection.close()
            return
        pid = os.fork()
        if pid == 0:
            self._release_lock()  # the agent's alone: a command still running after the agent ends must not hold it
            _run_command(arguments, request, descriptors, connection,
                         closing=[self.listener, self.wakeup, self._wakeup_write])  # fmt: skip
        self.running[pid] = connection
        self.served += 1
        _reply(connection, {"pid": pid})
        self.selector.register(connection, selectors.EVENT_READ, data=pid)

    def _code_changed(self) -> bool:
        """A file the agent loaded changed (an upgrade, an edited checkout or plugin): it stops once its commands
        end, so that the next command runs on its own and starts an agent of the new code."""
        changed = _changed_since(self.code)
        if changed is not None:
            log.info("The agent stops: %s changed", changed)
            self.stopping = True
        return changed is not None

    def _caller_gone(self, connection: socket.socket, pid: int) -> None:
        """As when a terminal closes: the command is stopped, the way a direct run is by SIGTERM (its runs are
        cancelled and recorded as such), instead of going on for nobody."""
        with contextlib.suppress(OSError):
            if connection.recv(1, socket.MSG_PEEK):
                connection.recv(4096)  # a caller says nothing after its request: nothing to read
                return
        self.selector.unregister(connection)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)

    def _reap(self) -> None:
        for pid in list(self.running):
            try:
                finished, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                finished, status = pid, 1 << 8
            if finished:
                connection = self.running.pop(pid)
                with contextlib.suppress(KeyError):
                    self.selector.unregister(connection)
                with contextlib.suppress(OSError):
                    _reply(connection, {"exit": _exit_code(status)})
                connection.close()

    def _stop_listening(self) -> None:
        if self.listener.fileno() == -1:
            return
        self.selector.unregister(self.listener)
        self.listener.close()
        if self._socket_is_ours():  # never another agent's, started on the same path since
            self.path.unlink()  # callers run their commands themselves from now on
        self._release_lock()  # a new agent may start while this one waits for its commands to end

    def _release_lock(self) -> None:
        if self.lock >= 0:
            os.close(self.lock)
            self.lock = -1

    def close(self) -> None:
        self._stop_listening()
        signal.set_wakeup_fd(-1)
        self.selector.close()
        self.wakeup.close()
        self._wakeup_write.close()


def runs_in_caller(arguments: Sequence[str]) -> bool:
    """The window, and the agent's own commands, run in the caller's process."""
    from supportstation import cli

    try:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            options, _namespace = cli.parse(arguments)
    except SystemExit:  # --help, --version, a usage error: printed by the command's own process
        return False
    return options.command in (None, "agent")


def _well_formed(request: dict[str, Any], descriptors: list[int]) -> bool:
    def texts(value: object) -> bool:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)

    environ = request.get("environ")
    return (
        texts(request.get("run"))
        and isinstance(request.get("version"), str)
        and isinstance(request.get("cwd"), str)
        and isinstance(environ, dict)
        and texts(list(environ)) and texts(list(environ.values()))
        and isinstance(request.get("umask", 0), int)
        and len(descriptors) == 3
    )  # fmt: skip


def _same_user(connection: socket.socket) -> bool:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid == os.getuid()


def _receive(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    header, descriptors, _flags, _address = socket.recv_fds(connection, HEADER.size, 3)
    if len(header) != HEADER.size:
        raise ValueError("truncated request")
    (length,) = HEADER.unpack(header)
    if length > MAX_REQUEST_BYTES:
        raise ValueError(f"request of {length} bytes")
    body = bytearray()
    while len(body) < length:
        chunk = connection.recv(length - len(body))
        if not chunk:
            raise ValueError("truncated request")
        body += chunk
    request = json.loads(body)
    if not isinstance(request, dict):
        raise ValueError("a request is a JSON object")
    return request, list(descriptors)


def _reply(connection: socket.socket, message: dict[str, Any]) -> None:
    connection.sendall(json.dumps(message).encode("utf-8") + b"\n")


def _exit_code(status: int) -> int:
    """As a shell reports it: the exit status, or 128 + the signal that ended the process."""
    if os.WIFSIGNALED(status):
        return 128 + os.WTERMSIG(status)
    return os.WEXITSTATUS(status)


def _run_command(
    arguments: list[str],
    request: dict[str, Any],
    descriptors: list[int],
    caller: socket.socket,
    *,
    closing: list[socket.socket],
) -> NoReturn:
    """In the forked process: become the caller's command, run it, and exit with its status.

    The caller is told the status by this process, once its standard streams are closed, rather than by the agent
    once it has reaped it: taking apart a process that held 50 connections takes 50-100 ms on a busy machine, and
    nothing of the command is left in it."""
    code = 1
    try:
        for item in closing:
            item.close()
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        _adopt_caller(request, descriptors)
        from supportstation import cli

        code = cli.main(arguments)
    except SystemExit as exit_request:
        code = _system_exit_code(exit_request)
    except KeyboardInterrupt:
        code = 128 + signal.SIGINT
    except BaseException:
        traceback.print_exc()
    finally:
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        for number in (0, 1, 2):  # the caller's pipes see their end now, not when this process is gone
            with contextlib.suppress(OSError):
                os.close(number)
        # Nothing may stop the process between telling its status and ending with it: the caller, who leaves on
        # being told, would be taken for gone, and the command signalled.
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGHUP, signal.SIGINT})
        with contextlib.suppress(OSError):
            _reply(caller, {"exit": code})
        os._exit(code)


def _adopt_caller(request: dict[str, Any], descriptors: list[int]) -> None:
    """The caller's environment, working folder and standard streams, as if it had started this process."""
    os.environ.clear()
    os.environ.update(request["environ"])
    os.umask(request.get("umask", 0o022) & 0o777)  # what the caller's files would get; absent from older clients
    for number, descriptor in zip((0, 1, 2), descriptors, strict=False):
        os.dup2(descriptor, number)
        os.close(descriptor)
    descriptors.clear()
    encoding, errors = _stream_encoding()
    sys.stdin = sys.__stdin__ = open(0, encoding=encoding, errors=errors, closefd=False)  # noqa: SIM115
    sys.stdout = sys.__stdout__ = open(  # noqa: SIM115
        1, "w", buffering=1 if os.isatty(1) else -1, encoding=encoding, errors=errors, closefd=False
    )
    sys.stderr = sys.__stderr__ = open(2, "w", buffering=1, encoding=encoding, errors="backslashreplace", closefd=False)  # noqa: SIM115
    sys.argv = ["supportstation", *request["run"]]
    os.chdir(request["cwd"])


def _stream_encoding() -> tuple[str, str]:
    """PYTHONIOENCODING from the caller when it sets one; otherwise what this interpreter chose at start-up."""
    name, _colon, errors = os.environ.get("PYTHONIOENCODING", "").partition(":")
    return name or getattr(sys.__stdout__, "encoding", None) or "utf-8", errors or "strict"


def _system_exit_code(exit_request: SystemExit) -> int:
    if exit_request.code is None:
        return 0
    if isinstance(exit_request.code, int):
        return exit_request.code
    print(exit_request.code, file=sys.stderr)
    return 1


@dataclasses.dataclass(frozen=True)
class Started:
    pid: int | None  # None: it could not start, for `problem`
    already_running: bool = False
    problem: str = ""


def start(idle_minutes: float = DEFAULT_IDLE_MINUTES, path: Path | None = None) -> Started:
    """Starts an agent in the background, in its own session so that closing the terminal does not stop it."""
    import subprocess

    socket_file = path or Path(socket_path())
    running = _answer_once_started(socket_file)
    if running is not None:
        return Started(int(running["pid"]), already_running=True)
    process = subprocess.Popen(
        [*_serve_command(idle_minutes), "--announce"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, env=_agent_environment(path), cwd="/", start_new_session=True, text=True,
    )  # fmt: skip
    # The agent says `ready PID` once it listens; a failure is on its standard error when it ends.
    with selectors.DefaultSelector() as waiting:
        waiting.register(process.stdout, selectors.EVENT_READ)  # type: ignore[arg-type]
        answered = bool(waiting.select(timeout=START_TIMEOUT_S))
    said = process.stdout.readline() if answered else ""  # type: ignore[union-attr]
    if said.startswith("ready "):
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]
        return Started(int(said.split()[1]))
    try:
        process.wait(timeout=START_TIMEOUT_S if answered else 0)  # its output closed: it is ending
    except subprocess.TimeoutExpired:
        process.kill()
        return Started(None, problem=_("it did not start within {seconds:g} s").format(seconds=START_TIMEOUT_S))
    running = _answer_once_started(socket_file)
    if running is not None:  # one started meanwhile (by a command that ended) took the socket first, and serves
        return Started(int(running["pid"]), already_running=True)
    error = process.stderr.read().strip()  # type: ignore[union-attr]
    problem = error.splitlines()[-1] if error else _("exit status {code}").format(code=process.returncode)
    return Started(None, problem=problem)


def _answer_once_started(path: Path) -> dict[str, Any] | None:
    """The running agent's answer to a ping; while one is loading, once it listens. None when there is none."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        answer = ask({"ping": True}, path)
        if answer is not None or not is_starting_or_running(path) or time.monotonic() > deadline:
            return answer
        time.sleep(0.05)


def start_in_background(idle_minutes: float = DEFAULT_IDLE_MINUTES) -> int | None:
    """Starts an agent without waiting for it (it takes a second to load), for a command that is ending: its process
    id, or None when none can start (its folder is not private) or one is already starting or running."""
    import subprocess

    path = Path(socket_path())
    try:
        private_folder(path.parent)
    except (AgentError, OSError):
        return None
    if is_starting_or_running(path):
        return None
    process = subprocess.Popen(
        _serve_command(idle_minutes), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=_agent_environment(None), cwd="/", start_new_session=True,
    )  # fmt: skip
    return process.pid


def _serve_command(idle_minutes: float) -> list[str]:
    """Run from the root folder, without it or any other folder first on the module path (`-P`): the agent must not
    import a module lying in the folder where a command happened to start it, nor keep that folder busy."""
    if getattr(sys, "frozen", False):  # the bundle's executable is the command itself
        command = [sys.executable, "agent", "serve"]
    else:
        command = [sys.executable, "-P", "-m", "supportstation", "agent", "serve"]
    return [*command, "--idle-minutes", f"{idle_minutes:g}"]


def _agent_environment(path: Path | None) -> dict[str, str]:
    environment = _kept_environment(os.environ)
    if path is not None:
        environment["SUPPORTSTATION_AGENT_SOCKET"] = os.fspath(path)
    environment["SUPPORTSTATION_NO_AGENT"] = "1"  # this process starts the agent, it is not a command for one
    return environment


# What the agent keeps of the environment it was started from: where things are and how to speak. Nothing that may be
# a secret (the vault's password, a --password-env variable) may stay in its memory for its lifetime: each command
# receives its caller's whole environment with its request, and ends with it.
KEPT_VARIABLES = frozenset({
    "HOME", "PATH", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "VIRTUAL_ENV",
    "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
    "PYTHONPATH", "PYTHONHOME", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE", "PYTHONIOENCODING",
    "SUPPORTSTATION_AGENT_SOCKET",
})  # fmt: skip


def _kept_environment(environment: Mapping[str, str]) -> dict[str, str]:
    return {name: value for name, value in environment.items() if name in KEPT_VARIABLES or name.startswith("LC_")}


def wait_until_stopped(pid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        if _ended_unreaped(pid):
            return True
        time.sleep(0.05)
    return False


def _ended_unreaped(pid: int) -> bool:
    """An agent that ended but that its parent has not reaped yet (one started by another program, not detached):
    a zombie still answers kill(pid, 0), and would have `agent stop` wait its whole timeout."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[-1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False

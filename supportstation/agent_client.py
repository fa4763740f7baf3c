"""The command line's side of the start-up agent: hand the command to a running agent, or say there is none.

A command handed over runs in a process the agent forks from itself, with the modules already imported: it gets this
process's terminal (its standard input, output and error, passed as file descriptors), working folder, environment
and arguments, so it behaves as if run here, prompts included. Signals sent to this process (Ctrl-C) are passed on.
The agent holds no secret: the forked process unlocks the vault as a direct run would.

Only the Python standard library is imported here: this runs before anything else, on every command.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import stat
import struct
import sys

from supportstation import __version__

# pathlib and typing cost 20 ms to import, as much as the rest of this module's work: paths are strings here, and
# the annotations' names are only imported for type checkers (TYPE_CHECKING is false at run time).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from typing import Any

    PathText = str | os.PathLike[str]

SOCKET_VARIABLE = "SUPPORTSTATION_AGENT_SOCKET"  # another socket (tests, a second agent)
BYPASS_VARIABLE = "SUPPORTSTATION_NO_AGENT"  # set to run this command here even when an agent runs
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
HEADER = struct.Struct("!I")
KILLED_EXIT = 1


def socket_path() -> str:
    """The agent's socket, in a folder only this user can enter: the runtime folder, else one under /tmp. One per
    version: two installations (a package and a checkout) each have their own agent, and never stop each other's."""
    chosen = os.environ.get(SOCKET_VARIABLE)
    if chosen:
        return chosen
    name = f"agent-{__version__}.sock"
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return os.path.join(runtime, "supportstation", name)
    return os.path.join(os.environ.get("TMPDIR") or "/tmp", f"supportstation-{os.getuid()}", name)


def lock_path(socket: PathText) -> str:
    """Held by the agent of `socket` from before it loads until it ends: one agent per socket, even when several
    commands ending together each start one."""
    return os.fspath(socket) + ".lock"


def is_private_folder(folder: PathText) -> bool:
    """Owned by this user, not a link, and closed to everyone else: nobody else could have put a socket there."""
    try:
        status = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(status.st_mode) and status.st_uid == os.getuid() and not status.st_mode & 0o077


def supported() -> bool:
    """Unix sockets that pass file descriptors and tell the peer's user: Linux (SO_PEERCRED)."""
    return sys.platform.startswith("linux")


def connect(path: PathText | None = None) -> socket.socket | None:
    """A connection to the agent, or None when none answers there (never started, stopped, or killed)."""
    path = os.fspath(path or socket_path())
    if not supported() or not os.path.exists(path) or not is_private_folder(os.path.dirname(path)):
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
    except OSError:  # a socket file left by an agent that was killed
        connection.close()
        return None
    return connection


def send_request(connection: socket.socket, request: dict[str, object], descriptors: Sequence[int] = ()) -> None:
    body = json.dumps(request).encode("utf-8")
    # The descriptors travel with the length, the body after it: one sendmsg may not carry a large environment.
    socket.send_fds(connection, [HEADER.pack(len(body))], list(descriptors))
    connection.sendall(body)


def read_replies(connection: socket.socket) -> Iterator[Any]:
    """The agent's replies, one JSON object per line, until it closes the connection."""
    with connection.makefile("r", encoding="utf-8") as replies:
        for line in replies:
            yield json.loads(line)


def ask(request: dict[str, object], path: PathText | None = None) -> dict[str, object] | None:
    """One question (`ping`, `stop`) and its answer; None when no agent answers."""
    connection = connect(path)
    if connection is None:
        return None
    with connection:
        try:
            send_request(connection, request)
            return next(read_replies(connection), None)
        except (OSError, ValueError):
            return None


def run_through_agent(arguments: Sequence[str], version: str) -> int | None:
    """The command's exit status, run by the agent; None when it must run here (no agent, another version, the
    window, the agent's own commands)."""
    if os.environ.get(BYPASS_VARIABLE):
        return None
    connection = connect()
    if connection is None:
        return None
    with connection:
        child: list[int] = []
        pending: list[int] = []

        def pass_on(number: int, _frame: object) -> None:
            if child:
                os.kill(child[0], number)
            else:
                pending.append(number)

        request = {"run": list(arguments), "version": version, "cwd": os.getcwd(), "environ": dict(os.environ),
                   "umask": _umask()}  # fmt: skip
        try:
            send_request(connection, request, _standard_descriptors())
            previous = {number: signal.signal(number, pass_on) for number in FORWARDED_SIGNALS}
        except OSError:
            return None
        try:
            for reply in read_replies(connection):
                if not isinstance(reply, dict):
                    break
                if "run_here" in reply:
                    return None
                if "pid" in reply:
                    child.append(int(reply["pid"]))
                    for number in pending:
                        os.kill(child[0], number)
                if "exit" in reply:
                    return int(reply["exit"])
        except (OSError, ValueError):
            pass
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        if not child:  # the agent closed before taking the command (it was stopping): nothing ran, so run it here
            return None
    print("supportstation: the agent stopped before the command ended; its outcome is unknown.", file=sys.stderr)
    return KILLED_EXIT


def _umask() -> int:
    mask = os.umask(0o077)  # reading it means setting it: to the strictest, for the instant until it is put back
    os.umask(mask)
    return mask


def _standard_descriptors() -> list[int]:
    """This process's standard input, output and error; /dev/null in place of one that is closed."""
    descriptors = []
    for number in (0, 1, 2):
        try:
            os.fstat(number)
            descriptors.append(number)
        except OSError:
            descriptors.append(os.open(os.devnull, os.O_RDWR))
    return descriptors

"""The agents that tests start, found by the socket they were told (SUPPORTSTATION_AGENT_SOCKET), on Linux."""

from __future__ import annotations

from pathlib import Path

SOCKET_VARIABLE = b"SUPPORTSTATION_AGENT_SOCKET="


def agent_processes(socket_path: Path | None = None) -> set[int]:
    """The `supportstation agent serve` processes, listening or still loading, told this socket (any socket when
    None). An agent on the usual socket, a developer's own, is never counted."""
    wanted = SOCKET_VARIABLE + str(socket_path).encode() if socket_path is not None else None
    found = set()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if not any(command[index : index + 2] == [b"agent", b"serve"] for index in range(len(command))):
            continue
        told = wanted in environment if wanted else any(item.startswith(SOCKET_VARIABLE) for item in environment)
        if told:
            found.add(int(entry.name))
    return found

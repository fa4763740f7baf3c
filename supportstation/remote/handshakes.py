"""Key exchanges started early: while a command line waits for the vault to open (scrypt takes a tenth of a
second, on purpose), the TCP connections and SSH key exchanges to its first hosts are already under way.

Nothing that needs the vault or the engineer happens early: the host key offered is checked against known_hosts
(and asked about) and the login is made only when the connection is taken (`ssh.connect_ssh`). A host reached
through a jump host is not started early, since its jump host needs a login first. Handshakes never taken (the
vault refused, the command failed) are closed: the host saw a key exchange and no login.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from supportstation.remote.host_keys import HostKeyStore, app_host_keys
from supportstation.remote.ssh import ConnectOptions, Handshake
from supportstation.remote.targets import Target, TargetError, parse_target


class EarlyHandshakes:
    def __init__(self, host_keys: HostKeyStore, options: ConnectOptions) -> None:
        self.host_keys = host_keys
        self.options = options
        self._pending: dict[tuple[str, int], Handshake] = {}
        self.resolved: dict[str, Target] = {}  # the command line's names, as resolved to start the handshakes

    def start(self, targets: Iterable[Target]) -> None:
        """Starts the handshake with each direct SSH target (once per host and port)."""
        for target in targets:
            key = _key(target)
            if target.winrm is None and target.device is None and not target.jump and key not in self._pending:
                self._pending[key] = Handshake(target, self.host_keys, self.options)

    def take(self, target: Target) -> Handshake | None:
        """The handshake started with this target's host, for the caller to finish; None if there is none."""
        if target.jump:
            return None
        return self._pending.pop(_key(target), None)

    def close(self) -> None:
        """Closes the handshakes nobody took."""
        pending, self._pending = self._pending, {}
        for handshake in pending.values():
            handshake.abandon()


def _key(target: Target) -> tuple[str, int]:
    return target.host.lower(), target.port


def start_early(
    names: Sequence[str], resolve: Callable[[str], Target], host_keys: HostKeyStore, options: ConnectOptions
) -> EarlyHandshakes:
    """The handshakes with the hosts `names` resolve to (a command's first --limit ones), started."""
    targets = [resolve(name) for name in names]
    handshakes = EarlyHandshakes(host_keys, options)
    handshakes.start(targets)
    handshakes.resolved = dict(zip(names, targets, strict=True))
    return handshakes


def start_for_addresses(names: Sequence[str], data_folder: Path, options: ConnectOptions) -> EarlyHandshakes | None:
    """When every name is an address (`ssh://…`), nothing needs looking up in the inventory: the handshakes start
    before the database opens (its imports alone take a third of a second). None otherwise, or for an address that
    does not parse: the command reports that itself."""
    if not names or not all("://" in name for name in names):
        return None
    try:
        return start_early(names, parse_target, app_host_keys(data_folder), options)
    except TargetError:
        return None

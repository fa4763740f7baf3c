"""Transports: how the remote engine reaches gear that is neither a POSIX shell over SSH nor Windows over WinRM.

A network switch speaks its own CLI (prompts, paging, enable mode) and a server's BMC answers Redfish over HTTPS; a
plugin that knows such gear contributes a Transport through the `supportstation_transports` hook. The engine keeps
what every transport shares: it checks the device's identity first (the SSH host key against the app's known_hosts,
or the TLS certificate against the CAs and the engineer's pins, asking the engineer about one it does not know),
takes the login from the vault, runs each command in a worker thread, records its output as it comes, redacts
secrets and writes the audit trail. The transport only opens a session and runs commands in its `language`, the
shell name that actions use in their `commands` for it ("ios", "redfish").
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal, Protocol

from supportstation.i18n import _

Identity = Literal["ssh-host-key", "tls-certificate", "none"]
_NAME = re.compile(r"[a-z][a-z0-9-]*")


class DeviceError(Exception):
    """A failure the engineer can act on (wrong password, a prompt the device did not show, …): its message is shown
    as it is, so it must say what happened and must never contain a secret."""


class DeviceLoginRefused(DeviceError):
    """The device refused the login (a wrong password, an unknown user, a refused enable secret)."""


class DeviceConnectionLost(DeviceError):
    """The session died under a command: the engine reconnects for the next one."""


@dataclass(frozen=True)
class DeviceTarget:
    """Everything a transport needs to open a session. Identity has been checked by the engine before `connect`:

    - `known_hosts` (SSH-based transports): an OpenSSH known_hosts file holding the key the engineer accepted for
      this host; connect strictly against it and refuse any other key.
    - `pinned_sha256` (TLS-based): the SHA-256 (hex) of the certificate the engineer pinned, or "" to verify the
      certificate against the system's CAs, or against `ca_file` when one is given.
    """

    host: str
    port: int
    user: str
    password: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)  # a second secret, such as a switch's enable secret
    options: Mapping[str, str] = field(default_factory=dict)  # the host's transport options from the inventory
    known_hosts: Path | None = None
    ca_file: Path | None = None
    pinned_sha256: str = ""
    timeout: float = 15.0  # for connecting and for each exchange with the device

    def __post_init__(self) -> None:
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


class DeviceSession(Protocol):
    """An open session to one device. The engine calls it from one worker thread at a time."""

    @property
    def active(self) -> bool:
        """False once the session is closed or known dead; the engine then opens a new one."""

    def run(self, command: str, output: Callable[[bytes], None], cancelled: threading.Event) -> int:
        """Runs one command written in the transport's language, passes its output to `output` as it comes, and
        returns an exit code: 0 when the device did what was asked. Returns early (any code) when `cancelled` is set.
        Raises DeviceError for a failure the engineer should read, DeviceConnectionLost when the session died."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Transport:
    """A way to reach a kind of device. `connect` blocks (the engine calls it in a worker thread) and returns an
    open session, or raises DeviceError with a message for the engineer."""

    name: str  # stable, what a host's inventory names: "cisco-ios"
    title: str  # English, translated when shown
    language: str  # the shell name of this transport's commands in Action.commands: "ios"
    default_port: int
    identity: Identity
    connect: Callable[[DeviceTarget], DeviceSession] = field(compare=False)
    description: str = ""

    def __post_init__(self) -> None:
        for value, what in ((self.name, "name"), (self.language, "language")):
            if not isinstance(value, str) or not _NAME.fullmatch(value):
                raise ValueError(
                    _("Transport {what} {value!r} must be lowercase letters, digits and '-'.").format(
                        what=what, value=value
                    )
                )
        if self.identity not in ("ssh-host-key", "tls-certificate", "none"):
            raise ValueError(
                _("Transport {name}: unknown identity check {identity!r}.").format(
                    name=self.name, identity=self.identity
                )
            )
        if not 0 < self.default_port < 65536:
            raise ValueError(_("Transport {name}: the default port is out of range.").format(name=self.name))
        if not callable(self.connect):
            raise ValueError(_("Transport {name}: connect is not callable.").format(name=self.name))

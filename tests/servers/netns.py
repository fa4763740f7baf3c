"""Several "remote hosts" on one machine: network namespaces on a bridge, each with its own sshd on port 22.

    root namespace: bridge sstbr<PID> 10.231.X.1/24
      ├─ vsst<PID>n1 ══ eth0 10.231.X.2 in namespace sst<PID>n1 (sshd on 10.231.X.2:22)
      └─ vsst<PID>n2 ══ eth0 10.231.X.3 in namespace sst<PID>n2 ...

Names carry this process's PID, so parallel runs never collide, and leftovers of a crashed earlier process that had
the same PID are cleaned first. X is a /24 no interface of the machine uses yet. Needs root (`ip netns`).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.sshd import SshServer, running_sshd

NETWORK = "10.231"
PREFIX = "sst"


def ip(*args: str, batch: str | None = None, check: bool = True) -> str:
    """Run `ip`; with `batch`, one `ip -batch -` process for many commands (each fork costs a few ms)."""
    command = ["ip", *args] + (["-batch", "-"] if batch is not None else [])
    done = subprocess.run(command, input=batch, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr.strip()}\n{batch or ''}")
    return done.stdout


def unavailable_reason() -> str | None:
    """Why namespace hosts cannot be built here, or None."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    try:
        ip("netns", "list")
    except (OSError, RuntimeError) as error:
        return f"`ip netns` is unavailable: {error}"
    return None


def free_subnet(start: int) -> int:
    """The third byte of a 10.231.X.0/24 that no address of the machine is in, searching from `start`."""
    used = set(re.findall(rf"inet {re.escape(NETWORK)}\.(\d+)\.", ip("-o", "-4", "addr", "show")))
    for offset in range(254):
        candidate = (start + offset) % 254 + 1
        if str(candidate) not in used:
            return candidate
    raise RuntimeError(f"every {NETWORK}.X.0/24 is in use")


def kill_namespace_processes(namespace: str) -> None:
    """SIGKILL whatever still runs in the namespace: `ip netns del` would leave it running, detached."""
    for pid in ip("netns", "pids", namespace, check=False).split():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid), signal.SIGKILL)


def remove_namespace(namespace: str, veth: str) -> None:
    """The teardown order that leaves nothing: the namespace's processes, the namespace, then the link."""
    kill_namespace_processes(namespace)
    ip("netns", "del", namespace, check=False)
    ip("link", "del", veth, check=False)  # usually gone with the namespace's end already


@dataclass
class NamespaceHost:
    """A host with its own network stack and sshd, reachable from the root namespace at `address`."""

    namespace: str
    veth: str  # root-side end of the link; the namespace side is eth0
    address: str
    sshd: SshServer
    _stack: contextlib.ExitStack = field(repr=False, default_factory=contextlib.ExitStack)

    @property
    def host(self) -> str:
        return self.address

    def cut_link(self) -> None:
        """Pull the cable: the root side of the link goes down, packets to and from the host are dropped."""
        ip("link", "set", self.veth, "down")

    def restore_link(self) -> None:
        ip("link", "set", self.veth, "up")

    def kill_sshd_sessions(self) -> None:
        """End every SSH connection to this host, leaving its sshd listening."""
        self.sshd.kill_sessions()

    def stop(self) -> None:
        """Stop sshd, then remove the namespace and its link (the order `ip netns del` needs). Idempotent."""
        self._stack.close()
        remove_namespace(self.namespace, self.veth)


class NetnsLab:
    """A bridge and the namespace hosts on it; one lab at a time per process. Use as a context manager."""

    def __init__(self, folder: Path, *, authorized_keys: Path | None = None, **sshd_options: object) -> None:
        self.folder = folder
        self.authorized_keys = authorized_keys
        self.sshd_options = sshd_options
        self.token = f"{PREFIX}{os.getpid()}"
        self.bridge = f"{PREFIX}br{os.getpid()}"  # at most 12 characters: interface names stop at 15
        self.hosts: list[NamespaceHost] = []
        self.subnet = 0

    @property
    def gateway(self) -> str:
        return f"{NETWORK}.{self.subnet}.1"

    def __enter__(self) -> NetnsLab:
        self.clean_stale()
        self.subnet = free_subnet(os.getpid() % 254)
        bridge = self.bridge
        ip(batch=f"link add {bridge} type bridge\naddr add {self.gateway}/24 dev {bridge}\nlink set {bridge} up\n")
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def clean_stale(self) -> None:
        """Remove namespaces and links named for this PID: a crashed earlier process with the same PID left them."""
        for namespace in re.findall(rf"^({self.token}n\d+)\b", ip("netns", "list"), re.M):
            remove_namespace(namespace, f"v{namespace}")
        for link in re.findall(rf"^\d+: (v{self.token}n\d+)[@:]", ip("-o", "link", "show"), re.M):
            ip("link", "del", link, check=False)
        ip("link", "del", self.bridge, check=False)

    def add_hosts(self, count: int) -> list[NamespaceHost]:
        """`count` more hosts, each with its own sshd listening on port 22 of its address."""
        first = len(self.hosts) + 1
        if first + count > 253:
            raise ValueError("a lab holds at most 252 hosts")
        numbers = range(first, first + count)
        added: list[NamespaceHost] = []
        try:
            # One `ip -batch` for the root side of every new host, then one per namespace for its inside.
            ip(batch="".join(self._root_side(number) for number in numbers))
            for number in numbers:
                added.append(self._start_host(number))
        except BaseException:
            for number in numbers[len(added) :]:  # half-built hosts nobody else knows about
                remove_namespace(*self._names(number))
            raise
        finally:
            self.hosts += added
        return added

    def _names(self, number: int) -> tuple[str, str]:
        """The namespace and its root-side link: vsst<PID>n<N> fits the 15 characters of an interface name."""
        return f"{self.token}n{number}", f"v{self.token}n{number}"

    def _root_side(self, number: int) -> str:
        namespace, veth = self._names(number)
        return (
            f"netns add {namespace}\n"
            f"link add {veth} type veth peer name eth0 netns {namespace}\n"
            f"link set {veth} master {self.bridge} up\n"
        )

    def _start_host(self, number: int) -> NamespaceHost:
        namespace, veth = self._names(number)
        address = f"{NETWORK}.{self.subnet}.{number + 1}"
        ip("-n", namespace, batch=f"addr add {address}/24 dev eth0\nlink set eth0 up\nlink set lo up\n")
        stack = contextlib.ExitStack()
        server = stack.enter_context(
            running_sshd(
                self.folder / namespace,
                host=address,
                port=22,  # each namespace has its own ports: the real default, known_hosts without brackets
                netns=namespace,
                authorized_keys=self.authorized_keys,
                **self.sshd_options,  # type: ignore[arg-type]
            )
        )
        return NamespaceHost(namespace, veth, address, server, stack)

    def close(self) -> None:
        """Stop every host, then the bridge. Safe to call twice."""
        for host in reversed(self.hosts):
            host.stop()
        self.hosts.clear()
        ip("link", "del", self.bridge, check=False)

"""Starting and stopping the Cisco IOS switch simulator: fake-switches in a subprocess on 127.0.0.1 (launcher.py),
one process serving one or more switches, each on its own port with its own RSA host key.

This side imports neither fake-switches nor Twisted: it only needs `cryptography` (for the host keys), so the tests
and the demo can ask `missing_reason()` and start the simulator from a process that never loads the simulator's
dependencies. The process is stopped by its PID; it has no children.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

START_TIMEOUT = 30.0  # importing Twisted and generating nothing: ~1 s here, more on a loaded 2-core machine
HOST = "127.0.0.1"

# What the simulator imports, and how each is installed: fake-switches' own pin of Twisted < 17 does not build on
# Python 3.11, so its dependencies are installed first and then it without them (see simulators/README.md).
_NEEDED = (
    ("fake_switches", "pip install --no-deps fake-switches==1.5.0"),
    ("twisted.conch", 'pip install "twisted[conch]" tftpy netaddr lxml'),
    ("tftpy", "pip install tftpy"),
    ("netaddr", "pip install netaddr"),
    ("lxml", "pip install lxml"),
)


def missing_reason() -> str:
    """Why the simulator cannot run here, or ""."""
    for module, install in _NEEDED:
        if importlib.util.find_spec(module.split(".")[0]) is None:
            return f"fake-switches cannot run: {module} is missing ({install}, see simulators/README.md)"
    return ""


@dataclass(frozen=True)
class SwitchSpec:
    """One switch to serve: its name (the prompt's), its login and enable secret, and the port to try first."""

    hostname: str
    username: str
    password: str = field(repr=False)
    enable_secret: str = field(repr=False)
    port: int = 0  # 0: a port the kernel picks


@dataclass(frozen=True)
class SimulatedSwitch:
    """One running switch. Its state (VLANs, ports, log) lasts as long as the process."""

    host: str
    port: int
    hostname: str
    username: str
    password: str = field(repr=False)
    enable_secret: str = field(repr=False)
    host_public_key: str  # "ssh-rsa AAAA..."
    known_hosts: Path  # an OpenSSH known_hosts file trusting exactly host_public_key for [host]:port
    folder: Path
    pid: int

    def known_hosts_line(self) -> str:
        return known_hosts_line(self.host, self.port, self.host_public_key)

    @property
    def fingerprint(self) -> str:
        """The host key's SHA-256 fingerprint as OpenSSH prints it: "SHA256:<base64 without padding>"."""
        return fingerprint(self.host_public_key)

    @property
    def log_path(self) -> Path:
        return self.folder / "simulator.log"

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def known_hosts_line(host: str, port: int, public_key: str) -> str:
    name = host if port == 22 else f"[{host}]:{port}"
    return f"{name} {public_key}"


def fingerprint(public_key: str) -> str:
    blob = base64.b64decode(public_key.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def generate_host_key(path: Path) -> str:
    """A new RSA host key (PEM, mode 0600) at `path`; returns its public half as "ssh-rsa AAAA..."."""
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _write_private_key(path, key)
    return public_key_of(path)


def public_key_of(path: Path) -> str:
    """The public half of the PEM private key at `path`, as "ssh-rsa AAAA..."."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def _write_private_key(path: Path, key: object) -> None:
    from cryptography.hazmat.primitives import serialization

    text = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    # Created 0600 before anything is written: the key is never readable by others, even for an instant.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(text)
    path.chmod(0o600)


class SwitchSimulator:
    """The simulator's process, serving `specs` with their files in `folder`. `start()` waits until every switch
    answers; `stop()` ends the process by its PID (idempotent).

    With `keep_host_keys`, a host key found in the folder is used again (the demo: a key the engineer accepted stays
    valid across starts); otherwise each start makes new ones (tests)."""

    def __init__(self, folder: Path, specs: Sequence[SwitchSpec], *, keep_host_keys: bool = False) -> None:
        self.folder = folder
        self.specs = list(specs)
        self.keep_host_keys = keep_host_keys
        self.switches: list[SimulatedSwitch] = []
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        return self._process.pid if self._process is not None else 0

    def start(self) -> list[SimulatedSwitch]:
        self.folder.mkdir(parents=True, exist_ok=True)
        public_keys, entries = [], []
        for spec in self.specs:
            host_key = self.folder / ("host_rsa" if len(self.specs) == 1 else f"host_rsa_{spec.hostname}")
            if self.keep_host_keys and host_key.exists():
                public_keys.append(public_key_of(host_key))
            else:
                host_key.unlink(missing_ok=True)
                public_keys.append(generate_host_key(host_key))
            entries.append(
                {
                    "hostname": spec.hostname,
                    "username": spec.username,
                    "password": spec.password,
                    "enable_secret": spec.enable_secret,
                    "host_key": str(host_key),
                    "port": spec.port,
                }
            )
        ready_file = self.folder / "port"
        ready_file.unlink(missing_ok=True)
        settings = self.folder / "simulator.json"
        descriptor = os.open(settings, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the passwords
        with os.fdopen(descriptor, "w") as file:
            json.dump({"switches": entries, "ready_file": str(ready_file)}, file)
        log_path = self.folder / "simulator.log"
        with log_path.open("ab") as log:  # the child keeps its own descriptor of the log
            self._process = subprocess.Popen(
                [sys.executable, "-m", "switch_simulator.launcher", str(settings)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.folder,
            )
        try:
            ports = self._wait_until_ready(ready_file, log_path)
        except BaseException:
            self.stop()
            raise
        self.switches = []
        for spec, port, public_key in zip(self.specs, ports, public_keys, strict=True):
            known_hosts = self.folder / ("known_hosts" if len(self.specs) == 1 else f"known_hosts_{spec.hostname}")
            known_hosts.write_text(known_hosts_line(HOST, port, public_key) + "\n")
            self.switches.append(
                SimulatedSwitch(
                    host=HOST,
                    port=port,
                    hostname=spec.hostname,
                    username=spec.username,
                    password=spec.password,
                    enable_secret=spec.enable_secret,
                    host_public_key=public_key,
                    known_hosts=known_hosts,
                    folder=self.folder,
                    pid=self.pid,
                )
            )
        return self.switches

    def _wait_until_ready(self, ready_file: Path, log_path: Path) -> list[int]:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"the simulator exited with {self._process.returncode}:\n{log_path.read_text()[-4000:]}"
                )
            if ready_file.exists():
                ports = [int(line) for line in ready_file.read_text().split()]
                if all(_answers_ssh(HOST, port) for port in ports):
                    return ports
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the simulator did not answer within {START_TIMEOUT} s:\n{log_path.read_text()[-4000:]}"
                )
            time.sleep(0.02)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it is still there after 2 s; the process is reaped (no zombie left)."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _answers_ssh(host: str, port: int) -> bool:
    """True once the server sends its SSH identification line."""
    try:
        with socket.create_connection((host, port), timeout=2) as connection:
            return connection.recv(64).startswith(b"SSH-")
    except OSError:
        return False


@contextlib.contextmanager
def running_switches(folder: Path, specs: Sequence[SwitchSpec]) -> Iterator[list[SimulatedSwitch]]:
    """One simulator process serving `specs`, with its files in `folder` (created), stopped by PID on exit."""
    simulator = SwitchSimulator(folder, specs)
    try:
        yield simulator.start()
    finally:
        simulator.stop()

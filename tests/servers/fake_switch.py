"""A simulated Cisco IOS switch for the cisco-ios plugin's tests: fake-switches (PyPI `fake-switches`, an SSH CLI
simulator built on Twisted) in a subprocess on 127.0.0.1, started by fake_switch_launcher.py beside this file, which
also lists what it adds to the simulator and why.

Each simulator gets its own RSA host key (made here) and the port the kernel gives it; the fixture waits until the
port is announced and the SSH banner answers, and stops the process by its PID at teardown. Tests get a FakeSwitch:
address, login, enable secret, the host key it presents and an OpenSSH known_hosts file trusting exactly that key.

Installing fake-switches on Python 3.11: its metadata pins Twisted < 17, which does not build there, so the modules
it imports are installed first and then the package without its dependencies:

    .venv/bin/pip install "twisted[conch]" tftpy netaddr lxml
    .venv/bin/pip install --no-deps fake-switches==1.5.0

The set checked on a fresh Python 3.11.7 venv: Twisted 26.10.0 (with Automat 25.4.16, constantly 23.10.4,
hyperlink 21.0.0, incremental 24.11.0, zope.interface 8.7; conch's cryptography 50.0.2, bcrypt 5.0.0, appdirs 1.4.4),
tftpy 0.8.7, netaddr 1.3.0, lxml 6.1.3, fake-switches 1.5.0. `pip check` then reports the unmet Twisted pin, which
is expected.

No root is needed. Where fake-switches is missing the tests are skipped, except in CI, where they fail. The root
conftest loads this file as a pytest plugin; every test using its fixtures is marked `fake_switch`.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.servers.sshd import terminate

LAUNCHER = Path(__file__).with_name("fake_switch_launcher.py")
HOSTNAME = "sw-lab-01"
USERNAME = "netadmin"
# Characters a shell or a URL would take for something else: code that pastes them anywhere unquoted breaks.
PASSWORD = "Sw1tch login $x'y!"
ENABLE_SECRET = "En4ble #secret&"
START_TIMEOUT = 30.0  # importing Twisted and generating nothing: ~1 s here, more on a loaded 2-core machine


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fake_switch: starts the fake-switches Cisco IOS simulator (no root needed)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Marked here rather than by hand: a mark written in the test module would be read before this plugin registers it.
    for item in items:
        if {"fake_switch", "fresh_fake_switch"} & set(getattr(item, "fixturenames", ())):
            item.add_marker("fake_switch")


@dataclass(frozen=True)
class FakeSwitch:
    """One running simulator. Its state (VLANs, ports, log) lasts as long as the process."""

    host: str
    port: int
    hostname: str
    username: str
    password: str
    enable_secret: str
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
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()


def missing_reason() -> str:
    """Why the simulator cannot run here, or ""."""
    for module, install in (
        ("fake_switches", "pip install --no-deps fake-switches==1.5.0"),
        ("twisted.conch", 'pip install "twisted[conch]" tftpy netaddr lxml'),
        ("tftpy", "pip install tftpy"),
        ("netaddr", "pip install netaddr"),
        ("lxml", "pip install lxml"),
    ):
        if importlib.util.find_spec(module.split(".")[0]) is None:
            return f"fake-switches cannot run: {module} is missing ({install}, see tests/servers/fake_switch.py)"
    return ""


def _answers_ssh(host: str, port: int) -> bool:
    """True once the server sends its SSH identification line."""
    try:
        with socket.create_connection((host, port), timeout=2) as connection:
            return connection.recv(64).startswith(b"SSH-")
    except OSError:
        return False


@contextlib.contextmanager
def running_fake_switch(folder: Path) -> Iterator[FakeSwitch]:
    """A simulator with its files in `folder` (created), stopped by PID on exit."""
    folder.mkdir(parents=True, exist_ok=True)
    host_key = folder / "host_rsa"
    public_key = generate_host_key(host_key)
    ready_file = folder / "port"
    settings = folder / "simulator.json"
    settings.touch(mode=0o600)
    settings.write_text(
        json.dumps(
            {
                "hostname": HOSTNAME,
                "username": USERNAME,
                "password": PASSWORD,
                "enable_secret": ENABLE_SECRET,
                "host_key": str(host_key),
                "ready_file": str(ready_file),
            }
        )
    )
    log = (folder / "simulator.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, str(LAUNCHER), str(settings)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    try:
        port = _wait_until_ready(process, ready_file, folder / "simulator.log")
        known_hosts = folder / "known_hosts"
        known_hosts.write_text(known_hosts_line("127.0.0.1", port, public_key) + "\n")
        yield FakeSwitch(
            host="127.0.0.1",
            port=port,
            hostname=HOSTNAME,
            username=USERNAME,
            password=PASSWORD,
            enable_secret=ENABLE_SECRET,
            host_public_key=public_key,
            known_hosts=known_hosts,
            folder=folder,
            pid=process.pid,
        )
    finally:
        terminate([process.pid])
        process.wait(timeout=10)
        log.close()


def _wait_until_ready(process: subprocess.Popen[bytes], ready_file: Path, log_path: Path) -> int:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"the simulator exited with {process.returncode}:\n{log_path.read_text()[-4000:]}")
        if ready_file.exists():
            port = int(ready_file.read_text())
            if _answers_ssh("127.0.0.1", port):
                return port
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the simulator did not answer within {START_TIMEOUT} s:\n{log_path.read_text()[-4000:]}"
            )
        time.sleep(0.02)


def _require_simulator() -> None:
    reason = missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture(scope="session")
def fake_switch() -> Iterator[FakeSwitch]:
    """The session's simulated switch. Stateful: a test that changes it uses VLANs and ports no other test uses."""
    _require_simulator()
    folder = Path(tempfile.mkdtemp(prefix="supportstation-fake-switch-"))
    try:
        with running_fake_switch(folder) as switch:
            yield switch
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def fresh_fake_switch(tmp_path: Path) -> Iterator[FakeSwitch]:
    """A simulator of the test's own, free to be stopped (kill its `pid`) or changed."""
    _require_simulator()
    with running_fake_switch(tmp_path / "fake-switch") as switch:
        yield switch

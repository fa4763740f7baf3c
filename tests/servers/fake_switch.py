"""A simulated Cisco IOS switch for the cisco-ios plugin's tests: the simulators distribution's `switch_simulator`
(fake-switches, an SSH CLI simulator built on Twisted, in a subprocess on 127.0.0.1; its launcher lists what it adds
to fake-switches and why). This module only gives the tests their fixtures over it.

Each simulator gets its own RSA host key (made for it) and the port the kernel gives it; the fixture waits until the
port is announced and the SSH banner answers, and stops the process by its PID at teardown. Tests get a FakeSwitch:
address, login, enable secret, the host key it presents and an OpenSSH known_hosts file trusting exactly that key.

Installing fake-switches on Python 3.11 (its metadata pins Twisted < 17, which does not build there): see
simulators/README.md, or `tools/bootstrap --test`, which does it. No root is needed. Where fake-switches is missing
the tests are skipped, except in CI, where they fail. The root conftest loads this file as a pytest plugin; every test
using its fixtures is marked `fake_switch`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from switch_simulator import SimulatedSwitch, SwitchSpec, running_switches
from switch_simulator.process import START_TIMEOUT, fingerprint, generate_host_key, known_hosts_line, missing_reason

__all__ = [
    "ENABLE_SECRET",
    "HOSTNAME",
    "PASSWORD",
    "START_TIMEOUT",
    "USERNAME",
    "FakeSwitch",
    "fingerprint",
    "generate_host_key",
    "known_hosts_line",
    "missing_reason",
    "running_fake_switch",
]

FakeSwitch = SimulatedSwitch  # the name the tests know it by
HOSTNAME = "sw-lab-01"
USERNAME = "netadmin"
# Characters a shell or a URL would take for something else: code that pastes them anywhere unquoted breaks.
PASSWORD = "Sw1tch login $x'y!"
ENABLE_SECRET = "En4ble #secret&"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fake_switch: starts the fake-switches Cisco IOS simulator (no root needed)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Marked here rather than by hand: a mark written in the test module would be read before this plugin registers it.
    for item in items:
        if {"fake_switch", "fresh_fake_switch"} & set(getattr(item, "fixturenames", ())):
            item.add_marker("fake_switch")


@contextlib.contextmanager
def running_fake_switch(folder: Path) -> Iterator[FakeSwitch]:
    """A simulator with its files in `folder` (created), stopped by PID on exit."""
    with running_switches(folder, [SwitchSpec(HOSTNAME, USERNAME, PASSWORD, ENABLE_SECRET)]) as (switch,):
        yield switch


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

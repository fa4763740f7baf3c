"""Devices reached through a plugin's transport, by the remote engine, against the real test sshd.

The transport here is a test plugin's, written like a vendor plugin would write one: it logs in with paramiko, checks
the host key strictly against the known_hosts file the engine gives it (RejectPolicy: any other key is refused), and
runs each command with exec_command. What is tested is the engine's side: the host key checked and asked about
before the plugin connects, the plugin given only the accepted key, output streamed and recorded like an SSH run's,
a plugin's DeviceError or bug turned into a failed run with its message, a refused login, cancel, and a transport
that no plugin provides.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import paramiko
import pytest

from supportstation.plugin_api import (
    DeviceConnectionLost,
    DeviceError,
    DeviceLoginRefused,
    DeviceTarget,
    Transport,
)
from supportstation.remote.host_keys import HostKeyDecision, HostKeyStore, OfferedKey, refuse_unknown
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.results import RunResult, RunState, Stream
from supportstation.remote.runs import Runner, RunRequest
from supportstation.remote.targets import Credentials, DeviceOptions, Target
from tests.servers.sshd import SshServer, SshUser

pytestmark = pytest.mark.asyncio
seen_targets: list[DeviceTarget] = []


class ShellSession:
    """A session of the test transport: one paramiko connection, one exec channel per command."""

    def __init__(self, target: DeviceTarget) -> None:
        seen_targets.append(target)
        assert target.known_hosts is not None, "the engine must give an SSH-based transport the accepted key"
        self.client = paramiko.SSHClient()
        self.client.load_host_keys(str(target.known_hosts))
        self.client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            self.client.connect(
                target.host,
                target.port,
                username=target.user,
                password=target.password,
                allow_agent=False,
                look_for_keys=False,
                timeout=target.timeout,
            )
        except paramiko.AuthenticationException:
            raise DeviceLoginRefused(f"the device refused the login of {target.user}") from None

    @property
    def active(self) -> bool:
        transport = self.client.get_transport()
        return transport is not None and transport.is_active()

    def run(self, command: str, output: Callable[[bytes], None], cancelled: threading.Event) -> int:
        if command.startswith("crash"):
            raise ZeroDivisionError("a bug in the plugin")
        if command.startswith("refuse"):
            raise DeviceError("% Invalid input detected at '^' marker.")
        if command.startswith("die"):
            self.client.close()
            raise DeviceConnectionLost("the device closed the session")
        _stdin, stdout, _stderr = self.client.exec_command(command)
        channel = stdout.channel
        while not channel.exit_status_ready() or channel.recv_ready():
            if cancelled.is_set():
                channel.close()
                return 130
            if channel.recv_ready():
                output(channel.recv(65536))
            else:
                cancelled.wait(0.05)
        return channel.recv_exit_status()

    def close(self) -> None:
        self.client.close()


TEST_TRANSPORT = Transport(
    name="test-shell",
    title="Test shell device",
    language="testsh",
    default_port=22,
    identity="ssh-host-key",
    connect=ShellSession,
)


def device_target(server: SshServer, user: SshUser, **changes: Any) -> Target:
    target = Target(
        host=server.host,
        port=server.port,
        user=user.name,
        device=DeviceOptions(transport="test-shell", language="testsh", options=(("enable", "no"),)),
    )
    return dataclasses.replace(target, **changes)


async def run_on_device(
    store: HostKeyStore,
    target: Target,
    command: str,
    *,
    password: str,
    prompt: Any = refuse_unknown,
    transports: dict[str, Transport] | None = None,
    cancel_after: float | None = None,
) -> RunResult:
    pool = ConnectionPool(
        store,
        prompt=prompt,
        credentials=lambda _target: Credentials(password=password),
        transports={"test-shell": TEST_TRANSPORT} if transports is None else transports,
    )
    try:
        handle = await Runner(pool).start(RunRequest(target, command), live=False)
        if cancel_after is not None:
            import asyncio

            await asyncio.sleep(cancel_after)
            handle.cancel()
        return await handle.wait()
    finally:
        await pool.close()


@pytest.fixture
def store(tmp_path: Path) -> HostKeyStore:
    return HostKeyStore(tmp_path / "known_hosts")


def accept(decision: HostKeyDecision, asked: list[OfferedKey]) -> Any:
    async def prompt(offered: OfferedKey) -> HostKeyDecision:
        asked.append(offered)
        return decision

    return prompt


async def test_an_unknown_key_is_asked_about_then_the_plugin_gets_only_that_key(
    sshd: SshServer, ssh_user: SshUser, store: HostKeyStore
) -> None:
    asked: list[OfferedKey] = []
    seen_targets.clear()
    result = await run_on_device(
        store,
        device_target(sshd, ssh_user),
        "echo hello from the device; echo err >&2; exit 3",
        password=ssh_user.password,
        prompt=accept(HostKeyDecision.ACCEPT_ALWAYS, asked),
    )
    assert [offered.key_base64 for offered in asked] == [sshd.host_public_key.split()[1]]
    assert result.state is RunState.FAILED and result.exit_code == 3
    assert b"hello from the device" in result.output.bytes_of(Stream.STDOUT)
    assert result.host_key_fingerprint == asked[0].fingerprint
    given = seen_targets[-1]
    assert given.options == {"enable": "no"} and given.user == ssh_user.name
    assert given.known_hosts is not None and not given.known_hosts.exists()  # removed when the connection closed
    # Accepted "always": the next connection asks nothing.
    again = await run_on_device(store, device_target(sshd, ssh_user), "true", password=ssh_user.password)
    assert again.state is RunState.SUCCEEDED


async def test_a_changed_key_is_refused_before_the_plugin_connects(
    sshd: SshServer, ssh_user: SshUser, tmp_path: Path
) -> None:
    known = tmp_path / "known_hosts"
    other = paramiko.Ed25519Key.from_private_key_file(str(ssh_user.key))  # any key but the server's
    known.write_text(f"[{sshd.host}]:{sshd.port} ssh-ed25519 {other.get_base64()}\n")
    seen_targets.clear()
    result = await run_on_device(HostKeyStore(known), device_target(sshd, ssh_user), "true", password="x")
    assert result.state is RunState.NOT_CONNECTED
    assert "changed" in result.error.lower() or "REMOTE HOST IDENTIFICATION" in result.error
    assert seen_targets == []


async def test_plugin_errors_bugs_and_lost_sessions_become_failed_runs(
    sshd: SshServer, ssh_user: SshUser, store: HostKeyStore
) -> None:
    prompt = accept(HostKeyDecision.ACCEPT_ONCE, [])
    refused = await run_on_device(
        store, device_target(sshd, ssh_user), "refuse", password=ssh_user.password, prompt=prompt
    )
    assert refused.state is RunState.FAILED and refused.exit_code == 1
    assert "% Invalid input" in refused.output.text(Stream.STDERR)
    crashed = await run_on_device(
        store, device_target(sshd, ssh_user), "crash", password=ssh_user.password, prompt=prompt
    )
    assert crashed.state is RunState.FAILED
    assert "test-shell transport failed: ZeroDivisionError: a bug in the plugin" in crashed.output.text(Stream.STDERR)
    lost = await run_on_device(store, device_target(sshd, ssh_user), "die", password=ssh_user.password, prompt=prompt)
    assert lost.state is RunState.CONNECTION_LOST and "closed the session" in lost.error


async def test_a_refused_login_and_a_missing_transport_are_said_clearly(
    sshd: SshServer, ssh_user: SshUser, store: HostKeyStore
) -> None:
    prompt = accept(HostKeyDecision.ACCEPT_ONCE, [])
    refused = await run_on_device(
        store, device_target(sshd, ssh_user), "true", password="wrong password", prompt=prompt
    )
    assert refused.state is RunState.NOT_CONNECTED
    assert "refused the login" in refused.error and "wrong password" not in refused.error
    missing = await run_on_device(
        store, device_target(sshd, ssh_user), "true", password=ssh_user.password, prompt=prompt, transports={}
    )
    assert missing.state is RunState.NOT_CONNECTED and "no enabled plugin provides" in missing.error


async def test_cancel_stops_a_device_command(sshd: SshServer, ssh_user: SshUser, store: HostKeyStore) -> None:
    result = await run_on_device(
        store,
        device_target(sshd, ssh_user),
        "echo started; sleep 30",
        password=ssh_user.password,
        prompt=accept(HostKeyDecision.ACCEPT_ONCE, []),
        cancel_after=1.0,
    )
    assert result.state is RunState.CANCELLED
    assert b"started" in result.output.bytes_of(Stream.STDOUT)

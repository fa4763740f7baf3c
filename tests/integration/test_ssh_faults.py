"""The SSH engine when things go wrong: a cut cable, a killed server session, bad names and ports, many hosts at once
with some failing, and an output far larger than memory should hold.

Cables are cut for real: each host is a network namespace whose link to the bridge is set down (tests/servers/netns.py).
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportstation.remote import output_store
from supportstation.remote.fanout import fan_out
from supportstation.remote.host_keys import HostKeyStore
from supportstation.remote.output_store import digest_update, output_digest, stored_output
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.recording import RecordingContext
from supportstation.remote.results import RunState, Stream
from supportstation.remote.runs import RunHandle, Runner, RunRequest
from supportstation.remote.ssh import ConnectOptions
from supportstation.remote.targets import AuthMethod, Credentials, Target
from supportstation.storage import connect
from supportstation.storage.database import Database
from supportstation.storage.run_models import RemoteRun, RunChunk
from tests.servers.netns import NamespaceHost
from tests.servers.postgres import free_port
from tests.servers.sshd import SshServer, SshUser

StoreFactory = Callable[..., HostKeyStore]
HostFactory = Callable[[int], list[NamespaceHost]]
# Probed every second while silent, declared dead after two more without an answer: a cut cable shows within ~3 s.
QUICK_DEATH = ConnectOptions(keepalive_interval=1, dead_after=2)


@pytest.fixture(autouse=True)
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


def key_target(host: str, port: int, user: SshUser) -> Target:
    return Target(host=host, port=port, user=user.name, auth=AuthMethod.KEY, identity_files=(user.key,))


def wait_reachable(address: str, timeout: float = 5.0) -> None:
    """Until a TCP connection to port 22 succeeds: a link set up again takes a moment to carry packets (ARP)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((address, 22), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


async def started_and_printing(runner: Runner, target: Target) -> RunHandle:
    """A 30 s command on `target`, returned once its first line has arrived: it is running for sure."""
    handle = await runner.start(RunRequest(target, "echo start; sleep 30; echo never"))
    first = await asyncio.wait_for(anext(aiter(handle)), 10)
    assert first.data == b"start\n", handle.result
    return handle


@pytest.mark.asyncio
async def test_a_cut_cable_is_noticed_while_the_command_is_silent(
    netns_hosts: HostFactory, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    [host] = netns_hosts(1)
    target = key_target(host.address, 22, ssh_user)
    pool = ConnectionPool(trusting_store(host.sshd), options=QUICK_DEATH)
    runner = Runner(pool)
    try:
        handle = await started_and_printing(runner, target)
        host.cut_link()
        cut_at = time.monotonic()
        result = await asyncio.wait_for(handle.wait(), 15)
        noticed_after = time.monotonic() - cut_at
        # Once the cable is back, the next run gets a new connection instead of the dead one.
        host.restore_link()
        await asyncio.to_thread(wait_reachable, host.address)
        again = await asyncio.wait_for(runner.run(RunRequest(target, "echo back")), 15)
    finally:
        await pool.close()
    assert result.state is RunState.CONNECTION_LOST and noticed_after < 5, (result, noticed_after)
    assert result.stdout == "start\n"
    assert result.error == f"The connection to {target.url} was lost: no answer for 2 s."
    assert result.exit_code is None
    assert (again.state, again.stdout) == (RunState.SUCCEEDED, "back\n"), again.error


@pytest.mark.asyncio
async def test_a_killed_server_session_ends_the_run_without_an_exit_status(
    netns_hosts: HostFactory, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    [host] = netns_hosts(1)
    target = key_target(host.address, 22, ssh_user)
    pool = ConnectionPool(trusting_store(host.sshd), options=QUICK_DEATH)
    try:
        handle = await started_and_printing(Runner(pool), target)
        killed_at = time.monotonic()
        await asyncio.to_thread(host.kill_sshd_sessions)
        result = await asyncio.wait_for(handle.wait(), 15)
        noticed_after = time.monotonic() - killed_at
    finally:
        await pool.close()
    assert result.state is RunState.CONNECTION_LOST and noticed_after < 3, (result, noticed_after)
    assert result.stdout == "start\n" and result.exit_code is None
    assert "The command ended without an exit status" in result.error, result.error


@pytest.mark.asyncio
async def test_a_name_that_does_not_resolve(ssh_user: SshUser, trusting_store: StoreFactory) -> None:
    pool = ConnectionPool(trusting_store())
    try:
        result = await Runner(pool).run(RunRequest(key_target("no-such-host.invalid", 22, ssh_user), "true"))
    finally:
        await pool.close()
    assert result.state is RunState.NOT_CONNECTED
    assert result.error.startswith("The host name no-such-host.invalid does not resolve"), result.error


@pytest.mark.asyncio
async def test_a_closed_port(ssh_user: SshUser, trusting_store: StoreFactory) -> None:
    port = free_port()
    pool = ConnectionPool(trusting_store())
    try:
        result = await Runner(pool).run(RunRequest(key_target("127.0.0.1", port, ssh_user), "true"))
    finally:
        await pool.close()
    assert result.state is RunState.NOT_CONNECTED
    assert result.error == f"127.0.0.1:{port} refused the connection: no SSH server listens on that port."


@pytest.mark.asyncio
async def test_fan_out_to_twenty_targets_three_of_which_fail(
    netns_hosts: HostFactory, sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    hosts = netns_hosts(17)
    closed = key_target("127.0.0.1", free_port(), ssh_user)
    unresolvable = key_target("no-such-host.invalid", 22, ssh_user)
    wrong_password = Target(host=sshd.host, port=sshd.port, user=ssh_user.name, auth=AuthMethod.PASSWORD)
    good = [key_target(host.address, 22, ssh_user) for host in hosts]
    # The failures among the others, not at the end: the order of the answers must be the order given.
    targets = [*good[:5], closed, *good[5:11], unresolvable, *good[11:], wrong_password]
    requests = [RunRequest(target, "sleep 1; hostname -I") for target in targets]

    def credentials(target: Target) -> Credentials:
        return Credentials(password="wrong password") if target.auth is AuthMethod.PASSWORD else Credentials()

    running = peak = 0

    async def watch(handle: RunHandle) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            await handle.wait()
        finally:
            running -= 1

    pool = ConnectionPool(trusting_store(sshd, *(host.sshd for host in hosts)), credentials=credentials)
    started = time.monotonic()
    try:
        results = await fan_out(Runner(pool), requests, limit=10, watch=watch)
    finally:
        await pool.close()
    elapsed = time.monotonic() - started

    assert list(results) == targets
    states = [results[target].state for target in targets]
    assert states.count(RunState.SUCCEEDED) == 17 and states.count(RunState.NOT_CONNECTED) == 3, states
    for host, target in zip(hosts, good, strict=True):
        assert host.address in results[target].stdout.split(), results[target]
    assert "refused the connection" in results[closed].error
    assert "does not resolve" in results[unresolvable].error
    assert f"{ssh_user.name}@{sshd.host} refused the login (password: refused" in results[wrong_password].error
    assert 1 < peak <= 10
    # 17 one-second commands, ten at a time: two rounds, not seventeen.
    assert elapsed < 8, elapsed


# --- a very large output ----------------------------------------------------------------------------------------

HUNDRED_MB = 100_000_000


def memory_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    database = connect(f"sqlite:///{tmp_path / 'runs.sqlite3'}", backups=tmp_path / "backups", create_missing=True)
    yield database
    database.close()


@pytest.mark.asyncio
async def test_a_hundred_megabytes_are_stored_whole_without_being_held_in_memory(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory, sqlite_database: Database, tmp_path: Path
) -> None:
    context = RecordingContext(sqlite_database, tmp_path / "outputs", actor="ada@example.fr")
    pool = ConnectionPool(trusting_store(sshd))
    runner = Runner(pool, recorder=context.recorder)
    request = RunRequest(key_target(sshd.host, sshd.port, ssh_user), f"head -c {HUNDRED_MB} /dev/zero | tr '\\0' x")
    await pool.connection(request.target)  # the connection's own cost is not what is measured
    # Writing 5 to clear_refs resets the peak (VmHWM) to the current size, so the peak below is this run's.
    Path("/proc/self/clear_refs").write_text("5")
    before = memory_kib("VmRSS")
    started = time.monotonic()
    try:
        result = await runner.run(request)
    finally:
        await pool.close()
    elapsed = time.monotonic() - started
    growth_mib = (memory_kib("VmHWM") - before) / 1024

    assert result.state is RunState.SUCCEEDED, result.error
    assert result.output.truncated and result.output.total_bytes == HUNDRED_MB
    assert result.output.sizes[Stream.STDOUT] == HUNDRED_MB
    assert growth_mib < 64, f"the peak memory grew by {growth_mib:.0f} MiB"
    assert elapsed < 15, elapsed

    assert result.run_id is not None
    total = 0
    framed, plain = output_digest(), hashlib.sha256()
    for chunk in stored_output(sqlite_database, result.run_id, context.outputs_folder):
        total += len(chunk.data)
        digest_update(framed, chunk.stream, chunk.data)
        plain.update(chunk.data)
        assert chunk.stream is Stream.STDOUT
    assert total == HUNDRED_MB
    expected, block = hashlib.sha256(), b"x" * 1_000_000
    for _ in range(HUNDRED_MB // len(block)):
        expected.update(block)
    assert plain.hexdigest() == expected.hexdigest()
    with sqlite_database.session() as session:
        run = session.get(RemoteRun, result.run_id)
        assert run is not None
        assert (run.state, run.exit_code, run.stdout_bytes, run.stderr_bytes) == ("succeeded", 0, HUNDRED_MB, 0)
        assert run.output_sha256 == framed.hexdigest()
        assert run.spill_file and (context.outputs_folder / run.spill_file).is_file()
        in_database = session.scalar(select(func.sum(func.length(RunChunk.data))).where(RunChunk.run_id == run.id))
        # The database holds the first 4 MiB (DATABASE_LIMIT); the rest went to the spill file.
        assert 0 < in_database <= output_store.DATABASE_LIMIT

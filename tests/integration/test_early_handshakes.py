"""Key exchanges started before the vault opens (remote.handshakes), against the test sshd: the connection that the
pool makes is the one already started (one TCP connection, then the login), the host key is still checked when it is
taken, an unreachable host gives the same error as a plain connect, and handshakes never taken, or a connect cancelled
half-way, leave no connection open."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from supportstation.remote.handshakes import EarlyHandshakes
from supportstation.remote.host_keys import HostKeyStore
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.results import ConnectError, UnknownHostKey
from supportstation.remote.runs import Runner, RunRequest
from supportstation.remote.ssh import ConnectOptions
from supportstation.remote.targets import AuthMethod, Target
from tests.servers.sshd import SshServer, SshUser


@pytest.fixture(autouse=True)
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


def key_target(server: SshServer, user: SshUser) -> Target:
    return Target(host=server.host, port=server.port, user=user.name, auth=AuthMethod.KEY, identity_files=(user.key,))


def connections_from_clients(server: SshServer) -> int:
    return server.log_text().count("Connection from ")


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.mark.asyncio
async def test_the_pool_logs_in_on_the_handshake_started_early(
    sshd: SshServer, ssh_user: SshUser, trusting_store: Callable[..., HostKeyStore]
) -> None:
    store = trusting_store(sshd)
    target = key_target(sshd, ssh_user)
    before = connections_from_clients(sshd)
    early = EarlyHandshakes(store, ConnectOptions())
    early.start([target, target])  # once per host
    pool = ConnectionPool(store, handshakes=early)
    try:
        result = await Runner(pool).run(RunRequest(target, "echo hello"))
        assert (result.stdout, result.exit_code) == ("hello\n", 0)
        assert early.take(target) is None  # taken by the pool
    finally:
        await pool.close()
        early.close()
    assert connections_from_clients(sshd) == before + 1  # the early connection, logged in: no second one


@pytest.mark.asyncio
async def test_an_early_handshake_still_has_its_host_key_checked_when_taken(
    sshd: SshServer, ssh_user: SshUser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    store = HostKeyStore(tmp_path / "known_hosts")  # the test sshd's key is unknown here
    target = key_target(sshd, ssh_user)
    logins = sshd.log_text().count("Accepted publickey")
    early = EarlyHandshakes(store, ConnectOptions())
    early.start([target])
    pool = ConnectionPool(store, handshakes=early)  # refuses unknown keys
    try:
        with pytest.raises(UnknownHostKey):
            await pool.connection(target)
    finally:
        await pool.close()
        early.close()
    assert sshd.log_text().count("Accepted publickey") == logins


@pytest.mark.asyncio
async def test_an_unreachable_host_says_the_same_started_early_or_not(
    trusting_store: Callable[..., HostKeyStore], sshd: SshServer
) -> None:
    store = trusting_store(sshd)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    target = Target(host="127.0.0.1", port=port, user="nobody")
    messages = []
    for handshakes in (None, EarlyHandshakes(store, ConnectOptions())):
        if handshakes is not None:
            handshakes.start([target])
        pool = ConnectionPool(store, handshakes=handshakes)
        with pytest.raises(ConnectError) as raised:
            await pool.connection(target)
        messages.append(str(raised.value))
        await pool.close()
    assert messages[0] == messages[1] and "refused the connection" in messages[0]


@pytest.fixture
def silent_server() -> Iterator[tuple[int, list[socket.socket], threading.Event]]:
    """Accepts TCP connections and never says a word: a handshake with it hangs until the client gives up."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1], accepted, stop
    stop.set()
    thread.join(5)
    listener.close()
    for connection in accepted:
        connection.close()


def closed_by_client(connection: socket.socket) -> bool:
    connection.settimeout(0.05)
    try:
        return connection.recv(4096) == b""  # EOF: the client closed it
    except TimeoutError:
        return False
    except OSError:
        return True


def test_handshakes_never_taken_are_closed(silent_server, trusting_store, sshd) -> None:  # type: ignore[no-untyped-def]
    port, accepted, _stop = silent_server
    early = EarlyHandshakes(trusting_store(sshd), ConnectOptions(connect_timeout=30))
    early.start([Target(host="127.0.0.1", port=port, user="nobody")])
    assert wait_until(lambda: len(accepted) == 1)
    early.close()  # the vault refused, say: the handshake under way is dropped
    assert wait_until(lambda: closed_by_client(accepted[0]))


@pytest.mark.asyncio
async def test_a_connect_cancelled_half_way_leaves_no_connection(silent_server, trusting_store, sshd) -> None:  # type: ignore[no-untyped-def]
    port, accepted, _stop = silent_server
    pool = ConnectionPool(trusting_store(sshd), options=ConnectOptions(connect_timeout=30))
    connecting = asyncio.ensure_future(pool.connection(Target(host="127.0.0.1", port=port, user="nobody")))
    while not accepted:
        await asyncio.sleep(0.02)
    connecting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await connecting
    assert await asyncio.to_thread(wait_until, lambda: closed_by_client(accepted[0]))
    await pool.close()

"""The SSH engine (supportstation.remote) against real OpenSSH servers: logins, host keys, runs, sudo.

Every pool trusts only the host keys a test gives it (never AutoAddPolicy), and SSH_AUTH_SOCK is removed unless a
test sets it, so no key of the machine's user can log in by accident and make a test pass for the wrong reason.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from supportstation.remote.host_keys import (
    HostKeyDecision,
    HostKeyPrompt,
    HostKeyStore,
    OfferedKey,
    accept_new,
    refuse_unknown,
)
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.results import RunResult, RunState, Stream, UnknownHostKey
from supportstation.remote.runs import SUDO_PROMPT, Runner, RunRequest
from supportstation.remote.targets import AuthMethod, Credentials, Target
from tests.servers import sshd as servers
from tests.servers.sshd import SshServer, SshUser

StoreFactory = Callable[..., HostKeyStore]


@pytest.fixture(autouse=True)
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


def key_target(server: SshServer, user: SshUser, **changes: Any) -> Target:
    target = Target(host=server.host, port=server.port, user=user.name, auth=AuthMethod.KEY, identity_files=(user.key,))
    return dataclasses.replace(target, **changes)


async def run_once(
    store: HostKeyStore,
    request: RunRequest,
    credentials: Credentials | None = None,
    *,
    prompt: HostKeyPrompt = refuse_unknown,
) -> RunResult:
    """One run on a pool of its own, closed afterwards."""
    given = credentials or Credentials()
    pool = ConnectionPool(store, prompt=prompt, credentials=lambda _target: given)
    try:
        return await Runner(pool).run(request)
    finally:
        await pool.close()


def keygen_fingerprint(public_key: Path) -> str:
    """The fingerprint as OpenSSH prints it: `256 SHA256:... comment (ED25519)`."""
    listed = subprocess.run(["ssh-keygen", "-lf", str(public_key)], check=True, capture_output=True, text=True)
    return listed.stdout.split()[1]


def host_key_pub(server: SshServer) -> Path:
    return server.host_key_path.with_name(server.host_key_path.name + ".pub")


def sleeping(server: SshServer, command_line: bytes) -> list[int]:
    """Processes below `server` whose command line is exactly `command_line` (NUL-separated, as in /proc)."""
    found = []
    for pid in server.session_pids():
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes() == command_line:
                found.append(pid)
        except OSError:
            continue
    return found


# --- runs ------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_exit_codes_and_both_streams(sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory) -> None:
    store = trusting_store(sshd)
    target = key_target(sshd, ssh_user)
    failed = await run_once(store, RunRequest(target, "echo out; echo err >&2; exit 3"))
    assert (failed.state, failed.exit_code, failed.stdout, failed.stderr) == (RunState.FAILED, 3, "out\n", "err\n")
    assert failed.describe() == f"{target.url}: exit code 3"
    assert failed.host_key_fingerprint == keygen_fingerprint(host_key_pub(sshd))
    done = await run_once(store, RunRequest(target, "id -un"))
    assert (done.state, done.exit_code, done.stdout, done.error) == (RunState.SUCCEEDED, 0, "sstest\n", "")
    assert done.ok and done.duration is not None and done.duration >= 0


@pytest.mark.asyncio
async def test_a_command_reading_its_input_gets_the_input_given_or_its_end(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    store = trusting_store(sshd)
    target = key_target(sshd, ssh_user)
    # From the remote panel a command gets no input: `cat` or a prompt ends instead of waiting for the timeout.
    nothing = await run_once(store, RunRequest(target, "cat; read answer || echo no answer", timeout=20))
    assert (nothing.state, nothing.stdout) == (RunState.SUCCEEDED, "no answer\n")
    given = await run_once(store, RunRequest(target, "tr a-z A-Z", timeout=20, input=b"oui\n" * 50_000))
    assert (given.state, given.stdout) == (RunState.SUCCEEDED, "OUI\n" * 50_000)


@pytest.mark.asyncio
async def test_output_arrives_while_the_command_runs(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    pool = ConnectionPool(trusting_store(sshd))
    try:
        handle = await Runner(pool).start(
            RunRequest(key_target(sshd, ssh_user), "for i in 1 2 3; do echo line$i; sleep 0.3; done")
        )
        seen = [(chunk, handle.result.state) async for chunk in handle]
        result = await handle.wait()
    finally:
        await pool.close()
    assert result.state is RunState.SUCCEEDED
    assert b"".join(chunk.data for chunk, _state in seen) == b"line1\nline2\nline3\n"
    assert len(seen) >= 3
    offsets = [chunk.offset for chunk, _state in seen]
    assert offsets == sorted(offsets) and offsets[-1] - offsets[0] >= 0.5, offsets
    # The first line was handed over while the command still ran, not collected at its end.
    assert seen[0][1] is RunState.RUNNING


@pytest.mark.asyncio
async def test_binary_output_is_kept_byte_for_byte(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory, ssh_folder: Path
) -> None:
    store = trusting_store(sshd)
    target = key_target(sshd, ssh_user)
    raw = await run_once(store, RunRequest(target, r"printf '\377\376\000end'"))
    assert raw.output.bytes_of(Stream.STDOUT) == b"\xff\xfe\x00end"
    assert raw.stdout == "\ufffd\ufffd\x00end"  # shown with replacement characters, stored as received

    # In ssh_folder: sstest cannot enter pytest's 0700 tmp folders.
    with tempfile.NamedTemporaryFile(dir=ssh_folder, suffix=".bin", delete=False) as file:
        data = os.urandom(1_200_000)
        file.write(data)
    try:
        Path(file.name).chmod(0o644)
        big = await run_once(store, RunRequest(target, f"head -c 1000000 {file.name}"))
    finally:
        os.unlink(file.name)
    assert big.state is RunState.SUCCEEDED and not big.output.truncated
    assert big.output.total_bytes == 1_000_000
    received = hashlib.sha256(big.output.bytes_of(Stream.STDOUT)).hexdigest()
    assert received == hashlib.sha256(data[:1_000_000]).hexdigest()


@pytest.mark.asyncio
async def test_cancel_stops_the_whole_command_and_keeps_the_partial_output(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    pool = ConnectionPool(trusting_store(sshd))
    try:
        handle = await Runner(pool).start(RunRequest(key_target(sshd, ssh_user), "echo start; sleep 30; echo never"))
        first = await anext(aiter(handle))
        assert first.data == b"start\n"
        # The check below must be able to fail: the sleep is there before the cancel (the shell forks it just
        # after the echo, so it may take a moment to show).
        deadline = time.monotonic() + 3
        while not sleeping(sshd, b"sleep\x0030\x00"):
            assert time.monotonic() < deadline, "the remote sleep never started"
            await asyncio.sleep(0.02)
        cancelled_at = time.monotonic()
        handle.cancel()
        result = await asyncio.wait_for(handle.wait(), 10)
        elapsed = time.monotonic() - cancelled_at
    finally:
        await pool.close()
    assert result.state is RunState.CANCELLED and elapsed < 3, (result, elapsed)
    assert result.stdout == "start\n" and "never" not in result.stdout
    assert result.error == "Cancelled by the engineer."
    # The sleep itself was stopped, not only the shell above it (OpenSSH signals the session's shell only).
    assert sleeping(sshd, b"sleep\x0030\x00") == []


@pytest.mark.asyncio
async def test_a_timeout_stops_the_command(sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory) -> None:
    started = time.monotonic()
    result = await run_once(trusting_store(sshd), RunRequest(key_target(sshd, ssh_user), "sleep 17", timeout=1))
    assert result.state is RunState.TIMED_OUT and time.monotonic() - started < 4
    assert result.error == "No end after 1 s: stopped."
    assert sleeping(sshd, b"sleep\x0017\x00") == []


@pytest.mark.asyncio
async def test_a_terminal_only_when_asked(sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory) -> None:
    store = trusting_store(sshd)
    with_pty = await run_once(store, RunRequest(key_target(sshd, ssh_user), "tty", pty=True))
    assert with_pty.state is RunState.SUCCEEDED and with_pty.stdout.startswith("/dev/pts/"), with_pty.stdout
    without = await run_once(store, RunRequest(key_target(sshd, ssh_user), "tty"))
    assert (without.state, without.exit_code, without.stdout) == (RunState.FAILED, 1, "not a tty\n")


@pytest.mark.asyncio
async def test_runs_on_one_target_share_one_connection(
    fresh_sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    target = key_target(fresh_sshd, ssh_user)
    pool = ConnectionPool(trusting_store(fresh_sshd))
    runner = Runner(pool)
    try:
        # Ten at once on a pool with no connection yet: the first connects, the nine others wait for it.
        together = await asyncio.gather(*(runner.run(RunRequest(target, f"echo {n}")) for n in range(10)))
        first = await pool.connection(target)
        later = await runner.run(RunRequest(target, "echo later"))
        assert await pool.connection(target) is first
    finally:
        await pool.close()
    assert [(r.state, r.stdout) for r in together] == [(RunState.SUCCEEDED, f"{n}\n") for n in range(10)], [
        r.error for r in together if r.error
    ]
    assert later.ok
    fresh_sshd.wait_for_log("Accepted publickey")
    assert fresh_sshd.log_text().count("Accepted publickey") == 1


@pytest.mark.asyncio
async def test_a_command_that_ended_can_still_be_told_to_stop_without_losing_the_connection(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    # A cancel or a timeout, or the end of input, can come just after the command ended and its channel closed.
    # OpenSSH drops the whole connection for a message about a channel it freed, with every command on it.
    target = key_target(sshd, ssh_user)
    pool = ConnectionPool(trusting_store(sshd))
    try:
        connection = await pool.connection(target)
        process = connection.start("true")
        while process.read(1.0) is not None:
            pass
        process.close()
        process.close_input()
        process.terminate("TERM")
        process.terminate("KILL")
        after = await Runner(pool).run(RunRequest(target, "echo still here"))
        assert (after.state, after.stdout) == (RunState.SUCCEEDED, "still here\n"), after.error
        assert await pool.connection(target) is connection
    finally:
        await pool.close()


@pytest.mark.asyncio
async def test_a_server_refusing_more_sessions_fails_the_extra_runs_only(
    ssh_folder: Path, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    # OpenSSH allows 10 sessions per connection by default; 3 here so that 5 runs at once go past it.
    folder = Path(tempfile.mkdtemp(prefix="maxsessions-", dir=ssh_folder))
    with servers.running_sshd(folder, authorized_keys=ssh_user.authorized_keys, extra_config="MaxSessions 3") as server:
        target = key_target(server, ssh_user)
        pool = ConnectionPool(trusting_store(server))
        runner = Runner(pool)
        try:
            together = await asyncio.gather(*(runner.run(RunRequest(target, f"sleep 1; echo {n}")) for n in range(5)))
            connection = await pool.connection(target)
            after = await runner.run(RunRequest(target, "echo after"))
            assert await pool.connection(target) is connection
        finally:
            await pool.close()
    states = sorted(result.state for result in together)
    # The refused ones must not take the connection, and the three commands running on it, down with them.
    assert states == [RunState.NOT_CONNECTED] * 2 + [RunState.SUCCEEDED] * 3, [r.describe() for r in together]
    assert all("cannot start the command" in r.error for r in together if not r.ok)
    assert after.ok
    assert server.log_text().count("Accepted publickey") == 1


# --- logins ----------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_password_login(sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory) -> None:
    target = Target(host=sshd.host, port=sshd.port, user=ssh_user.name, auth=AuthMethod.PASSWORD)
    result = await run_once(trusting_store(sshd), RunRequest(target, "id -un"), Credentials(password=ssh_user.password))
    assert (result.state, result.stdout) == (RunState.SUCCEEDED, "sstest\n"), result.error


@pytest.mark.asyncio
async def test_a_wrong_password_is_refused_without_showing_it(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    wrong = "Wr0ng-but-s3cret!"
    target = Target(host=sshd.host, port=sshd.port, user=ssh_user.name, auth=AuthMethod.PASSWORD)
    result = await run_once(trusting_store(sshd), RunRequest(target, "true"), Credentials(password=wrong))
    assert result.state is RunState.NOT_CONNECTED and result.exit_code is None
    assert f"{ssh_user.name}@{sshd.host} refused the login" in result.error
    assert "password: refused" in result.error
    assert wrong not in result.error and wrong not in result.describe()


@pytest.mark.asyncio
async def test_an_encrypted_key_needs_the_right_passphrase(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    store = trusting_store(sshd)
    request = RunRequest(key_target(sshd, ssh_user, identity_files=(ssh_user.encrypted_key,)), "echo unlocked")
    unlocked = await run_once(store, request, Credentials(passphrase=ssh_user.passphrase))
    assert (unlocked.state, unlocked.stdout) == (RunState.SUCCEEDED, "unlocked\n"), unlocked.error

    missing = await run_once(store, request)
    assert missing.state is RunState.NOT_CONNECTED
    assert f"key {ssh_user.encrypted_key}: needs its passphrase" in missing.error

    wrong_passphrase = "not the passphrase"
    wrong = await run_once(store, request, Credentials(passphrase=wrong_passphrase))
    assert wrong.state is RunState.NOT_CONNECTED
    assert f"key {ssh_user.encrypted_key}: wrong passphrase" in wrong.error
    assert wrong_passphrase not in wrong.error


@pytest.mark.asyncio
async def test_a_passphrase_for_other_keys_does_not_stop_an_unencrypted_one(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    # The engineer's passphrase is given for every key tried; the first key here has none.
    request = RunRequest(key_target(sshd, ssh_user, identity_files=(ssh_user.key, ssh_user.encrypted_key)), "true")
    result = await run_once(trusting_store(sshd), request, Credentials(passphrase=ssh_user.passphrase))
    assert result.ok, result.error


@pytest.mark.asyncio
async def test_agent_login(
    sshd: SshServer,
    ssh_user: SshUser,
    ssh_agent: Path,
    trusting_store: StoreFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = trusting_store(sshd)
    # No key file: only the agent holds the key.
    request = RunRequest(key_target(sshd, ssh_user, auth=AuthMethod.AGENT, identity_files=()), "id -un")
    without_agent = await run_once(store, request)
    assert without_agent.state is RunState.NOT_CONNECTED
    monkeypatch.setenv("SSH_AUTH_SOCK", str(ssh_agent))
    result = await run_once(store, request)
    assert (result.state, result.stdout) == (RunState.SUCCEEDED, "sstest\n"), result.error


@pytest.mark.asyncio
async def test_keyboard_interactive_through_pam(
    sshd_pam: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    target = Target(host=sshd_pam.host, port=sshd_pam.port, user=ssh_user.name, auth=AuthMethod.KEYBOARD_INTERACTIVE)
    result = await run_once(
        trusting_store(sshd_pam), RunRequest(target, "id -un"), Credentials(password=ssh_user.password)
    )
    assert (result.state, result.stdout) == (RunState.SUCCEEDED, "sstest\n"), result.error
    assert "Accepted keyboard-interactive/pam for sstest" in sshd_pam.wait_for_log("Accepted keyboard-interactive")


@pytest.mark.asyncio
@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "with-passphrase"])
async def test_a_key_kept_in_the_vault_as_text(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory, encrypted: bool
) -> None:
    key_file = ssh_user.encrypted_key if encrypted else ssh_user.key
    credentials = Credentials(private_key=key_file.read_text(), passphrase=ssh_user.passphrase if encrypted else None)
    # No identity file at all: the vault's text is the only key there is.
    request = RunRequest(key_target(sshd, ssh_user, identity_files=()), "id -un")
    result = await run_once(trusting_store(sshd), request, credentials)
    assert (result.state, result.stdout) == (RunState.SUCCEEDED, "sstest\n"), result.error


@pytest.mark.asyncio
async def test_through_a_jump_host(
    sshd: SshServer, jump_sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    target = key_target(sshd, ssh_user, jump=(key_target(jump_sshd, ssh_user),))
    pool = ConnectionPool(trusting_store(sshd, jump_sshd))
    try:
        result = await Runner(pool).run(RunRequest(target, "echo through the bastion"))
        connection = await pool.connection(target)
    finally:
        await pool.close()
    assert (result.state, result.stdout) == (RunState.SUCCEEDED, "through the bastion\n"), result.error
    assert connection.via is not None and connection.via.target.port == jump_sshd.port
    # The bastion's own log proves the path: it opened the forward to the target's port.
    line = jump_sshd.wait_for_log(f"target {sshd.host} port {sshd.port}")
    assert "server_request_direct_tcpip" in line


# --- host keys -------------------------------------------------------------------------------------------------


class Prompt:
    """A host key prompt that answers `decision` and remembers what it was shown."""

    def __init__(self, decision: HostKeyDecision) -> None:
        self.decision = decision
        self.offered: list[OfferedKey] = []

    async def __call__(self, offered: OfferedKey) -> HostKeyDecision:
        self.offered.append(offered)
        return self.decision


@pytest.mark.asyncio
async def test_an_unknown_host_key_is_refused_by_default(
    fresh_sshd: SshServer, ssh_user: SshUser, tmp_path: Path
) -> None:
    store = HostKeyStore(tmp_path / "known_hosts")
    result = await run_once(store, RunRequest(key_target(fresh_sshd, ssh_user), "true"))
    fingerprint = keygen_fingerprint(host_key_pub(fresh_sshd))
    assert result.state is RunState.NOT_CONNECTED
    assert result.error == (
        f"The host key of [127.0.0.1]:{fresh_sshd.port} is not known (ssh-ed25519 {fingerprint}) and was not accepted."
    )
    assert not store.app_file.exists()
    # The pool says it with its own error type, for callers that connect without running.
    pool = ConnectionPool(store)
    try:
        with pytest.raises(UnknownHostKey, match=fingerprint.replace("+", r"\+")):
            await pool.connection(key_target(fresh_sshd, ssh_user))
    finally:
        await pool.close()
    # Refused before the login: the server never saw a key offered.
    assert "Accepted" not in fresh_sshd.log_text()


@pytest.mark.asyncio
async def test_the_prompt_sees_the_key_and_accept_always_writes_one_openssh_line(
    fresh_sshd: SshServer, ssh_user: SshUser, tmp_path: Path
) -> None:
    store = HostKeyStore(tmp_path / "known_hosts")
    prompt = Prompt(HostKeyDecision.ACCEPT_ALWAYS)
    result = await run_once(store, RunRequest(key_target(fresh_sshd, ssh_user), "true"), prompt=prompt)
    assert result.ok, result.error
    [offered] = prompt.offered
    assert (offered.host, offered.port, offered.key_type) == (fresh_sshd.host, fresh_sshd.port, "ssh-ed25519")
    assert offered.fingerprint == keygen_fingerprint(host_key_pub(fresh_sshd)) == result.host_key_fingerprint
    assert store.app_file.read_text() == fresh_sshd.known_hosts_line() + "\n"
    found = subprocess.run(
        ["ssh-keygen", "-F", f"[127.0.0.1]:{fresh_sshd.port}", "-f", str(store.app_file)],
        capture_output=True,
        text=True,
    )
    assert found.returncode == 0 and fresh_sshd.host_public_key in found.stdout
    # Known from now on: a later connection needs no prompt.
    refusing = Prompt(HostKeyDecision.REFUSE)
    again = await run_once(store, RunRequest(key_target(fresh_sshd, ssh_user), "true"), prompt=refusing)
    assert again.ok and refusing.offered == []


@pytest.mark.asyncio
async def test_accept_once_trusts_this_connection_only(
    fresh_sshd: SshServer, ssh_user: SshUser, tmp_path: Path
) -> None:
    store = HostKeyStore(tmp_path / "known_hosts")
    request = RunRequest(key_target(fresh_sshd, ssh_user), "true")
    once = await run_once(store, request, prompt=Prompt(HostKeyDecision.ACCEPT_ONCE))
    assert once.ok, once.error
    assert not store.app_file.exists()
    refusing = Prompt(HostKeyDecision.REFUSE)
    later = await run_once(store, request, prompt=refusing)
    assert later.state is RunState.NOT_CONNECTED and len(refusing.offered) == 1


@pytest.mark.asyncio
@pytest.mark.parametrize("hashed", [False, True], ids=["plain", "hashed"])
async def test_the_users_known_hosts_is_read_and_never_written(
    sshd: SshServer, fresh_sshd: SshServer, ssh_user: SshUser, tmp_path: Path, hashed: bool
) -> None:
    user_file = tmp_path / "user_known_hosts"
    user_file.write_text(f"# the engineer's own file\n{sshd.known_hosts_line()}\n")
    if hashed:  # Debian's ssh writes known_hosts with HashKnownHosts yes: names only as HMACs
        subprocess.run(["ssh-keygen", "-H", "-f", str(user_file)], check=True, capture_output=True)
        assert f"{sshd.port}" not in user_file.read_text()
    os.utime(user_file, (1_000_000_000, 1_000_000_000))
    before = (user_file.read_bytes(), user_file.stat().st_mtime_ns)
    store = HostKeyStore(tmp_path / "app_known_hosts", user_file)

    never = Prompt(HostKeyDecision.REFUSE)
    known = await run_once(store, RunRequest(key_target(sshd, ssh_user), "true"), prompt=never)
    assert known.ok and never.offered == [], known.error
    # A new key accepted for good goes to the app's file, not the user's.
    learned = await run_once(store, RunRequest(key_target(fresh_sshd, ssh_user), "true"), prompt=accept_new)
    assert learned.ok, learned.error
    assert store.app_file.read_text() == fresh_sshd.known_hosts_line() + "\n"
    assert (user_file.read_bytes(), user_file.stat().st_mtime_ns) == before


@pytest.mark.asyncio
async def test_a_changed_host_key_is_refused_without_asking(
    fresh_sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory
) -> None:
    store = trusting_store(fresh_sshd)
    request = RunRequest(key_target(fresh_sshd, ssh_user), "true")
    assert (await run_once(store, request)).ok
    stored = keygen_fingerprint(host_key_pub(fresh_sshd))
    fresh_sshd.restart(new_host_key=True)
    offered = keygen_fingerprint(host_key_pub(fresh_sshd))
    assert offered != stored

    prompt = Prompt(HostKeyDecision.ACCEPT_ALWAYS)
    result = await run_once(store, request, prompt=prompt)
    assert result.state is RunState.NOT_CONNECTED
    assert result.error.startswith(f"REFUSED: the host key of [127.0.0.1]:{fresh_sshd.port} has changed.")
    assert f"It offered ssh-ed25519 {offered}, but the stored key is ssh-ed25519 {stored}." in result.error
    assert prompt.offered == []  # a changed key never reaches the prompt, so it cannot be accepted by a click
    assert offered not in store.app_file.read_text()


# --- sudo ------------------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_sudo_with_the_password(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory, sudo_rights: Path
) -> None:
    # `cat` reads whatever standard input the command has: the password must not be there.
    request = RunRequest(key_target(sshd, ssh_user), "cat; id -u", sudo=True)
    result = await run_once(trusting_store(sshd), request, Credentials(password=ssh_user.password))
    assert (result.state, result.stdout, result.stderr) == (RunState.SUCCEEDED, "0\n", ""), result
    assert ssh_user.password not in result.stdout + result.stderr
    assert SUDO_PROMPT not in result.stderr
    assert result.command == "cat; id -u"


@pytest.mark.asyncio
async def test_sudo_with_a_wrong_password_fails_with_sudos_message(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory, sudo_rights: Path
) -> None:
    request = RunRequest(key_target(sshd, ssh_user), "id -u", sudo=True)
    result = await run_once(trusting_store(sshd), request, Credentials(password="not-the-password"))
    assert result.state is RunState.FAILED and result.exit_code == 1
    assert result.stdout == ""
    assert "incorrect password attempt" in result.stderr and SUDO_PROMPT not in result.stderr


@pytest.mark.asyncio
async def test_sudo_with_a_terminal(
    sshd: SshServer, ssh_user: SshUser, trusting_store: StoreFactory, sudo_rights: Path
) -> None:
    # A terminal echoes what it is sent and carries sudo's prompt on stdout: neither may show there.
    request = RunRequest(key_target(sshd, ssh_user), "id -u", sudo=True, pty=True)
    result = await run_once(trusting_store(sshd), request, Credentials(password=ssh_user.password))
    assert result.state is RunState.SUCCEEDED, result
    assert result.stdout.endswith("0\r\n")
    assert ssh_user.password not in result.stdout and SUDO_PROMPT not in result.stdout

"""Windows hosts through the same runner as SSH hosts, against the WS-Management simulator (no Windows host can run
here): the certificate shown and pinned like a host key, a changed one refused, cmd and PowerShell commands with
live output and readable PowerShell errors, cancel, wrong passwords, and sealed plain HTTP."""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportstation.remote.certificates import CertificatePins, OfferedCertificate, shown_fingerprint
from supportstation.remote.host_keys import HostKeyDecision, HostKeyStore
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.results import RunState, Stream
from supportstation.remote.runs import Runner, RunRequest
from supportstation.remote.targets import Credentials, Target, WinrmShell, parse_target

if not os.environ.get("CI"):  # on the CI machine the simulator must be there (tools/bootstrap installs it)
    pytest.importorskip("winrm_simulator", reason="tools/bootstrap --test installs simulators/")
from winrm_simulator import CertPair, Response, WinRMSimulator, make_cert_pair
from winrm_simulator.powershell import clixml_error

from tests.integration.conftest import sha256_of

USER, PASSWORD = "admin", "Secr3t!"


@pytest.fixture
def https_sim(certs: CertPair) -> Iterator[WinRMSimulator]:
    with WinRMSimulator(users={USER: PASSWORD}, https=certs, auth=("basic", "ntlm")) as simulator:
        yield simulator


def target_of(simulator: WinRMSimulator, shell: WinrmShell = WinrmShell.CMD) -> Target:
    scheme = "winrm+https" if simulator.https else "winrm+http"
    target = parse_target(f"{scheme}://{USER}@127.0.0.1:{simulator.port}")
    assert target.winrm is not None
    import dataclasses

    return dataclasses.replace(target, winrm=dataclasses.replace(target.winrm, shell=shell))


class Prompt:
    def __init__(self, decision: HostKeyDecision) -> None:
        self.decision = decision
        self.offered: list[OfferedCertificate] = []

    async def __call__(self, offered: OfferedCertificate) -> HostKeyDecision:  # type: ignore[override]
        self.offered.append(offered)
        return self.decision


def pool_for(tmp_path: Path, prompt: Prompt | None = None, password: str = PASSWORD) -> ConnectionPool:
    return ConnectionPool(
        HostKeyStore(tmp_path / "known_hosts"),
        prompt=prompt or Prompt(HostKeyDecision.REFUSE),  # type: ignore[arg-type]
        credentials=lambda _target: Credentials(password=password),
    )


async def run(pool: ConnectionPool, request: RunRequest) -> tuple[list[tuple[Stream, bytes]], object]:
    runner = Runner(pool)
    try:
        handle = await runner.start(request)
        pieces = [(chunk.stream, chunk.data) async for chunk in handle]
        return pieces, await handle.wait()
    finally:
        await pool.close()


@pytest.mark.asyncio
async def test_an_untrusted_certificate_is_shown_pinned_and_then_known(tmp_path: Path, https_sim, certs) -> None:  # type: ignore[no-untyped-def]
    prompt = Prompt(HostKeyDecision.ACCEPT_ALWAYS)
    target = target_of(https_sim)
    _pieces, result = await run(pool_for(tmp_path, prompt), RunRequest(target, "echo hello & exit 4"))
    assert result.state is RunState.FAILED and result.exit_code == 4, result.error
    assert result.stdout == "hello\n" and result.target.startswith("winrm+https://admin@127.0.0.1:")
    [offered] = prompt.offered
    assert offered.sha256 == sha256_of(certs) and "issuer" in offered.problem
    assert offered.subject and not offered.expired
    assert result.host_key_fingerprint == shown_fingerprint(sha256_of(certs))
    assert CertificatePins(tmp_path / "winrm_certificates").get(offered.host_entry) == sha256_of(certs)
    # Pinned for good: a new pool asks nothing.
    again = Prompt(HostKeyDecision.REFUSE)
    _pieces, result = await run(pool_for(tmp_path, again), RunRequest(target, "echo again"))
    assert result.state is RunState.SUCCEEDED and not again.offered
    assert https_sim.open_shells == 0


@pytest.mark.asyncio
async def test_a_refused_or_changed_certificate_sends_nothing(tmp_path: Path, https_sim, certs) -> None:  # type: ignore[no-untyped-def]
    target = target_of(https_sim)
    _pieces, refused = await run(pool_for(tmp_path), RunRequest(target, "echo no"))
    assert refused.state is RunState.NOT_CONNECTED and "not trusted" in refused.error
    assert shown_fingerprint(sha256_of(certs)) in refused.error
    # A pin that no longer matches: the message names both certificates.
    other = "ab" * 32
    (tmp_path / "winrm_certificates").write_text(f"127.0.0.1:{https_sim.port} {other}\n")
    _pieces, changed = await run(pool_for(tmp_path), RunRequest(target, "echo no"))
    assert changed.state is RunState.NOT_CONNECTED and "has changed" in changed.error
    assert shown_fingerprint(other) in changed.error and shown_fingerprint(sha256_of(certs)) in changed.error
    assert https_sim.command_lines == [] and https_sim.open_shells == 0


@pytest.mark.asyncio
async def test_a_fingerprint_given_or_a_ca_file_trusts_without_a_question(tmp_path: Path, https_sim, certs) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    target = target_of(https_sim)
    assert target.winrm is not None
    pinned = dataclasses.replace(target, winrm=dataclasses.replace(target.winrm, cert_fingerprint=sha256_of(certs)))
    _pieces, result = await run(pool_for(tmp_path), RunRequest(pinned, "echo pinned"))
    assert result.state is RunState.SUCCEEDED, result.error
    verified = dataclasses.replace(target, winrm=dataclasses.replace(target.winrm, ca_file=certs.ca))
    _pieces, result = await run(pool_for(tmp_path), RunRequest(verified, "echo verified"))
    assert result.state is RunState.SUCCEEDED and result.stdout == "verified\n", result.error


@pytest.mark.asyncio
async def test_powershell_output_streams_and_its_errors_read_as_text(tmp_path: Path, https_sim, certs) -> None:  # type: ignore[no-untyped-def]
    https_sim.powershell_responses[re.compile(r"Get-Service Spooler")] = Response(
        stdout="Running\r\n", stderr=clixml_error(["Cannot find any service with service name 'Nope'."]), exit_code=1
    )
    target = target_of(https_sim, WinrmShell.POWERSHELL)
    pool = pool_for(tmp_path, Prompt(HostKeyDecision.ACCEPT_ONCE))
    _pieces, result = await run(pool, RunRequest(target, "Get-Service Spooler; Get-Service Nope"))
    assert "Get-Service Spooler; Get-Service Nope" in https_sim.powershell_scripts[-1]
    assert result.exit_code == 1 and result.stdout == "Running\r\n"
    assert result.stderr.strip() == "Cannot find any service with service name 'Nope'."
    assert "<Objs" not in result.stderr


@pytest.mark.asyncio
async def test_cancel_ends_the_command_and_deletes_its_shell(tmp_path: Path, https_sim) -> None:  # type: ignore[no-untyped-def]
    pool = pool_for(tmp_path, Prompt(HostKeyDecision.ACCEPT_ONCE))
    runner = Runner(pool)
    handle = await runner.start(RunRequest(target_of(https_sim), "echo started; sleep 30"))
    async for chunk in handle:
        assert chunk.data == b"started\n"  # seen while the command runs
        handle.cancel()
    result = await handle.wait()
    await pool.close()
    assert result.state is RunState.CANCELLED and result.duration is not None and result.duration < 10
    assert https_sim.open_shells == 0


@pytest.mark.asyncio
async def test_a_wrong_password_is_said_without_the_password(tmp_path: Path, https_sim) -> None:  # type: ignore[no-untyped-def]
    pool = pool_for(tmp_path, Prompt(HostKeyDecision.ACCEPT_ONCE), password="not-the-password")
    _pieces, result = await run(pool, RunRequest(target_of(https_sim), "echo x"))
    assert result.state is RunState.NOT_CONNECTED and "wrong user name or password" in result.error
    assert "not-the-password" not in result.error


@pytest.mark.asyncio
async def test_sudo_is_refused_with_the_reason(tmp_path: Path, https_sim) -> None:  # type: ignore[no-untyped-def]
    _pieces, result = await run(pool_for(tmp_path), RunRequest(target_of(https_sim), "whoami", sudo=True))
    assert result.state is RunState.NOT_CONNECTED and "sudo" in result.error


@pytest.mark.asyncio
async def test_plain_http_is_sealed_by_ntlm(tmp_path: Path) -> None:
    with WinRMSimulator(users={USER: PASSWORD}, auth=("ntlm",)) as simulator:
        pool = pool_for(tmp_path)
        requests = [RunRequest(target_of(simulator), f"echo {n}") for n in range(3)]
        runner = Runner(pool)
        results = await asyncio.gather(*(runner.run(request) for request in requests))
        await pool.close()
        assert [result.stdout for result in results] == ["0\n", "1\n", "2\n"]
        assert simulator.encrypted_messages > 0 and simulator.open_shells == 0


@pytest.mark.asyncio
async def test_commands_started_together_never_race_on_the_environment(tmp_path: Path) -> None:
    """requests reads proxy settings by writing `no_proxy` into os.environ and deleting it: sessions built in several
    threads at once failed one command in forty with KeyError('no_proxy') (the GUI's short switch interval made it
    show). Sessions are built under a lock and never read the environment again."""
    import sys

    interval = sys.getswitchinterval()
    sys.setswitchinterval(0.0005)  # the GUI process's (gui_thread_gc.GUI_SWITCH_INTERVAL_S)
    try:
        with WinRMSimulator(users={USER: PASSWORD}, auth=("ntlm",)) as simulator:
            for _round in range(4):
                pool = pool_for(tmp_path)
                runner = Runner(pool)
                requests = [RunRequest(target_of(simulator), f"echo {n}") for n in range(4)]
                results = await asyncio.gather(*(runner.run(request) for request in requests))
                await pool.close()
                assert [result.stdout for result in results] == [f"{n}\n" for n in range(4)], [r.error for r in results]
    finally:
        sys.setswitchinterval(interval)


def test_the_cli_runs_on_a_windows_host_and_records_it_on_the_ticket(tmp_path: Path, certs: CertPair) -> None:
    """`supportstation run winrm+https://…` with a pinned certificate: output printed, run on the timeline (with the
    certificate's fingerprint) and in the audit log; a wrong pin is refused with exit status 255."""
    import json

    from tests.integration.test_remote_cli import TICKET, supportstation, timeline
    from tests.servers.sshd import TEST_PASSWORD  # the password the CLI is given in LOGIN_PASSWORD

    with WinRMSimulator(users={USER: TEST_PASSWORD}, https=certs) as simulator:
        url = f"winrm+https://{USER}@127.0.0.1:{simulator.port}"
        pin = ["--cert-fingerprint", sha256_of(certs)]
        ran = supportstation(tmp_path, "run", url, "--password-env", "LOGIN_PASSWORD", *pin, "--shell", "cmd",
                             "--ticket", TICKET, "--", "echo from windows")  # fmt: skip
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout == "from windows\n"
        wrong = supportstation(tmp_path, "run", url, "--password-env", "LOGIN_PASSWORD", "--cert-fingerprint",
                               "00" * 32, "--", "Get-Date")  # fmt: skip
    assert wrong.returncode == 255 and "has changed" in wrong.stderr
    run = next(event for event in timeline(tmp_path) if event["kind"] == "command")
    assert "echo from windows" in run["summary"] and "from windows" in run["body"]
    verified = supportstation(tmp_path, "audit", "verify", "--json")
    assert verified.returncode == 0 and json.loads(verified.stdout)["intact"]
    assert TEST_PASSWORD not in verified.stdout + ran.stderr + wrong.stderr


@pytest.mark.asyncio
async def test_the_pin_holds_for_every_connection_not_only_the_first(tmp_path: Path, https_sim, certs) -> None:  # type: ignore[no-untyped-def]
    """pywinrm rebuilds its HTTP session after one is closed: the rebuilt one must compare the certificate too, or
    a certificate swapped in the middle of an intervention would be talked to unchecked."""
    import dataclasses

    target = target_of(https_sim)
    assert target.winrm is not None
    pinned = dataclasses.replace(target, winrm=dataclasses.replace(target.winrm, cert_fingerprint=sha256_of(certs)))
    pool = pool_for(tmp_path)
    runner = Runner(pool)
    first = await runner.run(RunRequest(pinned, "echo one"))
    assert first.state is RunState.SUCCEEDED, first.error
    other = make_cert_pair(tmp_path / "other")
    https_sim._server.socket.context.load_cert_chain(other.cert, other.key)  # the next handshakes present it
    connection = await pool.connection(pinned)
    for protocol in connection._idle:
        protocol.transport.close_session()  # as after a dropped connection: the next command opens a new one
    second = await runner.run(RunRequest(pinned, "echo two"))
    await pool.close()
    assert second.state is RunState.NOT_CONNECTED and "other than the one pinned" in second.error
    assert https_sim.command_lines == ["echo one"]

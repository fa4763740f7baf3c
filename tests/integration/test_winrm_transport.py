"""The WinRM transport against the WS-Management simulator (no Windows host can run here): output streamed while
the command runs, cancel, the shell deleted on every path, and the security rules (verified or pinned HTTPS, sealed
HTTP, Basic over HTTPS only) with errors that name the host and never the password."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportstation.remote.results import AuthenticationFailed, ConnectError
from supportstation.remote.winrm import WinrmCommand, WinrmEndpoint, open_protocol, start_command

if not os.environ.get("CI"):  # on the CI machine the simulator must be there (tools/bootstrap installs it)
    pytest.importorskip("winrm_simulator", reason="tools/bootstrap --test installs simulators/")
from winrm_simulator import CertPair, WinRMSimulator, make_cert_pair

from tests.integration.conftest import sha256_of

USER, PASSWORD = "admin", "Secr3t!"


@pytest.fixture
def https_sim(certs: CertPair) -> Iterator[WinRMSimulator]:
    with WinRMSimulator(users={USER: PASSWORD}, https=certs, auth=("basic", "ntlm")) as simulator:
        yield simulator


def endpoint(simulator: WinRMSimulator, **options: object) -> WinrmEndpoint:
    return WinrmEndpoint(simulator.url, USER, str(options.pop("password", PASSWORD)), **options)  # type: ignore[arg-type]


def run_to_end(command: WinrmCommand, deadline_s: float = 20) -> tuple[list[bytes], list[bytes]]:
    stdout, stderr = [], []
    deadline = time.monotonic() + deadline_s
    try:
        while not command.done and time.monotonic() < deadline:
            out, err = command.read()
            stdout.append(out)
            stderr.append(err)
    finally:
        command.close()
    return stdout, stderr


def test_output_arrives_while_the_command_runs_and_the_shell_is_deleted(https_sim: WinRMSimulator, certs) -> None:  # type: ignore[no-untyped-def]
    target = endpoint(https_sim, ca_file=certs.ca)
    command = start_command(open_protocol(target), target, "echo first; sleep 2.5; echo second >&2; exit 3")
    first, _err = command.read()
    while not first:
        first, _err = command.read()
    assert first == b"first\n" and not command.done  # shown while the command still runs
    _stdout, stderr = run_to_end(command)
    assert b"".join(stderr) == b"second\n" and command.exit_code == 3
    assert https_sim.open_shells == 0


def test_cancel_stops_the_command_at_the_next_receive(https_sim: WinRMSimulator, certs) -> None:  # type: ignore[no-untyped-def]
    target = endpoint(https_sim, ca_file=certs.ca)
    command = start_command(open_protocol(target), target, "sleep 30")
    started = time.monotonic()
    command.read()  # nothing: the operation timeout passes
    command.terminate()
    command.close()
    assert time.monotonic() - started < 8 and https_sim.open_shells == 0  # not the 30 s of the command


def test_a_pinned_certificate_replaces_the_ca_and_a_different_one_gets_nothing_sent(  # type: ignore[no-untyped-def]
    https_sim: WinRMSimulator, certs
) -> None:
    pinned = endpoint(https_sim, pinned_sha256=sha256_of(certs))
    stdout, _ = run_to_end(start_command(open_protocol(pinned), pinned, "echo pinned"))
    assert b"".join(stdout) == b"pinned\n"
    sent_before = len(https_sim.command_lines)
    wrong = endpoint(https_sim, pinned_sha256="00" * 32)
    with pytest.raises(ConnectError, match="other than the one pinned: nothing was sent") as raised:
        start_command(open_protocol(wrong), wrong, "echo never")
    assert PASSWORD not in str(raised.value) and len(https_sim.command_lines) == sent_before
    # Without a pin or the CA, the self-signed chain is refused.
    unverified = endpoint(https_sim)
    with pytest.raises(ConnectError, match="TLS certificate could not be verified"):
        start_command(open_protocol(unverified), unverified, "echo never")


def test_an_expired_certificate_and_a_wrong_password_say_so(tmp_path: Path) -> None:
    expired = make_cert_pair(tmp_path / "expired", expired=True)
    with WinRMSimulator(users={USER: PASSWORD}, https=expired, auth=("ntlm",)) as simulator:
        target = endpoint(simulator, ca_file=expired.ca)
        with pytest.raises(ConnectError, match="certificate has expired"):
            start_command(open_protocol(target), target, "echo never")
    with WinRMSimulator(users={USER: PASSWORD}, auth=("ntlm",)) as simulator:
        target = endpoint(simulator, password="wrong password")
        with pytest.raises(AuthenticationFailed, match="refused the login of admin") as raised:
            start_command(open_protocol(target), target, "echo never")
        assert "wrong password" not in str(raised.value).replace("wrong user name or password", "")


def test_plain_http_is_sealed_by_ntlm_and_basic_over_it_is_refused() -> None:
    with WinRMSimulator(users={USER: PASSWORD}, auth=("basic", "ntlm")) as simulator:
        target = endpoint(simulator)
        stdout, _ = run_to_end(start_command(open_protocol(target), target, "echo sealed"))
        assert b"".join(stdout) == b"sealed\n" and simulator.encrypted_messages > 0
        with pytest.raises(ConnectError, match="allowed over HTTPS only"):
            open_protocol(endpoint(simulator, auth="basic"))


def test_a_connection_dropped_mid_receive_is_an_error_naming_the_host(https_sim: WinRMSimulator, certs) -> None:  # type: ignore[no-untyped-def]
    target = endpoint(https_sim, ca_file=certs.ca)
    command = start_command(open_protocol(target), target, "sleep 5")
    https_sim.faults.drop_receives = 1
    with pytest.raises(ConnectError, match=r"127\.0\.0\.1: the connection failed or was lost"):
        command.read()
    command.terminate()
    command.close()
    assert https_sim.open_shells == 0

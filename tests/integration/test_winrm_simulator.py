"""The WinRM simulator (simulators/winrm_simulator) against the real pywinrm client, over real sockets.

The simulator stands in for a Windows host in later tests, so these tests pin down what pywinrm sees: authentication,
TLS verification, the shell life cycle, streamed output, PowerShell answers and the fault switches.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import winrm
from winrm.exceptions import InvalidCredentialsError, WinRMOperationTimeoutError, WinRMTransportError, WSManFaultError
from winrm.protocol import Protocol

if os.environ.get("CI"):
    import winrm_simulator  # on the CI machine the simulator must be installed (tools/bootstrap does it)
else:
    winrm_simulator = pytest.importorskip("winrm_simulator", reason="tools/bootstrap --test installs simulators/")
from winrm_simulator import CertPair, Response, WinRMSimulator, make_cert_pair

USERS = {"admin": "Secr3t!"}


@pytest.fixture
def https_sim(certs: CertPair) -> Iterator[WinRMSimulator]:
    with WinRMSimulator(users=USERS, https=certs) as sim:
        yield sim


@pytest.fixture
def http_sim() -> Iterator[WinRMSimulator]:
    with WinRMSimulator(users=USERS) as sim:
        yield sim


def basic_session(sim: WinRMSimulator, certs: CertPair, password: str = "Secr3t!") -> winrm.Session:
    return winrm.Session(
        sim.url,
        auth=("admin", password),
        transport="basic",
        server_cert_validation="validate",
        ca_trust_path=str(certs.ca),
    )


def protocol(sim: WinRMSimulator, certs: CertPair, operation_timeout: int = 1, read_timeout: int = 3) -> Protocol:
    return Protocol(
        sim.url,
        transport="basic",
        username="admin",
        password="Secr3t!",
        server_cert_validation="validate",
        ca_trust_path=str(certs.ca),
        operation_timeout_sec=operation_timeout,
        read_timeout_sec=read_timeout,
    )


# Authentication and transport ------------------------------------------------------------------------------------


def test_run_cmd_over_https_with_basic_auth_verifies_against_the_ca_file(
    https_sim: WinRMSimulator, certs: CertPair
) -> None:
    result = basic_session(https_sim, certs).run_cmd("echo", ["hello"])

    assert (result.status_code, result.std_out, result.std_err) == (0, b"hello\n", b"")
    assert https_sim.command_lines == ["echo hello"]


def test_run_cmd_with_ntlm_over_http_uses_message_encryption(http_sim: WinRMSimulator) -> None:
    session = winrm.Session(http_sim.url, auth=("admin", "Secr3t!"), transport="ntlm", ca_trust_path=None)

    result = session.run_cmd("echo out; echo err >&2; exit 3")

    assert (result.status_code, result.std_out, result.std_err) == (3, b"out\n", b"err\n")
    assert http_sim.encrypted_messages >= 5  # Create, Command, Receive, Signal, Delete all arrived sealed


def test_run_cmd_with_ntlm_over_https(https_sim: WinRMSimulator, certs: CertPair) -> None:
    session = winrm.Session(
        https_sim.url,
        auth=("admin", "Secr3t!"),
        transport="ntlm",
        server_cert_validation="validate",
        ca_trust_path=str(certs.ca),
    )

    assert session.run_cmd("echo", ["over", "tls"]).std_out == b"over tls\n"
    assert https_sim.encrypted_messages == 0  # TLS protects it; pywinrm does not seal on top


@pytest.mark.parametrize("transport", ["basic", "ntlm"])
def test_a_wrong_password_is_rejected(https_sim: WinRMSimulator, certs: CertPair, transport: str) -> None:
    session = winrm.Session(
        https_sim.url,
        auth=("admin", "wrong"),
        transport=transport,
        server_cert_validation="validate",
        ca_trust_path=str(certs.ca),
    )

    with pytest.raises(InvalidCredentialsError):
        session.run_cmd("echo", ["never"])
    assert https_sim.command_lines == []


def test_a_401_lists_the_offered_schemes(https_sim: WinRMSimulator, certs: CertPair) -> None:
    answer = requests.post(https_sim.url, data=b"<x/>", verify=str(certs.ca), timeout=5)

    assert answer.status_code == 401
    offered = answer.raw.headers.getlist("WWW-Authenticate")
    assert offered == ["Negotiate", 'Basic realm="WSMAN"']


def test_an_expired_certificate_fails_verification(tmp_path: Path) -> None:
    expired = make_cert_pair(tmp_path, expired=True)
    with WinRMSimulator(users=USERS, https=expired) as sim:
        with pytest.raises(requests.exceptions.SSLError, match="certificate has expired"):
            basic_session(sim, expired).run_cmd("echo", ["never"])
        assert sim.command_lines == []


# PowerShell ------------------------------------------------------------------------------------------------------


def test_run_ps_answers_a_registered_response_and_records_the_script(
    https_sim: WinRMSimulator, certs: CertPair
) -> None:
    script = "Get-Service -Name 'Spooler' | Select-Object -ExpandProperty Status"
    https_sim.powershell_responses[script] = Response(stdout="Running\r\n")
    https_sim.powershell_responses[re.compile(r"^Restart-Service")] = Response(stderr="denied", exit_code=5)
    session = basic_session(https_sim, certs)

    running = session.run_ps(script)
    restart = session.run_ps("Restart-Service -Name Spooler -Force")

    assert (running.status_code, running.std_out, running.std_err) == (0, b"Running\r\n", b"")
    assert (restart.status_code, restart.std_err) == (5, b"denied")
    assert https_sim.powershell_scripts == [script, "Restart-Service -Name Spooler -Force"]
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    assert https_sim.command_lines[0] == f"powershell -encodedcommand {encoded}"


def test_an_unregistered_script_gets_powershells_clixml_error(https_sim: WinRMSimulator, certs: CertPair) -> None:
    protocol_ = protocol(https_sim, certs)
    shell = protocol_.open_shell()
    encoded = base64.b64encode(b"Get-Frobnicator -All".decode().encode("utf-16-le")).decode()
    command = protocol_.run_command(shell, f"powershell -encodedcommand {encoded}")
    _, raw_err, code = protocol_.get_command_output(shell, command)
    protocol_.close_shell(shell)
    cleaned = basic_session(https_sim, certs).run_ps("Get-Frobnicator -All")

    assert code == 1
    assert raw_err.startswith(b"#< CLIXML\r\n<Objs ")
    assert cleaned.status_code == 1
    assert cleaned.std_err.decode().startswith(
        "Get-Frobnicator : The term 'Get-Frobnicator' is not recognized as the name of a cmdlet"
    )


# Shell life cycle ------------------------------------------------------------------------------------------------


def test_slow_output_streams_over_several_receives_and_timeouts_are_retried(
    https_sim: WinRMSimulator, certs: CertPair
) -> None:
    protocol_ = protocol(https_sim, certs, operation_timeout=1, read_timeout=3)
    shell = protocol_.open_shell()
    command = protocol_.run_command(shell, "echo first; sleep 1.6; echo second; exit 4")
    received: list[bytes] = []
    timeouts = 0
    done, code = False, None
    while not done:
        try:
            out, _, code, done = protocol_.get_command_output_raw(shell, command)
        except WinRMOperationTimeoutError:  # the 2150858793 fault: nothing within OperationTimeout
            timeouts += 1
            continue
        if out:
            received.append(out)
    protocol_.cleanup_command(shell, command)
    protocol_.close_shell(shell)

    assert received == [b"first\n", b"second\n"]
    assert timeouts >= 1
    assert code == 4


def test_send_feeds_stdin(https_sim: WinRMSimulator, certs: CertPair) -> None:
    protocol_ = protocol(https_sim, certs)
    shell = protocol_.open_shell()
    command = protocol_.run_command(shell, "tr a-z A-Z")
    protocol_.send_command_input(shell, command, b"quiet\n", end=True)

    assert protocol_.get_command_output(shell, command) == (b"QUIET\n", b"", 0)
    protocol_.close_shell(shell)


def test_signal_terminate_stops_a_long_sleep(https_sim: WinRMSimulator, certs: CertPair, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    protocol_ = protocol(https_sim, certs)
    shell = protocol_.open_shell()
    command = protocol_.run_command(shell, f"echo $$ > {pid_file}; exec sleep 30")
    deadline = time.monotonic() + 5
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    pid = int(pid_file.read_text())

    protocol_.cleanup_command(shell, command)  # Signal .../signal/terminate

    deadline = time.monotonic() + 5
    while _alive(pid):
        assert time.monotonic() < deadline, "sleep 30 survived Signal terminate"
        time.sleep(0.02)
    with pytest.raises(WSManFaultError):  # the command is gone
        protocol_.get_command_output_raw(shell, command)
    protocol_.close_shell(shell)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_an_unknown_shell_id_gets_windows_fault(https_sim: WinRMSimulator, certs: CertPair) -> None:
    with pytest.raises(WSManFaultError) as caught:
        protocol(https_sim, certs).run_command("2B4D8C1F-0000-0000-0000-000000000000", "echo")

    assert caught.value.wsman_fault_code == 2150858843
    assert "shell was not found" in caught.value.reason


# Fault switches --------------------------------------------------------------------------------------------------


def test_fault_drop_connection_mid_receive(https_sim: WinRMSimulator, certs: CertPair) -> None:
    protocol_ = protocol(https_sim, certs)
    shell = protocol_.open_shell()
    command = protocol_.run_command(shell, "echo lost")
    https_sim.faults.drop_receives = 1

    with pytest.raises(requests.exceptions.ConnectionError):
        protocol_.get_command_output_raw(shell, command)
    # The next Receive (on a new connection) gets the output that was never delivered.
    assert protocol_.get_command_output(shell, command) == (b"lost\n", b"", 0)


def test_fault_http_500(https_sim: WinRMSimulator, certs: CertPair) -> None:
    https_sim.faults.http_500 = 1

    with pytest.raises(WinRMTransportError) as caught:
        protocol(https_sim, certs).open_shell()
    assert caught.value.code == 500
    assert protocol(https_sim, certs).open_shell()  # one-shot: the next request is served


def test_fault_malformed_xml(https_sim: WinRMSimulator, certs: CertPair) -> None:
    https_sim.faults.malformed = 1

    with pytest.raises(ET.ParseError):
        protocol(https_sim, certs).open_shell()


def test_fault_slow_responses(https_sim: WinRMSimulator, certs: CertPair) -> None:
    https_sim.faults.delay = 3

    with pytest.raises(requests.exceptions.ReadTimeout):
        protocol(https_sim, certs, operation_timeout=1, read_timeout=2).open_shell()


# Life cycle ------------------------------------------------------------------------------------------------------


def test_stop_ends_threads_and_processes(certs: CertPair, tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    sim = WinRMSimulator(users=USERS, https=certs).start()
    protocol_ = protocol(sim, certs)
    shell = protocol_.open_shell()
    protocol_.run_command(shell, f"echo $$ > {pid_file}; exec sleep 30")
    deadline = time.monotonic() + 5
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.02)

    sim.stop()

    deadline = time.monotonic() + 5
    while _alive(int(pid_file.read_text())) or any(t.name == "winrm-simulator" for t in threading.enumerate()):
        assert time.monotonic() < deadline, "the simulator left its process or thread behind"
        time.sleep(0.02)
    assert "NTLM_USER_FILE" not in os.environ


def test_the_command_line_entry_point_serves(tmp_path: Path) -> None:
    server = subprocess.Popen(
        [sys.executable, "-m", "winrm_simulator", "--port", "0", "--user", "demo:Demo-1234", "--auth", "basic"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first_line = server.stdout.readline()
        url = re.search(r"http://\S+", first_line)
        assert url, first_line
        session = winrm.Session(url.group(0), auth=("demo", "Demo-1234"), transport="basic", ca_trust_path=None)
        assert session.run_cmd("echo", ["demo"]).std_out == b"demo\n"
    finally:
        server.terminate()
        assert server.wait(5) == 0
        if server.stdout:
            server.stdout.close()

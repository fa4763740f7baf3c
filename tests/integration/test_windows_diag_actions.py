"""Windows diagnostics actions run end to end: `supportstation actions run windows.… winrm+https://…` against the
WS-Management simulator, which answers each script with output shaped as Windows PowerShell writes it (the samples of
tests/data/windows_diag), and records the script it received.

Checked here: the action's script reaches the host whole (after the UTF-8 prelude), parameters included, and the
output comes back as the parsed table in the CLI's JSON, byte order mark, CRLF and French accents included.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportstation.remote.powershell import PRELUDE
from tests.conftest import ROOT
from tests.integration.test_remote_cli import TICKET, supportstation, timeline
from tests.servers.sshd import TEST_PASSWORD  # the password the CLI is given in LOGIN_PASSWORD

if not os.environ.get("CI"):  # on the CI machine both must be there (tools/bootstrap installs them)
    pytest.importorskip("winrm_simulator", reason="tools/bootstrap --test installs simulators/")
    pytest.importorskip("supportstation_windows_diag", reason="pip install --no-deps -e plugins/windows-diag")
import supportstation_windows_diag as windows_diag
from winrm_simulator import CertPair, Response, WinRMSimulator

USER = "admin"
DATA = ROOT / "tests" / "data" / "windows_diag"
ACTIONS = {action.id: action for action in windows_diag.ACTIONS}


@pytest.fixture
def simulator(certs: CertPair) -> Iterator[WinRMSimulator]:
    with WinRMSimulator(users={USER: TEST_PASSWORD}, https=certs) as running:
        yield running


def target_arguments(simulator: WinRMSimulator, certs: CertPair) -> list[str]:
    """The simulator's URL, the login and its certificate pinned, as an engineer gives them on the command line."""
    pin = hashlib.sha256(ssl.PEM_cert_to_DER_cert(certs.cert.read_text())).hexdigest()
    url = f"winrm+https://{USER}@127.0.0.1:{simulator.port}"
    return [url, "--password-env", "LOGIN_PASSWORD", "--cert-fingerprint", pin]


def run_action(data: Path, simulator: WinRMSimulator, certs: CertPair, *arguments: str) -> dict[str, object]:
    """`actions run ACTION` on the simulator; the one JSON line it prints."""
    action, *options = arguments
    ran = supportstation(data, "actions", "run", action, *target_arguments(simulator, certs), "--json", *options)
    assert ran.returncode == 0, ran.stderr
    assert TEST_PASSWORD not in ran.stdout + ran.stderr
    [line] = ran.stdout.splitlines()
    return json.loads(line)


def test_disk_space_runs_on_a_ticket_and_comes_back_as_a_table(
    tmp_path: Path, simulator: WinRMSimulator, certs: CertPair
) -> None:
    simulator.powershell_responses[re.compile(r"Win32_LogicalDisk")] = Response(
        stdout=(DATA / "disks.array.null_label.ps51.json").read_bytes()
    )
    result = run_action(tmp_path, simulator, certs, "windows.disk_space", "--ticket", TICKET)
    assert "parse_error" not in result, result.get("parse_error")
    assert result["table"] == {
        "columns": ["Drive", "Label", "File system", "Size (GB)", "Free (GB)", "Free %"],
        "rows": [
            ["C:", "", "NTFS", "237.2", "17.0", "7%"],
            ["D:", "Données", "NTFS", "931.5", "570.4", "61%"],
            ["E:", "", "", "-", "-", "-"],
        ],
    }
    [script] = simulator.powershell_scripts
    assert script == PRELUDE + ACTIONS["windows.disk_space"].command_for("powershell")
    assert any(event["kind"] == "command" and "Données" in str(event["body"]) for event in timeline(tmp_path))


def test_event_errors_with_hours_and_no_event_found(tmp_path: Path, simulator: WinRMSimulator, certs: CertPair) -> None:
    # Get-WinEvent's "No events were found" is silenced by the script: the host answers with nothing at all.
    simulator.powershell_responses[re.compile(r"Get-WinEvent -FilterHashtable")] = Response(stdout=b"")
    result = run_action(tmp_path, simulator, certs, "windows.event_errors", "--param", "hours=72")
    assert "parse_error" not in result, result.get("parse_error")
    assert result["table"] == {
        "columns": ["Time", "Log", "Source", "Event ID", "Level", "Message"],
        "rows": [],
    }
    [script] = simulator.powershell_scripts
    assert ACTIONS["windows.event_errors"].command_for("powershell", {"hours": 72}) in script
    assert "$hours = [int]'72'" in script


def test_french_services_with_a_byte_order_mark(tmp_path: Path, simulator: WinRMSimulator, certs: CertPair) -> None:
    simulator.powershell_responses[re.compile(r"Win32_Service")] = Response(
        stdout=(DATA / "stopped_services.array.fr.ps51.json").read_bytes()
    )
    result = run_action(tmp_path, simulator, certs, "windows.stopped_auto_services")
    assert "parse_error" not in result, result.get("parse_error")
    table = result["table"]
    assert isinstance(table, dict)
    assert ["Spooler", "Spouleur d'impression", "Stopped", "1067"] in table["rows"]
    assert ["MapsBroker", "Gestionnaire des cartes téléchargées", "Stopped", "0"] in table["rows"]
    [script] = simulator.powershell_scripts
    assert ACTIONS["windows.stopped_auto_services"].command_for("powershell") in script


def test_a_refused_parameter_sends_nothing(tmp_path: Path, simulator: WinRMSimulator, certs: CertPair) -> None:
    ran = supportstation(
        tmp_path, "actions", "run", "windows.event_errors", *target_arguments(simulator, certs), "--param", "hours=721"
    )
    assert ran.returncode != 0 and "hours" in ran.stderr
    assert simulator.powershell_scripts == []

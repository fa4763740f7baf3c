"""Windows diagnostics actions run end to end: `supportstation actions run windows.… winrm+https://…` against the
WS-Management simulator, which answers each script with output shaped as Windows PowerShell writes it (the samples of
tests/data/windows_diag), and records the script it received; and the `windows.facts` collector through
`supportstation hosts facts` on an inventory host that is the simulator.

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


def test_local_administrators_through_adsi_with_french_names(
    tmp_path: Path, simulator: WinRMSimulator, certs: CertPair
) -> None:
    simulator.powershell_responses[re.compile(r"Get-LocalGroupMember -SID")] = Response(
        stdout=(DATA / "local_admins.adsi_orphaned_sid.fr.ps51.json").read_bytes()
    )
    result = run_action(tmp_path, simulator, certs, "windows.local_administrators", "--ticket", TICKET)
    assert "parse_error" not in result, result.get("parse_error")
    domain = "S-1-5-21-1004336348-1177238915-682003330"
    assert result["table"] == {
        "columns": ["Name", "Type", "Source", "Enabled", "SID"],
        "rows": [
            ["AUTORITE NT\\INTERACTIF", "Group", "Built-in (Windows)", "", "S-1-5-4"],
            ["CABINET\\Admins du domaine", "Group", "Active Directory", "", f"{domain}-512"],
            ["PC-COMPTA03\\Administrateur", "User", "Local", "No", "S-1-5-21-3914832706-1483426103-2291427583-500"],
            [f"{domain}-1107", "Unknown", "Unknown", "", f"{domain}-1107"],
        ],
    }
    [script] = simulator.powershell_scripts
    assert script == PRELUDE + ACTIONS["windows.local_administrators"].command_for("powershell")
    assert "Impossible de comparer deux éléments du tableau." in str(result["stdout"])


def test_failed_scheduled_tasks_with_windows_own_included(
    tmp_path: Path, simulator: WinRMSimulator, certs: CertPair
) -> None:
    simulator.powershell_responses[re.compile(r"Get-ScheduledTaskInfo")] = Response(
        stdout=(DATA / "failed_tasks.array.en.ps7.json").read_bytes()
    )
    result = run_action(
        tmp_path, simulator, certs, "windows.failed_scheduled_tasks", "--param", "include_microsoft=yes"
    )
    assert "parse_error" not in result, result.get("parse_error")
    assert result["table"] == {
        "columns": ["Task", "Last run", "Last result", "Next run", "Run as"],
        "rows": [
            [
                "\\Backup to OneDrive",
                "2024-11-23 12:00:00",
                "0xC000013A (the program was ended by Ctrl+C or closed)",
                "2024-11-23 18:00:00",
                "LAPTOP-7QK2M\\marie",
            ],
            [
                "\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan",
                "2024-11-23 03:12:44",
                "0x8007045B",
                "2024-11-24 03:12:44",
                "SYSTEM",
            ],
        ],
    }
    [script] = simulator.powershell_scripts
    assert "$all = 'true' -eq 'true'" in script
    assert script == PRELUDE + ACTIONS["windows.failed_scheduled_tasks"].command_for(
        "powershell", {"include_microsoft": True}
    )


def test_no_failed_scheduled_task_by_default(tmp_path: Path, simulator: WinRMSimulator, certs: CertPair) -> None:
    simulator.powershell_responses[re.compile(r"Get-ScheduledTaskInfo")] = Response(
        stdout=(DATA / "failed_tasks.none.ps51.json").read_bytes()
    )
    result = run_action(tmp_path, simulator, certs, "windows.failed_scheduled_tasks")
    assert "parse_error" not in result, result.get("parse_error")
    assert result["table"] == {"columns": ["Task", "Last run", "Last result", "Next run", "Run as"], "rows": []}
    [script] = simulator.powershell_scripts
    assert "$all = 'false' -eq 'true'" in script


def test_windows_facts_are_read_and_kept_on_the_inventory_host(
    tmp_path: Path, simulator: WinRMSimulator, certs: CertPair
) -> None:
    simulator.powershell_responses[re.compile(r"Win32_ComputerSystem")] = Response(
        stdout=(DATA / "facts.single_object.fr.ps51.json").read_bytes()
    )
    inventory = tmp_path / "hosts.csv"
    inventory.write_text(
        f"name;address;port;os;transport;user\npc-compta02;127.0.0.1;{simulator.port};Windows 11;winrm;{USER}\n",
        encoding="utf-8",
    )
    imported = supportstation(tmp_path, "hosts", "import", str(inventory), "--client", "Cabinet Durand")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    pin = hashlib.sha256(ssl.PEM_cert_to_DER_cert(certs.cert.read_text())).hexdigest()
    read = supportstation(tmp_path, "hosts", "facts", "pc-compta02", "--password-env", "LOGIN_PASSWORD",
                          "--cert-fingerprint", pin, "--ticket", TICKET, "--json")  # fmt: skip
    assert read.returncode == 0, read.stdout + read.stderr
    facts = json.loads(read.stdout)
    assert facts["problems"] == []
    assert facts["facts"] == {
        "manufacturer": "Dell Inc.",
        "model": "OptiPlex 7010",
        "serial_number": "8XK2L93",
        "firmware": "1.14.0",
        "os": "Microsoft Windows 11 Professionnel",
        "os_version": "10.0.22631.4460 (23H2)",
        "hostname": "PC-COMPTA02",
        "architecture": "AMD64",
        "domain": "cabinet.local",
        "last_boot": "2024-11-20 06:28:00 +01:00",
        "uptime": "3 d 04:12",
    }
    [script] = simulator.powershell_scripts
    assert script == PRELUDE + windows_diag.FACTS.action.command_for("powershell")
    listed = json.loads(supportstation(tmp_path, "hosts", "list", "--json").stdout)
    assert next(host for host in listed if host["name"] == "pc-compta02")["facts"]["serial_number"] == "8XK2L93"
    assert any(entry.get("kind") == "command" and "windows.facts" in json.dumps(entry) for entry in timeline(tmp_path))

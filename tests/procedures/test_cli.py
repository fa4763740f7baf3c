"""`supportstation procedures validate` and `preview` as an engineer runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

STARTER = ROOT / "resources" / "procedures" / "network-reachability.yaml"


def supportstation(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "supportstation", "--data-dir", str(tmp_path / "data"), "--lang", "en", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_validate_names_each_problem_with_file_line_and_field(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        "id: t.broken\ntitle: t\nsteps:\n  - id: a\n    run:\n      sh: echo\n      on_failure: explode\n"
    )
    checked = supportstation(tmp_path, "procedures", "validate", str(STARTER), str(broken))
    assert checked.returncode == 1
    assert f"{STARTER}: valid (network.reachability)" in checked.stdout
    assert f"{broken}:7: steps.0.run.on_failure: Input should be 'stop', 'continue' or 'ask'" in checked.stderr
    as_json = json.loads(supportstation(tmp_path, "procedures", "validate", str(broken), "--json").stdout)
    assert as_json["problems"][0]["line"] == 7 and as_json["valid"] == []


def test_preview_shows_the_exact_commands_for_the_hosts_shell(tmp_path: Path) -> None:
    shown = supportstation(
        tmp_path, "procedures", "preview", str(STARTER), "-p", "destination=srv-01", "-p", "port=8443", "--json",
        "--shell", "powershell",
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    steps = {row["step"]: row for row in json.loads(shown.stdout)}
    assert steps["service"]["text"] == "(Test-NetConnection -ComputerName 'srv-01' -Port '8443').TcpTestSucceeded"
    assert steps["summary"]["text"].startswith("Result: resolved to ⟨address⟩")
    windows = supportstation(
        tmp_path,
        "--demo",
        "procedures",
        "preview",
        str(STARTER),
        "-p",
        "destination=srv-01",
        "--target",
        "srv-dossiers",
    )
    assert windows.returncode == 0, windows.stderr
    assert "[powershell] $ Resolve-DnsName -Name 'srv-01'" in windows.stdout
    refused = supportstation(tmp_path, "procedures", "preview", str(STARTER), "-p", "destination=a;reboot")
    assert refused.returncode == 2 and "is not a host name or an IP address" in refused.stderr

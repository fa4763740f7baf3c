"""`supportstation hosts list|import` as a script runs it: reports, exit statuses, and what ends up stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "hosts"
ENVIRONMENT = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LANG": "C.UTF-8", "LANGUAGE": ""}


def supportstation(data: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "supportstation", "--data-dir", str(data), "--demo", "--lang", "en", *arguments]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=ENVIRONMENT)


def listed(data: Path, *arguments: str) -> list[dict[str, object]]:
    result = supportstation(data, "hosts", "list", "--json", *arguments)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_import_an_ansible_inventory_then_list_it(tmp_path: Path) -> None:
    assert len(listed(tmp_path)) == 15  # the demo's hosts
    inventory = str(DATA / "ansible" / "hosts.ini")
    client = ["--client", "Mairie de Saint-Genis"]

    checked = supportstation(tmp_path, "hosts", "import", inventory, *client, "--dry-run")
    assert checked.returncode == 1  # one entry refused: a script must notice
    assert "14 new, 0 to update, 0 unchanged, 1 refused" in checked.stdout
    assert "line 69  Refused    supervision" in checked.stdout and "Jinja template" in checked.stdout
    assert "Check only: nothing was written." in checked.stdout
    assert listed(tmp_path, "--client", "Mairie de Saint-Genis") == []

    imported = supportstation(tmp_path, "hosts", "import", inventory, *client, "--site", "Hôtel de ville", "--json")
    assert imported.returncode == 1, imported.stderr
    report = json.loads(imported.stdout)
    assert report["applied"] is True and report["format"] == "ansible-ini"
    assert report["counts"] == {"new": 14, "update": 0, "unchanged": 0, "error": 1}
    refused = [entry for entry in report["entries"] if entry["status"] == "error"]
    assert [(entry["name"], entry["line"]) for entry in refused] == [("supervision", 69)]

    hosts = {host["name"]: host for host in listed(tmp_path, "--client", "mairie de saint-genis")}
    assert len(hosts) == 14
    assert hosts["db01.mairie.lan"]["port"] == 2200 and hosts["db01.mairie.lan"]["site"] == "Hôtel de ville"
    assert hosts["ad02"]["transport"] == "winrm" and hosts["sw-core"]["vendor"] == "cisco"
    assert set(hosts["web01.mairie.lan"]["tags"]) == {"prod", "critical", "linux", "web"}

    again = supportstation(tmp_path, "hosts", "import", inventory, *client)
    assert "0 added, 0 updated, 14 unchanged, 1 refused" in again.stdout

    table = supportstation(tmp_path, "hosts", "list", "--client", "Mairie de Saint-Genis")
    assert table.returncode == 0
    assert table.stdout.splitlines()[0].split() == ["Client", "Site", "Name", "Address", "System", "Transport",
                                                    "Credential", "Tags"]  # fmt: skip
    assert "Network device (Cisco)" in table.stdout and "10.1.2.11:2200" in table.stdout


def test_a_clean_csv_import_succeeds_and_bad_files_are_usage_errors(tmp_path: Path) -> None:
    clean = tmp_path / "parc.csv"
    clean.write_text("Nom;Adresse;Client;Site;Système\nsrv-a;10.0.0.1;Client CSV;Siège;Debian\n", encoding="utf-8")
    imported = supportstation(tmp_path, "hosts", "import", str(clean))
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert "1 added, 0 updated, 0 unchanged, 0 refused" in imported.stdout
    assert [host["name"] for host in listed(tmp_path, "--client", "Client CSV")] == ["srv-a"]

    broken = supportstation(tmp_path, "hosts", "import", str(DATA / "malformed" / "undefined_child.ini"))
    assert broken.returncode == 2
    assert "undefined_child.ini, line 6" in broken.stderr and "databases" in broken.stderr
    assert "Nothing was imported." in broken.stderr
    missing = supportstation(tmp_path, "hosts", "import", str(tmp_path / "absent.csv"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    wrong_option = supportstation(tmp_path, "hosts", "import", str(clean), "--format", "xml")
    assert wrong_option.returncode == 2 and "invalid choice" in wrong_option.stderr
    assert len(listed(tmp_path)) == 16


def test_an_ssh_config_is_imported_when_its_format_is_forced(tmp_path: Path) -> None:
    config = tmp_path / "my-hosts.txt"
    config.write_text("Host jump\n  HostName 192.0.2.1\n  User ops\nHost app\n  HostName 10.1.1.1\n  ProxyJump jump\n",
                      encoding="utf-8")  # fmt: skip
    imported = supportstation(tmp_path, "hosts", "import", str(config), "--format", "ssh-config", "--client", "SSH")
    assert imported.returncode == 0, imported.stdout + imported.stderr
    hosts = {host["name"]: host for host in listed(tmp_path, "--client", "SSH")}
    assert hosts["app"]["proxy_jump"] == "ops@192.0.2.1" and hosts["jump"]["login_user"] == "ops"

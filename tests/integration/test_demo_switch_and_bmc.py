"""The vendor plugins' "done when", end to end through the command line: from the demo ticket "VLAN des caméras sur le
switch de cœur" the engineer backs up the (simulated) switch's running-config, names VLAN 140 and moves a port into
it, backs the config up again, reads the (simulated) server's health and event log, and finds the config diff and
those runs in the French report; the audit trail verifies and the ticket's timeline has every run.

The demo's `sw-coeur` is pointed at fake-switches' Catalyst 2960 (tests/servers/fake_switch.py, one simulator of this
module's own) and `idrac-srv-mairie` at sushy-tools' Redfish emulator over TLS (tests/servers/redfish_emulator.py).
Every step but the set-up (the demo's hosts re-addressed, the logins put in the vault, the intervention started in
the core) is a real `python -m supportstation …` subprocess without a terminal, as a script runs it. The scenario
runs once for the module; each test checks one part of what it left.

With SUPPORTSTATION_SHOTS set, the report's pages are also written as PNG to /tmp/shots/plugin_report/.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from supportstation import i18n, paths
from supportstation.plugins import PluginRegistry
from supportstation.storage import connect, sqlite_url
from supportstation.storage.database import Database
from supportstation.storage.models import CredentialKind, CredentialRef, Engineer, Ticket
from supportstation.vault import open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.servers.fake_switch import FakeSwitch, missing_reason, running_fake_switch

try:
    import supportstation_cisco_ios  # noqa: F401 (the CLI finds the plugins through their entry points)
    import supportstation_redfish_bmc  # noqa: F401
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("install the plugins: .venv/bin/pip install -e plugins/cisco-ios -e plugins/redfish-bmc",
                allow_module_level=True)  # fmt: skip

try:
    from tests.servers.redfish_emulator import (  # noqa: F401 (fixtures, used by name)
        SEL_ENTRY_COUNT,
        SYSTEM_UUID,
        RedfishEmulator,
        redfish_certificate,
        redfish_emulator_server,
    )
except ImportError:
    if os.environ.get("CI"):
        raise
    pytest.skip("install sushy-tools for the Redfish emulator: .venv/bin/pip install sushy-tools",
                allow_module_level=True)  # fmt: skip

pytestmark = pytest.mark.fake_switch

TICKET_TITLE = "VLAN des caméras sur le switch de cœur"
SWITCH, BMC = "sw-coeur", "idrac-srv-mairie"
DEMO_ENGINEER = "camille.martin@exemple.fr"
DEMO_VAULT_KEY = "demo/intervention"  # the demo credential's entry; the switch's enable secret is beside it
BMC_VAULT_KEY = "demo/idrac-srv-mairie"
VAULT_PASSWORD = "vault password for the plugin tests"
FAST = ScryptParameters(n=2**10)  # the real cost only slows the test; the vault's header gives it to the CLI
PORT = "Fa0/12"  # the ticket says Gi0/12; the simulated 2960-24TT-L has Fa0/1-24 and Gi0/1-2 only
SECTION_TITLE = f"Modifications de la configuration de {SWITCH}"
SECTION_PREFIX = "Modifications de la configuration de "
SHOTS = Path("/tmp/shots/plugin_report")
ENVIRONMENT = {
    **os.environ,
    "QT_QPA_PLATFORM": "offscreen",
    "LANG": "C.UTF-8",
    "LANGUAGE": "",
    # No keyring in the subprocess: the encrypted-file vault made here, unlocked by this password.
    "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    "SUPPORTSTATION_VAULT_PASSWORD": VAULT_PASSWORD,
}


def supportstation(data: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    """The CLI on the demo database of `data`, without a terminal (stdin is /dev/null)."""
    return subprocess.run(
        [sys.executable, "-m", "supportstation", "--data-dir", str(data), "--demo", *arguments],
        capture_output=True,
        text=True,
        timeout=180,
        env=ENVIRONMENT,
        stdin=subprocess.DEVNULL,
    )


def succeeded(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """The one JSON line of `actions run … --json` on one target, once it says the run succeeded."""
    assert result.returncode == 0, f"{result.args[6:]}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    [line] = result.stdout.splitlines()
    document: dict[str, Any] = json.loads(line)
    assert document["state"] == "succeeded" and document["exit_code"] == 0, document
    return document


def table_rows(document: dict[str, Any]) -> list[dict[str, str]]:
    table = document["table"]
    return [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]


def count_rows(database_file: Path, table: str) -> int:
    with sqlite3.connect(database_file) as connection:
        return int(connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def unix_text(document: dict[str, Any]) -> str:
    return str(document["stdout"]).replace("\r\n", "\n")


# -- the scenario ------------------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """What the engineer's session left: the CLI's answers, the report, the audit and the timeline."""

    data: Path
    app_paths: paths.AppPaths
    switch: FakeSwitch
    bmc: RedfishEmulator
    reference: str
    intervention_id: int
    results: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    counts_before_refusal: tuple[int, int] = (0, 0)
    counts_after_refusal: tuple[int, int] = (0, 0)
    switch_log_of_refusal: str = ""
    pdf: Path | None = None
    pdf_pages: list[str] = field(default_factory=list)

    @property
    def database_file(self) -> Path:
        return self.app_paths.demo_database_file

    def recorded(self) -> tuple[int, int]:
        """How many runs and audit records the database holds."""
        return count_rows(self.database_file, "remote_run"), count_rows(self.database_file, "audit_record")

    def action(self, name: str) -> dict[str, Any]:
        return succeeded(self.results[name])

    def diff_page(self) -> str:
        """The report's page with the switch's config diff section (found by its title's beginning)."""
        pages = [page for page in self.pdf_pages if SECTION_PREFIX in page and "(2 sauvegardes)" in page]
        assert pages, "the report has no config diff section:\n" + "\f".join(self.pdf_pages)
        return pages[-1]


@pytest.fixture(scope="module")
def module_switch() -> Iterator[FakeSwitch]:
    """A simulated switch of this module's own: the VLAN change must not leak into the other tests' switch."""
    reason = missing_reason()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    folder = Path(tempfile.mkdtemp(prefix="supportstation-demo-switch-"))
    try:
        with running_fake_switch(folder) as switch:
            yield switch
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory, module_switch: FakeSwitch, redfish_emulator_server: RedfishEmulator
) -> Scenario:
    bmc = redfish_emulator_server
    bmc.sessions_enabled = bmc.advertise_log_services = True
    bmc.reset_records()
    bmc.set_power_state("On")
    data = tmp_path_factory.mktemp("demo-station")
    made = supportstation(data, "demo")  # the demo database, made as `supportstation demo` makes it
    assert made.returncode == 0, made.stderr
    app_paths = paths.under(data)
    i18n.install("fr")  # the demo's engineer works in French: what the core writes on the timeline is in French
    try:
        reference, intervention_id = point_demo_at_simulators(app_paths, module_switch, bmc)
    finally:
        i18n.install("en")
    run = Scenario(data, app_paths, module_switch, bmc, reference, intervention_id)
    engineers_day(run)
    return run


def point_demo_at_simulators(app_paths: paths.AppPaths, switch: FakeSwitch, bmc: RedfishEmulator) -> tuple[str, int]:
    """`sw-coeur` and `idrac-srv-mairie` at the simulators, their logins in the vault, and an intervention started
    on the ticket by its assignee. Returns the ticket's reference and the intervention's id."""
    vault = open_vault(app_paths, backend="file", scrypt=FAST)
    vault.unlock(VAULT_PASSWORD)
    vault.store(DEMO_VAULT_KEY, switch.password)
    vault.store(DEMO_VAULT_KEY + "/enable", switch.enable_secret)
    vault.store(BMC_VAULT_KEY, bmc.password)
    database = connect(sqlite_url(app_paths.demo_database_file), backups=app_paths.backups, create_missing=False)
    try:
        return _prepare_database(database, switch, bmc)
    finally:
        database.close()


def _prepare_database(database: Database, switch: FakeSwitch, bmc: RedfishEmulator) -> tuple[str, int]:
    from supportstation.tickets import interventions

    with database.session() as session:
        ticket = session.scalars(select(Ticket).where(Ticket.title == TICKET_TITLE)).one()
        hosts = {host.name: host for host in ticket.hosts}
        assert set(hosts) == {SWITCH, BMC}
        switch_host, bmc_host = hosts[SWITCH], hosts[BMC]
        # The demo's gear as the issue describes it, before anything is changed.
        assert (switch_host.transport.value, switch_host.device_transport) == ("device", "cisco-ios")
        assert (switch_host.os_family, switch_host.vendor) == ("network", "cisco")
        assert (bmc_host.transport.value, bmc_host.device_transport) == ("device", "redfish")
        assert (bmc_host.os_family, bmc_host.vendor) == ("bmc", "dell")
        assert switch_host.credential is not None and switch_host.credential.vault_key == DEMO_VAULT_KEY
        # The simulated switch has its own login: the demo credential becomes that account's.
        switch_host.credential.username = switch.username
        switch_host.address, switch_host.port = switch.host, switch.port
        # The BMC has another account and password: a credential of its own.
        bmc_host.credential = CredentialRef(
            label="iDRAC de la mairie (démo)", kind=CredentialKind.PASSWORD, username=bmc.user, vault_key=BMC_VAULT_KEY
        )
        bmc_host.address, bmc_host.port = bmc.host, bmc.port
        bmc_host.device_options = {"system": SYSTEM_UUID}  # the emulator's one system, named as the plugin allows
        engineer = session.scalars(select(Engineer).where(func.lower(Engineer.email) == DEMO_ENGINEER)).one()
        assert ticket.assignee is engineer
        # In the demo Camille is on site for INC-2026-01041; an engineer has one intervention under way at a time,
        # so she ends it first, as the app asks her to.
        while (running := interventions.running_for(session, engineer)) is not None:
            interventions.end(session, running, author=engineer)
        intervention = interventions.start(session, ticket, engineer=engineer, on_site=True)
        session.commit()
        return ticket.reference, intervention.id


def engineers_day(run: Scenario) -> None:
    """The engineer's commands, in order. Nothing is asserted here: each test reads what it needs."""
    data, results, on_ticket = run.data, run.results, ["--ticket", run.reference]

    def action(name: str, *arguments: str) -> None:
        results[name] = supportstation(data, "actions", "run", *arguments, *on_ticket, "--json")

    # The backup before the change; the switch's SSH host key is learned on the way.
    action("backup before", "cisco.running_config", SWITCH, "--accept-new-host-key")
    # No --yes, no terminal: refused. What the database and the switch saw around it is kept to check nothing ran.
    run.counts_before_refusal = run.recorded()
    log_size = len(run.switch.log_text())
    results["refused"] = supportstation(data, "actions", "run", "cisco.set_vlan_name", SWITCH, "-p", "vlan_id=140",
                                        "-p", "name=CAMERAS", *on_ticket)  # fmt: skip
    run.counts_after_refusal = run.recorded()
    run.switch_log_of_refusal = run.switch.log_text()[log_size:]
    # The change, said yes to: VLAN 140 named CAMERAS, then the camera port moved into it.
    action("vlan named", "cisco.set_vlan_name", SWITCH, "-p", "vlan_id=140", "-p", "name=CAMERAS", "--yes")
    action("port moved", "cisco.set_access_vlan", SWITCH, "-p", f"interface={PORT}", "-p", "vlan_id=140", "--yes")
    action("backup after", "cisco.running_config", SWITCH)
    action("vlans", "cisco.vlans", SWITCH)
    # The server, through its BMC; its self-signed certificate is pinned on the way.
    action("health", "redfish.health", BMC, "--accept-new-host-key")
    action("event log", "redfish.event_log", BMC, "-p", "count=10")
    # The report, in French.
    run.pdf = data / "rapport.pdf"
    results["report"] = supportstation(data, "--lang", "fr", "reports", "render", run.reference, "--pdf",
                                       str(run.pdf))  # fmt: skip
    if results["report"].returncode == 0:
        text = subprocess.run(["pdftotext", "-layout", str(run.pdf), "-"], capture_output=True, text=True, check=True)
        # NFKC: the PDF's text has typographic ligatures ("Modiﬁcations" with U+FB01), compared here as letters.
        run.pdf_pages = unicodedata.normalize("NFKC", text.stdout).split("\f")[:-1]
        if os.environ.get("SUPPORTSTATION_SHOTS"):
            shutil.rmtree(SHOTS, ignore_errors=True)
            SHOTS.mkdir(parents=True)
            subprocess.run(["pdftoppm", "-png", "-r", "70", str(run.pdf), str(SHOTS / "page")], check=True)
    results["audit"] = supportstation(data, "audit", "verify", "--json")
    results["timeline"] = supportstation(data, "tickets", "show", run.reference, "--json")


# -- the switch --------------------------------------------------------------------------------------------------------


def test_the_switch_is_backed_up_changed_and_backed_up_again(scenario: Scenario) -> None:
    switch = scenario.switch
    before = scenario.action("backup before")
    assert before["target"] == SWITCH
    assert before["url"] == f"cisco-ios://{switch.username}@127.0.0.1:{switch.port}"
    assert before["host_key_fingerprint"] == switch.fingerprint
    assert f"hostname {switch.hostname}" in unix_text(before) and "vlan 140" not in unix_text(before)

    named = scenario.action("vlan named")
    assert named["command"] == "configure terminal\nvlan 140\nname CAMERAS\nend"
    moved = scenario.action("port moved")
    assert moved["command"] == f"configure terminal\ninterface {PORT}\nswitchport access vlan 140\nend"
    for change in (named, moved):
        assert "Invalid input" not in change["stdout"] + change["stderr"]
        assert change["stdout"].rstrip().endswith(f"{switch.hostname}#"), "back at the exec prompt"

    after = unix_text(scenario.action("backup after"))
    assert "vlan 140\n name CAMERAS\n" in after
    port_block = after.split("interface FastEthernet0/12\n", 1)[1].split("!", 1)[0]
    assert port_block.strip() == "switchport access vlan 140"
    camera_vlan = next(row for row in table_rows(scenario.action("vlans")) if row["VLAN"] == "140")
    assert (camera_vlan["Name"], camera_vlan["Ports"]) == ("CAMERAS", "Fa0/12")
    # Each backup is also a file on the ticket, as stored (same bytes, same SHA-256), named after the switch.
    with sqlite3.connect(scenario.database_file) as connection:
        files = connection.execute("SELECT file_name, stored_path, sha256 FROM attachment ORDER BY id").fetchall()
    backups = [(name, path, digest) for name, path, digest in files if name.endswith("-running-config.txt")]
    assert len(backups) == 2 and all(name.startswith(f"{SWITCH}-") for name, _path, _digest in backups)
    first, last = (next(scenario.data.rglob(Path(path).name)) for _name, path, _digest in backups)
    assert hashlib.sha256(last.read_bytes()).hexdigest() == backups[1][2]
    assert "vlan 140" in last.read_text() and "vlan 140" not in first.read_text()
    # The vault's secrets never show.
    for name in ("backup before", "vlan named", "port moved", "backup after"):
        shown = scenario.results[name].stdout + scenario.results[name].stderr
        assert switch.password not in shown and switch.enable_secret not in shown


def test_a_vlan_change_without_yes_or_terminal_is_refused_and_nothing_runs(scenario: Scenario) -> None:
    refused = scenario.results["refused"]
    assert refused.returncode == 2
    assert refused.stderr.strip() == (
        "Error: Change the VLAN on the switch? Add --yes to run cisco.set_vlan_name without a terminal."
    )
    assert refused.stdout == ""
    # Nothing recorded or audited, no login on the switch: it was refused before connecting. The simulator logs
    # each session's enable mode and each configuration mode entered: five sessions, one VLAN configured in all.
    assert scenario.counts_after_refusal == scenario.counts_before_refusal
    assert "new subprocessor" not in scenario.switch_log_of_refusal
    log = scenario.switch.log_text()
    assert log.count("new subprocessor = Enabled") == 5 and log.count("new subprocessor = ConfigVlan") == 1


# -- the BMC -----------------------------------------------------------------------------------------------------------


def test_the_servers_health_and_event_log_through_its_bmc(scenario: Scenario) -> None:
    bmc = scenario.bmc
    health = scenario.action("health")
    assert health["target"] == BMC and health["url"] == f"redfish://{bmc.user}@127.0.0.1:{bmc.port}"
    assert health["table"]["columns"] == ["Component", "Name", "Health", "State", "Reading"]
    parts = table_rows(health)
    system = next(row for row in parts if row["Component"] == "System")
    assert (system["Health"], system["State"], system["Reading"]) == ("OK", "Enabled", "Power On")
    assert {"Component": "Power supply", "Name": "PS2 Status", "Health": "Critical", "State": "Enabled",
            "Reading": "800 W, 0 V in"} in parts  # fmt: skip

    events = scenario.action("event log")
    assert events["table"]["columns"] == ["Time", "Severity", "Log", "Source", "Message"]
    entries = table_rows(events)
    assert len(entries) == 10  # the 10 newest of SEL_ENTRY_COUNT, which the BMC serves oldest first over two pages
    newest = entries[0]
    assert (newest["Severity"], newest["Log"], newest["Source"]) == ("Critical", "Sel", "Power Supply")
    assert newest["Message"] == "The input power for power supply 2 is lost."
    assert f'"total": {SEL_ENTRY_COUNT}' in events["stdout"]

    pins = (scenario.app_paths.data / "winrm_certificates").read_text()
    assert f"127.0.0.1:{bmc.port} {bmc.certificate.sha256}" in pins  # --accept-new-host-key pinned it for good
    for name in ("health", "event log"):
        assert bmc.password not in scenario.results[name].stdout + scenario.results[name].stderr


# -- the report --------------------------------------------------------------------------------------------------------


def test_the_french_report_has_the_runs_and_the_config_diff(scenario: Scenario) -> None:
    rendered = scenario.results["report"]
    assert rendered.returncode == 0, rendered.stderr
    assert "(draft)" in rendered.stdout or "(brouillon)" in rendered.stdout
    text = "\f".join(scenario.pdf_pages)
    assert "Rapport d'intervention" in text and scenario.reference in text
    registry = PluginRegistry(user_folder=None, disabled=())
    registry.load()
    flat = " ".join(text.split())
    for action_id in ("cisco.running_config", "cisco.set_vlan_name", "cisco.set_access_vlan", "redfish.health",
                      "redfish.event_log"):  # fmt: skip
        title = registry.action_title(action_id, "fr")  # each run named by its action's French title, then its id
        assert title and action_id in flat and " ".join(title.split()[:2]) in flat, (action_id, title)  # columns wrap
    assert "The input power for power supply 2 is lost." in text  # the event log's output, in the appendix

    page = scenario.diff_page()
    flowing = " ".join(page.split())
    assert "Lignes retirées en rouge (-), ajoutées en vert (+)" in flowing
    assert "Section ajoutée par l'extension cisco-ios." in flowing
    # The change is in the diff, and none of the lines IOS rewrites by itself between two backups.
    diff = flowing.split("ajoutées en vert (+).", 1)[1].split("Section ajoutée", 1)[0]
    for added in ("+vlan 140", "+ name CAMERAS", "+ switchport access vlan 140"):
        assert added in diff, added
    for volatile in ("ntp clock-period", "Last configuration change", "NVRAM config", "Current configuration"):
        assert volatile not in diff, volatile


def test_the_diff_section_is_titled_with_the_switchs_name(scenario: Scenario) -> None:
    text = "\f".join(scenario.pdf_pages)
    assert SECTION_TITLE in text and SECTION_PREFIX + "cisco-ios://" not in text
    page = scenario.diff_page()
    assert f"--- {SWITCH} (avant)" in page and f"+++ {SWITCH} (après)" in page


def test_the_diff_is_shown_one_line_per_line(scenario: Scenario) -> None:
    lines = [line.strip() for line in scenario.diff_page().splitlines()]
    assert "+vlan 140" in lines and "+ name CAMERAS" in lines and "+ switchport access vlan 140" in lines
    assert any(line.startswith("@@ -") for line in lines)


# -- the audit trail and the timeline ----------------------------------------------------------------------------------


def test_the_audit_trail_verifies_and_the_timeline_has_the_runs(scenario: Scenario) -> None:
    verified = scenario.results["audit"]
    report = json.loads(verified.stdout)
    assert verified.returncode == 0 and report["intact"], verified.stdout
    assert report["records"] == 7  # the refused change is not among them

    shown = scenario.results["timeline"]
    assert shown.returncode == 0, shown.stderr
    timeline = json.loads(shown.stdout)["timeline"]
    kinds = [event["kind"] for event in timeline]
    assert kinds.count("intervention_started") == 1
    commands = [event["summary"] for event in timeline if event["kind"] == "command"]
    assert commands == [
        f"{SWITCH} [cisco.running_config] — exit code 0",
        f"{SWITCH} [cisco.set_vlan_name] — exit code 0",
        f"{SWITCH} [cisco.set_access_vlan] — exit code 0",
        f"{SWITCH} [cisco.running_config] — exit code 0",
        f"{SWITCH} [cisco.vlans] — exit code 0",
        f"{BMC} [redfish.health] — exit code 0",
        f"{BMC} [redfish.event_log] — exit code 0",
    ]
    assert kinds.index("intervention_started") < kinds.index("command")
    # The switch's host key and the BMC's certificate, each accepted once, before the first run on it.
    keys = [event["summary"] for event in timeline if event["kind"] == "host_key"]
    assert len(keys) == 2
    assert f"[127.0.0.1]:{scenario.switch.port}" in keys[0] and scenario.switch.fingerprint in keys[0]
    assert f"127.0.0.1:{scenario.bmc.port}" in keys[1] and "TLS certificate" in keys[1]

    with sqlite3.connect(scenario.database_file) as connection:
        runs = connection.execute(
            "SELECT host.name, remote_run.ticket_id FROM remote_run JOIN host ON host.id = remote_run.host_id"
            " ORDER BY remote_run.id"
        ).fetchall()
        [(ended,)] = connection.execute("SELECT ended_at FROM intervention WHERE id = ?", (scenario.intervention_id,))
    assert [host for host, _ticket in runs] == [SWITCH] * 5 + [BMC] * 2
    assert ended is None  # the intervention still runs: the report is its draft

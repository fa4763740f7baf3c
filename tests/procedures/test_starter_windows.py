"""The Windows starter procedures run through the engine against the WS-Management simulator (no Windows host can run
here), which answers each procedure script with what that script prints on a Windows Server host
(winrm_simulator.procedure_answers): a healthy host, and a host with the fault the procedure looks for.

Checked for each: the scripts reach the host in order and with their parameters quoted, a customer's consent holds
back the disruptive step, the checks pass or fail on what the host answered, the captured values and the final note
say what was found (in French for a French run), and a failed step's reason is the FINDING line that failed it.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator

import pytest

from supportstation.procedures.engine import Need, ProcedureEngine, RunServices
from supportstation.procedures.files import ProcedureDocument, load
from supportstation.procedures.run_store import RunStatus, StepStatus
from supportstation.remote.powershell import PRELUDE
from supportstation.remote.targets import Target, WinrmOptions, WinrmShell
from tests.procedures.conftest import ProcedureLab
from tests.procedures.starter_lab import (
    STARTERS,
    WINDOWS,
    Outputs,
    finish,
    go_to,
    latest,
    note,
    password_services,
    states,
)

if not os.environ.get("CI"):  # on the CI machine the simulator must be there (tools/bootstrap installs it)
    pytest.importorskip("winrm_simulator", reason="tools/bootstrap --test installs simulators/")
from winrm_simulator import CertPair, WinRMSimulator, make_cert_pair
from winrm_simulator.procedure_answers import answer_procedures, answer_reachability, answer_spooler_cmd

USER, PASSWORD = "support", "Imprim3-Tilleuls!"
HOST = "srv-win-01"
SPOOLER = load(WINDOWS / "print-spooler-reset.yaml")
DISK = load(WINDOWS / "disk-cleanup-check.yaml")
UPDATES = load(WINDOWS / "update-status.yaml")
PROFILE = load(WINDOWS / "stuck-user-profile.yaml")
TLS = load(STARTERS / "tls-certificate.yaml")
REACHABILITY = load(STARTERS / "network-reachability.yaml")


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> CertPair:
    return make_cert_pair(tmp_path_factory.mktemp("winrm-certs"))


@dataclasses.dataclass
class WindowsHost:
    lab: ProcedureLab
    simulator: WinRMSimulator
    target: Target

    def use_shell(self, shell: WinrmShell) -> None:
        """The host's preferred WinRM shell, as the inventory says it (cmd first, PowerShell second, or the reverse)."""
        assert self.target.winrm is not None
        self.target = dataclasses.replace(self.target, winrm=dataclasses.replace(self.target.winrm, shell=shell))
        self.lab.hosts[HOST] = self.target

    def markers(self) -> list[str]:
        """The step of each PowerShell script the host received, from its first comment line."""
        found = []
        for script in self.simulator.powershell_scripts:
            assert script.startswith(PRELUDE)  # sent whole, after the UTF-8 prelude
            match = re.search(r"^# [\w.-]+: (.+)$", script, re.MULTILINE)
            found.append(match.group(1) if match else script.removeprefix(PRELUDE).splitlines()[0])
        return found


@pytest.fixture
def windows(procedure_lab: ProcedureLab, certs: CertPair) -> Iterator[WindowsHost]:
    # run_commands=False: cmd lines are answered from the simulator's table, never run on this machine.
    with WinRMSimulator(users={USER: PASSWORD}, https=certs, run_commands=False, machine="SRV-WIN-01") as simulator:
        target = Target(
            host="127.0.0.1",
            port=simulator.port,
            user=USER,
            name=HOST,
            winrm=WinrmOptions(https=True, auth="ntlm", ca_file=certs.ca),
        )
        procedure_lab.hosts[HOST] = target
        yield WindowsHost(procedure_lab, simulator, target)


async def start(
    host: WindowsHost, document: ProcedureDocument, outputs: Outputs, language: str = "en", **parameters: object
) -> tuple[RunServices, ProcedureEngine]:
    services = password_services(host.lab, PASSWORD, observer=outputs, language=language)
    engine = await ProcedureEngine.start(services, document, targets=[HOST], parameters=parameters)
    return services, engine


# --- print spooler reset ----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_spooler_reset_waits_for_consent_then_clears_the_stuck_queue(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "spooler-stuck-queue")
    outputs = Outputs()
    services, engine = await start(windows, SPOOLER, outputs)
    try:
        await go_to(engine, Need.CONSENT, "consent")
        # Only the state was read: nothing that stops the spooler or deletes a job reached the host before consent.
        assert windows.markers() == ["state"]
        assert engine.values["status_before"] == "Running"
        assert engine.values["queued_before"] == "4"
        assert engine.values["spool_folder"] == r"C:\Windows\System32\spool\PRINTERS"
        assert "00017.SPL 843776" in outputs.text(engine, "state_before")

        await engine.consent("Marie Dupont", "MD")
        await finish(engine)
        assert engine.state is RunStatus.COMPLETED
        assert windows.markers() == ["state", "stop", "clear queue", "start", "check"]
        clear = windows.simulator.powershell_scripts[2]
        assert r"$dir = 'C:\Windows\System32\spool\PRINTERS'" in clear  # the captured folder, quoted for PowerShell
        found = states(engine)
        assert found["crashes"] is StepStatus.NOT_APPLICABLE  # only looked at when the spooler does not stay up
        assert all(found[step] is StepStatus.PASSED for step in ("stop", "clear_queue", "start", "check"))
        assert note(engine) == (
            r"Print spooler: Running before, Running after the reset. Queue (C:\Windows\System32\spool\PRINTERS): "
            "4 file(s) before, 0 after. Printers installed: 6."
        )
    finally:
        await services.pool.close()


@pytest.mark.asyncio
async def test_a_spooler_that_crashes_again_is_found_with_its_faulting_driver(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "spooler-driver-crash")
    outputs = Outputs()
    services, engine = await start(windows, SPOOLER, outputs, language="fr")
    try:
        await go_to(engine, Need.CONSENT, "consent")
        assert engine.values["status_before"] == "Stopped"
        await engine.consent("Marie Dupont", "MD")
        await finish(engine)
        records = latest(engine)
        assert records["start"].state is StepStatus.PASSED  # Start-Service succeeded…
        assert records["check"].state is StepStatus.FAILED  # …but five seconds later the spooler is down again
        assert "FINDING: the spooler is Stopped 5 s after it was started" in records["check"].reason
        assert records["crashes"].state is StepStatus.PASSED
        crashes = outputs.text(engine, "crashes")
        assert "Nom du module défaillant : hpcpn6de.dll" in crashes and "Id           : 7031" in crashes
        assert windows.markers()[-1] == "crashes"
        assert note(engine) == (
            r"Spouleur d'impression : Stopped avant, Stopped après la réinitialisation. File d'attente "
            r"(C:\Windows\System32\spool\PRINTERS) : 2 fichier(s) avant, 0 après. Imprimantes installées : unknown."
        )
    finally:
        await services.pool.close()


@pytest.mark.asyncio
async def test_on_a_cmd_host_the_spooler_is_reset_with_net_stop_del_and_net_start(windows: WindowsHost) -> None:
    windows.use_shell(WinrmShell.CMD)
    answer_procedures(windows.simulator, "spooler-stuck-queue")
    answer_spooler_cmd(windows.simulator)
    outputs = Outputs()
    services, engine = await start(windows, SPOOLER, outputs)
    try:
        await go_to(engine, Need.CONSENT, "consent")
        assert windows.simulator.command_lines[-1].startswith("powershell.exe")  # the state has no cmd variant
        await engine.consent("Marie Dupont", "MD")
        await finish(engine)
        cmd_lines = [line for line in windows.simulator.command_lines if not line.startswith("powershell.exe")]
        assert cmd_lines == [
            "net stop Spooler /y",
            r'pushd "C:\Windows\System32\spool\PRINTERS" && (del /f /q *.* & popd)',
            "net start Spooler",
        ]
        assert "Le service Spouleur d'impression a été arrêté." in outputs.text(engine, "stop")
        assert windows.markers() == ["state", "check"]
        assert all(state is not StepStatus.FAILED for state in states(engine).values())
    finally:
        await services.pool.close()


# --- disk cleanup check -----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_disk_cleanup_check_finds_the_full_system_drive_and_what_can_be_freed(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "disk-low-space")
    outputs = Outputs()
    services, engine = await start(windows, DISK, outputs, language="fr", min_free_pct=15, min_age_days=14)
    try:
        await finish(engine)
        records = latest(engine)
        assert records["volumes"].state is StepStatus.FAILED
        assert "FINDING: C: has only 7.4 % free (9.4 GB)" in records["volumes"].reason
        assert "$min = [int]'15'" in windows.simulator.powershell_scripts[0]
        assert "$days = [int]'14'" in windows.simulator.powershell_scripts[1]
        assert records["reclaimable"].captured == {"reclaimable_gb": "18.4", "largest_place": "Memory dumps (8 GB)"}
        assert records["component_store"].captured == {"component_cleanup": "Oui"}
        assert windows.markers() == ["volumes", "reclaimable", "component store"]
        summary = note(engine)
        assert summary.startswith(
            "Lecteur système : 9.4 Go libres (7.4 %) ; volumes sous le seuil : C:. Environ 18.4 Go peuvent être "
            "libérés (surtout : Memory dumps (8 GB)). Nettoyage du magasin des composants recommandé par DISM : Oui."
        )
    finally:
        await services.pool.close()


@pytest.mark.asyncio
async def test_disk_cleanup_check_on_a_healthy_host_passes(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "disk-healthy")
    outputs = Outputs()
    services, engine = await start(windows, DISK, outputs)
    try:
        await finish(engine)
        assert set(states(engine).values()) == {StepStatus.PASSED}
        assert engine.values["low_volumes"] == "none"
        assert engine.values["component_cleanup"] == "No"
        assert "System drive: 57.3 GB free (45.2%); volumes below the threshold: none." in note(engine)
    finally:
        await services.pool.close()


# --- Windows Update status --------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_update_status_finds_a_failed_update_and_a_pending_restart(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "update-pending-reboot")
    outputs = Outputs()
    services, engine = await start(windows, UPDATES, outputs)
    acknowledged: list[str] = []
    try:
        await finish(engine, acknowledged.append)
        records = latest(engine)
        assert records["services"].state is StepStatus.PASSED
        assert engine.values["update_source"] == "WSUS http://wsus.tilleuls.local:8530"
        assert records["history"].state is StepStatus.FAILED
        assert "FINDING: 1 update(s) failed in the last 30 days" in records["history"].reason
        assert "KB5046542" in records["history"].reason
        assert records["reboot"].state is StepStatus.FAILED
        assert engine.values["reboot_reasons"] == "Component Based Servicing, Windows Update"
        assert acknowledged == ["restart_advice"]  # the engineer is told to plan the restart with the customer
        assert "$max = [int]'45'" in windows.simulator.powershell_scripts[1]
        assert note(engine) == (
            "Windows Update (WSUS http://wsus.tilleuls.local:8530), wuauserv service: Manual. Last update installed: "
            "2026-11-19 (4 days ago); failures in 30 days: 1. Restart pending: True (Component Based Servicing, "
            "Windows Update); last boot: 2026-10-16 03:41."
        )
    finally:
        await services.pool.close()


@pytest.mark.asyncio
async def test_update_status_of_an_up_to_date_host(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "update-healthy")
    outputs = Outputs()
    services, engine = await start(windows, UPDATES, outputs)
    try:
        await finish(engine)
        found = states(engine)
        assert found.pop("restart_advice") is StepStatus.NOT_APPLICABLE
        assert set(found.values()) == {StepStatus.PASSED}
        assert engine.values["reboot_pending"] == "False"
        assert "Restart pending: False (none)" in note(engine)
    finally:
        await services.pool.close()


# --- stuck user profile -----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_temporary_profile_with_a_bak_key_is_diagnosed_and_its_repair_explained(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "profile-bak")
    outputs = Outputs()
    services, engine = await start(windows, PROFILE, outputs, language="fr", user="TILLEULS\\jdupont")
    sid = "S-1-5-21-3623811015-3361044348-30300820-1013"
    try:
        await finish(engine)
        assert "$user = 'TILLEULS\\jdupont'" in windows.simulator.powershell_scripts[0]
        assert f"$sid = '{sid}'" in windows.simulator.powershell_scripts[1]
        records = latest(engine)
        assert records["account"].captured == {"sid": sid, "account": "TILLEULS\\jdupont"}
        assert records["registry"].state is StepStatus.FAILED
        assert f"FINDING: both {sid} and {sid}.bak exist" in records["registry"].reason
        assert records["registry"].captured == {
            "diagnosis": "bak-duplicate",
            "profile_path": r"C:\Users\jdupont",
            "bak_present": "True",
        }
        assert "1511  Windows ne peut pas trouver le profil local" in outputs.text(engine, "loaded")
        found = states(engine)
        assert found["fix_bak_duplicate"] is StepStatus.PASSED
        assert {found[s] for s in ("fix_bak_only", "fix_missing_folder", "fix_none")} == {StepStatus.NOT_APPLICABLE}
        repair = note(engine, "fix_bak_duplicate")
        assert f"renommer {sid}.bak en {sid}" in repair and r"Dossier du profil : C:\Users\jdupont." in repair
        assert note(engine).startswith(f"Profil de TILLEULS\\jdupont ({sid}) : diagnostic bak-duplicate")
    finally:
        await services.pool.close()


@pytest.mark.asyncio
async def test_a_healthy_profile_points_to_the_event_log_instead(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "profile-healthy")
    outputs = Outputs()
    services, engine = await start(windows, PROFILE, outputs, user="asmith@contoso.com")
    try:
        await finish(engine)
        found = states(engine)
        assert found["registry"] is StepStatus.PASSED and found["loaded"] is StepStatus.PASSED
        assert found["fix_none"] is StepStatus.PASSED and found["fix_bak_duplicate"] is StepStatus.NOT_APPLICABLE
        assert "Nothing wrong in ProfileList for S-1-5-21-1004336348-1177238915-682003330-1107" in note(
            engine, "fix_none"
        )
    finally:
        await services.pool.close()


@pytest.mark.asyncio
async def test_an_unknown_user_stops_the_profile_triage_at_once(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "profile-unknown-user")
    outputs = Outputs()
    services, engine = await start(windows, PROFILE, outputs, user="TILLEULS\\jdupond")
    try:
        await go_to(engine, Need.DECISION, "account")
        assert engine.state is RunStatus.FAILED
        assert windows.markers() == ["account"]  # nothing else was looked up without a SID
        assert "Impossible de traduire" in outputs.text(engine, "account")
    finally:
        await services.pool.close()


def test_a_user_parameter_refuses_what_is_no_account_name() -> None:
    from supportstation.plugin_api.actions import ParameterError
    from supportstation.procedures.templates import resolve_parameters

    for accepted in ("CONTOSO\\asmith", "asmith", "asmith@contoso.com", "S-1-5-21-1004336348-1177238915-1107"):
        assert resolve_parameters(PROFILE.procedure, {"user": accepted})["user"] == accepted
    for refused in ("a b", "CONTOSO\\a\\b", "x;y", "a|b", ""):
        with pytest.raises(ParameterError):
            resolve_parameters(PROFILE.procedure, {"user": refused})


# --- the vendor-neutral starters from a Windows host ------------------------------------------------------------


@pytest.mark.asyncio
async def test_tls_certificate_that_expires_soon_from_a_windows_host(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "tls-expiring")
    outputs = Outputs()
    services, engine = await start(windows, TLS, outputs, server="intranet.tilleuls.local", warn_days=30)
    try:
        await finish(engine)
        [script] = windows.simulator.powershell_scripts
        assert "$server = 'intranet.tilleuls.local'" in script and "$warn = [int]'30'" in script
        record = latest(engine)["certificate"]
        assert record.state is StepStatus.FAILED and "FINDING: the certificate expires in 9 days" in record.reason
        assert note(engine) == (
            "TLS certificate of intranet.tilleuls.local:443: CN=intranet.tilleuls.local, O=Clinique des Tilleuls, "
            "L=Lyon, C=FR, issued by CN=Tilleuls-CA-01, DC=tilleuls, DC=local, valid until 2026-12-02 23:59:59 UTC "
            "(9 days left); verification by the host: None."
        )
    finally:
        await services.pool.close()


@pytest.mark.asyncio
async def test_tls_certificate_of_a_healthy_site_from_a_windows_host(windows: WindowsHost) -> None:
    answer_procedures(windows.simulator, "tls-healthy")
    services, engine = await start(windows, TLS, Outputs(), server="www.contoso.com")
    try:
        await finish(engine)
        assert latest(engine)["certificate"].state is StepStatus.PASSED
        assert engine.values["days_left"] == "241"
    finally:
        await services.pool.close()


@pytest.mark.asyncio
async def test_network_reachability_from_a_windows_host_reads_past_the_byte_order_mark(windows: WindowsHost) -> None:
    answer_reachability(windows.simulator)
    outputs = Outputs()
    services, engine = await start(windows, REACHABILITY, outputs, destination="srv-app1", port=8443)
    try:
        await finish(engine)
        assert outputs.text(engine, "resolve").startswith("\ufeff10.20.0.15")  # as Windows PowerShell 5.1 writes it
        records = latest(engine)
        assert records["resolve"].state is StepStatus.PASSED
        assert records["route"].state is StepStatus.PASSED
        assert records["service"].state is StepStatus.FAILED  # the port is closed: that is the finding
        assert note(engine) == "Result: resolved to 10.20.0.15; 3 ping replies out of 3; port 8443 reachable: False."
    finally:
        await services.pool.close()

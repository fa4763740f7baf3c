"""The simulator's answers to the Windows scripts of SupportStation's starter procedures, for tests and the demo.

Each procedure script starts with a comment naming its procedure and step (`# windows.print-spooler-reset: stop`);
the simulator recognises a script by that line and answers with what the script prints on a Windows Server host,
for a healthy host and for the faults the procedures look for. The two network starters, whose first lines are
cmdlets, are recognised by those.

The outputs in `procedure_outputs/` were written for the simulator in the shape these scripts print with Windows
PowerShell 5.1 (their own `key=value` and `FINDING:` lines, Format-Table and Format-List layouts, French system
strings as a French Windows Server words them, DISM's text); they were not captured on real hosts. They are stored
as readable UTF-8 text with LF line ends; `answer` sends them as PowerShell 5.1 does after SupportStation's prelude:
CRLF line ends and a UTF-8 byte order mark first (`[Console]::OutputEncoding = UTF8`). cmd answers (the spooler's
net stop / net start) get CRLF and no mark.

    answer_procedures(simulator, "spooler-stuck-queue")   # registers every script of that scenario
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .powershell import Response, clixml_error
from .server import WinRMSimulator

OUTPUTS = Path(__file__).with_name("procedure_outputs")
BOM = b"\xef\xbb\xbf"
SPOOL_FOLDER = r"C:\Windows\System32\spool\PRINTERS"


@dataclass(frozen=True)
class Recorded:
    """One script's answer: an output file, the exit code, and PowerShell error lines (sent as CLIXML on stderr)."""

    file: str = ""
    exit_code: int = 0
    errors: tuple[str, ...] = ()

    def response(self, *, powershell: bool = True) -> Response:
        text = (OUTPUTS / self.file).read_text(encoding="utf-8") if self.file else ""
        data = text.replace("\n", "\r\n").encode("utf-8")
        if powershell and data:
            data = BOM + data
        stderr = clixml_error(list(self.errors)) if self.errors else b""
        return Response(stdout=data, stderr=stderr, exit_code=self.exit_code)


def _marker(procedure: str, step: str) -> re.Pattern[str]:
    return re.compile(rf"^# {re.escape(procedure)}: {re.escape(step)}\s*$", re.MULTILINE)


SPOOLER = "windows.print-spooler-reset"
DISK = "windows.disk-cleanup-check"
UPDATE = "windows.update-status"
PROFILE = "windows.stuck-user-profile"
TLS = "network.tls-certificate"

_SPOOLER_RESET = {
    (SPOOLER, "stop"): Recorded("spooler.stop.fr.txt"),
    (SPOOLER, "start"): Recorded("spooler.start.fr.txt"),
}

# Scenario name -> (procedure, step) -> answer. The names say the host and the fault.
SCENARIOS: dict[str, dict[tuple[str, str], Recorded]] = {
    # A French print server whose queue holds two stuck jobs; the reset clears them and the spooler stays up.
    "spooler-stuck-queue": {
        (SPOOLER, "state"): Recorded("spooler.state.running-queue.fr.txt"),
        **_SPOOLER_RESET,
        (SPOOLER, "clear queue"): Recorded("spooler.clear.4.fr.txt"),
        (SPOOLER, "check"): Recorded("spooler.check.running.fr.txt"),
    },
    # The spooler is found stopped and crashes again 5 s after it starts: an HP driver DLL faults in spoolsv.exe.
    "spooler-driver-crash": {
        (SPOOLER, "state"): Recorded("spooler.state.stopped.fr.txt"),
        **_SPOOLER_RESET,
        (SPOOLER, "clear queue"): Recorded("spooler.clear.2.fr.txt"),
        (SPOOLER, "check"): Recorded("spooler.check.crashed.fr.txt"),
        (SPOOLER, "crashes"): Recorded("spooler.crashes.fr.txt"),
    },
    # A French file server with 7 % free on C:, an 8 GB memory dump, and DISM recommending a cleanup.
    "disk-low-space": {
        (DISK, "volumes"): Recorded("disk.volumes.low.fr.txt"),
        (DISK, "reclaimable"): Recorded("disk.reclaimable.low.fr.txt"),
        (DISK, "component store"): Recorded("disk.component-store.fr.txt"),
    },
    "disk-healthy": {
        (DISK, "volumes"): Recorded("disk.volumes.healthy.en.txt"),
        (DISK, "reclaimable"): Recorded("disk.reclaimable.healthy.en.txt"),
        (DISK, "component store"): Recorded("disk.component-store.en.txt"),
    },
    # A French server fed by WSUS: a .NET update failed, a restart is pending since the last patch night.
    "update-pending-reboot": {
        (UPDATE, "services"): Recorded("update.services.wsus.fr.txt"),
        (UPDATE, "history"): Recorded("update.history.failed.fr.txt"),
        (UPDATE, "pending restart"): Recorded("update.reboot.pending.fr.txt"),
    },
    "update-healthy": {
        (UPDATE, "services"): Recorded("update.services.healthy.en.txt"),
        (UPDATE, "history"): Recorded("update.history.healthy.en.txt"),
        (UPDATE, "pending restart"): Recorded("update.reboot.none.en.txt"),
    },
    # TILLEULS\jdupont signs in with a temporary profile: the SID key points to TEMP, the real one is SID.bak.
    "profile-bak": {
        (PROFILE, "account"): Recorded("profile.account.bak.fr.txt"),
        (PROFILE, "registry"): Recorded("profile.registry.bak.fr.txt"),
        (PROFILE, "loaded"): Recorded("profile.loaded.bak.fr.txt"),
    },
    "profile-healthy": {
        (PROFILE, "account"): Recorded("profile.account.healthy.en.txt"),
        (PROFILE, "registry"): Recorded("profile.registry.healthy.en.txt"),
        (PROFILE, "loaded"): Recorded("profile.loaded.healthy.en.txt"),
    },
    # A user name no domain controller knows: NTAccount.Translate fails, as on a French host.
    "profile-unknown-user": {
        (PROFILE, "account"): Recorded(
            "",
            exit_code=1,
            errors=(
                "Exception lors de l'appel de « Translate » avec « 1 » argument(s) : « Impossible de traduire "
                "certaines ou toutes les références d'identité. »",
                "Au caractère Ligne:9 : 3",
                "+   $sid = ([System.Security.Principal.NTAccount]$user).Translate([System.Secu ...",
                "+   ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~",
                "    + CategoryInfo          : NotSpecified: (:) [], MethodInvocationException",
                "    + FullyQualifiedErrorId : IdentityNotMappedException",
            ),
        ),
    },
    "tls-expiring": {(TLS, "certificate"): Recorded("tls.expiring.fr.txt")},
    "tls-healthy": {(TLS, "certificate"): Recorded("tls.healthy.en.txt")},
}

# The network reachability starter's scripts start with their cmdlet (its preview shows that first line).
REACHABILITY_CLOSED_PORT = {
    re.compile(r"^Resolve-DnsName\b", re.MULTILINE): Recorded("reachability.resolve.fr.txt"),
    re.compile(r"^\s*\$replies = @\(Test-Connection\b", re.MULTILINE): Recorded("reachability.route.fr.txt"),
    re.compile(r"^\(Test-NetConnection\b", re.MULTILINE): Recorded("reachability.port-closed.fr.txt"),
}

# The cmd variants of the spooler reset, as a host whose WinRM shell is cmd runs them (folder from the state step).
SPOOLER_CMD = {
    "net stop Spooler /y": Recorded("spooler.net-stop.fr.txt"),
    f'pushd "{SPOOL_FOLDER}" && (del /f /q *.* & popd)': Recorded(""),
    "net start Spooler": Recorded("spooler.net-start.fr.txt"),
}


def answer_procedures(simulator: WinRMSimulator, scenario: str) -> None:
    """Registers the answers of `scenario` ahead of any response registered before, so a broader pattern (a demo
    action's "Win32_LogicalDisk") does not answer a procedure's script first."""
    answers: dict[str | re.Pattern[str], Response] = {
        _marker(procedure, step): recorded.response() for (procedure, step), recorded in SCENARIOS[scenario].items()
    }
    answers.update(simulator.powershell_responses)
    simulator.powershell_responses.clear()
    simulator.powershell_responses.update(answers)


def answer_reachability(simulator: WinRMSimulator) -> None:
    """The network reachability starter from a French Windows host: the name resolves, pings answer, the port is
    closed."""
    for pattern, recorded in REACHABILITY_CLOSED_PORT.items():
        simulator.powershell_responses[pattern] = recorded.response()


def answer_spooler_cmd(simulator: WinRMSimulator) -> None:
    """net stop / del / net start of the spooler reset, answered from the table (nothing runs on the laptop)."""
    for line, recorded in SPOOLER_CMD.items():
        simulator.cmd_responses[line] = recorded.response(powershell=False)

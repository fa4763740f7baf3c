"""The demo's Windows file server: a WinRM simulator dressed as `srv-dossiers`, for a newcomer to try WinRM with.

It serves HTTPS on 127.0.0.1 with a certificate kept in the given folder (so an engineer who pinned it finds it
pinned at the next start), answers the windows-diag actions with outputs recorded on French Windows hosts, answers a
few cmd commands from a table (nothing typed runs on the laptop), and keeps files in a folder that plays its C: drive.
"""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

from .certs import CertPair, make_cert_pair
from .powershell import Response
from .procedure_answers import answer_procedures, answer_reachability, answer_spooler_cmd
from .server import WinRMSimulator

USER = "support"
PREFERRED_PORT = 55986  # fixed when free, so the certificate pinned for host:port stays pinned across starts
MACHINE = "SRV-DOSSIERS"
_OUTPUTS = Path(__file__).with_name("demo_outputs")

# The windows-diag actions and fact collector, recognised by the cmdlet or class each one calls, and the sample
# each answers with.
_ACTIONS = {
    r"Win32_Service": "stopped_services.array.fr.ps51.json",
    r"Win32_LogicalDisk": "disks.array.null_label.ps51.json",
    r"Get-WinEvent": "event_errors.array.fr.ps51.json",
    r"PendingFileRenameOperations": "pending_reboot.one_reason.ps7.json",
    r"Get-HotFix": "last_updates.array.object_dates.fr.ps51.json",
    r"Get-NetIPConfiguration": "network_config.array.apipa.ps51.json",
    # Before Win32_OperatingSystem: the facts script reads it too, and the first pattern found answers.
    r"Win32_ComputerSystem": "facts.single_object.srv-dossiers.ps51.json",
    r"Win32_OperatingSystem": "uptime.single_object.fr.ps51.json",
    r"Get-LocalGroupMember": "local_admins.array.fr.ps51.json",
    r"Get-ScheduledTaskInfo": "failed_tasks.array.fr.ps51.json",
}

_SERVICES = (
    "\r\nStatus   Name               DisplayName\r\n"
    "------   ----               -----------\r\n"
    "Running  LanmanServer       Serveur\r\n"
    "Stopped  Spooler            Spouleur d'impression\r\n"
    "Running  W32Time            Temps Windows\r\n\r\n"
)

_CMD = {
    "hostname": Response(stdout=f"{MACHINE}\r\n"),
    "whoami": Response(stdout=f"{MACHINE.lower()}\\{USER}\r\n"),
    "ver": Response(stdout="\r\nMicrosoft Windows [version 10.0.20348.2849]\r\n"),
    "ipconfig": Response(
        stdout=(
            "\r\nConfiguration IP de Windows\r\n\r\n\r\nCarte Ethernet Ethernet0 :\r\n\r\n"
            "   Suffixe DNS propre à la connexion. . . : tilleuls.local\r\n"
            "   Adresse IPv4. . . . . . . . . . . . . .: 192.168.10.2\r\n"
            "   Masque de sous-réseau. . . . . . . . . : 255.255.255.0\r\n"
            "   Passerelle par défaut. . . . . . . . . : 192.168.10.254\r\n"
        )
    ),
}

_FILES = {
    "Users/support/Desktop/lisez-moi.txt": (
        "Serveur de démonstration SupportStation : un simulateur WinRM, pas un vrai Windows.\r\n"
        "Demo server: a WinRM simulator, not a real Windows host.\r\n"
    ),
    "Partages/Dossiers patients/README.txt": "Partage SMB \\\\srv-dossiers\\Dossiers patients (données fictives).\r\n",
    "Windows/Logs/CBS/CBS.log": "2026-11-23 07:58:12, Info  CBS  Starting TrustedInstaller initialization.\r\n",
}


def certificates(folder: Path) -> CertPair:
    """The demo's certificate pair, made once in `folder` and then reused."""
    pair = CertPair(cert=folder / "server.pem", key=folder / "server.key", ca=folder / "ca.pem")
    if pair.cert.exists() and pair.key.exists() and pair.ca.exists():
        return pair
    return make_cert_pair(folder)


DEMO_SCENARIOS = ("spooler-stuck-queue", "disk-low-space", "update-pending-reboot", "profile-bak", "tls-expiring")


def demo_host(folder: Path, password: str) -> WinRMSimulator:
    """A started simulator playing the demo's Windows server; its files and certificate live in `folder`."""
    drives = folder / "drives"
    for name, text in _FILES.items():
        path = drives / "C" / name
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    pair = certificates(folder / "tls")
    simulator = None
    for port in (PREFERRED_PORT, 0):
        candidate = WinRMSimulator(
            users={USER: password}, https=pair, port=port, machine=MACHINE, files_root=drives, run_commands=False
        )
        with contextlib.suppress(OSError):  # the preferred port is taken: any free one will do
            simulator = candidate.start()
            break
    assert simulator is not None
    for pattern, sample in _ACTIONS.items():
        simulator.powershell_responses[re.compile(pattern)] = Response(stdout=(_OUTPUTS / sample).read_bytes())
    simulator.powershell_responses[re.compile(r"^\s*Get-Service\b", re.M)] = Response(stdout=_SERVICES)
    simulator.powershell_responses[re.compile(r"^\s*hostname\s*$", re.M)] = Response(stdout=f"{MACHINE}\r\n")
    simulator.cmd_responses.update(_CMD)
    # The Windows starter procedures, each with the fault it looks for, so a demo run finds something to report.
    for scenario in DEMO_SCENARIOS:
        answer_procedures(simulator, scenario)
    answer_reachability(simulator)
    answer_spooler_cmd(simulator)
    return simulator

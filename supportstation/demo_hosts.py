"""Stand-ins the demo starts so its hosts answer: for now the Windows file server `srv-dossiers`, played by the WinRM
simulator (simulators/, installed by tools/bootstrap) on 127.0.0.1.

The demo host is pointed at the simulator each time it starts (its port may change), and the demo's login password
is offered to the vault when the vault has none, so a newcomer can connect, pin the certificate, run the Windows
actions and move files without setting anything up. Without the simulator the demo opens all the same, and says what
is missing. A simulator is never taken for a real host: the status bar and the host's notes say what it is.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from supportstation.i18n import _
from supportstation.paths import AppPaths
from supportstation.storage.database import Database
from supportstation.storage.enums import CredentialKind
from supportstation.storage.models import CredentialRef, Host

log = logging.getLogger(__name__)

WINDOWS_HOST = "srv-dossiers"
LOGIN_SECRET = "demo/winrm-simulator"  # the simulated host's own credential in the vault
# Not a secret: it opens a simulator on the loopback interface, and the demo says it on screen.
DEMO_PASSWORD = "demo-tilleuls"
SIMULATOR_NOTE = f"Simulateur WinRM de la démo (127.0.0.1), pas un vrai Windows. Mot de passe : {DEMO_PASSWORD}."


@dataclass
class StandIns:
    notice: str  # one line for the status bar
    details: str  # what it is, for the tooltip
    secrets: dict[str, str] = field(default_factory=dict)  # vault key -> value, offered when the vault has none
    _running: list[Any] = field(default_factory=list)

    def stop(self) -> None:
        for simulator in self._running:
            with contextlib.suppress(Exception):  # stopping at exit: nothing left to tell anyone
                simulator.stop()
        self._running.clear()


def start(paths: AppPaths, database: Database) -> StandIns:
    """Starts the stand-ins that can run here and points the demo hosts at them. Blocking: call it in a thread."""
    try:
        from winrm_simulator.demo import demo_host
    except ImportError:
        return StandIns(
            notice=_("Demo: no simulated hosts"),
            details=_(
                "The demo's hosts are not reachable: the WinRM simulator is not installed. Run tools/bootstrap (or "
                "pip install -e simulators) to try srv-dossiers over WinRM."
            ),
        )
    simulator = demo_host(paths.data / "demo" / "windows-simulator", DEMO_PASSWORD)
    _point_host(database, WINDOWS_HOST, "127.0.0.1", simulator.port)
    log.info("Demo: %s is the WinRM simulator on 127.0.0.1:%d", WINDOWS_HOST, simulator.port)
    return StandIns(
        notice=_("Demo: {host} is a WinRM simulator").format(host=WINDOWS_HOST),
        details=_(
            "{host} is played by the WinRM simulator on 127.0.0.1:{port}: it answers the Windows actions with "
            "recorded outputs and keeps files in the demo folder. It is not a Windows host. Login: {user}, "
            "password: {password} (offered to the vault when it has none)."
        ).format(host=WINDOWS_HOST, port=simulator.port, user="support", password=DEMO_PASSWORD),
        secrets={LOGIN_SECRET: DEMO_PASSWORD},
        _running=[simulator],
    )


def _point_host(database: Database, name: str, address: str, port: int) -> None:
    with database.writing() as session:
        host = session.scalars(select(Host).where(Host.name == name)).first()
        if host is None:  # the engineer deleted it from the demo: nothing to point
            return
        host.address, host.port = address, port
        if host.credential is None or host.credential.vault_key != LOGIN_SECRET:
            # A login of its own: the demo password must never be tried on the other demo hosts' real addresses.
            host.credential = CredentialRef(
                label="Simulateur WinRM (démo)",
                kind=CredentialKind.PASSWORD,
                username="support",
                vault_key=LOGIN_SECRET,
            )
        if SIMULATOR_NOTE not in (host.notes or ""):
            host.notes = (SIMULATOR_NOTE + "\n" + (host.notes or "")).strip()


def offer_secrets(vault: Any, secrets: dict[str, str]) -> None:
    """Stores each demo secret the vault does not have yet; one it has (chosen by the engineer) is kept."""
    for key, value in secrets.items():
        if not vault.exists(key):
            vault.store(key, value)

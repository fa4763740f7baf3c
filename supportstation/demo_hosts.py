"""Stand-ins the demo starts so its hosts answer, each on 127.0.0.1 and only when it can run here:

- an OpenSSH `sshd` run as the engineer's own account, for the Linux hosts (srv-mairie, srv-lemaire-01,
  nas-tilleuls, srv-tms): a real sshd, so what is run there runs on this computer;
- the WinRM simulator for the Windows file server srv-dossiers;
- the Cisco IOS switch simulator (fake-switches) for sw-coeur and sw-atelier;
- the Redfish BMC emulator (sushy-tools) for idrac-srv-mairie.

The simulators come from simulators/ (the `supportstation-simulators` distribution and its `demo` extra, installed by
tools/bootstrap); they are imported here and only here, inside the starters: the application runs without them. The
stand-ins start side by side and independently: one that cannot run never stops the others, and the engineer is told
why and how to add it. A starter returns a `Started` or raises `Unavailable` with the reason and the way to add
what is missing.

Each host played is pointed at its stand-in each time the demo starts (a port may change), with a demo login of its
own (the demo's passwords and keys must never be tried on the real hosts' addresses), and a note saying it is a
stand-in; the logins' secrets are offered to the vault when it has none. Host keys and certificates are not trusted
in advance: accepting them is part of the demo. A stand-in is never taken for a real host: the status bar, its
tooltip and the hosts' notes say what each one is. The passwords below are not secrets: each opens a simulator on
the loopback interface, and the demo shows them on screen and in the hosts' notes.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from supportstation import demo_sshd
from supportstation.i18n import _
from supportstation.paths import AppPaths
from supportstation.storage.database import Database
from supportstation.storage.enums import CredentialKind
from supportstation.storage.models import CredentialRef, Host

log = logging.getLogger(__name__)

BOOTSTRAP_HINT = (
    'tools/bootstrap (or: pip install -e "simulators[demo]", then pip install --no-deps fake-switches==1.5.0)'
)


def _not_bundled(what: str) -> None:
    """The installed app (the PyInstaller bundle) ships no simulators: they are development tools, and installing
    them is not something its user can do with pip. Said as such rather than as a command to run."""
    if getattr(sys, "frozen", False):
        message = _("{what} is not part of the installed app: it comes with a development checkout of SupportStation.")
        raise Unavailable(message.format(what=what))


# -- who plays whom --
LINUX_HOSTS = ("srv-mairie", "srv-lemaire-01", "nas-tilleuls", "srv-tms")
WINDOWS_HOST = "srv-dossiers"
SWITCHES = ("sw-coeur", "sw-atelier")
BMC = "idrac-srv-mairie"

# -- logins --
WINRM_USER = "support"
LOGIN_SECRET = "demo/winrm-simulator"  # the simulated Windows host's own credential in the vault
DEMO_PASSWORD = "demo-tilleuls"
SSH_SECRET_PREFIX = "demo/ssh-stand-in/"  # + the key's id: a new demo key gets a new entry, never an old key's
SWITCH_SECRET = "demo/switch-simulator"  # and its enable secret beside it, at "/enable"
SWITCH_PASSWORD = "demo-switch"
SWITCH_ENABLE_SECRET = "demo-enable"
BMC_SECRET = "demo/bmc-simulator"
BMC_PASSWORD = "demo-idrac"

# -- the hosts' notes (demo data, in the demo's French) --
SIMULATOR_NOTE = f"Simulateur WinRM de la démo (127.0.0.1), pas un vrai Windows. Mot de passe : {DEMO_PASSWORD}."
SSH_NOTE = (
    "Démo : joué par le serveur OpenSSH de cet ordinateur (sshd sur 127.0.0.1), pas le vrai serveur : les commandes "
    "s'exécutent ici, sous votre compte. Connexion par la clé SSH de la démo."
)
SWITCH_NOTE = (
    "Simulateur Cisco IOS de la démo (fake-switches sur 127.0.0.1), pas un vrai switch. Identifiant : {user}, "
    "mot de passe : " + SWITCH_PASSWORD + ", enable : " + SWITCH_ENABLE_SECRET + "."
)
BMC_NOTE = (
    "Simulateur Redfish de la démo (sushy-tools sur 127.0.0.1), pas un vrai iDRAC. Identifiant : {user}, "
    "mot de passe : " + BMC_PASSWORD + "."
)


class Unavailable(Exception):
    """The stand-in cannot run here; the message says why and how to add it."""


@dataclass(frozen=True)
class Login:
    """The demo credential a pointed host gets: its own, never one a real host uses."""

    label: str
    kind: CredentialKind
    username: str
    vault_key: str


@dataclass(frozen=True)
class Pointing:
    host: str
    port: int
    login: Login
    note: str
    device_options: dict[str, str] | None = None  # set for a device host; None leaves the host's own


@dataclass
class Started:
    running: Any  # has stop()
    detail: str  # what it plays, where, how to log in
    pointings: list[Pointing] = field(default_factory=list)
    secrets: dict[str, str] = field(default_factory=dict)


def start_sshd(demo_folder: Path) -> Started:
    try:
        sshd = demo_sshd.start(demo_folder / "ssh-stand-in")
    except demo_sshd.SshdUnavailable as error:
        raise Unavailable(str(error)) from error
    secret = SSH_SECRET_PREFIX + sshd.key_id
    login = Login("Clé SSH de la démo (sshd local)", CredentialKind.SSH_KEY, sshd.user, secret)
    detail = _(
        "{hosts}: played by OpenSSH's sshd on 127.0.0.1:{port}, started by the demo as {user}. They are not the "
        "real servers: what you run there runs on this computer, under your account. Login: {user}, with a key "
        "made for the demo (offered to the vault when it has none). Its host key is not trusted in advance: "
        "accept it as you would a real host's (fingerprint {fingerprint})."
    ).format(hosts=", ".join(LINUX_HOSTS), port=sshd.port, user=sshd.user, fingerprint=sshd.host_fingerprint)
    return Started(
        running=sshd,
        detail=detail,
        pointings=[Pointing(host, sshd.port, login, SSH_NOTE) for host in LINUX_HOSTS],
        secrets={secret: sshd.private_key},
    )


def start_winrm(demo_folder: Path) -> Started:
    _not_bundled(_("The WinRM simulator"))
    try:
        from winrm_simulator.demo import demo_host
    except ImportError as error:
        raise Unavailable(
            _(
                "The WinRM simulator is not installed: run tools/bootstrap (or pip install -e simulators) to try "
                "{host} over WinRM."
            ).format(host=WINDOWS_HOST)
        ) from error
    simulator = demo_host(demo_folder / "windows-simulator", DEMO_PASSWORD)
    login = Login("Simulateur WinRM (démo)", CredentialKind.PASSWORD, WINRM_USER, LOGIN_SECRET)
    detail = _(
        "{host} is played by the WinRM simulator on 127.0.0.1:{port}: it answers the Windows actions with "
        "recorded outputs and keeps files in the demo folder. It is not a Windows host. Login: {user}, "
        "password: {password} (offered to the vault when it has none)."
    ).format(host=WINDOWS_HOST, port=simulator.port, user=WINRM_USER, password=DEMO_PASSWORD)
    return Started(
        running=simulator,
        detail=detail,
        pointings=[Pointing(WINDOWS_HOST, simulator.port, login, SIMULATOR_NOTE)],
        secrets={LOGIN_SECRET: DEMO_PASSWORD},
    )


def start_switches(demo_folder: Path) -> Started:
    _not_bundled(_("The switch simulator"))
    try:
        from switch_simulator import missing_reason
        from switch_simulator.demo import USER, demo_switches
    except ImportError as error:
        raise Unavailable(_("The switch simulator is not installed: run {how}.").format(how=BOOTSTRAP_HINT)) from error
    reason = missing_reason()
    if reason:
        message = _("The switch simulator cannot run ({reason}): run {how}.")
        raise Unavailable(message.format(reason=reason, how=BOOTSTRAP_HINT))
    simulator = demo_switches(demo_folder / "switch-simulator", SWITCHES, SWITCH_PASSWORD, SWITCH_ENABLE_SECRET)
    login = Login("Simulateur de switch (démo)", CredentialKind.PASSWORD, USER, SWITCH_SECRET)
    note = SWITCH_NOTE.format(user=USER)
    places = ", ".join(f"{switch.hostname} 127.0.0.1:{switch.port}" for switch in simulator.switches)
    detail = _(
        "{places}: played by the Cisco IOS switch simulator (fake-switches, a Catalyst 2960), not real switches; "
        "changes last until the demo stops. Login: {user}, password: {password}, enable secret: {secret} (offered "
        "to the vault when it has none). Accept each switch's SSH host key as a real switch's."
    ).format(places=places, user=USER, password=SWITCH_PASSWORD, secret=SWITCH_ENABLE_SECRET)
    return Started(
        running=simulator,
        detail=detail,
        pointings=[Pointing(switch.hostname, switch.port, login, note) for switch in simulator.switches],
        secrets={SWITCH_SECRET: SWITCH_PASSWORD, SWITCH_SECRET + "/enable": SWITCH_ENABLE_SECRET},
    )


def start_bmc(demo_folder: Path) -> Started:
    from supportstation.remote.certificates import shown_fingerprint

    _not_bundled(_("The BMC emulator"))
    try:
        from redfish_simulator import SYSTEM_UUID
        from redfish_simulator.demo import USER, demo_bmc
    except ImportError as error:
        raise Unavailable(
            _("The BMC emulator (sushy-tools) is not installed: run {how}.").format(how=BOOTSTRAP_HINT)
        ) from error
    emulator = demo_bmc(demo_folder / "bmc-simulator", BMC, BMC_PASSWORD)
    login = Login("Simulateur iDRAC (démo)", CredentialKind.PASSWORD, USER, BMC_SECRET)
    detail = _(
        "{host} is played by the Redfish BMC emulator (sushy-tools, dressed as a Dell iDRAC 9) on 127.0.0.1:{port}, "
        "not a real BMC. Login: {user}, password: {password} (offered to the vault when it has none). Its "
        "self-signed certificate is not trusted in advance: pin it when asked (SHA-256 {fingerprint}). ilo-srv-tms "
        "stays unreachable: the emulator plays one BMC per process."
    ).format(
        host=BMC,
        port=emulator.port,
        user=USER,
        password=BMC_PASSWORD,
        fingerprint=shown_fingerprint(emulator.certificate.sha256),
    )
    # The emulator's one system, named as the redfish-bmc plugin allows, so that power actions know their target.
    options = {"system": SYSTEM_UUID}
    return Started(
        running=emulator,
        detail=detail,
        pointings=[Pointing(BMC, emulator.port, login, BMC_NOTE.format(user=USER), options)],
        secrets={BMC_SECRET: BMC_PASSWORD},
    )


# In the order the status bar lists them.
STARTERS = (("sshd", start_sshd), ("WinRM", start_winrm), ("switch", start_switches), ("BMC", start_bmc))


def shown_name(key: str) -> str:
    return {"switch": _("switch"), "BMC": _("BMC")}.get(key, key)


@dataclass
class StandIns:
    notice: str  # one line for the status bar
    details: str  # what each one is, or why it is missing, for the tooltip
    secrets: dict[str, str] = field(default_factory=dict)  # vault key -> value, offered when the vault has none
    _running: list[Any] = field(default_factory=list)
    started: list[str] = field(default_factory=list)  # "sshd", "WinRM", "switch", "BMC": those running
    missing: dict[str, str] = field(default_factory=dict)  # those not running -> why, and how to add them

    def stop(self) -> None:
        for stand_in in self._running:
            with contextlib.suppress(Exception):  # stopping at exit: nothing left to tell anyone
                stand_in.stop()
        self._running.clear()


def start(paths: AppPaths, database: Database) -> StandIns:
    """Starts the stand-ins that can run here and points the demo hosts at them. Blocking: call it in a thread."""
    folder = paths.data / "demo"
    # Side by side: the switch simulator's process takes a second or two to import Twisted, the others much less.
    with ThreadPoolExecutor(max_workers=len(STARTERS), thread_name_prefix="demo stand-in") as pool:
        futures = [(key, pool.submit(starter, folder)) for key, starter in STARTERS]
    started: dict[str, Started] = {}
    missing: dict[str, str] = {}
    for key, future in futures:
        try:
            started[key] = future.result()
        except Unavailable as error:
            missing[key] = str(error)
        except Exception as error:
            log.warning("The demo's %s stand-in did not start", key, exc_info=True)
            missing[key] = _("It did not start: {error}").format(error=f"{type(error).__name__}: {error}")
    for key, stand_in in list(started.items()):
        try:
            for pointing in stand_in.pointings:
                _point_host(database, pointing)
        except Exception as error:  # a database that refuses: this stand-in is of no use, the others still are
            log.warning("The demo hosts could not be pointed at the %s stand-in", key, exc_info=True)
            with contextlib.suppress(Exception):
                stand_in.running.stop()
            del started[key]
            missing[key] = _("Its hosts could not be pointed at it: {error}").format(error=error)
        else:
            places = ", ".join(f"{pointing.host} 127.0.0.1:{pointing.port}" for pointing in stand_in.pointings)
            log.info("Demo: %s stand-in for %s", key, places)
    return _summary(started, missing)


def _summary(started: dict[str, Started], missing: dict[str, str]) -> StandIns:
    running = ", ".join(shown_name(key) for key in started)
    absent = ", ".join(shown_name(key) for key in missing)
    if not started:
        notice = _("Demo: no simulated hosts — missing: {missing}").format(missing=absent)
    elif missing:
        notice = _("Demo: hosts played by simulators — {running}; missing: {missing}").format(
            running=running, missing=absent
        )
    else:
        notice = _("Demo: hosts played by simulators — {running}").format(running=running)
    paragraphs = [stand_in.detail for stand_in in started.values()]
    paragraphs += [
        _("Not started — {name}: {reason}").format(name=shown_name(key), reason=reason)
        for key, reason in missing.items()
    ]
    if not started:
        paragraphs.append(_("The demo's hosts are not reachable; everything else in the demo works."))
    secrets = {key: value for stand_in in started.values() for key, value in stand_in.secrets.items()}
    return StandIns(
        notice=notice,
        details="\n\n".join(paragraphs),
        secrets=secrets,
        _running=[stand_in.running for stand_in in started.values()],
        started=list(started),
        missing=missing,
    )


def _point_host(database: Database, pointing: Pointing) -> None:
    with database.writing() as session:
        host = session.scalars(select(Host).where(Host.name == pointing.host)).first()
        if host is None:  # the engineer deleted it from the demo: nothing to point
            return
        host.address, host.port = "127.0.0.1", pointing.port
        if pointing.device_options is not None:
            host.device_options = dict(pointing.device_options)
        login = pointing.login
        # A login of its own, shared by the hosts of one stand-in: the demo's secret must never be tried on the
        # other demo hosts' real addresses. Found by its label, which stays when a new demo key renames the entry.
        credential = session.scalars(select(CredentialRef).where(CredentialRef.label == login.label)).first()
        if credential is None:
            credential = CredentialRef(label=login.label, kind=login.kind, username="", vault_key=login.vault_key)
            session.add(credential)
        credential.kind, credential.username, credential.vault_key = login.kind, login.username, login.vault_key
        host.credential = credential
        if pointing.note not in (host.notes or ""):
            host.notes = (pointing.note + "\n" + (host.notes or "")).strip()


def offer_secrets(vault: Any, secrets: dict[str, str]) -> None:
    """Stores each demo secret the vault does not have yet; one it has (chosen by the engineer) is kept."""
    for key, value in secrets.items():
        if not vault.exists(key):
            vault.store(key, value)

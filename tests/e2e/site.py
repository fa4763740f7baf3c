"""The client site of the engineer's day, with a real server behind every host.

La Mairie de Saint-Aubin has five hosts on the day's ticket, each played by a real server started by a fixture:

- `srv-web`, a Linux server reached through the bastion `bastion` (OpenSSH sshd on 127.0.0.1, both of them; the
  bastion takes the engineer's ssh-agent key, the server the key kept in the vault);
- `srv-sauvegarde`, the same sshd reached directly as `localhost` (a second host for the fan-out);
- `srv-impression`, a Windows print server: the WinRM simulator (simulators/winrm_simulator, no Windows runs here)
  dressed as the demo's Windows server, which answers the windows-diag actions and the print-spooler procedure;
- `sw-coeur`, a Cisco Catalyst: fake-switches (tests/servers/fake_switch.py), a fresh one for the test;
- `idrac-srv-web`, the server's BMC: sushy-tools' Redfish emulator over TLS (tests/servers/redfish_emulator.py).

The database is the laptop's own (not the demo's): a client with its contract, site and contact, three tickets of
which the day's is the most urgent, the hosts with their logins, and the secrets in an unlocked file vault. Nothing
about the servers' keys or certificates is trusted beforehand: the engineer accepts each one during the day.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from supportstation import paths, storage
from supportstation.clock import utc_now
from supportstation.context import AppContext
from supportstation.reports.mail import PASSWORD_KEY
from supportstation.storage.enums import CredentialKind, HostTransport, TicketStatus
from supportstation.storage.models import Client, Contact, CredentialRef, Host, Site, Ticket
from supportstation.tickets import sla
from supportstation.tickets.engineers import ensure_engineer
from supportstation.vault import open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.gui.conftest import make_context
from tests.servers.smtp import TEST_PASSWORD, SmtpServer

CLIENT = "Mairie de Saint-Aubin"
CONTACT_NAME, CONTACT_EMAIL = "Sophie Laurent", "s.laurent@saint-aubin.test"
DAY_TITLE = "Caméras et impression hors service après la coupure de courant"
WINDOWS_PASSWORD = "Impr1mante!"  # the simulated print server's account
VAULT_PASSWORD = "vault password of the e2e laptop"


@dataclass
class DaySite:
    """The laptop's context (database open, vault unlocked, mail server set) and what the day's checks need."""

    context: AppContext
    ticket_id: int
    reference: str
    host_ids: dict[str, int]
    switch: Any
    bmc: Any
    windows: Any
    smtp: SmtpServer
    bastion_port: int
    servers: dict[str, Any] = field(default_factory=dict)


def build_day_site(
    app_paths: paths.AppPaths,
    *,
    sshd: Any,
    bastion: Any,
    ssh_user: Any,
    switch: Any,
    bmc: Any,
    windows: Any,
    smtp: SmtpServer,
) -> DaySite:
    context = make_context(app_paths, demo_data=False)
    database = storage.connect(context.database_choice.url, backups=app_paths.backups, create_missing=True)
    context.database = database
    vault = open_vault(app_paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock(VAULT_PASSWORD)
    vault.store("mairie/linux", ssh_user.key.read_text())
    vault.store("mairie/windows", WINDOWS_PASSWORD)
    vault.store("mairie/switch", switch.password)
    vault.store("mairie/switch/enable", switch.enable_secret)
    vault.store("mairie/bmc", bmc.password)
    vault.store(PASSWORD_KEY, TEST_PASSWORD)
    context.vault = vault
    context.settings = replace(context.settings, mail=smtp.settings())

    now = utc_now()
    with database.session() as session:
        engineer = ensure_engineer(session, context.settings.profile)
        client = Client(name=CLIENT, contract="standard", time_zone="Europe/Paris")
        town_hall = Site(client=client, name="Hôtel de ville", address="1 place de la Mairie, 69000 Saint-Aubin",
                         access_notes="Baie informatique au sous-sol, clé à l'accueil.")  # fmt: skip
        contact = Contact(client=client, site=town_hall, name=CONTACT_NAME, role="Directrice générale des services",
                          phone="+33 4 72 00 10 20", email=CONTACT_EMAIL)  # fmt: skip
        linux = CredentialRef(label="Administration Linux", kind=CredentialKind.SSH_KEY, username=ssh_user.name,
                              vault_key="mairie/linux")  # fmt: skip
        windows_login = CredentialRef(label="Compte support Windows", kind=CredentialKind.PASSWORD,
                                      username="support", vault_key="mairie/windows")  # fmt: skip
        switch_login = CredentialRef(label="Switch de cœur", kind=CredentialKind.PASSWORD,
                                     username=switch.username, vault_key="mairie/switch")  # fmt: skip
        bmc_login = CredentialRef(label="iDRAC", kind=CredentialKind.PASSWORD, username=bmc.user,
                                  vault_key="mairie/bmc")  # fmt: skip
        hosts = {
            "srv-web": Host(name="srv-web", address="127.0.0.1", port=sshd.port, os_family="linux",
                            credential=linux, proxy_jump=f"{ssh_user.name}@127.0.0.1:{bastion.port}",
                            tags=["serveur", "web"]),
            "srv-sauvegarde": Host(name="srv-sauvegarde", address="localhost", port=sshd.port, os_family="linux",
                                   credential=linux, tags=["serveur", "sauvegarde"]),
            "srv-impression": Host(name="srv-impression", address="127.0.0.1", port=windows.port,
                                   os_family="windows", transport=HostTransport.WINRM, credential=windows_login,
                                   tags=["serveur", "impression"]),
            "sw-coeur": Host(name="sw-coeur", address=switch.host, port=switch.port, os_family="network",
                             vendor="cisco", transport=HostTransport.DEVICE, device_transport="cisco-ios",
                             credential=switch_login, tags=["réseau", "cœur"]),
            "idrac-srv-web": Host(name="idrac-srv-web", address=bmc.host, port=bmc.port, os_family="bmc",
                                  vendor="dell", transport=HostTransport.DEVICE, device_transport="redfish",
                                  device_options={"system": _system_uuid()}, credential=bmc_login,
                                  tags=["bmc"]),
        }  # fmt: skip
        for host in hosts.values():
            host.client, host.site = client, town_hall
        tickets = [
            # (priority, title, hosts, age): the day's ticket is the only P1, so the queue shows it first.
            (3, "Renouveler le certificat du portail famille", ["srv-web"], 30),
            (1, DAY_TITLE, list(hosts), 2),
            (2, "Sauvegarde de la nuit en échec", ["srv-sauvegarde"], 6),
        ]
        day_ticket = None
        for number, (priority, title, names, age_hours) in enumerate(tickets, start=1):
            created = now - timedelta(hours=age_hours)
            ticket = Ticket(reference=f"SA-2026-{100 + number}", title=title, client=client, site=town_hall,
                            contact=contact, priority=priority, status=TicketStatus.ASSIGNED, assignee=engineer,
                            category="Infrastructure", created_at=created, updated_at=created, owned_at=created,
                            description="Depuis la coupure de courant de la nuit, les caméras du parvis ne sont plus"
                            " joignables et l'impression est bloquée à l'accueil.",
                            hosts=[hosts[name] for name in names])  # fmt: skip
            session.add(ticket)
            session.flush()
            sla.set_deadlines(session, ticket)
            if title == DAY_TITLE:
                day_ticket = ticket
        session.commit()
        assert day_ticket is not None
        return DaySite(
            context=context,
            ticket_id=day_ticket.id,
            reference=day_ticket.reference,
            host_ids={name: host.id for name, host in hosts.items()},
            switch=switch,
            bmc=bmc,
            windows=windows,
            smtp=smtp,
            bastion_port=bastion.port,
        )


def _system_uuid() -> str:
    from tests.servers.redfish_emulator import SYSTEM_UUID

    return SYSTEM_UUID


def windows_print_server(folder: Path) -> Any:
    """The WinRM simulator dressed as a French Windows server, with the print-spooler fault the procedure finds."""
    from winrm_simulator.demo import demo_host

    return demo_host(folder, WINDOWS_PASSWORD)

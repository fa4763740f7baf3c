"""The hosts inventory, by client and site: the rows the hosts view and `supportstation hosts list` show.

Editing lives in `host_editing`, credentials in `credentials`, imports in `host_import`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from supportstation.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from supportstation.storage.models import Host


@dataclass(frozen=True)
class HostRow:
    host_id: int
    client_id: int
    client: str
    site_id: int | None
    site: str
    name: str
    address: str
    port: int | None
    os_family: str
    vendor: str
    transport: str
    tags: tuple[str, ...]
    credential_id: int | None
    credential: str
    login_user: str = ""
    proxy_jump: str = ""
    notes: str = ""
    facts: dict[str, str] = field(default_factory=dict)  # read by the plugins' fact collectors
    facts_collected_at: datetime | None = None

    @property
    def endpoint(self) -> str:
        """address[:port], with an IPv6 address in brackets when a port follows."""
        if self.port is None:
            return self.address
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{host}:{self.port}"

    def search_text(self) -> str:
        """Every word the search box may match, lowercased once per row rather than once per keystroke."""
        fields = (
            self.name, self.address, self.client, self.site, self.os_family, self.vendor,
            system_label(self.os_family, self.vendor), self.transport, self.credential, self.login_user,
            self.notes, *self.tags,
        )  # fmt: skip
        return "\n".join(fields).lower()


# The families remote actions are chosen by (plugin_api.actions.RemoteAction.os_families), in the order offered.
OS_FAMILIES = ("linux", "windows", "macos", "bsd", "network", "bmc", "other")

VENDOR_NAMES = {
    "hpe": "HPE",
    "dell": "Dell",
    "cisco": "Cisco",
    "synology": "Synology",
    "qnap": "QNAP",
    "juniper": "Juniper",
    "arista": "Arista",
    "fortinet": "Fortinet",
    "mikrotik": "MikroTik",
    "ubiquiti": "Ubiquiti",
    "lenovo": "Lenovo",
    "supermicro": "Supermicro",
}


def os_family_label(os_family: str) -> str:
    labels = {
        "linux": "Linux",
        "windows": "Windows",
        "macos": "macOS",
        "bsd": "BSD",
        "network": _("Network device"),
        "bmc": _("Server BMC"),
        "other": _("Other"),
    }
    return labels.get(os_family, os_family.capitalize() or _("Unknown"))


def system_label(os_family: str, vendor: str) -> str:
    """'Network device (Cisco)', 'Server BMC (Dell)', 'Linux'…: the kind of host, as the user says it."""
    family = os_family_label(os_family)
    if not vendor:
        return family
    return f"{family} ({VENDOR_NAMES.get(vendor.lower(), vendor)})"


def fact_label(name: str) -> str:
    """A fact's name as the engineer reads it; a plugin's own fact name shown as it is."""
    labels = {
        "model": _("Model"),
        "serial_number": _("Serial number"),
        "manufacturer": _("Manufacturer"),
        "os": _("System"),
        "os_version": _("Version"),
        "kernel": _("Kernel"),
        "architecture": _("Architecture"),
        "firmware": _("Firmware"),
        "hostname": _("Host name"),
        "uptime": _("Uptime"),
        "last_boot": _("Last boot"),
        "domain": _("Domain"),
        "workgroup": _("Workgroup"),
    }
    return labels.get(name, name.replace("_", " "))


def facts_text(row: HostRow) -> str:
    """The host's facts, one per line, best known first; "" when none was read."""
    if not row.facts:
        return ""
    order = ["model", "serial_number", "manufacturer", "os", "os_version", "kernel", "firmware"]
    names = sorted(row.facts, key=lambda name: (order.index(name) if name in order else len(order), name))
    return "\n".join(f"{fact_label(name)} : {row.facts[name]}" for name in names)


def transport_label(transport: str) -> str:
    """SSH, WinRM, Other, or a plugin transport's name as it is ("cisco-ios")."""
    return {"ssh": "SSH", "winrm": "WinRM", "other": _("Other")}.get(transport, transport)


def host_transport_name(host: Host) -> str:
    """ssh, winrm, other, or the plugin transport's name for a device host (a switch, a BMC)."""
    return host.device_transport if host.device_transport else host.transport.value


def load_hosts(session: Session, *, client: str | None = None) -> list[HostRow]:
    """Every host (or one client's, by name, without regard to case), by client, site and name."""
    # Imported here: the hosts view needs HostRow before SQLAlchemy has loaded (see app.py).
    from sqlalchemy import func, select
    from sqlalchemy.orm import selectinload

    from supportstation.storage.models import Client, Host, Site

    query = (
        select(Host)
        .join(Client, Host.client_id == Client.id)
        .outerjoin(Site, Host.site_id == Site.id)
        .options(selectinload(Host.client), selectinload(Host.site), selectinload(Host.credential))
        .order_by(Client.name, Site.name, Host.name)
    )
    if client is not None:
        query = query.where(func.lower(Client.name) == client.strip().lower())
    return [
        HostRow(
            host_id=host.id,
            client_id=host.client_id,
            client=host.client.name,
            site_id=host.site_id,
            site=host.site.name if host.site else "",
            name=host.name,
            address=host.address,
            port=host.port,
            os_family=host.os_family,
            vendor=host.vendor,
            transport=host_transport_name(host),
            tags=tuple(host.tags or ()),
            credential_id=host.credential_ref_id,
            credential=host.credential.label if host.credential else "",
            login_user=host.login_user,
            proxy_jump=host.proxy_jump,
            notes=host.notes,
            facts=dict(host.facts or {}),
            facts_collected_at=host.facts_collected_at,
        )
        for host in session.scalars(query)
    ]

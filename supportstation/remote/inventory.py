"""The hosts inventory, by client and site: the rows the hosts view and `supportstation hosts list` show.

Editing lives in `host_editing`, credentials in `credentials`, imports in `host_import`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from supportstation.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


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


def transport_label(transport: str) -> str:
    return {"ssh": "SSH", "winrm": "WinRM"}.get(transport, _("Other"))


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
            transport=host.transport.value,
            tags=tuple(host.tags or ()),
            credential_id=host.credential_ref_id,
            credential=host.credential.label if host.credential else "",
            login_user=host.login_user,
            proxy_jump=host.proxy_jump,
            notes=host.notes,
        )
        for host in session.scalars(query)
    ]

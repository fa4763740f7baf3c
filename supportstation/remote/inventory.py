"""The hosts inventory, by client and site."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from supportstation.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class HostRow:
    host_id: int
    client: str
    site: str
    name: str
    address: str
    os_family: str
    vendor: str
    transport: str
    tags: tuple[str, ...]
    credential: str


VENDOR_NAMES = {"hpe": "HPE", "dell": "Dell", "cisco": "Cisco", "synology": "Synology", "qnap": "QNAP"}


def system_label(os_family: str, vendor: str) -> str:
    """'Network device (Cisco)', 'Server BMC (Dell)', 'Linux'…: the kind of host, as the user says it."""
    families = {
        "linux": "Linux",
        "windows": "Windows",
        "macos": "macOS",
        "network": _("Network device"),
        "bmc": _("Server BMC"),
    }
    family = families.get(os_family, os_family.capitalize() or _("Unknown"))
    if not vendor:
        return family
    return f"{family} ({VENDOR_NAMES.get(vendor.lower(), vendor)})"


def load_hosts(session: Session) -> list[HostRow]:
    # Imported here: the hosts view needs HostRow before SQLAlchemy has loaded (see app.py).
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from supportstation.storage.models import Client, Host, Site

    query = (
        select(Host)
        .join(Client, Host.client_id == Client.id)
        .outerjoin(Site, Host.site_id == Site.id)
        .options(selectinload(Host.client), selectinload(Host.site), selectinload(Host.credential))
        .order_by(Client.name, Site.name, Host.name)
    )
    return [
        HostRow(
            host_id=host.id,
            client=host.client.name,
            site=host.site.name if host.site else "",
            name=host.name,
            address=host.address if host.port is None else f"{host.address}:{host.port}",
            os_family=host.os_family,
            vendor=host.vendor,
            transport=host.transport.value,
            tags=tuple(host.tags or ()),
            credential=host.credential.label if host.credential else "",
        )
        for host in session.scalars(query)
    ]

"""Inventory hosts as the remote panels need them: where to connect, and what kind of system it is (which decides
the actions offered)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from supportstation.plugin_api.transports import Transport
from supportstation.remote.inventory import host_transport_name
from supportstation.remote.targets import Target
from supportstation.remote.workbench import inventory_target
from supportstation.storage.models import Host


@dataclass(frozen=True)
class HostTarget:
    host_id: int
    target: Target
    os_family: str
    vendor: str
    transport: str
    client: str
    site: str
    tags: tuple[str, ...]

    @property
    def label(self) -> str:
        return self.target.label


def host_targets(
    session: Session, host_ids: Sequence[int] | None = None, transports: Mapping[str, Transport] | None = None
) -> list[HostTarget]:
    """The given hosts (all when None), in the order given, else by client, site and name; unknown ids are left
    out (a host deleted by a colleague since the list was shown). `transports`: the loaded plugins', by name."""
    query = select(Host).options(selectinload(Host.credential), selectinload(Host.client), selectinload(Host.site))
    if host_ids is not None:
        query = query.where(Host.id.in_(list(host_ids)))
    hosts = list(session.scalars(query))
    if host_ids is not None:
        position = {host_id: index for index, host_id in enumerate(host_ids)}
        hosts.sort(key=lambda host: position[host.id])
    else:
        hosts.sort(key=lambda host: (host.client.name, host.site.name if host.site else "", host.name))
    return [
        HostTarget(
            host_id=host.id,
            target=inventory_target(host, transports),
            os_family=host.os_family,
            vendor=host.vendor,
            transport=host_transport_name(host),  # ssh, winrm, or the plugin's transport
            client=host.client.name,
            site=host.site.name if host.site else "",
            tags=tuple(host.tags or ()),
        )
        for host in hosts
    ]

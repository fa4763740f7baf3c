"""One SSH connection per host, shared by every command run there, and reconnected when it has died."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, TypeAlias

from supportstation.i18n import _
from supportstation.remote.certificates import CertificatePins
from supportstation.remote.host_keys import HostKeyPrompt, HostKeyStore, refuse_unknown
from supportstation.remote.results import ConnectError
from supportstation.remote.ssh import ConnectOptions, SshConnection, connect_ssh
from supportstation.remote.targets import Credentials, Target
from supportstation.remote.threads import in_thread

if TYPE_CHECKING:
    from supportstation.plugin_api.transports import Transport
    from supportstation.remote.device_connection import DeviceConnection
    from supportstation.remote.handshakes import EarlyHandshakes
    from supportstation.remote.winrm_connection import WinrmConnection

Connection: TypeAlias = "SshConnection | WinrmConnection | DeviceConnection"
PINNED_CERTIFICATES_FILE = "winrm_certificates"

CredentialSource = Callable[[Target], Credentials]


def no_credentials(_target: Target) -> Credentials:
    return Credentials()


class ConnectionPool:
    def __init__(
        self,
        host_keys: HostKeyStore,
        *,
        prompt: HostKeyPrompt = refuse_unknown,
        credentials: CredentialSource = no_credentials,
        options: ConnectOptions | None = None,
        certificates: CertificatePins | None = None,
        transports: Mapping[str, Transport] | None = None,
        handshakes: EarlyHandshakes | None = None,
    ) -> None:
        self.host_keys = host_keys
        self.handshakes = handshakes  # key exchanges already started with some of the hosts
        # WinRM certificates pinned "always" are kept beside the SSH host keys.
        self.certificates = certificates or CertificatePins(host_keys.app_file.with_name(PINNED_CERTIFICATES_FILE))
        self.prompt = prompt
        self.credentials = credentials
        self.options = options or ConnectOptions()
        # The plugins' transports by name, for devices (switches, BMCs) that are neither SSH shells nor WinRM.
        self.transports = dict(transports or {})
        self._connections: dict[tuple[object, ...], Connection] = {}
        self._locks: dict[tuple[object, ...], asyncio.Lock] = {}

    async def connection(self, target: Target) -> Connection:
        key = target.connection_key()
        # One connect at a time per host: ten commands started together share the first one's connection.
        async with self._locks.setdefault(key, asyncio.Lock()):
            existing = self._connections.get(key)
            if existing is not None and existing.active:
                return existing
            if target.winrm is not None or target.device is not None:
                connection: Connection = await (
                    self._connect_device(target) if target.device is not None else self._connect_winrm(target)
                )
                self._connections[key] = connection
                return connection
            via = None
            if target.jump:
                # The last hop is reached through the hops before it.
                via = await self.connection(dataclasses.replace(target.jump[-1], jump=target.jump[:-1]))
            credentials = await in_thread(self.credentials, target)  # the vault may block on the keyring
            connection = await connect_ssh(
                target,
                host_keys=self.host_keys,
                prompt=self.prompt,
                credentials=credentials,
                options=self.options,
                via=via,
                handshake=self.handshakes.take(target) if self.handshakes is not None and via is None else None,
            )
            self._connections[key] = connection
            return connection

    async def _connect_winrm(self, target: Target) -> WinrmConnection:
        # Imported here: pywinrm and its HTTP stack are loaded only by an engineer who reaches a Windows host.
        from supportstation.remote.winrm_connection import connect_winrm

        credentials = await in_thread(self.credentials, target)
        return await connect_winrm(
            target, pins=self.certificates, prompt=self.prompt, credentials=credentials, options=self.options
        )

    async def _connect_device(self, target: Target) -> DeviceConnection:
        from supportstation.remote.device_connection import connect_device

        assert target.device is not None
        transport = self.transports.get(target.device.transport)
        if transport is None:
            raise ConnectError(
                _(
                    "{host} is reached through the {transport} transport, which no enabled plugin provides: install"
                    " or enable the plugin that does (see Plugins)."
                ).format(host=target.label, transport=target.device.transport)
            )
        credentials = await in_thread(self.credentials, target)
        return await connect_device(
            target,
            transport,
            host_keys=self.host_keys,
            pins=self.certificates,
            prompt=self.prompt,
            credentials=credentials,
            options=self.options,
        )

    async def ssh_connection(self, target: Target) -> SshConnection:
        """For what only SSH offers (SFTP, terminals): a clear error for a WinRM target."""
        connection = await self.connection(target)
        if not isinstance(connection, SshConnection):
            raise ConnectError(
                _("{host} is reached over {transport}: this needs SSH.").format(
                    host=target.label, transport="WinRM" if target.winrm is not None else target.transport
                )
            )
        return connection

    def drop(self, target: Target, connection: Connection | None = None) -> None:
        """Forgets a dead connection so the next run reconnects. Given `connection`, only if the pool still holds
        that one: another run may already have replaced it with a live connection, which must not be closed."""
        key = target.connection_key()
        stored = self._connections.get(key)
        if stored is None or (connection is not None and stored is not connection):
            return
        del self._connections[key]
        stored.close()

    async def close(self) -> None:
        connections = list(self._connections.values())
        self._connections.clear()
        # Targets first, then the jump hosts they tunnel through.
        for connection in sorted(connections, key=lambda c: c.via is None):
            await in_thread(connection.close)

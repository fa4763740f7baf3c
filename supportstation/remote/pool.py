"""One SSH connection per host, shared by every command run there, and reconnected when it has died."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable

from supportstation.remote.host_keys import HostKeyPrompt, HostKeyStore, refuse_unknown
from supportstation.remote.ssh import ConnectOptions, SshConnection, connect_ssh
from supportstation.remote.targets import Credentials, Target
from supportstation.remote.threads import in_thread

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
    ) -> None:
        self.host_keys = host_keys
        self.prompt = prompt
        self.credentials = credentials
        self.options = options or ConnectOptions()
        self._connections: dict[tuple[object, ...], SshConnection] = {}
        self._locks: dict[tuple[object, ...], asyncio.Lock] = {}

    async def connection(self, target: Target) -> SshConnection:
        key = target.connection_key()
        # One connect at a time per host: ten commands started together share the first one's connection.
        async with self._locks.setdefault(key, asyncio.Lock()):
            existing = self._connections.get(key)
            if existing is not None and existing.active:
                return existing
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
            )
            self._connections[key] = connection
            return connection

    def drop(self, target: Target, connection: SshConnection | None = None) -> None:
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

"""The window's remote core: one connection pool shared by every panel (a host's connection is opened once and
serves its commands, transfers and terminals), host keys asked about in a dialog, and recording on a ticket."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.remote.results import ConnectError
from supportstation.remote.targets import Target
from supportstation.remote.threads import share_with_window

from ..dialog_future import answer
from ..vault_access import unlocked_vault

if TYPE_CHECKING:
    from supportstation.plugin_api.actions import Action
    from supportstation.plugin_api.transports import Transport
    from supportstation.plugins import PluginRegistry
    from supportstation.remote.host_keys import HostKeyDecision, OfferedKey
    from supportstation.remote.pool import ConnectionPool
    from supportstation.remote.recording import RecordingContext
    from supportstation.remote.runs import Runner
    from supportstation.remote.ssh import SshConnection
    from supportstation.vault import Vault

    from .host_key_dialog import HostKeyDialog

log = logging.getLogger(__name__)


class VaultUnavailable(ConnectError):
    """The engineer declined to unlock the vault, or it cannot be opened: no login secret can be read."""


class RemoteSession(QObject):
    # The target and what happened: "connecting", "connected" or the error's message.
    connection_state = Signal(object, str)
    # The plugins' actions are known (loaded once, in a worker thread).
    actions_loaded = Signal()
    interrupted_runs_closed = Signal(int)  # how many runs an earlier stop left running were closed

    def __init__(self, context: AppContext, window: QWidget | None = None):
        super().__init__(window)
        self.context = context
        self.window = window
        self.vault: Vault | None = None
        self._pool: ConnectionPool | None = None
        self._pool_lock = asyncio.Lock()
        self._question_lock = asyncio.Lock()
        self.last_key_dialog: HostKeyDialog | None = None  # for tests: the question on screen
        self.actions: list[Action] = []
        self.registry: PluginRegistry | None = None  # once `load_actions` has run: plugins' procedures, actions
        self._labels: dict[str, str] = {}  # known_hosts name -> what the engineer calls the host, for the question
        self.plugin_failures: list[str] = []
        # The plugins' transports by name (switches, BMCs); filled by `load_actions`, shared with the pool.
        self.transports: dict[str, Transport] = {}
        share_with_window()  # remote work's threads leave this window's thread its share of the interpreter

    async def load_actions(self) -> None:
        """Loads the plugins and their actions; a plugin that fails to load is logged and left out."""
        from supportstation.plugins import PluginRegistry

        def load() -> PluginRegistry:
            registry = PluginRegistry(
                user_folder=self.context.paths.plugins_folder, disabled=self.context.settings.disabled_plugins
            )
            registry.load()
            registry.all_actions()  # every hook is called here, in the worker thread, never on the GUI thread
            return registry

        registry = await asyncio.to_thread(load)
        self.registry = registry
        self.actions = registry.all_actions()
        self.transports.clear()
        self.transports.update((transport.name, transport) for transport in registry.all_transports())
        if self._pool is not None:
            self._pool.transports = self.transports
        self.plugin_failures = [f"{failure.name}: {failure.error}" for failure in registry.failures]
        for failure in self.plugin_failures:
            log.warning("Plugin not loaded: %s", failure)
        self.actions_loaded.emit()

    def plugin_text(self, item: object, message: str) -> str:
        """A string that a plugin's action, panel or transport declares, in the interface's language: through the
        catalog of the plugin that contributed it (SupportStation's own until the plugins are loaded)."""
        if self.registry is None:
            return _(message) if message else message
        return self.registry.translate(item, message)

    async def pool(self) -> ConnectionPool:
        from supportstation.remote import workbench
        from supportstation.remote.pool import ConnectionPool

        async with self._pool_lock:
            if self._pool is None:
                vault = await unlocked_vault(self.context, self.window)
                if vault is None:
                    raise VaultUnavailable(_("The vault is locked: no password or key can be read to log in."))
                self.vault = vault
                if self.context.stand_ins is not None and self.context.stand_ins.secrets:
                    from supportstation.demo_hosts import offer_secrets

                    # The demo's simulated hosts log in with a password the vault may not have yet.
                    await asyncio.to_thread(offer_secrets, vault, self.context.stand_ins.secrets)
                self._pool = ConnectionPool(
                    workbench.host_key_store(self.context.paths),
                    prompt=self._ask_about_key,
                    credentials=workbench.vault_credentials(vault),
                )
                self._pool.transports = self.transports  # the same dict: plugins loaded later are seen
                await self._recover_interrupted_runs(vault)
            return self._pool

    async def _recover_interrupted_runs(self, vault: Vault) -> None:
        """Runs this computer left `running` when the app was killed are closed as interrupted, with the output stored
        until then, and audited: done once the vault is open, since the audit anchor is keyed from it."""
        from supportstation import audit
        from supportstation.remote.recording import recover_interrupted
        from supportstation.remote.workbench import OUTPUTS_FOLDER

        database = self.context.database
        if database is None:
            return
        anchor = audit.Anchor(audit.anchor_path(self.context.paths, demo=self.context.is_demo), vault)
        try:
            closed = await asyncio.to_thread(
                recover_interrupted, database, anchor, self.context.paths.data / OUTPUTS_FOLDER
            )
        except Exception:  # the runs stay `running` until the next try; the engineer's work goes on meanwhile
            log.exception("The runs interrupted by an earlier stop could not be closed")
            return
        if closed:
            log.info("%d run(s) interrupted by an earlier stop closed as such", closed)
            self.interrupted_runs_closed.emit(closed)

    async def connection(self, target: Target) -> SshConnection:
        """The live connection to the target, opened (and its key asked about) when needed; ConnectError if not."""
        from supportstation.remote.host_keys import known_hosts_name

        pool = await self.pool()
        self._labels[known_hosts_name(target.host, target.port)] = target.label
        self._labels[f"{target.host}:{target.port}"] = target.label  # how a WinRM certificate names its host
        self.connection_state.emit(target, "connecting")
        try:
            connection = await pool.connection(target)
        except ConnectError as error:
            self.connection_state.emit(target, str(error))
            raise
        self.connection_state.emit(target, "connected")
        return connection

    def secrets(self) -> list[str]:
        """What must never be shown or stored: every secret the vault has handed out (called in worker threads)."""
        return self.vault.known_secrets() if self.vault is not None else []

    async def runner(self, ticket_id: int | None) -> Runner:
        """A runner that records on the ticket (and on its running intervention, read now), or only in the audit
        log when there is no ticket."""
        from supportstation.remote.runs import Runner

        pool = await self.pool()
        recording = await self.recording(ticket_id)
        return Runner(pool, recorder=recording.recorder, secrets=self.secrets)

    async def recording(self, ticket_id: int | None) -> RecordingContext:
        from supportstation.remote import workbench

        await self.pool()  # opens the vault, which the audit anchor needs
        database = self.context.database
        if database is None or self.vault is None:
            raise ConnectError(_("The database is not open yet."))
        return await asyncio.to_thread(
            workbench.recording_context,
            database,
            self.context.paths,
            self.vault,
            self.context.settings.profile,
            demo=self.context.is_demo,
            by_ticket_id=ticket_id,
        )

    async def _ask_about_key(self, offered: OfferedKey) -> HostKeyDecision:
        from .host_key_dialog import HostKeyDialog

        async with self._question_lock:  # one question at a time during a fan-out
            label = self._labels.get(offered.host_entry, offered.host_entry)
            dialog = HostKeyDialog(offered, label, self.window)
            self.last_key_dialog = dialog
            try:
                return HostKeyDialog.decision(await answer(dialog))
            finally:
                self.last_key_dialog = None
                dialog.deleteLater()

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

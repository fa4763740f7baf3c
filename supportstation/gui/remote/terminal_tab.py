"""A terminal tab: an interactive shell on one host, for what the actions cannot do, recorded on the ticket.

The connection comes from the window's session, so an unknown host key is asked about as for any run, and the
terminal shares the host's connection with the commands. The session is on the ticket's timeline from the moment it
opens, with what the server sent (redacted) saved every few seconds; when the shell ends (or the tab is closed) the
entry is completed and the audit log gets its record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from supportstation.i18n import _
from supportstation.remote.results import ConnectError
from supportstation.remote.shell import EndReason, OutputPipe, ShellEnd, ShellSession
from supportstation.remote.targets import Target

from .session import RemoteSession
from .terminal_widget import TerminalWidget

if TYPE_CHECKING:
    from supportstation.remote.ssh import SshConnection
    from supportstation.remote.terminal_recording import TerminalRecord

log = logging.getLogger(__name__)

TRANSCRIPT_SAVE_INTERVAL = 5.0  # seconds: what a crash of the laptop can lose of a terminal's transcript
HIDE_CURSOR, SHOW_CURSOR = "\x1b[?25l", "\x1b[?25h"
STATE_COLOURS = {"connecting": "#ef6c00", "connected": "#2e7d32", "closed": "#757575", "failed": "#c62828"}


class TerminalTab(QWidget):
    # The session was recorded (on the ticket's timeline when there is a ticket): the timeline can be reloaded.
    recorded = Signal()
    # "connecting", "connected", "closed" or "failed", with the text shown.
    state_changed = Signal(str, str)

    def __init__(
        self, session: RemoteSession, target: Target, ticket_id: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("terminalTab")
        self.session = session
        self.target = target
        self.ticket_id = ticket_id
        self.shell: ShellSession | None = None
        self.state = ""
        self.last_end: ShellEnd | None = None
        self.last_record_error = ""
        self.sessions_recorded = 0  # shells ended and completely recorded
        self._pipe: OutputPipe | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._starting = False

        self.state_label = QLabel()
        self.state_label.setObjectName("terminalState")
        self.reconnect_button = QPushButton(_("Reconnect"))
        self.reconnect_button.setObjectName("terminalReconnect")
        self.reconnect_button.clicked.connect(lambda: asyncio.ensure_future(self.start()))
        self.reconnect_button.setEnabled(False)
        self.terminal = TerminalWidget(self)
        self.terminal.input_bytes.connect(self._send)
        self.terminal.resized.connect(self._resize)

        bar = QHBoxLayout()
        bar.addWidget(self.state_label, 1)
        bar.addWidget(self.reconnect_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.terminal, 1)

    @property
    def connected(self) -> bool:
        return self.shell is not None and self.shell.running

    async def start(self) -> bool:
        """Connects (asking about an unknown host key) and opens the shell; False, with the reason shown, if not."""
        if self.connected or self._starting:
            return self.connected
        self._starting = True
        try:
            return await self._open()
        finally:
            self._starting = False

    async def _open(self) -> bool:
        self.reconnect_button.setEnabled(False)
        self._show_state("connecting", _("Connecting to {host}…").format(host=self.target.label))
        try:
            connection = await self.session.connection(self.target)
            secrets = await asyncio.to_thread(self.session.secrets)
            if not shiboken6.isValid(self):
                return False  # the tab was closed while connecting
            shell, pipe = await self._open_shell(connection, secrets)
        except ConnectError as error:
            if shiboken6.isValid(self):
                self._show_state("failed", _("Not connected: {reason}").format(reason=error))
                self.reconnect_button.setEnabled(True)
            return False
        if not shiboken6.isValid(self):
            pipe.close()
            shell.close()
            return False
        if self._pipe is not None:
            self._pipe.close()
        self._pipe = pipe
        self.terminal.set_source(pipe.take)
        self.shell = shell
        self.terminal.feed(SHOW_CURSOR.encode())
        self.terminal.set_secrets(secrets)
        self.terminal.setFocus()
        self._show_state(
            "connected",
            _("Connected to {host} ({columns}×{rows})").format(
                host=self.target.label, columns=self.terminal.columns, rows=self.terminal.rows
            ),
        )
        self._watcher = asyncio.ensure_future(self._watch(shell, connection))
        return True

    async def _open_shell(self, connection: SshConnection, secrets: list[str]) -> tuple[ShellSession, OutputPipe]:
        loop = asyncio.get_running_loop()
        terminal = self.terminal

        def output_ready() -> None:  # in the shell's reader thread
            with contextlib.suppress(RuntimeError):  # the loop is closed: the window is gone
                loop.call_soon_threadsafe(lambda: shiboken6.isValid(terminal) and terminal.output_ready())

        pipe = OutputPipe(output_ready)
        shell = await ShellSession.open(
            connection, on_output=pipe.put, cols=terminal.columns, rows=terminal.rows, secrets=secrets
        )
        return shell, pipe

    async def close_session(self) -> None:
        """Ends the shell (the tab is being closed) and waits until the session is recorded."""
        shell, watcher = self.shell, self._watcher
        if self._pipe is not None:
            self._pipe.close()  # nothing will show the output any more: the reader must not wait for the screen
        if shell is not None and shell.running:
            shell.close()
        if watcher is not None:
            await watcher

    async def _watch(self, shell: ShellSession, connection: SshConnection) -> None:
        record = await self._open_record(shell, connection)
        saved_bytes = 0
        while True:
            try:
                end = await asyncio.wait_for(shell.wait(), TRANSCRIPT_SAVE_INTERVAL)
                break
            except TimeoutError:
                if record is not None and shell.transcript.bytes_received != saved_bytes:
                    saved_bytes = shell.transcript.bytes_received
                    await self._save_transcript(record, shell)
        self.last_end = end
        if shiboken6.isValid(self):
            state = "failed" if end.reason is EndReason.CONNECTION_LOST else "closed"
            text = _("Closed: {reason}").format(reason=end.message)
            self._show_state(state, text)
            self.reconnect_button.setEnabled(True)
            # Where the session ended stays visible in the scrollback, in grey, after a reconnection too. Only the
            # screen shows it: the transcript holds what the server sent.
            pipe = self._pipe
            unseen = pipe.take(len(pipe)) if pipe is not None else b""  # the shell's last output comes first
            # No cursor either: nothing typed goes anywhere until Reconnect.
            self.terminal.feed(unseen + f"\r\n\x1b[90m[{text}]\x1b[0m\r\n{HIDE_CURSOR}".encode())
        await self._finish_record(record, shell, end)

    async def _open_record(self, shell: ShellSession, connection: SshConnection) -> TerminalRecord | None:
        """The session's entry on the timeline, made as it opens; None (and logged) if it could not be made: the
        end of the session tries again."""
        try:
            record = await self._new_record(shell)
            await asyncio.to_thread(record.open, connection)
        except Exception:
            log.exception("Could not put the terminal session on %s on the timeline", shell.target_label)
            return None
        if shiboken6.isValid(self):
            self.recorded.emit()
        return record

    async def _save_transcript(self, record: TerminalRecord, shell: ShellSession) -> None:
        try:
            await asyncio.to_thread(record.save, shell.transcript.text())
        except Exception:  # tried again at the next interval, and at the end
            log.exception("Could not save the transcript of the terminal on %s", shell.target_label)

    async def _new_record(self, shell: ShellSession) -> TerminalRecord:
        from supportstation.remote.terminal_recording import TerminalRecord

        context = await self.session.recording(self.ticket_id)
        return TerminalRecord(context, shell.target_label, shell.started_at, shell.host_key_fingerprint)

    async def _finish_record(self, record: TerminalRecord | None, shell: ShellSession, end: ShellEnd) -> None:
        assert shell.ended_at is not None
        try:
            if record is None:
                record = await self._new_record(shell)
            await asyncio.to_thread(record.finish, shell.transcript.text(), shell.ended_at, end.message)
        except Exception as error:  # the shell is over either way; the engineer must see that it was not recorded
            log.exception("Could not record the terminal session on %s", shell.target_label)
            self.last_record_error = str(error) or type(error).__name__
            if shiboken6.isValid(self):
                self._show_state(
                    "failed",
                    _("Closed: {reason} The session could not be recorded: {error}").format(
                        reason=end.message, error=self.last_record_error
                    ),
                )
            return
        self.sessions_recorded += 1
        if shiboken6.isValid(self):
            self.recorded.emit()

    def _send(self, data: bytes) -> None:
        if self.shell is not None:
            self.shell.send(data)

    def _resize(self, columns: int, rows: int) -> None:
        if self.shell is not None:
            self.shell.resize(columns, rows)
            if self.connected:
                self._show_state(
                    "connected",
                    _("Connected to {host} ({columns}×{rows})").format(
                        host=self.target.label, columns=columns, rows=rows
                    ),
                )

    def _show_state(self, state: str, text: str) -> None:
        self.state = state
        self.state_label.setText(text)
        self.state_label.setStyleSheet(f"color: {STATE_COLOURS[state]}; font-weight: bold")
        self.state_changed.emit(state, text)

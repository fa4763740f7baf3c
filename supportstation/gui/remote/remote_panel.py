"""Acting on one host at a time: connection state, the action library, the ad-hoc command line, live output, the
parsed table, files and terminals. In a ticket's workspace every run is recorded on the ticket's timeline.
"""

from __future__ import annotations

import asyncio
import html
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _
from supportstation.remote.command_history import CommandHistory
from supportstation.remote.results import ChangedHostKey, ConnectError, RunResult, RunState, state_label

from ..messages import warn
from ..table_model import Column, RowsTableModel
from .action_library import ActionLibrary
from .command_box import CommandBox
from .output_view import OutputView
from .remote_shortcuts import add_panel_shortcuts
from .session import RemoteSession

if TYPE_CHECKING:
    from supportstation.plugin_api.actions import Action, Table
    from supportstation.remote.host_targets import HostTarget
    from supportstation.remote.runs import RunHandle
    from supportstation.remote.targets import Target

log = logging.getLogger(__name__)

COMMAND_HISTORY_FILE = "command_history.json"
LANGUAGE_NAMES = {"sh": "shell", "powershell": "PowerShell", "cmd": "cmd"}
PROMPTS = {"sh": "$", "powershell": "PS>", "cmd": ">"}
STATE_COLOURS = {
    RunState.SUCCEEDED: "#2e7d32",
    RunState.FAILED: "#c62828",
    RunState.CANCELLED: "#757575",
    RunState.TIMED_OUT: "#ef6c00",
    RunState.CONNECTION_LOST: "#c62828",
    RunState.NOT_CONNECTED: "#c62828",
}


def run_summary(result: RunResult) -> str:
    """'succeeded · exit 0 · 1.2 s': the state, the exit code when there is one, and how long it took."""
    parts = [state_label(result.state)]
    if result.exit_code is not None:
        parts.append(_("exit {code}").format(code=result.exit_code))
    if result.ended_at is not None:
        parts.append(format_duration((result.ended_at - result.started_at).total_seconds()))
    return " · ".join(parts)


def format_duration(seconds: float) -> str:
    if seconds < 60:
        return _("{seconds:.1f} s").format(seconds=seconds)
    minutes, seconds = divmod(int(seconds), 60)
    return _("{minutes} min {seconds:02d} s").format(minutes=minutes, seconds=seconds)


class ResultTable(QWidget):
    """An action's parsed output: its rows under its columns, and the parser's notes below."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.view = QTableView()
        self.view.setObjectName("resultTable")
        self.view.setSortingEnabled(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        self.notes = QLabel()
        self.notes.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.notes)
        self.model: RowsTableModel[tuple[str, ...]] | None = None

    def show_table(self, table: Table, translate: Callable[[str], str] = _) -> None:
        """Shows a parser's table; `translate` gives its column headers and notes in the interface's language (the
        plugin's catalog: they are English data, the same for every language in a procedure's record or JSON)."""
        columns = [
            Column(translate(title), lambda row, index=index: row[index]) for index, title in enumerate(table.columns)
        ]
        self.model = RowsTableModel(columns, self)
        self.model.set_rows(table.rows)
        self.view.setModel(self.model)
        self.view.resizeColumnsToContents()
        self.notes.setText("\n".join(translate(note) for note in table.notes))
        self.notes.setVisible(bool(table.notes))


def connection_place(target: Target) -> str:
    """Where the panel's commands go, with the jump hosts on the way: a bastion is part of where one is."""
    if not target.jump:
        return target.url
    hops = " → ".join(hop.name or (hop.host if hop.port == 22 else f"{hop.host}:{hop.port}") for hop in target.jump)
    return _("{target} via {hops}").format(target=target.url, hops=hops)


class RemotePanel(QWidget):
    # A run (or transfer, or terminal session) was recorded: the ticket's timeline can be reloaded.
    recorded = Signal()

    def __init__(
        self,
        session: RemoteSession,
        hosts: Sequence[HostTarget],
        ticket_id: int | None = None,
        actions: Sequence[Action] = (),
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("remotePanel")
        self.session = session
        self.ticket_id = ticket_id
        self.hosts: list[HostTarget] = []
        self.handle: RunHandle | None = None
        self.last_result: RunResult | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._run_started = 0.0

        self.host_combo = QComboBox()
        self.host_combo.setObjectName("hostChoice")
        self.host_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.host_combo.currentIndexChanged.connect(self._host_changed)
        self.connection_label = QLabel()
        self.connection_label.setObjectName("connectionState")
        self.connect_button = QPushButton(_("Connect"))
        self.connect_button.clicked.connect(lambda: self._start(self.connect()))
        self.forget_key_button = QPushButton(_("Forget the old key…"))
        self.forget_key_button.hide()
        self.forget_key_button.clicked.connect(self._forget_key_clicked)
        self.diagnose_button = QPushButton(_("Diagnose…"))
        self.diagnose_button.setObjectName("diagnose")
        self.diagnose_button.setToolTip(_("Check step by step why the connection fails, and how to fix it."))
        self.diagnose_button.hide()
        self.diagnose_button.clicked.connect(lambda: self._start(self.diagnose()))
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Host:")))
        top.addWidget(self.host_combo)
        top.addWidget(self.connection_label, 1)
        top.addWidget(self.forget_key_button)
        top.addWidget(self.diagnose_button)
        # The plugins' own panels for this kind of host (a switch's VLAN map…); hidden when there are none.
        self.plugin_tools = QToolButton()
        self.plugin_tools.setText(_("Plugin tools"))
        self.plugin_tools.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.plugin_tools.setMenu(QMenu(self.plugin_tools))
        self.plugin_tools.hide()
        top.addWidget(self.plugin_tools)
        top.addWidget(self.connect_button)

        self.banner = QLabel()
        self.banner.setObjectName("remoteBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner.hide()

        self.library = ActionLibrary(translate=session.plugin_text)
        self.library.set_actions(actions)
        self.library.run_requested.connect(self._action_requested)
        history = CommandHistory(session.context.paths.data / COMMAND_HISTORY_FILE, self._redact)
        self.command_box = CommandBox(history)
        self.command_box.run_requested.connect(self._command_requested)
        self.run_label = QLabel(_("Nothing has run yet."))
        self.run_label.setObjectName("runState")
        self.cancel_button = QPushButton(_("Cancel"))
        self.cancel_button.setObjectName("cancelRun")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        run_line = QHBoxLayout()
        run_line.addWidget(self.run_label, 1)
        run_line.addWidget(self.cancel_button)
        self.output = OutputView()
        self.table = ResultTable()
        self.results = QTabWidget()
        self.results.setObjectName("runResults")
        self.results.setDocumentMode(True)
        self.results.addTab(self.output, _("Output"))
        self.results.addTab(self.table, _("Table"))
        self.results.setTabEnabled(1, False)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.command_box)
        right_layout.addLayout(run_line)
        right_layout.addWidget(self.results, 1)
        run_page = QSplitter()
        run_page.addWidget(self.library)
        run_page.addWidget(right)
        run_page.setStretchFactor(0, 1)
        run_page.setStretchFactor(1, 3)
        run_page.setSizes([280, 840])

        self.pages = QTabWidget()
        self.pages.setObjectName("remotePages")
        self.pages.addTab(run_page, _("Actions and commands"))
        self.files_page = QWidget()
        QVBoxLayout(self.files_page)
        self.pages.addTab(self.files_page, _("Files"))
        self.terminal_button = QPushButton(_("Open a terminal"))
        self.terminal_button.setObjectName("openTerminal")
        self.terminal_button.clicked.connect(self.open_terminal)
        self.pages.setCornerWidget(self.terminal_button)
        self.pages.setTabsClosable(True)
        self.pages.tabCloseRequested.connect(self._close_page)
        for index in range(2):
            self.pages.tabBar().setTabButton(index, self.pages.tabBar().ButtonPosition.RightSide, None)
        self.pages.currentChanged.connect(self._page_shown)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.banner)
        layout.addWidget(self.pages, 1)

        self._clock = QTimer(self)
        self._clock.setInterval(200)
        self._clock.timeout.connect(self._show_running)
        session.connection_state.connect(self._connection_state)
        session.actions_loaded.connect(self._refresh_plugin_tools)
        self.set_hosts(hosts)
        add_panel_shortcuts(self)

    # -- hosts and connection -------------------------------------------------------------------------------------

    def set_hosts(self, hosts: Sequence[HostTarget]) -> None:
        current = self.current_host()
        self.hosts = list(hosts)
        self.host_combo.blockSignals(True)
        self.host_combo.clear()
        for host in self.hosts:
            where = " — ".join(part for part in (host.client, host.site) if part)
            self.host_combo.addItem(f"{host.label} ({where})" if where else host.label)
        self.host_combo.blockSignals(False)
        index = next((i for i, h in enumerate(self.hosts) if current and h.host_id == current.host_id), 0)
        self.host_combo.setCurrentIndex(index if self.hosts else -1)
        self._host_changed()

    def current_host(self) -> HostTarget | None:
        index = self.host_combo.currentIndex()
        return self.hosts[index] if 0 <= index < len(self.hosts) else None

    def select_host(self, host_id: int) -> None:
        for index, host in enumerate(self.hosts):
            if host.host_id == host_id:
                self.host_combo.setCurrentIndex(index)

    def _host_changed(self) -> None:
        host = self.current_host()
        self._refresh_plugin_tools()
        # A device (switch, BMC) is reachable once its plugin's transport is loaded, which gives its language.
        reachable_device = host is not None and host.target.device is not None and bool(host.target.shell)
        enabled = host is not None and (host.transport in ("ssh", "winrm") or reachable_device)
        for widget in (self.connect_button, self.library, self.command_box):
            widget.setEnabled(enabled)
        # Over WinRM there is no terminal to open and no sudo: a command runs as the account that logs in.
        over_ssh = host is not None and host.transport == "ssh"
        self.terminal_button.setEnabled(over_ssh)
        self.command_box.sudo.setEnabled(over_ssh)
        if not over_ssh:
            self.command_box.sudo.setChecked(False)
        self.banner.hide()
        self.forget_key_button.hide()
        self.diagnose_button.hide()
        if host is None:
            self.connection_label.setText(_("No host on this ticket."))
            return
        self.library.set_system(host.os_family, host.vendor)
        if not enabled and host.target.device is not None:
            self.connection_label.setText(
                _(
                    "{host} is reached through the {transport} transport, which no enabled plugin provides: install"
                    " or enable the plugin that does (see Plugins)."
                ).format(host=host.label, transport=host.transport)
            )
            return
        if not enabled:
            self.connection_label.setText(
                _("{host} is reached over {transport}, which this panel does not handle yet.").format(
                    host=host.label, transport=host.transport
                )
            )
            return
        self.command_box.prompt.setText(PROMPTS.get(host.target.shell, ">"))
        language = LANGUAGE_NAMES.get(host.target.shell)
        if language is None:  # a device's own command line (a switch's IOS…), named by its plugin, not here
            hint = _("A command for {host} (Enter runs; Up and Down for the history)").format(host=host.label)
        else:
            hint = _("A {language} command for {host} (Enter runs; Up and Down for the history)").format(
                language=language, host=host.label
            )
        self.command_box.line.setPlaceholderText(hint)
        self.connection_label.setText(_("{target}: not connected").format(target=connection_place(host.target)))
        self._refresh_files_page()

    def _connection_state(self, target: object, state: str) -> None:
        host = self.current_host()
        if host is None or target != host.target:
            return
        if state == "connecting":
            self.connection_label.setText(_("{target}: connecting…").format(target=connection_place(host.target)))
        elif state == "connected":
            text = _("{target}: connected").format(target=connection_place(host.target))
            self.connection_label.setText("<span style='color:#2e7d32'>●</span> " + text)
            self.banner.hide()
            self.forget_key_button.hide()
            self.diagnose_button.hide()
        else:
            text = _("{target}: not connected").format(target=connection_place(host.target))
            self.connection_label.setText("<span style='color:#c62828'>●</span> " + text)

    async def connect(self) -> bool:
        host = self.current_host()
        if host is None:
            return False
        try:
            await self.session.connection(host.target)
        except ConnectError as error:
            self.show_connection_error(error)
            return False
        return True

    def show_connection_error(self, error: Exception) -> None:
        changed = isinstance(error, ChangedHostKey)
        if changed:
            self.banner.setStyleSheet(
                "background: #c62828; color: white; font-weight: bold; padding: 10px; border-radius: 3px;"
            )
        else:
            self.banner.setStyleSheet("background: #fdecea; color: #8e1c1c; padding: 8px; border-radius: 3px;")
        self.banner.setText(str(error))
        self.banner.show()
        self.forget_key_button.setVisible(changed)
        host = self.current_host()
        self.diagnose_button.setVisible(host is not None and host.target.winrm is not None)

    async def diagnose(self) -> list[Any]:
        """The WinRM diagnostics for the chosen host, run in a worker thread and shown in the banner, step by step."""
        from supportstation.remote.winrm_diagnosis import StepState, diagnose

        host = self.current_host()
        if host is None or host.target.winrm is None:
            return []
        self.diagnose_button.setEnabled(False)
        self.banner.setStyleSheet("background: #f4f6f8; color: #1f2933; padding: 8px; border-radius: 3px;")
        self.banner.setText(_("Diagnosing the connection to {host}…").format(host=host.label))
        try:
            pool = await self.session.pool()
            password = (await asyncio.to_thread(pool.credentials, host.target)).password
            steps = await asyncio.to_thread(lambda: list(diagnose(host.target, password, pins=pool.certificates)))
        finally:
            self.diagnose_button.setEnabled(True)
        marks = {
            StepState.OK: "<span style='color:#2e7d32'>✔</span>",
            StepState.WARNING: "<span style='color:#b26a00'>!</span>",
            StepState.FAILED: "<span style='color:#c62828'>✘</span>",
            StepState.SKIPPED: "–",
        }
        lines = []
        for step in steps:
            line = f"{marks[step.state]} <b>{html.escape(step.name)}</b>: {html.escape(step.detail)}"
            if step.fix:
                line += "<br>&nbsp;&nbsp;&nbsp;&nbsp;" + html.escape(_("To fix: {fix}").format(fix=step.fix))
            lines.append(line)
        self.banner.setText("<br>".join(lines))
        return steps

    def _forget_key_clicked(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        host = self.current_host()
        if host is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("Forget the stored key?"),
            _(
                "Only do this once the host's administrator has confirmed that its key really changed (a "
                "reinstallation, a new server). The next connection will then ask you to check the new key."
            ),
            QMessageBox.StandardButton.Cancel,
            self,
        )
        forget = box.addButton(_("Forget the old key"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered() -> None:
            if box.clickedButton() is forget:
                self._forget_key(host)

        box.finished.connect(answered)
        box.open()

    def _forget_key(self, host: HostTarget) -> None:
        from supportstation.remote import workbench

        store = workbench.host_key_store(self.session.context.paths)
        if host.target.winrm is not None:
            self._forget_certificate(host)
            return
        removed = store.remove(host.target.host, host.target.port)
        if removed:
            self.banner.hide()
            self.forget_key_button.hide()
            self.connection_label.setText(_("The old key was forgotten: connect to check the new one."))
        else:
            self.banner.setText(
                _("The key is not in SupportStation's file but in {file}: remove it there with ssh-keygen -R.").format(
                    file=store.user_file
                )
            )

    def _forget_certificate(self, host: HostTarget) -> None:
        from supportstation.remote import workbench

        pins = workbench.certificate_pins(self.session.context.paths)
        pins.remove(f"{host.target.host}:{host.target.port}")
        self.banner.hide()
        self.forget_key_button.hide()
        self.connection_label.setText(_("The old certificate was forgotten: connect to check the new one."))

    # -- running -----------------------------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.handle is not None

    def _command_requested(self, command: str, sudo: bool, timeout: int) -> None:
        self._start(self.run(command, sudo=sudo, timeout=timeout or None))

    def _action_requested(self, action: Action, arguments: Mapping[str, object]) -> None:
        host = self.current_host()
        if host is None:
            return
        shell = action.shell_for(host.target.shells)
        command = action.command_for(shell, arguments)
        self._start(self._confirm_then_run(action, host, command, shell))

    async def _confirm_then_run(self, action: Action, host: HostTarget, command: str, shell: str) -> None:
        from .action_confirmation import confirmed

        if not await confirmed(action, host.label, self, self.session.plugin_text):
            title = self.session.plugin_text(action, action.title)
            self.run_label.setText(_("{action}: not run.").format(action=title))
            return
        await self.run(command, action=action, sudo=action.needs_sudo, timeout=action.timeout, shell=shell)

    # -- plugin panels ---------------------------------------------------------------------------------------------

    def _refresh_plugin_tools(self) -> None:
        from .plugin_panels import panels_for

        menu = self.plugin_tools.menu()
        menu.clear()
        host = self.current_host()
        for panel in panels_for(self.session.registry, host):
            item = menu.addAction(self.session.plugin_text(panel, panel.title))
            item.triggered.connect(lambda _checked=False, chosen=panel: self.open_plugin_panel(chosen))
        self.plugin_tools.setVisible(not menu.isEmpty())

    def open_plugin_panel(self, panel: Any) -> QWidget | None:
        """Opens a plugin's panel for the current host in a tab of its own; None when it could not be built."""
        from .plugin_panels import build_panel

        host = self.current_host()
        registry = self.session.registry
        if host is None or registry is None:
            return None

        def run_action(action_id: str, arguments: Mapping[str, object]) -> None:
            action = next((action for action in self.session.actions if action.id == action_id), None)
            if action is None:
                self.run_label.setText(_("No loaded plugin has the action {id}.").format(id=action_id))
                return
            self.pages.setCurrentIndex(0)  # the output shows there
            self._action_requested(action, arguments)

        built = build_panel(registry, panel, host, {}, run_action)
        if isinstance(built, str):
            warn(self, _("Plugin tools"), built)
            self._refresh_plugin_tools()
            return None
        index = self.pages.addTab(built, " — ".join((self.session.plugin_text(panel, panel.title), host.label)))
        self.pages.setCurrentIndex(index)
        return built

    async def run(
        self,
        command: str,
        *,
        action: Action | None = None,
        sudo: bool = False,
        timeout: float | None = None,
        shell: str | None = None,
    ) -> RunResult | None:
        """Runs on the chosen host with its output shown live; the result, or None when it could not start."""
        from supportstation.remote.runs import RunRequest

        host = self.current_host()
        if host is None or self.running:
            return None
        self.output.clear()
        self.results.setCurrentIndex(0)
        self.results.setTabEnabled(1, False)
        self._set_running(True, _("Connecting to {host}…").format(host=host.label))
        try:
            await self.session.connection(host.target)
            runner = await self.session.runner(self.ticket_id)
            action_id = action.id if action else None
            attach_as = action.attachment if action else ""
            request = RunRequest(
                host.target, command, timeout, sudo=sudo, action_id=action_id, shell=shell, attach_as=attach_as
            )
            self.handle = await runner.start(request)
        except ConnectError as error:
            self.show_connection_error(error)
            self._set_running(False, _("Not run: {error}").format(error=error))
            return None
        except Exception as error:
            log.exception("A remote run could not start")
            self._set_running(False, _("Not run: {error}").format(error=error))
            return None
        self._run_started = time.monotonic()
        self._show_running()
        handle = self.handle
        try:
            async for chunk in handle:
                self.output.append((chunk,))
            result = await handle.wait()
        finally:
            self.handle = None
        summary = run_summary(result)
        if result.error:
            summary += " — " + result.error
        self.output.finish(summary)
        colour = STATE_COLOURS.get(result.state, "#000")
        problem = None
        if action is not None and result.state is RunState.SUCCEEDED:
            problem = await self._show_table(action, result)
        status = f"<span style='color:{colour}'>●</span> {summary}"
        self._set_running(False, f"{status} — {problem}" if problem else status)
        self.last_result = result  # last: whoever waits on it finds the run's table and status shown
        if self.ticket_id is not None:
            self.recorded.emit()
        return result

    async def _show_table(self, action: Action, result: RunResult) -> str | None:
        """Shows the action's output as a table when its parser makes one; what went wrong, if anything."""
        from supportstation.plugin_api.actions import ParseError

        try:
            table = await asyncio.to_thread(action.parse, result.stdout)
        except ParseError as error:
            return _("the output could not be read as a table: {error}").format(error=error)
        if table is not None:
            self.table.show_table(table, lambda text: self.session.plugin_text(action, text))
            self.results.setTabEnabled(1, True)
            self.results.setCurrentIndex(1)
        return None

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.cancel_button.setEnabled(False)
            self.run_label.setText(_("Cancelling…"))

    def _set_running(self, running: bool, text: str) -> None:
        self.run_label.setText(text)
        self.cancel_button.setEnabled(running)
        self.library.run_button.setEnabled(not running and self.library.current_action() is not None)
        self.command_box.run_button.setEnabled(not running)
        self.host_combo.setEnabled(not running)
        if running:
            self._clock.start()
        else:
            self._clock.stop()

    def _show_running(self) -> None:
        if self.handle is None or self.handle.cancelled:
            return
        elapsed = format_duration(time.monotonic() - self._run_started)
        self.run_label.setText(
            _("Running {command} on {host}… {elapsed}").format(
                command=self.handle.result.command[:80], host=self.handle.request.target.label, elapsed=elapsed
            )
        )

    def _redact(self, text: str) -> str:
        from supportstation.vault.redaction import redact

        return redact(text, self.session.secrets())

    # -- files and terminals -----------------------------------------------------------------------------------

    def _page_shown(self, index: int) -> None:
        if self.pages.widget(index) is self.files_page:
            self._refresh_files_page()

    def _refresh_files_page(self) -> None:
        if self.pages.currentWidget() is not self.files_page:
            return  # built when first shown: it connects to list the remote folder
        from .transfer_panel import TransferPanel

        host = self.current_host()
        layout = self.files_page.layout()
        existing = layout.itemAt(0).widget() if layout.count() else None
        if isinstance(existing, TransferPanel) and host is not None and existing.target == host.target:
            return
        if existing is not None:
            layout.removeWidget(existing)
            existing.deleteLater()
        if host is None:
            return
        panel = TransferPanel(self.session, host.target, self.ticket_id)
        panel.recorded.connect(self.recorded)
        layout.addWidget(panel)

    def open_terminal(self) -> Any:
        from .terminal_tab import TerminalTab

        host = self.current_host()
        if host is None:
            return None
        tab = TerminalTab(self.session, host.target, self.ticket_id)
        tab.recorded.connect(self.recorded)
        index = self.pages.addTab(tab, _("Terminal — {host}").format(host=host.label))
        self.pages.setCurrentIndex(index)
        self._start(tab.start())
        return tab

    def _close_page(self, index: int) -> None:
        widget = self.pages.widget(index)
        if index < 2 or widget is None:
            return
        self.pages.removeTab(index)
        closing = getattr(widget, "close_session", None)
        if closing is not None:
            self._start(self._close_then_reload(closing))
        widget.deleteLater()

    async def _close_then_reload(self, close_session: Callable[[], Awaitable[None]]) -> None:
        await close_session()
        if shiboken6.isValid(self):
            self.recorded.emit()  # for the closed tab, which cannot say so any more

    # -- tasks ---------------------------------------------------------------------------------------------------

    def _start(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

"""One command or action on many hosts at once: pick the hosts (by client and site, by tag, or one by one), run, and
watch a matrix of per-host state, exit code and output; then run again on the hosts that failed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QTreeWidgetItemIterator,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _
from supportstation.remote.command_history import CommandHistory
from supportstation.remote.results import Chunk, ConnectError, RunResult, RunState, state_label

from ..table_model import Column, RowsTableModel
from .action_library import ActionLibrary
from .command_box import CommandBox
from .output_view import OutputView
from .remote_panel import COMMAND_HISTORY_FILE, STATE_COLOURS, format_duration
from .remote_shortcuts import add_fan_out_shortcuts
from .session import RemoteSession

if TYPE_CHECKING:
    from supportstation.plugin_api.actions import Action
    from supportstation.remote.host_targets import HostTarget
    from supportstation.remote.runs import RunHandle

log = logging.getLogger(__name__)

_HOST_ROLE = Qt.ItemDataRole.UserRole
FAILED_STATES = (RunState.FAILED, RunState.TIMED_OUT, RunState.CONNECTION_LOST, RunState.NOT_CONNECTED)
ACTION_TREE_HEIGHT = 360  # the action tab: the tree and its description, on a laptop screen


@dataclass
class HostRun:
    """One row of the matrix: a host and its run, updated live."""

    host: HostTarget
    state: str = ""  # "waiting", "running" or a RunState's value
    handle: RunHandle | None = None
    result: RunResult | None = None
    started: float = 0.0
    received: int = 0
    last_line: str = ""

    @property
    def failed(self) -> bool:
        return self.result is not None and self.result.state in FAILED_STATES


def _state_text(run: HostRun) -> str:
    if run.result is not None:
        return state_label(run.result.state)
    return {"waiting": _("waiting"), "running": _("running")}.get(run.state, "")


def _duration_text(run: HostRun) -> str:
    if run.result is not None and run.result.ended_at is not None:
        return format_duration((run.result.ended_at - run.result.started_at).total_seconds())
    if run.state == "running":
        return format_duration(time.monotonic() - run.started)
    return ""


def _state_colour(run: HostRun) -> QColor | None:
    if run.result is None:
        return None
    return QColor(STATE_COLOURS.get(run.result.state, "#000000"))


def _output_text(run: HostRun) -> str:
    if run.result is not None and run.result.error:
        return run.result.error
    return run.last_line


CLIENT_SITE_COLUMN = 1


def matrix_columns() -> list[Column[HostRun]]:
    return [
        Column(_("Host"), lambda run: run.host.label, tooltip=lambda run: run.host.target.url),
        Column(_("Client / site"), lambda run: " — ".join(p for p in (run.host.client, run.host.site) if p)),
        Column(_("State"), _state_text, foreground=_state_colour),
        Column(
            _("Exit"),
            lambda run: "" if run.result is None or run.result.exit_code is None else str(run.result.exit_code),
            alignment=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        ),
        Column(_("Duration"), _duration_text, alignment=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
        Column(_("Output"), _output_text, tooltip=_output_text),
    ]


class HostPicker(QWidget):
    """The inventory as a checkable tree, client then site then host; a tag checks every host that has it."""

    selection_changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText(_("Filter hosts…"))
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)
        self.tags = QComboBox()
        self.tags.setObjectName("tagChoice")
        self.tags.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.tags.setMinimumContentsLength(8)
        self.tags.activated.connect(self._tag_chosen)
        self.tree = QTreeWidget()
        self.tree.setObjectName("hostPicker")
        self.tree.setHeaderHidden(True)
        self.tree.itemChanged.connect(lambda _item, _column: self.selection_changed.emit())
        none_button = QPushButton(_("None"))
        none_button.clicked.connect(lambda: self.check(set()))
        row = QHBoxLayout()
        row.addWidget(self.tags, 1)
        row.addWidget(none_button)
        self.count_label = QLabel()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addLayout(row)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.count_label)
        self.selection_changed.connect(self._count)
        self.hosts: list[HostTarget] = []

    def set_hosts(self, hosts: Sequence[HostTarget]) -> None:
        checked = {host.host_id for host in self.checked_hosts()}
        self.hosts = list(hosts)
        self.tree.blockSignals(True)
        self.tree.clear()
        parents: dict[tuple[str, ...], QTreeWidgetItem] = {}
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable
        for host in self.hosts:
            client = parents.get((host.client,))
            if client is None:
                client = parents[(host.client,)] = QTreeWidgetItem(self.tree, [host.client])
                client.setFlags(flags | Qt.ItemFlag.ItemIsAutoTristate)
                client.setCheckState(0, Qt.CheckState.Unchecked)
                client.setExpanded(True)
            parent = client
            if host.site:
                site = parents.get((host.client, host.site))
                if site is None:
                    site = parents[(host.client, host.site)] = QTreeWidgetItem(client, [host.site])
                    site.setFlags(flags | Qt.ItemFlag.ItemIsAutoTristate)
                    site.setCheckState(0, Qt.CheckState.Unchecked)
                    site.setExpanded(True)
                parent = site
            item = QTreeWidgetItem(parent, [host.label])
            item.setFlags(flags | Qt.ItemFlag.ItemIsSelectable)
            item.setData(0, _HOST_ROLE, host)
            item.setToolTip(0, ", ".join((host.target.url, *host.tags)))
            item.setCheckState(0, Qt.CheckState.Checked if host.host_id in checked else Qt.CheckState.Unchecked)
        self.tree.blockSignals(False)
        tags = sorted({tag for host in self.hosts for tag in host.tags}, key=str.casefold)
        self.tags.clear()
        self.tags.addItem(_("Check the hosts tagged…"))
        self.tags.addItems(tags)
        self._count()

    def _host_items(self) -> list[QTreeWidgetItem]:
        items = []
        iterator = QTreeWidgetItemIterator(self.tree)
        while iterator.value() is not None:
            item = iterator.value()
            if item.data(0, _HOST_ROLE) is not None:
                items.append(item)
            iterator += 1
        return items

    def checked_hosts(self) -> list[HostTarget]:
        return [item.data(0, _HOST_ROLE) for item in self._host_items() if item.checkState(0) == Qt.CheckState.Checked]

    def check(self, host_ids: set[int]) -> None:
        for item in self._host_items():
            wanted = item.data(0, _HOST_ROLE).host_id in host_ids
            item.setCheckState(0, Qt.CheckState.Checked if wanted else Qt.CheckState.Unchecked)

    def _tag_chosen(self, index: int) -> None:
        if index <= 0:
            return
        tag = self.tags.itemText(index)
        already = {host.host_id for host in self.checked_hosts()}
        self.check(already | {host.host_id for host in self.hosts if tag in host.tags})
        self.tags.setCurrentIndex(0)

    def _apply_filter(self, text: str) -> None:
        words = text.casefold().split()
        for item in self._host_items():
            host: HostTarget = item.data(0, _HOST_ROLE)
            haystack = " ".join((host.label, host.target.host, host.client, host.site, *host.tags)).casefold()
            item.setHidden(not all(word in haystack for word in words))

    def _count(self) -> None:
        self.count_label.setText(_("{count} hosts checked").format(count=len(self.checked_hosts())))


class FanOutView(QWidget):
    recorded = Signal()

    def __init__(
        self,
        session: RemoteSession,
        hosts: Sequence[HostTarget] = (),
        actions: Sequence[Action] = (),
        ticket_id: int | None = None,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setObjectName("fanOutView")
        self.session = session
        self.ticket_id = ticket_id
        self.runs: list[HostRun] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_request: tuple[str, Action | None, bool, float | None, dict[str, object] | None] | None = None
        self.running = False

        self.picker = HostPicker()
        self.picker.setMinimumWidth(150)  # the window must still fit a small laptop screen beside the navigation
        self.picker.set_hosts(hosts)
        history = CommandHistory(session.context.paths.data / COMMAND_HISTORY_FILE)
        self.command_box = CommandBox(history)
        self.command_box.run_requested.connect(
            lambda command, sudo, timeout: self._start(self.run(command, sudo=sudo, timeout=timeout or None))
        )
        self.library = ActionLibrary(translate=session.plugin_text)
        self.library.show_all.setChecked(True)  # the hosts picked may be of several kinds
        self.library.set_actions(actions)
        self.library.run_requested.connect(self._action_requested)
        self.what = QTabWidget()
        self.what.setDocumentMode(True)
        self.what.addTab(self.command_box, _("Command"))
        self.what.addTab(self.library, _("Action"))
        self.what.currentChanged.connect(self._fit_what)
        self._fit_what()
        self.limit = QSpinBox()
        self.limit.setRange(1, 100)
        self.limit.setValue(10)
        self.limit.setPrefix(_("At once: "))
        self.limit.setToolTip(_("How many hosts run the command at the same time."))
        self.cancel_button = QPushButton(_("Cancel all"))
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.rerun_button = QPushButton(_("Retry the failed"))
        self.rerun_button.setToolTip(_("Run the same command again on the hosts where it failed."))
        self.rerun_button.setObjectName("rerunFailed")
        self.rerun_button.setEnabled(False)
        self.rerun_button.clicked.connect(lambda: self._start(self.rerun_failed()))
        self.summary = QLabel()
        self.summary.setObjectName("fanOutSummary")
        controls = QHBoxLayout()
        controls.addWidget(self.summary, 1)
        controls.addWidget(self.limit)
        controls.addWidget(self.rerun_button)
        controls.addWidget(self.cancel_button)

        self.model: RowsTableModel[HostRun] = RowsTableModel(matrix_columns(), self)
        self.matrix = QTableView()
        self.matrix.setObjectName("fanOutMatrix")
        self.matrix.setModel(self.model)
        self.matrix.verticalHeader().hide()
        self.matrix.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.matrix.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.matrix.horizontalHeader().setStretchLastSection(True)
        self.matrix.selectionModel().currentRowChanged.connect(lambda current, _old: self._show_output(current.row()))
        self.output = OutputView()
        results = QSplitter(Qt.Orientation.Vertical)
        results.addWidget(self.matrix)
        results.addWidget(self.output)
        results.setSizes([300, 260])

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addWidget(self.what)
        right_layout.addLayout(controls)
        right_layout.addWidget(results, 1)
        splitter = QSplitter()
        splitter.addWidget(self.picker)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([260, 900])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _fit_what(self) -> None:
        """The command line takes its own height, not the action tree's: the results below get the rest."""
        if self.what.currentWidget() is self.command_box:
            self.what.setMaximumHeight(self.what.tabBar().sizeHint().height() + self.command_box.sizeHint().height())
        else:
            self.what.setMaximumHeight(ACTION_TREE_HEIGHT)

        self._shown_row = -1
        self._repaint = QTimer(self)
        self._repaint.setInterval(250)
        self._repaint.timeout.connect(self._refresh)
        add_fan_out_shortcuts(self)

    def set_hosts(self, hosts: Sequence[HostTarget]) -> None:
        self.picker.set_hosts(hosts)

    def _action_requested(self, action: Action, arguments: dict[str, object]) -> None:
        self._start(self._confirm_then_run(action, arguments))

    async def _confirm_then_run(self, action: Action, arguments: dict[str, object]) -> None:
        from .action_confirmation import confirmed

        hosts = ", ".join(host.label for host in self.picker.checked_hosts())
        if await confirmed(action, hosts, self, self.session.plugin_text):
            await self.run("", action=action, arguments=arguments, sudo=action.needs_sudo, timeout=action.timeout)

    async def run(
        self,
        command: str,
        *,
        action: Action | None = None,
        sudo: bool = False,
        timeout: float | None = None,
        hosts: Sequence[HostTarget] | None = None,
        arguments: dict[str, object] | None = None,
    ) -> list[HostRun]:
        """Runs on the checked hosts (or those given); returns the rows once every host has finished. An action's
        command is made for each host's shell (sh, PowerShell or cmd) from `arguments`."""
        from supportstation.clock import utc_now
        from supportstation.plugin_api.actions import ActionError
        from supportstation.remote.fanout import fan_out
        from supportstation.remote.runs import RunRequest

        chosen = list(hosts if hosts is not None else self.picker.checked_hosts())
        if self.running or not chosen:
            if not chosen:
                self.summary.setText(_("Check at least one host."))
            return []
        self._last_request = (command, action, sudo, timeout, arguments)
        self.runs = [HostRun(host, state="waiting") for host in chosen]
        by_target = {run.host.target: run for run in self.runs}
        self.model.set_rows(self.runs)
        self._fit_columns()
        self.output.clear()
        self._shown_row = -1
        self._set_running(True)
        try:
            runner = await self.session.runner(self.ticket_id)
        except ConnectError as error:
            self.summary.setText(_("Not run: {error}").format(error=error))
            self._set_running(False)
            return self.runs

        async def watch(handle: RunHandle) -> None:
            run = by_target[handle.request.target]
            run.handle, run.state, run.started = handle, "running", time.monotonic()
            async for chunk in handle:
                self._received(run, chunk)

        requests = []
        for run in self.runs:
            shell = None
            if action is not None:
                try:
                    shell = action.shell_for(run.host.target.shells)
                    command = action.command_for(shell, arguments)
                except ActionError as error:  # e.g. a Linux action on a Windows host checked with the others
                    unrun = RunResult(target=run.host.target.url, command=action.id, started_at=utc_now())
                    unrun.state, unrun.error, unrun.ended_at = RunState.NOT_CONNECTED, str(error), utc_now()
                    run.result = unrun
                    continue
            requests.append(
                RunRequest(
                    run.host.target,
                    command,
                    timeout=timeout,
                    sudo=sudo,
                    action_id=action.id if action else None,
                    shell=shell,
                    attach_as=action.attachment if action else "",
                )
            )
        try:
            results = await fan_out(runner, requests, limit=self.limit.value(), watch=watch)
        finally:
            self._set_running(False)
        for target, result in results.items():
            run = by_target[target]
            run.result, run.state, run.handle = result, result.state.value, None
        self._refresh()
        self._fit_columns()  # "succeeded" is longer than the "waiting" the columns were sized for
        if self._shown_row < 0 and self.runs:
            # Nothing picked while it ran: the first failure's output, what the engineer looks at next.
            row = next((row for row, run in enumerate(self.runs) if run.failed), 0)
            self.matrix.selectRow(row)
        if self._shown_row >= 0:
            self._show_output(self._shown_row)
        if self.ticket_id is not None:
            self.recorded.emit()
        return self.runs

    def _fit_columns(self) -> None:
        # The client and site say nothing when every host shares them (a ticket's hosts): their room goes to output.
        places = {(run.host.client, run.host.site) for run in self.runs}
        self.matrix.setColumnHidden(CLIENT_SITE_COLUMN, len(places) <= 1)
        for column in range(self.model.columnCount() - 1):  # the output, last, takes the rest
            self.matrix.resizeColumnToContents(column)

    async def rerun_failed(self) -> list[HostRun]:
        failed = [run.host for run in self.runs if run.failed]
        if not failed or self._last_request is None:
            return []
        command, action, sudo, timeout, arguments = self._last_request
        return await self.run(command, action=action, sudo=sudo, timeout=timeout, hosts=failed, arguments=arguments)

    def cancel(self) -> None:
        for run in self.runs:
            if run.handle is not None:
                run.handle.cancel()
            elif run.state == "waiting":
                run.state = "cancelled"
        self.cancel_button.setEnabled(False)

    def _received(self, run: HostRun, chunk: Chunk) -> None:
        run.received += len(chunk.data)
        tail = chunk.data[-300:].decode("utf-8", "replace").rstrip("\r\n")
        if tail:
            run.last_line = tail.rsplit("\n", 1)[-1].rsplit("\r", 1)[-1][:200]
        if self._shown_row >= 0 and self.runs[self._shown_row] is run:
            self.output.append((chunk,))

    def _show_output(self, row: int) -> None:
        self._shown_row = row
        self.output.clear()
        if not 0 <= row < len(self.runs):
            return
        run = self.runs[row]
        source = run.result or (run.handle.result if run.handle is not None else None)
        if source is not None:
            self.output.append(tuple(source.output.chunks()))
        if run.result is not None:
            from .remote_panel import run_summary

            summary = run_summary(run.result)
            self.output.finish(summary + (" — " + run.result.error if run.result.error else ""))

    def _set_running(self, running: bool) -> None:
        self.running = running
        self.cancel_button.setEnabled(running)
        self.command_box.run_button.setEnabled(not running)
        self.library.run_button.setEnabled(not running)
        self.picker.setEnabled(not running)
        if running:
            self._repaint.start()
        else:
            self._repaint.stop()
        self._refresh()

    def _refresh(self) -> None:
        self.model.rows_changed()
        finished = [run for run in self.runs if run.result is not None]
        failed = [run for run in finished if run.failed]
        succeeded = [run for run in finished if run.result is not None and run.result.state is RunState.SUCCEEDED]
        if self.runs:
            self.summary.setText(
                _("{done} of {total} done: {ok} succeeded, {failed} failed").format(
                    done=len(finished), total=len(self.runs), ok=len(succeeded), failed=len(failed)
                )
            )
        self.rerun_button.setEnabled(not self.running and bool(failed))

    def _start(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

"""The hosts inventory: clients and sites on the left, the hosts of the chosen one on the right, a search box, and
the toolbar to add, edit, remove, import, test and act on hosts.

Testing a connection and acting on hosts belong to the remote panels: this view only says which hosts
(`test_connection_requested`, `act_requested`). After a change it emits `changed`, and the window reloads the rows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.remote.inventory import HostRow, facts_text, system_label, transport_label

from .. import shortcut_actions
from ..dialog_future import answer
from ..messages import warn
from ..table_model import Column, RowsTableModel
from .host_scopes import EVERYTHING, Scope, ScopeTree
from .loading import MessageTable

log = logging.getLogger(__name__)

_MUTED = QBrush(QColor("#757575"))


def host_columns() -> list[Column[HostRow]]:
    return [
        Column(_("Name"), lambda row: row.name, tooltip=_name_tooltip),
        Column(_("Address"), lambda row: row.endpoint),
        Column(_("System"), lambda row: system_label(row.os_family, row.vendor), tooltip=facts_text),
        Column(_("Transport"), lambda row: transport_label(row.transport)),
        Column(_("Login"), lambda row: row.login_user),
        Column(_("Credential"), lambda row: row.credential or "—", foreground=_muted_unless_credential),
        Column(_("Tags"), lambda row: ", ".join(row.tags), tooltip=lambda row: ", ".join(row.tags)),
        Column(_("Client"), lambda row: row.client),
        Column(_("Site"), lambda row: row.site),
        Column(_("Notes"), lambda row: row.notes.split("\n", 1)[0], tooltip=lambda row: row.notes),
    ]


COLUMN_WIDTHS = [130, 105, 140, 70, 60, 130, 120, 190, 140]
# Hidden when the tree on the left already says them.
CLIENT_COLUMN, SITE_COLUMN = 7, 8


def _muted_unless_credential(row: HostRow) -> QBrush | None:
    return None if row.credential else _MUTED


def _name_tooltip(row: HostRow) -> str:
    lines = [f"{row.name} — {row.endpoint}"]
    if row.proxy_jump:
        lines.append(_("Through {hops}").format(hops=row.proxy_jump))
    if row.facts:
        lines.append(facts_text(row))
    return "\n".join(lines)


class HostsView(QWidget):
    test_connection_requested = Signal(list)  # host ids
    act_requested = Signal(list)  # host ids
    changed = Signal()  # hosts were added, edited, removed or imported: the window reloads them

    def __init__(self, context: AppContext | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.all_rows: list[HostRow] = []
        self._search_texts: list[str] = []
        self._scope: Scope = EVERYTHING
        self._tasks: set[asyncio.Task[Any]] = set()
        self._form_open = False
        # The loaded plugins' transports (name, title, default port), offered in the host form; set by the window.
        self.device_transports: tuple[tuple[str, str, int], ...] = ()

        self.heading = QLabel("<h2>" + _("Hosts") + "</h2>")
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.search = QLineEdit()
        self.search.setObjectName("hostsSearch")
        self.search.setPlaceholderText(_("Search name, address, tag, note, credential…"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.apply_filter)

        self.add_action = self._action(
            _("Add…"), _("Add a host to the inventory"), self.add_host, shortcut_actions.ADD_HOST
        )
        self.edit_action = self._action(_("Edit…"), _("Edit the selected host"), self.edit_host)
        self.remove_action = self._action(_("Remove"), _("Remove the selected hosts"), self.remove_hosts)
        self.import_action = self._action(
            _("Import…"), _("Import hosts from ~/.ssh/config, an Ansible inventory or a CSV file"), self.import_hosts
        )
        self.test_action = self._action(
            _("Test connection"), _("Check that the selected hosts answer and accept the login"), self._test_selected
        )
        self.act_action = self._action(
            _("Act on the selection"),
            _("Open the remote panel on the selected hosts"),
            self._act_on_selected,
            shortcut_actions.ACT_ON_HOSTS,
        )
        self.search_action = shortcut_actions.make(self, shortcut_actions.SEARCH_HOSTS, self.focus_search)
        toolbar = QHBoxLayout()
        toolbar.setSpacing(4)
        for action in (self.add_action, self.edit_action, self.remove_action, None, self.import_action, None,
                       self.test_action, self.act_action):  # fmt: skip
            if action is None:
                toolbar.addSpacing(12)
                continue
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            toolbar.addWidget(button)
        toolbar.addStretch(1)
        toolbar.addWidget(self.search, 2)

        self.scopes = ScopeTree()
        self.scopes.chosen.connect(self._scope_chosen)

        self.model: RowsTableModel[HostRow] = RowsTableModel(host_columns(), self)
        self.rows = MessageTable()
        table = self.rows.table
        table.setModel(self.model)
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.horizontalHeader().setStretchLastSection(True)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(COLUMN_WIDTHS):
            table.setColumnWidth(column, width)
        table.doubleClicked.connect(lambda _index: self._run(self.edit_host()))
        table.activated.connect(lambda _index: self._run(self.edit_host()))
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        table.selectionModel().selectionChanged.connect(self._update_actions)
        # Delete removes only from the table: in the search box it must keep deleting characters.
        self._give_shortcut(self.remove_action, shortcut_actions.REMOVE_HOSTS, table, Qt.ShortcutContext.WidgetShortcut)

        self.splitter = QSplitter()
        self.splitter.addWidget(self.scopes)
        self.splitter.addWidget(self.rows)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([255, 1000])

        titles = QHBoxLayout()
        titles.addWidget(self.heading)
        titles.addSpacing(12)
        titles.addWidget(self.summary, 1, Qt.AlignmentFlag.AlignBottom)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(titles)
        layout.addLayout(toolbar)
        layout.addWidget(self.splitter, 1)
        self.rows.show_message(_("Opening the database…"))
        self._update_actions()

    def _action(
        self, text: str, tip: str, slot: Callable[[], object], shortcut: shortcut_actions.Shortcut | None = None
    ) -> QAction:
        action = QAction(text, self)
        action.setIconText(text)  # toolbar buttons would drop the "…" that says a dialog opens
        action.setToolTip(tip)
        if shortcut is not None:
            self._give_shortcut(action, shortcut, self, Qt.ShortcutContext.WindowShortcut)  # while the view shows
        action.triggered.connect(lambda _checked=False: self._run(slot()))
        return action

    @staticmethod
    def _give_shortcut(
        action: QAction, shortcut: shortcut_actions.Shortcut, owner: QWidget, context: Qt.ShortcutContext
    ) -> None:
        # The toolbar keeps its short word (the icon text); menus and the shortcuts dialog say what it acts on.
        action.setText(shortcut.text())
        action.setObjectName(shortcut.name)
        action.setShortcuts(shortcut.sequences())
        action.setShortcutContext(context)
        shortcut_actions.tag(action, shortcut.area)
        owner.addAction(action)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _run(self, result: object) -> None:
        # Slots that open dialogs are coroutines: they await the dialog instead of starting a nested event loop.
        if asyncio.iscoroutine(result):
            task = asyncio.ensure_future(result)
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            task.add_done_callback(self._report_failure)

    def _report_failure(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        log.error("A hosts view action failed", exc_info=error)
        warn(self, _("The inventory could not be changed"), str(error))

    # -- rows ---------------------------------------------------------------------------------------------------

    def show_unavailable(self, reason: str) -> None:
        self.rows.show_message(_("The hosts cannot be shown: {reason}").format(reason=reason))

    def set_rows(self, rows: Sequence[HostRow]) -> None:
        self.all_rows = list(rows)
        self._search_texts = [row.search_text() for row in self.all_rows]
        self._scope = self.scopes.fill(self.all_rows, self._scope)
        self.apply_filter()

    def _scope_chosen(self, scope: Scope) -> None:
        self._scope = scope
        self.apply_filter()

    def apply_filter(self) -> None:
        """Shows the rows of the chosen client or site that contain every word of the search, keeping the
        selection."""
        words = self.search.text().lower().split()
        client, site = self._scope
        selected = set(self.selected_host_ids())
        shown = [
            row
            for row, text in zip(self.all_rows, self._search_texts, strict=True)
            if (client is None or row.client == client)
            and (site is None or row.site == site)
            and all(word in text for word in words)
        ]
        self.model.set_rows(shown)
        self.rows.table.setColumnHidden(CLIENT_COLUMN, client is not None)
        self.rows.table.setColumnHidden(SITE_COLUMN, site is not None)
        self._reselect(selected)
        total = len(self.all_rows)
        if total == 0:
            self.rows.show_message(_("No hosts yet. Add them one by one, or import them from ~/.ssh/config, an "
                                     "Ansible inventory or a spreadsheet."))  # fmt: skip
        elif not shown:
            self.rows.show_message(_("No host matches the search."))
        else:
            self.rows.show_table()
        self.summary.setText(_("{shown} of {total} hosts").format(shown=len(shown), total=total))
        self._update_actions()

    def _reselect(self, host_ids: set[int]) -> None:
        if not host_ids:
            return
        selection = self.rows.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).host_id in host_ids:
                selection.select(self.model.index(row, 0), flags)

    def selected_rows(self) -> list[HostRow]:
        rows = sorted({index.row() for index in self.rows.table.selectionModel().selectedRows()})
        return [self.model.row_at(row) for row in rows]

    def selected_host_ids(self) -> list[int]:
        return [row.host_id for row in self.selected_rows()]

    def select_hosts(self, host_ids: Sequence[int]) -> None:
        self.rows.table.clearSelection()
        self._reselect(set(host_ids))

    def _update_actions(self) -> None:
        count = len(self.selected_rows())
        ready = self.context is not None and self.context.database is not None
        for action in (self.add_action, self.import_action):
            action.setEnabled(ready)
        self.edit_action.setEnabled(ready and count == 1)
        self.remove_action.setEnabled(ready and count > 0)
        self.test_action.setEnabled(count > 0)
        self.act_action.setEnabled(count > 0)

    def _context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        for action in (self.edit_action, self.remove_action, None, self.test_action, self.act_action):
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.popup(self.rows.table.viewport().mapToGlobal(position))

    def _test_selected(self) -> None:
        if self.selected_host_ids():
            self.test_connection_requested.emit(self.selected_host_ids())

    def _act_on_selected(self) -> None:
        if self.selected_host_ids():
            self.act_requested.emit(self.selected_host_ids())

    # -- editing ------------------------------------------------------------------------------------------------

    def _database(self) -> Any:
        return self.context.database if self.context is not None else None

    async def add_host(self) -> int | None:
        """Opens the host form (filed under the client and site chosen on the left); the new host's id, or None."""
        from supportstation.remote.host_editing import HostDraft

        client, site = self._scope
        return await self._open_host_form(HostDraft(name="", client=client or "", site=site or ""), None)

    async def edit_host(self) -> int | None:
        from supportstation.remote.host_editing import HostNotFound, host_draft

        rows = self.selected_rows()
        database = self._database()
        if len(rows) != 1 or database is None:
            return None

        def read() -> Any:
            with database.session() as session:
                return host_draft(session, rows[0].host_id)

        try:
            draft = await asyncio.to_thread(read)
        except HostNotFound as error:
            warn(self, _("Host not found"), str(error))
            self.changed.emit()
            return None
        return await self._open_host_form(draft, rows[0].host_id)

    async def _open_host_form(self, draft: Any, host_id: int | None) -> int | None:
        from ..dialogs.host_dialog import HostDialog, load_form_data

        # A double-click also activates the row: one form is enough.
        if self.context is None or self.context.database is None or self._form_open:
            return None
        self._form_open = True
        try:
            data = await asyncio.to_thread(load_form_data, self.context.database, self.device_transports)
            dialog = HostDialog(self.context, data, draft, host_id, self)
            self.host_dialog = dialog  # for tests and screenshots
            accepted = await answer(dialog) == HostDialog.DialogCode.Accepted
        finally:
            self._form_open = False
        if dialog.credentials_changed or (accepted and dialog.saved_host_id is not None):
            self.changed.emit()
        return dialog.saved_host_id if accepted else None

    async def remove_hosts(self) -> int:
        """Asks, then removes the selected hosts; returns how many were removed."""
        from supportstation.remote.host_editing import delete_hosts, linked_ticket_count

        rows = self.selected_rows()
        database = self._database()
        if not rows or database is None:
            return 0
        ids = [row.host_id for row in rows]

        def count_tickets() -> int:
            with database.session() as session:
                return linked_ticket_count(session, ids)

        tickets = await asyncio.to_thread(count_tickets)
        if len(rows) == 1:
            question = _("Remove the host {name} ({client})?").format(name=rows[0].name, client=rows[0].client)
        else:
            question = _("Remove these {count} hosts?").format(count=len(rows)) + "\n" + _preview_names(rows)
        box = QMessageBox(QMessageBox.Icon.Question, _("Remove hosts"), question,
                          QMessageBox.StandardButton.Cancel, self)  # fmt: skip
        remove = box.addButton(_("Remove"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        details = _("Past runs and audit records keep their history.")
        if tickets:
            details = _("{count} tickets name these hosts: they stay, without the link.").format(count=tickets)
            details += " " + _("Past runs and audit records keep their history.")
        box.setInformativeText(details)
        self.remove_box = box  # for tests
        await answer(box)
        if box.clickedButton() is not remove:
            return 0

        def delete() -> int:
            with database.writing() as session:
                return delete_hosts(session, ids)

        removed = await asyncio.to_thread(delete)
        self.changed.emit()
        return removed

    async def import_hosts(self) -> Any:
        """Opens the import dialog, filing under the client and site chosen on the left."""
        from ..dialogs.host_import_dialog import HostImportDialog

        if self.context is None or self.context.database is None:
            return None
        client, site = self._scope
        dialog = HostImportDialog(self.context, self, client=client or "", site=site or "")
        dialog.imported.connect(self.changed.emit)  # the rows behind the dialog follow at once
        self.import_dialog = dialog
        await answer(dialog)
        return dialog.result_plan


def _preview_names(rows: Sequence[HostRow], limit: int = 8) -> str:
    names = [f"• {row.name} ({row.client})" for row in rows[:limit]]
    if len(rows) > limit:
        names.append(_("… and {count} more").format(count=len(rows) - limit))
    return "\n".join(names)

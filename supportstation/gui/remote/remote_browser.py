"""A folder of the remote host, browsed over SFTP: path bar, up, home, refresh, and the listing.

Listing runs in a worker thread on the host's shared connection. When the engineer clicks faster than the host
answers, only the folder asked for last is shown.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import shiboken6
from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QStyle,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _
from supportstation.remote.results import ConnectError
from supportstation.remote.targets import Target
from supportstation.remote.transfers import RemoteEntry, RemoteFolder, TransferError, list_remote

from ..table_model import Column, RowsTableModel
from ..units import format_size
from .session import RemoteSession

log = logging.getLogger(__name__)

RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


class RemoteBrowser(QWidget):
    # A folder was listed (the first one, or another the engineer went to).
    folder_shown = Signal()
    # Files double-clicked in the listing: the engineer wants them here (a list of RemoteEntry).
    files_activated = Signal(list)

    def __init__(self, session: RemoteSession, target: Target, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.target = target
        self.folder: RemoteFolder | None = None
        self.error = ""
        self._asked = 0  # the number of the last listing asked for: older answers are dropped
        self._tasks: set[asyncio.Task[Any]] = set()

        style = self.style()
        self.up_button = self._tool_button(style.standardIcon(QStyle.StandardPixmap.SP_FileDialogToParent),
                                           _("Parent folder"), self.go_up)  # fmt: skip
        self.home_button = self._tool_button(style.standardIcon(QStyle.StandardPixmap.SP_DirHomeIcon),
                                             _("Home folder of the login"), lambda: self.go_to_later(""))  # fmt: skip
        self.refresh_button = self._tool_button(style.standardIcon(QStyle.StandardPixmap.SP_BrowserReload),
                                                _("Refresh"), self.refresh)  # fmt: skip
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("remotePath")
        example = _("Remote folder, e.g. C:\\Windows\\Logs") if target.winrm else _("Remote folder, e.g. /var/log")
        self.path_edit.setPlaceholderText(example)
        self.path_edit.returnPressed.connect(lambda: self.go_to_later(self.path_edit.text().strip()))
        self.hidden_box = QCheckBox(_("Hidden files"))
        self.hidden_box.toggled.connect(self._show_folder)
        bar = QHBoxLayout()
        for button in (self.up_button, self.home_button, self.refresh_button):
            bar.addWidget(button)
        bar.addWidget(self.path_edit, 1)
        bar.addWidget(self.hidden_box)

        self._folder_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        self._file_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        self._folder_link_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirLinkIcon)
        self._file_link_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileLinkIcon)
        columns: list[Column[RemoteEntry]] = [
            Column(_("Name"), lambda entry: entry.name, tooltip=lambda entry: entry.path, decoration=self._icon),
            Column(_("Size"), self._size_text, tooltip=self._size_tooltip, alignment=RIGHT),
            Column(_("Modified"), _modified_text),
            Column(_("Permissions"), lambda entry: entry.permissions),
        ]
        self.model: RowsTableModel[RemoteEntry] = RowsTableModel(columns, self)
        self.view = QTableView()
        self.view.setObjectName("remoteListing")
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setShowGrid(False)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.view.doubleClicked.connect(self._activated)

        self.status = QLabel()
        self.status.setObjectName("remoteListingState")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.status)
        self._set_buttons()

    # -- navigation ---------------------------------------------------------------------------------------------

    async def go_to(self, path: str) -> RemoteFolder | None:
        """Lists `path` ("" is the login's home) and shows it; on failure the folder shown stays and the reason is
        said below it. Returns the folder, or None when it could not be listed or another was asked for since."""
        self._asked += 1
        asked = self._asked
        self.status.setStyleSheet("")
        self.status.setText(_("Listing {path}…").format(path=path or _("the home folder")))
        try:
            connection = await self.session.connection(self.target)
            # A listing takes one of the host's sessions, as commands and transfers do (OpenSSH allows ten).
            async with connection.session_slots:
                folder = await list_remote(await self.session.pool(), self.target, path)
        except (ConnectError, TransferError) as error:
            if asked == self._asked and shiboken6.isValid(self):
                self._show_error(str(error))
            return None
        except Exception as error:
            log.exception("Listing %s on %s failed", path, self.target.label)
            if asked == self._asked and shiboken6.isValid(self):
                self._show_error(str(error) or type(error).__name__)
            return None
        if asked != self._asked or not shiboken6.isValid(self):
            return None  # another folder was asked for since, or the panel was closed meanwhile
        self.folder = folder
        self.error = ""
        self._show_folder()
        self.folder_shown.emit()
        return folder

    def go_to_later(self, path: str) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(self.go_to(path))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def go_up(self) -> asyncio.Task[Any] | None:
        if self.folder is None or self.folder.parent is None:
            return None
        return self.go_to_later(self.folder.parent)

    def refresh(self) -> asyncio.Task[Any] | None:
        """Lists the folder shown again (after an upload into it, or when the host changed it)."""
        return self.go_to_later(self.folder.path if self.folder is not None else "")

    async def idle(self) -> None:
        """Waits for the listings asked for so far."""
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.wait(pending)

    # -- selection ----------------------------------------------------------------------------------------------

    def selected_entries(self) -> list[RemoteEntry]:
        rows = sorted({index.row() for index in self.view.selectionModel().selectedRows()})
        return [self.model.row_at(row) for row in rows]

    def select_names(self, *names: str) -> None:
        """Selects the entries of the folder shown that have these names."""
        selection = self.view.selectionModel()
        selection.clearSelection()
        for row in range(self.model.rowCount()):
            if self.model.row_at(row).name in names:
                selection.select(
                    self.model.index(row, 0),
                    selection.SelectionFlag.Select | selection.SelectionFlag.Rows,
                )

    # -- helpers ------------------------------------------------------------------------------------------------

    def _tool_button(self, icon: Any, tip: str, slot: Any) -> QToolButton:
        button = QToolButton()
        button.setIcon(icon)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def _show_folder(self) -> None:
        folder = self.folder
        if folder is None:
            return
        shown = [entry for entry in folder.entries if self.hidden_box.isChecked() or not entry.hidden]
        self.model.set_rows(shown)
        self.path_edit.setText(folder.path)
        self.status.setStyleSheet("")
        hidden = len(folder.entries) - len(shown)
        text = _("{count} items").format(count=len(shown))
        if hidden:
            text += " " + _("({count} hidden)").format(count=hidden)
        self.status.setText(text)
        self._set_buttons()

    def _show_error(self, message: str) -> None:
        self.error = message
        self.status.setStyleSheet("color: #c62828;")
        self.status.setText(message)
        if self.folder is not None:
            self.path_edit.setText(self.folder.path)  # what is listed, not the path that failed
        self._set_buttons()

    def _set_buttons(self) -> None:
        self.up_button.setEnabled(self.folder is not None and self.folder.parent is not None)

    def _activated(self, index: QModelIndex) -> None:
        entry = self.model.row_at(index.row())
        if entry.is_dir:
            self.go_to_later(entry.path)
        else:
            self.files_activated.emit([entry])

    def _icon(self, entry: RemoteEntry) -> Any:
        if entry.is_dir:
            return self._folder_link_icon if entry.is_link else self._folder_icon
        return self._file_link_icon if entry.is_link else self._file_icon

    @staticmethod
    def _size_text(entry: RemoteEntry) -> str:
        return "" if entry.is_dir else format_size(entry.size)

    @staticmethod
    def _size_tooltip(entry: RemoteEntry) -> str:
        return "" if entry.is_dir else _("{count} bytes").format(count=entry.size)


def _modified_text(entry: RemoteEntry) -> str:
    # ISO order reads the same in French and English, and sorts as it reads.
    return entry.modified.astimezone().strftime("%Y-%m-%d %H:%M") if entry.modified else ""

"""Importing hosts: choose a file (or ~/.ssh/config), see what each entry would do, then import.

The file is read once, in a worker thread; changing the client or site plans again from what was read. The preview
says, per entry, whether it is new, an update (and what changes), unchanged, or refused (and why, with its line).
Import writes the new and updated hosts in one transaction and shows what was done.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.remote.host_import import EntryStatus, ImportPlan, PlanEntry
from supportstation.remote.host_sources import ImportFormat, SourceFile
from supportstation.remote.inventory import os_family_label

from ..table_model import Column, RowsTableModel

FORMATS = ("auto", "ssh-config", "ansible", "csv")  # as `supportstation hosts import --format`
STATUS_COLOURS = {
    EntryStatus.NEW: "#2e7d32",
    EntryStatus.UPDATE: "#1565c0",
    EntryStatus.UNCHANGED: "#757575",
    EntryStatus.ERROR: "#c62828",
}
_REPLAN_DELAY_MS = 400


def _status_text(entry: PlanEntry, applied: bool) -> str:
    if applied and entry.status is EntryStatus.NEW:
        return _("Added")
    if applied and entry.status is EntryStatus.UPDATE:
        return _("Updated")
    return entry.status.label


def _status_brush(entry: PlanEntry) -> QBrush:
    return QBrush(QColor(STATUS_COLOURS[entry.status]))


class HostImportDialog(QDialog):
    imported = Signal()  # hosts were written: the inventory behind the dialog reloads

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, client: str = "", site: str = ""):
        super().__init__(parent)
        self.context = context
        self.source: SourceFile | None = None
        self.plan: ImportPlan | None = None
        self.result_plan: ImportPlan | None = None
        self.task: asyncio.Task[Any] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self.setWindowTitle(_("Import hosts"))
        self.resize(1100, 620)

        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        self.path_edit.setPlaceholderText(_("an ssh_config, an Ansible inventory (INI or YAML) or a CSV file"))
        browse = QPushButton(_("Choose a file…"))
        browse.clicked.connect(self._choose)
        ssh_config = QPushButton(_("My ~/.ssh/config"))
        ssh_config.setToolTip(_("Import the hosts of your own OpenSSH configuration"))
        ssh_config.clicked.connect(lambda: self.open_file(Path.home() / ".ssh" / "config", "ssh-config"))
        self.format_box = QComboBox()
        labels = {"auto": _("Detect"), "ssh-config": ImportFormat.SSH_CONFIG.label, "ansible": _("Ansible inventory"),
                  "csv": ImportFormat.CSV.label}  # fmt: skip
        for value in FORMATS:
            self.format_box.addItem(labels[value], value)
        self.format_box.activated.connect(lambda _index: self._schedule(self.read()))
        self.detected = QLabel()
        self.client_box = QComboBox()
        self.client_box.setEditable(True)
        self.client_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.client_box.setMinimumContentsLength(24)
        self.client_box.lineEdit().setPlaceholderText(_("for entries that name none"))
        self.client_box.setCurrentText(client)
        self.site_box = QComboBox()
        self.site_box.setEditable(True)
        self.site_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.site_box.setMinimumContentsLength(18)
        self.site_box.lineEdit().setPlaceholderText(_("optional"))
        self.site_box.setCurrentText(site)
        self._replan_timer = QTimer(self)
        self._replan_timer.setSingleShot(True)
        self._replan_timer.setInterval(_REPLAN_DELAY_MS)
        self._replan_timer.timeout.connect(lambda: self._schedule(self.replan()))
        self.client_box.currentTextChanged.connect(lambda _text: self._replan_timer.start())
        self.site_box.currentTextChanged.connect(lambda _text: self._replan_timer.start())

        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        file_row.addWidget(ssh_config)
        format_row = QHBoxLayout()
        format_row.addWidget(self.format_box)
        format_row.addWidget(self.detected, 1)
        where_row = QHBoxLayout()
        where_row.addWidget(self.client_box, 2)
        where_row.addWidget(QLabel(_("Site:")))
        where_row.addWidget(self.site_box, 1)
        form = QFormLayout()
        form.addRow(_("File:"), file_row)
        form.addRow(_("Format:"), format_row)
        form.addRow(_("Client:"), where_row)

        self.summary = QLabel(_("Choose a file to see what would be imported."))
        self.summary.setWordWrap(True)
        self.warnings = QLabel()
        self.warnings.setWordWrap(True)
        self.warnings.setStyleSheet("background: #fff8e1; color: #5d4037; padding: 6px; border-radius: 3px")
        self.warnings.hide()
        self.applied = False
        self.model: RowsTableModel[PlanEntry] = RowsTableModel(self._columns(), self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((80, 45, 170, 110, 110, 150, 330, 160)):
            self.table.setColumnWidth(column, width)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.import_button = self.buttons.addButton(_("Import"), QDialogButtonBox.ButtonRole.ApplyRole)
        self.import_button.setEnabled(False)
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(lambda: self._schedule(self.run_import()))
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.warnings)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.buttons)
        self._schedule(self._load_clients())

    def _columns(self) -> list[Column[PlanEntry]]:
        # The details (why refused, what changes) come before client and site, which are mostly all the same.
        return [
            Column(_("Status"), lambda entry: _status_text(entry, self.applied), foreground=_status_brush),
            Column(_("Line"), lambda entry: str(entry.line or ""),
                   alignment=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
            Column(_("Name"), lambda entry: entry.name),
            Column(_("Address"), lambda entry: entry.address),
            Column(_("System"), lambda entry: os_family_label(entry.os_family) if entry.os_family else ""),
            Column(_("Tags"), lambda entry: ", ".join(entry.tags)),
            Column(_("Details"), lambda entry: entry.details, tooltip=lambda entry: entry.details.replace("; ", "\n")),
            Column(_("Client"), lambda entry: entry.client),
            Column(_("Site"), lambda entry: entry.site),
        ]  # fmt: skip

    def _schedule(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self.task = task
        return task

    async def _load_clients(self) -> None:
        from sqlalchemy import select

        from supportstation.storage.models import Client

        database = self.context.database
        if database is None:
            return

        def read() -> list[str]:
            with database.session() as session:
                return list(session.scalars(select(Client.name).order_by(Client.name)))

        typed = self.client_box.currentText()
        self.client_box.blockSignals(True)
        self.client_box.addItems(await asyncio.to_thread(read))
        self.client_box.setCurrentText(typed)
        self.client_box.blockSignals(False)

    # -- reading and planning -----------------------------------------------------------------------------------

    def _choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Import hosts"), str(Path.home()),
            _("Inventories (*.ini *.yml *.yaml *.csv *.tsv *.txt config hosts);;All files (*)"),
        )  # fmt: skip
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path, form: str = "auto") -> asyncio.Task[Any]:
        self.path_edit.setText(str(path))
        self.format_box.setCurrentIndex(max(0, self.format_box.findData(form)))
        return self._schedule(self.read())

    async def read(self) -> ImportPlan | None:
        """Reads the file in the chosen format and plans it; a malformed file is said, and nothing can be imported."""
        from supportstation.remote.host_import_reading import read_source
        from supportstation.remote.host_sources import HostImportError

        if not self.path_edit.text():
            return None
        path, form = Path(self.path_edit.text()), self.format_box.currentData()
        self.import_button.setEnabled(False)
        self.summary.setText(_("Reading {file}…").format(file=path.name))
        try:
            self.source = await asyncio.to_thread(read_source, path, form)
        except HostImportError as error:
            self.source = self.plan = None
            self.model.set_rows([])
            self.import_button.setText(_("Import"))
            self.detected.clear()
            self.warnings.hide()
            self.summary.setText(_("This file cannot be imported: {reason}").format(reason=error))
            self.summary.setStyleSheet("color: #c62828")
            return None
        self.summary.setStyleSheet("")
        self.detected.setText(_("Read as: {format}").format(format=self.source.format.label))
        return await self.replan()

    async def replan(self) -> ImportPlan | None:
        from supportstation.remote.host_import import plan_import

        database, source = self.context.database, self.source
        if database is None or source is None or self.result_plan is not None:
            return None
        client, site = self.client_box.currentText(), self.site_box.currentText()

        def plan() -> ImportPlan:
            with database.session() as session:
                return plan_import(session, source, client=client, site=site)

        self.plan = await asyncio.to_thread(plan)
        self._show(self.plan, applied=False)
        return self.plan

    def _show(self, plan: ImportPlan, *, applied: bool) -> None:
        self.applied = applied
        self.model.set_rows(plan.entries)
        self.summary.setText(plan.summary())
        self.warnings.setText("\n".join(plan.warnings))
        self.warnings.setVisible(bool(plan.warnings))
        self.import_button.setEnabled(not applied and plan.to_write > 0)
        self.import_button.setText(
            _("Import {count} hosts").format(count=plan.to_write) if plan.to_write else _("Import")
        )

    # -- importing ----------------------------------------------------------------------------------------------

    async def run_import(self) -> ImportPlan | None:
        """Plans again against the database as it is now, and writes, in one transaction."""
        from supportstation.remote.host_import import apply_plan, plan_import

        database, source = self.context.database, self.source
        if database is None or source is None:
            return None
        client, site = self.client_box.currentText(), self.site_box.currentText()

        def work() -> ImportPlan:
            with database.writing() as session:
                return apply_plan(session, plan_import(session, source, client=client, site=site))

        self.import_button.setEnabled(False)
        try:
            result = await asyncio.to_thread(work)
        except Exception as error:  # the database refused: say so; the transaction was rolled back whole
            self.summary.setText(_("Nothing was imported: {reason}").format(reason=error))
            self.summary.setStyleSheet("color: #c62828")
            self.import_button.setEnabled(True)
            return None
        self.result_plan = result
        self._show(result, applied=True)
        self.imported.emit()
        return result

"""Importing tickets from CSV or JSON: detected format (correctable), column mapping, preview, report, progress.

Reading, checking and importing run in worker threads; the import can be cancelled, and it writes all valid rows
or none, as the user chose, in one transaction.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
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
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from supportstation.context import AppContext
from supportstation.i18n import _

if TYPE_CHECKING:
    from supportstation.tickets.csv_reading import Preview
    from supportstation.tickets.importing import ImportReport

ENCODINGS = ("utf-8", "utf-8-sig", "cp1252", "latin-1", "utf-16")
DELIMITERS = ((";", ";"), (",", ","), ("\t", "Tab"), ("|", "|"))
PREVIEW_ROWS = 20


class ImportDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.setWindowTitle(_("Import tickets"))
        self.resize(1000, 640)
        self.preview_data: Preview | None = None
        self.report: ImportReport | None = None
        self._cancel = threading.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._rows_done = 0

        self.path_edit = QLineEdit()
        self.path_edit.setReadOnly(True)
        browse = QPushButton(_("Choose a file…"))
        browse.clicked.connect(self._choose)
        self.encoding = QComboBox()
        self.encoding.addItem(_("Detect"), None)
        for name in ENCODINGS:
            self.encoding.addItem(name, name)
        self.delimiter = QComboBox()
        self.delimiter.addItem(_("Detect"), None)
        for value, label in DELIMITERS:
            self.delimiter.addItem(label, value)
        self.detected = QLabel()
        self.encoding.activated.connect(self._reread)
        self.delimiter.activated.connect(self._reread)

        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(browse)
        form = QFormLayout()
        form.addRow(_("File:"), file_row)
        format_row = QHBoxLayout()
        format_row.addWidget(QLabel(_("Encoding:")))
        format_row.addWidget(self.encoding)
        format_row.addWidget(QLabel(_("Separator:")))
        format_row.addWidget(self.delimiter)
        format_row.addWidget(self.detected, 1)
        form.addRow(_("Format:"), format_row)

        self.table = QTableWidget(0, 0)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        mapping_note = QLabel(_("First row: choose the ticket field each column fills (or ignore it)."))

        self.all_or_nothing = QRadioButton(_("Import only if every row is valid"))
        self.valid_only = QRadioButton(_("Import the valid rows, skip the others"))
        self.all_or_nothing.setChecked(True)
        self.check_button = QPushButton(_("Check every row"))
        self.check_button.clicked.connect(lambda: self.start(dry_run=True))
        self.import_button = QPushButton(_("Import"))
        self.import_button.setDefault(True)
        self.import_button.clicked.connect(lambda: self.start(dry_run=False))
        self.cancel_button = QPushButton(_("Stop"))
        self.cancel_button.clicked.connect(self._cancel.set)
        self.cancel_button.hide()
        self.progress = QProgressBar()
        self.progress.hide()
        self.report_view = QPlainTextEdit()
        self.report_view.setReadOnly(True)
        self.report_view.setPlaceholderText(_("The report of the check or import appears here."))
        modes = QHBoxLayout()
        modes.addWidget(self.all_or_nothing)
        modes.addWidget(self.valid_only)
        modes.addStretch(1)
        modes.addWidget(self.check_button)
        modes.addWidget(self.import_button)
        modes.addWidget(self.cancel_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(mapping_note)
        layout.addWidget(self.table, 3)
        layout.addLayout(modes)
        layout.addWidget(self.progress)
        layout.addWidget(self.report_view, 2)
        layout.addWidget(close)
        self._progress_timer = QTimer(self)
        self._progress_timer.setInterval(100)
        self._progress_timer.timeout.connect(self._show_progress)
        self._set_ready(False)

    # -- reading --------------------------------------------------------------------------------------------------

    def _schedule(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _choose(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(
            self, _("Import tickets"), "", _("Tickets (*.csv *.tsv *.txt *.json);;All files (*)")
        )
        if path:
            self.open_file(Path(path))

    def open_file(self, path: Path) -> asyncio.Task[Any]:
        self.path_edit.setText(str(path))
        self.encoding.setCurrentIndex(0)
        self.delimiter.setCurrentIndex(0)
        return self._schedule(self.read())

    def _reread(self) -> None:
        if self.path_edit.text():
            self._schedule(self.read())

    async def read(self) -> Preview | None:
        from supportstation.tickets.csv_reading import ImportFileError, preview

        path = Path(self.path_edit.text())
        try:
            data = await asyncio.to_thread(
                preview, path, rows=PREVIEW_ROWS, encoding=self.encoding.currentData(),
                delimiter=self.delimiter.currentData(),
            )  # fmt: skip
        except ImportFileError as error:
            self.preview_data = None
            self.table.clear()
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            self.report_view.setPlainText(str(error))
            self._set_ready(False)
            return None
        self.show_preview(data)
        return data

    def show_preview(self, data: Preview) -> None:
        from supportstation.tickets.import_fields import FIELDS, field_label

        self.preview_data = data
        info = data.info
        delimiter = dict(DELIMITERS).get(info.delimiter or "", info.delimiter or "—")
        self.detected.setText(
            _("Read as {encoding}, separator {delimiter}; {columns} columns.").format(
                encoding=info.encoding, delimiter=delimiter, columns=len(info.headers)
            )
        )
        headers = list(info.headers)
        self.table.clear()
        self.table.setColumnCount(len(headers))
        self.table.setRowCount(len(data.records) + 1)
        self.table.setHorizontalHeaderLabels(headers)
        self.mapping_boxes: list[QComboBox] = []
        for column, header in enumerate(headers):
            box = QComboBox()
            box.addItem(_("(ignore)"), None)
            for name in FIELDS:
                box.addItem(field_label(name), name)
            box.setCurrentIndex(max(0, box.findData(data.mapping.get(header))))
            self.table.setCellWidget(0, column, box)
            self.mapping_boxes.append(box)
            self.table.setColumnWidth(column, 150)
        for row, record in enumerate(data.records, start=1):
            for column, header in enumerate(headers):
                value = record.values.get(header, "")
                item = QTableWidgetItem(value[:200])
                item.setToolTip(value[:2000])
                self.table.setItem(row, column, item)
        self.table.setVerticalHeaderLabels(["→", *[str(record.line) for record in data.records]])
        self.report_view.clear()
        self._set_ready(True)

    def mapping(self) -> dict[str, str]:
        if self.preview_data is None:
            return {}
        headers = self.preview_data.info.headers
        return {headers[i]: box.currentData() for i, box in enumerate(self.mapping_boxes) if box.currentData()}

    # -- checking and importing -----------------------------------------------------------------------------------

    def _set_ready(self, ready: bool) -> None:
        for widget in (self.check_button, self.import_button, self.all_or_nothing, self.valid_only):
            widget.setEnabled(ready)

    def start(self, *, dry_run: bool) -> asyncio.Task[Any]:
        return self._schedule(self.run_import(dry_run=dry_run))

    async def run_import(self, *, dry_run: bool) -> ImportReport | None:
        from supportstation.tickets.csv_reading import ImportFileError
        from supportstation.tickets.engineers import ensure_engineer
        from supportstation.tickets.importing import ImportMode, import_tickets

        database = self.context.database
        if database is None or self.preview_data is None:
            return None
        path, mapping = self.preview_data.info.path, self.mapping()
        encoding, delimiter = self.preview_data.info.encoding, self.preview_data.info.delimiter
        mode = ImportMode.VALID_ONLY if self.valid_only.isChecked() else ImportMode.ALL_OR_NOTHING
        profile = self.context.settings.profile
        self._cancel.clear()
        self._rows_done = 0

        def progress(done: int, _total: int | None) -> None:
            self._rows_done = done  # read by a GUI timer: Qt objects are not touched from this thread

        def work() -> ImportReport:
            with database.session() as session:
                author = ensure_engineer(session, profile).id if profile.is_complete else None
                return import_tickets(
                    session, path, mapping=mapping, mode=mode, dry_run=dry_run, encoding=encoding,
                    delimiter=delimiter, progress=progress, cancel=self._cancel, author_id=author,
                )  # fmt: skip

        self._running(True)
        try:
            report = await asyncio.to_thread(work)
        except ImportFileError as error:
            self.report_view.setPlainText(str(error))
            return None
        finally:
            self._running(False)
        self.report = report
        self.report_view.setPlainText(report.summary(max_problems=200))
        if report.imported:
            refresh = getattr(self.parent(), "request_refresh", None)
            if callable(refresh):
                refresh()  # show the new tickets in the queue behind the dialog
        return report

    def _running(self, running: bool) -> None:
        self._set_ready(not running)
        self.cancel_button.setVisible(running)
        self.progress.setVisible(running)
        self.progress.setRange(0, 0)
        if running:
            self._progress_timer.start()
        else:
            self._progress_timer.stop()

    def _show_progress(self) -> None:
        self.progress.setFormat(_("{rows} rows read").format(rows=self._rows_done))
        self.progress.setTextVisible(True)

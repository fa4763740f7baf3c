"""The side of a ticket's workspace: writing a note, time and parts, attachments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _

if TYPE_CHECKING:
    from supportstation.tickets.details import TicketDetail


def _table(headers: list[str], stretch: int) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.horizontalHeader().setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    return table


class TicketSidePanel(QTabWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.note_editor = QPlainTextEdit()
        self.note_editor.setPlaceholderText(_("Write a note (Markdown). Ctrl+Enter adds it to the timeline."))
        self.add_note_button = QPushButton(_("Add note"))
        note_tab = QWidget()
        note_layout = QVBoxLayout(note_tab)
        note_layout.addWidget(self.note_editor, 1)
        note_layout.addWidget(self.add_note_button, 0, Qt.AlignmentFlag.AlignRight)

        self.time_table = _table([_("Category"), _("Start"), _("Minutes"), _("Description")], stretch=3)
        self.time_total = QLabel()
        self.add_time_button = QPushButton(_("Add time…"))
        self.edit_time_button = QPushButton(_("Correct…"))
        self.parts_table = _table([_("Part or consumable"), _("Quantity"), _("Serial number")], stretch=0)
        self.add_part_button = QPushButton(_("Add part…"))
        time_tab = QWidget()
        time_layout = QVBoxLayout(time_tab)
        time_layout.addWidget(self.time_table, 2)
        time_buttons = QHBoxLayout()
        time_buttons.addWidget(self.time_total, 1)
        time_buttons.addWidget(self.add_time_button)
        time_buttons.addWidget(self.edit_time_button)
        time_layout.addLayout(time_buttons)
        time_layout.addWidget(self.parts_table, 1)
        time_layout.addWidget(self.add_part_button, 0, Qt.AlignmentFlag.AlignRight)

        self.attachments = _table([_("File"), _("Size"), _("SHA-256")], stretch=2)
        self.addTab(note_tab, _("Note"))
        self.addTab(time_tab, _("Time and parts"))
        self.addTab(self.attachments, _("Attachments"))

    def show_detail(self, detail: TicketDetail) -> None:
        self._fill_time(detail)
        self._fill_attachments(detail)

    def _fill_time(self, detail: TicketDetail) -> None:
        from supportstation.tickets.intervention_types import category_label

        entries = [entry for intervention in detail.interventions for entry in intervention.time_entries]
        self.time_table.setRowCount(len(entries))
        total = 0
        for row, entry in enumerate(entries):
            minutes = _("running") if entry.running else str(entry.minutes)
            values = [category_label(entry.category), entry.started_at.astimezone().strftime("%d/%m %H:%M"), minutes,
                      entry.description]  # fmt: skip
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, entry.entry_id)
                self.time_table.setItem(row, column, item)
            total += entry.minutes
        self.time_total.setText(_("Total: {hours} h {minutes:02d}").format(hours=total // 60, minutes=total % 60))
        parts = [part for intervention in detail.interventions for part in intervention.parts]
        self.parts_table.setRowCount(len(parts))
        for row, part in enumerate(parts):
            for column, value in enumerate([part.name, f"{part.quantity:g}", part.serial_number]):
                self.parts_table.setItem(row, column, QTableWidgetItem(value))

    def _fill_attachments(self, detail: TicketDetail) -> None:
        self.attachments.setRowCount(len(detail.attachments))
        for row, attachment in enumerate(detail.attachments):
            size = (
                f"{attachment.size / 1024:.1f} KB"
                if attachment.size < 1024**2
                else f"{attachment.size / 1024**2:.1f} MB"
            )
            for column, value in enumerate([attachment.file_name, size, attachment.sha256]):
                item = QTableWidgetItem(value)
                item.setData(Qt.ItemDataRole.UserRole, attachment.stored_path)
                self.attachments.setItem(row, column, item)
        self.setTabText(2, _("Attachments ({count})").format(count=len(detail.attachments)))

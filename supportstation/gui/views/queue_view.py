"""The queue of tickets, most urgent first."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QVBoxLayout, QWidget

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.tickets.labels import due_text, status_label
from supportstation.tickets.queue import QueueRow

from ..table_model import Column, RowsTableModel
from .loading import MessageTable

TITLE_COLUMN = 2
PRIORITY_COLOURS = {1: "#c62828", 2: "#ef6c00", 3: "#1565c0", 4: "#607d8b"}


def _due_colour(row: QueueRow) -> QColor | None:
    if row.resolve_deadline is None:
        return None
    return QColor("#c62828") if row.resolve_deadline < utc_now() else None


def queue_columns() -> list[Column[QueueRow]]:
    return [
        Column(
            _("Priority"),
            lambda row: f"P{row.priority}",
            foreground=lambda row: QColor(PRIORITY_COLOURS.get(row.priority, "#000000")),
            alignment=Qt.AlignmentFlag.AlignCenter,
        ),
        Column(_("Reference"), lambda row: row.reference),
        Column(_("Title"), lambda row: row.title, tooltip=lambda row: row.title),
        Column(_("Client"), lambda row: row.client),
        Column(_("Site"), lambda row: row.site),
        Column(_("Hosts"), lambda row: ", ".join(row.hosts), tooltip=lambda row: "\n".join(row.hosts)),
        Column(_("Status"), lambda row: status_label(row.status)),
        Column(_("Assigned to"), lambda row: row.assignee or "—"),
        Column(
            _("Due"),
            lambda row: due_text(row.resolve_deadline, utc_now()),
            tooltip=lambda row: (
                row.resolve_deadline.astimezone().strftime("%d/%m/%Y %H:%M") if row.resolve_deadline else ""
            ),
            foreground=_due_colour,
        ),
    ]


class QueueView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel()
        self.summary.setObjectName("viewSummary")
        self.model: RowsTableModel[QueueRow] = RowsTableModel(queue_columns(), self)
        self.rows = MessageTable()
        self.rows.table.setModel(self.model)
        header = self.rows.table.horizontalHeader()
        header.setStretchLastSection(False)
        for column, width in enumerate([56, 124, 0, 160, 120, 120, 130, 110, 140]):
            self.rows.table.setColumnWidth(column, width)
        # The title takes what the other columns leave, so status and due date stay in view.
        header.setSectionResizeMode(TITLE_COLUMN, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.summary)
        layout.addWidget(self.rows, 1)
        self.show_loading()

    def show_loading(self) -> None:
        self.summary.setText(f"<h2>{_('Queue')}</h2>")
        self.rows.show_message(_("Opening the database…"))

    def show_unavailable(self, reason: str) -> None:
        self.rows.show_message(_("The queue cannot be shown: {reason}").format(reason=reason))

    def set_rows(self, rows: Sequence[QueueRow]) -> None:
        self.model.set_rows(rows)
        now = utc_now()
        overdue = sum(1 for row in rows if row.resolve_deadline is not None and row.resolve_deadline < now)
        self.summary.setText(
            f"<h2>{_('Queue')}</h2>"
            + _("{count} open tickets, {overdue} overdue").format(count=len(rows), overdue=overdue)
        )
        if rows:
            self.rows.show_table()
        else:
            self.rows.show_message(_("No open tickets. Well done."))

"""The hosts inventory, by client and site."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from supportstation.i18n import _
from supportstation.remote.inventory import HostRow, system_label

from ..table_model import Column, RowsTableModel
from .loading import MessageTable


def _transport(row: HostRow) -> str:
    return {"ssh": "SSH", "winrm": "WinRM"}.get(row.transport, _("Other"))


def host_columns() -> list[Column[HostRow]]:
    return [
        Column(_("Client"), lambda row: row.client),
        Column(_("Site"), lambda row: row.site),
        Column(_("Name"), lambda row: row.name),
        Column(_("Address"), lambda row: row.address),
        Column(_("System"), lambda row: system_label(row.os_family, row.vendor)),
        Column(_("Transport"), _transport),
        Column(_("Credential"), lambda row: row.credential or "—"),
        Column(_("Tags"), lambda row: ", ".join(row.tags)),
    ]


class HostsView(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.summary = QLabel("<h2>" + _("Hosts") + "</h2>")
        self.model: RowsTableModel[HostRow] = RowsTableModel(host_columns(), self)
        self.rows = MessageTable()
        self.rows.table.setModel(self.model)
        for column, width in enumerate([210, 160, 150, 120, 190, 80, 200]):
            self.rows.table.setColumnWidth(column, width)
        note = QLabel(
            _("Adding, importing and testing hosts, and acting on them, arrive with the remote-action panels.")
        )
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.summary)
        layout.addWidget(self.rows, 1)
        layout.addWidget(note)
        self.rows.show_message(_("Opening the database…"))

    def show_unavailable(self, reason: str) -> None:
        self.rows.show_message(_("The hosts cannot be shown: {reason}").format(reason=reason))

    def set_rows(self, rows: Sequence[HostRow]) -> None:
        self.model.set_rows(rows)
        self.summary.setText("<h2>" + _("Hosts") + "</h2>" + _("{count} hosts").format(count=len(rows)))
        if rows:
            self.rows.show_table()
        else:
            self.rows.show_message(_("No hosts yet."))

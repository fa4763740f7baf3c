"""The queue's Qt model: a thin adapter over the core's rows, showing a filtered, sorted list of their indexes.

Filtering is one pass over precomputed search strings (`tickets.queue.matching_indexes`) and sorting orders the
index list by a key; Qt never has to call data() for hidden rows. The countdown ticks by moving `now` forward
and repainting two columns: no reload, no reset.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.tickets.labels import due_text, sla_label, status_label
from supportstation.tickets.queue import QueueFilter, QueueRow, matching_indexes, urgency_key
from supportstation.tickets.sla_clocks import SlaState

Index = QModelIndex | QPersistentModelIndex
TICKET_ID_ROLE = Qt.ItemDataRole.UserRole + 1

SLA_COLOURS = {
    SlaState.BREACHED: "#c62828",
    SlaState.AT_RISK: "#ef6c00",
    SlaState.ON_TRACK: "#2e7d32",
    SlaState.PAUSED: "#757575",
    SlaState.MET: "#2e7d32",
    SlaState.NONE: "#bdbdbd",
}
ROW_HIGHLIGHT = {SlaState.BREACHED: "#fdecea", SlaState.AT_RISK: "#fff4e5"}
PRIORITY_COLOURS = {1: "#c62828", 2: "#ef6c00", 3: "#1565c0", 4: "#607d8b"}


def _sla_icon(state: SlaState) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(SLA_COLOURS[state]))
    painter.setPen(Qt.PenStyle.NoPen)
    if state is SlaState.PAUSED:
        painter.drawRect(2, 2, 4, 10)
        painter.drawRect(8, 2, 4, 10)
    elif state is SlaState.BREACHED:
        painter.drawRect(1, 1, 12, 12)  # a square, so the state reads without colour too
    else:
        painter.drawEllipse(1, 1, 12, 12)
    painter.end()
    return QIcon(pixmap)


class QueueModel(QAbstractTableModel):
    SLA, PRIORITY, REFERENCE, TITLE, CLIENT, SITE, HOSTS, STATUS, ASSIGNEE, DUE = range(10)
    TIME_COLUMNS = (SLA, DUE)

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self._rows: list[QueueRow] = []
        self._visible: list[int] = []
        self._filter = QueueFilter()
        self._my_email = ""
        self._sort_column = -1
        self._descending = False
        self.now: datetime = utc_now()
        self._icons: dict[SlaState, QIcon] = {}
        self._headers = [
            _("SLA"), _("Priority"), _("Reference"), _("Title"), _("Client"), _("Site"), _("Hosts"), _("Status"),
            _("Assigned to"), _("Due"),
        ]  # fmt: skip

    # -- content --------------------------------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[QueueRow], now: datetime | None = None) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.now = now or utc_now()
        self._refilter()
        self.endResetModel()

    def set_filter(self, wanted: QueueFilter, my_email: str = "") -> None:
        self.beginResetModel()
        self._filter, self._my_email = wanted, my_email
        self._refilter()
        self.endResetModel()

    @property
    def current_filter(self) -> QueueFilter:
        return self._filter

    def _refilter(self) -> None:
        self._visible = matching_indexes(self._rows, self._filter, now=self.now, my_email=self._my_email)
        self._apply_sort()

    def total_rows(self) -> int:
        return len(self._rows)

    def all_rows(self) -> list[QueueRow]:
        return list(self._rows)

    def row_at(self, row: int) -> QueueRow:
        return self._rows[self._visible[row]]

    def row_of_ticket(self, ticket_id: int) -> int:
        for position, index in enumerate(self._visible):
            if self._rows[index].ticket_id == ticket_id:
                return position
        return -1

    def tick(self, now: datetime | None = None) -> None:
        """Moves the countdown on: only the SLA and due columns repaint, the rows stay where they are."""
        self.now = now or utc_now()
        if self._visible:
            self.dataChanged.emit(self.index(0, self.SLA), self.index(len(self._visible) - 1, self.DUE))

    # -- sorting --------------------------------------------------------------------------------------------------

    def _sort_key(self, column: int) -> Callable[[QueueRow], Any]:
        keys: dict[int, Callable[[QueueRow], Any]] = {
            self.SLA: lambda row: -_severity(row.sla_state(self.now)),
            self.PRIORITY: lambda row: row.priority,
            self.REFERENCE: lambda row: row.reference,
            self.TITLE: lambda row: row.title.casefold(),
            self.CLIENT: lambda row: row.client.casefold(),
            self.SITE: lambda row: row.site.casefold(),
            self.HOSTS: lambda row: ", ".join(row.hosts),
            self.STATUS: lambda row: status_label(row.status),
            self.ASSIGNEE: lambda row: row.assignee.casefold(),
            self.DUE: lambda row: urgency_key(row)[1],
        }
        return keys.get(column, urgency_key)

    def _apply_sort(self) -> None:
        if self._sort_column < 0:
            return  # rows arrive in urgency order, and filtering keeps their order
        key = self._sort_key(self._sort_column)
        rows = self._rows
        self._visible.sort(key=lambda index: key(rows[index]), reverse=self._descending)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort_column = column
        self._descending = order == Qt.SortOrder.DescendingOrder
        if column < 0:
            self._visible.sort()
        else:
            self._apply_sort()
        self.layoutChanged.emit()

    # -- Qt's model interface -------------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._visible)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
        return self._headers[section] if horizontal and 0 <= section < len(self._headers) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._visible):
            return None
        row = self._rows[self._visible[index.row()]]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, column)
        if role == TICKET_ID_ROLE:
            return row.ticket_id
        if role == Qt.ItemDataRole.DecorationRole and column == self.SLA:
            state = row.sla_state(self.now)
            if state not in self._icons:
                self._icons[state] = _sla_icon(state)
            return self._icons[state]
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == self.PRIORITY:
                return QBrush(QColor(PRIORITY_COLOURS.get(row.priority, "#000000")))
            if column == self.DUE and row.sla_state(self.now) in (SlaState.BREACHED, SlaState.AT_RISK):
                return QBrush(QColor(SLA_COLOURS[row.sla_state(self.now)]))
        if role == Qt.ItemDataRole.BackgroundRole:
            highlight = ROW_HIGHLIGHT.get(row.sla_state(self.now))
            return QBrush(QColor(highlight)) if highlight else None
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (self.PRIORITY, self.SLA):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def _text(self, row: QueueRow, column: int) -> str | None:
        if column == self.SLA:
            return None
        if column == self.PRIORITY:
            return f"P{row.priority}"
        if column == self.DUE:
            return due_text(row.clocks.next_deadline(), self.now)
        values = {
            self.REFERENCE: row.reference,
            self.TITLE: row.title,
            self.CLIENT: row.client,
            self.SITE: row.site,
            self.HOSTS: ", ".join(row.hosts),
            self.STATUS: status_label(row.status),
            self.ASSIGNEE: row.assignee or "—",
        }
        return values.get(column)

    def _tooltip(self, row: QueueRow, column: int) -> str | None:
        if column in (self.SLA, self.DUE):
            deadline = row.clocks.next_deadline()
            when = deadline.astimezone().strftime("%d/%m/%Y %H:%M") if deadline else "—"
            return f"{sla_label(row.sla_state(self.now))} — {when}"
        if column == self.TITLE:
            return row.title
        if column == self.HOSTS:
            return "\n".join(row.hosts)
        return None


def _severity(state: SlaState) -> int:
    return {SlaState.BREACHED: 4, SlaState.AT_RISK: 3, SlaState.ON_TRACK: 2, SlaState.PAUSED: 1}.get(state, 0)

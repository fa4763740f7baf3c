"""The queue's Qt model: a thin adapter over the core's `QueueIndex`, showing a filtered, sorted list of positions.

Filtering scans a flat list of search strings (narrowing the previous result when the user types more), sorting
orders the position list by keys computed once per column, and the countdown moves `now` forward: only rows whose
deadline just passed change state, and only the two time columns repaint. Qt never calls data() for hidden rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.tickets.labels import deadline_text, sla_label, status_label
from supportstation.tickets.queue import QueueFilter, QueueIndex, QueueRow
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

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_ALIGNMENT = int(Qt.ItemDataRole.TextAlignmentRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ANSWERED_ROLES = frozenset({_DISPLAY, _DECORATION, _FOREGROUND, _BACKGROUND, _ALIGNMENT, _TOOLTIP, TICKET_ID_ROLE})
_CENTRED = int(Qt.AlignmentFlag.AlignCenter)
_URGENT = frozenset({SlaState.BREACHED, SlaState.AT_RISK})
_TEXT_CACHE_SIZE = 4096  # rows whose texts are kept: a few screens, bounded however far the user scrolls


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
    SORT_KEYS: ClassVar[dict[int, str]] = {
        SLA: "sla", PRIORITY: "priority", REFERENCE: "reference", TITLE: "title", CLIENT: "client",
        SITE: "site", HOSTS: "hosts", STATUS: "status", ASSIGNEE: "assignee", DUE: "due",
    }  # fmt: skip

    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.index_data = QueueIndex([], utc_now())
        self._visible: list[int] = []
        self._filter = QueueFilter()
        self._my_email = ""
        self._sort_column = -1
        self._descending = False
        self._icons: dict[SlaState, QIcon] = {}
        self._texts: dict[int, tuple[str | None, ...]] = {}  # by position in the loaded rows
        # Brushes made once: data() is called for every visible cell on every paint.
        self._priority_brushes = {p: QBrush(QColor(colour)) for p, colour in PRIORITY_COLOURS.items()}
        self._sla_brushes = {state: QBrush(QColor(colour)) for state, colour in SLA_COLOURS.items()}
        self._highlights = {state: QBrush(QColor(colour)) for state, colour in ROW_HIGHLIGHT.items()}
        self._headers = [
            _("SLA"), _("Priority"), _("Reference"), _("Title"), _("Client"), _("Site"), _("Hosts"), _("Status"),
            _("Assigned to"), _("Due"),
        ]  # fmt: skip

    @property
    def now(self) -> datetime:
        return self.index_data.now

    # -- content --------------------------------------------------------------------------------------------------

    def set_rows(self, rows: Sequence[QueueRow] | QueueIndex, now: datetime | None = None) -> None:
        """Shows new rows; a QueueIndex built beforehand (in a worker thread) is used as is."""
        self.beginResetModel()
        self.index_data = rows if isinstance(rows, QueueIndex) else QueueIndex(rows, now or utc_now())
        self._texts.clear()
        self._visible = self._filtered()
        self._apply_sort()
        self.endResetModel()

    def set_filter(self, wanted: QueueFilter, my_email: str = "") -> None:
        previous = self._filter
        # Typing more letters only narrows the rows already shown: scan those, not the whole queue.
        narrows = (
            my_email == self._my_email
            and wanted.text.startswith(previous.text)
            and QueueFilter(text=wanted.text, **_without_text(previous)) == wanted
            and len(wanted.text.split()) >= len(previous.text.split())
        )
        self.beginResetModel()
        self._filter, self._my_email = wanted, my_email
        self._visible = self._filtered(within=self._visible if narrows else None)
        self._apply_sort()
        self.endResetModel()

    def _filtered(self, within: Sequence[int] | None = None) -> list[int]:
        if within is not None and self._sort_column >= 0:
            within = sorted(within)
        return self.index_data.filter(self._filter, my_email=self._my_email, within=within)

    @property
    def current_filter(self) -> QueueFilter:
        return self._filter

    def total_rows(self) -> int:
        return len(self.index_data.rows)

    def all_rows(self) -> list[QueueRow]:
        return self.index_data.rows

    def row_at(self, row: int) -> QueueRow:
        return self.index_data.rows[self._visible[row]]

    def state_at(self, row: int) -> SlaState:
        return self.index_data.states[self._visible[row]]

    def row_of_ticket(self, ticket_id: int) -> int:
        rows = self.index_data.rows
        for position, index in enumerate(self._visible):
            if rows[index].ticket_id == ticket_id:
                return position
        return -1

    def tick(self, now: datetime | None = None) -> list[int]:
        """Moves the countdown on; returns the positions (in the loaded rows) whose SLA state changed."""
        changed = self.index_data.advance(now or utc_now())
        self._texts.clear()  # the due texts follow `now`
        if self._visible:
            self.dataChanged.emit(self.index(0, self.SLA), self.index(len(self._visible) - 1, self.DUE))
        return changed

    # -- sorting --------------------------------------------------------------------------------------------------

    def _apply_sort(self) -> None:
        if self._sort_column < 0:
            return  # rows arrive in urgency order, and filtering keeps their order
        keys = self.index_data.sort_keys(self.SORT_KEYS[self._sort_column])
        self._visible.sort(key=keys.__getitem__, reverse=self._descending)

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.layoutAboutToBeChanged.emit()
        self._sort_column = column if column in self.SORT_KEYS else -1
        self._descending = order == Qt.SortOrder.DescendingOrder
        if self._sort_column < 0:
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
        # Called for 7 roles of every visible cell on every paint: roles compared as plain ints, texts cached per row.
        if role not in _ANSWERED_ROLES:
            return None
        row_number = index.row()
        visible = self._visible
        if not 0 <= row_number < len(visible):  # an invalid index has row -1
            return None
        position = visible[row_number]
        column = index.column()
        if role == _DISPLAY:
            texts = self._texts.get(position)
            if texts is None:
                if len(self._texts) >= _TEXT_CACHE_SIZE:
                    self._texts.clear()
                texts = self._texts[position] = self._row_texts(self.index_data.rows[position])
            return texts[column] if 0 <= column < len(texts) else None
        if role == _BACKGROUND:
            return self._highlights.get(self.index_data.states[position])
        if role == _FOREGROUND:
            if column == self.PRIORITY:
                return self._priority_brushes.get(self.index_data.rows[position].priority)
            state = self.index_data.states[position]
            return self._sla_brushes[state] if column == self.DUE and state in _URGENT else None
        if role == _DECORATION:
            if column != self.SLA:
                return None
            state = self.index_data.states[position]
            if state not in self._icons:
                self._icons[state] = _sla_icon(state)
            return self._icons[state]
        if role == _ALIGNMENT:
            return _CENTRED if column in (self.PRIORITY, self.SLA) else None
        if role == TICKET_ID_ROLE:
            return self.index_data.rows[position].ticket_id
        # The tooltip: only when the pointer rests on a cell.
        return self._tooltip(self.index_data.rows[position], self.index_data.states[position], column)

    def _row_texts(self, row: QueueRow) -> tuple[str | None, ...]:
        """The texts of a row's columns (cached by data(): the due text changes only when `now` moves)."""
        return (
            None,
            f"P{row.priority}",
            row.reference,
            row.title,
            row.client,
            row.site,
            ", ".join(row.hosts),
            status_label(row.status),
            row.assignee or "—",
            deadline_text(row.clocks, self.now),
        )

    def _tooltip(self, row: QueueRow, state: SlaState, column: int) -> str | None:
        if column in (self.SLA, self.DUE):
            deadline = row.clocks.next_deadline()
            when = deadline.astimezone().strftime("%d/%m/%Y %H:%M") if deadline else "—"
            return f"{sla_label(state)} — {when}"
        if column == self.TITLE:
            return row.title
        if column == self.HOSTS:
            return "\n".join(row.hosts)
        # The names give way to the title on a narrow window (QueueView._fit_columns): whole in the tooltip.
        return {self.CLIENT: row.client, self.SITE: row.site, self.ASSIGNEE: row.assignee}.get(column) or None


def _without_text(wanted: QueueFilter) -> dict[str, Any]:
    return {
        "statuses": wanted.statuses,
        "priorities": wanted.priorities,
        "clients": wanted.clients,
        "mine": wanted.mine,
        "breached": wanted.breached,
        "at_risk": wanted.at_risk,
    }

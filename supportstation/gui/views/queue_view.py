"""The queue of tickets: search, filters, saved filters, a live SLA countdown; Enter opens a ticket."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.storage.enums import OPEN_STATUSES, TicketStatus
from supportstation.tickets.labels import due_text, status_label
from supportstation.tickets.queue import QueueFilter, QueueIndex, QueueRow
from supportstation.tickets.sla_clocks import SlaState

from .. import shortcut_actions
from ..queue_model import TICKET_ID_ROLE, QueueModel
from .loading import MessageTable

COUNTDOWN_MS = 30_000
COLUMN_WIDTHS = [36, 56, 120, 0, 150, 110, 110, 120, 110, 120]
# The columns that give way to the title when the queue is narrower than its content.
NAME_COLUMNS = (QueueModel.CLIENT, QueueModel.SITE, QueueModel.HOSTS, QueueModel.ASSIGNEE)
TITLE_SHARE = 0.35  # the title's room, at most, taken from them
NAME_MINIMUM = 80  # and no narrower than this: a dozen letters of a name, the rest in its tooltip
FIT_ROWS = 200  # the rows measured when fitting: enough to see the names, cheap at 100,000 tickets
CELL_PADDING = 16  # a cell's margins around its text


class QueueView(QWidget):
    open_ticket = Signal(int)
    # Tickets that just turned at risk or breached since the previous tick: (reference, title, state).
    sla_alerts = Signal(list)
    saved_filters_changed = Signal(dict)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.my_email = ""
        self._saved: dict[str, dict] = {}
        self.model = QueueModel(self)

        self.heading = QLabel("<h2>" + _("Queue") + "</h2>")
        # Plain text in a label whose size never follows its text: updating the counts on every keystroke must not
        # re-lay out (and repaint) the whole view.
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.summary.setMinimumHeight(self.summary.sizeHint().height())
        self.search = QLineEdit()
        self.search.setObjectName("queueSearch")
        self.search.setPlaceholderText(_("Search reference, title, client, site, host…"))
        self.search.setClearButtonEnabled(True)
        self.status_button = self._menu_button(
            _("Status"), [(status_label(status), status) for status in OPEN_STATUSES]
        )
        self.priority_button = self._menu_button(_("Priority"), [(f"P{p}", p) for p in (1, 2, 3, 4)])
        self.client_button = self._menu_button(_("Client"), [])
        self.mine = QCheckBox(_("Mine"))
        self.at_risk = QCheckBox(_("At risk"))
        self.breached = QCheckBox(_("Breached"))
        self.saved_combo = QComboBox()
        self.saved_combo.setMinimumWidth(140)
        self.search.setMinimumWidth(80)
        self.save_button = QPushButton(_("Save filter…"))
        self.delete_button = QPushButton(_("Delete"))

        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        for widget in (self.status_button, self.priority_button, self.client_button, self.mine, self.at_risk,
                       self.breached):  # fmt: skip
            filters.addWidget(widget)
        # Saved filters sit beside the heading, so the filter row stays narrow enough for a small laptop screen.
        heading = QHBoxLayout()
        titles = QVBoxLayout()
        titles.addWidget(self.heading)
        titles.addWidget(self.summary)
        heading.addLayout(titles, 1)
        heading.addWidget(self.saved_combo)
        heading.addWidget(self.save_button)
        heading.addWidget(self.delete_button)

        self.rows = MessageTable()
        table = self.rows.table
        table.setModel(self.model)
        table.setSortingEnabled(True)
        table.horizontalHeader().setSortIndicatorClearable(True)
        table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = table.horizontalHeader()
        header.setStretchLastSection(False)
        for column, width in enumerate(COLUMN_WIDTHS):
            table.setColumnWidth(column, width)
        # The title takes what the other columns leave, so status and due date stay in view.
        header.setSectionResizeMode(QueueModel.TITLE, QHeaderView.ResizeMode.Stretch)
        table.activated.connect(self._open_index)
        table.doubleClicked.connect(self._open_index)
        table.installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(heading)
        layout.addLayout(filters)
        layout.addWidget(self.rows, 1)

        self.search_action = shortcut_actions.make(self, shortcut_actions.SEARCH_QUEUE, self.focus_search)
        # On the table only: Enter in the search box opens the first match, elsewhere it belongs to the widget.
        self.open_action = shortcut_actions.make(
            table, shortcut_actions.OPEN_TICKET, self._open_current, context=Qt.ShortcutContext.WidgetShortcut
        )

        self.search.textChanged.connect(self.apply_filter)
        self.search.returnPressed.connect(self._open_first_match)
        for box in (self.mine, self.at_risk, self.breached):
            box.toggled.connect(self.apply_filter)
        self.saved_combo.activated.connect(self._load_saved)
        self.save_button.clicked.connect(self._save_current)
        self.delete_button.clicked.connect(self._delete_saved)

        self._fit_columns_pending = True
        self.countdown = QTimer(self)
        self.countdown.setInterval(COUNTDOWN_MS)
        self.countdown.timeout.connect(self.tick)
        self.show_loading()

    # -- construction helpers -------------------------------------------------------------------------------------

    def _menu_button(self, title: str, choices: list[tuple[str, object]]) -> QToolButton:
        button = QToolButton()
        button.setText(title)
        button.setProperty("title", title)
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        button.setMenu(QMenu(button))
        self._fill_menu(button, choices)
        return button

    def _fill_menu(self, button: QToolButton, choices: list[tuple[str, object]]) -> None:
        menu = button.menu()
        checked = {action.data() for action in menu.actions() if action.isChecked()}
        menu.clear()
        for text, value in choices:
            action = menu.addAction(text)
            action.setCheckable(True)
            action.setData(value)
            action.setChecked(value in checked)
            action.toggled.connect(self.apply_filter)

    @staticmethod
    def _checked(button: QToolButton) -> frozenset:
        return frozenset(action.data() for action in button.menu().actions() if action.isChecked())

    @staticmethod
    def _set_checked(button: QToolButton, values: frozenset) -> None:
        for action in button.menu().actions():
            action.blockSignals(True)
            action.setChecked(action.data() in values)
            action.blockSignals(False)

    # -- filtering ------------------------------------------------------------------------------------------------

    def current_filter(self) -> QueueFilter:
        return QueueFilter(
            text=self.search.text(),
            statuses=frozenset(TicketStatus(s) for s in self._checked(self.status_button)),
            priorities=frozenset(int(p) for p in self._checked(self.priority_button)),
            clients=frozenset(str(c) for c in self._checked(self.client_button)),
            mine=self.mine.isChecked(),
            breached=self.breached.isChecked(),
            at_risk=self.at_risk.isChecked(),
        )

    def apply_filter(self) -> None:
        selected = self.selected_ticket_id()
        wanted = self.current_filter()
        self.model.set_filter(wanted, self.my_email)
        for button, values in ((self.status_button, wanted.statuses), (self.priority_button, wanted.priorities),
                               (self.client_button, wanted.clients)):  # fmt: skip
            title = button.property("title")
            label = f"{title} ({len(values)})" if values else title
            if button.text() != label:
                button.setText(label)
        self._update_summary()
        if selected is not None:
            self.select_ticket(selected)

    def set_filter(self, wanted: QueueFilter) -> None:
        """Shows a filter in the controls (a saved one, say) and applies it."""
        controls = [self.search, self.mine, self.at_risk, self.breached]
        for control in controls:
            control.blockSignals(True)
        self.search.setText(wanted.text)
        self.mine.setChecked(wanted.mine)
        self.at_risk.setChecked(wanted.at_risk)
        self.breached.setChecked(wanted.breached)
        for control in controls:
            control.blockSignals(False)
        self._set_checked(self.status_button, frozenset(wanted.statuses))
        self._set_checked(self.priority_button, frozenset(wanted.priorities))
        self._set_checked(self.client_button, frozenset(wanted.clients))
        self.apply_filter()

    # -- saved filters --------------------------------------------------------------------------------------------

    def set_saved_filters(self, saved: dict[str, dict]) -> None:
        self._saved = dict(saved)
        self.saved_combo.clear()
        self.saved_combo.addItem(_("Saved filters…"), None)
        for name in sorted(self._saved, key=str.casefold):
            self.saved_combo.addItem(name, name)
        self.delete_button.setEnabled(bool(self._saved))

    def _load_saved(self, index: int) -> None:
        name = self.saved_combo.itemData(index)
        if name in self._saved:
            self.set_filter(QueueFilter.from_dict(self._saved[name]))

    def save_filter_as(self, name: str) -> None:
        name = name.strip()
        if not name:
            return
        self._saved[name] = self.current_filter().as_dict()
        self.set_saved_filters(self._saved)
        self.saved_combo.setCurrentIndex(self.saved_combo.findData(name))
        self.saved_filters_changed.emit(dict(self._saved))

    def _save_current(self) -> None:
        name, accepted = QInputDialog.getText(self, _("Save filter"), _("Name of this filter:"))
        if accepted:
            self.save_filter_as(name)

    def _delete_saved(self) -> None:
        name = self.saved_combo.currentData()
        if name in self._saved:
            del self._saved[name]
            self.set_saved_filters(self._saved)
            self.saved_filters_changed.emit(dict(self._saved))

    # -- rows and countdown ---------------------------------------------------------------------------------------

    def show_loading(self) -> None:
        self.summary.setText("")
        self.rows.show_message(_("Opening the database…"))

    def show_unavailable(self, reason: str) -> None:
        self.rows.show_message(_("The queue cannot be shown: {reason}").format(reason=reason))

    def set_first_page(self, rows: Sequence[QueueRow]) -> None:
        """Shows the most urgent tickets while the whole queue loads; searching waits for the whole queue, so a
        search never answers from a part of it."""
        self.set_rows(rows)
        self._set_filters_enabled(False)
        self.summary.setText(_("The {count} most urgent tickets; loading the whole queue…").format(count=len(rows)))

    def _set_filters_enabled(self, enabled: bool) -> None:
        for control in (self.search, self.status_button, self.priority_button, self.client_button, self.mine,
                        self.at_risk, self.breached, self.saved_combo, self.save_button):  # fmt: skip
            control.setEnabled(enabled)

    def set_rows(self, rows: Sequence[QueueRow] | QueueIndex) -> None:
        """Shows the queue; pass a QueueIndex built in a worker thread to keep the GUI thread free at 100k rows."""
        self._set_filters_enabled(True)
        selected = self.selected_ticket_id()
        self.model.set_rows(rows, utc_now())
        rows = self.model.all_rows()
        clients = sorted({row.client for row in rows}, key=str.casefold)
        self._fill_menu(self.client_button, [(client, client) for client in clients])
        self._update_summary()
        if rows:
            self.rows.show_table()
            if self._fit_columns_pending:
                self._fit_columns()
        else:
            self.rows.show_message(_("No open tickets. Well done."))
        if selected is not None:
            self.select_ticket(selected)
        self.countdown.start()

    def keep_column_widths(self) -> None:
        """The engineer's own widths were restored: the first rows do not refit them."""
        self._fit_columns_pending = False

    def _fit_columns(self) -> None:
        """Every column as wide as what it shows, once, when the first rows come; when they do not all fit, the
        names (client, site, hosts, assignee) give way to the title, the column the engineer reads first. Fixed
        widths left the title cut while Status and Due had room to spare."""
        self._fit_columns_pending = False
        table = self.rows.table
        header = table.horizontalHeader()
        header.setResizeContentsPrecision(FIT_ROWS)
        metrics = table.fontMetrics()
        now = utc_now()
        # What the rows may show later, not only now: the countdown moves on, and may pass the deadline.
        later = {QueueModel.DUE: [due_text(now + timedelta(hours=hours, minutes=59), now) for hours in (-24, 9)]}
        widths = {}
        for column in range(self.model.columnCount()):
            content = max(table.sizeHintForColumn(column), header.sectionSizeHint(column))
            widths[column] = max(
                [content, *(metrics.horizontalAdvance(text) + CELL_PADDING for text in later.get(column, []))]
            )
        # The table was hidden behind the loading message until now, its viewport not laid out: the room is what its
        # frame around it has, less a scroll bar.
        available = self.rows.width() - 2 * table.frameWidth() - table.verticalScrollBar().sizeHint().width()
        if table.verticalHeader().isVisible():
            available -= table.verticalHeader().sizeHint().width()
        title = min(widths.pop(QueueModel.TITLE), int(available * TITLE_SHARE))
        excess = sum(widths.values()) + title - available
        spare = {column: widths[column] - max(NAME_MINIMUM, header.sectionSizeHint(column)) for column in NAME_COLUMNS}
        room = sum(max(0, width) for width in spare.values())
        for column in NAME_COLUMNS:
            if excess > 0 and room > 0 and spare[column] > 0:
                widths[column] -= min(spare[column], round(excess * spare[column] / room))
        for column, width in widths.items():
            table.setColumnWidth(column, width)

    def tick(self) -> None:
        """Moves the countdown and reports tickets whose SLA just got worse (only those rows are looked at)."""
        changed = self.model.tick(utc_now())
        index = self.model.index_data
        alerts = [
            (index.rows[i].reference, index.rows[i].title, index.states[i])
            for i in changed
            if index.states[i] in (SlaState.AT_RISK, SlaState.BREACHED)
        ]
        wanted = self.model.current_filter
        if changed and (wanted.at_risk or wanted.breached):
            self.apply_filter()  # a ticket may have just entered or left the filtered set
        self._update_summary()
        if alerts:
            self.sla_alerts.emit(alerts)

    def _update_summary(self) -> None:
        counts = self.model.index_data.counts
        total = self.model.total_rows()
        text = _("{count} open tickets, {overdue} overdue, {at_risk} at risk").format(
            count=total, overdue=counts[SlaState.BREACHED], at_risk=counts[SlaState.AT_RISK]
        )
        if self.model.rowCount() != total:
            text += " · " + _("{shown} shown").format(shown=self.model.rowCount())
        if self.summary.text() != text:
            self.summary.setText(text)

    # -- selection and opening ------------------------------------------------------------------------------------

    def selected_ticket_id(self) -> int | None:
        indexes = self.rows.table.selectionModel().selectedRows() if self.rows.table.selectionModel() else []
        return indexes[0].data(TICKET_ID_ROLE) if indexes else None

    def select_ticket(self, ticket_id: int) -> None:
        row = self.model.row_of_ticket(ticket_id)
        if row >= 0:
            self.rows.table.selectRow(row)

    def _open_index(self, index) -> None:  # type: ignore[no-untyped-def]
        ticket_id = index.data(TICKET_ID_ROLE)
        if ticket_id is not None:
            self.open_ticket.emit(ticket_id)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _open_current(self) -> None:
        selected = self.selected_ticket_id()  # the highlighted row, which selectRow() moves without the cursor
        if selected is not None:
            self.open_ticket.emit(selected)
        elif self.rows.table.currentIndex().isValid():
            self._open_index(self.rows.table.currentIndex())

    def _open_first_match(self) -> None:
        if self.model.rowCount():
            self.rows.table.setFocus()
            self.rows.table.selectRow(0)
            self.open_ticket.emit(self.model.row_at(0).ticket_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Type-to-search: printable keys typed on the table go to the search box; Enter opens the ticket."""
        if watched is self.rows.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                index = self.rows.table.currentIndex()
                if index.isValid():
                    self._open_index(index)
                    return True
            text = event.text()
            modifiers = event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
            if text and text.isprintable() and not text.isspace() and modifiers == Qt.KeyboardModifier.NoModifier:
                self.search.setFocus()
                self.search.insert(text)
                return True
        return super().eventFilter(watched, event)

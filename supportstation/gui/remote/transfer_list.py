"""The file transfers of a remote panel, one row each: what, which way, how far and how fast, and how it ended.

A transfer's worker thread only stores its latest byte count (`Transfer.progress`); a timer on the GUI thread reads
it a few times a second. A fast transfer thus costs the event loop nothing per block, however small the blocks.
"""

from __future__ import annotations

import enum
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from PySide6.QtCore import QTimer
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _

from ..units import format_size

REFRESH_MS = 250  # four repaints a second: smooth enough to read, cheap whatever the speed
RATE_WINDOW_S = 2.0  # the rate shown is the average over the last two seconds: steady, yet quick to follow a stall
BAR_STEPS = 1000  # QProgressBar counts in a C int: files past 2 GiB would overflow it as a byte count


class Direction(enum.StrEnum):
    UPLOAD = "upload"
    DOWNLOAD = "download"


class TransferState(enum.Enum):
    WAITING = "waiting"  # queued behind other transfers to the same host
    RUNNING = "running"
    RECORDING = "recording"  # transferred; being put on the timeline
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"


FINAL_STATES = (TransferState.DONE, TransferState.CANCELLED, TransferState.FAILED)
STATE_COLOURS = {
    TransferState.DONE: "#2e7d32",
    TransferState.CANCELLED: "#616161",
    TransferState.FAILED: "#c62828",
}


@dataclass(eq=False)
class Transfer:
    direction: Direction
    name: str
    source: str
    destination: str
    size: int = 0  # as known before it starts; the transfer's own count replaces it
    cancel: threading.Event = field(default_factory=threading.Event)
    state: TransferState = TransferState.WAITING
    message: str = ""  # the reason of a failure, or a note on a success (not recorded on the ticket…)
    sha256: str = ""
    latest: tuple[int, int] = (0, 0)  # bytes done, bytes in all: written by the worker thread only
    started_at: float = 0.0
    ended_at: float = 0.0

    def progress(self, done: int, total: int) -> None:
        """Called from the worker thread for every block: one tuple assignment, atomic under the GIL."""
        self.latest = (done, total)

    @property
    def total(self) -> int:
        return self.latest[1] or self.size

    @property
    def finished(self) -> bool:
        return self.state in FINAL_STATES


def format_rate(bytes_per_second: float) -> str:
    return _("{size}/s").format(size=format_size(bytes_per_second))


class _Row:
    """One transfer's widgets and the recent samples its rate is computed from."""

    def __init__(self, transfer: Transfer, bar: QProgressBar, cancel: QPushButton) -> None:
        self.transfer = transfer
        self.bar = bar
        self.cancel = cancel
        self.samples: deque[tuple[float, int]] = deque()

    def rate(self, now: float, done: int) -> float:
        self.samples.append((now, done))
        while len(self.samples) > 2 and now - self.samples[0][0] > RATE_WINDOW_S:
            self.samples.popleft()
        first_time, first_done = self.samples[0]
        return (done - first_done) / (now - first_time) if now > first_time else 0.0


class TransferList(QWidget):
    FILE, DIRECTION, PROGRESS, STATE, ACTION = range(5)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self._rows: list[_Row] = []
        titles = [_("File"), _("Direction"), _("Progress"), _("State"), ""]
        self.table = QTableWidget(0, len(titles))
        self.table.setObjectName("transfers")
        self.table.setHorizontalHeaderLabels(titles)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(self.FILE, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(self.DIRECTION, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(self.PROGRESS, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(self.STATE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(self.ACTION, QHeaderView.ResizeMode.ResizeToContents)
        self.table.setColumnWidth(self.FILE, 200)
        self.table.setColumnWidth(self.PROGRESS, 300)

        self.clear_button = QPushButton(_("Clear finished"))
        self.clear_button.setObjectName("clearTransfers")
        self.clear_button.clicked.connect(self.clear_finished)
        self.clear_button.setEnabled(False)
        top = QHBoxLayout()
        top.addWidget(QLabel(_("Transfers")))
        top.addStretch(1)
        top.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self.refresh)

    # -- for the panel ------------------------------------------------------------------------------------------

    @property
    def transfers(self) -> list[Transfer]:
        return [row.transfer for row in self._rows]

    def add(self, transfer: Transfer) -> None:
        index = self.table.rowCount()
        self.table.insertRow(index)
        arrow = "↑ " + _("upload") if transfer.direction is Direction.UPLOAD else "↓ " + _("download")
        name = QTableWidgetItem(transfer.name)
        name.setToolTip(f"{transfer.source} → {transfer.destination}")
        self.table.setItem(index, self.FILE, name)
        self.table.setItem(index, self.DIRECTION, QTableWidgetItem(arrow))
        self.table.setItem(index, self.STATE, QTableWidgetItem())
        bar = QProgressBar()
        bar.setRange(0, BAR_STEPS)
        bar.setValue(0)
        bar.setTextVisible(True)
        self.table.setCellWidget(index, self.PROGRESS, bar)
        cancel = QPushButton(_("Cancel"))
        cancel.setObjectName("cancelTransfer")
        cancel.clicked.connect(lambda _checked=False, t=transfer: self.request_cancel(t))
        self.table.setCellWidget(index, self.ACTION, cancel)
        self._rows.append(_Row(transfer, bar, cancel))
        self.show_state(transfer)
        self.table.scrollToBottom()

    def show_state(self, transfer: Transfer) -> None:
        """Shows what the transfer's state now is (the panel calls it after each change)."""
        row = self._row(transfer)
        index = self._rows.index(row)
        self.table.item(index, self.FILE).setToolTip(f"{transfer.source} → {transfer.destination}")
        item = self.table.item(index, self.STATE)
        item.setText(self.state_text(transfer))
        item.setToolTip(self.state_tooltip(transfer))
        colour = STATE_COLOURS.get(transfer.state)
        item.setForeground(QBrush(QColor(colour)) if colour else QBrush())
        if transfer.state is TransferState.RUNNING and not row.samples:
            row.samples.append((time.monotonic(), 0))
        self._show_progress(row, time.monotonic())
        if transfer.finished:
            self.table.removeCellWidget(index, self.ACTION)  # nothing left to cancel
        self.clear_button.setEnabled(any(r.transfer.finished for r in self._rows))
        running = any(r.transfer.state is TransferState.RUNNING for r in self._rows)
        if running and not self._timer.isActive():
            self._timer.start()
        elif not running:
            self._timer.stop()

    def request_cancel(self, transfer: Transfer) -> None:
        """The engineer's Cancel: a waiting transfer ends at once; a running one stops at its next block."""
        if transfer.finished or transfer.state is TransferState.RECORDING:
            return  # the bytes are all there: too late to cancel, and the record must be kept
        transfer.cancel.set()
        if transfer.state is TransferState.WAITING:
            transfer.state = TransferState.CANCELLED
            transfer.ended_at = time.monotonic()
        else:
            self._row(transfer).cancel.setEnabled(False)
        self.show_state(transfer)

    def clear_finished(self) -> None:
        for index in reversed(range(len(self._rows))):
            if self._rows[index].transfer.finished:
                self.table.removeRow(index)
                del self._rows[index]
        self.clear_button.setEnabled(False)

    def refresh(self) -> None:
        now = time.monotonic()
        for row in self._rows:
            if row.transfer.state is TransferState.RUNNING:
                self._show_progress(row, now)

    # -- for tests and the panel --------------------------------------------------------------------------------

    def cancel_button(self, transfer: Transfer) -> QPushButton | None:
        row = self._row(transfer)
        index = self._rows.index(row)
        return row.cancel if self.table.cellWidget(index, self.ACTION) is row.cancel else None

    def progress_text(self, transfer: Transfer) -> str:
        return self._row(transfer).bar.text()

    @staticmethod
    def state_text(transfer: Transfer) -> str:
        state = transfer.state
        if state is TransferState.WAITING:
            return _("Waiting")
        if state is TransferState.RUNNING:
            return _("Cancelling…") if transfer.cancel.is_set() else _("Transferring")
        if state is TransferState.RECORDING:
            return _("Recording on the timeline…")
        if state is TransferState.DONE:
            return _("Done") + (f" — {transfer.message}" if transfer.message else "")
        if state is TransferState.CANCELLED:
            return _("Cancelled")
        return _("Failed: {reason}").format(reason=transfer.message)

    @staticmethod
    def state_tooltip(transfer: Transfer) -> str:
        if transfer.state is TransferState.DONE and transfer.sha256:
            lines = [_("SHA-256: {digest}").format(digest=transfer.sha256)]
            if transfer.message:
                lines.append(transfer.message)
            return "\n".join(lines)
        if transfer.state is TransferState.FAILED:
            return transfer.message
        return ""

    # -- helpers ------------------------------------------------------------------------------------------------

    def _row(self, transfer: Transfer) -> _Row:
        return next(row for row in self._rows if row.transfer is transfer)

    def _show_progress(self, row: _Row, now: float) -> None:
        transfer = row.transfer
        done, total = transfer.latest[0], transfer.total
        transferred = transfer.state in (TransferState.DONE, TransferState.RECORDING)
        if transferred:
            done = total = max(done, total)
        row.bar.setValue(BAR_STEPS if transferred else round(BAR_STEPS * done / total) if total else 0)
        if transfer.state is TransferState.RUNNING:
            rate = row.rate(now, done)
            text = _("{done} of {total}").format(done=format_size(done), total=format_size(total))
            if rate > 0:
                text += " · " + format_rate(rate)
        elif transferred:
            seconds = transfer.ended_at - transfer.started_at
            text = format_size(done)
            if seconds >= 0.1:  # a rate measured over less is noise
                text = _("{size} in {seconds:.1f} s ({rate})").format(
                    size=text, seconds=seconds, rate=format_rate(done / seconds)
                )
        elif transfer.state is TransferState.WAITING or not total:
            text = format_size(total) if total else ""
        else:
            text = _("{done} of {total}").format(done=format_size(done), total=format_size(total))
        row.bar.setFormat(text)

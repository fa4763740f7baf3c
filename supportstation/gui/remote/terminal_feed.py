"""Output handed to the terminal emulator in slices, a few milliseconds per turn of the event loop.

pyte is pure Python (about 0.3 MB/s here): fed a flood (`yes`, a `cat` of a big file) in one go, it would freeze the
window for seconds. Fed in slices, the window stays responsive, and the server is slowed instead: what is not taken
yet stays in the shell's OutputPipe, whose limit holds up its reader, and SSH flow control the remote program.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pyte
from PySide6.QtCore import QObject, QTimer, Signal

FEED_SLICE = 512  # bytes given to pyte at a time: about 2 ms of its work
FEED_BUDGET = 0.006  # seconds of feeding per turn of the event loop; the rest of the turn is the interface's
PULL_SIZE = 64 * 1024


class OutputFeeder(QObject):
    fed = Signal()  # output went into the emulator: the view may repaint

    def __init__(self, stream: pyte.ByteStream, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stream = stream
        self.bytes_fed = 0
        self._pending = bytearray()
        self._source: Callable[[int], bytes] | None = None
        self._source_may_have_more = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._work)

    def feed(self, data: bytes) -> None:
        self._pending += data
        self._schedule()

    def set_source(self, pull: Callable[[int], bytes] | None) -> None:
        self._source = pull
        self._source_may_have_more = pull is not None
        self._schedule()

    def output_ready(self) -> None:
        self._source_may_have_more = True
        self._schedule()

    @property
    def busy(self) -> bool:
        return bool(self._pending) or self._timer.isActive()

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start(0)  # many arrivals before the next turn of the loop are fed together

    def _work(self) -> None:
        started = time.perf_counter()
        fed = False
        while True:
            if len(self._pending) < FEED_SLICE and self._source is not None and self._source_may_have_more:
                pulled = self._source(PULL_SIZE)
                # Less than asked: the source is empty, and says so (output_ready) when it has more.
                self._source_may_have_more = len(pulled) == PULL_SIZE
                self._pending += pulled
            if not self._pending:
                break
            piece = bytes(self._pending[:FEED_SLICE])
            del self._pending[:FEED_SLICE]
            self.stream.feed(piece)
            self.bytes_fed += len(piece)
            fed = True
            if time.perf_counter() - started >= FEED_BUDGET:
                break
        if fed:
            self.fed.emit()
        if self._pending or self._source_may_have_more:
            self._timer.start(1)  # a pause for the event loop, then the next slices

"""Measures how long the Qt event loop goes without running: the GUI tests' proof that nothing blocks it.

A timer asks to fire every few milliseconds; the longest gap between two firings is the longest time the event
loop was busy elsewhere. The application uses it too, to log stalls that a user would have felt.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer

log = logging.getLogger(__name__)

NOTICEABLE_MS = 100.0  # a pause a user typing or scrolling starts to feel


class StallProbe(QObject):
    def __init__(self, interval_ms: int = 5, report_over_ms: float | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._interval_ms = interval_ms
        self._report_over_ms = report_over_ms
        self.longest_gap_ms = 0.0
        self.ticks = 0
        self.stalls: list[float] = []  # every gap over NOTICEABLE_MS, to tell a busy machine's hiccup from a block

    def start(self) -> None:
        self.longest_gap_ms = 0.0
        self.ticks = 0
        self.stalls = []
        self._clock.start()
        self._timer.start()

    def stop(self) -> float:
        self._timer.stop()
        return self.longest_gap_ms

    def reset(self) -> None:
        self.longest_gap_ms = 0.0
        self.stalls = []
        self._clock.restart()

    def _tick(self) -> None:
        gap = self._clock.nsecsElapsed() / 1e6
        self._clock.restart()
        self.ticks += 1
        # The first interval of each gap is the timer's own period, not a stall.
        stall = max(0.0, gap - self._interval_ms)
        if stall > self.longest_gap_ms:
            self.longest_gap_ms = stall
        if stall > NOTICEABLE_MS:
            self.stalls.append(stall)
        if self._report_over_ms is not None and stall > self._report_over_ms:
            log.warning("The interface did not respond for %.0f ms", stall)

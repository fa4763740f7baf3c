"""Python's cycle collector, run on the GUI thread only.

The collector runs in whichever thread happens to allocate when a threshold is crossed: with paramiko's transport
threads waking every 100 ms, that is often not the GUI thread. A Qt object found in a garbage cycle is then destroyed
in the wrong thread, its timers are left registered with the GUI thread's event loop, and the next one to fire
crashes the process (seen in the tests: a segfault in QTimerInfoList::activateTimers). So automatic collection is
switched off and a timer on the GUI thread does the same work, with the same thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_EVERY_MS = 250


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_EVERY_MS)
        self._timer.timeout.connect(self.collect_if_due)
        self._was_enabled = gc.isenabled()

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def collect_if_due(self) -> None:
        """Collects the oldest generation whose count has passed its threshold, as the automatic collector would."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        for generation in (2, 1, 0):
            if thresholds[generation] and counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return


_collector: GuiThreadCollector | None = None


def collect_on_gui_thread() -> GuiThreadCollector:
    """Installs the collector once per process; call it from the GUI thread, after the QApplication exists."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector()
        _collector.start()
    return _collector

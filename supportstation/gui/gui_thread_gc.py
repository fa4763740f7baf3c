"""Python's cycle collector, run on the GUI thread only; and the interpreter handed to the GUI thread sooner.

The collector runs in whichever thread happens to allocate when a threshold is crossed: with paramiko's transport
threads waking every 100 ms, that is often not the GUI thread. A Qt object found in a garbage cycle is then destroyed
in the wrong thread, its timers are left registered with the GUI thread's event loop, and the next one to fire
crashes the process (seen in the tests: a segfault in QTimerInfoList::activateTimers). So automatic collection is
switched off and a timer on the GUI thread does the same work, with the same rules.

The same rules include a guard like CPython's on full collections: the oldest generation is scanned only once the
heap has grown by a quarter since the last full collection. Without the guard, a stream of output that allocates fast
triggers a full scan of the whole heap every few seconds, and each one is a pause of the window as long as the heap is
large (326 ms measured on a heap of a few million objects).

The heap is measured in allocated memory blocks (`sys.getallocatedblocks`), never by listing a generation's objects:
`gc.get_objects()` takes a reference to every object it lists, including a tuple that another thread is still
building, and with the interpreter handed over every 0.5 ms that thread could resume while the list was alive and
fail in `_PyTuple_Resize` with "SystemError: bad argument to internal function" (seen once in CI, in an import).
"""

from __future__ import annotations

import gc
import sys

from PySide6.QtCore import QObject, QTimer

CHECK_EVERY_MS = 250
FULL_COLLECTION_GROWTH = 0.25  # CPython's ratio: the heap grown by a quarter since the last full collection


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_EVERY_MS)
        self._timer.timeout.connect(self.collect_if_due)
        self._was_enabled = gc.isenabled()
        self.heap_after_full = 0  # allocated blocks after the last full collection

    def start(self) -> None:
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.heap_after_full = sys.getallocatedblocks()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def collect_if_due(self) -> None:
        """Collects the oldest generation whose count has passed its threshold, as the automatic collector would."""
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        if thresholds[2] and counts[2] > thresholds[2] and self._heap_has_grown():
            gc.collect(2)
            self.heap_after_full = sys.getallocatedblocks()
            return
        for generation in (1, 0):
            if thresholds[generation] and counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return

    def _heap_has_grown(self) -> bool:
        return sys.getallocatedblocks() - self.heap_after_full > self.heap_after_full * FULL_COLLECTION_GROWTH


_collector: GuiThreadCollector | None = None


def collect_on_gui_thread() -> GuiThreadCollector:
    """Installs the collector once per process; call it from the GUI thread, after the QApplication exists."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector()
        _collector.start()
    return _collector


# How long a thread may keep the interpreter while another waits for it. Every Qt event that reaches Python code (a
# timer, a signal, an asyncio callback) needs the interpreter; while a worker thread computes (reading the procedure
# library's YAML, a parser, an import) the GUI thread waited up to the default 5 ms for each one, and a burst of
# events became a pause of 250-450 ms in the end-to-end test although the GUI thread itself worked 15-30 ms of it.
GUI_SWITCH_INTERVAL_S = 0.0005


def share_the_interpreter_with_the_gui() -> None:
    sys.setswitchinterval(min(sys.getswitchinterval(), GUI_SWITCH_INTERVAL_S))

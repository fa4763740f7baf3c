"""Measures how long the Qt event loop goes without running: the GUI tests' proof that nothing blocks it.

A timer asks to fire every few milliseconds; the longest gap between two firings is the longest time the event
loop was busy elsewhere. The application uses it too, to log stalls that a user would have felt.

With `where=True` a watcher thread also looks at the GUI thread's Python stack while the loop stands still, so a
stall is reported with the code that held the loop, not only its length: a stall that shows once on a slow machine
can then be named from the log alone.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field

from PySide6.QtCore import QElapsedTimer, QObject, Qt, QTimer

log = logging.getLogger(__name__)

NOTICEABLE_MS = 100.0  # a pause a user typing or scrolling starts to feel
FRAMES_KEPT = 8  # the innermost frames of a sample: enough to name the culprit and who called it


@dataclass
class Stall:
    ms: float
    step: str  # what the program said it was doing (StallProbe.mark)
    # The GUI thread's processor time during the stall: close to `ms` when it worked all along, far below when it
    # waited (for the interpreter lock held by another thread, or for a processor on a busy machine).
    cpu_ms: float = 0.0
    samples: list[str] = field(default_factory=list)  # the GUI thread's stacks seen during the stall

    def where(self) -> str:
        """The stack seen most often during the stall, or why there is none."""
        worked = f"the GUI thread worked {self.cpu_ms:.0f} ms of it"
        if not self.samples:
            return f"{worked}; no stack seen (native code, or shorter than a sample)"
        stack, seen = Counter(self.samples).most_common(1)[0]
        return f"{worked}; stack seen in {seen} of {len(self.samples)} samples:\n{stack}"


class _StackWatcher(threading.Thread):
    """Samples the GUI thread's stack whenever the probe has not ticked for a noticeable time."""

    def __init__(self, probe: StallProbe, gui_thread: int, period_s: float) -> None:
        super().__init__(name="stall-stack-watcher", daemon=True)
        self._probe, self._gui_thread, self._period_s = probe, gui_thread, period_s
        self._stop_event = threading.Event()

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        threshold = NOTICEABLE_MS / 1000 / 2
        while not self._stop_event.wait(self._period_s):
            if time.monotonic() - self._probe.last_tick_at < threshold:
                continue
            frame = sys._current_frames().get(self._gui_thread)
            if frame is None:
                continue
            # The import machinery's own frames name nothing: the import statement above them does.
            stack = [entry for entry in traceback.extract_stack(frame) if not entry.filename.startswith("<frozen")]
            stack = stack[-FRAMES_KEPT:]
            del frame
            lines = [f"  {entry.filename}:{entry.lineno} {entry.name}: {entry.line or ''}" for entry in stack]
            self._probe.add_sample("\n".join(lines))


class StallProbe(QObject):
    def __init__(self, interval_ms: int = 5, report_over_ms: float | None = None, parent: QObject | None = None,
                 *, where: bool = False):  # fmt: skip
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._clock = QElapsedTimer()
        self._interval_ms = interval_ms
        self._report_over_ms = report_over_ms
        self._where = where
        self._watcher: _StackWatcher | None = None
        self._samples_lock = threading.Lock()
        self._samples: list[str] = []
        self.last_tick_at = time.monotonic()
        self._last_cpu = time.thread_time()
        self.step = ""
        self.longest_gap_ms = 0.0
        self.ticks = 0
        self.stalls: list[float] = []  # every gap over NOTICEABLE_MS, to tell a busy machine's hiccup from a block
        self.stall_records: list[Stall] = []  # the same stalls with their step and, with `where`, their stacks

    def start(self) -> None:
        self.longest_gap_ms = 0.0
        self.ticks = 0
        self.stalls = []
        self.stall_records = []
        self._clock.start()
        self.last_tick_at = time.monotonic()
        self._last_cpu = time.thread_time()
        self._timer.start()
        if self._where and self._watcher is None:
            self._watcher = _StackWatcher(self, threading.get_ident(), period_s=max(0.02, self._interval_ms / 1000))
            self._watcher.start()

    def stop(self) -> float:
        self._timer.stop()
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher.join()
            self._watcher = None
        return self.longest_gap_ms

    def reset(self) -> None:
        self.longest_gap_ms = 0.0
        self.stalls = []
        self.stall_records = []
        self._clock.restart()

    def mark(self, step: str) -> None:
        """Names what follows, so that a stall is reported with the step it happened in."""
        self.step = step

    def longest(self, count: int = 3) -> list[Stall]:
        return sorted(self.stall_records, key=lambda stall: stall.ms, reverse=True)[:count]

    def add_sample(self, stack: str) -> None:
        with self._samples_lock:
            self._samples.append(stack)

    def _tick(self) -> None:
        gap = self._clock.nsecsElapsed() / 1e6
        self._clock.restart()
        self.last_tick_at = time.monotonic()
        cpu, self._last_cpu = time.thread_time(), self._last_cpu
        cpu_ms = (cpu - self._last_cpu) * 1000
        self._last_cpu = cpu
        self.ticks += 1
        with self._samples_lock:
            samples, self._samples = self._samples, []
        # The first interval of each gap is the timer's own period, not a stall.
        stall = max(0.0, gap - self._interval_ms)
        if stall > self.longest_gap_ms:
            self.longest_gap_ms = stall
        if stall <= NOTICEABLE_MS:
            return
        record = Stall(stall, self.step, cpu_ms, samples)
        self.stalls.append(stall)
        self.stall_records.append(record)
        if self._report_over_ms is not None and stall > self._report_over_ms:
            log.warning("The interface did not respond for %.0f ms; %s", stall, record.where())

"""The cycle collector runs on the GUI thread, never in a worker that happens to allocate."""

from __future__ import annotations

import gc
import threading
import weakref

from PySide6.QtCore import QObject

from supportstation.gui.gui_thread_gc import GuiThreadCollector


class Cycle:
    def __init__(self) -> None:
        self.me = self


def test_a_worker_allocating_does_not_collect_and_the_gui_thread_does(qapp) -> None:  # type: ignore[no-untyped-def]
    enabled_before = gc.isenabled()
    collector = GuiThreadCollector()
    collector.start()
    thresholds = gc.get_threshold()
    try:
        gc.set_threshold(10)
        collected_in: list[str] = []
        owner = QObject()
        cycle = Cycle()
        cycle.qt_object = owner  # type: ignore[attr-defined]
        alive = weakref.ref(cycle)
        del cycle, owner

        def allocate() -> None:  # many more allocations than the threshold: the automatic collector would run here
            _ = [Cycle() for _ in range(1000)]
            collected_in.append("worker" if alive() is None else "")

        worker = threading.Thread(target=allocate)
        worker.start()
        worker.join()
        assert collected_in == [""], "the garbage cycle was collected in the worker thread"
        collector.collect_if_due()
        assert alive() is None
    finally:
        gc.set_threshold(*thresholds)
        collector.stop()
    assert gc.isenabled() == enabled_before


def test_the_whole_heap_is_scanned_only_after_a_quarter_more_survives(qapp) -> None:  # type: ignore[no-untyped-def]
    # A full collection pauses the window for as long as the heap is large: like CPython's own collector, ours does
    # one only once the objects promoted since the last exceed a quarter of those that survived it.
    collector = GuiThreadCollector()
    collector.start()
    thresholds = gc.get_threshold()
    keep: list[object] = []
    try:
        gc.set_threshold(700, 1, 1)
        # A known start, whatever the tests before left: every count at zero, then one young collection counted,
        # so that each round's second call collects generation 1 and promotes that round's lists.
        gc.collect()
        gc.collect(0)
        full_collections = gc.get_stats()[2]["collections"]
        collector.long_lived = 10_000_000  # as if the heap were huge
        for _ in range(5):
            keep.append([[] for _ in range(2000)])  # survivors, promoted by the young collections
            collector.collect_if_due()
            collector.collect_if_due()
        assert gc.get_stats()[2]["collections"] == full_collections
        assert collector.promoted >= 10_000

        collector.long_lived = collector.promoted  # now what was promoted is more than a quarter of the heap
        for _ in range(3):
            keep.append([[] for _ in range(2000)])
            collector.collect_if_due()
        assert gc.get_stats()[2]["collections"] > full_collections
        assert collector.promoted == 0
    finally:
        gc.set_threshold(*thresholds)
        collector.stop()

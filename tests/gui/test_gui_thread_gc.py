"""The cycle collector runs on the GUI thread, never in a worker that happens to allocate."""

from __future__ import annotations

import gc
import sys
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


def test_the_whole_heap_is_scanned_only_after_it_has_grown_by_a_quarter(qapp) -> None:  # type: ignore[no-untyped-def]
    # A full collection pauses the window for as long as the heap is large: like CPython's own collector, ours does
    # one only once the heap has grown by a quarter since the last.
    collector = GuiThreadCollector()
    collector.start()
    thresholds = gc.get_threshold()
    keep: list[object] = []
    try:
        gc.set_threshold(700, 1, 1)
        gc.collect()  # a known start, whatever the tests before left: every count at zero
        full_collections = gc.get_stats()[2]["collections"]
        collector.heap_after_full = int(sys.getallocatedblocks() / 1.2)  # grown by a fifth only
        for _ in range(5):
            keep.append([[] for _ in range(2000)])  # survivors, promoted by the young collections
            collector.collect_if_due()
            collector.collect_if_due()
        assert gc.get_stats()[2]["collections"] == full_collections
        assert gc.get_stats()[1]["collections"] > 0

        collector.heap_after_full = sys.getallocatedblocks() // 2  # now it has doubled
        for _ in range(3):
            keep.append([[] for _ in range(2000)])
            collector.collect_if_due()
        assert gc.get_stats()[2]["collections"] > full_collections
        assert collector.heap_after_full > sys.getallocatedblocks() // 2, "measured again after the full collection"
    finally:
        gc.set_threshold(*thresholds)
        collector.stop()


def test_the_collector_never_lists_the_heap(qapp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # A tuple built from a generator is tracked by the collector before it is complete, and resized as it grows, which
    # CPython refuses if anything else holds it. Listing a generation's objects (gc.get_objects) held it, and with the
    # GUI's 0.5 ms switch interval the building thread could resume while the list was alive: "SystemError: bad
    # argument to internal function", seen in CI in an import (typing builds such tuples). A loop of get_objects
    # beside a thread building tuples reproduces it within a few hundred calls; so the collector never lists.
    def listing_the_heap(*args: object, **kwargs: object) -> list[object]:
        raise AssertionError("gc.get_objects holds every object it lists, half-built tuples included")

    monkeypatch.setattr(gc, "get_objects", listing_the_heap)
    collector = GuiThreadCollector()
    collector.start()
    thresholds = gc.get_threshold()
    kept: list[object] = []
    try:
        gc.set_threshold(1, 1, 1)
        collector.heap_after_full = 1  # a full collection due too
        for _ in range(20):
            kept.extend([] for _ in range(10))
            collector.collect_if_due()
    finally:
        gc.set_threshold(*thresholds)
        collector.stop()

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QPushButton

from supportstation.gui.dialogs.crash_dialog import CrashDialog, CrashHandler
from supportstation.gui.stall_probe import StallProbe


def test_the_stall_probe_sees_a_blocked_event_loop(qtbot) -> None:  # type: ignore[no-untyped-def]
    probe = StallProbe(interval_ms=5)
    probe.start()
    qtbot.wait(50)
    QTimer.singleShot(0, lambda: time.sleep(0.3))
    qtbot.wait(400)
    probe.stop()
    assert probe.longest_gap_ms >= 250


def _hold_the_loop_busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_stall_probe_names_the_step_the_code_and_the_gui_threads_own_share(qtbot) -> None:  # type: ignore[no-untyped-def]
    probe = StallProbe(interval_ms=5, where=True)
    probe.start()
    probe.mark("busy step")
    qtbot.wait(50)
    QTimer.singleShot(0, lambda: _hold_the_loop_busy(0.3))
    qtbot.wait(400)
    probe.mark("sleeping step")
    QTimer.singleShot(0, lambda: time.sleep(0.3))
    qtbot.wait(400)
    probe.stop()
    busy, sleeping = sorted(probe.longest(2), key=lambda stall: stall.step)
    assert busy.step == "busy step" and busy.cpu_ms > 200  # the GUI thread worked: its own code held the loop
    assert "_hold_the_loop_busy" in busy.where()
    assert sleeping.step == "sleeping step" and sleeping.cpu_ms < 100  # it waited


def test_the_stall_probe_is_quiet_on_an_idle_loop(qtbot) -> None:  # type: ignore[no-untyped-def]
    probe = StallProbe(interval_ms=5)
    probe.start()
    qtbot.wait(200)
    probe.stop()
    assert probe.ticks > 5
    assert probe.longest_gap_ms < 500  # nothing blocks here; the margin absorbs a busy machine


def test_an_unhandled_error_is_logged_and_shown_with_a_copyable_report(qtbot, caplog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    handler = CrashHandler(str(tmp_path / "supportstation.log"))
    handler.install()
    try:
        QTimer.singleShot(0, lambda: 1 / 0)
        with caplog.at_level(logging.ERROR, logger="supportstation.crash"):
            qtbot.waitUntil(lambda: handler.dialog is not None)
    finally:
        handler.uninstall()
    report = handler.reports[0]
    assert "ZeroDivisionError" in report and "SupportStation 0.1.0" in report
    assert "ZeroDivisionError" in caplog.text
    dialog = handler.dialog
    assert isinstance(dialog, CrashDialog) and dialog.report.toPlainText() == report
    copy = next(button for button in dialog.findChildren(QPushButton) if button.text() == "Copy the report")
    copy.click()
    assert QApplication.clipboard().text() == report
    dialog.close()
    # The application carries on: the event loop still runs.
    qtbot.wait(10)

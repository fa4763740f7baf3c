"""Unhandled errors: logged, shown in a dialog with a report the user can copy, and the application goes on."""

from __future__ import annotations

import logging
import platform
import sys
import traceback
from types import TracebackType

import PySide6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from supportstation import __version__
from supportstation.i18n import _

log = logging.getLogger("supportstation.crash")


def crash_report(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> str:
    lines = [
        f"SupportStation {__version__}",
        f"Python {sys.version.split()[0]}, PySide6 {PySide6.__version__}, {platform.platform()}",
        "",
        *traceback.format_exception(kind, error, trace),
    ]
    return "\n".join(line.rstrip("\n") for line in lines)


class CrashDialog(QDialog):
    def __init__(self, report: str, log_file: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle(_("SupportStation hit an unexpected error"))
        self.resize(640, 420)
        layout = QVBoxLayout(self)
        explanation = QLabel(
            _(
                "Something went wrong. What you had saved is safe and SupportStation keeps running, but the last "
                "action may not have finished. The report below was also written to {log}; please send it to "
                "your support team."
            ).format(log=log_file)
        )
        explanation.setWordWrap(True)
        layout.addWidget(explanation)
        self.report = QPlainTextEdit(report)
        self.report.setReadOnly(True)
        layout.addWidget(self.report, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton(_("Copy the report"))
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(report))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class CrashHandler(QObject):
    """Installed as sys.excepthook and as the asyncio loop's exception handler."""

    # Dialogs are opened from the event loop, never from inside the failing call.
    reported = Signal(str)

    def __init__(self, log_file: str, parent: QObject | None = None):
        super().__init__(parent)
        self.log_file = log_file
        self.reports: list[str] = []
        self._showing = False
        self.dialog: CrashDialog | None = None
        self.reported.connect(self._show)

    def install(self) -> None:
        sys.excepthook = self.handle

    def uninstall(self) -> None:
        sys.excepthook = sys.__excepthook__

    def handle(self, kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, trace)
            return
        report = crash_report(kind, error, trace)
        log.error("Unhandled error\n%s", report)
        self.reports.append(report)
        self.reported.emit(report)

    def handle_loop_error(self, _loop: object, context: dict) -> None:
        error = context.get("exception")
        if isinstance(error, BaseException):
            self.handle(type(error), error, error.__traceback__)
        else:
            log.error("Asynchronous error: %s", context.get("message"))

    def _show(self, report: str) -> None:
        if self._showing:  # one dialog at a time; later reports are in the log
            return
        self._showing = True
        dialog = CrashDialog(report, self.log_file)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._closed)
        dialog.show()
        self.dialog = dialog

    def _closed(self) -> None:
        self._showing = False
        self.dialog = None

"""The live output of a remote command: monospace, colours shown or stripped, find, copy, follow, wrap.

    view.clear()                      # a new run
    async for chunk in handle:
        view.append((chunk,))         # cheap: counted and queued
    view.finish("exit 0 · 1.2 s")    # the end line, shown after the output

The GUI thread never waits on output: appends are queued and a timer writes them every `APPLY_INTERVAL_MS`, each
time for a bounded while (see `output_document`). A command that prints faster than that shows its first megabyte,
a marker for what is left out, and its last half megabyte; the run's recording holds the whole output.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QEvent, QLocale, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFontDatabase, QGuiApplication, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QToolButton, QVBoxLayout, QWidget

from supportstation.i18n import _, ngettext
from supportstation.remote.results import Chunk

from ..units import format_size
from .output_document import OutputDocument, OutputLimits
from .output_formats import OutputFormats
from .output_search import OutputSearchBar

APPLY_INTERVAL_MS = 40  # 25 updates a second: smooth to the eye, and most of each interval left to the GUI


class OutputView(QWidget):
    # Everything appended (and the end line, once given) is on screen: for tests, and for callers that read it.
    caught_up = Signal()

    def __init__(self, parent: QWidget | None = None, limits: OutputLimits | None = None) -> None:
        super().__init__(parent)
        self.text = QPlainTextEdit()
        self.text.setObjectName("outputText")
        self.text.setReadOnly(True)
        self.text.setUndoRedoEnabled(False)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTextInteractionFlags(
            Qt.TextInteractionFlag.TextSelectableByMouse | Qt.TextInteractionFlag.TextSelectableByKeyboard
        )
        self.text.installEventFilter(self)
        self.formats = OutputFormats(self.text.palette())
        self.output = OutputDocument(self.text.document(), self.formats, limits)
        self.search_bar = OutputSearchBar(self.text)

        self.status = QLabel()
        self.status.setObjectName("outputStatus")
        self.status.setContentsMargins(4, 0, 0, 0)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.find_button = self._button(_("Find"), _("Find in the output (Ctrl+F)"))
        self.copy_button = self._button(_("Copy"), _("Copy the selected text"))
        self.copy_all_button = self._button(_("Copy all shown"), _("Copy all the output shown here"))
        self.colours_button = self._button(_("Colours"), _("Show the colours the command printed"), checked=True)
        self.wrap_button = self._button(_("Wrap lines"), _("Wrap long lines to the width of the view"), checked=True)
        self.follow_button = self._button(
            _("Follow output"), _("Keep the newest output in view; scrolling up turns this off"), checked=True
        )
        self.copy_button.setEnabled(False)
        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(self.status, 1)
        for button in (
            self.find_button,
            self.copy_button,
            self.copy_all_button,
            self.colours_button,
            self.wrap_button,
            self.follow_button,
        ):
            tools.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(tools)
        layout.addWidget(self.search_bar)
        layout.addWidget(self.text, 1)

        self.find_button.clicked.connect(self.search_bar.open)
        self.copy_button.clicked.connect(self.text.copy)
        self.copy_all_button.clicked.connect(self.copy_all_shown)
        self.text.copyAvailable.connect(self.copy_button.setEnabled)
        self.colours_button.toggled.connect(self._show_colours)
        self.wrap_button.toggled.connect(self._wrap)
        self.follow_button.toggled.connect(self._follow_toggled)
        self.text.verticalScrollBar().valueChanged.connect(self._scrolled)
        self._writing = False  # scroll moves made by writing output are not the user's
        self._timer = QTimer(self)
        self._timer.setInterval(APPLY_INTERVAL_MS)
        self._timer.timeout.connect(self._apply_pending)
        self._show_status()

    def _button(self, text: str, tip: str, *, checked: bool | None = None) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        if checked is not None:
            button.setCheckable(True)
            button.setChecked(checked)
        return button

    # -- what callers use -----------------------------------------------------------------------------------------

    def append(self, chunks: Iterable[Chunk]) -> None:
        """Queues output to show; returns at once, whatever the size."""
        for chunk in chunks:
            self.output.add(chunk)
        self._schedule()

    def clear(self) -> None:
        self._timer.stop()
        self.output.reset()
        self.follow_button.setChecked(True)
        self.search_bar.text_changed()
        self._show_status()

    def finish(self, summary: str) -> None:
        """The end line ("exit 0 · 1.2 s"), shown after the output appended so far."""
        self.output.set_summary(summary)
        self._schedule()

    def plain_text(self) -> str:
        """The text shown (head, marker, tail and end line), once what waits is written: see `flush`."""
        self.flush()
        return self.text.toPlainText()

    def flush(self) -> None:
        """Writes what waits now rather than over the next timer steps. For tests and callers that read the text
        right after `finish`: what waits is bounded (the head and `tail_bytes`), but may take a few hundred ms."""
        if self.output.pending:
            self._apply_pending(everything=True)

    @property
    def idle(self) -> bool:
        """Nothing appended waits to be shown."""
        return not self.output.pending

    @property
    def render_ansi(self) -> bool:
        return self.formats.render_ansi

    @render_ansi.setter
    def render_ansi(self, render: bool) -> None:
        self.colours_button.setChecked(render)  # which shows the output again through `_show_colours`

    @property
    def follow(self) -> bool:
        return self.follow_button.isChecked()

    @property
    def wrap(self) -> bool:
        return self.wrap_button.isChecked()

    def copy_all_shown(self) -> None:
        QGuiApplication.clipboard().setText(self.plain_text())

    # -- inside ---------------------------------------------------------------------------------------------------

    def _schedule(self) -> None:
        if not self._timer.isActive():
            self._timer.start()

    def _apply_pending(self, *, everything: bool = False) -> None:
        self._writing = True
        try:
            more = self.output.apply(everything=everything)
            if self.follow:
                scroll_bar = self.text.verticalScrollBar()
                scroll_bar.setValue(scroll_bar.maximum())
        finally:
            self._writing = False
        self._show_status()
        self.search_bar.text_changed()
        if not more:
            self._timer.stop()
            self.caught_up.emit()

    def _show_status(self) -> None:
        output = self.output
        if not output.received_bytes:
            self.status.setText(_("No output yet") if output.summary is None else _("No output"))
            return
        lines = ngettext("{size} · {lines} line received", "{size} · {lines} lines received", output.received_lines)
        text = lines.format(size=format_size(output.received_bytes), lines=QLocale().toString(output.received_lines))
        if output.stderr_bytes:
            text += " " + _("({size} on stderr)").format(size=format_size(output.stderr_bytes))
        self.status.setText(text)

    def _show_colours(self, render: bool) -> None:
        if render == self.formats.render_ansi:
            return
        self.formats.render_ansi = render
        self.output.replay()
        self._schedule()

    def _wrap(self, wrap: bool) -> None:
        mode = QPlainTextEdit.LineWrapMode.WidgetWidth if wrap else QPlainTextEdit.LineWrapMode.NoWrap
        self.text.setLineWrapMode(mode)

    def _follow_toggled(self, follow: bool) -> None:
        if follow:
            scroll_bar = self.text.verticalScrollBar()
            self._writing = True
            scroll_bar.setValue(scroll_bar.maximum())
            self._writing = False

    def _scrolled(self, value: int) -> None:
        """Scrolling up stops following the output; scrolling back to the bottom follows it again."""
        if self._writing:
            return
        at_bottom = value >= self.text.verticalScrollBar().maximum()
        if at_bottom != self.follow:
            self.follow_button.setChecked(at_bottom)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.text and isinstance(event, QKeyEvent):
            keys = [QKeySequence.StandardKey.Find]
            if self.search_bar.isVisible():
                keys += [QKeySequence.StandardKey.FindNext, QKeySequence.StandardKey.FindPrevious]
            if event.type() == QEvent.Type.ShortcutOverride and any(event.matches(key) for key in keys):
                event.accept()  # ours, not a window shortcut's (the queue has its own Ctrl+F)
                return True
            if event.type() == QEvent.Type.KeyPress:
                if event.matches(QKeySequence.StandardKey.Find):
                    self.search_bar.open()
                    return True
                if event.matches(QKeySequence.StandardKey.FindNext) and self.search_bar.isVisible():
                    self.search_bar.step(backwards=False)
                    return True
                if event.matches(QKeySequence.StandardKey.FindPrevious) and self.search_bar.isVisible():
                    self.search_bar.step(backwards=True)
                    return True
        return super().eventFilter(watched, event)

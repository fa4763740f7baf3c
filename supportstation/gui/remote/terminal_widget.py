"""A terminal on screen: pyte's emulator drawn with QPainter, keys to bytes, scrollback, selection, copy and paste.

The widget knows nothing of SSH: bytes from the server come in through `feed()` (or a source it pulls from),
bytes for the server go out through `input_bytes`, and a new size through `resized`.

Output goes into the emulator in slices (see terminal_feed) and the view is repainted a few dozen times a second at
most, however fast the output comes: a flood slows the server, not the window.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import pyte
from PySide6.QtCore import QEvent, QPoint, QPointF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QContextMenuEvent,
    QFocusEvent,
    QFont,
    QFontDatabase,
    QGuiApplication,
    QInputMethodEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QMenu, QWidget

from supportstation.i18n import _

from .terminal_feed import OutputFeeder
from .terminal_keys import key_bytes
from .terminal_painter import DEFAULT_BACKGROUND, CellPainter, SecretMask
from .terminal_screen import APPLICATION_CURSOR_KEYS, BRACKETED_PASTE, TerminalScreen

SCROLLBACK_LINES = 5000
REPAINT_INTERVAL_MS = 33  # at most ~30 repaints a second, however fast the output comes
RESIZE_SETTLE_MS = 100  # a window dragged to a new size tells the server once, at the end
WHEEL_LINES = 3
PASTE_START, PASTE_END = b"\x1b[200~", b"\x1b[201~"
PADDING = 4  # pixels between the frame and the first cell: text against the edge is hard to read

Cell = tuple[int, int]  # (line number counted since the session started, column)


class TerminalWidget(QAbstractScrollArea):
    input_bytes = Signal(bytes)  # keys, pasted text and the emulator's answers, for the server
    resized = Signal(int, int)  # columns, rows

    def __init__(self, parent: QWidget | None = None, *, columns: int = 80, rows: int = 24) -> None:
        super().__init__(parent)
        self.setObjectName("terminal")
        self.screen = TerminalScreen(columns, rows, history=SCROLLBACK_LINES, answer=self._answer)
        self.stream = pyte.ByteStream(self.screen)
        self.scroll_offset = 0  # lines scrolled back from the bottom
        self._scrolled_seen = 0
        self.feeder = OutputFeeder(self.stream, self)
        self.feeder.fed.connect(self._output_fed)
        self._selection: tuple[Cell, Cell] | None = None
        self._selecting = False
        self._anchor: Cell = (0, 0)
        self._mask = SecretMask()
        self._setting_scrollbar = False

        self._repaint_timer = QTimer(self)
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.timeout.connect(self._repaint_now)
        self._last_repaint = 0.0
        self._resize_timer = QTimer(self)
        self._resize_timer.setSingleShot(True)
        self._resize_timer.setInterval(RESIZE_SETTLE_MS)
        self._resize_timer.timeout.connect(lambda: self.resized.emit(self.screen.columns, self.screen.lines))

        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        font.setStyleHint(QFont.StyleHint.TypeWriter)
        font.setFixedPitch(True)
        font.setPointSize(10)
        self.set_terminal_font(font)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_InputMethodEnabled, True)
        self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        self.viewport().setAutoFillBackground(False)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalScrollBar().valueChanged.connect(self._scrollbar_moved)
        self._update_scrollbar()

    # -- public ------------------------------------------------------------------------------------------------

    def set_terminal_font(self, font: QFont) -> None:
        self.cells = CellPainter(font)
        self._fit_screen_to_view()
        self.viewport().update()

    def set_secrets(self, secrets: Iterable[str]) -> None:
        """Known secrets are drawn masked and left out of copies (see SecretMask)."""
        self._mask = SecretMask(secrets)
        self.viewport().update()

    def feed(self, data: bytes) -> None:
        """Output from the server; shown within a few milliseconds, or in slices while a flood lasts."""
        self.feeder.feed(data)

    def set_source(self, pull: Callable[[int], bytes] | None) -> None:
        """Output is pulled from `pull(max_bytes)` (an OutputPipe's `take`), no faster than it is shown; call
        `output_ready()` when it has some."""
        self.feeder.set_source(pull)

    def output_ready(self) -> None:
        self.feeder.output_ready()

    @property
    def busy(self) -> bool:
        """Output waits to be shown."""
        return self.feeder.busy

    @property
    def bytes_shown(self) -> int:
        return self.feeder.bytes_fed

    @property
    def cell_width(self) -> float:
        return self.cells.cell_width

    @property
    def cell_height(self) -> float:
        return self.cells.cell_height

    @property
    def columns(self) -> int:
        return self.screen.columns

    @property
    def rows(self) -> int:
        return self.screen.lines

    def screen_lines(self) -> list[str]:
        """The screen's text, one string per row, as the emulator holds it (for tests and diagnostics)."""
        return list(self.screen.display)

    def visible_lines(self) -> list[str]:
        """The rows on view, scrollback included, as drawn (secrets masked)."""
        first = self._first_shown_index()
        screen = self.screen
        return [self._mask.masked(screen.line_text(screen.line_at(first + row))) for row in range(screen.lines)]

    def selected_text(self) -> str:
        if self._selection is None:
            return ""
        return self._mask.redacted(self.screen.text_between(*self._selection))

    def select(self, start: Cell, end: Cell) -> None:
        """Selects from `start` to `end` included, as (line number, column); line numbers as `line_number_at`."""
        self._selection = (min(start, end), max(start, end))
        self.viewport().update()

    def clear_selection(self) -> None:
        self._selection = None
        self.viewport().update()

    def line_number_at(self, row: int) -> int:
        """The line number (as selections count them) of a row on view."""
        return self.screen.first_line_number + self._first_shown_index() + row

    def copy(self) -> None:
        text = self.selected_text()
        if text:
            QGuiApplication.clipboard().setText(text)

    def paste(self, text: str | None = None) -> None:
        """Sends the clipboard's text as if typed, wrapped as a paste if the program asked (bracketed paste, so a
        shell does not run pasted lines at once)."""
        text = QGuiApplication.clipboard().text() if text is None else text
        if not text:
            return
        data = text.replace("\r\n", "\r").replace("\n", "\r").encode("utf-8")
        if BRACKETED_PASTE in self.screen.mode:
            # Pasted text could end the paste early and have the rest run as typed: the end marker is removed.
            data = PASTE_START + data.replace(PASTE_END, b"") + PASTE_END
        self._send(data)

    def scroll_lines(self, count: int) -> None:
        """Back (positive) or forward (negative) through the scrollback."""
        self.scroll_offset = max(0, min(len(self.screen.scrollback), self.scroll_offset + count))
        self._update_scrollbar()
        self.viewport().update()

    def scroll_to_bottom(self) -> None:
        if self.scroll_offset:
            self.scroll_offset = 0
            self._update_scrollbar()
            self.viewport().update()

    # -- output ------------------------------------------------------------------------------------------------

    def _output_fed(self) -> None:
        scrolled = self.screen.lines_scrolled_off
        if self.scroll_offset:  # the engineer reads the scrollback: the lines on view stay in place
            added = scrolled - self._scrolled_seen
            self.scroll_offset = min(len(self.screen.scrollback), self.scroll_offset + added)
        self._scrolled_seen = scrolled
        self._update_scrollbar()
        self._request_repaint()

    def _request_repaint(self) -> None:
        wait_ms = REPAINT_INTERVAL_MS - (time.monotonic() - self._last_repaint) * 1000
        if wait_ms <= 0:
            self._repaint_now()
        elif not self._repaint_timer.isActive():
            self._repaint_timer.start(int(wait_ms) + 1)

    def _repaint_now(self) -> None:
        self._last_repaint = time.monotonic()
        self.viewport().update()

    def _answer(self, text: str) -> None:
        self.input_bytes.emit(text.encode("utf-8"))

    def _send(self, data: bytes) -> None:
        self.scroll_to_bottom()
        self.input_bytes.emit(data)

    # -- geometry ----------------------------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        scrollbar = self.verticalScrollBar().sizeHint().width()
        frame = 2 * self.frameWidth()
        padding = 2 * PADDING
        return QSize(
            int(80 * self.cell_width) + scrollbar + frame + padding,
            int(24 * self.cell_height) + frame + padding,
        )

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_screen_to_view()

    def _fit_screen_to_view(self) -> None:
        size = self.viewport().size()
        columns = max(2, int((size.width() - 2 * PADDING) / self.cell_width))
        rows = max(1, int((size.height() - 2 * PADDING) / self.cell_height))
        if (columns, rows) == (self.screen.columns, self.screen.lines):
            return
        self.screen.resize(rows, columns)
        self._update_scrollbar()
        self._resize_timer.start()

    def _first_shown_index(self) -> int:
        return len(self.screen.scrollback) - self.scroll_offset

    def _update_scrollbar(self) -> None:
        bar = self.verticalScrollBar()
        self._setting_scrollbar = True
        try:
            history = len(self.screen.scrollback)
            bar.setRange(0, history)
            bar.setPageStep(self.screen.lines)
            bar.setValue(history - self.scroll_offset)
        finally:
            self._setting_scrollbar = False

    def _scrollbar_moved(self, value: int) -> None:
        if not self._setting_scrollbar:
            self.scroll_offset = len(self.screen.scrollback) - value
            self.viewport().update()

    # -- painting ----------------------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        self._last_repaint = time.monotonic()
        painter = QPainter(self.viewport())
        painter.fillRect(event.rect(), DEFAULT_BACKGROUND)
        painter.translate(PADDING, PADDING)
        first = self._first_shown_index()
        base = self.screen.first_line_number
        columns = self.screen.columns
        for row in range(self.screen.lines):
            line = self.screen.line_at(first + row)
            selected = self._selected_columns(base + first + row)
            self.cells.paint_line(painter, row, line, columns, selected, self._mask)
        if self.scroll_offset == 0 and self.screen.cursor_visible:
            self.cells.paint_cursor(painter, self.screen, focused=self.hasFocus())
        painter.end()

    def _selected_columns(self, number: int) -> tuple[int, int] | None:
        if self._selection is None:
            return None
        (start_line, start_column), (end_line, end_column) = self._selection
        if not start_line <= number <= end_line:
            return None
        first = start_column if number == start_line else 0
        last = end_column if number == end_line else self.screen.columns - 1
        return first, last

    # -- keyboard ----------------------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        # Ctrl and Alt combinations belong to the programs on the server (Ctrl+W, Ctrl+R, Alt+F…), not to the
        # window's shortcuts; Escape too (vi).
        if event.type() == QEvent.Type.ShortcutOverride and isinstance(event, QKeyEvent):
            modifiers = event.modifiers()
            if modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier) or (
                event.key() == Qt.Key.Key_Escape
            ):
                event.accept()
                return True
        return super().event(event)

    def focusNextPrevChild(self, next: bool) -> bool:
        return False  # Tab completes in the shell; it does not leave the terminal

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        control_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
        if modifiers == control_shift and key == Qt.Key.Key_C:
            self.copy()
            return
        if (modifiers == control_shift and key == Qt.Key.Key_V) or (
            modifiers == Qt.KeyboardModifier.ShiftModifier and key == Qt.Key.Key_Insert
        ):
            self.paste()
            return
        if modifiers == Qt.KeyboardModifier.ShiftModifier and key in (Qt.Key.Key_PageUp, Qt.Key.Key_PageDown):
            page = max(1, self.screen.lines - 1)
            self.scroll_lines(page if key == Qt.Key.Key_PageUp else -page)
            return
        data = key_bytes(event, application_cursor=APPLICATION_CURSOR_KEYS in self.screen.mode)
        if data:
            self._send(data)
        event.accept()

    def inputMethodEvent(self, event: QInputMethodEvent) -> None:
        if event.commitString():
            self._send(event.commitString().encode("utf-8"))
        event.accept()

    # -- mouse -------------------------------------------------------------------------------------------------

    def cell_centre(self, row: int, column: int) -> QPoint:
        """Where a cell on view is, in the viewport's coordinates (mouse events)."""
        return QPoint(int(PADDING + (column + 0.5) * self.cell_width), int(PADDING + (row + 0.5) * self.cell_height))

    def _cell_at(self, position: QPoint | QPointF) -> Cell:
        row = max(0, min(self.screen.lines - 1, int((position.y() - PADDING) / self.cell_height)))
        column = max(0, min(self.screen.columns - 1, int((position.x() - PADDING) / self.cell_width)))
        return self.line_number_at(row), column

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self._anchor = self._cell_at(event.position())
            self._selecting = True
            self._selection = None
            self.viewport().update()
        elif event.button() == Qt.MouseButton.MiddleButton:
            self.paste()
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._selecting:
            position = event.position()
            # Dragging past the top or bottom scrolls, so a selection can reach into the scrollback.
            if position.y() < 0:
                self.scroll_lines(1)
            elif position.y() > self.viewport().height():
                self.scroll_lines(-1)
            self.select(self._anchor, self._cell_at(position))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self._selecting:
            self._selecting = False
            if self._selection is not None and self._selection[0] == self._selection[1]:
                self.clear_selection()  # a click, not a selection
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        number, column = self._cell_at(event.position())
        word = self.screen.word_around(number, column)
        if word is not None:
            self.select((number, word[0]), (number, word[1]))

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if steps:
            self.scroll_lines(round(steps * WHEEL_LINES) or (1 if steps > 0 else -1))
        event.accept()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        menu = QMenu(self)
        copy = menu.addAction(_("Copy"), self.copy)
        copy.setShortcut(QKeySequence("Ctrl+Shift+C"))
        copy.setEnabled(self._selection is not None)
        paste = menu.addAction(_("Paste"), self.paste)
        paste.setShortcut(QKeySequence("Ctrl+Shift+V"))
        paste.setEnabled(bool(QGuiApplication.clipboard().text()))
        menu.exec(event.globalPos())

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.viewport().update()  # the cursor turns solid

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.viewport().update()

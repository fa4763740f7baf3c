"""The terminal's state: pyte's VT emulator with a scrollback that the widget reads a line at a time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pyte
from pyte.screens import Margins

# Modes a program turns on with ESC [ ? n h; pyte keeps private modes shifted left by 5 (see pyte.Screen.set_mode).
APPLICATION_CURSOR_KEYS = 1 << 5  # DECCKM
BRACKETED_PASTE = 2004 << 5
# The alternate screen (ESC [ ? 1049 h, and the older 1047 and 47) that full-screen programs draw on: vim, less and top
# leave the shell's screen as it was when they quit, and their repaints stay out of the scrollback.
ALTERNATE_SCREEN_MODES = frozenset({47, 1047, 1049})
SAVES_CURSOR = 1049
SHARED_CELLS_LIMIT = 20_000


class TerminalScreen(pyte.HistoryScreen):
    """A HistoryScreen whose scrollback (`history.top`) is read directly, so the view can move by single lines.

    HistoryScreen wraps every screen operation in hooks, through `__getattribute__`, that only serve its page-by-page
    scrolling (`prev_page`/`next_page`): with them, `seq 1 200000` took 19 s to feed here, without them 4 s. This
    screen never pages (the widget reads the scrollback instead), so the hooks are bypassed.
    """

    __getattribute__ = object.__getattribute__

    def __init__(self, columns: int, lines: int, *, history: int, answer: Callable[[str], None]) -> None:
        self.lines_scrolled_off = 0  # ever: lets the widget keep the lines it shows (and a selection) in place
        self._answer = answer
        self._shared: dict[Any, Any] = {}
        self._main_buffer: Any = None  # the shell's screen, kept while a program draws on the alternate one
        super().__init__(columns, lines, history=history)

    @property
    def on_alternate_screen(self) -> bool:
        return self._main_buffer is not None

    # -- the alternate screen (pyte has none) --

    def reset(self) -> None:
        self._main_buffer = None
        super().reset()

    def set_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private"):
            alternate = ALTERNATE_SCREEN_MODES.intersection(modes)
            if alternate and self._main_buffer is None:
                if SAVES_CURSOR in alternate:
                    self.save_cursor()
                self._main_buffer = self.buffer
                self.buffer = type(self.buffer)(self.buffer.default_factory)
                self.dirty.update(range(self.lines))
            modes = tuple(mode for mode in modes if mode not in ALTERNATE_SCREEN_MODES)
        super().set_mode(*modes, **kwargs)

    def reset_mode(self, *modes: int, **kwargs: Any) -> None:
        if kwargs.get("private"):
            alternate = ALTERNATE_SCREEN_MODES.intersection(modes)
            if alternate and self._main_buffer is not None:
                self.buffer, self._main_buffer = self._main_buffer, None
                for row in [row for row in self.buffer if row >= self.lines]:  # resized meanwhile
                    del self.buffer[row]
                if SAVES_CURSOR in alternate:
                    self.restore_cursor()
                self.dirty.update(range(self.lines))
            modes = tuple(mode for mode in modes if mode not in ALTERNATE_SCREEN_MODES)
        super().reset_mode(*modes, **kwargs)

    @property
    def scrollback(self) -> Any:  # a deque of lines, oldest first
        return self.history.top

    @property
    def cursor_visible(self) -> bool:
        return pyte.modes.DECTCEM in self.mode

    # -- lines, scrollback first: index 0 is the oldest line kept; a line *number* counts every line since the start,
    # so that it stays the same while lines are added and the oldest are dropped (selections are kept by number).

    @property
    def line_count(self) -> int:
        return len(self.history.top) + self.lines

    @property
    def first_line_number(self) -> int:
        return self.lines_scrolled_off - len(self.history.top)

    def line_at(self, index: int) -> Any:
        scrollback = self.history.top
        if index < len(scrollback):
            return scrollback[index]
        return self.buffer[index - len(scrollback)]

    def line_text(self, line: Any, first: int = 0, last: int | None = None) -> str:
        last = self.columns - 1 if last is None else last
        return "".join(line[x].data for x in range(first, last + 1)).rstrip()

    def text_between(self, start: tuple[int, int], end: tuple[int, int]) -> str:
        """The text from (line number, column) `start` to `end` included, one line a row, trailing blanks left out."""
        (start_line, start_column), (end_line, end_column) = start, end
        pieces = []
        for number in range(start_line, end_line + 1):
            index = number - self.first_line_number
            if 0 <= index < self.line_count:
                first = start_column if number == start_line else 0
                last = end_column if number == end_line else self.columns - 1
                pieces.append(self.line_text(self.line_at(index), first, last))
        return "\n".join(pieces)

    def word_around(self, number: int, column: int) -> tuple[int, int] | None:
        """The columns of the word (anything but blanks) at a cell, or None on a blank."""
        index = number - self.first_line_number
        if not 0 <= index < self.line_count:
            return None
        line = self.line_at(index)
        text = [line[x].data or " " for x in range(self.columns)]
        if not text[column].strip():
            return None
        start = end = column
        while start > 0 and text[start - 1].strip():
            start -= 1
        while end + 1 < len(text) and text[end + 1].strip():
            end += 1
        return start, end

    def index(self) -> None:
        """A line feed at the bottom: only lines scrolled off the top of the whole (main) screen go to the
        scrollback, not those leaving a scroll region (a full-screen program's status line), as in xterm."""
        top, bottom = self.margins or Margins(0, self.lines - 1)
        if self.cursor.y == bottom and top == 0 and self._main_buffer is None:  # the alternate screen has none
            self.history.top.append(self._shared_cells(self.buffer[top]))
            self.lines_scrolled_off += 1
        pyte.Screen.index(self)

    def _shared_cells(self, line: Any) -> Any:
        """The line with its cells replaced by equal ones already in the scrollback. pyte makes an object per cell,
        and each is one more for every full garbage collection to visit: a scrollback of 5000 wide lines held
        hundreds of thousands, enough to pause the interface. Shared, they are a few thousand at most."""
        shared = self._shared
        if len(shared) > SHARED_CELLS_LIMIT:
            shared.clear()  # lines already in the scrollback keep theirs; sharing starts again from here
        for column, cell in line.items():
            line[column] = shared.setdefault(cell, cell)
        return line

    def reverse_index(self) -> None:
        pyte.Screen.reverse_index(self)  # the bottom history only serves paging, which is not used

    def resize(self, lines: int | None = None, columns: int | None = None) -> None:
        """pyte drops the top lines when the screen gets shorter, which would hide the prompt's line under the
        cursor's new place; here the lines above the cursor go to the scrollback, as new output would push them."""
        lines = lines or self.lines
        columns = columns or self.columns
        if lines < self.lines:
            excess = max(0, self.cursor.y + 1 - lines)
            if excess:
                self.set_margins()  # a scroll region made for the old size means nothing at the new one
                row = self.cursor.y
                self.cursor.y = self.lines - 1
                for _ in range(excess):
                    self.index()
                self.cursor.y = row - excess
            for row in range(lines, self.lines):
                self.buffer.pop(row, None)
            self.lines = lines
            self.set_margins()
            self.dirty.update(range(lines))
        super().resize(lines, columns)

    def write_process_input(self, data: str) -> None:
        """pyte's answers to a program's questions (cursor position, terminal identity) go back to the server."""
        self._answer(data)

"""The written record of an interactive terminal: what the server sent, as plain text, redacted and bounded.

Only the server's output is recorded, never the keys typed: what the engineer typed appears when (and as) the
server echoes it, so a password typed at a prompt that does not echo is never stored.

The output is reduced to text by a one-line screen: printable characters are written at a column that carriage
returns, backspaces, tabs and a few cursor sequences move, so a progress bar keeps its last state and a line
edited with Backspace keeps what was left; every other control or escape sequence (colours, titles, full-screen
cursor addressing) is dropped. A line is kept once it ends. A full-screen program therefore leaves little in the
transcript, which is what a reader of the timeline wants: the commands and their answers, not the repaints.
"""

from __future__ import annotations

import codecs
import re
import threading
from collections import deque
from collections.abc import Iterable

from supportstation.i18n import _
from supportstation.vault.redaction import StreamRedactor, redact

# The timeline shows this much of a session at most: its start, then its end, which usually holds the fix and the
# check that it worked, so the end gets the larger share.
TRANSCRIPT_LIMIT = 256 * 1024
HEAD_SHARE = 0.25
# An escape sequence cut by the end of a read waits for the next one; one that never ends is dropped past this.
ESCAPE_CARRY_LIMIT = 4096
TAB_WIDTH = 8
_REDACTED_STREAM = "terminal"

# One token per match: a complete escape sequence, a control character, or a run of printable text.
_TOKEN = re.compile(
    r"(?P<csi>\x1b\[(?P<params>[0-?]*)[ -/]*(?P<final>[@-~]))"
    r"|(?P<string>\x1b[\]P_^X][^\x07\x1b]*(?:\x07|\x1b\\))"  # OSC (titles), DCS, APC, PM, SOS
    r"|(?P<charset>\x1b[()*+\-./][ -~])"
    r"|(?P<escape>\x1b[ -/]*[0-~])"
    r"|(?P<control>[\x00-\x1f\x7f])"
    r"|(?P<text>[^\x00-\x1f\x7f]+)"
)
# Anything but printable text and CR LF line ends.
_NEEDS_TOKENS = re.compile(r"[\x00-\x09\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n")
# What an incomplete escape sequence at the end of a read can look like.
_INCOMPLETE_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|[\]P_^X][^\x07\x1b]*\x1b?|[()*+\-./]|[ -/]*)\Z")


class _LineScreen:
    """A one-line screen: the line being written and the column where the next character goes."""

    def __init__(self) -> None:
        self.cells: list[str] = []
        self.column = 0

    def write(self, text: str) -> None:
        cells, column = self.cells, self.column
        if column > len(cells):
            cells.extend(" " * (column - len(cells)))
        cells[column : column + len(text)] = text
        self.column = column + len(text)

    def control(self, character: str) -> None:
        if character == "\r":
            self.column = 0
        elif character == "\b":
            self.column = max(0, self.column - 1)
        elif character == "\t":
            self.column = (self.column // TAB_WIDTH + 1) * TAB_WIDTH
        # Bell, shift-in/out and the rest change nothing a reader sees.

    def csi(self, params: str, final: str) -> None:
        numbers = [int(part) if part.isdigit() else 0 for part in params.split(";")] if params else []
        count = max(1, numbers[0]) if numbers else 1
        if final == "K":  # erase in line
            how = numbers[0] if numbers else 0
            if how == 0:
                del self.cells[self.column :]
            elif how == 1:
                self.cells[: self.column] = " " * min(self.column, len(self.cells))
            else:
                self.cells.clear()
        elif final == "C":
            self.column += count
        elif final == "D":
            self.column = max(0, self.column - count)
        elif final == "G":
            self.column = count - 1
        elif final == "P":  # delete characters: what follows moves left
            del self.cells[self.column : self.column + count]
        elif final == "@":  # insert blanks: what follows moves right
            self.cells[self.column : self.column] = " " * count
        elif final == "J" and numbers and numbers[0] in (2, 3):  # clear the screen: the line goes with it
            self.cells.clear()
            self.column = 0

    def take_line(self) -> str:
        line = "".join(self.cells).rstrip()
        self.cells = []
        self.column = 0
        return line

    def current(self) -> str:
        return "".join(self.cells).rstrip()


class _BoundedLines:
    """The first lines up to `head_limit` characters, then the last ones up to `tail_limit`; the middle is counted."""

    def __init__(self, head_limit: int, tail_limit: int) -> None:
        self.head: list[str] = []
        self.head_size = 0
        self.head_limit = head_limit
        self.tail: deque[str] = deque()
        self.tail_size = 0
        self.tail_limit = tail_limit
        self.left_out = 0

    def add(self, line: str) -> None:
        size = len(line) + 1
        if not self.tail and self.head_size + size <= self.head_limit:
            self.head.append(line)
            self.head_size += size
            return
        self.tail.append(line)
        self.tail_size += size
        while self.tail_size > self.tail_limit and len(self.tail) > 1:
            self.tail_size -= len(self.tail.popleft()) + 1
            self.left_out += 1

    def lines(self) -> list[str]:
        if not self.left_out:
            return [*self.head, *self.tail]
        marker = _("[… {count} lines left out of the transcript …]").format(count=self.left_out)
        return [*self.head, marker, *self.tail]


class Transcript:
    """Fed from the shell's reader thread with the raw bytes the server sent; `text()` at any time after."""

    def __init__(self, secrets: Iterable[str], limit: int = TRANSCRIPT_LIMIT) -> None:
        self._secrets = list(secrets)
        self._redactor = StreamRedactor(self._secrets)
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._carry = ""
        self._screen = _LineScreen()
        head = int(limit * HEAD_SHARE)
        self._lines = _BoundedLines(head, limit - head)
        self._lock = threading.Lock()
        self.bytes_received = 0

    def feed(self, data: bytes) -> None:
        with self._lock:
            self.bytes_received += len(data)
            # Redacted before anything else, on the bytes as they came: a secret cut between two reads is held
            # back until the next one says whether it is whole.
            self._interpret(self._decoder.decode(self._redactor.feed(_REDACTED_STREAM, data)))

    def finish(self) -> None:
        """The output has ended: what was held back is written out (redacted)."""
        with self._lock:
            self._interpret(self._decoder.decode(self._redactor.flush(_REDACTED_STREAM), final=True))
            self._carry = ""

    def text(self) -> str:
        with self._lock:
            lines = self._lines.lines()
            current = self._screen.current()
            if current:
                lines.append(current)
        # Again on the text: a secret can also be cut by an escape sequence (a colour change) or a backspace, which
        # only disappear here.
        return redact("\n".join(lines), self._secrets)

    def _interpret(self, text: str) -> None:
        if self._carry:
            text = self._carry + text
            self._carry = ""
        incomplete = _INCOMPLETE_ESCAPE.search(text, max(0, len(text) - ESCAPE_CARRY_LIMIT))
        if incomplete is not None:
            self._carry = text[incomplete.start() :]
            text = text[: incomplete.start()]
        screen = self._screen
        if _NEEDS_TOKENS.search(text) is None:
            # Plain lines ending in CR LF, as `cat` or a flood of output gives: split at C speed, not token by token.
            lines = text.split("\r\n")
            screen.write(lines[0])
            if len(lines) > 1:
                add = self._lines.add
                add(screen.take_line())
                for line in lines[1:-1]:
                    add(line.rstrip())
                screen.write(lines[-1])
            return
        for match in _TOKEN.finditer(text):
            kind = match.lastgroup
            if kind == "text":
                screen.write(match.group())
            elif kind == "control":
                character = match.group()
                if character == "\n":
                    self._lines.add(screen.take_line())
                else:
                    screen.control(character)
            elif kind == "csi":
                screen.csi(match.group("params"), match.group("final"))
            # Strings, charset choices and other escapes carry nothing to keep.

"""The text behind the output view: a head and a rolling tail of a command's output, written in bounded steps.

An engineer needs both ends of a long output: the head says what the command started doing, the tail how it ended.
`QPlainTextEdit.setMaximumBlockCount` would keep only the tail, so this keeps the first `head_bytes` (or
`head_lines`) as they came, then a marker line for what is left out, then the last `tail_chars` / `tail_lines`.

Output can arrive at 150 MB/s, far faster than Qt can lay text out, so nothing is written when it arrives: `add`
only counts and queues bytes, keeping at most what the head still needs and `tail_bytes` for the tail (the run's
recording holds the whole output). `apply`, called by the view's timer, decodes and writes for about `apply_ms` and
returns; what could not be shown in time is dropped from the middle, never from the ends.
"""

from __future__ import annotations

import math
import re
import time
from collections import deque
from dataclasses import dataclass

from PySide6.QtGui import QTextCursor, QTextDocument

from supportstation.i18n import _
from supportstation.remote.ansi import AnsiDecoder, Segment
from supportstation.remote.results import Chunk, Stream

from ..units import format_size
from .output_formats import OutputFormats


@dataclass(frozen=True)
class OutputLimits:
    head_bytes: int = 1024 * 1024
    head_lines: int = 20_000
    tail_bytes: int = 512 * 1024  # raw output kept for the tail, and to show again with other formats
    tail_chars: int = 512 * 1024
    tail_lines: int = 5_000
    # Longer lines are broken: Qt lays a line out whole, and one 200,000-character line freezes it for a second.
    line_chars: int = 4096
    slice_bytes: int = 4 * 1024  # decoded and written at a time, so that one step stays short
    apply_ms: float = 8.0  # work per `apply`; the view calls it every 40 ms, so the GUI keeps most of its time
    # While output comes faster than it can be shown (and the middle is dropped), the tail is rewritten at most this
    # often: nobody reads text that scrolls at 100 MB/s, and the CPU is better left to the thread that receives it.
    firehose_ms: float = 250.0


class OutputDocument:
    def __init__(self, document: QTextDocument, formats: OutputFormats, limits: OutputLimits | None = None) -> None:
        self.document = document
        self.formats = formats
        self.limits = limits or OutputLimits()
        self.reset()

    # -- input: cheap, called for every chunk ---------------------------------------------------------------------

    def reset(self) -> None:
        """Forgets everything: a new run."""
        self.received_bytes = 0
        self._newlines = 0
        self._partial_line = False  # the output so far does not end with a newline
        self.stderr_bytes = 0
        self.summary: str | None = None
        self._routed_to_head = 0
        self._head_raw: list[Chunk] = []  # every byte routed to the head, to show again
        self._tail_raw: deque[Chunk] = deque()  # the last `tail_bytes` routed to the tail, to show again
        self._tail_raw_bytes = 0
        self._tail_raw_dropped = 0
        self._start_display(head=deque(), tail=deque(), skipped=0)
        self.document.clear()

    def add(self, chunk: Chunk) -> None:
        data = chunk.data
        if not data:
            return
        self.received_bytes += len(data)
        self._newlines += data.count(b"\n")
        self._partial_line = not data.endswith(b"\n")
        if chunk.stream is Stream.STDERR:
            self.stderr_bytes += len(data)
        room = self.limits.head_bytes - self._routed_to_head
        if room > 0:
            piece = chunk if len(data) <= room else Chunk(chunk.stream, data[:room], chunk.offset)
            self._head_pending.append(piece)
            self._head_raw.append(piece)
            self._routed_to_head += len(piece.data)
            if len(data) <= room:
                return
            chunk = Chunk(chunk.stream, data[room:], chunk.offset)
        self._tail_pending.append(chunk)
        self._tail_raw.append(chunk)
        self._tail_pending_bytes += len(chunk.data)
        self._tail_raw_bytes += len(chunk.data)
        dropped, self._tail_pending_bytes = _drop_oldest(self._tail_pending, self._tail_pending_bytes, self.limits)
        if dropped:
            # What the tail shows is no longer followed by what waits: the next step starts the tail afresh.
            self._skipped += dropped
            self._gap = True
        dropped, self._tail_raw_bytes = _drop_oldest(self._tail_raw, self._tail_raw_bytes, self.limits)
        self._tail_raw_dropped += dropped

    def set_summary(self, summary: str) -> None:
        """The end line, shown after everything added before it."""
        self.summary = summary
        self._summary_shown = False

    def replay(self) -> None:
        """Writes again what is kept (the head and the last `tail_bytes`), after the formats changed."""
        self.document.clear()
        self._start_display(head=deque(self._head_raw), tail=deque(self._tail_raw), skipped=self._tail_raw_dropped)

    @property
    def received_lines(self) -> int:
        return self._newlines + (1 if self._partial_line else 0)

    @property
    def pending(self) -> bool:
        return bool(self._head_pending or self._tail_pending) or (self.summary is not None and not self._summary_shown)

    @property
    def omitted_bytes(self) -> int:
        """Output received but not shown: dropped before it could be written, or written and then rolled out of the
        tail (estimated from the bytes-to-characters ratio so far: escapes and multi-byte characters make it > 1)."""
        ratio = self._decoded_bytes / self._written_chars if self._written_chars else 1.0
        return self._skipped + round(self._rolled_out_chars * ratio)

    # -- output: bounded steps, called by the view's timer ----------------------------------------------------------

    def apply(self, *, everything: bool = False) -> bool:
        """Decodes and writes for about `apply_ms`, or until nothing waits; True while more waits."""
        if everything:
            deadline = math.inf
        elif self._tail_resting():
            return True
        else:
            deadline = time.perf_counter() + self.limits.apply_ms / 1000
        cursor = QTextCursor(self.document)
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.beginEditBlock()
        try:
            while time.perf_counter() < deadline:
                if self._head_pending:
                    self._write_slice(cursor, self._head_pending)
                    continue
                if self._routed_to_head >= self.limits.head_bytes and self._head_end_block is None:
                    self._end_head()
                if self._gap:
                    self._restart_tail(cursor)
                if not self._tail_pending:
                    break
                self._write_slice(cursor, self._tail_pending)
            if not (self._head_pending or self._tail_pending) and self.summary is not None and not self._summary_shown:
                self._write_summary(cursor)
            self._roll_tail()
            self._show_marker()
        finally:
            cursor.endEditBlock()
        return self.pending

    def _tail_resting(self) -> bool:
        """Output is being dropped, and the tail was started afresh less than `firehose_ms` ago."""
        return (
            self._gap
            and not self._head_pending
            and self._head_end_block is not None
            and time.perf_counter() - self._tail_restarted < self.limits.firehose_ms / 1000
        )

    def _start_display(self, *, head: deque[Chunk], tail: deque[Chunk], skipped: int) -> None:
        self._head_pending = head
        self._tail_pending = tail
        self._tail_pending_bytes = sum(len(chunk.data) for chunk in tail)
        self._decoders = {Stream.STDOUT: AnsiDecoder(), Stream.STDERR: AnsiDecoder()}
        self._skipped = skipped
        self._gap = skipped > 0
        self._rolled_out_chars = 0
        self._decoded_bytes = 0
        self._written_chars = 0
        self._head_lines = 0
        self._head_end_block: int | None = None  # the tail's first block, once the head is complete
        self._tail_restarted = 0.0  # when the tail last started afresh after dropped output
        self._marker_text: str | None = None  # shown in block `_head_end_block`, pushing the tail one block down
        self._column = 0  # characters in the last line so far, to break long lines
        self._summary_shown = False

    def _write_slice(self, cursor: QTextCursor, queue: deque[Chunk]) -> None:
        chunk = queue.popleft()
        size = self.limits.slice_bytes
        if len(chunk.data) > size:
            # Cut once into slices: cutting one slice off at a time would copy the rest of a 1 MiB chunk each time.
            data = chunk.data
            rest = [
                Chunk(chunk.stream, data[start : start + size], chunk.offset) for start in range(size, len(data), size)
            ]
            queue.extendleft(reversed(rest))
            chunk = Chunk(chunk.stream, data[:size], chunk.offset)
        if queue is self._tail_pending:
            self._tail_pending_bytes -= len(chunk.data)
        self._decoded_bytes += len(chunk.data)
        self._write(cursor, chunk.stream, self._decoders[chunk.stream].feed(chunk.data))

    def _write(self, cursor: QTextCursor, stream: Stream, segments: list[Segment]) -> None:
        for segment in segments:
            if segment.overwrite:
                # A progress bar redrawn with \r: its line (always in the tail once the head is complete) goes.
                cursor.movePosition(QTextCursor.MoveOperation.StartOfBlock, QTextCursor.MoveMode.KeepAnchor)
                cursor.removeSelectedText()
                self._column = 0
            text, self._column = break_long_lines(segment.text, self._column, self.limits.line_chars)
            text_format = self.formats.format(stream, segment.style)
            if self._head_end_block is None:
                room = self.limits.head_lines - self._head_lines
                lines = text.count("\n")
                if lines >= room:
                    cut = _after_nth_newline(text, room)
                    cursor.insertText(text[:cut], text_format)
                    self._written_chars += cut
                    self._end_head()
                    text = text[cut:]
                else:
                    self._head_lines += lines
            if text:
                cursor.insertText(text, text_format)
                self._written_chars += len(text)

    def _end_head(self) -> None:
        # The last line may still grow or be redrawn: it belongs to the tail.
        self._head_end_block = self.document.blockCount() - 1
        if self._head_pending:
            # The head filled its lines before its bytes: what was routed to it is tail material, and like the rest
            # of the tail only its last `tail_bytes` are worth writing.
            moved = sum(len(chunk.data) for chunk in self._head_pending)
            self._tail_pending.extendleft(reversed(self._head_pending))
            self._head_pending = deque()
            dropped, self._tail_pending_bytes = _drop_oldest(
                self._tail_pending, self._tail_pending_bytes + moved, self.limits
            )
            if dropped:
                self._skipped += dropped
                self._gap = True

    def _tail_first_block(self) -> int:
        assert self._head_end_block is not None
        return self._head_end_block + (1 if self._marker_text is not None else 0)

    def _restart_tail(self, cursor: QTextCursor) -> None:
        """Output was dropped after what the tail shows: the tail starts again from what comes next."""
        self._gap = False
        if self._head_end_block is None:
            return
        self._tail_restarted = time.perf_counter()
        start = self.document.findBlockByNumber(self._tail_first_block()).position()
        cursor.setPosition(start)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        self._rolled_out_chars += cursor.selectionEnd() - cursor.selectionStart()
        cursor.removeSelectedText()
        self._column = 0
        # A style or a character cut by the gap would run on into unrelated output.
        self._decoders = {Stream.STDOUT: AnsiDecoder(), Stream.STDERR: AnsiDecoder()}

    def _write_summary(self, cursor: QTextCursor) -> None:
        for stream, decoder in self._decoders.items():
            self._write(cursor, stream, decoder.finish())
        if cursor.positionInBlock() > 0:
            cursor.insertText("\n")
        cursor.insertText(self.summary or "", self.formats.summary())
        self._summary_shown = True

    def _roll_tail(self) -> None:
        """Keeps the tail within `tail_lines` and `tail_chars`, dropping whole lines from its start."""
        if self._head_end_block is None:
            return
        document = self.document
        first = self._tail_first_block()
        blocks = document.blockCount()
        start = document.findBlockByNumber(first).position()
        excess_chars = (document.characterCount() - 1 - start) - self.limits.tail_chars
        cut_block = first + max(0, (blocks - first) - self.limits.tail_lines)
        if excess_chars > 0:
            cut_block = max(cut_block, document.findBlock(start + excess_chars).blockNumber() + 1)
        cut_block = min(cut_block, blocks - 1)  # the last line stays: output is still arriving on it
        if cut_block <= first:
            return
        cursor = QTextCursor(document)
        cursor.setPosition(start)
        cursor.setPosition(document.findBlockByNumber(cut_block).position(), QTextCursor.MoveMode.KeepAnchor)
        self._rolled_out_chars += cursor.selectionEnd() - cursor.selectionStart()
        cursor.removeSelectedText()

    def _show_marker(self) -> None:
        omitted = self.omitted_bytes
        if self._head_end_block is None or not omitted:
            return
        text = _("… {size} not shown here: the whole output is stored with the run").format(size=format_size(omitted))
        if text == self._marker_text:
            return
        cursor = QTextCursor(self.document.findBlockByNumber(self._head_end_block))
        if self._marker_text is None:
            cursor.insertBlock()
            cursor.movePosition(QTextCursor.MoveOperation.PreviousBlock)
        else:
            cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(text, self.formats.marker())
        self._marker_text = text


def _drop_oldest(queue: deque[Chunk], size: int, limits: OutputLimits) -> tuple[int, int]:
    """Drops the oldest bytes beyond `tail_bytes`, cutting into a chunk if need be: (bytes dropped, new size)."""
    dropped = 0
    while size > limits.tail_bytes:
        chunk = queue[0]
        excess = size - limits.tail_bytes
        if len(chunk.data) <= excess:
            queue.popleft()
            dropped += len(chunk.data)
            size -= len(chunk.data)
        else:
            queue[0] = Chunk(chunk.stream, chunk.data[excess:], chunk.offset)
            dropped += excess
            size -= excess
    return dropped, size


def _after_nth_newline(text: str, count: int) -> int:
    position = 0
    for _line in range(count):
        position = text.index("\n", position) + 1
    return position


def break_long_lines(text: str, column: int, limit: int) -> tuple[str, int]:
    """`text` with a newline inserted wherever a line would pass `limit` characters, starting at `column`; and the
    column after it."""
    first_newline = text.find("\n")
    first_length = len(text) if first_newline < 0 else first_newline
    if column + first_length <= limit and (first_newline < 0 or not _long_line(limit).search(text, first_newline)):
        if first_newline < 0:
            return text, column + len(text)
        return text, len(text) - text.rfind("\n") - 1
    pieces: list[str] = []
    for index, line in enumerate(text.split("\n")):
        if index:
            pieces.append("\n")
            column = 0
        while column + len(line) > limit:
            take = limit - column
            pieces += (line[:take], "\n")
            line = line[take:]
            column = 0
        pieces.append(line)
        column += len(line)
    return "".join(pieces), column


_long_line_patterns: dict[int, re.Pattern[str]] = {}


def _long_line(limit: int) -> re.Pattern[str]:
    pattern = _long_line_patterns.get(limit)
    if pattern is None:
        pattern = _long_line_patterns[limit] = re.compile(f"[^\\n]{{{limit + 1},}}")
    return pattern

"""The live output view: colours, streams, pieces cut anywhere, head and tail of huge outputs, find, copy, follow."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication, QTextCharFormat, QTextCursor, QTextFormat
from PySide6.QtWidgets import QPlainTextEdit

from supportstation.gui.remote.output_document import OutputLimits, format_size
from supportstation.gui.remote.output_view import OutputView
from supportstation.remote.results import Chunk, Stream

MiB = 1024 * 1024


@pytest.fixture
def view(qtbot) -> OutputView:  # type: ignore[no-untyped-def]
    widget = OutputView()
    widget.resize(800, 400)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def out(data: bytes, stream: Stream = Stream.STDOUT) -> Chunk:
    return Chunk(stream, data, 0.0)


def show(qtbot, view: OutputView, *chunks: Chunk) -> str:  # type: ignore[no-untyped-def]
    view.append(chunks)
    qtbot.waitUntil(lambda: view.idle, timeout=10_000)
    return view.plain_text()


def format_of(view: OutputView, text: str) -> QTextCharFormat:
    """The character format of the first character of `text` where it is shown."""
    cursor = QTextCursor(view.text.document())
    cursor.setPosition(view.plain_text().index(text) + 1)  # charFormat() is the format of the character before
    return cursor.charFormat()


def coloured(text_format: QTextCharFormat) -> bool:
    return text_format.hasProperty(QTextFormat.Property.ForegroundBrush)


async def until(condition: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_ansi_colours_are_rendered(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    text = show(qtbot, view, out(b"\x1b[1;31mred\x1b[0m plain \x1b[38;5;208morange\x1b[0m\n"))
    assert text == "red plain orange\n"
    red = format_of(view, "red")
    assert red.foreground().color() == view.formats.colour(1)
    assert red.fontWeight() == QFont.Weight.Bold
    assert format_of(view, "orange").foreground().color().name() == "#ff8700"
    plain = format_of(view, "plain")
    assert not coloured(plain) and plain.fontWeight() != QFont.Weight.Bold


def test_colours_can_be_stripped_and_shown_again(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    show(qtbot, view, out(b"\x1b[1;31mred\x1b[0m plain\n"))
    view.render_ansi = False
    qtbot.waitUntil(lambda: view.idle)
    assert view.plain_text() == "red plain\n"
    assert not view.colours_button.isChecked()
    assert not coloured(format_of(view, "red")) and format_of(view, "red").fontWeight() != QFont.Weight.Bold
    view.colours_button.click()
    qtbot.waitUntil(lambda: view.idle)
    assert view.render_ansi and format_of(view, "red").foreground().color() == view.formats.colour(1)


def test_utf8_characters_and_escapes_cut_between_chunks(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    text = show(qtbot, view, out(b"caf\xc3"), out(b"\xa9 \x1b[3"), out(b"2mgreen\x1b"), out(b"[0m done\n"))
    assert text == "café green done\n"
    assert format_of(view, "green").foreground().color() == view.formats.colour(2)
    assert not coloured(format_of(view, "done"))


def test_stderr_is_shown_in_its_own_colour(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    text = show(
        qtbot,
        view,
        out(b"compiling main.c\n"),
        out(b"main.c:3: error: expected ';'\n\x1b[35mnote\x1b[0m: here\n", Stream.STDERR),
    )
    assert text == "compiling main.c\nmain.c:3: error: expected ';'\nnote: here\n"
    assert not coloured(format_of(view, "compiling"))
    assert format_of(view, "main.c:3").foreground().color() == view.formats.stderr_colour
    assert format_of(view, "note").foreground().color() == view.formats.colour(5)  # the command's colour wins
    assert format_of(view, ": here").foreground().color() == view.formats.stderr_colour
    assert "on stderr" in view.status.text()


@pytest.mark.asyncio
async def test_a_100_mb_stream_keeps_the_gui_responsive_and_shows_head_marker_and_tail(qtbot, stall_probe) -> None:  # type: ignore[no-untyped-def]
    view = OutputView()
    view.resize(800, 400)
    qtbot.addWidget(view)
    view.show()
    first = b"".join(b"first chunk line %07d\n" % n for n in range(60_000))[:MiB]
    middle = b"".join(b"middle \x1b[32mline\x1b[0m %07d\n" % n for n in range(40_000))[:MiB]
    last = b"".join(b"last chunk line %07d\n" % n for n in range(60_000))[:MiB]
    chunks = [first, *[middle] * 98, last]
    total = sum(len(chunk) for chunk in chunks)
    stall_probe.reset()
    started = time.monotonic()
    for index, data in enumerate(chunks):  # as the runner delivers output: a batch, then the event loop runs
        view.append((Chunk(Stream.STDOUT, data, index * 0.007),))
        await asyncio.sleep(0)
    view.finish("exit 0 · 0.7 s")
    await until(lambda: view.idle)
    elapsed = time.monotonic() - started
    print(f"\n100 MB stream: longest event-loop stall {stall_probe.longest_gap_ms:.1f} ms, shown in {elapsed:.2f} s")
    # Under 50 ms on an idle machine (the figure printed above); a loaded CI machine can pass that. What must never
    # happen is a felt freeze: appending on the GUI thread in one go would show here as seconds.
    assert stall_probe.longest_gap_ms < 200
    lines = view.plain_text().split("\n")
    assert lines[0] == "first chunk line 0000000"
    assert lines[-1] == "exit 0 · 0.7 s"
    # The last chunk ends in the middle of a line: its last whole line, then that start of a line.
    last_lines = last.decode().split("\n")
    assert lines[-3:-1] == last_lines[-2:]
    markers = [line for line in lines if "not shown here" in line]
    assert len(markers) == 1
    omitted = view.output.omitted_bytes
    assert total - 2 * MiB < omitted < total - MiB // 4
    assert format_size(omitted) in markers[0]
    marker_index = lines.index(markers[0])
    assert all(line.startswith("first chunk line") for line in lines[:marker_index])
    assert all(line.startswith("last chunk line") for line in lines[marker_index + 1 : -2])
    assert view.output.received_bytes == total
    assert view.status.text().startswith(format_size(total))


def test_head_marker_and_rolling_tail_by_lines(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = OutputView(limits=OutputLimits(head_lines=10, tail_lines=5))
    qtbot.addWidget(view)
    for number in range(100):  # one line per step: the tail rolls as it goes
        show(qtbot, view, out(b"line %02d\n" % number))
    view.finish("exit 0")
    qtbot.waitUntil(lambda: view.idle)
    lines = view.plain_text().split("\n")
    assert lines[:10] == [f"line {number:02d}" for number in range(10)]
    # 100 lines of 8 bytes: 10 in the head, and the tail's five lines are the last four and the end line.
    assert lines[10] == "… 688 B not shown here: the whole output is stored with the run"
    assert lines[11:] == ["line 96", "line 97", "line 98", "line 99", "exit 0"]
    assert view.output.omitted_bytes == 688


def test_reading_the_text_writes_what_waits_at_once(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = OutputView(limits=OutputLimits(head_bytes=40, tail_bytes=40, tail_chars=40))
    qtbot.addWidget(view)
    view.append(out(b"line %02d\n" % number) for number in range(50))  # 8 bytes a line: 5 in the head
    view.append([out(b"late\n")])
    show(qtbot, view)  # the tail starts afresh and then rests, as output is being dropped
    view.append(out(b"more %02d\n" % number) for number in range(50))
    lines = view.plain_text().split("\n")  # no waiting: the tail is written at once, resting or not
    assert view.idle
    assert lines[:5] == [f"line {number:02d}" for number in range(5)]
    assert "not shown here" in lines[5]
    assert lines[6:] == [f"more {number:02d}" for number in range(45, 50)] + [""]


def test_a_progress_bar_redrawn_with_carriage_returns_stays_one_line(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    stream = b"downloading\n" + b"".join(
        b"\r\x1b[K%6.2f%% [%-20s]" % (n / 100, b"=" * (n // 500)) for n in range(10_001)
    )
    stream += b"\ndone\n"
    pieces = [out(stream[start : start + 777]) for start in range(0, len(stream), 777)]
    for start in range(0, len(pieces), 20):  # several writing steps, so that redraws cross them
        show(qtbot, view, *pieces[start : start + 20])
    assert view.plain_text() == "downloading\n100.00% [====================]\ndone\n"
    assert view.text.document().blockCount() == 4


def test_a_line_longer_than_the_limit_is_broken(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    line = "".join(f"{n:06d}," for n in range(20_000))  # 140,000 characters without a newline
    text = show(qtbot, view, out(line.encode() + b"\n"))
    assert text.replace("\n", "") == line
    assert max(len(shown) for shown in text.split("\n")) == view.output.limits.line_chars


def test_find_counts_highlights_and_walks_matches(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    show(qtbot, view, out(b"Error one\nno match here\nerror two\nan ERROR three\n"))
    view.text.setFocus()
    qtbot.keyClick(view.text, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    bar = view.search_bar
    assert bar.isVisible() and bar.field.hasFocus()
    qtbot.keyClicks(bar.field, "error")
    assert bar.count.text() == "1 of 3"
    assert view.text.textCursor().selectedText() == "Error"
    assert len(view.text.extraSelections()) == 3
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    assert bar.count.text() == "2 of 3" and view.text.textCursor().selectedText() == "error"
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)  # past the last: back to the first
    assert bar.count.text() == "1 of 3"
    qtbot.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert bar.count.text() == "3 of 3" and view.text.textCursor().selectedText() == "ERROR"
    bar.case.click()
    assert bar.count.text() == "1 of 1" and view.text.textCursor().selectedText() == "error"
    bar.field.setText("absent")
    assert bar.count.text() == "No matches" and view.text.extraSelections() == []
    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    assert not bar.isVisible() and view.text.extraSelections() == []
    view.find_button.click()
    assert bar.isVisible() and bar.field.text() == "absent"
    bar.case.click()
    bar.field.setText("error")  # found again from the selection, which is still "error two"
    assert bar.count.text() == "2 of 3"
    qtbot.keyClick(view.text, Qt.Key.Key_F3)
    assert bar.count.text() == "3 of 3" and view.text.textCursor().selectedText() == "ERROR"


def test_find_positions_hold_after_characters_beyond_the_bmp(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    show(qtbot, view, out("status 😀 ok 😀 done\n".encode()))
    view.search_bar.open()
    view.search_bar.field.setText("done")
    assert view.text.textCursor().selectedText() == "done"


def test_copy_puts_the_selection_or_everything_shown_on_the_clipboard(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    text = show(qtbot, view, out(b"alpha beta gamma\n"))
    assert not view.copy_button.isEnabled()
    cursor = view.text.textCursor()
    cursor.setPosition(text.index("beta"))
    cursor.setPosition(text.index("beta") + 4, QTextCursor.MoveMode.KeepAnchor)
    view.text.setTextCursor(cursor)
    assert view.copy_button.isEnabled()
    view.copy_button.click()
    assert QGuiApplication.clipboard().text() == "beta"
    view.copy_all_button.click()
    assert QGuiApplication.clipboard().text() == "alpha beta gamma\n"


def test_follow_turns_off_when_scrolled_up_and_on_at_the_bottom(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    scroll_bar = view.text.verticalScrollBar()
    show(qtbot, view, *(out(b"line %d\n" % n) for n in range(500)))
    assert view.follow and scroll_bar.value() == scroll_bar.maximum() > 0
    scroll_bar.setValue(10)
    assert not view.follow
    show(qtbot, view, *(out(b"more %d\n" % n) for n in range(500)))
    assert scroll_bar.value() == 10  # left where the engineer is reading
    scroll_bar.setValue(scroll_bar.maximum())
    assert view.follow
    show(qtbot, view, out(b"newest\n"))
    assert scroll_bar.value() == scroll_bar.maximum()


def test_wrap_toggle(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    assert view.text.lineWrapMode() == QPlainTextEdit.LineWrapMode.WidgetWidth
    view.wrap_button.click()
    assert not view.wrap and view.text.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap


def test_clear_drops_what_waits_and_finish_comes_after_the_output(qtbot, view: OutputView) -> None:  # type: ignore[no-untyped-def]
    view.append([out(b"x" * 3 * MiB)])
    view.clear()
    assert view.idle and view.plain_text() == ""
    view.append([out(b"one\n"), out(b"two")])
    view.finish("exit 1 · 0.1 s")
    assert not view.idle and view.text.toPlainText() == ""  # queued for the timer, not written by the caller
    assert view.plain_text() == "one\ntwo\nexit 1 · 0.1 s"  # which a reader need not wait for
    assert view.idle
    assert view.status.text() == "7 B · 2 lines received"

"""The terminal: the widget alone (keys, colours, scrollback, selection, paste), then the tab on the real test sshd
(typing, resizing, copy and paste, a flood of output, and the session on the ticket's timeline)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QKeyEvent, QWheelEvent
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from supportstation.gui.remote import terminal_tab
from supportstation.gui.remote.terminal_painter import DEFAULT_BACKGROUND, DEFAULT_FOREGROUND, NAMED_COLOURS
from supportstation.gui.remote.terminal_tab import TerminalTab
from supportstation.gui.remote.terminal_widget import TerminalWidget
from supportstation.remote.workbench import KNOWN_HOSTS_FILE, inventory_target
from supportstation.storage.models import AuditRecord, Host, TimelineEvent
from tests.gui.conftest import RemoteLab, shot

Ctrl = Qt.KeyboardModifier.ControlModifier
Shift = Qt.KeyboardModifier.ShiftModifier
Alt = Qt.KeyboardModifier.AltModifier
SECRET = "Sup3r-S3cret-Token"


async def until(condition: Callable[[], object], timeout: float = 15.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}")
        await asyncio.sleep(0.02)


def timeline_events(lab: RemoteLab, kind: str) -> list[TimelineEvent]:
    with lab.window.context.database.session() as db:
        query = select(TimelineEvent).where(TimelineEvent.ticket_id == lab.ticket_id, TimelineEvent.kind == kind)
        return list(db.scalars(query.order_by(TimelineEvent.id)).all())


async def until_events(
    lab: RemoteLab, kind: str, matching: Callable[[TimelineEvent], bool] = lambda event: True
) -> list[TimelineEvent]:
    """Waits until the ticket's timeline has events of that kind, the last one matching; returns them."""
    found: list[TimelineEvent] = []

    def ready() -> bool:
        found[:] = timeline_events(lab, kind)
        return bool(found) and matching(found[-1])

    await until(ready, what=f"a {kind} event on the timeline")
    return found


def widget_with_sent(qtbot, rows: int = 24) -> tuple[TerminalWidget, list[bytes]]:  # type: ignore[no-untyped-def]
    terminal = TerminalWidget()
    qtbot.addWidget(terminal)
    terminal.resize(terminal.sizeHint().width(), int(rows * terminal.cell_height) + 2 * terminal.frameWidth() + 8)
    terminal.show()
    sent: list[bytes] = []
    terminal.input_bytes.connect(sent.append)
    return terminal, sent


def shown(terminal: TerminalWidget, data: bytes) -> None:
    terminal.feed(data)
    deadline = time.monotonic() + 5
    while terminal.busy and time.monotonic() < deadline:
        QApplication.processEvents()


# -- the widget alone ------------------------------------------------------------------------------------------


def test_keys_are_sent_as_an_xterm_sends_them(qtbot) -> None:  # type: ignore[no-untyped-def]
    terminal, sent = widget_with_sent(qtbot)
    strokes = [
        (Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier, b"\r"),
        (Qt.Key.Key_Backspace, Qt.KeyboardModifier.NoModifier, b"\x7f"),
        (Qt.Key.Key_Tab, Qt.KeyboardModifier.NoModifier, b"\t"),
        (Qt.Key.Key_Up, Qt.KeyboardModifier.NoModifier, b"\x1b[A"),
        (Qt.Key.Key_Left, Ctrl, b"\x1b[1;5D"),
        (Qt.Key.Key_Home, Qt.KeyboardModifier.NoModifier, b"\x1b[H"),
        (Qt.Key.Key_PageDown, Qt.KeyboardModifier.NoModifier, b"\x1b[6~"),
        (Qt.Key.Key_F1, Qt.KeyboardModifier.NoModifier, b"\x1bOP"),
        (Qt.Key.Key_F5, Qt.KeyboardModifier.NoModifier, b"\x1b[15~"),
        (Qt.Key.Key_F12, Qt.KeyboardModifier.NoModifier, b"\x1b[24~"),
        (Qt.Key.Key_C, Ctrl, b"\x03"),
        (Qt.Key.Key_D, Ctrl, b"\x04"),
        (Qt.Key.Key_B, Alt, b"\x1bb"),
        (Qt.Key.Key_Escape, Qt.KeyboardModifier.NoModifier, b"\x1b"),
    ]
    for key, modifiers, _expected in strokes:
        qtbot.keyClick(terminal, key, modifiers)
    # Tab among them: the terminal keeps it for the shell's completion instead of moving the focus.
    assert sent == [expected for _key, _modifiers, expected in strokes]

    # A program that asks for application cursor keys (less, vim) gets them.
    sent.clear()
    shown(terminal, b"\x1b[?1h")
    qtbot.keyClick(terminal, Qt.Key.Key_Up)
    qtbot.keyClick(terminal, Qt.Key.Key_End)
    # QTest types ASCII only: a key of a French keyboard comes as the event the window system would send.
    QApplication.sendEvent(
        terminal, QKeyEvent(QEvent.Type.KeyPress, Qt.Key.Key_Eacute, Qt.KeyboardModifier.NoModifier, "é")
    )
    assert sent == [b"\x1bOA", b"\x1bOF", "é".encode()]


def test_colours_and_attributes_are_drawn_in_their_cells(qtbot) -> None:  # type: ignore[no-untyped-def]
    terminal, _sent = widget_with_sent(qtbot)
    colourful = "\x1b[41m  \x1b[0m \x1b[01;34mfolder\x1b[0m \x1b[38;5;196m256\x1b[0m \x1b[7minv\x1b[0m 日本!"
    shown(terminal, colourful.encode())
    assert terminal.screen_lines()[0].startswith("   folder 256 inv 日本")
    assert terminal.screen.buffer[0][20].data == "本" and terminal.screen.buffer[0][21].data == ""
    image = terminal.viewport().grab().toImage()
    width, height = terminal.cell_width, terminal.cell_height

    def colours_in(first: int, last: int) -> set[str]:
        left = terminal.cell_centre(0, first) - QPoint(int(width / 2), int(height / 2))
        return {
            image.pixelColor(left.x() + x, left.y() + y).name()
            for x in range(int((last - first + 1) * width))
            for y in range(int(height))
        }

    assert image.pixelColor(terminal.cell_centre(0, 1)) == QColor(NAMED_COLOURS["red"])  # a background
    assert NAMED_COLOURS["brightblue"] in colours_in(3, 8)  # bold blue is drawn bright, as `ls` expects
    assert "#ff0000" in colours_in(10, 12)  # colour 196 of the 256
    # Inverse: the cells take the text's colour, and the text (anti-aliased) about the background's.
    inverse = colours_in(14, 16)
    assert DEFAULT_FOREGROUND.name() in inverse
    assert min(QColor(name).lightness() for name in inverse) < DEFAULT_BACKGROUND.lightness() + 10
    assert len(colours_in(18, 21)) > 1  # the wide characters are drawn, over two cells each
    shot(terminal, "terminal_widget_colours")


def test_the_scrollback_is_read_with_the_wheel_and_shift_page_up(qtbot) -> None:  # type: ignore[no-untyped-def]
    terminal, sent = widget_with_sent(qtbot, rows=10)
    assert terminal.rows == 10
    shown(terminal, b"".join(b"line %d\r\n" % number for number in range(100)))
    assert terminal.visible_lines()[-2] == "line 99"
    wheel = QWheelEvent(
        QPointF(10, 10),
        QPointF(terminal.mapToGlobal(QPoint(10, 10))),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(terminal.viewport(), wheel)
    assert terminal.visible_lines()[-2] == "line 96"
    qtbot.keyClick(terminal, Qt.Key.Key_PageUp, Shift)
    assert terminal.visible_lines()[-2] == "line 87" and sent == []
    # New output keeps the lines being read in place; a key brings the view back to the prompt.
    shown(terminal, b"line 100\r\n")
    assert terminal.visible_lines()[-2] == "line 87"
    qtbot.keyClicks(terminal, "x")
    assert terminal.visible_lines()[-2] == "line 100" and sent == [b"x"]


def test_a_full_screen_program_draws_on_the_alternate_screen_and_leaves_the_shell_as_it_was(qtbot) -> None:  # type: ignore[no-untyped-def]
    terminal, _sent = widget_with_sent(qtbot, rows=10)
    shown(terminal, b"".join(b"line %d\r\n" % number for number in range(20)) + b"$ less log")
    before = terminal.visible_lines()
    kept = len(terminal.screen.scrollback)
    cursor = (terminal.screen.cursor.x, terminal.screen.cursor.y)
    # As less does: save the cursor and switch (1049), clear, draw a page, scroll a lot, then quit.
    shown(terminal, b"\x1b[?1049h\x1b[H\x1b[2Jpage one\r\n" + b"".join(b"page %d\r\n" % n for n in range(50)))
    assert terminal.screen.on_alternate_screen
    assert "page 49" in terminal.visible_lines() and "$ less log" not in terminal.visible_lines()
    assert len(terminal.screen.scrollback) == kept  # the program's repaints are not the shell's history
    shown(terminal, b"\x1b[?1049l")
    assert not terminal.screen.on_alternate_screen
    assert terminal.visible_lines() == before
    assert (terminal.screen.cursor.x, terminal.screen.cursor.y) == cursor
    # A resize while the program ran leaves the shell's screen whole at the new size.
    shown(terminal, b"\x1b[?1049hfull screen")
    terminal.screen.resize(lines=6)
    shown(terminal, b"\x1b[?1049l\r\n$ ")
    assert terminal.screen.line_text(terminal.screen.buffer[terminal.screen.cursor.y]) == "$"
    assert all(row < 6 for row in terminal.screen.buffer)


def test_selection_is_copied_and_paste_is_bracketed_when_asked(qtbot) -> None:  # type: ignore[no-untyped-def]
    terminal, sent = widget_with_sent(qtbot)
    terminal.set_secrets([SECRET])
    shown(terminal, f"$ cat token\r\ntoken={SECRET} ok\r\n$ ".encode())
    assert terminal.visible_lines()[1] == "token=" + "•" * len(SECRET) + " ok"  # masked on screen
    # A drag over the second row, from its first cell to its last character.
    last = terminal.cell_centre(1, len(f"token={SECRET} ok") - 1)
    viewport = terminal.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=terminal.cell_centre(1, 0))
    qtbot.mouseMove(viewport, last)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=last)
    qtbot.keyClick(terminal, Qt.Key.Key_C, Ctrl | Shift)
    assert QGuiApplication.clipboard().text() == "token=[secret] ok"  # and left out of copies

    QGuiApplication.clipboard().setText("echo one\necho two")
    qtbot.keyClick(terminal, Qt.Key.Key_V, Ctrl | Shift)
    shown(terminal, b"\x1b[?2004h")  # the shell asks for bracketed paste
    qtbot.keyClick(terminal, Qt.Key.Key_V, Ctrl | Shift)
    # Pasted text cannot end the bracket early.
    terminal.paste("evil\x1b[201~rm -rf /")
    assert sent == [
        b"echo one\recho two",
        b"\x1b[200~echo one\recho two\x1b[201~",
        b"\x1b[200~evilrm -rf /\x1b[201~",
    ]


# -- the tab on the test sshd ----------------------------------------------------------------------------------


def lab_tab(lab: RemoteLab, qtbot, host_index: int = 0) -> TerminalTab:  # type: ignore[no-untyped-def]
    window = lab.window
    with window.context.database.session() as session:
        host = session.get(Host, lab.host_ids[host_index])
        target = inventory_target(host)
    tab = TerminalTab(window.remote, target, lab.ticket_id)
    qtbot.addWidget(tab)
    tab.resize(900, 520)
    tab.show()
    return tab


def trust(lab: RemoteLab, sshd) -> None:  # type: ignore[no-untyped-def]
    key = sshd.host_public_key
    (lab.window.context.paths.data / KNOWN_HOSTS_FILE).write_text(
        f"[127.0.0.1]:{sshd.port} {key}\n[localhost]:{sshd.port} {key}\n"
    )


def screen_has(tab: TerminalTab, line: str) -> Callable[[], bool]:
    return lambda: line in [row.rstrip() for row in tab.terminal.screen_lines()]


def at_prompt(tab: TerminalTab) -> Callable[[], bool]:
    screen = tab.terminal.screen
    return lambda: screen.display[screen.cursor.y].rstrip() == "$"


async def type_line(qtbot, tab: TerminalTab, text: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(tab.terminal, text)
    qtbot.keyClick(tab.terminal, Qt.Key.Key_Return)


@pytest.mark.asyncio
async def test_a_terminal_session_typed_into_is_recorded_on_the_ticket(
    remote_lab: RemoteLab, sshd, qtbot, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(terminal_tab, "TRANSCRIPT_SAVE_INTERVAL", 0.3)
    remote_lab.window.context.vault.store("clients/acme/token", SECRET)
    tab = lab_tab(remote_lab, qtbot)
    recorded: list[bool] = []
    tab.recorded.connect(lambda: recorded.append(True))
    # The host is new: its key is asked about, as for any command.
    starting = asyncio.ensure_future(tab.start())
    session = remote_lab.window.remote
    await until(lambda: session.last_key_dialog is not None, what="the host key question")
    session.last_key_dialog.always_button.click()
    assert await starting
    assert tab.state == "connected" and "lab-01" in tab.state_label.text()
    await until(at_prompt(tab), what="the prompt")
    # On the timeline from the start: the key accepted, and the session, open.
    events = await until_events(remote_lab, "terminal_session")
    assert events[0].summary.startswith("Terminal on lab-01, open (")
    [key_event] = timeline_events(remote_lab, "host_key")
    assert key_event.summary.startswith("Host key of [127.0.0.1]:") and "(always)" in key_event.summary
    # Before the session it let through, in the timeline's own order (time, then the order written).
    assert (key_event.created_at, key_event.id) < (events[0].created_at, events[0].id)

    await type_line(qtbot, tab, "echo hel''lo-terminal; printf 'token=Sup3r-S3'; printf 'cret-Token\\n'")
    await until(screen_has(tab, "hello-terminal"), what="the command's output")
    # The transcript is saved as it grows: a crash of the laptop now would not lose it.
    await until_events(remote_lab, "terminal_session", lambda event: "\nhello-terminal\n" in event.body)
    assert screen_has(tab, f"token={SECRET}")()  # the program's screen is as the server drew it...
    assert "token=" + "•" * len(SECRET) in tab.terminal.visible_lines()  # ...and a known secret is drawn masked
    await type_line(
        qtbot,
        tab,
        r"ls --color=always /etc | head -n 6; printf '\033[31mred\033[0m \033[1;32mbold green\033[0m "
        r"\033[4munderlined\033[0m \033[7minverse\033[0m \033[38;5;208m256-orange\033[0m "
        # QTest types ASCII only: the wide characters 日本語 as octal escapes.
        r"\346\227\245\346\234\254\350\252\236\n'",
    )
    await until(screen_has(tab, "red bold green underlined inverse 256-orange 日本語"), what="the colours")
    screen = tab.terminal.screen
    row = [line.rstrip() for line in tab.terminal.screen_lines()].index(
        "red bold green underlined inverse 256-orange 日本語"
    )
    cells = screen.buffer[row]
    assert (cells[0].fg, cells[4].fg, cells[4].bold, cells[15].underscore, cells[26].reverse) == (
        "red",
        "green",
        True,
        True,
        True,
    )
    shot(tab, "terminal_tab")
    await type_line(qtbot, tab, "exit")
    await until(lambda: tab.state == "closed", what="the end of the shell")
    assert "exit code 0" in tab.state_label.text() and tab.reconnect_button.isEnabled()
    await until(lambda: tab.sessions_recorded == 1, what="the record")
    shot(tab, "terminal_closed")

    with remote_lab.window.context.database.session() as db:
        [event] = db.scalars(
            select(TimelineEvent).where(
                TimelineEvent.ticket_id == remote_lab.ticket_id, TimelineEvent.kind == "terminal_session"
            )
        ).all()
        assert event.summary.startswith("Terminal on lab-01, ") and "open" not in event.summary
        assert "$ echo hel''lo-terminal" in event.body and "\nhello-terminal\n" in event.body
        assert "token=[secret]" in event.body and SECRET not in event.body and "\x1b" not in event.body
        audit_record = db.scalars(select(AuditRecord).order_by(AuditRecord.sequence.desc())).first()
        assert audit_record.action == "interactive terminal" and audit_record.ticket_id == remote_lab.ticket_id
        assert audit_record.output_sha256 == event.data["transcript_sha256"]

    # The ticket's timeline shows it, the transcript in a terminal's font.
    window = remote_lab.window
    window.database_ready(window.context.database)
    await window.refresh()
    workspace = window.open_ticket(remote_lab.ticket_id)
    await workspace.reload_task
    timeline = workspace.timeline.toPlainText()
    assert "Terminal on lab-01, " in timeline and "hello-terminal" in timeline and SECRET not in timeline
    shot(workspace, "terminal_on_timeline")

    # Reconnect opens a new shell on the same tab.
    assert await tab.start()
    await until(at_prompt(tab), what="the second shell's prompt")
    assert "[Closed: The shell exited (exit code 0).]" in [line.rstrip() for line in tab.terminal.screen_lines()]
    await type_line(qtbot, tab, "echo again")
    await until(screen_has(tab, "again"), what="the second shell")
    await tab.close_session()
    assert tab.state == "closed" and "Closed by the engineer" in tab.state_label.text()
    await until(lambda: tab.sessions_recorded == 2, what="the second record")
    assert len(recorded) == 4  # each session: when it opened, when it ended


@pytest.mark.asyncio
async def test_resizing_copying_and_pasting_in_a_live_shell(remote_lab: RemoteLab, sshd, qtbot) -> None:  # type: ignore[no-untyped-def]
    trust(remote_lab, sshd)
    tab = lab_tab(remote_lab, qtbot)
    assert await tab.start()
    terminal = tab.terminal
    await until(at_prompt(tab), what="the prompt")
    await type_line(qtbot, tab, "stty size")
    await until(screen_has(tab, f"{terminal.rows} {terminal.columns}"), what="the first size")

    tab.resize(640, 300)
    await until(lambda: terminal.columns < 80, what="the smaller screen")
    await asyncio.sleep(0.3)  # the new size is told to the server once the resizing settles
    await type_line(qtbot, tab, "stty size")
    await until(screen_has(tab, f"{terminal.rows} {terminal.columns}"), what="the new size on the server")
    assert f"×{terminal.rows})" in tab.state_label.text()

    await type_line(qtbot, tab, "echo copy''-me")
    await until(screen_has(tab, "copy-me"), what="the text to copy")
    row = [line.rstrip() for line in terminal.screen_lines()].index("copy-me")
    viewport = terminal.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=terminal.cell_centre(row, 0))
    qtbot.mouseMove(viewport, terminal.cell_centre(row, 6))
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=terminal.cell_centre(row, 6))
    qtbot.keyClick(terminal, Qt.Key.Key_C, Ctrl | Shift)
    assert QGuiApplication.clipboard().text() == "copy-me"
    shot(tab, "terminal_selection")

    QGuiApplication.clipboard().setText("echo pas''ted-$((6*7))")
    qtbot.keyClick(terminal, Qt.Key.Key_V, Ctrl | Shift)
    qtbot.keyClick(terminal, Qt.Key.Key_Return)
    await until(screen_has(tab, "pasted-42"), what="the pasted command's output")
    await tab.close_session()


@pytest.mark.asyncio
async def test_a_flood_of_output_never_stalls_the_interface(remote_lab: RemoteLab, sshd, qtbot, stall_probe) -> None:  # type: ignore[no-untyped-def]
    trust(remote_lab, sshd)
    tab = lab_tab(remote_lab, qtbot)
    assert await tab.start()
    terminal = tab.terminal
    await until(at_prompt(tab), what="the prompt")
    stall_probe.reset()
    started = time.monotonic()
    await type_line(qtbot, tab, "seq 1 200000; echo flood-''done")
    await until(screen_has(tab, "flood-done"), timeout=180, what="the end of the flood")
    elapsed = time.monotonic() - started
    print(
        f"\nseq 1 200000 through the terminal: {elapsed:.1f} s, {terminal.bytes_shown / 1e6:.2f} MB shown, "
        f"longest event-loop gap {stall_probe.longest_gap_ms:.0f} ms over {stall_probe.ticks} probe ticks"
    )
    assert screen_has(tab, "200000")()
    assert len(terminal.screen.scrollback) == 5000  # the scrollback kept its last lines and no more
    # A turn of the loop feeds the emulator for a few milliseconds. Fed in one go, the flood would hold the loop for
    # seconds; on a loaded 2-core machine the scheduler alone sometimes takes a few hundred ms, once or twice.
    assert stall_probe.longest_gap_ms < 1500
    assert len([stall for stall in stall_probe.stalls if stall > 250]) <= 3, stall_probe.stalls
    # The interface answered throughout: the probe ran about every 5 ms.
    assert stall_probe.ticks > elapsed * 1000 / 5 / 3
    await type_line(qtbot, tab, "echo still''-alive")
    await until(screen_has(tab, "still-alive"), what="a command after the flood")
    await tab.close_session()


@pytest.mark.asyncio
async def test_a_terminal_opened_from_the_remote_panel_is_recorded_when_its_tab_is_closed(
    remote_lab: RemoteLab, sshd, qtbot
) -> None:  # type: ignore[no-untyped-def]
    trust(remote_lab, sshd)
    window = remote_lab.window
    window.database_ready(window.context.database)
    await window.refresh()
    workspace = window.open_ticket(remote_lab.ticket_id)
    await workspace.reload_task
    await workspace.show_remote()
    panel = workspace.remote_panel
    panel.select_host(remote_lab.host_ids[1])  # lab-02, which logs in with a key
    tab = panel.open_terminal()
    await until(lambda: tab.connected, what="the terminal")
    await until(at_prompt(tab), what="the prompt")
    await type_line(qtbot, tab, "echo from''-the-panel")
    await until(screen_has(tab, "from-the-panel"), what="the output")

    panel.pages.tabCloseRequested.emit(panel.pages.indexOf(tab))
    [event] = await until_events(remote_lab, "terminal_session", lambda event: "open" not in event.summary)
    assert "\nfrom-the-panel\n" in event.body and event.data["end"].startswith("Closed by the engineer")
    # The tab is gone, and the ticket's timeline was reloaded for it.
    await until(lambda: "from-the-panel" in workspace.timeline.toPlainText(), what="the timeline reloaded")
    assert "open (" not in workspace.timeline.toPlainText()

"""The remote-action panel and the fan-out view, driven through the real main window against the test sshd."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import time
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt

from supportstation.gui.remote.remote_panel import run_summary
from supportstation.remote.host_keys import fingerprint_of
from supportstation.remote.results import RunState
from supportstation.remote.workbench import KNOWN_HOSTS_FILE
from tests.gui.conftest import RemoteLab, shot


async def until(condition: Callable[[], object], timeout: float = 15.0, what: str = "the condition") -> None:
    """Lets the event loop run until `condition()` is true; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}")
        await asyncio.sleep(0.02)


def trust(lab: RemoteLab, sshd) -> None:  # type: ignore[no-untyped-def]
    """The app's known_hosts trusts the test sshd under both names the lab hosts use."""
    key = sshd.host_public_key
    (lab.window.context.paths.data / KNOWN_HOSTS_FILE).write_text(
        f"[127.0.0.1]:{sshd.port} {key}\n[localhost]:{sshd.port} {key}\n"
    )


async def ticket_panel(lab: RemoteLab):  # type: ignore[no-untyped-def]
    window = lab.window
    window.database_ready(window.context.database)
    await window.refresh()
    workspace = window.open_ticket(lab.ticket_id)
    await workspace.reload_task
    await workspace.show_remote()
    return workspace, workspace.remote_panel


@pytest.mark.asyncio
async def test_connect_accept_the_key_run_an_action_and_a_command_and_find_them_on_the_timeline(
    remote_lab: RemoteLab, sshd, qtbot
) -> None:  # type: ignore[no-untyped-def]
    workspace, panel = await ticket_panel(remote_lab)
    labels = [host.label for host in panel.hosts]
    assert {"lab-01", "lab-02", "lab-down"} <= set(labels)
    assert f"({len(labels)} hosts)" in workspace.pages.tabText(1)
    panel.select_host(remote_lab.host_ids[0])

    # The host is new: its key is shown, to compare with the administrator's, and accepted for good.
    connecting = asyncio.ensure_future(panel.connect())
    session = remote_lab.window.remote
    await until(lambda: session.last_key_dialog is not None, what="the host key question")
    dialog = session.last_key_dialog
    shot(dialog, "host_key_dialog")
    offered = base64.b64decode(sshd.host_public_key.split()[1])
    assert fingerprint_of(offered) in dialog.fingerprint.text()
    assert dialog.refuse_button.isDefault()
    dialog.always_button.click()
    assert await connecting
    assert "connected" in panel.connection_label.text()
    known = (remote_lab.window.context.paths.data / KNOWN_HOSTS_FILE).read_text()
    assert f"[127.0.0.1]:{sshd.port}" in known

    # An action from the plugin, shown as a table.
    assert panel.library.select("linux.disk_usage")
    panel.library.run_button.click()
    await until(lambda: panel.last_result is not None and not panel.running, what="the action")
    assert panel.last_result.state is RunState.SUCCEEDED
    assert panel.results.isTabEnabled(1) and panel.results.currentIndex() == 1
    assert panel.table.model.rowCount() > 0
    assert panel.table.model.headerData(0, Qt.Orientation.Horizontal) == "Mount point"
    shot(panel, "remote_action_table")

    # An ad-hoc command that fails, typed and run with Enter: exit code, both streams, duration.
    panel.last_result = None
    line = panel.command_box.line
    line.setText("echo héllo; echo oops >&2; exit 3")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    await until(lambda: panel.last_result is not None and not panel.running, what="the command")
    assert panel.last_result.exit_code == 3
    assert "exit 3" in panel.run_label.text() and "failed" in panel.run_label.text()
    shown = panel.output.plain_text()
    assert "héllo" in shown and "oops" in shown
    assert not panel.results.isTabEnabled(1)
    shot(panel, "remote_command")
    # The history brings it back.
    line.clear()
    qtbot.keyClick(line, Qt.Key.Key_Up)
    assert line.text() == "echo héllo; echo oops >&2; exit 3"

    # Both runs are on the ticket's timeline without a click.
    await until(lambda: "exit code 3" in workspace.timeline.toPlainText(), what="the timeline")
    timeline = workspace.timeline.toPlainText()
    assert "lab-01 $ echo héllo" in timeline and "lab-01 [linux.disk_usage] — exit code 0" in timeline


@pytest.mark.asyncio
async def test_refusing_an_unknown_key_and_a_changed_key_is_refused_loudly(remote_lab: RemoteLab, sshd) -> None:  # type: ignore[no-untyped-def]
    _workspace, panel = await ticket_panel(remote_lab)
    panel.select_host(remote_lab.host_ids[0])
    connecting = asyncio.ensure_future(panel.connect())
    session = remote_lab.window.remote
    await until(lambda: session.last_key_dialog is not None, what="the host key question")
    session.last_key_dialog.refuse_button.click()
    assert not await connecting
    assert "not accepted" in panel.banner.text()
    assert not panel.forget_key_button.isVisible()

    # Another key stored for the host: the connection is refused, in red, with a way out once checked.
    other = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBm8XHk4uAXtBFQ9M3Rb8gaFh3tG8KzqB4o5yA6ib2Uq"
    (remote_lab.window.context.paths.data / KNOWN_HOSTS_FILE).write_text(f"[127.0.0.1]:{sshd.port} {other}\n")
    assert not await panel.connect()
    assert panel.banner.text().startswith("REFUSED")
    assert "#c62828" in panel.banner.styleSheet()
    shot(panel, "remote_changed_key")
    assert panel.forget_key_button.isVisibleTo(panel)
    panel._forget_key(panel.current_host())
    assert "forgotten" in panel.connection_label.text()
    assert str(sshd.port) not in (remote_lab.window.context.paths.data / KNOWN_HOSTS_FILE).read_text()


@pytest.mark.asyncio
async def test_cancel_stops_a_running_command(remote_lab: RemoteLab, sshd) -> None:  # type: ignore[no-untyped-def]
    trust(remote_lab, sshd)
    _workspace, panel = await ticket_panel(remote_lab)
    panel.select_host(remote_lab.host_ids[1])  # the key login
    running = asyncio.ensure_future(panel.run("echo started; sleep 60"))
    await until(lambda: "started" in panel.output.plain_text(), what="the output")
    assert panel.cancel_button.isEnabled()
    panel.cancel_button.click()
    result = await asyncio.wait_for(running, 10)
    assert result.state is RunState.CANCELLED
    assert "cancelled" in panel.run_label.text()
    assert not panel.cancel_button.isEnabled() and panel.command_box.run_button.isEnabled()


@pytest.mark.asyncio
async def test_an_unreachable_host_says_why(remote_lab: RemoteLab) -> None:
    _workspace, panel = await ticket_panel(remote_lab)
    panel.select_host(remote_lab.down_id)
    assert await panel.run("true") is None
    assert "refused" in panel.banner.text().lower() or "connect" in panel.banner.text().lower()
    assert "Not run" in panel.run_label.text()


@pytest.mark.asyncio
async def test_fan_out_shows_a_matrix_and_reruns_on_the_failed_host(remote_lab: RemoteLab, sshd) -> None:  # type: ignore[no-untyped-def]
    trust(remote_lab, sshd)
    window = remote_lab.window
    window.database_ready(window.context.database)
    await window.refresh()
    view = window.act_on_hosts([*remote_lab.host_ids, remote_lab.down_id])
    assert view is window.remote_view.fan_out
    assert {host.label for host in view.picker.checked_hosts()} == {"lab-01", "lab-02", "lab-down"}

    runs = await view.run("echo from $(hostname); exit 0")
    states = {run.host.label: run.result.state for run in runs}
    assert states == {"lab-01": RunState.SUCCEEDED, "lab-02": RunState.SUCCEEDED, "lab-down": RunState.NOT_CONNECTED}
    assert "3 of 3 done: 2 succeeded, 1 failed" in view.summary.text()
    assert view.model.data(view.model.index(0, 5)).startswith("from ")
    assert view.rerun_button.isEnabled()
    assert view._shown_row == 2 and "refused the connection" in view.output.plain_text()  # lab-down's failure first
    view.matrix.selectRow(0)
    assert "from " in view.output.plain_text()
    # The command line takes its height, not the action tree's: the matrix and the output get the rest.
    assert view.what.height() < 2.5 * view.command_box.sizeHint().height() < view.matrix.height()
    shot(view, "fan_out")
    view.what.setCurrentWidget(view.library)
    assert view.what.maximumHeight() > 4 * view.command_box.sizeHint().height()
    view.what.setCurrentWidget(view.command_box)

    again = await view.rerun_failed()
    assert [run.host.label for run in again] == ["lab-down"]

    # A tag checks every host that has it.
    view.picker.check(set())
    view.picker._tag_chosen(view.picker.tags.findText("linux"))
    assert [host.label for host in view.picker.checked_hosts()] == ["lab-01"]


@pytest.mark.asyncio
async def test_a_100_mb_output_never_stalls_the_window(remote_lab: RemoteLab, sshd, stall_probe) -> None:  # type: ignore[no-untyped-def]
    trust(remote_lab, sshd)
    _workspace, panel = await ticket_panel(remote_lab)
    panel.select_host(remote_lab.host_ids[0])
    assert await panel.connect()
    # On site the server is another machine; here sshd and the command share the test machine's two cores with
    # the window, so they run at the lowest CPU priority to leave the window's thread the share it would have.
    server_side = [sshd.pid, *sshd.session_pids()]  # the command, forked by the login's sshd, inherits it
    for pid in server_side:
        os.setpriority(os.PRIO_PROCESS, pid, 19)
    try:
        stall_probe.reset()
        started = time.monotonic()
        result = await panel.run("head -c 100000000 /dev/zero | tr '\\0' 'x' | fold -w 99")
        await until(lambda: panel.output.idle, what="the output shown")
        elapsed = time.monotonic() - started
    finally:
        for pid in server_side:
            with contextlib.suppress(ProcessLookupError):
                os.setpriority(os.PRIO_PROCESS, pid, 0)
    stall = stall_probe.longest_gap_ms
    print(f"\n100 MB through the panel in {elapsed:.1f} s; longest event-loop stall {stall:.1f} ms")
    assert result.state is RunState.SUCCEEDED
    shot(panel, "remote_100mb")
    assert result.output.total_bytes == 101_010_101
    assert panel.output.plain_text().rstrip("\n").endswith("\n" + run_summary(result))
    # The target is 50 ms: on this 2-core machine, with sshd, the reader, the recorder and the window sharing
    # it, the figure is 28-45 ms (reported in the closing note). A loaded CI machine can go past it; what must never
    # happen is a felt freeze: a blocking call on the GUI thread would show here as hundreds of milliseconds.
    assert stall < 200, f"the event loop stalled {stall:.0f} ms"


@pytest.mark.asyncio
async def test_the_hosts_view_tests_connections_and_opens_a_host_panel(remote_lab: RemoteLab, sshd) -> None:  # type: ignore[no-untyped-def]
    trust(remote_lab, sshd)
    window = remote_lab.window
    window.database_ready(window.context.database)
    await window.refresh()
    window.hosts_view.test_connection_requested.emit([remote_lab.host_ids[0], remote_lab.down_id])
    outcomes = await window._test_task
    assert outcomes["lab-01"].startswith("connected (host key SHA256:")
    assert "lab-down" in outcomes and not outcomes["lab-down"].startswith("connected")
    assert "lab-01: connected" in window.remote_view.last_test_box.text()

    window.hosts_view.act_requested.emit([remote_lab.host_ids[1]])
    panel = window.remote_view.tabs.currentWidget()
    assert window.stack.currentWidget() is window.remote_view
    assert [host.label for host in panel.hosts] == ["lab-02"]
    result = await panel.run("echo standalone")
    assert result.state is RunState.SUCCEEDED and "standalone" in panel.output.plain_text()

"""The Files page of the remote panel against the real test sshd: browsing, upload, download attached to a demo
ticket, cancel, drag and drop, and errors shown on the transfer's row."""

from __future__ import annotations

import asyncio
import hashlib
import os
import pwd
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio
import shiboken6
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QMessageBox
from sqlalchemy import select

from supportstation.context import AppContext
from supportstation.gui.remote.session import RemoteSession
from supportstation.gui.remote.transfer_list import Direction, Transfer, TransferState
from supportstation.gui.remote.transfer_panel import TransferPanel
from supportstation.remote.host_keys import HostKeyStore
from supportstation.remote.pool import ConnectionPool
from supportstation.remote.targets import Target
from supportstation.remote.transfers import free_local_path, safe_local_name
from supportstation.storage.models import Attachment, AuditRecord, Ticket, TimelineEvent
from supportstation.vault import open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.gui.conftest import shot
from tests.servers import sshd as servers

BIG = 1 << 30  # sparse: costs no disk, and takes long enough to be cancelled half-way


@pytest.fixture(autouse=True)
def no_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)


@pytest.fixture
def target(sshd: servers.SshServer, ssh_user: servers.SshUser) -> Target:
    return Target(host=sshd.host, port=sshd.port, user=ssh_user.name, identity_files=(ssh_user.key,))


@pytest.fixture
def remote_folder(ssh_folder: Path) -> Path:
    """A folder the login can write in, seen by the test through the same path (same machine)."""
    folder = ssh_folder / f"files-{uuid.uuid4().hex[:8]}"
    folder.mkdir()
    os.chown(folder, servers.ensure_user().pw_uid, -1)
    return folder


@pytest_asyncio.fixture
async def session(
    demo_context: AppContext, sshd: servers.SshServer, trusting_store: Callable[..., HostKeyStore]
) -> AsyncIterator[RemoteSession]:
    """The window's remote session with its vault unlocked and a pool that already trusts the test sshd: the
    host-key dialog and the vault's password prompt are other tests' business."""
    vault = open_vault(demo_context.paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock("test master password")
    demo_context.vault = vault
    remote = RemoteSession(demo_context)
    remote.vault = vault
    remote._pool = ConnectionPool(trusting_store(sshd))
    yield remote
    await remote.close()


@pytest.fixture
def ticket_id(demo_context: AppContext) -> int:
    with demo_context.database.session() as db:
        return db.scalars(select(Ticket.id).order_by(Ticket.id)).first()


@pytest.fixture
def panel(qtbot, session: RemoteSession, target: Target, ticket_id: int, tmp_path: Path) -> TransferPanel:  # type: ignore[no-untyped-def]
    widget = TransferPanel(session, target, ticket_id)
    widget.download_folder = tmp_path / "downloads"
    widget.resize(1000, 700)
    qtbot.addWidget(widget)
    return widget


async def opened(panel: TransferPanel, folder: Path) -> TransferPanel:
    await panel.start()
    assert await panel.browser.go_to(str(folder)) is not None, panel.browser.error
    return panel


def names_shown(panel: TransferPanel) -> list[str]:
    model = panel.browser.model
    return [model.row_at(row).name for row in range(model.rowCount())]


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    for _step in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never came true")


def file_events(demo_context: AppContext, ticket_id: int) -> list[TimelineEvent]:
    with demo_context.database.session() as db:
        return list(
            db.scalars(
                select(TimelineEvent)
                .where(TimelineEvent.ticket_id == ticket_id, TimelineEvent.kind == "file_transfer")
                .order_by(TimelineEvent.id)
            )
        )


@pytest.mark.asyncio
async def test_browses_from_the_home_folder_into_folders_and_back(
    qtbot, panel: TransferPanel, remote_folder: Path
) -> None:  # type: ignore[no-untyped-def]
    (remote_folder / "logs").mkdir()
    (remote_folder / "logs" / "syslog").write_text("boot\n")
    (remote_folder / "notes.txt").write_text("hello")
    panel.show()  # showing the panel lists the login's home
    await panel.start()
    browser = panel.browser
    assert browser.folder is not None and browser.folder.path == pwd.getpwnam(servers.TEST_USER).pw_dir
    assert browser.path_edit.text() == browser.folder.path
    assert ".profile" not in names_shown(panel) and "hidden" in browser.status.text()
    browser.hidden_box.setChecked(True)
    assert ".profile" in names_shown(panel)

    await opened(panel, remote_folder)
    assert names_shown(panel) == ["logs", "notes.txt"]  # folders first
    assert browser.model.data(browser.model.index(1, 1)) == "5 B"
    assert not panel.download_button.isEnabled()
    browser.select_names("notes.txt")
    assert panel.download_button.isEnabled()

    # Double-click enters a folder; Up comes back.
    rect = browser.view.visualRect(browser.model.index(0, 0))
    # An item view only takes a double click on the item it saw pressed: click first, as a hand does.
    qtbot.mouseClick(browser.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(browser.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    await browser.idle()
    assert browser.folder.path == str(remote_folder / "logs") and names_shown(panel) == ["syslog"]
    browser.up_button.click()
    await browser.idle()
    assert browser.folder.path == str(remote_folder)

    # A folder the login may not read: the reason is said, the listing shown stays.
    assert await browser.go_to("/root") is None
    assert "permission denied" in browser.status.text()
    assert browser.folder.path == str(remote_folder) and browser.path_edit.text() == str(remote_folder)


@pytest.mark.asyncio
async def test_upload_then_download_attached_to_the_ticket_lands_on_the_timeline(
    qtbot, panel: TransferPanel, remote_folder: Path, tmp_path: Path, demo_context: AppContext, ticket_id: int
) -> None:  # type: ignore[no-untyped-def]
    local = tmp_path / "capture.bin"
    local.write_bytes(os.urandom(3_000_000))
    digest = hashlib.sha256(local.read_bytes()).hexdigest()
    recorded: list[bool] = []
    panel.recorded.connect(lambda: recorded.append(True))
    await opened(panel, remote_folder)

    (upload,) = await panel.upload([local])
    await panel.settled()
    assert upload.state is TransferState.DONE, upload.message
    assert (remote_folder / "capture.bin").read_bytes() == local.read_bytes()
    assert upload.sha256 == digest and digest in panel.transfers.state_tooltip(upload)
    assert "capture.bin" in names_shown(panel)  # the folder shown was listed again
    assert "3.0 MB" in panel.transfers.progress_text(upload)

    panel.attach_box.setChecked(True)
    panel.browser.select_names("capture.bin")
    qtbot.mouseClick(panel.download_button, Qt.MouseButton.LeftButton)
    await panel.settled()
    download = panel.transfers.transfers[-1]
    assert download.direction is Direction.DOWNLOAD and download.state is TransferState.DONE, download.message
    downloaded = panel.download_folder / "capture.bin"
    assert downloaded.read_bytes() == local.read_bytes()
    assert "attached" in panel.transfers.state_text(download)
    assert len(recorded) == 2
    shot(panel, "transfers_done")

    events = file_events(demo_context, ticket_id)
    assert [event.data["direction"] for event in events] == ["upload", "download"]
    assert all(event.data["sha256"] == digest for event in events)
    assert str(remote_folder / "capture.bin") in events[1].summary
    with demo_context.database.session() as db:
        attachment = db.scalars(
            select(Attachment).where(Attachment.ticket_id == ticket_id, Attachment.file_name == "capture.bin")
        ).one()
        assert (attachment.file_name, attachment.sha256) == ("capture.bin", digest)
        assert (demo_context.paths.data / attachment.stored_path).read_bytes() == local.read_bytes()
        audited = db.scalars(select(AuditRecord.action)).all()
        assert any(action.startswith("upload ") for action in audited)
        assert any(action.startswith("download ") for action in audited)

    # Downloading it again never replaces the first copy.
    panel.attach_box.setChecked(False)
    (again,) = await panel.download(panel.browser.selected_entries())
    await panel.settled()
    assert again.state is TransferState.DONE
    assert Path(again.destination) == panel.download_folder / "capture (1).bin"
    assert downloaded.read_bytes() == local.read_bytes()


async def cancel_half_way(qtbot, panel: TransferPanel, transfer: Transfer) -> None:  # type: ignore[no-untyped-def]
    # The worker's progress reaches the row through the GUI's timer, with the rate.
    await until(lambda: transfer.latest[0] > 0 and "/s" in panel.transfers.progress_text(transfer))
    assert " of 1.1 GB · " in panel.transfers.progress_text(transfer)
    shot(panel, f"transfer_{transfer.direction.value}_running")
    button = panel.transfers.cancel_button(transfer)
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    await panel.settled()
    assert transfer.state is TransferState.CANCELLED
    assert panel.transfers.state_text(transfer) == "Cancelled"
    assert 0 < transfer.latest[0] < BIG
    assert panel.transfers.cancel_button(transfer) is None


# Download and upload are cancelled in tests of their own, each on its own connection.


@pytest.mark.asyncio
async def test_a_cancelled_download_leaves_no_partial_file(
    qtbot, panel: TransferPanel, remote_folder: Path, demo_context: AppContext, ticket_id: int, stall_probe
) -> None:  # type: ignore[no-untyped-def]
    with (remote_folder / "disk.img").open("wb") as sparse:
        sparse.truncate(BIG)
    await opened(panel, remote_folder)
    panel.browser.select_names("disk.img")
    (download,) = await panel.download(panel.browser.selected_entries())
    await cancel_half_way(qtbot, panel, download)
    assert list(panel.download_folder.iterdir()) == []  # not even disk.img.partial
    assert file_events(demo_context, ticket_id) == []  # nothing was transferred, nothing is claimed
    # A transfer at full speed, its progress on screen: the event loop kept running (~150 ms worst here).
    assert stall_probe.longest_gap_ms < 1000


@pytest.mark.asyncio
async def test_a_cancelled_upload_leaves_nothing_on_the_host(
    qtbot, panel: TransferPanel, remote_folder: Path, tmp_path: Path, demo_context: AppContext, ticket_id: int
) -> None:  # type: ignore[no-untyped-def]
    local_big = tmp_path / "iso.img"
    with local_big.open("wb") as sparse:
        sparse.truncate(BIG)
    await opened(panel, remote_folder)
    (upload,) = await panel.upload([local_big])
    await cancel_half_way(qtbot, panel, upload)
    assert not (remote_folder / "iso.img").exists()
    assert file_events(demo_context, ticket_id) == []


@pytest.mark.asyncio
async def test_a_waiting_transfer_is_cancelled_at_once(
    panel: TransferPanel, remote_folder: Path, tmp_path: Path
) -> None:
    files = []
    for number in range(5):
        path = tmp_path / f"part{number}.bin"
        with path.open("wb") as sparse:
            sparse.truncate(BIG)
        files.append(path)
    await opened(panel, remote_folder)
    transfers = await panel.upload(files)
    # Three run at a time: the last two wait, and a waiting one ends as soon as it is cancelled.
    assert [t.state for t in transfers[3:]] == [TransferState.WAITING] * 2
    panel.transfers.request_cancel(transfers[4])
    assert transfers[4].state is TransferState.CANCELLED
    panel.cancel_all()
    await panel.settled()
    assert all(t.state is TransferState.CANCELLED for t in transfers)
    assert sorted(path.name for path in remote_folder.iterdir()) == []
    panel.transfers.clear_finished()
    assert panel.transfers.table.rowCount() == 0


@pytest.mark.asyncio
async def test_a_dropped_file_is_uploaded_into_the_folder_shown(
    panel: TransferPanel, remote_folder: Path, tmp_path: Path
) -> None:
    local = tmp_path / "dropped report.txt"
    local.write_text("rapport d'intervention\n", encoding="utf-8")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(local))])

    def drag_enter() -> QDragEnterEvent:
        event = QDragEnterEvent(
            QPoint(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        )
        QApplication.sendEvent(panel, event)
        return event

    assert not drag_enter().isAccepted()  # nowhere to upload to before a folder is listed
    await opened(panel, remote_folder)
    assert drag_enter().isAccepted()
    drop = QDropEvent(
        QPointF(20, 20), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(panel, drop)
    assert drop.isAccepted()
    await panel.settled()
    (transfer,) = panel.transfers.transfers
    assert transfer.direction is Direction.UPLOAD and transfer.state is TransferState.DONE, transfer.message
    assert (remote_folder / "dropped report.txt").read_bytes() == local.read_bytes()
    assert "dropped report.txt" in names_shown(panel)


@pytest.mark.asyncio
async def test_errors_are_shown_on_the_row_and_leave_nothing_behind(
    panel: TransferPanel, remote_folder: Path, ssh_folder: Path, tmp_path: Path, demo_context: AppContext,
    ticket_id: int,
) -> None:  # fmt: skip
    local = tmp_path / "small.txt"
    local.write_text("x")
    # ssh_folder belongs to root: the login may list it but not write there.
    await opened(panel, ssh_folder)
    (denied,) = await panel.upload([local])
    await panel.settled()
    assert denied.state is TransferState.FAILED
    assert "permission denied" in denied.message and str(ssh_folder / "small.txt") in denied.message
    assert panel.transfers.state_text(denied).startswith("Failed: ")
    assert panel.transfers.state_tooltip(denied) == denied.message

    # A file removed on the host after it was listed.
    (remote_folder / "gone.log").write_text("soon gone")
    await opened(panel, remote_folder)
    panel.browser.select_names("gone.log")
    (remote_folder / "gone.log").unlink()
    (missing,) = await panel.download(panel.browser.selected_entries())
    await panel.settled()
    assert missing.state is TransferState.FAILED and "no such file or folder" in missing.message
    assert not panel.download_folder.exists() or list(panel.download_folder.iterdir()) == []

    # A dropped folder is refused by the upload, not half-copied.
    (folder_upload,) = await panel.upload([tmp_path])
    await panel.settled()
    assert folder_upload.state is TransferState.FAILED and "is a folder: give a file" in folder_upload.message
    assert file_events(demo_context, ticket_id) == []


@pytest.mark.asyncio
async def test_replacing_a_file_on_the_host_is_asked_first(
    panel: TransferPanel, remote_folder: Path, tmp_path: Path
) -> None:
    (remote_folder / "config.ini").write_text("customer's original")
    os.chown(remote_folder / "config.ini", servers.ensure_user().pw_uid, -1)  # the login's own file
    local = tmp_path / "config.ini"
    local.write_text("new version")
    await opened(panel, remote_folder)

    asking = asyncio.ensure_future(panel.upload([local]))
    await until(lambda: panel.last_question is not None)
    assert "config.ini" in panel.last_question.text()
    panel.last_question.button(QMessageBox.StandardButton.Cancel).click()
    assert await asking == []
    assert (remote_folder / "config.ini").read_text() == "customer's original"

    asking = asyncio.ensure_future(panel.upload([local]))
    await until(lambda: panel.last_question is not None)
    replace = next(b for b in panel.last_question.buttons() if b.text() == "Replace")
    replace.click()
    (transfer,) = await asking
    await panel.settled()
    assert transfer.state is TransferState.DONE
    assert (remote_folder / "config.ini").read_text() == "new version"


@pytest.mark.asyncio
async def test_without_a_ticket_nothing_can_be_attached_but_the_audit_still_records(
    qtbot, session: RemoteSession, target: Target, remote_folder: Path, tmp_path: Path, demo_context: AppContext
) -> None:  # type: ignore[no-untyped-def]
    panel = TransferPanel(session, target, None)
    qtbot.addWidget(panel)
    assert not panel.attach_box.isEnabled()
    local = tmp_path / "tool.sh"
    local.write_text("#!/bin/sh\necho ok\n")
    await opened(panel, remote_folder)
    (transfer,) = await panel.upload([local])
    await panel.settled()
    assert transfer.state is TransferState.DONE
    with demo_context.database.session() as db:
        actions = db.scalars(select(AuditRecord.action)).all()
    assert any("tool.sh" in action for action in actions)


@pytest.mark.asyncio
async def test_a_transfer_outlives_its_closed_panel_and_is_still_recorded(
    session: RemoteSession, target: Target, ticket_id: int, remote_folder: Path, tmp_path: Path,
    demo_context: AppContext,
) -> None:  # fmt: skip
    # The remote panel replaces its Files page when another host is chosen: what was under way must not crash it
    # nor be lost.
    panel = TransferPanel(session, target, ticket_id)
    local = tmp_path / "dump.bin"
    local.write_bytes(os.urandom(20_000_000))
    await opened(panel, remote_folder)
    (transfer,) = await panel.upload([local])
    everything = asyncio.ensure_future(panel.settled())
    await until(lambda: transfer.state is TransferState.RUNNING)
    shiboken6.delete(panel)
    await everything
    assert transfer.state is TransferState.DONE
    assert (remote_folder / "dump.bin").read_bytes() == local.read_bytes()
    assert [event.data["remote"] for event in file_events(demo_context, ticket_id)] == [str(remote_folder / "dump.bin")]


def test_remote_names_cannot_escape_the_download_folder() -> None:
    assert safe_local_name("../../.bashrc") == ".._.._.bashrc"
    assert safe_local_name("..") == "download"
    assert safe_local_name("a:b?.txt") == "a_b_.txt"
    assert safe_local_name("report.txt") == "report.txt"


def test_a_download_never_takes_a_name_already_used(tmp_path: Path) -> None:
    folder = tmp_path / "new folder"
    assert free_local_path(folder, "app.log", frozenset()) == folder / "app.log" and folder.is_dir()
    (folder / "app.log").write_text("first")
    (folder / "app (1).log.partial").write_text("a download under way")
    taken = frozenset({folder / "app (2).log"})  # promised to a download that has not started writing
    assert free_local_path(folder, "app.log", taken) == folder / "app (3).log"


def test_a_transfer_reports_its_latest_count() -> None:
    transfer = Transfer(Direction.DOWNLOAD, "x", "host:/x", "/tmp/x", size=10)
    assert transfer.total == 10
    transfer.progress(4, 12)
    assert (transfer.latest, transfer.total) == ((4, 12), 12)

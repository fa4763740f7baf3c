"""Files between the laptop and one host: browse the remote side, upload (button or drag and drop), download, and
see every transfer's progress, cancel it, and how it ended.

The bytes move in worker threads (`remote.transfers`: SFTP, or PowerShell over WinRM); each finished transfer is put
on the ticket's timeline, with its SHA-256, and in the audit log (`remote.recording.record_transfer`), a download
attached to the ticket when asked. Transfers to one host run a few at a time: each takes one of the sessions the host
allows per connection.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QMimeData, QStandardPaths, Qt, Signal
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _
from supportstation.remote import transfers as remote_files
from supportstation.remote.results import ConnectError
from supportstation.remote.targets import Target

from ..dialog_future import answer
from .remote_browser import RemoteBrowser
from .session import RemoteSession
from .transfer_list import Direction, Transfer, TransferList, TransferState

if TYPE_CHECKING:
    from supportstation.remote.pool import Connection, ConnectionPool
    from supportstation.remote.transfers import RemoteEntry, TransferResult

log = logging.getLogger(__name__)

PARALLEL_TRANSFERS = 3  # per panel: leaves most of the host's ten sessions to commands and terminals


def default_download_folder() -> Path:
    location = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DownloadLocation)
    return Path(location) if location else Path.home() / "Downloads"


class TransferPanel(QWidget):
    # A transfer was put on the ticket's timeline (or only in the audit log, without a ticket).
    recorded = Signal()
    # A transfer ended, whichever way (the Transfer, in its final state).
    transfer_finished = Signal(object)

    def __init__(
        self, session: RemoteSession, target: Target, ticket_id: int | None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("transferPanel")
        self.session = session
        self.target = target
        self.ticket_id = ticket_id
        self.download_folder = default_download_folder()
        self.load_task: asyncio.Task[Any] | None = None
        self.file_dialog: QFileDialog | None = None  # on screen while the engineer chooses (for tests)
        self.last_question: QMessageBox | None = None
        self._slots = asyncio.Semaphore(PARALLEL_TRANSFERS)
        self._claimed: set[Path] = set()  # local names promised to downloads still running
        self._claim_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self.setAcceptDrops(True)

        self.browser = RemoteBrowser(session, target)
        self.browser.folder_shown.connect(self._update_controls)
        self.browser.files_activated.connect(lambda entries: self._start(self.download(entries)))
        self.browser.view.selectionModel().selectionChanged.connect(self._update_controls)

        self.upload_button = QPushButton(_("Upload…"))
        self.upload_button.setObjectName("uploadFiles")
        self.upload_button.setToolTip(_("Send files from this computer into the folder shown"))
        self.upload_button.clicked.connect(self.choose_uploads)
        self.download_button = QPushButton(_("Download"))
        self.download_button.setObjectName("downloadFiles")
        self.download_button.clicked.connect(lambda: self._start(self.download(self.browser.selected_entries())))
        self.folder_label = QLabel()
        self.folder_label.setObjectName("downloadFolder")
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.folder_button = QPushButton(_("Change…"))
        self.folder_button.setToolTip(_("Choose the folder downloads go to"))
        self.folder_button.clicked.connect(self.choose_download_folder)
        self.attach_box = QCheckBox(_("Attach downloads to the ticket"))
        self.attach_box.setObjectName("attachDownloads")
        if ticket_id is None:
            self.attach_box.setEnabled(False)
            self.attach_box.setToolTip(_("Open the host from a ticket to attach what you download to it."))
        actions = QHBoxLayout()
        actions.addWidget(self.upload_button)
        actions.addWidget(self.download_button)
        actions.addSpacing(12)
        actions.addWidget(self.folder_label, 1)
        actions.addWidget(self.folder_button)
        actions.addWidget(self.attach_box)
        self.drop_hint = QLabel()
        self.drop_hint.setObjectName("dropHint")
        self.drop_hint.setStyleSheet("color: palette(placeholder-text);")

        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.browser, 1)
        top_layout.addLayout(actions)
        top_layout.addWidget(self.drop_hint)
        self.transfers = TransferList()
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.transfers)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)
        self._update_controls()

    # -- starting -----------------------------------------------------------------------------------------------

    def start(self) -> asyncio.Task[Any]:
        """Lists the login's home folder, once; the panel does it itself when first shown."""
        if self.load_task is None:
            self.load_task = self._start(self.browser.go_to(""))
        return self.load_task

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.start()

    @property
    def busy(self) -> bool:
        return any(not transfer.finished for transfer in self.transfers.transfers)

    def cancel_all(self) -> None:
        for transfer in self.transfers.transfers:
            self.transfers.request_cancel(transfer)

    async def settled(self) -> None:
        """Waits until every listing, question and transfer the panel started has ended."""
        while pending := [task for task in self._tasks if not task.done()]:
            await asyncio.wait(pending)
        await self.browser.idle()

    # -- uploading ----------------------------------------------------------------------------------------------

    def choose_uploads(self) -> asyncio.Task[Any]:
        return self._start(self._choose_uploads())

    async def _choose_uploads(self) -> list[Transfer]:
        folder = self.browser.folder
        if folder is None:
            return []
        dialog = QFileDialog(self, _("Upload to {folder}").format(folder=folder.path))
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        self.file_dialog = dialog
        try:
            if await answer(dialog) != QDialog.DialogCode.Accepted:
                return []
            paths = [Path(name) for name in dialog.selectedFiles()]
        finally:
            self.file_dialog = None
            dialog.deleteLater()
        return await self.upload(paths)

    async def upload(self, paths: Sequence[Path]) -> list[Transfer]:
        """Uploads local files into the remote folder shown, after asking before replacing any file there."""
        folder = self.browser.folder
        if folder is None or not paths:
            return []
        present = {entry.name for entry in folder.entries}
        clashes = [path.name for path in paths if path.name in present]
        if clashes and not await self._replace_confirmed(folder.path, clashes):
            return []
        sizes = await asyncio.to_thread(_local_sizes, paths)
        transfers = []
        for path, size in zip(paths, sizes, strict=True):
            remote = folder.child(path.name)
            transfer = Transfer(Direction.UPLOAD, path.name, str(path), f"{self.target.label}:{remote}", size)

            async def send(pool: ConnectionPool, transfer: Transfer = transfer, path: Path = path,
                           remote: str = remote) -> TransferResult:  # fmt: skip
                return await remote_files.upload(
                    pool, self.target, path, remote, progress=transfer.progress, cancel=transfer.cancel
                )

            self._queue(transfer, send, attach=False, into_folder=folder.path)
            transfers.append(transfer)
        return transfers

    async def _replace_confirmed(self, folder: str, names: list[str]) -> bool:
        shown = ", ".join(names[:5]) + (" …" if len(names) > 5 else "")
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _("Replace files on the host?"),
            _(
                "{folder} already has {names}.\n\nUploading replaces them. If an upload is cancelled or fails, the "
                "file that was there is lost as well."
            ).format(folder=folder, names=shown),
            QMessageBox.StandardButton.Cancel,
            self,
        )
        replace = box.addButton(_("Replace"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        self.last_question = box
        try:
            await answer(box)
            return box.clickedButton() is replace
        finally:
            self.last_question = None
            box.deleteLater()

    # -- downloading --------------------------------------------------------------------------------------------

    async def download(self, entries: Sequence[RemoteEntry]) -> list[Transfer]:
        """Downloads remote files into `download_folder`, never over a file already there (`name (1).ext`)."""
        attach = self.attach_box.isChecked() and self.ticket_id is not None
        folder = self.download_folder
        transfers = []
        for entry in entries:
            if entry.is_dir:
                continue  # only files: the button says so by staying disabled for folders
            transfer = Transfer(Direction.DOWNLOAD, entry.name, f"{self.target.label}:{entry.path}",
                                str(folder / entry.name), entry.size)  # fmt: skip

            async def fetch(pool: ConnectionPool, transfer: Transfer = transfer,
                            entry: RemoteEntry = entry) -> TransferResult:  # fmt: skip
                local = await self._claim_local_path(folder, remote_files.safe_local_name(entry.name))
                transfer.destination = str(local)
                try:
                    return await remote_files.download(
                        pool, self.target, entry.path, local, progress=transfer.progress, cancel=transfer.cancel
                    )
                finally:
                    self._claimed.discard(local)

            self._queue(transfer, fetch, attach=attach)
            transfers.append(transfer)
        return transfers

    async def _claim_local_path(self, folder: Path, name: str) -> Path:
        async with self._claim_lock:  # two downloads of the same name must not pick the same free one
            taken = frozenset(self._claimed)
            try:
                local = await asyncio.to_thread(remote_files.free_local_path, folder, name, taken)
            except OSError as error:
                raise remote_files.TransferError(
                    _("Cannot write to {folder}: {reason}").format(folder=folder, reason=error.strerror or error)
                ) from error
            self._claimed.add(local)
            return local

    def choose_download_folder(self) -> asyncio.Task[Any]:
        return self._start(self._choose_download_folder())

    async def _choose_download_folder(self) -> None:
        dialog = QFileDialog(self, _("Folder for downloads"), str(self.download_folder))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        self.file_dialog = dialog
        try:
            if await answer(dialog) == QDialog.DialogCode.Accepted and dialog.selectedFiles():
                self.download_folder = Path(dialog.selectedFiles()[0])
        finally:
            self.file_dialog = None
            dialog.deleteLater()
        self._update_controls()

    # -- running a transfer -------------------------------------------------------------------------------------

    def _queue(
        self,
        transfer: Transfer,
        work: Callable[[ConnectionPool], Awaitable[TransferResult]],
        *,
        attach: bool,
        into_folder: str | None = None,
    ) -> None:
        self.transfers.add(transfer)
        self._start(self._run(transfer, work, attach, into_folder))

    async def _run(
        self,
        transfer: Transfer,
        work: Callable[[ConnectionPool], Awaitable[TransferResult]],
        attach: bool,
        into_folder: str | None,
    ) -> None:
        async with self._slots:
            if transfer.cancel.is_set():  # cancelled while it waited: the list has shown it already
                if shiboken6.isValid(self):
                    self.transfer_finished.emit(transfer)
                return
            transfer.state = TransferState.RUNNING
            transfer.started_at = time.monotonic()
            self._show(transfer)
            result: TransferResult | None = None
            connection: Connection | None = None
            try:
                connection = await self.session.connection(self.target)
                async with connection.session_slots:
                    result = await work(await self.session.pool())
            except remote_files.TransferCancelled:
                transfer.state = TransferState.CANCELLED
            except (remote_files.TransferError, ConnectError) as error:
                transfer.state, transfer.message = TransferState.FAILED, str(error)
            except EOFError:  # paramiko's word for a connection that went away under the transfer
                transfer.state = TransferState.FAILED
                transfer.message = _("The connection to {host} was lost.").format(host=self.target.label)
            except Exception as error:
                log.exception("Transfer of %s failed", transfer.source)
                transfer.state, transfer.message = TransferState.FAILED, str(error) or type(error).__name__
            transfer.ended_at = time.monotonic()
        if result is not None:
            transfer.sha256 = result.sha256
            transfer.latest = (result.size, result.size)
            transfer.state = TransferState.RECORDING
            self._show(transfer)
            transfer.message = await self._record(result, attach, connection)
            transfer.state = TransferState.DONE
        self._show(transfer)
        if not shiboken6.isValid(self):
            return
        self.transfer_finished.emit(transfer)
        shown = self.browser.folder
        if result is not None and into_folder is not None and shown is not None and shown.path == into_folder:
            self.browser.refresh()  # the uploaded file appears where the engineer is looking

    async def _record(self, result: TransferResult, attach: bool, connection: Connection | None) -> str:
        """Puts the transfer on the timeline and in the audit log; returns a note for the row."""
        from supportstation.remote.recording import record_transfer

        try:
            recording = await self.session.recording(self.ticket_id)
            await asyncio.to_thread(record_transfer, recording, result, attach=attach, connection=connection)
        except Exception as error:
            log.exception("A transfer could not be recorded")
            return _("not recorded: {reason}").format(reason=str(error) or type(error).__name__)
        if shiboken6.isValid(self):
            self.recorded.emit()
        return _("attached to the ticket") if attach else ""

    def _show(self, transfer: Transfer) -> None:
        # The panel may have been closed (another host chosen) while a transfer ran: it ends and is recorded anyway.
        if shiboken6.isValid(self.transfers):
            self.transfers.show_state(transfer)

    # -- drag and drop ------------------------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self.browser.folder is not None and _dropped_files(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        paths = _dropped_files(event.mimeData())
        if self.browser.folder is None or not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        self._start(self.upload(paths))

    # -- helpers ------------------------------------------------------------------------------------------------

    def _update_controls(self) -> None:
        folder = self.browser.folder
        self.upload_button.setEnabled(folder is not None)
        files = [entry for entry in self.browser.selected_entries() if not entry.is_dir]
        self.download_button.setEnabled(bool(files))
        self.download_button.setText(
            _("Download ({count})").format(count=len(files)) if len(files) > 1 else _("Download")
        )
        self.folder_label.setText(_("Downloads go to {folder}").format(folder=self.download_folder))
        self.drop_hint.setText(
            _("Drop files here to upload them into {folder}.").format(folder=folder.path) if folder else ""
        )

    def _start(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task


def _dropped_files(mime: QMimeData) -> list[Path]:
    return [Path(url.toLocalFile()) for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []


def _local_sizes(paths: Sequence[Path]) -> list[int]:
    sizes = []
    for path in paths:
        try:
            sizes.append(path.stat().st_size)
        except OSError:
            sizes.append(0)  # the upload itself says why it cannot read the file
    return sizes

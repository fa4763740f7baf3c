"""Awaiting a dialog's answer from a coroutine without a nested event loop (`exec()` would start one and let other
coroutines run inside it, in an order nobody planned)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog, QWidget


async def answer(dialog: QDialog) -> int:
    """Opens the dialog window-modally and returns its result code once the user has closed it."""
    finished: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def done(code: int) -> None:
        if not finished.done():
            finished.set_result(code)

    dialog.finished.connect(done)
    QDialog.open(dialog)  # the base class's: QPrintDialog's own open() takes a receiver and a slot
    try:
        return await finished
    finally:
        dialog.finished.disconnect(done)


async def ask_save_path(
    parent: QWidget,
    title: str,
    suggested: Path,
    file_filter: str,
    suffix: str,
    opened: Callable[[QDialog], object] | None = None,
) -> Path | None:
    """Asks where to save a file, window-modally; None when the user cancels. `opened` gets the dialog once it
    exists (views keep it as `last_dialog`, for tests and screenshots)."""
    dialog = QFileDialog(parent, title, str(suggested), file_filter)
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setDefaultSuffix(suffix)
    if opened is not None:
        opened(dialog)
    accepted = await answer(dialog) == QFileDialog.DialogCode.Accepted
    files = dialog.selectedFiles()
    dialog.deleteLater()
    return Path(files[0]) if accepted and files else None

"""Awaiting a dialog's answer from a coroutine without a nested event loop (`exec()` would start one and let other
coroutines run inside it, in an order nobody planned)."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QDialog


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

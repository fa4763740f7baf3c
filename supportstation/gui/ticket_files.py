"""Tickets in and out of files from the main window: the import dialog and the queue export."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from supportstation.i18n import _

from .dialogs.import_dialog import ImportDialog
from .messages import warn

if TYPE_CHECKING:
    from .main_window import MainWindow


def open_import(window: MainWindow) -> ImportDialog:
    dialog = ImportDialog(window.context, window)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def choose_queue_export(window: MainWindow) -> None:
    excel, plain, json_filter = _("CSV for Excel (*.csv)"), _("CSV (*.csv)"), _("JSON (*.json)")
    path, chosen = QFileDialog.getSaveFileName(
        window, _("Export the queue"), "queue.csv", ";;".join([excel, plain, json_filter])
    )
    if path:
        style = "json" if chosen == json_filter else ("excel" if chosen == excel else "plain")
        window.export_task = asyncio.ensure_future(export_queue(window, Path(path), style))


async def export_queue(window: MainWindow, path: Path, style: str) -> int | None:
    """Writes the whole queue (not just the filtered rows: the file is for another tool to filter)."""
    from supportstation.tickets import exporting

    database = window.context.database
    if database is None:
        return None

    def work() -> int:
        with database.session() as session:
            if style == "json":
                return exporting.export_queue_json(session, path)
            csv_style = exporting.CsvStyle.EXCEL_FR if style == "excel" else exporting.CsvStyle.PLAIN
            return exporting.export_queue_csv(session, path, style=csv_style)

    try:
        count = await asyncio.to_thread(work)
    except OSError as error:
        reason = error.strerror or str(error)
        warn(window, _("Export failed"), _("Cannot write {path}: {reason}").format(path=path, reason=reason))
        return None
    window.statusBar().showMessage(_("{count} tickets exported to {path}.").format(count=count, path=path), 8000)
    return count

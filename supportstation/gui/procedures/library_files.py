"""Importing procedure files and zip archives into the library, and exporting procedures to a zip archive.

An archive is imported whole or not at all (the library checks every file first). A procedure whose id is already
in the library is replaced only when the engineer says so. Files are read and written in worker threads.
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QFileDialog, QMainWindow, QMessageBox, QWidget

from supportstation.i18n import _
from supportstation.procedures.files import ProcedureError, load
from supportstation.procedures.library import Library, LibraryEntry, LibraryError

from ..dialog_future import answer
from ..messages import warn

if TYPE_CHECKING:
    from .procedures_view import ProceduresView


@dataclass
class ImportReport:
    imported: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "file:line: field: message", one per problem
    conflicts: list[Path] = field(default_factory=list)  # files (or archives) with an id the library has


def _import(library: Library, paths: Sequence[Path], replace: bool) -> ImportReport:
    report = ImportReport()
    for path in paths:
        if path.suffix.lower() == ".zip":
            try:
                written, problems = library.import_archive(path, replace=replace)
            except LibraryError as error:
                report.problems.append(str(error))
                continue
            report.imported += written
            # The library says "already exists" as a problem of the id without a line; anything else is broken.
            if problems and all(problem.field == "id" and problem.line is None for problem in problems):
                report.conflicts.append(path)
            else:
                report.problems += [str(problem) for problem in problems]
            continue
        try:
            procedure_id = load(path).procedure.id
        except ProcedureError as error:
            report.problems += [str(problem) for problem in error.problems]
            continue
        if library.path_for(procedure_id).exists() and not replace:
            report.conflicts.append(path)
            continue
        try:
            report.imported.append(library.import_file(path, replace=replace))
        except (LibraryError, OSError) as error:
            report.problems.append(f"{path}: {error}")
    return report


async def choose_import(view: ProceduresView) -> ImportReport | None:
    dialog = QFileDialog(view, _("Import procedures"))
    dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
    dialog.setNameFilters([_("Procedures and archives (*.yaml *.yml *.zip)"), _("All files (*)")])
    view.file_dialog = dialog
    try:
        if await answer(dialog) != QDialog.DialogCode.Accepted:
            return None
        paths = [Path(name) for name in dialog.selectedFiles()]
    finally:
        view.file_dialog = None
        dialog.deleteLater()
    return await import_paths(view, paths)


async def import_paths(view: ProceduresView, paths: Sequence[Path]) -> ImportReport:
    """Imports the files, asks before replacing procedures the library has, then says what happened."""
    library = Library(view.context.paths.procedures_folder, None, [])
    report = await asyncio.to_thread(_import, library, list(paths), False)
    if report.conflicts:
        names = "\n".join(f"• {path.name}" for path in report.conflicts[:8])
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Replace procedures?"),
            _("Your library already has procedures with the ids of these files:") + "\n" + names,
            QMessageBox.StandardButton.Cancel,
            view,
        )
        replace = box.addButton(_("Replace"), QMessageBox.ButtonRole.DestructiveRole)
        box.addButton(_("Skip them"), QMessageBox.ButtonRole.RejectRole)
        view.question = box
        await answer(box)
        view.question = None
        if box.clickedButton() is replace:
            again = await asyncio.to_thread(_import, library, report.conflicts, True)
            report.imported += again.imported
            report.problems += again.problems
            report.conflicts = again.conflicts
    view.last_import = report  # type: ignore[attr-defined]
    if report.imported:
        await view.refresh()
        view.page.select_path(report.imported[0])
    _tell(view, report)
    return report


def _tell(view: ProceduresView, report: ImportReport) -> None:
    imported = ", ".join(path.stem for path in report.imported)
    if not report.problems:
        if report.imported:
            status(view, _("Imported {count} procedures: {names}").format(count=len(report.imported), names=imported))
        return
    text = (
        _("Imported {count} procedures: {names}.").format(count=len(report.imported), names=imported)
        if report.imported
        else _("Nothing was imported.")
    )
    text += " " + _("An archive with a broken file is not imported at all; fix the files and import again.")
    box = QMessageBox(QMessageBox.Icon.Warning, _("Import problems"), text, QMessageBox.StandardButton.Ok, view)
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText("<br>".join(html.escape(problem) for problem in report.problems[:12]))
    if len(report.problems) > 12:
        box.setDetailedText("\n".join(report.problems))
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    view.question = box
    box.finished.connect(lambda _result: setattr(view, "question", None))
    box.open()


async def choose_export(view: ProceduresView, entries: Sequence[LibraryEntry]) -> Path | None:
    entries = [entry for entry in entries if entry.valid]
    if not entries:
        return None
    name = f"{entries[0].id}.zip" if len(entries) == 1 else "procedures.zip"
    dialog = QFileDialog(view, _("Export procedures"), str(Path.home() / name))
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilters([_("Zip archives (*.zip)")])
    dialog.setDefaultSuffix("zip")
    view.file_dialog = dialog
    try:
        if await answer(dialog) != QDialog.DialogCode.Accepted:
            return None
        destination = Path(dialog.selectedFiles()[0])
    finally:
        view.file_dialog = None
        dialog.deleteLater()
    return await export_to(view, entries, destination)


async def export_to(view: ProceduresView, entries: Sequence[LibraryEntry], destination: Path) -> Path | None:
    library = Library(view.context.paths.procedures_folder, None, [])
    try:
        count = await asyncio.to_thread(library.export_archive, entries, destination)
    except OSError as error:
        warn(view, _("Not exported"), _("{file} could not be written: {error}").format(file=destination, error=error))
        return None
    status(view, _("Exported {count} procedures to {file}").format(count=count, file=destination))
    return destination


def status(widget: QWidget, text: str) -> None:
    """A short message in the window's status bar (there is none in a lone test widget)."""
    window = widget.window()
    if isinstance(window, QMainWindow):
        window.statusBar().showMessage(text, 8000)
    widget.setProperty("last_status", text)

"""Saving an edited procedure into the engineer's library, and asking about unsaved changes before closing.

A procedure is always saved into the library folder, named after its id: a starter's or a plugin's becomes the
engineer's own copy (used instead of the shipped one). Nothing is written while the procedure has problems.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QMessageBox

from supportstation.i18n import _
from supportstation.procedures import editing
from supportstation.procedures.files import ProcedureError
from supportstation.procedures.library import USER, Library, LibraryError, Origin

from ..dialog_future import answer
from ..messages import warn

if TYPE_CHECKING:
    from .editor import ProcedureEditor


Buttons = list[tuple[str, QMessageBox.ButtonRole]]


async def _ask(editor: ProcedureEditor, title: str, text: str, details: str, buttons: Buttons) -> int:
    """The index of the button chosen, or -1 for Cancel (or Escape)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, QMessageBox.StandardButton.Cancel, editor)
    box.setInformativeText(details)
    added = [box.addButton(label, role) for label, role in buttons]
    box.setDefaultButton(added[0])
    editor.question = box
    try:
        await answer(box)
    finally:
        editor.question = None
        box.deleteLater()
    clicked = box.clickedButton()
    return added.index(clicked) if clicked in added else -1  # type: ignore[arg-type]


async def save_editor(editor: ProcedureEditor) -> Path | None:
    """Writes the editor's text into the library; the path, or None when it was not saved (and says why)."""
    text = editor.text
    checked = await asyncio.to_thread(editing.check, text, str(editor.path or "<editor>"))
    if checked.procedure is None:
        editor._apply_checked(checked, origin="source" if checked.data is not None else "form")
        details = "\n".join(str(problem) for problem in checked.problems[:8])
        warn(
            editor,
            _("Not saved"),
            _("The procedure has {count} problems: fix them first (click one to go to its line).").format(
                count=len(checked.problems)
            ),
            details,
        )
        return None
    library = Library(editor.context.paths.procedures_folder, None, [])
    target = library.path_for(checked.procedure.id)
    own_file = editor.path is not None and editor.origin is not None and editor.origin.kind == USER
    same_file = own_file and editor.path is not None and editor.path.resolve() == target.resolve()
    replace = same_file
    if not same_file and await asyncio.to_thread(target.exists):
        choice = await _ask(
            editor,
            _("Replace a procedure?"),
            _("Your library already has a procedure with the id {id} ({file}).").format(
                id=checked.procedure.id, file=target.name
            ),
            _("Replace it with this one, or cancel and change the id."),
            [(_("Replace"), QMessageBox.ButtonRole.DestructiveRole)],
        )
        if choice != 0:
            return None
        replace = True
    try:
        path = await asyncio.to_thread(library.save_text, text, replace=replace)
    except (LibraryError, ProcedureError, OSError) as error:
        warn(editor, _("Not saved"), _("The procedure could not be written: {error}").format(error=error))
        return None
    old = editor.path if own_file and not same_file else None
    editor.path, editor.origin = path, Origin(USER)
    editor.stack.setClean()
    editor._show_origin()
    editor.saved.emit(path)
    if old is not None and await asyncio.to_thread(old.exists):
        choice = await _ask(
            editor,
            _("Remove the old file?"),
            _("The procedure was saved as {new}: files in your library are named after the id.").format(new=path.name),
            _("Remove the file it was opened from, {old}, from your library?").format(old=old.name),
            [
                (_("Remove the old file"), QMessageBox.ButtonRole.DestructiveRole),
                (_("Keep both"), QMessageBox.ButtonRole.AcceptRole),
            ],
        )
        if choice == 0:
            await asyncio.to_thread(old.unlink, missing_ok=True)
            editor.saved.emit(path)
    return path


async def confirm_close(editor: ProcedureEditor) -> bool:
    if not editor.is_modified():
        return True
    editor.flush()
    editor.commit_source()
    choice = await _ask(
        editor,
        _("Unsaved changes"),
        _("Save the changes to {title}?").format(title=editor.title()),
        _("Closing without saving loses them."),
        [(_("Save"), QMessageBox.ButtonRole.AcceptRole), (_("Discard"), QMessageBox.ButtonRole.DestructiveRole)],
    )
    if choice == 0:
        return await editor.save() is not None
    return choice == 1

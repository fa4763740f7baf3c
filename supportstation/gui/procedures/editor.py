"""The procedure editor: a form (header, parameters, steps), the YAML source kept in step with it both ways, live
validation, one undo history for both, a dry run, and saving into the engineer's library.

The YAML text is the source of truth. A change in the form is applied to the last document that read (comments
kept), written back to text and recorded for undo; a change in the source is read back in a worker thread, then the
form follows. A source that does not read as YAML leaves the form as it was, disabled, and says why: nothing typed is
lost, and undo brings back any earlier version.
"""

from __future__ import annotations

import asyncio
import html
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QLabel, QTabWidget, QVBoxLayout, QWidget
from ruamel.yaml.comments import CommentedMap

from supportstation import i18n
from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.plugin_api.actions import Action
from supportstation.procedures import editing
from supportstation.procedures.editing import Checked
from supportstation.procedures.library import USER, Origin
from supportstation.procedures.model import Procedure

from ..remote.action_library import Translate, app_translation
from .editor_form import FormTab
from .editor_history import TextChange
from .editor_saving import confirm_close, save_editor
from .fields import Edit, UndoKeys
from .preview_page import PreviewPage, inventory_targets
from .source_page import ProblemsPanel, SourceEdit
from .tasks import cancel_all, start

log = logging.getLogger(__name__)

FORM_DELAY_MS = 80  # typing in a field: one YAML rewrite per pause, not per letter
SOURCE_DELAY_MS = 350  # typing in the source: read it back once the engineer pauses


class ProcedureEditor(QWidget):
    saved = Signal(object)  # the path written
    title_changed = Signal()
    modified_changed = Signal(bool)

    def __init__(
        self,
        context: AppContext,
        checked: Checked,
        *,
        path: Path | None = None,
        origin: Origin | None = None,
        actions: list[Action] | None = None,
        translate: Translate = app_translation,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.path = path
        self.origin = origin
        self.text = checked.text
        self.data: CommentedMap = checked.data if checked.data is not None else CommentedMap()  # empty until it reads
        self.checked = checked
        self.procedure: Procedure | None = checked.procedure
        self.actions = list(actions or [])
        self.translate = translate  # the plugins' words (action titles…) in the interface's language
        self.stack = QUndoStack(self)
        self.keys = UndoKeys(self)
        self._pending: tuple[str, object, str] | None = None  # text before, merge key, label of a form change
        self._generation = 0
        self._stale = False  # the form shows an older document than the text (being read back, or broken)
        self.check_task: asyncio.Task[Any] | None = None
        self.hosts_task: asyncio.Task[Any] | None = None
        self.save_task: asyncio.Task[Any] | None = None
        self.question: Any = None  # for tests: the message box on screen

        self.heading = QLabel()
        self.heading.setObjectName("editorHeading")
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        self.where = QLabel()
        self.where.setObjectName("editorOrigin")
        self.where.setWordWrap(True)
        self.where.setTextFormat(Qt.TextFormat.PlainText)
        self.where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.banner = QLabel()
        self.banner.setObjectName("yamlBanner")
        self.banner.setWordWrap(True)
        self.banner.setTextFormat(Qt.TextFormat.PlainText)
        self.banner.setStyleSheet("background: #fdecea; color: #7a1a12; padding: 6px; border-radius: 3px;")
        self.banner.hide()

        self.form = FormTab(self.keys)
        self.form.edited.connect(self.apply_edit)
        self.form.outline.steps.move_requested.connect(self.move_step)
        self.form.outline.steps.remove_requested.connect(self.remove_step)
        self.form.outline.add_requested.connect(self.add_step)
        self.form.outline.duplicate_requested.connect(self.duplicate_step)
        self.source = SourceEdit()
        self.source.setPlainText(self.text)
        self.source.textChanged.connect(self._source_typed)
        self.source.installEventFilter(self.keys)
        self.keys.undo.connect(self.undo)
        self.keys.redo.connect(self.redo)
        self.preview = PreviewPage()
        self.preview.hosts_wanted.connect(lambda: self._track(self.load_hosts(), "hosts"))
        self.tabs = QTabWidget()
        self.tabs.setObjectName("editorTabs")
        self.tabs.addTab(self.form, _("F&orm"))  # Alt+F opens the File menu
        self.tabs.addTab(self.source, _("&YAML source"))
        self.tabs.addTab(self.preview, _("&Dry run"))
        self.tabs.currentChanged.connect(self._tab_changed)
        self.problems = ProblemsPanel()
        self.problems.line_requested.connect(self.go_to_line)

        self.save_action = self._action(_("Save"), _("Save into your library (Ctrl+S)"), QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(lambda: self._track(self.save(), "save"))
        self.undo_action = self._action(_("Undo"), _("Undo (Ctrl+Z)"), QKeySequence.StandardKey.Undo)
        self.undo_action.triggered.connect(self.undo)
        self.redo_action = self._action(_("Redo"), _("Redo (Ctrl+Shift+Z)"), QKeySequence.StandardKey.Redo)
        self.redo_action.setShortcuts([QKeySequence(QKeySequence.StandardKey.Redo), QKeySequence("Ctrl+Shift+Z")])
        self.redo_action.triggered.connect(self.redo)
        self.add_step_action = self._action(_("Add a step"), "", QKeySequence("Ctrl+Shift+N"))
        self.add_step_action.triggered.connect(self.form.outline.add_button.showMenu)
        self.stack.canUndoChanged.connect(self.undo_action.setEnabled)
        self.stack.canRedoChanged.connect(self.redo_action.setEnabled)
        self.stack.undoTextChanged.connect(
            lambda text: self.undo_action.setToolTip(_("Undo: {what}").format(what=text))
        )
        self.stack.redoTextChanged.connect(
            lambda text: self.redo_action.setToolTip(_("Redo: {what}").format(what=text))
        )
        self.stack.cleanChanged.connect(self._clean_changed)
        self.undo_action.setEnabled(False)
        self.redo_action.setEnabled(False)

        self._form_timer = QTimer(self, singleShot=True, interval=FORM_DELAY_MS, timeout=self.flush)
        self._source_timer = QTimer(self, singleShot=True, interval=SOURCE_DELAY_MS, timeout=self.commit_source)

        from .editor_form import toolbar

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(toolbar(self))
        layout.addWidget(self.where)
        layout.addWidget(self.banner)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.problems)
        self.form.set_actions(self.actions, self.translate)
        self._apply_checked(checked, origin="load")
        self._show_origin()

    def _clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean)

    def _action(self, text: str, tip: str, shortcut: Any) -> QAction:
        action = QAction(text, self)
        action.setToolTip(tip or text)
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(action)
        return action

    def _track(self, coroutine: Any, name: str = "") -> asyncio.Task[Any] | None:
        return start(self, coroutine, name, failure=_("The procedure editor failed"))

    # -- what is shown ----------------------------------------------------------------------------------------------

    def title(self) -> str:
        title = editing.describe_step({"title": self.data.get("title"), "id": self.data.get("id")}, i18n.current())
        return title if title != "?" else _("New procedure")

    def is_modified(self) -> bool:
        return not self.stack.isClean() or self._pending is not None or self._source_timer.isActive()

    def _show_origin(self) -> None:
        self.heading.setText(f"<b style='font-size:13pt'>{html.escape(self.title())}</b>")
        kind = self.origin.kind if self.origin is not None else ""
        if self.path is None:
            where = _("New procedure: saving writes it into your library ({folder}).").format(
                folder=self.context.paths.procedures_folder
            )
        elif kind == USER:
            where = _("In your library: {path}").format(path=self.path)
        else:
            where = _(
                "From the {origin} (read-only: saving writes your own copy into your library, used instead of "
                "this one): {path}"
            ).format(origin=self.origin.label() if self.origin else "", path=self.path)
        self.where.setText(where)
        self.title_changed.emit()

    def _apply_checked(self, checked: Checked, origin: str) -> None:
        self.checked = checked
        if checked.procedure is not None:
            self.procedure = checked.procedure
        self.problems.show_problems(checked.problems)
        self.source.mark_problems([problem.line for problem in checked.problems if problem.line])
        if checked.data is None:
            first = checked.problems[0] if checked.problems else None
            where = _("line {line}").format(line=first.line) if first and first.line else ""
            self.banner.setText(
                "⚠ "
                + _(
                    "The YAML source does not read ({where}: {message}). The form shows the last version that "
                    "did and is locked until the source reads again; fix it there, or undo (Ctrl+Z)."
                ).format(where=where, message=first.message if first else "")
            )
            self.banner.show()
            self.form.setEnabled(False)
            self._stale = True
        else:
            self.banner.hide()
            if origin != "form":
                self.data = checked.data
                self.form.load(self.data)
            else:
                self.form.refresh(self.data)
            self.form.mark_problems(checked.problems)
            self.form.setEnabled(True)
            self._stale = False
        self.preview.set_procedure(self.procedure, stale=checked.procedure is None)
        self._show_origin()

    # -- changes from the form --------------------------------------------------------------------------------------

    def apply_edit(self, edit: Edit) -> None:
        if self._stale:
            return  # the form is locked while the source does not read; a late keystroke must not overwrite it
        if self._pending is not None and self._pending[1] != edit.merge_key:
            self.flush()
        if self._pending is None:
            self._pending = (self.text, edit.merge_key, edit.label)
        try:
            edit.apply(self.data)
        except editing.EditingError as error:
            from ..messages import warn

            warn(self, _("This change cannot be made in the form"), str(error))
        if edit.merge_key is None:
            self.flush()
            self.form.load(self.data)
        else:
            self._form_timer.start()
            self.modified_changed.emit(True)

    def flush(self) -> None:
        """Writes the form's pending change into the YAML text, and records it for undo."""
        self._form_timer.stop()
        if self._pending is None:
            return
        before, merge_key, label = self._pending
        self._pending = None
        text = editing.to_text(self.data)
        if text == before:
            return
        self.text = text
        self.source.replace_text(text)
        self.stack.push(TextChange(self, before, text, label, merge_key))
        self._check(origin="form")

    def add_step(self, kind: str) -> None:
        after = self.form.current_step()
        action_id = self.actions[0].id if self.actions and kind == "action" else ""
        self._structural(_("Add a step"), lambda data: editing.add_step(data, kind, after, action_id=action_id))

    def remove_step(self, row: int) -> None:
        self._structural(_("Remove a step"), lambda data: editing.remove_step(data, row), select=max(0, row - 1))

    def move_step(self, row: int, to: int) -> None:
        self._structural(_("Move a step"), lambda data: editing.move_step(data, row, to))

    def duplicate_step(self, row: int) -> None:
        self._structural(_("Duplicate a step"), lambda data: editing.duplicate_step(data, row))

    def _structural(self, label: str, operation: Any, select: int | None = None) -> None:
        result: list[Any] = []
        self.apply_edit(Edit(label, lambda data: result.append(operation(data))))
        row = result[0] if result and isinstance(result[0], int) else select
        if row is not None and editing.steps_of(self.data):
            self.form.select_step(min(row, len(editing.steps_of(self.data)) - 1))
            self.form.outline.steps.setFocus()

    # -- changes from the source ------------------------------------------------------------------------------------

    def _source_typed(self) -> None:
        if not self.source.setting:
            self._source_timer.start()
            self.modified_changed.emit(True)

    def commit_source(self) -> None:
        self._source_timer.stop()
        text = self.source.toPlainText()
        if text == self.text:
            return
        self.flush()
        before, self.text = self.text, text
        self.stack.push(TextChange(self, before, text, _("Edit the YAML source"), "source"))
        self._stale = True
        self._check(origin="source")

    def show_text(self, text: str) -> None:
        """Undo and redo: the text of another version, and the form read back from it."""
        self._pending = None
        self._form_timer.stop()
        self.text = text
        self.source.replace_text(text)
        self._stale = True
        self._check(origin="undo")

    def _check(self, origin: str) -> None:
        self._generation += 1
        self.problems.show_problems(self.checked.problems, stale=True)
        self.check_task = self._track(self._read_back(self.text, self._generation, origin))

    async def _read_back(self, text: str, generation: int, origin: str) -> None:
        name = str(self.path) if self.path else "<editor>"
        checked = await asyncio.to_thread(editing.check, text, name)
        if generation == self._generation:  # a newer change is being read: it will show
            self._apply_checked(checked, origin)

    async def settled(self) -> None:
        """For tests and saving: every pending change written and read back."""
        self.flush()
        self.commit_source()
        while self.check_task is not None and not self.check_task.done():
            await self.check_task

    # -- undo, navigation -------------------------------------------------------------------------------------------

    def undo(self) -> None:
        self.flush()
        self.commit_source()
        self.stack.undo()

    def redo(self) -> None:
        self.flush()
        self.commit_source()
        self.stack.redo()

    def go_to_line(self, line: int) -> None:
        self.tabs.setCurrentWidget(self.source)
        self.source.go_to(line)
        self.source.setFocus()

    def _tab_changed(self, _index: int) -> None:
        self.flush()
        self.commit_source()

    def set_actions(self, actions: list[Action]) -> None:
        self.actions = list(actions)
        self.form.set_actions(self.actions, self.translate)
        if not self._stale:
            self.form.load(self.data)

    async def load_hosts(self) -> None:
        """The inventory's hosts for the dry run, read in a worker thread."""
        if self.context.database is None:
            self.preview.hosts_asked = False  # asked again when the page shows next, once the database is open
            return
        self.preview.set_hosts(await asyncio.to_thread(inventory_targets, self.context.database))

    # -- saving and closing -----------------------------------------------------------------------------------------

    async def save(self) -> Path | None:
        await self.settled()
        return await save_editor(self)

    def dispose(self) -> None:
        """Before the editor goes: its reading and saving stop, so nothing touches the closed widgets."""
        self._form_timer.stop()
        self._source_timer.stop()
        cancel_all(self)

    async def confirm_close(self) -> bool:
        """Whether the editor may close: unchanged, saved now, or its changes discarded by the engineer."""
        return await confirm_close(self)

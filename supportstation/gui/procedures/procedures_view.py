"""The Procedures page of the window: the library, and one closable tab per procedure being edited.

Reading the library, the files and the archives happens in worker threads. An editor with unsaved changes is asked
about when its tab closes, and when the window closes.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QMessageBox, QTabWidget, QWidget

from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.procedures import editing
from supportstation.procedures.files import ProcedureError, read_text
from supportstation.procedures.library import USER, Library, LibraryEntry, LibraryError, Origin, open_library

from ..dialog_future import answer
from ..messages import warn
from ..remote.action_library import app_translation
from .editor import ProcedureEditor
from .library_files import choose_export, choose_import, import_paths
from .library_page import LibraryPage
from .tasks import start

if TYPE_CHECKING:
    from ..remote.session import RemoteSession

log = logging.getLogger(__name__)


class ProceduresView(QTabWidget):
    def __init__(self, context: AppContext, remote: RemoteSession | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.remote = remote
        self.library: Library | None = None
        self.refresh_task: asyncio.Task[Any] | None = None
        self.open_task: asyncio.Task[Any] | None = None
        self.import_task: asyncio.Task[Any] | None = None
        self.close_task: asyncio.Task[Any] | None = None
        self._window_watched: QWidget | None = None
        self._may_close_window = False
        self.question: Any = None  # for tests: the message box on screen
        self.file_dialog: Any = None
        self.setObjectName("procedureTabs")
        self.setMinimumWidth(400)  # like the other pages: the window must fit a small laptop beside the navigation
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.page = LibraryPage()
        self.addTab(self.page, _("Library"))
        self.tabBar().setTabButton(0, self.tabBar().ButtonPosition.RightSide, None)
        self.tabCloseRequested.connect(lambda index: self._track(self.close_editor(index), "close"))

        page = self.page
        page.new_action.triggered.connect(self.new_procedure)
        page.open_action.triggered.connect(lambda: self._with_selection(self.open_entry))
        page.duplicate_action.triggered.connect(lambda: self._with_selection(self.duplicate))
        page.import_action.triggered.connect(lambda: self._track(choose_import(self), "import"))
        page.export_action.triggered.connect(lambda: self._track(choose_export(self, page.selected_entries())))
        page.delete_action.triggered.connect(lambda: self._track(self.delete(page.selected_entries())))
        page.reveal_action.triggered.connect(self.reveal)
        page.refresh_action.triggered.connect(self.request_refresh)
        if remote is not None:
            remote.actions_loaded.connect(self._actions_loaded)
        close = QAction(_("Close the procedure"), self)
        close.setShortcut(QKeySequence(QKeySequence.StandardKey.Close))
        close.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        close.triggered.connect(self._close_current)
        self.addAction(close)

    # -- tasks ------------------------------------------------------------------------------------------------------

    def _track(self, coroutine: Any, name: str = "") -> asyncio.Task[Any] | None:
        return start(self, coroutine, name, failure=_("The procedures could not be handled"))

    def showEvent(self, event: Any) -> None:
        super().showEvent(event)
        window = self.window()
        if window is not self and self._window_watched is not window:
            window.installEventFilter(self)
            self._window_watched = window
        if self.library is None and self.refresh_task is None:
            self.request_refresh()

    def request_refresh(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a script without an event loop (the screenshots): read the few files here
            self._show_library(open_library(self.context.paths, self.remote.registry if self.remote else None))
            return
        self._track(self.refresh(), "refresh")

    def _show_library(self, library: Library) -> None:
        self.library = library
        self.page.set_entries(library.entries)

    def _actions_loaded(self) -> None:
        actions = self.remote.actions if self.remote is not None else []
        for editor in self.editors():
            editor.set_actions(actions)
        if self.library is not None:  # the plugins' procedures join the list
            self.request_refresh()

    async def refresh(self) -> Library | None:
        """Reads the library (the engineer's folder, plugins, starters) in a worker thread."""
        registry = self.remote.registry if self.remote is not None else None
        try:
            library = await asyncio.to_thread(open_library, self.context.paths, registry)
        except Exception as error:  # a folder that cannot be read: say so, keep the window working
            log.exception("Reading the procedure library failed")
            self.page.show_unavailable(str(error))
            return None
        self._show_library(library)
        return library

    def _with_selection(self, call: Any) -> None:
        selected = self.page.selected_entries()
        if len(selected) == 1:
            self._track(call(selected[0]), "open")

    # -- editors ----------------------------------------------------------------------------------------------------

    def editors(self) -> list[ProcedureEditor]:
        return [w for i in range(1, self.count()) if isinstance(w := self.widget(i), ProcedureEditor)]

    def _add_editor(self, checked: editing.Checked, path: Path | None, origin: Origin | None) -> ProcedureEditor:
        actions = self.remote.actions if self.remote is not None else []
        translate = self.remote.plugin_text if self.remote is not None else app_translation
        editor = ProcedureEditor(self.context, checked, path=path, origin=origin, actions=actions, translate=translate)
        self.addTab(editor, editor.title())
        editor.title_changed.connect(lambda e=editor: self._name_tab(e))
        editor.modified_changed.connect(lambda _modified, e=editor: self._name_tab(e))
        editor.saved.connect(lambda _path: self.request_refresh())
        self.setCurrentWidget(editor)
        self._name_tab(editor)
        first = editor.form.header_page.first_field()
        if first is not None:
            first.setFocus()
        return editor

    def _name_tab(self, editor: ProcedureEditor) -> None:
        index = self.indexOf(editor)
        if index > 0:
            self.setTabText(index, editor.title() + (" •" if editor.is_modified() else ""))
            self.setTabToolTip(index, str(editor.path) if editor.path else _("Not saved yet"))

    async def open_entry(self, entry: LibraryEntry) -> ProcedureEditor | None:
        """The entry in an editor (the open one when there is one); its text is read in a worker thread."""
        for editor in self.editors():
            if editor.path is not None and editor.path == entry.path:
                self.setCurrentWidget(editor)
                return editor

        def read() -> editing.Checked:
            return editing.check(read_text(entry.path), str(entry.path))

        try:
            checked = await asyncio.to_thread(read)
        except ProcedureError as error:
            warn(self, _("The procedure cannot be opened"), "\n".join(str(p) for p in error.problems))
            return None
        return self._add_editor(checked, entry.path, entry.origin)

    def new_procedure(self) -> ProcedureEditor:
        taken = [entry.id for entry in self.page.entries] + [str(e.data.get("id")) for e in self.editors()]
        text = editing.to_text(editing.new_procedure(editing.free_id("my.procedure", taken)))
        return self._add_editor(editing.check(text), None, None)

    async def duplicate(self, entry: LibraryEntry) -> ProcedureEditor | None:
        """A shipped procedure copied as it is into the library (the copy then replaces it); one of the
        engineer's own copied under a new id. The copy opens in the editor."""
        library = Library(self.context.paths.procedures_folder, None, [])
        if entry.origin.kind != USER:
            target = library.path_for(entry.id)
            replace = False
            if await asyncio.to_thread(target.exists):
                box = QMessageBox(
                    QMessageBox.Icon.Question,
                    _("Duplicate"),
                    _("Your library already has a procedure with the id {id}.").format(id=entry.id),
                    QMessageBox.StandardButton.Cancel,
                    self,
                )
                box.setInformativeText(_("Replace your copy with the shipped one, or open yours?"))
                replace_button = box.addButton(_("Replace"), QMessageBox.ButtonRole.DestructiveRole)
                open_button = box.addButton(_("Open mine"), QMessageBox.ButtonRole.AcceptRole)
                self.question = box
                await answer(box)
                self.question = None
                if box.clickedButton() is open_button:
                    return await self._open_path(target)
                if box.clickedButton() is not replace_button:
                    return None
                replace = True
            try:
                path = await asyncio.to_thread(library.import_file, entry.path, replace=replace)
            except (LibraryError, OSError) as error:
                warn(self, _("Not duplicated"), str(error))
                return None
        else:
            assert entry.document is not None
            taken = [e.id for e in self.page.entries]
            text = editing.to_text(editing.duplicate(entry.document.data, editing.free_id(entry.id, taken)))
            try:
                path = await asyncio.to_thread(library.save_text, text)
            except (LibraryError, ProcedureError, OSError) as error:
                warn(self, _("Not duplicated"), str(error))
                return None
        await self.refresh()
        self.page.select_path(path)
        return await self._open_path(path)

    async def _open_path(self, path: Path) -> ProcedureEditor | None:
        entry = next((e for e in self.page.entries if e.path == path), None)
        if entry is None:
            entry = LibraryEntry(path, Origin(USER))
        return await self.open_entry(entry)

    async def delete(self, entries: list[LibraryEntry]) -> int:
        mine = [entry for entry in entries if entry.origin.kind == USER]
        if not mine or self.library is None:
            return 0
        names = "\n".join(f"• {entry.title(_language())} ({entry.path.name})" for entry in mine[:8])
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _("Delete procedures"),
            _("Delete these {count} procedures from your library?").format(count=len(mine)) + "\n" + names,
            QMessageBox.StandardButton.Cancel,
            self,
        )
        delete = box.addButton(_("Delete"), QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        if any(self.page.replaces.get(entry.id) for entry in mine):
            box.setInformativeText(_("The shipped version of a procedure you adapted is used again."))
        self.question = box
        await answer(box)
        self.question = None
        if box.clickedButton() is not delete:
            return 0
        library = self.library
        for entry in mine:
            await asyncio.to_thread(library.delete, entry)
        await self.refresh()
        return len(mine)

    def reveal(self) -> None:
        selected = self.page.selected_entries()
        folder = selected[0].path.parent if selected else self.context.paths.procedures_folder
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    async def import_files(self, paths: list[Path]) -> Any:
        return await import_paths(self, paths)

    # -- closing ----------------------------------------------------------------------------------------------------

    async def close_editor(self, index: int) -> bool:
        editor = self.widget(index)
        if not isinstance(editor, ProcedureEditor):
            return False
        if not await editor.confirm_close():
            return False
        self.removeTab(self.indexOf(editor))
        editor.dispose()
        editor.deleteLater()
        return True

    def _close_current(self) -> None:
        if self.currentIndex() > 0:
            self.tabCloseRequested.emit(self.currentIndex())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        closing = watched is self._window_watched and event.type() == QEvent.Type.Close
        if closing and not self._may_close_window and any(editor.is_modified() for editor in self.editors()):
            event.ignore()
            self._track(self._close_window(), "close")
            return True
        return False

    async def _close_window(self) -> None:
        """Asks about each editor with unsaved changes; closes the window when none is left unsaved."""
        for editor in self.editors():
            if editor.is_modified():
                self.setCurrentWidget(editor)
                if not await editor.confirm_close():
                    return
        self._may_close_window = True
        try:
            if self._window_watched is not None:
                self._window_watched.close()
        finally:
            self._may_close_window = False


def _language() -> str:
    from supportstation import i18n

    return i18n.current()

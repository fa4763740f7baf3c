"""The Plugins page: every plugin found (loaded, disabled or failed), why a failed one was left out (its traceback),
turning plugins on or off for the next start, and installing one from a project folder.

The plugins are those the window's remote session loaded (in a worker thread, see `RemoteSession.load_actions`);
this view only reads them. An install runs pip in a worker thread: the window stays responsive meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QFontDatabase
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from supportstation import plugin_folders
from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.plugins import PluginInfo
from supportstation.settings import Settings

from ..dialog_future import answer
from ..messages import warn
from ..remote.session import RemoteSession
from ..table_model import RowsTableModel
from .loading import MessageTable
from .plugin_rows import COLUMN_WIDTHS, details_text, plugin_columns

log = logging.getLogger(__name__)


class PluginsView(QWidget):
    def __init__(
        self,
        context: AppContext,
        remote: RemoteSession,
        save_settings: Callable[[Settings], None],
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.context = context
        self.remote = remote
        self._save_settings = save_settings
        self.plugins: list[PluginInfo] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.last_dialog: QWidget | None = None  # the latest dialog or message box, for tests and screenshots

        heading = QLabel("<h2>" + _("Plugins") + "</h2>")
        self.note = QLabel(
            _(
                "Plugins bring actions, procedures and transports for vendors' gear. Enabling or disabling one takes "
                "effect at the next start of SupportStation."
            )
        )
        self.note.setWordWrap(True)
        self.folder_label = QLabel(
            _("User plugins folder: {folder}").format(folder=context.paths.plugins_folder.as_posix())
        )
        self.folder_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.activity = QLabel()
        self.activity.setObjectName("pluginsActivity")
        self.activity.setWordWrap(True)

        self.enable_button = QPushButton(_("Enable"))
        self.enable_button.setToolTip(_("Load the selected plugin again from the next start"))
        self.enable_button.clicked.connect(lambda: self.set_enabled(True))
        self.disable_button = QPushButton(_("Disable"))
        self.disable_button.setToolTip(_("Do not load the selected plugin (not even import it) from the next start"))
        self.disable_button.clicked.connect(lambda: self.set_enabled(False))
        self.install_button = QPushButton(_("Install from folder…"))
        self.install_button.setToolTip(_("Install a plugin project folder into the user plugins folder (with pip)"))
        self.install_button.clicked.connect(lambda: self._run(self.choose_and_install()))
        self.open_folder_button = QPushButton(_("Open the plugins folder"))
        self.open_folder_button.clicked.connect(self._open_folder)
        buttons = QHBoxLayout()
        for button in (self.enable_button, self.disable_button, self.install_button, self.open_folder_button):
            buttons.addWidget(button)
        buttons.addSpacing(12)
        buttons.addWidget(self.activity, 1)

        self.model: RowsTableModel[PluginInfo] = RowsTableModel(
            plugin_columns(lambda: self.context.settings.disabled_plugins), self
        )
        self.rows = MessageTable()
        table = self.rows.table
        table.setObjectName("pluginsTable")
        table.setModel(self.model)
        for column, width in enumerate(COLUMN_WIDTHS):
            table.setColumnWidth(column, width)
        table.selectionModel().selectionChanged.connect(self._show_selected)
        self.details = QPlainTextEdit()
        self.details.setObjectName("pluginDetails")
        self.details.setReadOnly(True)
        self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)  # a traceback keeps its layout
        self.details.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.details.setPlaceholderText(_("Select a plugin to see its details and, if it failed, why."))
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.rows)
        splitter.addWidget(self.details)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(heading)
        layout.addWidget(self.note)
        layout.addWidget(self.folder_label)
        layout.addLayout(buttons)
        layout.addWidget(splitter, 1)

        self.rows.show_message(_("Loading the plugins…"))
        remote.actions_loaded.connect(self.reload_soon)
        if remote.registry is not None:  # loaded before this page was first shown
            self.reload_soon()
        self._update_buttons()

    def _run(self, work: Coroutine[Any, Any, object]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- rows -------------------------------------------------------------------------------------------------------

    def reload_soon(self) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop runs yet (a test without one)
        self._run(self.reload())

    async def reload(self) -> None:
        registry = self.remote.registry
        if registry is None:
            return
        # Counting a plugin's procedures reads its folders: in a worker thread, like everything a plugin touches.
        plugins = await asyncio.to_thread(registry.all_plugins)
        if shiboken6.isValid(self):
            self.set_plugins(plugins)

    def set_plugins(self, plugins: list[PluginInfo]) -> None:
        selected = self.selected_plugin()
        self.plugins = list(plugins)
        self.model.set_rows(self.plugins)
        if not self.plugins:
            self.rows.show_message(
                _("No plugin is installed. Install one from its project folder, or copy it into the user folder.")
            )
        else:
            self.rows.show_table()
            if selected is not None:
                self.select_plugin(selected.name)
        self._update_buttons()

    def select_plugin(self, name: str) -> None:
        for row, plugin in enumerate(self.plugins):
            if plugin.name == name:
                self.rows.table.selectRow(row)
                return

    def selected_plugin(self) -> PluginInfo | None:
        rows = self.rows.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def _show_selected(self) -> None:
        plugin = self.selected_plugin()
        self.details.setPlainText(
            details_text(plugin, self.context.settings.disabled_plugins) if plugin is not None else ""
        )
        self._update_buttons()

    def _update_buttons(self) -> None:
        plugin = self.selected_plugin()
        turned_off = plugin is not None and plugin.name in self.context.settings.disabled_plugins
        self.enable_button.setEnabled(plugin is not None and turned_off)
        self.disable_button.setEnabled(plugin is not None and not turned_off)

    # -- enable / disable -------------------------------------------------------------------------------------------

    def set_enabled(self, enabled: bool) -> None:
        plugin = self.selected_plugin()
        if plugin is None:
            return
        self._save_settings(plugin_folders.with_plugin_enabled(self.context.settings, plugin.name, enabled))
        if (plugin.name in self.context.settings.disabled_plugins) == enabled:
            return  # not saved: the window has said why
        if enabled:
            self.activity.setText(_("{name} will be loaded from the next start.").format(name=plugin.name))
        else:
            self.activity.setText(
                _("{name} will not be loaded (not even imported) from the next start.").format(name=plugin.name)
            )
        self.model.rows_changed()
        self._show_selected()

    # -- install ----------------------------------------------------------------------------------------------------

    async def choose_and_install(self) -> str | None:
        dialog = QFileDialog(self, _("Choose the plugin's project folder"))
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly)
        self.last_dialog = dialog
        accepted = await answer(dialog) == QFileDialog.DialogCode.Accepted
        chosen = dialog.selectedFiles()
        dialog.deleteLater()
        if not accepted or not chosen:
            return None
        return await self.install_from(Path(chosen[0]))

    async def install_from(self, source: Path) -> str | None:
        """Installs the project (or wheel) with pip in a worker thread; pip's output, or None if it failed."""
        folder = self.context.paths.plugins_folder
        self.install_button.setEnabled(False)
        self.activity.setText(_("Installing {source}…").format(source=source))
        try:
            output = await asyncio.to_thread(plugin_folders.install, source, folder)
        except plugin_folders.InstallError as error:
            self.activity.setText(_("Not installed."))
            self.last_dialog = warn(self, _("The plugin was not installed"), str(error))
            return None
        except Exception as error:  # a bug must be said, not lost in a task nobody awaits
            log.exception("Installing a plugin failed")
            self.activity.setText(_("Not installed."))
            self.last_dialog = warn(self, _("The plugin was not installed"), str(error) or type(error).__name__)
            return None
        finally:
            if shiboken6.isValid(self):
                self.install_button.setEnabled(True)
        done = _("Installed {source} into the user plugins folder. It is loaded from the next start.").format(
            source=source.name
        )
        self.activity.setText(done)
        box = QMessageBox(QMessageBox.Icon.Information, _("Plugin installed"), done, parent=self)
        box.setDetailedText(output)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_dialog = box
        return output

    def _open_folder(self) -> None:
        folder = self.context.paths.plugins_folder
        folder.mkdir(parents=True, exist_ok=True)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

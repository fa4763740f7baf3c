"""The main window: navigation between the views, menus, status bar; remembers its geometry and layout."""

from __future__ import annotations

import asyncio
import importlib
import logging
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDesktopServices, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QWidget,
)

from supportstation import settings as settings_module
from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.tickets.running import RunningIntervention, running_intervention

if TYPE_CHECKING:
    from supportstation.demo_hosts import StandIns
    from supportstation.storage.database import Database

    from .dialogs.import_dialog import ImportDialog
    from .dialogs.shortcuts_dialog import ShortcutsDialog

from . import ticket_files, warm_up
from .dialogs.about_dialog import AboutDialog
from .dialogs.profile_dialog import ProfileDialog
from .dialogs.settings_dialog import SettingsDialog
from .gui_thread_gc import collect_on_gui_thread, share_the_interpreter_with_the_gui
from .messages import warn
from .network_status import NetworkStatus
from .notifications import SlaNotifier
from .outbox_sender import OutboxSender
from .remote.session import RemoteSession
from .shortcut_actions import Area, tag
from .ticket_tabs import TicketTabs
from .views.hosts_view import HostsView
from .views.lazy_view import LazyView
from .views.outbox_view import OutboxView
from .views.queue_view import QueueView
from .views.remote_view import RemoteView
from .views.ticket_workspace import TicketWorkspace

log = logging.getLogger(__name__)
FIRST_PAGE = 200


class MainWindow(QMainWindow):
    # Emitted once the views show the database's content (or say why they cannot).
    data_loaded = Signal()
    restart_requested = Signal()
    closed = Signal()

    def __init__(self, context: AppContext, icons: Path):
        super().__init__()
        collect_on_gui_thread()  # before any worker thread can find a Qt object in a garbage cycle
        share_the_interpreter_with_the_gui()
        self.context = context
        self._icons = icons
        self.setObjectName("MainWindow")
        self.setWindowTitle(self._title())
        self.setWindowIcon(QIcon(str(icons / "supportstation.svg")))
        self.setMinimumSize(QSize(720, 480))

        self.queue_view = QueueView()
        self.queue_view.my_email = context.settings.profile.email
        self.queue_view.set_saved_filters(context.settings.saved_queue_filters)
        self.queue_view.open_ticket.connect(self.open_ticket)
        self.queue_view.saved_filters_changed.connect(self._save_queue_filters)
        self.remote = RemoteSession(context, self)
        self.ticket_tabs = TicketTabs(context, self.queue_view, self.remote)
        self.ticket_tabs.ticket_changed.connect(self.request_refresh)
        self.hosts_view = HostsView(context)
        self.hosts_view.setMinimumWidth(400)  # the window must fit a small laptop screen beside the navigation
        self.hosts_view.changed.connect(self.request_refresh)
        self.hosts_view.act_requested.connect(self.act_on_hosts)
        self.hosts_view.test_connection_requested.connect(
            lambda ids: setattr(self, "_test_task", asyncio.ensure_future(self.remote_view.test_connections(ids)))
        )
        self.remote_view = RemoteView(self.remote)
        self.remote.actions_loaded.connect(lambda: self.remote_view.set_actions(self.remote.actions))
        self.outbox_sender = OutboxSender(context, self)
        self.outbox_view = OutboxView(context, self.outbox_sender)
        self.outbox_view.open_ticket.connect(self.open_ticket)
        self.outbox_view.settings_requested.connect(self.open_settings)
        self.outbox_sender.failed.connect(self._show_outbox_failure)
        self.ticket_tabs.mail_queued.connect(self.outbox_view.reload_soon)  # a report's e-mail, queued or sent
        self.views: list[tuple[str, str, QWidget]] = [
            ("queue", _("Queue"), self.ticket_tabs),
            ("hosts", _("Hosts"), self.hosts_view),
            ("remote", _("Remote"), self.remote_view),
            ("procedures", _("Procedures"), LazyView(self._procedures_view)),
            ("reports", _("Reports and outbox"), self.outbox_view),
            ("plugins", _("Plugins"), LazyView(self._plugins_view)),
        ]
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setIconSize(QSize(20, 20))
        self.navigation.setMinimumWidth(200)
        self.navigation.setMaximumWidth(260)
        self.stack = QStackedWidget()
        for key, title, widget in self.views:
            item = QListWidgetItem(QIcon(str(icons / f"{key}.svg")), title)
            item.setSizeHint(QSize(0, 34))
            self.navigation.addItem(item)
            self.stack.addWidget(widget)
        self.navigation.currentRowChanged.connect(self.stack.setCurrentIndex)
        self.splitter = QSplitter()
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.navigation)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([220, 1000])
        self.setCentralWidget(self.splitter)

        self._build_menus()
        self.database_label = QLabel()
        self.network_label = QLabel()
        self.stand_ins_label = QLabel()  # the demo's simulated hosts, said so
        self.stand_ins_label.setObjectName("standIns")
        self.stand_ins_label.hide()
        self.intervention_label = QLabel()
        self.intervention_label.setObjectName("runningIntervention")
        self.intervention_label.linkActivated.connect(lambda link: self.open_ticket(int(link)))
        for label in (self.stand_ins_label, self.intervention_label, self.database_label, self.network_label):
            label.setContentsMargins(10, 0, 10, 0)
        self.statusBar().addPermanentWidget(self.stand_ins_label)
        self.statusBar().addPermanentWidget(self.intervention_label)
        self.statusBar().addPermanentWidget(self.database_label)
        self.statusBar().addPermanentWidget(self.network_label)
        self.running: RunningIntervention | None = None
        self._intervention_clock = QTimer(self)
        self._intervention_clock.setInterval(1000)
        self._intervention_clock.timeout.connect(self._show_running_intervention)
        self.notifier = SlaNotifier(self)
        self.queue_view.sla_alerts.connect(self.notifier.notify)
        self._show_database_state(_("opening…"))
        self.network = NetworkStatus(self)
        self.network.changed.connect(self._show_network)
        self.network.changed.connect(self._flush_outbox_when_online)
        self.network.refresh()
        self._restore_layout()

    # -- construction -------------------------------------------------------------------------------------------

    def _procedures_view(self) -> QWidget:
        from .procedures.procedures_view import ProceduresView

        return ProceduresView(self.context, self.remote)

    def _plugins_view(self) -> QWidget:
        from .views.plugins_view import PluginsView

        return PluginsView(self.context, self.remote, self._save_settings)

    def _title(self) -> str:
        return "SupportStation — " + _("demo") if self.context.is_demo else "SupportStation"

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(_("&File"))
        self.settings_action = self._action(_("&Settings…"), self.open_settings, QKeySequence.StandardKey.Preferences)
        if self.settings_action.shortcut().isEmpty():
            self.settings_action.setShortcut(QKeySequence("Ctrl+,"))
        file_menu.addAction(self.settings_action)
        file_menu.addAction(self._action(_("Your &profile…"), self.open_profile))
        file_menu.addSeparator()
        file_menu.addAction(self._action(_("&Import tickets…"), self.open_import, None, "Ctrl+I"))
        file_menu.addAction(self._action(_("&Export the queue…"), self.choose_queue_export, None, "Ctrl+E"))
        file_menu.addSeparator()
        file_menu.addAction(self._action(_("Open the &log folder"), self._open_logs))
        file_menu.addSeparator()
        file_menu.addAction(self._action(_("&Quit"), self.close, QKeySequence.StandardKey.Quit, "Ctrl+Q"))

        view_menu = self.menuBar().addMenu(_("&View"))
        for row, (_key, title, _widget) in enumerate(self.views):
            action = self._action(title, lambda _checked=False, row=row: self.show_view(row), f"Ctrl+{row + 1}")
            view_menu.addAction(action)
        view_menu.addSeparator()
        self.refresh_action = self._action(_("&Refresh"), self.request_refresh, QKeySequence.StandardKey.Refresh, "F5")
        view_menu.addAction(self.refresh_action)

        help_menu = self.menuBar().addMenu(_("&Help"))
        self.shortcuts_action = self._action(
            _("&Keyboard shortcuts"), self.open_shortcuts, QKeySequence.StandardKey.HelpContents, "F1"
        )
        help_menu.addAction(self.shortcuts_action)
        help_menu.addAction(self._action(_("&About SupportStation"), self.open_about))

    def _action(self, text: str, slot, standard=None, fallback: str | None = None) -> QAction:  # type: ignore[no-untyped-def]
        action = QAction(text, self)
        if standard is not None:
            action.setShortcut(QKeySequence(standard) if isinstance(standard, str) else standard)
        if fallback and action.shortcut().isEmpty():
            action.setShortcut(QKeySequence(fallback))
        action.triggered.connect(slot)
        self.addAction(action)
        return tag(action, Area.WINDOW)  # listed in Help > Keyboard shortcuts

    def show_view(self, row: int) -> None:
        self.navigation.setCurrentRow(row)

    # -- database -----------------------------------------------------------------------------------------------

    def _show_database_state(self, state: str) -> None:
        choice = self.context.database_choice
        name = self.context.database.display_name if self.context.database else choice.url
        text = _("Demo database: {state}") if choice.demo else _("Database: {state}")
        self.database_label.setText(text.format(state=state))
        self.database_label.setToolTip(name)

    def database_ready(self, database: Database) -> None:
        self.context.database = database
        backend = "SQLite" if database.is_sqlite else "PostgreSQL"
        self._show_database_state(backend)
        self.outbox_view.reload_soon()
        self.outbox_sender.start()  # what waited since the last exit goes out now, then every minute
        warm_up.start()  # the panels built on first use are imported now, off the GUI thread

    def show_stand_ins(self, stand_ins: StandIns) -> None:
        self.stand_ins_label.setText("⚠ " + stand_ins.notice)
        self.stand_ins_label.setToolTip(stand_ins.details)
        self.stand_ins_label.show()

    def database_failed(self, message: str) -> None:
        self._show_database_state(_("unavailable"))
        self.queue_view.show_unavailable(message)
        self.hosts_view.show_unavailable(message)
        self.outbox_view.show_unavailable(message)
        box = QMessageBox(QMessageBox.Icon.Critical, _("The database cannot be opened"), message, parent=self)
        box.setInformativeText(
            _("Nothing was changed. You can fix the problem and restart, or choose another data folder in Settings.")
        )
        box.open()
        self.data_loaded.emit()
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop (a test without one)
        # The plugins need no database: the Plugins page and the actions still show them.
        self._plugins_task = asyncio.ensure_future(self.remote.load_actions())

    async def refresh(self) -> None:
        """Reads the views' data in a worker thread, so the window stays responsive."""
        database = self.context.database
        if database is None:
            return
        # The remote core (paramiko, keyring, cryptography) is imported in a worker thread: on the GUI thread, the
        # first refresh after start-up stood still for 600 ms while it loaded.
        await asyncio.to_thread(importlib.import_module, "supportstation.remote.host_targets")
        from supportstation.clock import utc_now
        from supportstation.remote.host_targets import HostTarget, host_targets
        from supportstation.remote.inventory import load_hosts
        from supportstation.tickets.queue import QueueIndex, QueueRow, load_queue

        profile = self.context.settings.profile

        def read() -> tuple[QueueIndex, list, list[HostTarget], RunningIntervention | None]:  # type: ignore[type-arg]
            with database.session() as session:
                queue = QueueIndex(load_queue(session), utc_now())
                hosts = load_hosts(session)
                targets = host_targets(session, transports=self.remote.transports)
                return queue, hosts, targets, running_intervention(session, profile)

        self.statusBar().showMessage(_("Loading…"))
        try:
            if self.queue_view.model.total_rows() == 0:
                # A team queue of 100,000 tickets takes seconds to read whole: its most urgent page comes first.
                def read_first_page() -> list[QueueRow]:
                    with database.session() as session:
                        return load_queue(session, limit=FIRST_PAGE)

                self.queue_view.set_first_page(await asyncio.to_thread(read_first_page))
            if not self.remote.actions:
                await self.remote.load_actions()
            transports = self.remote.transports.values()
            self.hosts_view.device_transports = tuple(  # titled in the interface's language, by their plugins
                (item.name, self.remote.plugin_text(item, item.title), item.default_port) for item in transports
            )
            queue, hosts, targets, self.running = await asyncio.to_thread(read)
        except Exception as error:  # the database went away after opening: say so, keep running
            log.exception("Reading the database failed")
            self.queue_view.show_unavailable(str(error))
            self.statusBar().showMessage(_("Reading the database failed: {error}").format(error=error), 10_000)
        else:
            self.queue_view.set_rows(queue)
            self.hosts_view.set_rows(hosts)
            self.remote_view.set_hosts(targets)
            self._show_running_intervention()
            self.statusBar().showMessage(_("Up to date"), 3000)
        self.data_loaded.emit()

    # -- tickets --------------------------------------------------------------------------------------------------

    def open_ticket(self, ticket_id: int) -> TicketWorkspace:
        """Shows the ticket's workspace in its own tab (reusing an open one) and loads it in the background."""
        self.show_view(0)
        return self.ticket_tabs.open_ticket(ticket_id)

    def open_ticket_without_loading(self, ticket_id: int) -> TicketWorkspace:
        self.show_view(0)
        return self.ticket_tabs.open_ticket(ticket_id, load=False)

    def act_on_hosts(self, host_ids: list[int]) -> QWidget | None:
        """The Remote page for these hosts: one host's panel, or the fan-out with them checked."""
        self.show_view(next(row for row, (key, _title, _widget) in enumerate(self.views) if key == "remote"))
        return self.remote_view.open_hosts(host_ids)

    def _show_running_intervention(self) -> None:
        running = self.running
        if running is None:
            self.intervention_label.clear()
            self._intervention_clock.stop()
            return
        seconds = int(running.elapsed_seconds())
        clock = f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
        state = _("running") if running.running else _("paused")
        self.intervention_label.setText(
            "<span style='color:#c62828'>●</span> "
            + _("Intervention {reference} {state} {clock}").format(
                reference=f"<a href='{running.ticket_id}'>{running.reference}</a>", state=state, clock=clock
            )
        )
        if running.running and not self._intervention_clock.isActive():
            self._intervention_clock.start()
        elif not running.running:
            self._intervention_clock.stop()

    def open_import(self) -> ImportDialog:
        return ticket_files.open_import(self)

    def choose_queue_export(self) -> None:
        ticket_files.choose_queue_export(self)

    async def export_queue(self, path: Path, style: str) -> int | None:
        return await ticket_files.export_queue(self, path, style)

    def _save_queue_filters(self, saved: dict) -> None:  # type: ignore[type-arg]
        self._save_settings(replace(self.context.settings, saved_queue_filters=saved))

    def request_refresh(self) -> None:
        self._refresh_task = asyncio.ensure_future(self.refresh())

    # -- dialogs ------------------------------------------------------------------------------------------------

    def open_settings(self) -> None:
        from .dialogs.settings_dialog import keep_mail_password, stored_mail_password

        dialog = SettingsDialog(
            self.context.settings,
            self.context.paths,
            self,
            stored_password=lambda: stored_mail_password(self.context, dialog),
        )
        dialog.look_up_stored_password(self.context.vault)
        if dialog.exec() != SettingsDialog.DialogCode.Accepted:
            return
        edited = dialog.edited_settings()
        needs_restart = (edited.language, edited.data_folder) != (
            self.context.settings.language,
            self.context.settings.data_folder,
        )
        self._save_settings(edited)
        if dialog.mail_password_changed():
            # Into the vault, never the settings file; the vault may ask for its master password first.
            self._mail_password_task = asyncio.ensure_future(
                keep_mail_password(self.context, self, dialog.entered_mail_password())
            )
        if needs_restart:
            answer = QMessageBox.question(
                self,
                _("Restart SupportStation?"),
                _("The new language or data folder is used from the next start. Restart now?"),
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.restart_requested.emit()

    def open_profile(self, first_start: bool = False) -> ProfileDialog:
        """Opens the profile dialog without blocking; the profile is saved when the user accepts."""
        profile = self.context.settings.profile
        if first_start and not profile.is_complete and self.context.is_demo:
            from supportstation.demo import DEMO_PROFILE

            profile = DEMO_PROFILE
        dialog = ProfileDialog(profile, first_start=first_start, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._save_settings(replace(self.context.settings, profile=dialog.profile())))
        dialog.open()
        return dialog

    def greet(self) -> ProfileDialog | None:
        """After start-up: tell what went wrong while starting, and ask for the profile until it is complete."""
        for problem in self.context.start_up_problems:
            box = QMessageBox(QMessageBox.Icon.Warning, "SupportStation", problem, parent=self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            box.open()
        if not self.context.settings.profile.is_complete:
            return self.open_profile(first_start=True)
        return None

    def _save_settings(self, edited: settings_module.Settings) -> None:
        try:
            settings_module.save(edited, self.context.paths.settings_file)
        except settings_module.SettingsError as error:
            warn(self, _("Settings not saved"), str(error))
            return
        self.context.settings = edited
        self.outbox_view.show_status()  # the mail server may be set now

    def open_shortcuts(self) -> ShortcutsDialog:
        from .dialogs.shortcuts_dialog import ShortcutsDialog

        dialog = next((shown for shown in self.findChildren(ShortcutsDialog) if shown.isVisible()), None)
        if dialog is None:  # one at a time; left open beside the window while the engineer tries the keys
            dialog = ShortcutsDialog(self)
            dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        dialog.raise_()
        return dialog

    def open_about(self) -> None:
        AboutDialog(self.context, self).exec()

    def _open_logs(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.paths.logs)))

    def _flush_outbox_when_online(self, online: bool) -> None:
        # Back online: what is due goes out now rather than at the next tick (once the sender runs).
        if online and self.outbox_sender.active:
            self.outbox_sender.flush_soon()

    def _show_outbox_failure(self, reason: str) -> None:
        # The status bar, not a message box: the periodic retry must not interrupt the engineer every minute.
        self.statusBar().showMessage(_("E-mail not sent: {reason}").format(reason=reason), 10_000)

    def _show_network(self, online: bool) -> None:
        colour = "#2e7d32" if online else "#757575"
        self.network_label.setText(
            f"<span style='color:{colour}'>●</span> " + (_("online") if online else _("offline"))
        )
        self.network_label.setToolTip(
            _("A network connection is available.")
            if online
            else _("No network: everything keeps working locally; e-mails wait in the outbox.")
        )

    # -- layout memory ------------------------------------------------------------------------------------------

    def _layout_store(self) -> QSettings:
        return QSettings(str(self.context.paths.window_state_file), QSettings.Format.IniFormat)

    def _restore_layout(self) -> None:
        store = self._layout_store()
        geometry = store.value("geometry")
        if geometry is not None:
            self.restoreGeometry(geometry)
        else:
            self.resize(1280, 760)
        state = store.value("state")
        if state is not None:
            self.restoreState(state)
        splitter = store.value("splitter")
        if splitter is not None:
            self.splitter.restoreState(splitter)
        header = store.value("queue_header")
        if header is not None:
            self.queue_view.rows.table.horizontalHeader().restoreState(header)
            self.queue_view.rows.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
            self.queue_view.keep_column_widths()
        self.navigation.setCurrentRow(int(store.value("view", 0)))

    def save_layout(self) -> None:
        store = self._layout_store()
        store.setValue("geometry", self.saveGeometry())
        store.setValue("state", self.saveState())
        store.setValue("splitter", self.splitter.saveState())
        store.setValue("queue_header", self.queue_view.rows.table.horizontalHeader().saveState())
        store.setValue("view", self.navigation.currentRow())
        store.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.outbox_sender.stop()
        self.save_layout()
        super().closeEvent(event)
        self.closed.emit()

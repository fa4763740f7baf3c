"""One ticket's workspace: header, timeline, notes, status, intervention and time, parts, attachments.

Every action runs the core in a worker thread inside one transaction, then the workspace reloads what it shows;
a refused action (a workflow rule, an intervention already running…) is explained and changes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from supportstation.clock import utc_now
from supportstation.context import AppContext
from supportstation.i18n import _
from supportstation.storage.enums import TicketStatus
from supportstation.tickets.labels import status_label

from .. import timeline_document
from ..dialogs.entry_dialogs import CommentDialog, PartDialog, TimeEntryDialog
from ..messages import warn
from ..remote.fanout_view import FanOutView
from ..remote.remote_panel import RemotePanel
from ..remote.session import RemoteSession
from ..ticket_header import header_html
from .ticket_side_panel import TicketSidePanel
from .workspace_shortcuts import add_shortcuts

if TYPE_CHECKING:
    from supportstation.remote.host_targets import HostTarget
    from supportstation.tickets.details import TicketDetail

    from ..procedures.run_panel import ProcedureRunPanel
    from ..reports.report_panel import ReportPanel

log = logging.getLogger(__name__)


def _refusals() -> tuple[type[Exception], ...]:
    from supportstation.tickets import TicketNotFound
    from supportstation.tickets.interventions import InterventionError
    from supportstation.tickets.timeline import TimelineError
    from supportstation.tickets.workflow import TransitionRefused

    return (TransitionRefused, InterventionError, TimelineError, TicketNotFound)


class TicketWorkspace(QWidget):
    changed = Signal()
    mail_queued = Signal()  # the Report tab put an e-mail in the outbox
    title_changed = Signal(str)

    def __init__(
        self, context: AppContext, ticket_id: int, remote: RemoteSession | None = None, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.context = context
        self.ticket_id = ticket_id
        self.remote = remote
        self.remote_panel: RemotePanel | None = None
        self.procedure_panel: ProcedureRunPanel | None = None
        self.procedure_task: asyncio.Task[Any] | None = None
        self.report_panel: ReportPanel | None = None
        self.report_task: asyncio.Task[Any] | None = None
        self.remote_hosts_task: asyncio.Task[Any] | None = None
        self.detail: TicketDetail | None = None
        self._expanded: set[int] = set()
        self._timeline_shown = timeline_document.SHOWN  # how many of the newest entries the timeline shows
        self._timeline_drawn: tuple[Any, ...] = ()  # what the timeline shows, to skip a reload that changed nothing
        self._tasks: set[asyncio.Task[Any]] = set()
        self.busy = False
        self.reload_task: asyncio.Task[Any] | None = None
        self.last_refusal: QMessageBox | None = None

        self.header = QLabel()
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setOpenExternalLinks(True)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)

        self.status_button = QToolButton()
        self.status_button.setText(_("Change status"))
        self.status_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.status_button.setMenu(QMenu(self.status_button))
        self.assign_button = QPushButton(_("Assign to me"))
        self.intervention_button = QPushButton()
        self.pause_button = QPushButton()
        self.attach_button = QPushButton(_("Attach a file…"))
        self.export_button = QPushButton(_("Export the timeline…"))
        self.export_button.clicked.connect(self._choose_export)
        actions = QHBoxLayout()
        for widget in (self.status_button, self.assign_button, self.intervention_button, self.pause_button,
                       self.attach_button, self.export_button):  # fmt: skip
            actions.addWidget(widget)
        actions.addStretch(1)

        self.timeline = QTextBrowser()
        self.timeline.setObjectName("timeline")
        self.timeline.setOpenLinks(False)
        self.timeline.anchorClicked.connect(self._timeline_link)

        self.side = TicketSidePanel()
        # The workspace's actions use the panel's controls directly.
        self.note_editor, self.add_note_button = self.side.note_editor, self.side.add_note_button
        self.time_table, self.time_total = self.side.time_table, self.side.time_total
        self.add_time_button, self.edit_time_button = self.side.add_time_button, self.side.edit_time_button
        self.parts_table, self.add_part_button = self.side.parts_table, self.side.add_part_button
        self.attachments = self.side.attachments
        self.attachments.doubleClicked.connect(self._open_attachment)

        splitter = QSplitter()
        splitter.addWidget(self.timeline)
        splitter.addWidget(self.side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)

        # The remote panel takes the whole width: live output needs it more than the timeline does meanwhile, and
        # every run lands on the timeline anyway.
        self.pages = QTabWidget()
        self.pages.setObjectName("workspacePages")
        self.pages.setDocumentMode(True)
        self.pages.addTab(splitter, _("Timeline and details"))
        self.remote_page = QWidget()
        QVBoxLayout(self.remote_page).setContentsMargins(0, 4, 0, 0)
        self.pages.addTab(self.remote_page, _("Remote actions"))
        self.pages.setTabEnabled(1, remote is not None)
        self.procedures_page = QWidget()
        QVBoxLayout(self.procedures_page).setContentsMargins(0, 4, 0, 0)
        self.pages.addTab(self.procedures_page, _("Procedures"))
        self.pages.setTabEnabled(2, remote is not None)
        self.report_page = QWidget()
        QVBoxLayout(self.report_page).setContentsMargins(0, 4, 0, 0)
        self.pages.addTab(self.report_page, _("Report"))
        self.pages.currentChanged.connect(self._page_shown)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.header)
        layout.addLayout(actions)
        layout.addWidget(self.pages, 1)

        self.add_note_button.clicked.connect(self.add_note)
        self.assign_button.clicked.connect(self.assign_to_me)
        self.intervention_button.clicked.connect(self._intervention_clicked)
        self.pause_button.clicked.connect(self._pause_clicked)
        self.attach_button.clicked.connect(self._choose_attachment)
        self.add_time_button.clicked.connect(self._add_time_clicked)
        self.edit_time_button.clicked.connect(self._edit_time_clicked)
        self.add_part_button.clicked.connect(self._add_part_clicked)
        self.header.setText(_("Loading…"))
        add_shortcuts(self)

    # -- running core actions -------------------------------------------------------------------------------------

    def _schedule(self, coroutine: Any) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def reload(self) -> TicketDetail | None:
        return await self.run(None)

    def reload_soon(self) -> asyncio.Task[Any]:
        """Reads the ticket again in the background (something else changed it)."""
        return self._schedule(self.reload())

    async def run(self, action: Callable[..., Any] | None) -> TicketDetail | None:
        """Runs `action(session, ticket, me)` in one transaction in a worker thread, then reloads the ticket."""
        from supportstation.storage.models import Ticket
        from supportstation.tickets import TicketNotFound
        from supportstation.tickets.details import load_ticket_detail
        from supportstation.tickets.engineers import ensure_engineer

        database = self.context.database
        profile = self.context.settings.profile
        if database is None:
            return None

        def work() -> TicketDetail:
            if action is not None:
                with database.session() as session:
                    ticket = session.get(Ticket, self.ticket_id)
                    if ticket is None:
                        raise TicketNotFound(_("Ticket {id} no longer exists.").format(id=self.ticket_id))
                    me = ensure_engineer(session, profile) if profile.is_complete else None
                    action(session, ticket, me)
            with database.session() as session:
                return load_ticket_detail(session, self.ticket_id)

        # Only a change greys the buttons out: the reload after each recorded run must not make them flicker.
        busy = action is not None
        if busy:
            self._set_busy(True)
        try:
            detail = await asyncio.to_thread(work)
        except _refusals() as refusal:
            self.last_refusal = warn(self, _("Not done"), str(refusal))
            return None
        finally:
            if busy and shiboken6.isValid(self):  # a workspace closed meanwhile has no buttons left to enable
                self._set_busy(False)
        self.show_detail(detail)
        if action is not None:
            self.changed.emit()
        return detail

    def _set_busy(self, busy: bool) -> None:
        self.busy = busy
        for button in (self.status_button, self.assign_button, self.intervention_button, self.pause_button,
                       self.attach_button, self.add_note_button, self.add_time_button, self.edit_time_button,
                       self.add_part_button):  # fmt: skip
            button.setEnabled(not busy)
        if not busy and self.detail is not None:
            self._update_buttons(self.detail)

    # -- showing --------------------------------------------------------------------------------------------------

    def show_detail(self, detail: TicketDetail) -> None:
        self.detail = detail
        self.title_changed.emit(detail.reference)
        self.header.setText(header_html(detail, utc_now()))
        self._render_timeline()
        self.side.show_detail(detail)
        self._update_buttons(detail)
        self.pages.setTabText(1, _("Remote actions ({count} hosts)").format(count=len(detail.hosts)))
        shown_hosts = {h.host_id for h in detail.hosts}
        if self.remote_panel is not None and {h.host_id for h in self.remote_panel.hosts} != shown_hosts:
            self.remote_hosts_task = self._schedule(self._load_remote_hosts())
        if self.procedure_panel is not None and {h.host_id for h in self.procedure_panel.hosts} != shown_hosts:
            self.procedure_task = self._schedule(self._load_procedures())
        if self.report_panel is not None:
            self.report_panel.ticket_changed()

    # -- remote actions ---------------------------------------------------------------------------------------------

    def closing(self) -> None:
        """The ticket's tab closes."""
        if self.procedure_panel is not None:
            self.procedure_panel.leave()
        if self.report_panel is not None:
            self.report_panel.closing()

    def _page_shown(self, index: int) -> None:
        if index == 1:
            self._build_remote_panel()
        elif index == 2:
            self._build_procedure_panel()
        elif index == 3:
            self._build_report_panel()

    def show_report(self) -> asyncio.Task[Any] | None:
        """Shows the ticket's report; the task that opens it, until it has."""
        self._build_report_panel()
        self.pages.setCurrentIndex(3)
        return self.report_task

    def _build_report_panel(self) -> None:
        if self.report_panel is not None:
            return
        from supportstation.reports.plugin_sections import PluginsWhenLoaded

        from ..reports.report_panel import ReportPanel  # built when first shown, like the procedures

        plugins = PluginsWhenLoaded(lambda: self.remote.registry if self.remote is not None else None)
        self.report_panel = ReportPanel(self.context, self.ticket_id, plugins=plugins)
        self.report_panel.recorded.connect(lambda: self._schedule(self.reload()))
        self.report_panel.mail_queued.connect(self.mail_queued)
        self.report_page.layout().addWidget(self.report_panel)
        self.report_task = self.report_panel.load()

    def show_procedures(self) -> asyncio.Task[Any] | None:
        """Shows the ticket's procedures; the task that loads the library, the hosts and the runs, until it has."""
        self._build_procedure_panel()
        self.pages.setCurrentIndex(2)
        return self.procedure_task

    def _build_procedure_panel(self) -> None:
        if self.remote is None or self.procedure_panel is not None:
            return
        from ..procedures.run_panel import ProcedureRunPanel  # the procedure format and engine: when first needed

        self.procedure_panel = ProcedureRunPanel(self.context, self.remote, self.ticket_id)
        self.procedure_panel.recorded.connect(lambda: self._schedule(self.reload()))
        self.procedures_page.layout().addWidget(self.procedure_panel)
        self.procedure_task = self._schedule(self._load_procedures())

    async def _load_procedures(self) -> None:
        if self.procedure_panel is None:
            return
        self.procedure_panel.set_hosts(await self._ticket_hosts())
        await self.procedure_panel.load()

    def show_remote(self) -> asyncio.Task[Any] | None:
        """Shows the remote panel for the ticket's hosts; the task that loads them, until it has."""
        self._build_remote_panel()
        self.pages.setCurrentIndex(1)
        if self.remote_panel is not None:
            self.remote_tabs.setCurrentWidget(self.remote_panel)
        return self.remote_hosts_task

    def _build_remote_panel(self) -> None:
        if self.remote is None or self.remote_panel is not None:
            return
        self.remote_panel = RemotePanel(self.remote, [], self.ticket_id, self.remote.actions)
        self.remote_panel.recorded.connect(lambda: self._schedule(self.reload()))
        # The same command or action on several of the ticket's hosts at once, recorded on the ticket like the rest.
        self.fan_out = FanOutView(self.remote, actions=self.remote.actions, ticket_id=self.ticket_id)
        self.fan_out.recorded.connect(lambda: self._schedule(self.reload()))
        self.remote.actions_loaded.connect(self._actions_loaded)
        self.remote_tabs = QTabWidget()
        self.remote_tabs.setObjectName("ticketRemoteTabs")
        self.remote_tabs.setDocumentMode(True)
        self.remote_tabs.addTab(self.remote_panel, _("One host"))
        self.remote_tabs.addTab(self.fan_out, _("Several hosts"))
        self.remote_page.layout().addWidget(self.remote_tabs)
        self.remote_hosts_task = self._schedule(self._load_remote_hosts())

    def show_fan_out(self) -> asyncio.Task[Any] | None:
        """The ticket's hosts, all checked, to run one command or action on each; the task loading them, if any."""
        self._build_remote_panel()
        self.pages.setCurrentIndex(1)
        if self.remote_panel is not None:
            self.remote_tabs.setCurrentWidget(self.fan_out)
        return self.remote_hosts_task

    def _actions_loaded(self) -> None:
        if self.remote is not None and self.remote_panel is not None:
            self.remote_panel.library.set_actions(self.remote.actions)
            self.fan_out.library.set_actions(self.remote.actions)
            # A switch's or a BMC's commands are in its plugin's language, known only now.
            self.remote_hosts_task = self._schedule(self._load_remote_hosts())

    async def _load_remote_hosts(self) -> None:
        if self.remote_panel is not None:
            hosts = await self._ticket_hosts()
            first_time = not self.fan_out.picker.hosts
            self.remote_panel.set_hosts(hosts)
            self.fan_out.set_hosts(hosts)
            if first_time:  # all of the ticket's hosts to begin with; the engineer's choice is kept afterwards
                self.fan_out.picker.check({host.host_id for host in hosts})

    async def _ticket_hosts(self) -> list[HostTarget]:
        from supportstation.remote.host_targets import host_targets

        database = self.context.database
        if database is None or self.detail is None:
            return []
        ids = [host.host_id for host in self.detail.hosts]

        def read() -> list[HostTarget]:
            with database.session() as session:
                return host_targets(session, ids, transports=self.remote.transports if self.remote else None)

        return await asyncio.to_thread(read)

    def _update_buttons(self, detail: TicketDetail) -> None:
        menu = self.status_button.menu()
        menu.clear()
        for status in detail.allowed_next:
            action = menu.addAction(status_label(status))
            action.triggered.connect(lambda _checked=False, s=status: self.request_status(s))
        self.status_button.setEnabled(bool(detail.allowed_next))
        running = detail.open_intervention
        if running is None:
            self.intervention_button.setText(_("Start intervention"))
            self.pause_button.hide()
        else:
            self.intervention_button.setText(_("End intervention"))
            self.pause_button.show()
            self.pause_button.setText(_("Pause") if running.state.value == "running" else _("Resume"))
        has_intervention = bool(detail.interventions)
        self.add_time_button.setEnabled(has_intervention)
        self.edit_time_button.setEnabled(has_intervention)
        self.add_part_button.setEnabled(has_intervention)

    def _timeline_link(self, url: QUrl) -> None:
        if url.scheme() == timeline_document.EXPAND_SCHEME:
            self._expanded.symmetric_difference_update({int(url.path())})
        elif url.scheme() == timeline_document.OLDER_SCHEME:
            self._timeline_shown += int(url.path())
        else:
            return
        position = self.timeline.verticalScrollBar().value()
        self._render_timeline()
        self.timeline.verticalScrollBar().setValue(position)

    def _render_timeline(self) -> None:
        if self.detail is None:
            return
        drawn = (tuple((item.event_id, item.summary, item.body, item.author) for item in self.detail.timeline),
                 frozenset(self._expanded), self._timeline_shown)  # fmt: skip
        if drawn != self._timeline_drawn:  # most reloads follow a change elsewhere: the button states, the header
            timeline_document.render(self.timeline.document(), self.detail.timeline, self._expanded,
                                     self._timeline_shown)  # fmt: skip
            self._timeline_drawn = drawn

    # -- actions --------------------------------------------------------------------------------------------------

    def add_note(self) -> asyncio.Task[Any] | None:
        from supportstation.tickets.timeline import add_note

        text = self.note_editor.toPlainText()
        if not text.strip():
            return None

        async def go() -> None:
            if await self.run(lambda session, ticket, me: add_note(session, ticket, text, author=me)):
                self.note_editor.clear()

        return self._schedule(go())

    def request_status(self, status: TicketStatus, comment: str | None = None) -> asyncio.Task[Any] | None:
        from supportstation.tickets.workflow import change_status

        if comment is None and status in (TicketStatus.RESOLVED, TicketStatus.WAITING_CUSTOMER,
                                          TicketStatus.WAITING_THIRD_PARTY):  # fmt: skip
            prompt = (
                _("Say what was done to resolve the ticket (it goes into the report).")
                if status == TicketStatus.RESOLVED
                else _("What are you waiting for? (optional)")
            )
            dialog = CommentDialog(status_label(status), prompt, self)
            if dialog.exec() != CommentDialog.DialogCode.Accepted:
                return None
            comment = dialog.text.toPlainText()
        text = comment or ""
        return self._schedule(
            self.run(lambda session, ticket, me: change_status(session, ticket, status, author=me, comment=text))
        )

    def assign_to_me(self) -> asyncio.Task[Any]:
        from supportstation.tickets.workflow import assign

        return self._schedule(self.run(lambda session, ticket, me: assign(session, ticket, me, author=me)))

    def _intervention_clicked(self) -> None:
        if self.detail is not None and self.detail.open_intervention is not None:
            self.end_intervention()
        else:
            self.start_intervention()

    def start_intervention(self, on_site: bool = True) -> asyncio.Task[Any]:
        from supportstation.tickets import interventions

        return self._schedule(
            self.run(lambda session, ticket, me: interventions.start(session, ticket, engineer=me, on_site=on_site))
        )

    def end_intervention(self) -> asyncio.Task[Any]:
        return self._with_open_intervention("end")

    def _pause_clicked(self) -> None:
        running = self.detail.open_intervention if self.detail else None
        if running is not None:
            self._with_open_intervention("pause" if running.state.value == "running" else "resume")

    def _with_open_intervention(self, verb: str) -> asyncio.Task[Any]:
        from supportstation.storage.models import Intervention
        from supportstation.tickets import interventions

        assert self.detail is not None and self.detail.open_intervention is not None
        intervention_id = self.detail.open_intervention.intervention_id

        def act(session: Any, _ticket: Any, me: Any) -> None:
            getattr(interventions, verb)(session, session.get(Intervention, intervention_id), author=me)

        return self._schedule(self.run(act))

    def _latest_intervention_id(self) -> int | None:
        if self.detail is None or not self.detail.interventions:
            return None
        return self.detail.interventions[-1].intervention_id

    def add_time(self, category: str, minutes: int, description: str = "") -> asyncio.Task[Any] | None:
        from supportstation.storage.models import Intervention
        from supportstation.tickets import interventions

        intervention_id = self._latest_intervention_id()
        if intervention_id is None:
            return None
        return self._schedule(
            self.run(
                lambda session, _ticket, me: interventions.add_time(
                    session, session.get(Intervention, intervention_id), category, minutes, author=me,
                    description=description,
                )
            )
        )  # fmt: skip

    def _add_time_clicked(self) -> None:
        dialog = TimeEntryDialog(parent=self)
        if dialog.exec() == TimeEntryDialog.DialogCode.Accepted:
            change = dialog.change()
            self.add_time(change.category, change.minutes, change.description)

    def _edit_time_clicked(self) -> None:
        from supportstation.storage.models import TimeEntry
        from supportstation.tickets import interventions

        row = self.time_table.currentRow()
        if row < 0 or self.detail is None:
            QMessageBox.information(self, _("Correct a time entry"), _("Select the time entry to correct."))
            return
        entry_id = self.time_table.item(row, 0).data(Qt.ItemDataRole.UserRole)
        entry = next(e for i in self.detail.interventions for e in i.time_entries if e.entry_id == entry_id)
        dialog = TimeEntryDialog(interventions.EntryChange(entry.category, entry.minutes, entry.description), self)
        if dialog.exec() != TimeEntryDialog.DialogCode.Accepted:
            return
        change = dialog.change()
        self._schedule(
            self.run(lambda session, _t, me: interventions.edit_time(session, session.get(TimeEntry, entry_id), change,
                                                                     author=me))
        )  # fmt: skip

    def _add_part_clicked(self) -> None:
        from supportstation.storage.models import Intervention
        from supportstation.tickets import interventions

        intervention_id = self._latest_intervention_id()
        dialog = PartDialog(self)
        if intervention_id is None or dialog.exec() != PartDialog.DialogCode.Accepted:
            return
        name, quantity, serial = dialog.name.text(), dialog.quantity.value(), dialog.serial.text()
        self._schedule(
            self.run(lambda session, _t, me: interventions.add_part(
                session, session.get(Intervention, intervention_id), name, quantity, author=me, serial_number=serial))
        )  # fmt: skip

    def attach(self, path: Path) -> asyncio.Task[Any]:
        from supportstation.tickets.timeline import attach_file

        data_folder = self.context.paths.data
        return self._schedule(
            self.run(lambda session, ticket, me: attach_file(session, ticket, path, data_folder, author=me))
        )

    def _choose_attachment(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Attach a file"))
        if path:
            self.attach(Path(path))

    def _choose_export(self) -> None:
        if self.detail is None:
            return
        excel, json_filter = _("CSV for Excel (*.csv)"), _("JSON (*.json)")
        path, chosen = QFileDialog.getSaveFileName(
            self, _("Export the timeline"), f"{self.detail.reference}.csv", f"{excel};;{json_filter}"
        )
        if path:
            self._schedule(self.export_timeline(Path(path), as_json=chosen == json_filter))

    async def export_timeline(self, path: Path, *, as_json: bool = False) -> int | None:
        from supportstation.tickets import exporting

        database = self.context.database
        if database is None:
            return None

        def work() -> int:
            with database.session() as session:
                if as_json:
                    return exporting.export_timeline_json(session, self.ticket_id, path)
                return exporting.export_timeline_csv(session, self.ticket_id, path)

        try:
            return await asyncio.to_thread(work)
        except OSError as error:
            reason = error.strerror or str(error)
            warn(self, _("Export failed"), _("Cannot write {path}: {reason}").format(path=path, reason=reason))
            return None

    def _open_attachment(self) -> None:
        row = self.attachments.currentRow()
        if row >= 0:
            stored = self.attachments.item(row, 0).data(Qt.ItemDataRole.UserRole)
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.context.paths.data / stored)))

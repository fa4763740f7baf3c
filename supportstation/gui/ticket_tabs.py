"""The first page of the window: the queue, and one closable tab per opened ticket."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTabWidget, QWidget

from supportstation.context import AppContext
from supportstation.i18n import _

from .remote.session import RemoteSession
from .views.ticket_workspace import TicketWorkspace


class TicketTabs(QTabWidget):
    # A ticket was changed from its workspace: the queue should show it.
    ticket_changed = Signal()
    mail_queued = Signal()  # a report's e-mail went into the outbox

    def __init__(self, context: AppContext, queue: QWidget, remote: RemoteSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.remote = remote
        self.setObjectName("ticketTabs")
        self.setDocumentMode(True)
        self.setTabsClosable(True)
        self.addTab(queue, _("Queue"))
        self.tabBar().setTabButton(0, self.tabBar().ButtonPosition.RightSide, None)
        self.tabCloseRequested.connect(self._close)
        # Runs an earlier stop of the app left `running` were just closed: the open tickets show them as they are now.
        remote.interrupted_runs_closed.connect(lambda _count: self.reload_all())

    def reload_all(self) -> None:
        for workspace in self.workspaces():
            workspace.reload_soon()

    def workspaces(self) -> list[TicketWorkspace]:
        return [w for i in range(1, self.count()) if isinstance(w := self.widget(i), TicketWorkspace)]

    def open_ticket(self, ticket_id: int, *, load: bool = True) -> TicketWorkspace:
        """Brings the ticket's tab forward, creating it if needed; `load` reads the ticket in the background."""
        workspace = next((w for w in self.workspaces() if w.ticket_id == ticket_id), None)
        if workspace is None:
            workspace = TicketWorkspace(self.context, ticket_id, self.remote)
            self.addTab(workspace, "…")
            workspace.title_changed.connect(lambda title, w=workspace: self.setTabText(self.indexOf(w), title))
            workspace.changed.connect(self.ticket_changed)
            workspace.mail_queued.connect(self.mail_queued)
        self.setCurrentWidget(workspace)
        if load and workspace.detail is None and workspace.reload_task is None:
            workspace.reload_task = workspace.reload_soon()
        return workspace

    def _close(self, index: int) -> None:
        if index > 0:
            widget = self.widget(index)
            if hasattr(widget, "closing"):
                widget.closing()
            self.removeTab(index)
            widget.deleteLater()

"""The outbox: every e-mail waiting for the mail server, held for the engineer, or sent, newest first; sending one now,
all the due ones, retrying a held one, deleting an unsent one, saving one as .eml, and the ticket it belongs to.

The rows are read in a worker thread when the view is shown, after each flush of the window's `OutboxSender`, and
every 30 seconds while the view is visible. `supportstation.reports.outbox` (SQLAlchemy) is imported only once the
database is open: the window must appear without it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QItemSelectionModel, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from supportstation.context import AppContext
from supportstation.i18n import _

from .. import mail_sending
from ..dialog_future import answer, ask_save_path
from ..messages import warn
from ..outbox_sender import OutboxSender
from ..table_model import RowsTableModel
from .loading import MessageTable
from .outbox_columns import ATTENTION, COLUMN_WIDTHS, HELD, QUEUED, SENDING, SENT, outbox_columns

if TYPE_CHECKING:
    from supportstation.reports.outbox import OutboxEntry, SendOutcome

log = logging.getLogger(__name__)

RELOAD_INTERVAL_MS = 30_000


def _expected_errors() -> tuple[type[Exception], ...]:
    """What an outbox action may refuse with, said to the engineer in a message box rather than logged as a bug."""
    from supportstation.reports.mail import MailError
    from supportstation.reports.outbox import OutboxError

    return (mail_sending.MailNotReady, MailError, OutboxError)


def eml_file_name(entry: OutboxEntry) -> str:
    stem = re.sub(r"[^\w.-]+", "-", entry.subject, flags=re.UNICODE).strip("-.")[:80]
    return f"{stem or f'message-{entry.id}'}.eml"


class OutboxView(QWidget):
    open_ticket = Signal(int)
    settings_requested = Signal()

    def __init__(self, context: AppContext, sender: OutboxSender, parent: QWidget | None = None):
        super().__init__(parent)
        self.context = context
        self.sender = sender
        self.entries: list[OutboxEntry] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._generation = 0  # reloads started
        self._shown_generation = 0  # the latest of them whose rows are shown
        self._working = 0
        self._eml_folder: Path | None = None
        self.last_dialog: QWidget | None = None  # the latest dialog or message box, for tests and screenshots
        self.delete_box: QMessageBox | None = None

        self.heading = QLabel("<h2>" + _("Outbox") + "</h2>")
        self.summary = QLabel()
        self.summary.setObjectName("outboxSummary")
        self.attention = QLabel(_("Held messages need you: see their last error, fix the cause, then Retry now."))
        self.attention.setStyleSheet(f"color: {ATTENTION}")
        self.attention.hide()
        self.server = QLabel()
        self.server.setObjectName("outboxServer")
        self.server.setWordWrap(True)
        self.settings_button = QPushButton(_("E-mail settings…"))
        self.settings_button.clicked.connect(self._open_settings)
        self.last_attempt = QLabel()
        self.last_attempt.setObjectName("outboxLastAttempt")
        self.last_attempt.setWordWrap(True)
        self.last_attempt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.activity = QLabel()
        self.activity.setObjectName("outboxActivity")
        self.activity.setStyleSheet("color: #616161")

        self.send_now_action = self._action(_("Send now"), _("Send the selected message now"), self.send_now)
        self.send_all_action = self._action(
            _("Send all due"), _("Send every message whose next attempt has come"), self.send_all_due
        )
        self.retry_action = self._action(
            _("Retry now"), _("Put the held message back in the queue and send it"), self.retry_now
        )
        self.delete_action = self._action(
            _("Delete"), _("Delete the selected message; only a message not sent can be deleted"), self.delete_selected
        )
        self.save_action = self._action(
            _("Save as .eml…"), _("Save the selected message as a file any mail program opens"), self.save_eml
        )
        self.ticket_action = self._action(
            _("Open ticket"), _("Open the ticket the selected message belongs to"), self.open_selected_ticket
        )
        # A tool bar, not a row of buttons: on a narrow window the last ones fold into its » menu.
        self.toolbar = QToolBar()
        self.toolbar.setObjectName("outboxToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for action in (self.send_now_action, self.send_all_action, self.retry_action, None, self.delete_action,
                       self.save_action, None, self.ticket_action):  # fmt: skip
            if action is None:
                self.toolbar.addSeparator()
            else:
                self.toolbar.addAction(action)
        self.activity.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        toolbar = QHBoxLayout()
        toolbar.addWidget(self.toolbar)
        toolbar.addSpacing(12)
        toolbar.addWidget(self.activity, 1)

        self.model: RowsTableModel[OutboxEntry] = RowsTableModel(outbox_columns(), self)
        self.rows = MessageTable()
        table = self.rows.table
        table.setObjectName("outboxTable")
        table.setModel(self.model)
        for column, width in enumerate(COLUMN_WIDTHS):
            table.setColumnWidth(column, width)
        table.selectionModel().selectionChanged.connect(self._update_actions)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)

        titles = QHBoxLayout()
        titles.addWidget(self.heading)
        titles.addSpacing(12)
        titles.addWidget(self.summary, 0, Qt.AlignmentFlag.AlignBottom)
        titles.addSpacing(12)
        titles.addWidget(self.attention, 4, Qt.AlignmentFlag.AlignBottom)
        titles.addStretch(1)  # the summary stays by the title while nothing is held
        self.attention.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        server_row = QHBoxLayout()
        server_row.addWidget(self.server, 1)
        server_row.addWidget(self.settings_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addLayout(titles)
        layout.addLayout(server_row)
        layout.addWidget(self.last_attempt)
        layout.addLayout(toolbar)
        layout.addWidget(self.rows, 1)

        self._reload_timer = QTimer(self)
        self._reload_timer.setInterval(RELOAD_INTERVAL_MS)
        self._reload_timer.timeout.connect(self.reload_soon)
        sender.changed.connect(self.reload_soon)
        sender.failed.connect(lambda _reason: self.show_status())
        self.rows.show_message(_("Opening the database…"))
        self.show_status()

    def _action(self, text: str, tip: str, slot: Callable[[], object]) -> QAction:
        action = QAction(text, self)
        action.setIconText(text)  # toolbar buttons would drop the "…" that says a dialog opens
        action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: self._run(slot()))
        return action

    def _run(self, result: object) -> asyncio.Task[Any] | None:
        # Actions are coroutines: they await dialogs and worker threads instead of starting a nested event loop.
        if not asyncio.iscoroutine(result):
            return None
        task = asyncio.ensure_future(result)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        task.add_done_callback(self._report_failure)
        return task

    def _report_failure(self, task: asyncio.Task[Any]) -> None:
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        log.error("An outbox action failed", exc_info=error)
        self.last_dialog = warn(self, _("The outbox action failed"), str(error) or type(error).__name__)

    # -- rows -------------------------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self._reload_timer.start()
        self.reload_soon()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._reload_timer.stop()

    def reload_soon(self) -> None:
        """Reads the outbox again in the background; only while shown (showing it reads it anyway)."""
        if not self.isVisible():
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop runs yet (a test without one)
        self._run(self.reload())

    async def reload(self) -> None:
        database = self.context.database
        if database is None:
            self.show_status()
            return
        from supportstation.reports.outbox import Outbox

        self._generation += 1
        generation = self._generation
        try:
            entries = await asyncio.to_thread(Outbox(database).list)
        except Exception as error:  # the database went away: say so, keep running
            log.exception("Reading the outbox failed")
            if generation > self._shown_generation and shiboken6.isValid(self):
                self.show_unavailable(str(error))
            return
        if not shiboken6.isValid(self):  # the window closed while the rows were read
            return
        if generation > self._shown_generation:  # else a reload started later has shown newer rows already
            self._shown_generation = generation
            self.set_entries(entries[::-1])

    def show_unavailable(self, reason: str) -> None:
        self.rows.show_message(_("The outbox cannot be shown: {reason}").format(reason=reason))

    def set_entries(self, entries: Sequence[OutboxEntry]) -> None:
        selected = self.selected_entry()
        self.entries = list(entries)
        self.model.set_rows(self.entries)
        if not self.entries:
            self.rows.show_message(
                _(
                    "The outbox is empty. A report e-mailed while the network or the mail server is away waits "
                    "here, and goes out on its own once they are back."
                )
            )
        else:
            self.rows.show_table()
            if selected is not None:
                self.select_entry(selected.id)
        self.show_status()

    def select_entry(self, entry_id: int) -> None:
        table = self.rows.table
        table.clearSelection()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        for row, entry in enumerate(self.entries):
            if entry.id == entry_id:
                table.selectionModel().select(self.model.index(row, 0), flags)
                table.setCurrentIndex(self.model.index(row, 0))

    def selected_entry(self) -> OutboxEntry | None:
        rows = self.rows.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    # -- status -----------------------------------------------------------------------------------------------------

    def show_status(self) -> None:
        waiting = sum(1 for entry in self.entries if entry.state in (QUEUED, SENDING))
        held = sum(1 for entry in self.entries if entry.state == HELD)
        self.summary.setText(_("{waiting} waiting, {held} held").format(waiting=waiting, held=held))
        self.attention.setVisible(held > 0)
        mail = self.context.settings.mail
        if not mail.is_configured:
            self.server.setText(_("No mail server is set: Settings, E-mail. E-mails wait here until one is entered."))
            self.server.setStyleSheet(f"color: {ATTENTION}")
        else:
            security = {"starttls": "STARTTLS", "ssl": "SSL/TLS"}.get(mail.security, _("no encryption"))
            self.server.setText(
                _("Mail server {server} ({security}), sending as {sender}. Due messages are retried every minute.")
                .format(server=f"{mail.host}:{mail.port}", security=security, sender=mail.from_address)
            )  # fmt: skip
            self.server.setStyleSheet("")
        outcome, failure = self.sender.last_outcome, self.sender.last_failure
        text = _("Last attempt {outcome}").format(outcome=outcome) if outcome else ""
        if failure:
            text = (text + " " if text else "") + failure
        self.last_attempt.setText(text)
        self.last_attempt.setStyleSheet(f"color: {ATTENTION}" if failure else "")
        self.last_attempt.setVisible(bool(text))
        self._update_actions()

    def _open_settings(self) -> None:
        self.settings_requested.emit()
        self.show_status()

    def _update_actions(self) -> None:
        entry = self.selected_entry()
        ready = self.context.database is not None
        idle = self._working == 0
        unsent = entry is not None and entry.state != SENT
        self.send_now_action.setEnabled(ready and idle and unsent)
        self.send_all_action.setEnabled(ready and idle and any(e.state in (QUEUED, SENDING) for e in self.entries))
        self.retry_action.setEnabled(ready and idle and entry is not None and entry.state == HELD)
        self.delete_action.setEnabled(ready and unsent)
        self.save_action.setEnabled(ready and entry is not None)
        self.ticket_action.setEnabled(entry is not None and entry.ticket_id is not None)

    def _context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        for action in (self.send_now_action, self.retry_action, None, self.delete_action, self.save_action, None,
                       self.ticket_action):  # fmt: skip
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        menu.popup(self.rows.table.viewport().mapToGlobal(position))

    def _begin(self, doing: str) -> None:
        self._working += 1
        self.activity.setText(doing)
        self._update_actions()

    def _end(self, done: str = "") -> None:
        self._working -= 1
        self.activity.setText(done)
        self._update_actions()

    def _warn(self, title: str, text: str) -> None:
        self.last_dialog = warn(self, title, text)

    # -- actions ----------------------------------------------------------------------------------------------------

    async def send_now(self) -> SendOutcome | None:
        """Sends the selected message at once, whatever its back-off (held too); may ask to unlock the vault."""
        entry = self.selected_entry()
        if entry is None or entry.state == SENT:
            return None
        self._begin(_("Sending “{subject}”…").format(subject=entry.subject))
        try:
            outcome = await mail_sending.send_one(self.context, self, entry.id)
        except _expected_errors() as error:
            self._warn(_("The message was not sent"), str(error))
            return None
        finally:
            self._end()
            await self.reload()
        self.sender.record([outcome])
        if not outcome.sent:
            self._warn(_("The message was not sent"), outcome.error)
        return outcome

    async def send_all_due(self) -> list[SendOutcome] | None:
        """Sends every message that is due, as the periodic retry does, but may ask to unlock the vault."""
        self._begin(_("Sending the messages that are due…"))
        try:
            outcomes = await self.sender.flush(interactive=True)
        finally:
            self._end()
        await self.reload()
        self._tell(outcomes)
        return outcomes

    async def retry_now(self) -> list[SendOutcome] | None:
        """Puts the selected held message back in the queue, due at once, and sends what is due."""
        entry = self.selected_entry()
        database = self.context.database
        if entry is None or database is None:
            return None
        from supportstation.reports.outbox import Outbox

        try:
            await asyncio.to_thread(Outbox(database).retry_now, entry.id)
        except _expected_errors() as error:
            self._warn(_("The message cannot be retried"), str(error))
            await self.reload()
            return None
        return await self.send_all_due()

    def _tell(self, outcomes: list[SendOutcome] | None) -> None:
        if outcomes is None:
            if self.sender.last_failure:
                self._warn(_("The outbox was not sent"), self.sender.last_failure)
        elif not outcomes:
            self.activity.setText(_("Nothing is due now. To send a waiting message at once, select it: Send now."))
        elif failed := [outcome for outcome in outcomes if not outcome.sent]:
            title = _("A message was not sent")
            if len(failed) > 1:
                title = _("{count} messages were not sent").format(count=len(failed))
            self._warn(title, self.sender.last_failure or failed[0].error)
        else:
            self.activity.setText(_("{count} sent.").format(count=len(outcomes)))

    async def delete_selected(self) -> bool:
        """Asks, then deletes the selected message; a sent one is refused, and the outbox says why."""
        entry = self.selected_entry()
        database = self.context.database
        if entry is None or database is None:
            return False
        from supportstation.reports.outbox import Outbox

        if entry.state != SENT:  # a sent one is refused before any question: nothing to confirm
            box = QMessageBox(
                QMessageBox.Icon.Question,
                _("Delete the message"),
                _("Delete the message “{subject}” to {recipients}?").format(
                    subject=entry.subject, recipients=", ".join(entry.recipients)
                ),
                QMessageBox.StandardButton.Cancel,
                self,
            )
            delete = box.addButton(_("Delete"), QMessageBox.ButtonRole.DestructiveRole)
            box.setDefaultButton(QMessageBox.StandardButton.Cancel)
            box.setInformativeText(_("It was not sent, and it will not be: the recipients never receive it."))
            self.delete_box = box
            await answer(box)
            confirmed = box.clickedButton() is delete
            box.deleteLater()
            self.delete_box = None
            if not confirmed:
                return False
        try:
            await asyncio.to_thread(Outbox(database).delete, entry.id)
        except _expected_errors() as error:
            self._warn(_("The message was not deleted"), str(error))
            return False
        finally:
            await self.reload()
        self.activity.setText(_("Message deleted."))
        return True

    async def save_eml(self) -> bool:
        """Asks where, then saves the selected message, exactly as it is sent, as a .eml file."""
        entry = self.selected_entry()
        if entry is None:
            return False
        folder = self._eml_folder or Path.home()
        path = await ask_save_path(
            self,
            _("Save the message as .eml"),
            folder / eml_file_name(entry),
            _("E-mail messages (*.eml)"),
            "eml",
            lambda dialog: setattr(self, "last_dialog", dialog),
        )
        return await self.save_eml_to(entry.id, path) if path is not None else False

    async def save_eml_to(self, entry_id: int, path: Path) -> bool:
        database = self.context.database
        if database is None:
            return False
        from supportstation.reports.mail import save_eml
        from supportstation.reports.outbox import Outbox

        def write() -> None:
            save_eml(Outbox(database).raw(entry_id), path)

        try:
            await asyncio.to_thread(write)
        except _expected_errors() as error:
            self._warn(_("The message was not saved"), str(error))
            return False
        self._eml_folder = path.parent
        self.activity.setText(_("Saved as {path}").format(path=path))
        return True

    def open_selected_ticket(self) -> None:
        entry = self.selected_entry()
        if entry is not None and entry.ticket_id is not None:
            self.open_ticket.emit(entry.ticket_id)

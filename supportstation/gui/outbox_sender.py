"""The window's outbox retry: every minute, the e-mails that are due go out, without a word unless one fails.

Owned by the main window and started once the database is open. It never prompts (a vault password dialog popping
up on its own would be worse than a message that waits: see `mail_sending`), never runs two flushes at once, and
keeps the last outcome for the Outbox view. The engineer's own "Send all due" goes through `flush(interactive=True)`,
which may ask for the vault's master password.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

from supportstation.context import AppContext
from supportstation.i18n import _

from . import mail_sending

if TYPE_CHECKING:
    from supportstation.reports.outbox import SendOutcome

log = logging.getLogger(__name__)

RETRY_INTERVAL_MS = 60_000


class OutboxSender(QObject):
    changed = Signal()  # a flush sent or failed something: the outbox's rows changed
    failed = Signal(str)  # why a message (or the whole flush) was not sent

    def __init__(self, context: AppContext, window: QWidget | None = None, interval_ms: int = RETRY_INTERVAL_MS):
        super().__init__(window)
        self.context = context
        self._window = window  # the parent of the vault's prompt, for the engineer's own flushes
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.flush_soon)
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[list[SendOutcome] | None] | None = None
        self.last_outcome = ""  # what the last flush did, with its time, for the view
        self.last_failure = ""  # why the last attempt did not send; "" once a later one sent everything it tried
        self.last_flush_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    @property
    def busy(self) -> bool:
        return self._lock.locked()

    def start(self) -> None:
        """Retries every minute from now on, and once at once (messages queued before the last exit)."""
        if not self._timer.isActive():
            self._timer.start()
        self.flush_soon()

    def stop(self) -> None:
        self._timer.stop()

    def flush_soon(self) -> asyncio.Task[list[SendOutcome] | None] | None:
        """Starts a periodic flush now, unless one is running already (it sends what this one would)."""
        if self._task is not None and not self._task.done():
            return self._task
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return None  # no event loop runs (a test without one): the next tick tries again
        self._task = asyncio.ensure_future(self.flush())
        return self._task

    async def flush(self, *, interactive: bool = False) -> list[SendOutcome] | None:
        """Sends what is due; the outcomes, or None when nothing was tried or it failed as a whole (why: in
        `last_failure`, also emitted by `failed`).

        The periodic flush (not `interactive`) does nothing without a mail server, a database or a due message, and
        skips a turn while another flush runs; the engineer's one waits for it, then may ask for the vault.
        """
        if not interactive and (self._lock.locked() or not self._can_send_quietly()):
            return None
        async with self._lock:
            try:
                if not interactive and not await self._anything_due():
                    return None
                outcomes = await mail_sending.send_due(self.context, self._window, interactive=interactive)
            except mail_sending.MailNotReady as error:
                self._fail(str(error))
                return None
            except Exception as error:
                from supportstation.reports.mail import MailError

                if isinstance(error, MailError):
                    self._fail(str(error))
                else:  # a bug: logged whole, said briefly, and the timer keeps trying
                    log.exception("Sending the outbox failed unexpectedly")
                    self._fail(
                        _("Sending the outbox failed unexpectedly ({kind}); see the log file.").format(
                            kind=type(error).__name__
                        )
                    )
                return None
        if outcomes or interactive:
            self.record(outcomes)
        return outcomes

    def record(self, outcomes: Sequence[SendOutcome]) -> None:
        """Keeps what an attempt gave (a flush, or the view's "Send now"), and tells the window and the view."""
        self.last_flush_at = datetime.now().astimezone()
        time = self.last_flush_at.strftime("%H:%M")
        if not outcomes:
            self.last_outcome = _("{time}: nothing was due.").format(time=time)
            self.last_failure = ""  # whatever stopped an earlier attempt (a locked vault) did not stop this one
            return
        sent = sum(1 for outcome in outcomes if outcome.sent)
        not_sent = [outcome for outcome in outcomes if not outcome.sent]
        if not_sent:
            self.last_outcome = _("{time}: {sent} sent, {not_sent} not sent.").format(
                time=time, sent=sent, not_sent=len(not_sent)
            )
            # The message a server failure was about, rather than those left alone after it.
            reason = next((outcome for outcome in not_sent if outcome.attempted), not_sent[0]).error
            self.last_failure = reason
            self.changed.emit()
            self.failed.emit(reason)
            return
        self.last_outcome = _("{time}: {sent} sent.").format(time=time, sent=sent)
        self.last_failure = ""
        self.changed.emit()

    def _fail(self, reason: str) -> None:
        self.last_flush_at = datetime.now().astimezone()
        self.last_outcome = _("{time}: nothing could be sent.").format(time=self.last_flush_at.strftime("%H:%M"))
        self.last_failure = reason
        self.failed.emit(reason)

    def _can_send_quietly(self) -> bool:
        return self.context.settings.mail.is_configured and self.context.database is not None

    async def _anything_due(self) -> bool:
        # Checked before asking for the password: a locked vault is no news while nothing waits.
        outbox = mail_sending.outbox_of(self.context)
        return bool(await asyncio.to_thread(outbox.due))

"""The outbox view's columns: each message's state (with a coloured dot), recipients, subject, attempts, next
attempt, when it was sent and its last error. Plain functions of an OutboxEntry, so the table model stays generic."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QPainter, QPixmap

from supportstation.i18n import _

from ..table_model import Column

if TYPE_CHECKING:
    from supportstation.reports.outbox import OutboxEntry

NOT_SET = "—"
# The states, as OutboxState's values (a StrEnum): comparing with them needs no import of the outbox.
QUEUED, SENDING, HELD, SENT = "queued", "sending", "held", "sent"
STATE_COLOURS = {QUEUED: "#1565c0", SENDING: "#ef6c00", HELD: "#c62828", SENT: "#2e7d32"}
ATTENTION = "#c62828"
COLUMN_WIDTHS = [95, 200, 260, 65, 125, 125]  # the last error takes the rest
_state_icons: dict[str, QIcon] = {}


def _state_icon(state: str) -> QIcon:
    if state not in _state_icons:
        pixmap = QPixmap(12, 12)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATE_COLOURS.get(state, "#757575")))
        painter.drawEllipse(1, 1, 10, 10)
        painter.end()
        _state_icons[state] = QIcon(pixmap)
    return _state_icons[state]


def _state_text(entry: OutboxEntry) -> str:
    from supportstation.reports.outbox import state_label

    return state_label(entry.state)


def _state_tooltip(entry: OutboxEntry) -> str:
    return {
        QUEUED: _("Waiting for the mail server: retried automatically, each time a little later."),
        SENDING: _("Being sent right now."),
        HELD: _(
            "Needs your attention: the server refused it for a reason a retry will not fix. "
            "Fix the cause (see the last error), then Retry now."
        ),
        SENT: _("The mail server accepted it. It stays here as the record of what was sent."),
    }.get(entry.state, "")


def local_time(value: datetime | None) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M") if value is not None else NOT_SET


def _next_attempt(entry: OutboxEntry) -> str:
    return local_time(entry.next_attempt_at) if entry.state == QUEUED else NOT_SET


def outbox_columns() -> list[Column[OutboxEntry]]:
    return [
        Column(
            _("State"),
            _state_text,
            tooltip=_state_tooltip,
            decoration=lambda entry: _state_icon(entry.state),
            foreground=lambda entry: QBrush(QColor(ATTENTION)) if entry.state == HELD else None,
        ),
        Column(_("Recipients"), lambda entry: ", ".join(entry.recipients), tooltip=lambda e: "\n".join(e.recipients)),
        Column(_("Subject"), lambda entry: entry.subject, tooltip=lambda entry: entry.subject),
        Column(
            _("Attempts"),
            lambda entry: str(entry.attempts),
            alignment=Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
        ),
        Column(_("Next attempt"), _next_attempt),
        Column(_("Sent"), lambda entry: local_time(entry.sent_at)),
        Column(
            _("Last error"), lambda entry: entry.last_error.split("\n", 1)[0], tooltip=lambda entry: entry.last_error
        ),
    ]

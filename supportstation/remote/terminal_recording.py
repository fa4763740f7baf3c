"""An interactive terminal session as evidence: one entry on the ticket's timeline and one record in the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from supportstation import audit
from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.remote.recording import RecordingContext, record_host_key_acceptance
from supportstation.remote.ssh import SshConnection
from supportstation.storage.models import TimelineEvent

TIMELINE_KIND = "terminal_session"
# The audit log's action for every terminal: what was typed is not recorded, only what the server sent.
AUDITED_ACTION = "interactive terminal"


def session_duration(seconds: float) -> str:
    """'45 s', '12 min', '1 h 05 min': how long a terminal stayed open, as the timeline shows it."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return _("{seconds} s").format(seconds=seconds)
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("{minutes} min").format(minutes=minutes)
    return _("{hours} h {minutes:02d} min").format(hours=minutes // 60, minutes=minutes % 60)


class TerminalRecord:
    """A terminal session on the ticket's timeline while it runs: the entry is made when the shell opens, its
    transcript is saved as it grows (a crash of the laptop loses only the last few seconds), and the session's end
    completes it, with the audit record, in one transaction. Blocking methods: call them in a worker thread.
    Without a ticket only the audit record is written, at the end. Transcripts must already be redacted (see
    `terminal_transcript.Transcript`)."""

    def __init__(self, context: RecordingContext, target_label: str, started_at: datetime, fingerprint: str) -> None:
        self.context = context
        self.target_label = target_label
        self.started_at = started_at
        self.host_key_fingerprint = fingerprint
        self.event_id: int | None = None

    def open(self, connection: SshConnection | None = None) -> None:
        context = self.context
        if context.ticket_id is None:
            return
        with context.database.writing() as session:
            record_host_key_acceptance(session, context, connection, at=self.started_at)
            event = self._new_event(session)
            event.summary = self._summary(None)[:500]
            event.data = self._data(None, "")
            session.commit()
            self.event_id = event.id

    def save(self, transcript: str) -> None:
        """The transcript so far, on the open session's entry."""
        if self.event_id is None:
            return
        with self.context.database.writing() as session:
            event = session.get(TimelineEvent, self.event_id)
            if event is not None:
                event.summary = self._summary(None, until=utc_now())[:500]
                event.body = transcript
                session.commit()

    def finish(self, transcript: str, ended_at: datetime, end_message: str = "") -> None:
        """The session is over: its entry completed and the audit record with the transcript's SHA-256."""
        context = self.context
        digest = audit.sha256_text(transcript)
        with context.database.writing() as session:
            if context.ticket_id is not None:
                event = session.get(TimelineEvent, self.event_id) if self.event_id is not None else None
                if event is None:  # its entry could not be made at the start, or was removed meanwhile
                    event = self._new_event(session)
                event.summary = self._summary(ended_at)[:500]
                event.body = transcript
                event.data = {**self._data(ended_at, end_message), "transcript_sha256": digest}
            if context.anchor is not None:
                audit.append(
                    session,
                    context.anchor,
                    actor=context.actor,
                    target=self.target_label,
                    action=AUDITED_ACTION,
                    output_sha256=digest,
                    ticket_id=context.ticket_id,
                )
            session.commit()

    def _new_event(self, session: Session) -> TimelineEvent:
        context = self.context
        assert context.ticket_id is not None
        event = TimelineEvent(
            ticket_id=context.ticket_id,
            intervention_id=context.intervention_id,
            created_at=self.started_at,
            kind=TIMELINE_KIND,
            author_id=context.author_id,
            body="",
        )
        session.add(event)
        return event

    def _summary(self, ended_at: datetime | None, until: datetime | None = None) -> str:
        if ended_at is not None:
            duration = session_duration((ended_at - self.started_at).total_seconds())
            return _("Terminal on {target}, {duration}").format(target=self.target_label, duration=duration)
        # Also what stays if the application never gets to the end: how long was recorded.
        so_far = session_duration(((until or self.started_at) - self.started_at).total_seconds())
        return _("Terminal on {target}, open ({duration} recorded)").format(target=self.target_label, duration=so_far)

    def _data(self, ended_at: datetime | None, end_message: str) -> dict[str, object]:
        return {
            "target": self.target_label,
            "started_at": self.started_at.isoformat(),
            "ended_at": ended_at.isoformat() if ended_at else None,
            "duration_s": (ended_at - self.started_at).total_seconds() if ended_at else None,
            "end": end_message,
            "host_key_fingerprint": self.host_key_fingerprint,
        }

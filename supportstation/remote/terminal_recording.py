"""An interactive terminal session as evidence: one entry on the ticket's timeline and one record in the audit log."""

from __future__ import annotations

from datetime import datetime

from supportstation import audit
from supportstation.i18n import _
from supportstation.remote.recording import RecordingContext
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


def record_terminal_session(
    context: RecordingContext,
    target_label: str,
    started_at: datetime,
    ended_at: datetime,
    transcript: str,
    host_key_fingerprint: str,
    *,
    end_message: str = "",
) -> None:
    """Records a finished terminal session: on the ticket's timeline when there is a ticket (the transcript as its
    body), and in the audit log with the transcript's SHA-256, in one transaction. Blocking: call it in a worker
    thread. `transcript` must already be redacted (see `terminal_transcript.Transcript`)."""
    duration = (ended_at - started_at).total_seconds()
    digest = audit.sha256_text(transcript)
    summary = _("Terminal on {target}, {duration}").format(target=target_label, duration=session_duration(duration))
    with context.database.writing() as session:
        if context.ticket_id is not None:
            session.add(
                TimelineEvent(
                    ticket_id=context.ticket_id,
                    intervention_id=context.intervention_id,
                    created_at=started_at,
                    kind=TIMELINE_KIND,
                    author_id=context.author_id,
                    summary=summary[:500],
                    body=transcript,
                    data={
                        "target": target_label,
                        "started_at": started_at.isoformat(),
                        "ended_at": ended_at.isoformat(),
                        "duration_s": duration,
                        "end": end_message,
                        "transcript_sha256": digest,
                        "host_key_fingerprint": host_key_fingerprint,
                    },
                )
            )
        if context.anchor is not None:
            audit.append(
                session,
                context.anchor,
                actor=context.actor,
                target=target_label,
                action=AUDITED_ACTION,
                output_sha256=digest,
                ticket_id=context.ticket_id,
            )
        session.commit()

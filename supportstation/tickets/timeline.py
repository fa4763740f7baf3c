"""The timeline of a ticket: notes, attachments, and reading it back for display and export."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.storage.models import Attachment, Engineer, Ticket, TimelineEvent

# A megabyte of notes is a long log pasted in; five is a mistake worth stopping before it bloats every export.
MAX_NOTE_CHARACTERS = 5_000_000
COPY_CHUNK = 1024 * 1024
ATTACHMENTS_FOLDER = "attachments"


class TimelineError(ValueError):
    """A note or attachment that cannot be recorded; the message says why and nothing was written."""


def add_note(
    session: Session, ticket: Ticket, text: str, *, author: Engineer | None, now: datetime | None = None
) -> TimelineEvent:
    """A Markdown note, kept exactly as typed."""
    if not text.strip():
        raise TimelineError(_("The note is empty."))
    if len(text) > MAX_NOTE_CHARACTERS:
        raise TimelineError(
            _("The note is too long ({size} characters, at most {limit}): attach it as a file instead.").format(
                size=len(text), limit=MAX_NOTE_CHARACTERS
            )
        )
    first_line = text.strip().splitlines()[0]
    event = TimelineEvent(created_at=now or utc_now(), kind="note", author=author, summary=first_line[:200], body=text)
    ticket.timeline.append(event)
    session.flush()
    return event


def _safe_file_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.\- ]+", "_", name, flags=re.UNICODE).strip(" .")
    return cleaned[:150] or "file"


def attach_file(
    session: Session,
    ticket: Ticket,
    source: Path,
    data_folder: Path,
    *,
    author: Engineer | None,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Attachment:
    """Copies the file into the data folder, hashing it on the way, and records it on the ticket.

    The copy goes to a temporary name first and is renamed once complete, so a crash never leaves a half file
    registered as evidence; a failure leaves nothing behind.
    """
    try:
        size = source.stat().st_size
        if not source.is_file():
            raise TimelineError(_("{path} is not a file.").format(path=source))
    except OSError as error:
        raise TimelineError(
            _("Cannot attach {path}: {reason}").format(path=source, reason=error.strerror or error)
        ) from error
    folder = data_folder / ATTACHMENTS_FOLDER / str(ticket.id)
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = f"{uuid.uuid4().hex[:12]}-{_safe_file_name(source.name)}"
    target = folder / stored_name
    partial = folder / (stored_name + ".partial")
    digest = hashlib.sha256()
    copied = 0
    try:
        with source.open("rb") as reader, partial.open("wb") as writer:
            while chunk := reader.read(COPY_CHUNK):
                digest.update(chunk)
                writer.write(chunk)
                copied += len(chunk)
                if progress is not None:
                    progress(copied, size)
            writer.flush()
            os.fsync(writer.fileno())
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise TimelineError(
            _("Cannot attach {path}: {reason}").format(path=source, reason=error.strerror or error)
        ) from error
    now = now or utc_now()
    attachment = Attachment(
        ticket=ticket,
        file_name=source.name,
        stored_path=str(target.relative_to(data_folder)),
        sha256=digest.hexdigest(),
        size=copied,
        media_type=mimetypes.guess_type(source.name)[0] or "application/octet-stream",
        created_at=now,
        author=author,
    )
    session.add(attachment)
    session.flush()
    ticket.timeline.append(
        TimelineEvent(
            created_at=now,
            kind="attachment",
            author=author,
            summary=source.name,
            data={"attachment_id": attachment.id, "sha256": attachment.sha256, "size": copied},
        )
    )
    session.flush()
    return attachment


def remove_stored_copy(attachment: Attachment, data_folder: Path) -> None:
    """Deletes the copy of an attachment whose record was rolled back."""
    (data_folder / attachment.stored_path).unlink(missing_ok=True)


def export_attachment(attachment: Attachment, data_folder: Path, destination: Path) -> None:
    shutil.copyfile(data_folder / attachment.stored_path, destination)


@dataclass(frozen=True)
class TimelineItem:
    """One timeline entry as the views show it, detached from the database session."""

    event_id: int
    created_at: datetime
    kind: str
    author: str
    summary: str
    body: str
    data: dict[str, Any] = field(default_factory=dict)


def load_timeline(session: Session, ticket_id: int) -> list[TimelineItem]:
    events = session.scalars(
        select(TimelineEvent)
        .where(TimelineEvent.ticket_id == ticket_id)
        .options(selectinload(TimelineEvent.author))
        .order_by(TimelineEvent.created_at, TimelineEvent.id)
    )
    return [
        TimelineItem(
            event_id=event.id,
            created_at=event.created_at,
            kind=event.kind,
            author=event.author.name if event.author else "",
            summary=event.summary,
            body=event.body,
            data=dict(event.data or {}),
        )
        for event in events
    ]

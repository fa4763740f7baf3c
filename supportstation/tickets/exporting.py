"""Exporting the queue, and one ticket's timeline, to CSV and JSON.

CSV comes in two styles: `EXCEL_FR` (UTF-8 with a BOM, ';', CRLF: what Excel in France opens right with a
double-click, accents included) and `PLAIN` (UTF-8, ','). CSV headers are the field labels in the user's language,
which the import recognises in French and English alike, so an exported file imports back. JSON uses the field
names as keys. Instants are ISO 8601 in UTC; priorities read 'P1' to 'P4'; statuses are the stored values
('in_progress'), which the import also accepts.
"""

from __future__ import annotations

import contextlib
import csv
import enum
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.storage.enums import OPEN_STATUSES
from supportstation.storage.models import Client, Engineer, Site, Ticket, TimelineEvent
from supportstation.tickets.import_fields import field_label
from supportstation.tickets.queue import host_names_by_ticket

QUEUE_FIELDS = (
    *("reference", "title", "client", "site", "priority", "status", "category", "assignee", "hosts"),
    *("created_at", "resolve_deadline"),
)
TIMELINE_FIELDS = ("created_at", "kind", "author", "summary", "body", "data")
# Excel runs a cell starting with one of these as a formula: a title like "=HYPERLINK(…)" must stay text.
FORMULA_STARTS = ("=", "+", "-", "@")


class CsvStyle(enum.StrEnum):
    EXCEL_FR = "excel_fr"
    PLAIN = "plain"


Output = Path | TextIO


def iso_utc(instant: datetime | None) -> str:
    return instant.astimezone(UTC).isoformat(timespec="seconds") if instant is not None else ""


# -- what is exported ------------------------------------------------------------------------------------------


def queue_records(
    session: Session, *, include_closed: bool = False, ticket_ids: Iterable[int] | None = None
) -> list[dict[str, str]]:
    """The queue's tickets, most urgent first (priority, then resolve deadline), as {field: text}."""
    hosts = host_names_by_ticket(session)
    query = (
        select(
            Ticket.id, Ticket.reference, Ticket.title, Client.name, Site.name, Ticket.priority, Ticket.status,
            Ticket.category, Engineer.name, Ticket.created_at, Ticket.resolve_deadline,
        )
        .join(Client, Client.id == Ticket.client_id)
        .outerjoin(Site, Site.id == Ticket.site_id)
        .outerjoin(Engineer, Engineer.id == Ticket.assignee_id)
    )  # fmt: skip
    if not include_closed:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    # Filtered here rather than in SQL: a selection of 100,000 ids would overflow SQLite's parameter limit.
    wanted = None if ticket_ids is None else set(ticket_ids)
    far = datetime.max.replace(tzinfo=UTC)
    rows = sorted(
        (row for row in session.execute(query) if wanted is None or row[0] in wanted),
        key=lambda row: (row[5], row[10] or far, row[1]),
    )
    return [
        {
            "reference": reference,
            "title": title,
            "client": client,
            "site": site or "",
            "priority": f"P{priority}",
            "status": str(status),
            "category": category,
            "assignee": assignee or "",
            "hosts": ", ".join(hosts.get(ticket_id, [])),
            "created_at": iso_utc(created),
            "resolve_deadline": iso_utc(deadline),
        }
        for ticket_id, reference, title, client, site, priority, status, category, assignee, created, deadline in rows
    ]


def timeline_records(session: Session, ticket_id: int) -> tuple[str, list[dict[str, Any]]]:
    """The ticket's reference and its timeline, oldest first; LookupError when there is no such ticket."""
    reference = session.scalar(select(Ticket.reference).where(Ticket.id == ticket_id))
    if reference is None:
        raise LookupError(_("There is no ticket #{id}.").format(id=ticket_id))
    query = (
        select(TimelineEvent, Engineer.name)
        .outerjoin(Engineer, Engineer.id == TimelineEvent.author_id)
        .where(TimelineEvent.ticket_id == ticket_id)
        .order_by(TimelineEvent.created_at, TimelineEvent.id)
    )
    events = [
        {
            "created_at": iso_utc(event.created_at),
            "kind": event.kind,
            "author": author or "",
            "summary": event.summary,
            "body": event.body,
            "data": event.data or {},
        }
        for event, author in session.execute(query)
    ]
    return reference, events


# -- writing ----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _opened(output: Output) -> Iterator[TextIO]:
    """The stream itself, or a temporary file beside the path that replaces it only once fully written."""
    if not isinstance(output, Path):
        yield output
        return
    descriptor, name = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".tmp")
    try:
        with open(descriptor, "w", encoding="utf-8", newline="") as handle:
            yield handle
        # mkstemp makes the file private (0600); an export is an ordinary document, or keeps the replaced file's mode.
        if output.exists():
            shutil.copymode(output, name)
        else:
            os.chmod(name, 0o644)
        os.replace(name, output)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def _excel_safe(value: str) -> str:
    # The import removes this quote again (import_fields.unescape_cell), so the round trip keeps the text.
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def _write_csv(
    output: Output,
    headers: Sequence[str],
    fields: Sequence[str],
    records: Iterable[dict[str, Any]],
    style: CsvStyle,
    cell: Callable[[Any], str] = str,
) -> int:
    excel = CsvStyle(style) is CsvStyle.EXCEL_FR
    count = 0
    with _opened(output) as stream:
        if excel:
            stream.write("\ufeff")  # the BOM is how Excel knows the file is UTF-8
        writer = csv.writer(stream, delimiter=";" if excel else ",", lineterminator="\r\n")
        writer.writerow(headers)
        for record in records:
            cells = [cell(record[name]) for name in fields]
            writer.writerow([_excel_safe(value) for value in cells] if excel else cells)
            count += 1
    return count


def _write_json(output: Output, document: dict[str, Any]) -> None:
    with _opened(output) as stream:
        json.dump(document, stream, ensure_ascii=False, indent=2)
        stream.write("\n")


def _queue_headers() -> list[str]:
    return [_("Assigned to") if name == "assignee" else field_label(name) for name in QUEUE_FIELDS]


def export_queue_csv(
    session: Session,
    output: Output,
    *,
    style: CsvStyle = CsvStyle.EXCEL_FR,
    include_closed: bool = False,
    ticket_ids: Iterable[int] | None = None,
) -> int:
    """Writes the queue (or the tickets in `ticket_ids`) as CSV; returns the number of tickets written."""
    records = queue_records(session, include_closed=include_closed, ticket_ids=ticket_ids)
    return _write_csv(output, _queue_headers(), QUEUE_FIELDS, records, style)


def export_queue_json(
    session: Session, output: Output, *, include_closed: bool = False, ticket_ids: Iterable[int] | None = None
) -> int:
    """Writes {"exported_at", "tickets": [...]}, the form the import reads back; returns the number of tickets."""
    records = queue_records(session, include_closed=include_closed, ticket_ids=ticket_ids)
    _write_json(output, {"exported_at": iso_utc(utc_now()), "tickets": records})
    return len(records)


def export_timeline_csv(
    session: Session, ticket_id: int, output: Output, *, style: CsvStyle = CsvStyle.EXCEL_FR
) -> int:
    """Writes one ticket's timeline as CSV (`data` as a JSON text); returns the number of events."""
    _reference, events = timeline_records(session, ticket_id)
    headers = [_("Date"), _("Kind"), _("Author"), _("Summary"), _("Details"), _("Data")]

    def cell(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict) else str(value)

    return _write_csv(output, headers, TIMELINE_FIELDS, events, style, cell)


def export_timeline_json(session: Session, ticket_id: int, output: Output) -> int:
    """Writes {"reference", "exported_at", "events": [...]}; returns the number of events."""
    reference, events = timeline_records(session, ticket_id)
    _write_json(output, {"reference": reference, "exported_at": iso_utc(utc_now()), "events": events})
    return len(events)

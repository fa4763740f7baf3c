"""Importing tickets from a CSV or JSON file: row-by-row validation, then one transaction, all or nothing.

Usage, inside the caller's transaction (which commits what the import kept):

    with database.session() as session:
        report = import_tickets(session, path, mode=ImportMode.VALID_ONLY)

The import works in a SAVEPOINT of that transaction: when it fails, is cancelled, or finds a bad row in
all-or-nothing mode, it is rolled back whole and the caller's session is left as it was. Rows are validated and
written in batches, so a file of 100,000 rows never sits in memory at once.

A row without a reference gets one generated as `IMP-<YYYYMMDD>-<NNNNN>` (the import's local date, then a number
following the highest one already in the database for that date). Naive dates are taken in the client's time zone;
a deadline given as a bare date means the end of that day. Imported tickets have no assignee and no `resolved_at`,
even when resolved: the file does not say when or by whom. Their resolve deadline is the file's, as given; the SLA
clocks (own deadline, warning instants) are not computed here.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from supportstation.i18n import _
from supportstation.storage.enums import TicketSource, TicketStatus
from supportstation.storage.models import Client, Ticket, TimelineEvent, ticket_host
from supportstation.tickets import sla
from supportstation.tickets.csv_reading import ImportFileError, SourceInfo, inspect_source, iter_records
from supportstation.tickets.import_fields import guess_mapping
from supportstation.tickets.import_validation import (
    RowProblem,
    RowResult,
    RowValidator,
    TicketDraft,
    batches,
    check_mapping,
)

__all__ = ["ImportFileError", "ImportMode", "ImportReport", "RowProblem", "import_tickets"]

MAX_REPORTED_PROBLEMS = 1000

Progress = Callable[[int, int | None], None]


class ImportMode(enum.StrEnum):
    ALL_OR_NOTHING = "all_or_nothing"
    VALID_ONLY = "valid_only"


@dataclass
class ImportReport:
    file: str
    kind: str
    encoding: str
    delimiter: str | None
    mode: ImportMode
    dry_run: bool
    mapping: dict[str, str] = field(default_factory=dict)
    rows_read: int = 0
    valid: int = 0
    invalid: int = 0
    imported: int = 0
    skipped: int = 0
    cancelled: bool = False
    problems: list[RowProblem] = field(default_factory=list)
    problems_omitted: int = 0  # beyond MAX_REPORTED_PROBLEMS, counted but not kept

    @property
    def rolled_back(self) -> bool:
        """True when the rows were written then undone: cancelled, or a bad row in all-or-nothing mode."""
        return not self.dry_run and (self.cancelled or (self.mode is ImportMode.ALL_OR_NOTHING and self.invalid > 0))

    def add_problems(self, problems: Iterable[RowProblem]) -> None:
        for problem in problems:
            if len(self.problems) < MAX_REPORTED_PROBLEMS:
                self.problems.append(problem)
            else:
                self.problems_omitted += 1

    def summary(self, max_problems: int = 20) -> str:
        lines = [
            _("{file}: rows read: {rows}; valid: {valid}; with problems: {invalid}.").format(
                file=self.file, rows=self.rows_read, valid=self.valid, invalid=self.invalid
            )
        ]
        if self.cancelled:
            lines.append(_("Import cancelled: nothing was imported."))
        elif self.dry_run:
            lines.append(_("Check only: nothing was written."))
            if self.mode is ImportMode.ALL_OR_NOTHING and self.invalid:
                lines.append(_("In all-or-nothing mode, nothing would be imported."))
            else:
                lines.append(_("Tickets that would be imported: {count}.").format(count=self.valid))
        elif self.rolled_back:
            lines.append(_("Nothing was imported: every row must be valid in all-or-nothing mode."))
        else:
            lines.append(
                _("Tickets imported: {imported}; rows skipped: {skipped}.").format(
                    imported=self.imported, skipped=self.skipped
                )
            )
        entry = _("Line {line}") if self.kind == "csv" else _("Entry {line}")
        for problem in self.problems[:max_problems]:
            where = entry.format(line=problem.line)
            if problem.column:
                where = _("{where}, column '{column}'").format(where=where, column=problem.column)
            lines.append(f"{where}: {problem.message}")
        hidden = len(self.problems) - max_problems + self.problems_omitted
        if hidden > 0:
            lines.append(_("Problems not shown: {count}.").format(count=hidden))
        return "\n".join(lines)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mode"] = str(self.mode)
        data["rolled_back"] = self.rolled_back
        return data


# -- the import ----------------------------------------------------------------------------------------------------


def import_tickets(
    session: Session,
    path: Path,
    *,
    mapping: Mapping[str, str] | None = None,
    mode: ImportMode = ImportMode.ALL_OR_NOTHING,
    dry_run: bool = False,
    encoding: str | None = None,
    delimiter: str | None = None,
    progress: Progress | None = None,
    cancel: threading.Event | None = None,
    author_id: int | None = None,
) -> ImportReport:
    """Validates every row of `path` and, unless `dry_run`, writes the tickets in one SAVEPOINT of `session`.

    `mapping` is {source column: ticket field}, guessed from the headers when None. `progress(rows_done, total)`
    is called after each batch (total is None for CSV, which is not counted beforehand); setting `cancel` stops
    the import and rolls it back. Raises ImportFileError when the file itself cannot be read.
    """
    info = inspect_source(path, encoding=encoding, delimiter=delimiter)
    mapping = dict(guess_mapping(info.headers) if mapping is None else mapping)
    check_mapping(mapping, info.headers)
    report = ImportReport(info.path.name, info.kind, info.encoding, info.delimiter, ImportMode(mode), dry_run, mapping)
    validator = RowValidator(session, mapping)
    savepoint = None if dry_run else session.begin_nested()
    try:
        with closing(iter_records(info)) as records:
            for batch in batches(validator, records):
                _account(report, batch)
                if cancel is not None and cancel.is_set():
                    break
                if not dry_run and not (report.mode is ImportMode.ALL_OR_NOTHING and report.invalid):
                    report.imported += _write(
                        session, info, [r.draft for r in batch if r.draft], validator.now, author_id
                    )
                if progress is not None:
                    progress(report.rows_read, info.rows)
        report.cancelled = cancel is not None and cancel.is_set()
    except BaseException:
        if savepoint is not None:
            savepoint.rollback()
        raise
    if savepoint is not None:
        if report.rolled_back:
            savepoint.rollback()
            report.imported = 0
        else:
            savepoint.commit()
    report.skipped = 0 if dry_run else report.rows_read - report.imported
    return report


def _account(report: ImportReport, batch: list[RowResult]) -> None:
    for result in batch:
        report.rows_read += 1
        if result.valid:
            report.valid += 1
        else:
            report.invalid += 1
            report.add_problems(result.problems)


def _clocks(
    clients: dict[int, Client], planner: sla.DeadlinePlanner, draft: TicketDraft, now: datetime
) -> dict[str, Any]:
    """SLA clocks for an imported ticket, as for one created here; a ticket already past "new" counts as owned."""
    start = draft.created_at or now
    if draft.client_id not in clients:
        clients[draft.client_id] = planner.session.get_one(Client, draft.client_id)
    deadlines = planner.plan(clients[draft.client_id], draft.priority, start, draft.resolve_deadline)
    return {
        "own_deadline": deadlines.own_deadline,
        "own_warning_at": deadlines.own_warning_at,
        "resolve_deadline": deadlines.resolve_deadline,
        "resolve_warning_at": deadlines.resolve_warning_at,
        "owned_at": None if draft.status == TicketStatus.NEW else start,
        # When an imported ticket was resolved is unknown; the import is the first moment it is known to be.
        "resolved_at": now if draft.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) else None,
    }


def _write(session: Session, info: SourceInfo, drafts: list[TicketDraft], now: datetime, author_id: int | None) -> int:
    if not drafts:
        return 0
    # Bulk statements: no ORM objects pile up in the session's identity map over 100,000 rows.
    planner = sla.DeadlinePlanner(session)
    clients: dict[int, Client] = {}
    rows = [
        {
            **_clocks(clients, planner, d, now),
            "reference": d.reference,
            "title": d.title,
            "description": d.description,
            "client_id": d.client_id,
            "site_id": d.site_id,
            "contact_id": d.contact_id,
            "priority": d.priority,
            "status": d.status,
            "category": d.category,
            "source": TicketSource.IMPORTED,
            "external_id": d.external_id,
            "created_at": d.created_at or now,
            "updated_at": now,
        }
        for d in drafts
    ]
    # A plain executemany, then one query for the new ids: RETURNING in parameter order makes SQLite insert row by row.
    session.execute(insert(Ticket), rows)
    query = select(Ticket.reference, Ticket.id).where(Ticket.reference.in_([d.reference for d in drafts]))
    by_reference = {reference: ticket_id for reference, ticket_id in session.execute(query)}
    ids = [by_reference[d.reference] for d in drafts]
    where = _("line {line}") if info.kind == "csv" else _("entry {line}")
    events = [
        {
            "ticket_id": ticket_id,
            "created_at": d.created_at or now,
            "kind": "created",
            "author_id": author_id,
            "summary": _("Imported from {file} ({where})").format(
                file=info.path.name[:200], where=where.format(line=d.line)
            ),
            "body": "",
            "data": {
                "import_file": info.path.name,
                "line": d.line,
                "imported_at": now.isoformat(),
                "reference_generated": d.reference_generated,
            },
        }
        for ticket_id, d in zip(ids, drafts, strict=True)
    ]
    session.execute(insert(TimelineEvent), events)
    links = [
        {"ticket_id": ticket_id, "host_id": h} for ticket_id, d in zip(ids, drafts, strict=True) for h in d.host_ids
    ]
    if links:
        session.execute(insert(ticket_host), links)
    return len(ids)

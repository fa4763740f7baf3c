"""Validating import rows against the database: clients, sites, contacts and hosts by name, duplicates, limits.

Each row becomes a small TicketDraft (ids, not ORM objects) or a list of RowProblems naming its line and column.
Duplicates inside the file are caught with the references and external IDs seen so far (small strings only);
duplicates of the database are checked a batch at a time.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from supportstation.clock import utc_now
from supportstation.i18n import _
from supportstation.storage.enums import Priority, TicketSource, TicketStatus
from supportstation.storage.models import Client, Contact, Host, Site, Ticket
from supportstation.tickets.csv_reading import MAX_CELL_CHARS, ImportFileError, SourceRecord
from supportstation.tickets.import_fields import (
    FIELDS,
    ValueProblem,
    field_label,
    fold,
    parse_datetime,
    parse_priority,
    parse_status,
    split_names,
    unescape_cell,
)

# The models' column sizes; a longer value is reported rather than truncated or refused by PostgreSQL mid-import.
MAX_LENGTHS = {"reference": 64, "title": 300, "category": 100, "external_id": 128}
BATCH_ROWS = 250
BATCH_CHARS = 8 * 1024 * 1024  # a batch of big descriptions is checked and written early, to bound memory


@dataclass(frozen=True)
class RowProblem:
    line: int  # the row's first line in a CSV file; the entry's position (from 1) in a JSON one
    column: str | None  # the source column, when the problem is in one
    message: str


@dataclass
class TicketDraft:
    """A row that passed validation: what will be inserted, by ids."""

    line: int
    reference: str
    reference_generated: bool
    title: str
    description: str
    client_id: int
    site_id: int | None
    contact_id: int | None
    priority: int
    status: TicketStatus
    category: str
    external_id: str | None
    created_at: datetime | None
    resolve_deadline: datetime | None
    host_ids: tuple[int, ...] = ()


@dataclass
class RowResult:
    line: int
    draft: TicketDraft | None
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.problems


# -- what the database knows: clients and, per client, sites, contacts and hosts ----------------------------------


@dataclass
class _ClientIndex:
    id: int
    name: str
    zone: tzinfo
    sites: dict[str, int] = field(default_factory=dict)
    site_names: dict[str, str] = field(default_factory=dict)
    contacts: dict[str, int] = field(default_factory=dict)
    hosts: dict[str, int] = field(default_factory=dict)


def _zone(name: str) -> tzinfo:
    for candidate in (name, "Europe/Paris"):
        try:
            return ZoneInfo(candidate)
        except (ZoneInfoNotFoundError, ValueError):
            continue
    return UTC


def _load_clients(session: Session) -> dict[str, _ClientIndex]:
    by_id = {
        id_: _ClientIndex(id_, name, _zone(zone))
        for id_, name, zone in session.execute(select(Client.id, Client.name, Client.time_zone))
    }
    for id_, client_id, name in session.execute(select(Site.id, Site.client_id, Site.name)):
        by_id[client_id].sites.setdefault(fold(name), id_)
        by_id[client_id].site_names.setdefault(fold(name), name)
    for id_, client_id, name, email in session.execute(
        select(Contact.id, Contact.client_id, Contact.name, Contact.email)
    ):
        for key in (fold(name), fold(email)):
            if key:
                by_id[client_id].contacts.setdefault(key, id_)
    for id_, client_id, name in session.execute(select(Host.id, Host.client_id, Host.name)):
        by_id[client_id].hosts.setdefault(fold(name), id_)
    return {fold(client.name): client for client in by_id.values()}


def _closest(name: str, choices: dict[str, str]) -> str | None:
    """The original spelling of the choice closest to `name` (keys folded), if one is close enough."""
    match = difflib.get_close_matches(fold(name), list(choices), n=1, cutoff=0.75)
    return choices[match[0]] if match else None


# -- validation --------------------------------------------------------------------------------------------------


def check_mapping(mapping: Mapping[str, str], headers: Iterable[str]) -> None:
    """Raises ImportFileError when the mapping names an unknown field or column, or lacks the title or client."""
    known = set(headers)
    chosen: dict[str, str] = {}
    for column, name in mapping.items():
        if name not in FIELDS:
            raise ImportFileError(_("Unknown ticket field '{field}'.").format(field=name))
        if column not in known:
            raise ImportFileError(_("The file has no column '{column}'.").format(column=column))
        if name in chosen:
            raise ImportFileError(
                _("Two columns are given for {field}: '{first}' and '{second}'.").format(
                    field=field_label(name), first=chosen[name], second=column
                )
            )
        chosen[name] = column
    for required in ("title", "client"):
        if required not in chosen:
            raise ImportFileError(
                _("Choose the column that holds the {field} (none was recognised).").format(field=field_label(required))
            )


class RowValidator:
    """Turns records into drafts or problems; remembers references seen so far to catch duplicates in the file."""

    def __init__(self, session: Session, mapping: Mapping[str, str], *, now: datetime | None = None) -> None:
        self.session = session
        self.columns = {name: column for column, name in mapping.items()}
        self.clients = _load_clients(session)
        self.client_names = {key: client.name for key, client in self.clients.items()}
        self.now = now or utc_now()
        self.references: dict[str, int] = {}  # reference → line, for the whole file: small strings only
        self.external_ids: dict[str, int] = {}
        self._prefix = f"IMP-{self.now.astimezone():%Y%m%d}-"
        self._next_number: int | None = None

    def _generate_reference(self, line: int) -> str:
        if self._next_number is None:
            existing = self.session.scalars(select(Ticket.reference).where(Ticket.reference.like(f"{self._prefix}%")))
            numbers = [int(ref[len(self._prefix) :]) for ref in existing if ref[len(self._prefix) :].isdigit()]
            self._next_number = max(numbers, default=0) + 1
        while True:
            reference = f"{self._prefix}{self._next_number:05d}"
            self._next_number += 1
            if reference not in self.references:
                self.references[reference] = line  # so that a later explicit duplicate is caught
                return reference

    @staticmethod
    def _seen(seen: dict[str, int], value: str, line: int) -> int | None:
        """The line where `value` was first seen, after remembering this one if it is the first."""
        first = seen.setdefault(value, line)
        return first if first != line else None

    def validate(self, record: SourceRecord) -> RowResult:
        result = RowResult(record.line, None)

        def problem(name: str | None, message: str) -> None:
            result.problems.append(RowProblem(record.line, self.columns.get(name) if name else None, message))

        if record.problem:
            problem(None, record.problem)
            return result
        if record.extra_cells:
            problem(
                None,
                _("This row has {count} more cells than the header: is a delimiter inside an unquoted value?").format(
                    count=record.extra_cells
                ),
            )
        values: dict[str, str] = {}
        for name, column in self.columns.items():
            raw = record.values.get(column, "")
            if len(raw) > MAX_CELL_CHARS:
                problem(
                    name,
                    _("This cell holds {size} MB: at most {limit} MB are accepted.").format(
                        size=round(len(raw) / 1024 / 1024, 1), limit=MAX_CELL_CHARS // 1024 // 1024
                    ),
                )
                raw = ""
            values[name] = unescape_cell(raw).strip()
        for name, limit in MAX_LENGTHS.items():
            if len(values.get(name, "")) > limit:
                problem(
                    name,
                    _("Too long: {length} characters, at most {limit}.").format(length=len(values[name]), limit=limit),
                )
        title = " ".join(values.get("title", "").split())
        if not title:
            problem("title", _("The title is missing."))
        client = self._client(values.get("client", ""), problem)
        site_id = contact_id = None
        host_ids: list[int] = []
        if client is not None:
            site_id = self._site(client, values.get("site", ""), problem)
            contact_id = self._contact(client, values.get("contact", ""), problem)
            host_ids = self._hosts(client, values.get("hosts", ""), problem)
        priority, status = int(Priority.P3), TicketStatus.NEW
        try:
            priority = parse_priority(values.get("priority", "")) or priority
        except ValueProblem as error:
            problem("priority", str(error))
        try:
            status = TicketStatus(parse_status(values.get("status", "")) or status)
        except ValueProblem as error:
            problem("status", str(error))
        zone = client.zone if client else UTC
        created_at = self._instant(values.get("created_at", ""), zone, "created_at", problem, end_of_day=False)
        deadline = self._instant(values.get("resolve_deadline", ""), zone, "resolve_deadline", problem, end_of_day=True)
        reference, generated = values.get("reference", ""), not values.get("reference")
        if generated:
            reference = self._generate_reference(record.line)
        elif duplicate := self._seen(self.references, reference, record.line):
            problem(
                "reference",
                _("The reference '{reference}' is already used on line {line} of this file.").format(
                    reference=reference, line=duplicate
                ),
            )
        external_id = values.get("external_id") or None
        if external_id and (duplicate := self._seen(self.external_ids, external_id, record.line)):
            problem(
                "external_id",
                _("The external ID '{external_id}' is already used on line {line} of this file.").format(
                    external_id=external_id, line=duplicate
                ),
            )
        if not result.problems and client is not None:
            result.draft = TicketDraft(
                line=record.line,
                reference=reference,
                reference_generated=generated,
                title=title,
                description=values.get("description", ""),
                client_id=client.id,
                site_id=site_id,
                contact_id=contact_id,
                priority=priority,
                status=status,
                category=values.get("category", ""),
                external_id=external_id,
                created_at=created_at,
                resolve_deadline=deadline,
                host_ids=tuple(host_ids),
            )
        return result

    def _client(self, name: str, problem: Callable[[str | None, str], None]) -> _ClientIndex | None:
        if not name:
            problem("client", _("The client is missing."))
            return None
        client = self.clients.get(fold(name))
        if client is None:
            message = _("Unknown client '{name}'.").format(name=name)
            suggestion = _closest(name, self.client_names)
            if suggestion:
                message += " " + _("Did you mean '{suggestion}'?").format(suggestion=suggestion)
            problem("client", message)
        return client

    def _site(self, client: _ClientIndex, name: str, problem: Callable[[str | None, str], None]) -> int | None:
        if not name:
            return None
        site_id = client.sites.get(fold(name))
        if site_id is None:
            message = _("Unknown site '{site}' for client '{client}'.").format(site=name, client=client.name)
            suggestion = _closest(name, client.site_names)
            if suggestion:
                message += " " + _("Did you mean '{suggestion}'?").format(suggestion=suggestion)
            problem("site", message)
        return site_id

    def _contact(self, client: _ClientIndex, name: str, problem: Callable[[str | None, str], None]) -> int | None:
        if not name:
            return None
        contact_id = client.contacts.get(fold(name))
        if contact_id is None:
            problem(
                "contact",
                _("Unknown contact '{contact}' for client '{client}'.").format(contact=name, client=client.name),
            )
        return contact_id

    def _hosts(self, client: _ClientIndex, text: str, problem: Callable[[str | None, str], None]) -> list[int]:
        names = split_names(text)
        unknown = [name for name in names if fold(name) not in client.hosts]
        if unknown:
            problem(
                "hosts",
                _("Unknown hosts for client '{client}': {hosts}.").format(client=client.name, hosts=", ".join(unknown)),
            )
        return list(dict.fromkeys(client.hosts[fold(name)] for name in names if fold(name) in client.hosts))

    def _instant(
        self, text: str, zone: tzinfo, name: str, problem: Callable[[str | None, str], None], *, end_of_day: bool
    ) -> datetime | None:
        try:
            parsed = parse_datetime(text)
        except ValueProblem as error:
            problem(name, str(error))
            return None
        if parsed is None:
            return None
        value, date_only = parsed
        if date_only and end_of_day:
            value = datetime.combine(value.date(), time(23, 59, 59))
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone)
        return value.astimezone(UTC)

    def check_database(self, results: list[RowResult]) -> None:
        """Marks the drafts whose reference, or imported external ID, the database already has."""
        drafts = [result.draft for result in results if result.draft is not None]
        if not drafts:
            return
        taken = set(
            self.session.scalars(select(Ticket.reference).where(Ticket.reference.in_([d.reference for d in drafts])))
        )
        external = [d.external_id for d in drafts if d.external_id]
        known = set()
        if external:
            known = set(
                self.session.scalars(
                    select(Ticket.external_id).where(
                        Ticket.source == TicketSource.IMPORTED, Ticket.external_id.in_(external)
                    )
                )
            )
        for result in results:
            draft = result.draft
            if draft is None:
                continue
            if draft.reference in taken:
                message = _("A ticket with the reference '{reference}' is already in the database.")
                result.problems.append(
                    RowProblem(result.line, self.columns.get("reference"), message.format(reference=draft.reference))
                )
            if draft.external_id in known:
                message = _("A ticket imported with the external ID '{external_id}' is already in the database.")
                result.problems.append(
                    RowProblem(
                        result.line, self.columns.get("external_id"), message.format(external_id=draft.external_id)
                    )
                )
            if result.problems:
                result.draft = None


def batches(validator: RowValidator, records: Iterator[SourceRecord]) -> Iterator[list[RowResult]]:
    batch: list[RowResult] = []
    chars = 0
    for record in records:
        result = validator.validate(record)
        batch.append(result)
        chars += len(result.draft.description) if result.draft else 0
        if len(batch) >= BATCH_ROWS or chars >= BATCH_CHARS:
            validator.check_database(batch)
            yield batch
            batch, chars = [], 0
    if batch:
        validator.check_database(batch)
        yield batch


def validate_rows(session: Session, records: Iterable[SourceRecord], mapping: Mapping[str, str]) -> Iterator[RowResult]:
    """Validates without writing: for the import dialog's preview, e.g. on `preview(path).records`."""
    validator = RowValidator(session, mapping)
    for batch in batches(validator, iter(records)):
        yield from batch

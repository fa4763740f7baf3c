"""The queue: tickets to handle, most urgent first (priority, then SLA deadline), with search and filters.

Rows are read with plain SQL rather than ORM objects (a team queue holds 100,000 tickets) and carry their SLA
clocks, so the state and countdown are recomputed at any instant without going back to the database. Each row
keeps one lowercase, accent-free search string, so a keystroke filters with a single pass over the rows.

Loading is written for 100,000 rows: the database sorts them, the driver's plain tuples are taken a batch at a time
and turned into columns, and each column is converted by one C-level pass (`map`, `zip`) rather than by a dozen
Python statements per row; rows and their clocks are then built, in the order they are shown, as named tuples.
"""

from __future__ import annotations

import functools
import gc
import heapq
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from itertools import chain, groupby, repeat
from operator import add, attrgetter, itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from supportstation.storage.enums import TicketStatus
from supportstation.tickets.sla_clocks import SlaClocks, SlaState, state_and_next_change

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

FAR_FUTURE = datetime.max.replace(tzinfo=UTC)
FAR_FUTURE_TIMESTAMP = FAR_FUTURE.timestamp()
_STATUS_OF = {status.value: status for status in TicketStatus}
_READ_BATCH = 1000  # rows read and converted at a time: a batch's raw values are freed before the next is read


def fold(text: str) -> str:
    """Lowercase without accents: 'Médical' and 'medical' match each other."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


# Titles, clients, sites and hosts repeat across a queue: each distinct text is folded once.
_fold_cached = functools.lru_cache(maxsize=65_536)(fold)


class QueueRow(NamedTuple):
    """What a queue line shows, detached from the database session.

    A named tuple rather than a frozen dataclass: a frozen dataclass sets each field through object.__setattr__,
    which made building 100,000 rows take a quarter of a second; a tuple is built in one C call. Rows compare and hash
    as the dataclass did: only with other rows, on every field but the search text (derived from the others).
    """

    ticket_id: int
    reference: str
    title: str
    priority: int
    status: TicketStatus
    client: str
    site: str
    hosts: tuple[str, ...]
    assignee: str
    assignee_email: str
    category: str
    clocks: SlaClocks
    search_text: str = ""

    def __eq__(self, other: object) -> bool:
        if other.__class__ is self.__class__:
            return self[:-1] == other[:-1]  # type: ignore[index]
        return False if isinstance(other, tuple) else NotImplemented  # a plain tuple would compare item by item

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self[:-1])

    @property
    def resolve_deadline(self) -> datetime | None:
        return self.clocks.resolve_deadline

    def sla_state(self, now: datetime) -> SlaState:
        return self.clocks.state(now)


_new_tuple = tuple.__new__  # QueueRow and SlaClocks built from a tuple of their fields, in C, without a Python frame
_CLOCKS = attrgetter("clocks")
_SEARCH_TEXT = attrgetter("search_text")
_FIRST, _SECOND = itemgetter(0), itemgetter(1)


def urgency_key(row: QueueRow) -> tuple[int, datetime, str]:
    # Within a priority the nearest deadline first; tickets without one after those with one.
    return (row.priority, row.clocks.next_deadline() or FAR_FUTURE, row.reference)


def search_text_of(reference: str, title: str, client: str, site: str, hosts: Iterable[str]) -> str:
    return " ".join([fold(reference), _fold_cached(title), _fold_cached(client), _fold_cached(site),
                     *map(_fold_cached, hosts)])  # fmt: skip


class _HostsText(dict[tuple[str, ...], str]):
    """The folded " host1 host2" a search string ends with, once per distinct set of hosts ("" without hosts)."""

    def __missing__(self, names: tuple[str, ...]) -> str:
        text = self[names] = "".join(" " + _fold_cached(name) for name in names)
        return text


def _search_texts(
    references: Sequence[str],
    titles: Iterable[str],
    clients: Iterable[str],
    sites: Iterable[str],
    hosts: Iterable[tuple[str, ...]],
    hosts_text: _HostsText | None = None,
) -> Iterator[str]:
    """`search_text_of` for whole columns, in C-level passes (map, zip, join) rather than Python steps per row."""
    # References are ASCII (INC-2026-000123) but for a rare import: then fold is str.lower, with no Python call.
    folded_references = map(str.lower if all(map(str.isascii, references)) else fold, references)
    texts = map(" ".join, zip(folded_references, map(_fold_cached, titles), map(_fold_cached, clients),
                             map(_fold_cached, sites), strict=True))  # fmt: skip
    hosts_texts = map((_HostsText() if hosts_text is None else hosts_text).__getitem__, hosts)
    return map(add, texts, hosts_texts)  # text + "" is text itself, not a copy


def _host_tuples(session: Session, ticket_ids: Sequence[int] | None = None) -> dict[int, tuple[str, ...]]:
    """{ticket id: its host names, in the database's name order} for every ticket with hosts, or those of `ticket_ids`.

    Host names come from the small host table, ranked by the database's ORDER BY name (so PostgreSQL's collation
    decides, as it did when the links were sorted with a join); the 65,000 links of a big queue are read alone, in
    their primary key's order, with no join and no sort, and each name is one string object however many tickets
    link to its host.
    """
    from sqlalchemy import select

    from supportstation.storage.models import Host, ticket_host

    connection = session.connection()
    names = connection.execute(select(Host.id, Host.name).order_by(Host.name, Host.id)).all()
    name_of = dict(names)
    rank_of = {host_id: rank for rank, (host_id, _name) in enumerate(names)}
    query = select(ticket_host.c.ticket_id, ticket_host.c.host_id).order_by(ticket_host.c.ticket_id)
    if ticket_ids is not None:
        query = query.where(ticket_host.c.ticket_id.in_(ticket_ids))
    hosts: dict[int, tuple[str, ...]] = {}
    share = {}.setdefault  # tickets about the same hosts share one tuple
    # groupby walks the links in C: one Python step per ticket, not one per link.
    for ticket_id, links in groupby(chain.from_iterable(_plain_batches(connection, query)), _FIRST):
        host_ids = list(map(_SECOND, links))
        if len(host_ids) > 1:
            host_ids.sort(key=rank_of.__getitem__)
        names = tuple(map(name_of.__getitem__, host_ids))
        hosts[ticket_id] = share(names, names)
    return hosts


def _plain_batches(connection: Connection, query: Any) -> Iterator[list[tuple[Any, ...]]]:
    """The query's rows as the driver's plain tuples, without SQLAlchemy's conversions, _READ_BATCH at a time.

    SQLAlchemy still compiles and executes the statement (parameters, events, errors); the rows are then fetched from
    its DBAPI cursor directly: building a Row object for each of 100,000 tickets, and converting its values one call
    at a time, cost more than all the conversions the queue then makes a column at a time. Small batches keep the
    rows being converted in the processor's cache.
    """
    result = connection.execute(query)
    try:
        while batch := result.cursor.fetchmany(_READ_BATCH):
            yield batch
    finally:
        result.close()


def host_names_by_ticket(session: Session, ticket_ids: Sequence[int] | None = None) -> dict[int, list[str]]:
    """Every ticket's host names (or those of `ticket_ids`), sorted, in one query (not one per ticket)."""
    return {ticket_id: list(names) for ticket_id, names in _host_tuples(session, ticket_ids).items()}


def _collect_young(was_enabled: bool) -> None:
    """Turns the collector back on after a bulk build, and makes its pass over the young objects (the rows: a tenth
    of a second at 100,000) here, in the worker thread, rather than on whichever thread allocates next: the GUI's."""
    if was_enabled:
        gc.enable()
        gc.collect(0)


def _instants_reader(dialect: str) -> Callable[[Sequence[Any]], list[datetime | None]]:
    """How a column of this backend's instants, as its driver gives them, becomes aware UTC datetimes.

    SQLite keeps naive UTC text (see `types.UTCDateTime`), parsed here with the UTC offset appended, so
    datetime.fromisoformat (in C) builds the aware instant in one call: `.replace(tzinfo=UTC)` on each parsed value
    cost more than the parsing. PostgreSQL gives aware datetimes in the session's zone.
    """
    if dialect == "sqlite":
        parse = datetime.fromisoformat

        def parse_utc(values: Sequence[str | None]) -> list[datetime | None]:
            if values.count(None) == len(values):  # resolved_at of open tickets, say
                return list(values)
            return [None if value is None else parse(value + "+00:00") for value in values]

        return parse_utc

    def in_utc(values: Sequence[datetime | None]) -> list[datetime | None]:
        if values.count(None) == len(values):
            return list(values)
        return [None if value is None else value.astimezone(UTC) for value in values]

    return in_utc


def _names(connection: Connection, *columns: Any) -> dict[Any, Any]:
    """{id: name} of a small table (clients, sites, engineers), with None (no site, no assignee) as ""."""
    from sqlalchemy import select

    names: dict[Any, Any] = dict(connection.execute(select(*columns)).all())
    names[None] = ""
    return names


def load_queue(session: Session, *, include_closed: bool = False, limit: int | None = None) -> list[QueueRow]:
    """The queue in urgency order; with `limit`, only that many most urgent tickets.

    The limited form shows a big queue's first screen at once, while the whole queue loads.
    """
    # Imported here: the queue view needs QueueRow before SQLAlchemy has loaded (see app.py).
    from sqlalchemy import case, select

    from supportstation.storage.models import Client, Engineer, Site, Ticket, queue_order, ticket_is_open

    connection = session.connection()
    to_instants = _instants_reader(connection.dialect.name)
    # Clients, sites and engineers are few: their names come from small dictionaries, not a join per ticket, and each
    # name is one string object however many tickets show it.
    clients, sites = _names(connection, Client.id, Client.name), _names(connection, Site.id, Site.name)
    assignees, emails = _names(connection, Engineer.id, Engineer.name), _names(connection, Engineer.id, Engineer.email)
    # The values come as the driver gives them (see _plain_batches): statuses as their text, instants as text on
    # SQLite, flags as 0/1 there. The clock to take the ticket no longer matters once it is taken: NULL then, so most
    # rows skip two conversions.
    unowned = Ticket.owned_at.is_(None)
    query = select(
        Ticket.id, Ticket.reference, Ticket.title, Ticket.priority, Ticket.status, Ticket.category,
        case((unowned, Ticket.own_deadline), else_=None), case((unowned, Ticket.own_warning_at), else_=None),
        Ticket.resolve_deadline, Ticket.resolve_warning_at, Ticket.owned_at.is_not(None),
        Ticket.sla_paused_at.is_not(None), Ticket.resolved_at, Ticket.client_id, Ticket.site_id, Ticket.assignee_id,
    )  # fmt: skip
    if not include_closed:
        query = query.where(ticket_is_open())
    # The database sorts, in urgency_key's order: priority, then the deadline that matters now (to own, then to
    # resolve; none last), then reference; for open tickets on SQLite it reads them in that order from the queue's
    # index (see models.queue_order), without a sort. Rows then arrive in the order they are shown and scanned, and
    # everything built from them lies in memory in that order; sorting in Python instead meant visiting 100,000 rows
    # in random order, each visit a cache miss (building the rows took four times as long, a filter scan three times).
    # The orders agree: SQLite compares the instants' text, which UTCDateTime always writes in one fixed format, and
    # references byte by byte (BINARY); PostgreSQL compares timestamps, and references byte by byte with the "C"
    # collation, as Python compares strings (tests/unit/test_queue_speedups.py checks both).
    priority, no_deadline, next_deadline, reference = queue_order()
    if connection.dialect.name != "sqlite":
        reference = Ticket.reference.collate("C")
    query = query.order_by(priority, no_deadline, next_deadline, reference)
    if limit is not None:
        query = query.limit(limit)

    batches: Iterable[list[tuple[Any, ...]]] = _plain_batches(connection, query)
    if limit is None:
        hosts_of = _host_tuples(session)
    else:  # the few rows first, to read the hosts of those tickets only
        head = list(chain.from_iterable(batches))
        batches = [head] if head else []
        hosts_of = _host_tuples(session, [row[0] for row in head])
    # Titles and categories repeat (alerts, templates): one string object each instead of one per row.
    share = {}.setdefault
    hosts_text = _HostsText()
    rows: list[QueueRow] = []
    collecting = gc.isenabled()
    gc.disable()  # building 100,000 small objects would trigger many full collections for nothing
    try:
        # A batch at a time, from the driver's rows to QueueRows: the batch stays in the processor's cache, and the
        # raw values (instants as text, say) are freed before the next batch is read.
        for batch in batches:
            (ids, references, titles, priorities, statuses, categories, owns, own_warnings, resolves, resolve_warnings,
             owned, paused, finished, client_ids, site_ids, assignee_ids) = zip(*batch, strict=True)  # fmt: skip
            titles = tuple(map(share, titles, titles))
            clients_of, sites_of = tuple(map(clients.__getitem__, client_ids)), tuple(map(sites.__getitem__, site_ids))
            hosts = tuple(map(hosts_of.get, ids, repeat(())))
            clocks = map(_new_tuple, repeat(SlaClocks), zip(
                to_instants(owns), to_instants(own_warnings), to_instants(resolves), to_instants(resolve_warnings),
                map(bool, owned), map(bool, paused), to_instants(finished), strict=True))  # fmt: skip
            search = _search_texts(references, titles, clients_of, sites_of, hosts, hosts_text)
            rows += map(_new_tuple, repeat(QueueRow), zip(
                ids, references, titles, priorities, map(_STATUS_OF.__getitem__, statuses), clients_of, sites_of,
                hosts, map(assignees.__getitem__, assignee_ids), map(emails.__getitem__, assignee_ids),
                map(share, categories, categories), clocks, search, strict=True))  # fmt: skip
        return rows
    finally:
        _collect_young(collecting)


@dataclass(frozen=True)
class QueueFilter:
    """What the engineer asked the queue to show; saved filters are these, by name."""

    text: str = ""
    statuses: frozenset[TicketStatus] = frozenset()
    priorities: frozenset[int] = frozenset()
    clients: frozenset[str] = frozenset()
    mine: bool = False
    breached: bool = False
    at_risk: bool = False

    def is_empty(self) -> bool:
        return self == QueueFilter()

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "statuses": sorted(status.value for status in self.statuses),
            "priorities": sorted(self.priorities),
            "clients": sorted(self.clients),
            "mine": self.mine,
            "breached": self.breached,
            "at_risk": self.at_risk,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> QueueFilter:
        """Reads a saved filter, ignoring what this version does not know (a filter is never worth an error)."""
        known = {item.name for item in fields(cls)}
        raw = {key: value for key, value in raw.items() if key in known}
        statuses = frozenset(TicketStatus(value) for value in raw.get("statuses", []) if value in set(TicketStatus))
        priorities = frozenset(int(p) for p in raw.get("priorities", []) if str(p).isdigit() and 1 <= int(p) <= 4)
        return cls(
            text=str(raw.get("text", "")),
            statuses=statuses,
            priorities=priorities,
            clients=frozenset(str(client) for client in raw.get("clients", [])),
            mine=bool(raw.get("mine", False)),
            breached=bool(raw.get("breached", False)),
            at_risk=bool(raw.get("at_risk", False)),
        )


def matching_indexes(rows: Sequence[QueueRow], wanted: QueueFilter, *, now: datetime, my_email: str = "") -> list[int]:
    """Positions of the rows the filter keeps, in their current order: one pass, no per-row allocation."""
    words = [fold(word) for word in wanted.text.split()]
    my_email = my_email.casefold()
    sla_wanted = set()
    if wanted.breached:
        sla_wanted.add(SlaState.BREACHED)
    if wanted.at_risk:
        sla_wanted.add(SlaState.AT_RISK)
    kept = []
    for index, row in enumerate(rows):
        if words and not all(word in row.search_text for word in words):
            continue
        if wanted.statuses and row.status not in wanted.statuses:
            continue
        if wanted.priorities and row.priority not in wanted.priorities:
            continue
        if wanted.clients and row.client not in wanted.clients:
            continue
        if wanted.mine and (not my_email or row.assignee_email.casefold() != my_email):
            continue
        if sla_wanted and row.clocks.state(now) not in sla_wanted:
            continue
        kept.append(index)
    return kept


def _due_key(clocks: SlaClocks) -> float:
    deadline = clocks.next_deadline()
    return FAR_FUTURE_TIMESTAMP if deadline is None else deadline.timestamp()


def _shared_start(texts: Sequence[str]) -> str:
    """The longest start all `texts` share: the one the smallest and the largest share, as every text sorts between."""
    if not texts:
        return ""
    smallest, largest = min(texts), max(texts)
    for length, (a, b) in enumerate(zip(smallest, largest, strict=False)):
        if a != b:
            return smallest[:length]
    return smallest  # a start of the largest


def _states_and_changes(
    clocks: Iterable[SlaClocks], now: datetime
) -> tuple[list[SlaState], list[tuple[datetime, int]], list[float]]:
    """In one pass over the rows' clocks: each state at `now`, the (instant, position) pairs at which a state can next
    change, and the due column's sort keys (the next deadline's timestamp).

    The running clocks are evaluated here, as `state_and_next_change` and `SlaClocks.next_deadline` evaluate them
    (tests/unit/test_queue_speedups.py checks they agree), without their two Python calls per row: they made up half
    the time to build the index. Paused and finished tickets, which no instant changes, still go through them.
    """
    states: list[SlaState] = []
    changes: list[tuple[datetime, int]] = []
    due: list[float] = []
    add_state, add_change, add_due = states.append, changes.append, due.append
    far = FAR_FUTURE_TIMESTAMP
    by_severity = (SlaState.NONE, SlaState.ON_TRACK, SlaState.AT_RISK, SlaState.BREACHED)
    for position, clock in enumerate(clocks):
        own, own_warning, deadline, warning, owned, paused, finished = clock
        if paused or finished is not None:
            add_state(state_and_next_change(clock, now)[0])  # no instant changes a paused or finished clock
            upcoming = clock.next_deadline()
            add_due(far if upcoming is None else upcoming.timestamp())
            continue
        # The clock to resolve: severity 0 none, 1 on track, 2 at risk, 3 breached; `upcoming`, its next change.
        if deadline is None:
            severity, upcoming = 0, None
        elif now >= deadline:
            severity, upcoming = 3, None
        elif warning is not None and now >= warning:
            severity, upcoming = 2, deadline
        else:
            severity = 1
            upcoming = warning if warning is not None and warning < deadline else deadline
        if owned or own is None:
            add_due(far if deadline is None else deadline.timestamp())
        else:
            # The clock to take the ticket runs too: the worse state, the sooner change, the sooner deadline.
            add_due((own if deadline is None or own <= deadline else deadline).timestamp())
            if now >= own:
                severity = 3
            else:
                own_next = own_warning if own_warning is not None and now < own_warning < own else own
                upcoming = own_next if upcoming is None or own_next < upcoming else upcoming
                if own_warning is not None and now >= own_warning:
                    severity = max(severity, 2)
                elif severity == 0:
                    severity = 1
        add_state(by_severity[severity])
        if upcoming is not None:
            add_change((upcoming, position))
    return states, changes, due


PREPARED_SORT_KEYS = ("due", "title", "client")


class QueueIndex:
    """The loaded rows and what makes a queue fast at 100,000 tickets: a flat list of search strings (made by the
    first search), each row's SLA state kept up to date by a heap of the instants at which states change (a tick
    touches only the rows whose deadline just passed), and sort keys computed once per column.
    """

    def __init__(self, rows: Sequence[QueueRow], now: datetime):
        self.rows = list(rows)
        self.now = now
        collecting = gc.isenabled()
        gc.disable()  # 100,000 heap entries would trigger many collections of the whole queue for nothing
        try:
            self.states, self._changes, due = _states_and_changes(map(_CLOCKS, self.rows), now)
            heapq.heapify(self._changes)
            self.counts = Counter(self.states)
            self._sort_keys: dict[str, list[Any]] = {"due": due}
            # Computed here, in the worker thread that builds the index, so the first sort by these is quick too.
            for column in PREPARED_SORT_KEYS:
                self.sort_keys(column)
        finally:
            _collect_young(collecting)

    # What only a search needs is made by the first search, not when the queue opens.

    @functools.cached_property
    def search(self) -> list[str]:
        return list(map(_SEARCH_TEXT, self.rows))

    @functools.cached_property
    def _shared_start(self) -> str:
        """The start every search string shares (the references' prefix, INC-2026-, say): a word found in it is in
        every row, so typing a reference's start needs no scan."""
        return _shared_start(self.search)

    def advance(self, now: datetime) -> list[int]:
        """Moves the clock to `now`; returns the rows whose SLA state changed."""
        self.now = now
        changed = []
        while self._changes and self._changes[0][0] <= now:
            _instant, index = heapq.heappop(self._changes)
            state, instant = state_and_next_change(self.rows[index].clocks, now)
            if state != self.states[index]:
                self.counts[self.states[index]] -= 1
                self.counts[state] += 1
                self.states[index] = state
                changed.append(index)
            if instant is not None:
                heapq.heappush(self._changes, (instant, index))
        if changed:
            self._sort_keys.pop("sla", None)
        return changed

    def filter(self, wanted: QueueFilter, *, my_email: str = "", within: Sequence[int] | None = None) -> list[int]:
        """Positions kept by the filter, in load order. `within` narrows an earlier result (the user typed more)."""
        words = [fold(word) for word in wanted.text.split()]
        if words:  # a word found in the start every search string shares is in every row: no scan needed
            words = [word for word in words if word not in self._shared_start]
        count = len(self.rows)
        if within is not None and len(within) == count:
            within = None  # narrowing all the rows: the whole scan below is a little quicker
        pool: Iterable[int] = range(count) if within is None else within
        if words:
            search = self.search
            if within is None:
                pool = [i for i, text in enumerate(search) if words[0] in text]
                words = words[1:]
            for word in words:
                pool = [i for i in pool if word in search[i]]
        if wanted == QueueFilter(text=wanted.text):
            return list(pool)
        rows, states = self.rows, self.states
        my_email = my_email.casefold()
        sla_wanted = {state for state, on in ((SlaState.BREACHED, wanted.breached), (SlaState.AT_RISK,
                      wanted.at_risk)) if on}  # fmt: skip
        return [
            i for i in pool
            if (not wanted.statuses or rows[i].status in wanted.statuses)
            and (not wanted.priorities or rows[i].priority in wanted.priorities)
            and (not wanted.clients or rows[i].client in wanted.clients)
            and (not wanted.mine or (my_email and rows[i].assignee_email.casefold() == my_email))
            and (not sla_wanted or states[i] in sla_wanted)
        ]  # fmt: skip

    def sort_keys(self, column: str) -> list[Any]:
        """One key per row for `column`, computed on first use and kept (the SLA keys until a state changes)."""
        keys = self._sort_keys.get(column)
        if keys is None:
            keys = self._sort_keys[column] = self._compute_keys(column)
        return keys

    def _compute_keys(self, column: str) -> list[Any]:
        rows = self.rows
        if column == "sla":
            severity = {SlaState.BREACHED: 0, SlaState.AT_RISK: 1, SlaState.ON_TRACK: 2, SlaState.PAUSED: 3}
            return [severity.get(state, 4) for state in self.states]
        if column == "due":
            return list(map(_due_key, map(_CLOCKS, rows)))
        if column == "hosts":
            values = [", ".join(row.hosts) for row in rows]
        elif column == "status":
            values = [row.status.value for row in rows]
        else:
            values = list(map(attrgetter(column), rows))
        if not values or not isinstance(values[0], str):
            return values
        # Strings sort by their rank among the distinct values: a queue holds few distinct clients or titles, and
        # comparing integers is much cheaper than comparing strings 1.7 million times.
        ranks = {value: rank for rank, value in enumerate(sorted(set(values), key=str.casefold))}
        return list(map(ranks.__getitem__, values))

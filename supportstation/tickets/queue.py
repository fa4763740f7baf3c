"""The queue: tickets to handle, most urgent first (priority, then SLA deadline), with search and filters.

Rows are read with plain SQL rather than ORM objects (a team queue holds 100,000 tickets) and carry their SLA
clocks, so the state and countdown are recomputed at any instant without going back to the database. Each row
keeps one lowercase, accent-free search string, so a keystroke filters with a single pass over the rows.
"""

from __future__ import annotations

import functools
import gc
import heapq
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from supportstation.storage.enums import TicketStatus
from supportstation.tickets.sla_clocks import SlaClocks, SlaState, state_and_next_change

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_CUSTOMER,
    TicketStatus.WAITING_THIRD_PARTY,
)
FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def fold(text: str) -> str:
    """Lowercase without accents: 'Médical' and 'medical' match each other."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


# Titles, clients, sites and hosts repeat across a queue: each distinct text is folded once.
_fold_cached = functools.lru_cache(maxsize=65_536)(fold)


@dataclass(frozen=True, slots=True)
class QueueRow:
    """What a queue line shows, detached from the database session."""

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
    search_text: str = field(default="", compare=False)

    @property
    def resolve_deadline(self) -> datetime | None:
        return self.clocks.resolve_deadline

    def sla_state(self, now: datetime) -> SlaState:
        return self.clocks.state(now)


def urgency_key(row: QueueRow) -> tuple[int, datetime, str]:
    # Within a priority the nearest deadline first; tickets without one after those with one.
    return (row.priority, row.clocks.next_deadline() or FAR_FUTURE, row.reference)


def search_text_of(reference: str, title: str, client: str, site: str, hosts: Iterable[str]) -> str:
    return " ".join([fold(reference), _fold_cached(title), _fold_cached(client), _fold_cached(site),
                     *map(_fold_cached, hosts)])  # fmt: skip


def host_names_by_ticket(session: Session, ticket_ids: Sequence[int] | None = None) -> dict[int, list[str]]:
    """Every ticket's host names (or those of `ticket_ids`), sorted, in one query (not one per ticket)."""
    from sqlalchemy import select

    from supportstation.storage.models import Host, ticket_host

    query = (
        select(ticket_host.c.ticket_id, Host.name)
        .join(Host, Host.id == ticket_host.c.host_id)
        .order_by(ticket_host.c.ticket_id, Host.name)
    )
    if ticket_ids is not None:
        query = query.where(ticket_host.c.ticket_id.in_(ticket_ids))
    hosts: dict[int, list[str]] = {}
    for ticket_id, name in session.connection().execute(query):
        hosts.setdefault(ticket_id, []).append(name)
    return hosts


def _aware_in_utc(dialect: str) -> Any:
    """SQLite gives naive UTC instants back; PostgreSQL gives aware ones, in the session's zone."""
    if dialect == "sqlite":
        return lambda value: value if value is None else value.replace(tzinfo=UTC)
    return lambda value: value if value is None else value.astimezone(UTC)


def load_queue(session: Session, *, include_closed: bool = False, limit: int | None = None) -> list[QueueRow]:
    """The queue in urgency order; with `limit`, only that many most urgent tickets, ordered by the database.

    The limited form shows a big queue's first screen at once, while the whole queue loads.
    """
    # Imported here: the queue view needs QueueRow before SQLAlchemy has loaded (see app.py).
    from sqlalchemy import DateTime, case, select, type_coerce

    from supportstation.storage.models import Client, Engineer, Site, Ticket

    aware = _aware_in_utc(session.get_bind().dialect.name)
    # Plain SQL through the connection: rows as tuples, no ORM objects; 100,000 tickets are read in one go.
    connection = session.connection()

    # Instants are read with the plain DateTime type and made aware here, in bulk: the UTCDateTime decorator's
    # per-value call is the largest cost of reading 600,000 of them.
    # The clock to take the ticket no longer matters once it is taken: NULL then, so most rows skip two conversions.
    unowned = Ticket.owned_at.is_(None)
    raw = [type_coerce(column, DateTime(timezone=True)) for column in (
        case((unowned, Ticket.own_deadline), else_=None), case((unowned, Ticket.own_warning_at), else_=None),
        Ticket.resolve_deadline, Ticket.resolve_warning_at, Ticket.resolved_at)]  # fmt: skip
    query = (
        select(
            Ticket.id, Ticket.reference, Ticket.title, Ticket.priority, Ticket.status, Ticket.category,
            *raw[:4], Ticket.owned_at.is_not(None), Ticket.sla_paused_at.is_not(None), raw[4],
            Client.name, Site.name, Engineer.name, Engineer.email,
        )
        .join(Client, Client.id == Ticket.client_id)
        .outerjoin(Site, Site.id == Ticket.site_id)
        .outerjoin(Engineer, Engineer.id == Ticket.assignee_id)
    )  # fmt: skip
    if not include_closed:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    if limit is not None:
        # The same order as urgency_key: priority, then the deadline that matters now (to own, then to resolve).
        own_first = (
            unowned
            & Ticket.own_deadline.is_not(None)
            & (Ticket.resolve_deadline.is_(None) | (Ticket.own_deadline < Ticket.resolve_deadline))
        )
        next_deadline = case((own_first, Ticket.own_deadline), else_=Ticket.resolve_deadline)
        query = query.order_by(Ticket.priority, next_deadline.asc().nulls_last(), Ticket.reference).limit(limit)
        records: Any = connection.execute(query).all()
        hosts = host_names_by_ticket(session, [record[0] for record in records])
    else:
        hosts = host_names_by_ticket(session)
        records = connection.execute(query)
    # Clients, sites, assignees and categories repeat: one string object each instead of one per row.
    shared: dict[str, str] = {}
    share = shared.setdefault
    no_hosts: tuple[str, ...] = ()
    rows = []
    collecting = gc.isenabled()
    gc.disable()  # building 100,000 small objects would trigger many full collections for nothing
    try:
        for (ticket_id, reference, title, priority, status, category, own_deadline, own_warning,
             resolve_deadline, resolve_warning, owned, paused, resolved_at, client, site, assignee,
             assignee_email) in records:  # fmt: skip
            names = tuple(hosts[ticket_id]) if ticket_id in hosts else no_hosts
            own_deadline, own_warning = aware(own_deadline), aware(own_warning)
            resolve_deadline, resolve_warning = aware(resolve_deadline), aware(resolve_warning)
            resolved_at = aware(resolved_at)
            client, site = share(client, client), share(site or "", site or "")
            rows.append(
                QueueRow(
                    ticket_id, reference, title, priority, status, client, site, names,
                    share(assignee or "", assignee or ""), share(assignee_email or "", assignee_email or ""),
                    share(category, category),
                    SlaClocks(own_deadline, own_warning, resolve_deadline, resolve_warning, bool(owned), bool(paused),
                              resolved_at),
                    search_text_of(reference, title, client, site, names),
                )
            )  # fmt: skip
        rows.sort(key=urgency_key)
    finally:
        if collecting:
            gc.enable()
    return rows


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


PREPARED_SORT_KEYS = ("due", "title", "client")


class QueueIndex:
    """The loaded rows and what makes a queue fast at 100,000 tickets: a flat list of search strings, each row's
    SLA state kept up to date by a heap of the instants at which states change (a tick touches only the rows whose
    deadline just passed), and sort keys computed once per column.
    """

    def __init__(self, rows: Sequence[QueueRow], now: datetime):
        self.rows = list(rows)
        self.search = [row.search_text for row in self.rows]
        self.now = now
        self.states: list[SlaState] = []
        self._changes: list[tuple[datetime, int]] = []
        add_state, add_change = self.states.append, self._changes.append
        for index, row in enumerate(self.rows):
            state, instant = state_and_next_change(row.clocks, now)
            add_state(state)
            if instant is not None:
                add_change((instant, index))
        heapq.heapify(self._changes)
        self.counts = Counter(self.states)
        self._sort_keys: dict[str, list[Any]] = {}
        # Computed here, in the worker thread that builds the index, so the first sort by these is quick too.
        for column in PREPARED_SORT_KEYS:
            self.sort_keys(column)

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
        search = self.search
        if within is not None and len(within) == len(search):
            within = None  # narrowing all the rows: the whole scan below is a little quicker
        pool: Iterable[int] = range(len(search)) if within is None else within
        if words and within is None:
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
            return [(row.clocks.next_deadline() or FAR_FUTURE).timestamp() for row in rows]
        if column == "hosts":
            values = [", ".join(row.hosts) for row in rows]
        elif column == "status":
            values = [row.status.value for row in rows]
        else:
            values = [getattr(row, column) for row in rows]
        if not values or not isinstance(values[0], str):
            return values
        # Strings sort by their rank among the distinct values: a queue holds few distinct clients or titles, and
        # comparing integers is much cheaper than comparing strings 1.7 million times.
        ranks = {value: rank for rank, value in enumerate(sorted(set(values), key=str.casefold))}
        return [ranks[value] for value in values]

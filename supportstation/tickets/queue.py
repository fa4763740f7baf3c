"""The queue: tickets to handle, most urgent first (priority, then SLA deadline), with search and filters.

Rows are read with plain SQL rather than ORM objects (a team queue holds 100,000 tickets) and carry their SLA
clocks, so the state and countdown are recomputed at any instant without going back to the database. Each row
keeps one lowercase, accent-free search string, so a keystroke filters with a single pass over the rows.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from supportstation.storage.enums import TicketStatus
from supportstation.tickets.sla_clocks import SlaClocks, SlaState

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
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(character for character in decomposed if not unicodedata.combining(character))


@dataclass(frozen=True)
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
    created_at: datetime
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
    return fold(" ".join([reference, title, client, site, *hosts]))


def load_queue(session: Session, *, include_closed: bool = False) -> list[QueueRow]:
    # Imported here: the queue view needs QueueRow before SQLAlchemy has loaded (see app.py).
    from sqlalchemy import select

    from supportstation.storage.models import Client, Engineer, Host, Site, Ticket, ticket_host

    hosts: dict[int, list[str]] = {}
    host_query = (
        select(ticket_host.c.ticket_id, Host.name)
        .join(Host, Host.id == ticket_host.c.host_id)
        .order_by(ticket_host.c.ticket_id, Host.name)
    )
    for ticket_id, name in session.execute(host_query):
        hosts.setdefault(ticket_id, []).append(name)

    query = (
        select(
            Ticket.id, Ticket.reference, Ticket.title, Ticket.priority, Ticket.status, Ticket.category,
            Ticket.created_at, Ticket.own_deadline, Ticket.own_warning_at, Ticket.resolve_deadline,
            Ticket.resolve_warning_at, Ticket.owned_at, Ticket.sla_paused_at, Ticket.resolved_at,
            Client.name, Site.name, Engineer.name, Engineer.email,
        )
        .join(Client, Client.id == Ticket.client_id)
        .outerjoin(Site, Site.id == Ticket.site_id)
        .outerjoin(Engineer, Engineer.id == Ticket.assignee_id)
    )  # fmt: skip
    if not include_closed:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    rows = []
    for (ticket_id, reference, title, priority, status, category, created_at, own_deadline, own_warning,
         resolve_deadline, resolve_warning, owned_at, paused_at, resolved_at, client, site, assignee,
         assignee_email) in session.execute(query):  # fmt: skip
        names = tuple(hosts.get(ticket_id, ()))
        rows.append(
            QueueRow(
                ticket_id=ticket_id,
                reference=reference,
                title=title,
                priority=priority,
                status=status,
                client=client,
                site=site or "",
                hosts=names,
                assignee=assignee or "",
                assignee_email=assignee_email or "",
                category=category,
                created_at=created_at,
                clocks=SlaClocks(
                    own_deadline=own_deadline,
                    own_warning_at=own_warning,
                    resolve_deadline=resolve_deadline,
                    resolve_warning_at=resolve_warning,
                    owned=owned_at is not None,
                    paused=paused_at is not None,
                    finished_at=resolved_at,
                ),
                search_text=search_text_of(reference, title, client, site or "", names),
            )
        )
    rows.sort(key=urgency_key)
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

"""Everything the ticket workspace shows about one ticket, read in one go and detached from the session."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session, selectinload

from supportstation.i18n import _
from supportstation.storage.enums import TicketStatus
from supportstation.storage.models import Intervention, Ticket
from supportstation.tickets import TicketNotFound, sla, workflow
from supportstation.tickets import interventions as intervention_rules
from supportstation.tickets.sla_clocks import SlaClocks
from supportstation.tickets.timeline import TimelineItem, load_timeline


@dataclass(frozen=True)
class ContactInfo:
    name: str
    role: str
    phone: str
    email: str


@dataclass(frozen=True)
class HostInfo:
    host_id: int
    name: str
    address: str
    os_family: str
    vendor: str
    transport: str


@dataclass(frozen=True)
class AttachmentInfo:
    attachment_id: int
    file_name: str
    stored_path: str
    sha256: str
    size: int
    created_at: datetime


@dataclass(frozen=True)
class TimeEntryInfo:
    entry_id: int
    category: str
    started_at: datetime
    minutes: int
    description: str
    running: bool


@dataclass(frozen=True)
class PartInfo:
    name: str
    quantity: float
    serial_number: str


@dataclass(frozen=True)
class InterventionInfo:
    intervention_id: int
    state: intervention_rules.InterventionState
    started_at: datetime
    ended_at: datetime | None
    engineer: str
    time_entries: tuple[TimeEntryInfo, ...]
    parts: tuple[PartInfo, ...]


@dataclass(frozen=True)
class TicketDetail:
    ticket_id: int
    reference: str
    title: str
    description: str
    status: TicketStatus
    priority: int
    category: str
    client: str
    site: str
    site_address: str
    contact: ContactInfo | None
    hosts: tuple[HostInfo, ...]
    assignee: str
    resolution: str
    clocks: SlaClocks
    allowed_next: tuple[TicketStatus, ...]
    timeline: tuple[TimelineItem, ...]
    attachments: tuple[AttachmentInfo, ...]
    interventions: tuple[InterventionInfo, ...]

    @property
    def open_intervention(self) -> InterventionInfo | None:
        return next((i for i in self.interventions if i.ended_at is None), None)


def _intervention_info(intervention: Intervention) -> InterventionInfo:
    return InterventionInfo(
        intervention_id=intervention.id,
        state=intervention_rules.state_of(intervention),
        started_at=intervention.started_at,
        ended_at=intervention.ended_at,
        engineer=intervention.engineer.name if intervention.engineer else "",
        time_entries=tuple(
            TimeEntryInfo(e.id, e.category, e.started_at, e.minutes, e.description, e.automatic and e.ended_at is None)
            for e in intervention.time_entries
        ),
        parts=tuple(PartInfo(p.name, p.quantity, p.serial_number) for p in intervention.parts),
    )


def load_ticket_detail(session: Session, ticket_id: int) -> TicketDetail:
    ticket = session.get(
        Ticket,
        ticket_id,
        options=[
            selectinload(Ticket.client),
            selectinload(Ticket.site),
            selectinload(Ticket.contact),
            selectinload(Ticket.hosts),
            selectinload(Ticket.assignee),
            selectinload(Ticket.attachments),
            selectinload(Ticket.interventions).selectinload(Intervention.time_entries),
            selectinload(Ticket.interventions).selectinload(Intervention.parts),
            selectinload(Ticket.interventions).selectinload(Intervention.engineer),
        ],
    )
    if ticket is None:
        raise TicketNotFound(_("Ticket {id} no longer exists.").format(id=ticket_id))
    contact = ticket.contact
    return TicketDetail(
        ticket_id=ticket.id,
        reference=ticket.reference,
        title=ticket.title,
        description=ticket.description,
        status=ticket.status,
        priority=ticket.priority,
        category=ticket.category,
        client=ticket.client.name,
        site=ticket.site.name if ticket.site else "",
        site_address=ticket.site.address if ticket.site else "",
        contact=ContactInfo(contact.name, contact.role, contact.phone, contact.email) if contact else None,
        hosts=tuple(HostInfo(h.id, h.name, h.address, h.os_family, h.vendor, h.transport.value) for h in ticket.hosts),
        assignee=ticket.assignee.name if ticket.assignee else "",
        resolution=ticket.resolution,
        clocks=sla.clocks_of(ticket),
        allowed_next=tuple(workflow.allowed_next(ticket.status)),
        timeline=tuple(load_timeline(session, ticket.id)),
        attachments=tuple(
            AttachmentInfo(a.id, a.file_name, a.stored_path, a.sha256, a.size, a.created_at) for a in ticket.attachments
        ),
        interventions=tuple(_intervention_info(i) for i in ticket.interventions),
    )

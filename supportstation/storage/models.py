"""The domain's tables, as typed SQLAlchemy 2.0 models.

Secrets never live here: a host points to a CredentialRef, which names an entry of the vault (OS keyring), never
the secret itself. Every instant is stored in UTC (see `types.UTCDateTime`).
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Column,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    case,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from supportstation.storage.enums import (
    OPEN_STATUSES,
    CredentialKind,
    HostTransport,
    Priority,
    TicketSource,
    TicketStatus,
)
from supportstation.storage.types import UTCDateTime, utc_now

# Named constraints, so that migrations can alter them on SQLite (batch mode) and PostgreSQL alike.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _enum(kind: type[enum.Enum]) -> Enum:
    # Stored as the lowercase value in a plain string column: readable in SQL and portable between databases.
    return Enum(kind, native_enum=False, length=24, values_callable=lambda members: [m.value for m in members])


class Engineer(Base):
    """An engineer known to this database; the local profile maps to one of these by e-mail."""

    __tablename__ = "engineer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    phone: Mapped[str] = mapped_column(String(50), default="")


class Client(Base):
    __tablename__ = "client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # IANA zone: SLA business hours are counted in the client's local time.
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Paris")
    contract: Mapped[str] = mapped_column(String(64), default="standard")
    notes: Mapped[str] = mapped_column(Text, default="")
    # Business hours for SLA clocks, in the client's local time: Monday=0 … Sunday=6, minutes after midnight.
    working_days: Mapped[list[int]] = mapped_column(JSON, default=lambda: [0, 1, 2, 3, 4])
    opens_minute: Mapped[int] = mapped_column(Integer, default=8 * 60)
    closes_minute: Mapped[int] = mapped_column(Integer, default=18 * 60)
    holiday_country: Mapped[str] = mapped_column(String(8), default="FR")
    holiday_subdivision: Mapped[str] = mapped_column(String(16), default="")

    sites: Mapped[list[Site]] = relationship(back_populates="client", cascade="all, delete-orphan")
    contacts: Mapped[list[Contact]] = relationship(back_populates="client", cascade="all, delete-orphan")


class Site(Base):
    __tablename__ = "site"
    __table_args__ = (UniqueConstraint("client_id", "name", name="uq_site_client_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    access_notes: Mapped[str] = mapped_column(Text, default="")

    client: Mapped[Client] = relationship(back_populates="sites")
    hosts: Mapped[list[Host]] = relationship(back_populates="site")


class Contact(Base):
    __tablename__ = "contact"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(320), default="")

    client: Mapped[Client] = relationship(back_populates="contacts")
    site: Mapped[Site | None] = relationship()


class CredentialRef(Base):
    """Names a secret kept in the vault; the secret itself is never stored in the database."""

    __tablename__ = "credential_ref"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[CredentialKind] = mapped_column(_enum(CredentialKind))
    username: Mapped[str] = mapped_column(String(200), default="")
    vault_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Host(Base):
    __tablename__ = "host"
    __table_args__ = (UniqueConstraint("client_id", "name", name="uq_host_client_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer)
    os_family: Mapped[str] = mapped_column(String(32), default="linux")
    vendor: Mapped[str] = mapped_column(String(64), default="")
    transport: Mapped[HostTransport] = mapped_column(_enum(HostTransport), default=HostTransport.SSH)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    credential_ref_id: Mapped[int | None] = mapped_column(ForeignKey("credential_ref.id", ondelete="SET NULL"))
    notes: Mapped[str] = mapped_column(Text, default="")
    # How ssh_config or an Ansible inventory says to log in: kept so an imported host connects as it did there.
    # The credential's own user name, when it has one, wins over login_user (the secret belongs to that account).
    login_user: Mapped[str] = mapped_column(String(200), default="")
    proxy_jump: Mapped[str] = mapped_column(String(500), default="")  # ssh -J syntax: user@jump:2222,other
    identity_files: Mapped[list[str]] = mapped_column(JSON, default=list)  # key files on the engineer's computer
    # For transport DEVICE: the plugin transport's name ("cisco-ios") and the host's options for it (no secret).
    device_transport: Mapped[str] = mapped_column(String(64), default="")
    device_options: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # What the plugins' fact collectors last read from the host (model, serial number, OS version…), and when.
    facts: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    facts_collected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    site: Mapped[Site | None] = relationship(back_populates="hosts")
    client: Mapped[Client] = relationship()
    credential: Mapped[CredentialRef | None] = relationship()


ticket_host = Table(
    "ticket_host",
    Base.metadata,
    Column("ticket_id", ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True),
    Column("host_id", ForeignKey("host.id", ondelete="CASCADE"), primary_key=True),
)


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_ticket_source_external_id"),
        CheckConstraint("priority BETWEEN 1 AND 4", name="priority_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    client_id: Mapped[int] = mapped_column(ForeignKey("client.id", ondelete="RESTRICT"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("site.id", ondelete="SET NULL"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contact.id", ondelete="SET NULL"))
    # 1 (critical) to 4 (low); see Priority.
    priority: Mapped[int] = mapped_column(Integer, default=int(Priority.P3))
    status: Mapped[TicketStatus] = mapped_column(_enum(TicketStatus), default=TicketStatus.NEW)
    category: Mapped[str] = mapped_column(String(100), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("engineer.id", ondelete="SET NULL"))
    source: Mapped[TicketSource] = mapped_column(_enum(TicketSource), default=TicketSource.LOCAL)
    external_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)
    own_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_deadline: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str] = mapped_column(Text, default="")
    # When the ticket was first taken (time-to-own is met then), and since when its clock waits for the customer.
    owned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When each clock turns "at risk": stored with the deadlines so the queue compares instants, with no calendar
    # arithmetic per row on every tick of the countdown.
    own_warning_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolve_warning_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()
    site: Mapped[Site | None] = relationship()
    contact: Mapped[Contact | None] = relationship()
    assignee: Mapped[Engineer | None] = relationship()
    hosts: Mapped[list[Host]] = relationship(secondary=ticket_host, order_by="Host.name")
    timeline: Mapped[list[TimelineEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="[TimelineEvent.created_at, TimelineEvent.id]"
    )
    interventions: Mapped[list[Intervention]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="Intervention.started_at"
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="Attachment.created_at"
    )


def ticket_is_open() -> Any:
    """`status IN ('new', …)` with the values written out in the SQL, as in the queue index's WHERE: SQLite uses a
    partial index only for a query whose WHERE repeats the index's, and a bound parameter never does."""
    return Ticket.status.in_(bindparam("open_statuses", [s.value for s in OPEN_STATUSES], literal_execute=True))


def ticket_next_deadline() -> Any:
    """The deadline that matters now: the one to take the ticket, while it is not taken and comes first, else the one
    to resolve it (NULL without either)."""
    own_first = (
        Ticket.owned_at.is_(None)
        & Ticket.own_deadline.is_not(None)
        & (Ticket.resolve_deadline.is_(None) | (Ticket.own_deadline < Ticket.resolve_deadline))
    )
    return case((own_first, Ticket.own_deadline), else_=Ticket.resolve_deadline)


def queue_order() -> tuple[Any, ...]:
    """The queue's urgency order (priority, nearest deadline, none last, then reference), as the queue index
    stores it: the queue's first screen is then read from the index's first entries, with no sort."""
    deadline = ticket_next_deadline()
    return (Ticket.priority, deadline.is_(None), deadline, Ticket.reference)


# Every column the queue reads (tickets.queue.load_queue), after the order's keys: SQLite then reads the queue from the
# index alone, front to back, instead of looking each ticket up in the table (twice as fast at 100,000 tickets).
QUEUE_COVERED_COLUMNS = (
    Ticket.title, Ticket.status, Ticket.category, Ticket.own_deadline, Ticket.own_warning_at, Ticket.resolve_deadline,
    Ticket.resolve_warning_at, Ticket.owned_at, Ticket.sla_paused_at, Ticket.resolved_at, Ticket.client_id,
    Ticket.site_id, Ticket.assignee_id,
)  # fmt: skip

# Open tickets only: a team database's years of closed tickets are not in it, and the queue reads it in order.
# Migration 0010 makes it, with this WHERE, on SQLite and PostgreSQL alike. It is not repeated here as
# `postgresql_where`: naming that option imports SQLAlchemy's PostgreSQL dialect (~0.09 s of processor time) into
# every command, SQLite ones included. (Alembic cannot compare this index anyway: it is on expressions.)
Index("ix_ticket_queue", *queue_order(), *QUEUE_COVERED_COLUMNS, sqlite_where=ticket_is_open())


class TimelineEvent(Base):
    """One thing that happened on a ticket: a note, a status change, a command and its result, a consent…"""

    __tablename__ = "timeline_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    intervention_id: Mapped[int | None] = mapped_column(ForeignKey("intervention.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, index=True)
    kind: Mapped[str] = mapped_column(String(32))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("engineer.id", ondelete="SET NULL"))
    summary: Mapped[str] = mapped_column(String(500), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="timeline")
    author: Mapped[Engineer | None] = relationship()


class Intervention(Base):
    """A period of work on a ticket, from "start intervention" to "end intervention"."""

    __tablename__ = "intervention"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    engineer_id: Mapped[int | None] = mapped_column(ForeignKey("engineer.id", ondelete="SET NULL"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_site: Mapped[bool] = mapped_column(default=True)
    summary: Mapped[str] = mapped_column(Text, default="")

    ticket: Mapped[Ticket] = relationship(back_populates="interventions")
    engineer: Mapped[Engineer | None] = relationship()
    time_entries: Mapped[list[TimeEntry]] = relationship(
        back_populates="intervention", cascade="all, delete-orphan", order_by="TimeEntry.started_at"
    )
    parts: Mapped[list[PartUsed]] = relationship(
        back_populates="intervention", cascade="all, delete-orphan", order_by="PartUsed.id"
    )


class TimeEntry(Base):
    """Time spent, by category (on-site, travel, remote, after-hours), for the report and billing.

    An entry captured by a running intervention has no end yet; pause or end closes it. Entries typed by hand
    carry their minutes. `minutes` is what is billed: the captured span, unless the engineer corrected it.
    """

    __tablename__ = "time_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    minutes: Mapped[int] = mapped_column(Integer, default=0)
    description: Mapped[str] = mapped_column(Text, default="")
    automatic: Mapped[bool] = mapped_column(default=False)

    intervention: Mapped[Intervention] = relationship(back_populates="time_entries")


class PartUsed(Base):
    """A part or consumable used during an intervention."""

    __tablename__ = "part_used"

    id: Mapped[int] = mapped_column(primary_key=True)
    intervention_id: Mapped[int] = mapped_column(ForeignKey("intervention.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[float] = mapped_column(default=1.0)
    serial_number: Mapped[str] = mapped_column(String(128), default="")
    notes: Mapped[str] = mapped_column(Text, default="")

    intervention: Mapped[Intervention] = relationship(back_populates="parts")


class Attachment(Base):
    """A file attached to a ticket: a copy kept in the data folder, with its SHA-256 as evidence."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id", ondelete="CASCADE"), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    # Relative to the data folder, so a moved data folder keeps its attachments.
    stored_path: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(128), default="application/octet-stream")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("engineer.id", ondelete="SET NULL"))

    ticket: Mapped[Ticket] = relationship(back_populates="attachments")
    author: Mapped[Engineer | None] = relationship()


class SlaPolicy(Base):
    """Time-to-own and time-to-resolve targets for one contract and priority, in business minutes."""

    __tablename__ = "sla_policy"
    __table_args__ = (UniqueConstraint("contract", "priority", name="uq_sla_policy_contract_priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    contract: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer)
    own_minutes: Mapped[int] = mapped_column(Integer)
    resolve_minutes: Mapped[int] = mapped_column(Integer)
    # P1 on a premium contract counts every hour of every day, not just business hours.
    round_the_clock: Mapped[bool] = mapped_column(default=False)


class AuditRecord(Base):
    """One remote action, in an append-only chain: each record's hash covers its fields and the previous hash.

    Written only by `supportstation.audit`, which also keeps the chain's head anchored outside the database.
    """

    __tablename__ = "audit_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    # 1..n with no gaps; unique, so two writers racing for the same number cannot both succeed.
    sequence: Mapped[int] = mapped_column(Integer, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    actor: Mapped[str] = mapped_column(String(320))
    target: Mapped[str] = mapped_column(String(500))
    action: Mapped[str] = mapped_column(Text)
    exit_code: Mapped[int | None] = mapped_column(Integer)
    # Of the output as stored, i.e. after redaction: the secrets themselves never reach the log.
    output_sha256: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id", ondelete="SET NULL"), index=True)
    previous_hash: Mapped[str] = mapped_column(String(64))
    record_hash: Mapped[str] = mapped_column(String(64))

"""The domain's enumerations, in a module without SQLAlchemy so views can use them before the database opens."""

from __future__ import annotations

import enum


class Priority(enum.IntEnum):
    P1 = 1
    P2 = 2
    P3 = 3
    P4 = 4


class TicketStatus(enum.StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    WAITING_THIRD_PARTY = "waiting_third_party"
    RESOLVED = "resolved"
    CLOSED = "closed"


# The statuses of tickets still to handle: the queue shows these.
OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.WAITING_CUSTOMER,
    TicketStatus.WAITING_THIRD_PARTY,
)


class TicketSource(enum.StrEnum):
    LOCAL = "local"
    IMPORTED = "imported"


class HostTransport(enum.StrEnum):
    SSH = "ssh"
    WINRM = "winrm"
    DEVICE = "device"  # a switch, a BMC…: reached through a plugin's transport, named in Host.device_transport
    OTHER = "other"


class CredentialKind(enum.StrEnum):
    PASSWORD = "password"
    SSH_KEY = "ssh_key"
    SSH_AGENT = "ssh_agent"
    API_TOKEN = "api_token"

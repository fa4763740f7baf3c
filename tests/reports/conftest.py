"""A database with a client, a ticket and a signed report, for the mail and outbox tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportstation.storage import connect, sqlite_url
from supportstation.storage.database import Database
from supportstation.storage.models import Client, Contact, Engineer, Site, Ticket
from supportstation.storage.report_models import Report

PDF = b"%PDF-1.7\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
SIGNED_AT = datetime(2026, 3, 12, 16, 5, tzinfo=UTC)


@dataclass(frozen=True)
class Seed:
    ticket_id: int
    report_id: int


def seed(database: Database, *, sender: str = "ingenieur@example.test") -> Seed:
    """A ticket of Clinique Saint-Éloi with a signed report RI-2026-0042 revision 1, and the engineer who sends it."""
    with database.session() as session:
        client = Client(name="Clinique Saint-Éloi", time_zone="Europe/Paris")
        site = Site(client=client, name="Bâtiment B")
        contact = Contact(client=client, name="Jeanne Dupré", email="jeanne.dupre@clinique.example.fr")
        ticket = Ticket(
            reference="INC-2026-01042",
            title="Serveur de fichiers arrêté après la coupure électrique",
            client=client,
            site=site,
            contact=contact,
        )
        session.add_all([ticket, Engineer(name="Émilie Ingénieure", email=sender)])
        session.flush()
        report = Report(
            ticket_id=ticket.id,
            number="RI-2026-0042",
            revision=1,
            state="signed",
            language="fr",
            signed_at=SIGNED_AT,
            pdf=PDF,
        )
        session.add(report)
        session.flush()
        return Seed(ticket.id, report.id)


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    opened = connect(sqlite_url(tmp_path / "supportstation.sqlite3"), backups=tmp_path / "backups", create_missing=True)
    yield opened
    opened.close()


@pytest.fixture
def any_database(database_url: str, tmp_path: Path) -> Iterator[Database]:
    """SQLite, then PostgreSQL (where the server is installed)."""
    opened = connect(database_url, backups=tmp_path / "backups", create_missing=True)
    yield opened
    opened.close()

"""A report lab: the demo database (its NAS ticket has an intervention with recorded commands) and the service."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from supportstation.clock import utc_now
from supportstation.demo import WORKED_TICKET, populate
from supportstation.reports.service import ReportService, StoredSignature
from supportstation.settings import CompanyDetails, EngineerProfile, Settings
from supportstation.storage import connect, sqlite_url
from supportstation.storage.database import Database

COMPANY = CompanyDetails(
    name="InfoDépannage Rhône-Alpes",
    address="12 rue des Lilas\n69003 Lyon",
    phone="04 78 00 00 00",
    email="contact@infodepannage.fr",
    legal_footer="SARL au capital de 10 000 € · RCS Lyon 123 456 789 · TVA FR12 123456789",
)


@dataclass
class ReportLab:
    database: Database
    service: ReportService
    settings: Settings
    config: Path

    def ticket_id(self, reference: str = WORKED_TICKET) -> int:
        return self.service.ticket_id(reference)

    def draft(self, reference: str = WORKED_TICKET, language: str = "fr") -> int:
        return self.service.open_draft(self.ticket_id(reference), language=language).id


@pytest.fixture
def report_lab(tmp_path: Path, qapp: object) -> Iterator[ReportLab]:
    database = connect(sqlite_url(tmp_path / "reports.sqlite3"), backups=tmp_path / "backups", create_missing=True)
    populate(database)
    settings = Settings()
    settings.company = COMPANY
    settings.profile = EngineerProfile(name="Camille Martin", email="camille.martin@infodepannage.fr", language="fr")
    config = tmp_path / "config"
    config.mkdir()
    yield ReportLab(database, ReportService(database, settings, config, tmp_path / "outputs"), settings, config)
    database.close()


def signature_png(colour: str = "#1a237e", width: int = 420, height: int = 140) -> bytes:
    """A hand-drawn-looking signature: curves in one colour on a transparent background, as PNG."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF
    from PySide6.QtGui import QColor, QImage, QPainter, QPainterPath, QPen

    image = QImage(width, height, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    pen = QPen(QColor(colour))
    pen.setWidthF(3.5)
    painter.setPen(pen)
    path = QPainterPath(QPointF(20, height * 0.7))
    path.cubicTo(QPointF(80, 10), QPointF(120, height - 10), QPointF(180, height * 0.4))
    path.cubicTo(QPointF(240, 15), QPointF(300, height - 20), QPointF(width - 20, height * 0.3))
    painter.drawPath(path)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(data.data())


def signatures(customer: str = "Dr Hélène Fabre", engineer: str = "Camille Martin") -> list[StoredSignature]:
    now = utc_now()
    return [
        StoredSignature("customer", customer, now, signature_png("#0d47a1"), ""),
        StoredSignature("engineer", engineer, now + timedelta(seconds=5), signature_png("#000000"), ""),
    ]


def pdf_text(document: bytes, *, first: int | None = None, last: int | None = None) -> str:
    arguments = ["pdftotext", "-layout"]
    if first:
        arguments += ["-f", str(first)]
    if last:
        arguments += ["-l", str(last)]
    return subprocess.run([*arguments, "-", "-"], input=document, capture_output=True, check=True).stdout.decode()


def pdf_pages(document: bytes) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    return pdf_text(document).split("\f")[:-1]

"""A ~50-page intervention report (200 commands with output) rendered to PDF.

Measured, each as the median of several rounds after one warm-up:
- ours: `ReportService.pdf()` on a draft — assembling the data from the database (timeline, runs, output chunks),
  rendering the Jinja2 template, laying the document out and painting every page with header and footer;
- its parts: assembly + HTML alone, and the PDF alone (layout and painting) from that HTML;
- the reference: Qt's own `QTextDocument.print()` of the same HTML to a QPdfWriter (no header or footer, lossy
  images), the cheapest way Qt has to make the same pages.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/report.py [--rounds 5] [--commands 200]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def make_database(folder: Path, commands: int):  # type: ignore[no-untyped-def]
    from supportstation.demo import WORKED_TICKET, populate
    from supportstation.demo_work import record_command
    from supportstation.storage import connect, sqlite_url
    from supportstation.storage.models import Intervention, Ticket

    database = connect(sqlite_url(folder / "bench.sqlite3"), backups=folder / "backups", create_missing=True)
    populate(database)
    with database.session() as session:
        ticket = session.query(Ticket).filter_by(reference=WORKED_TICKET).one()
        intervention = session.query(Intervention).filter_by(ticket_id=ticket.id).one()
        for number in range(commands):
            lines = 5 + number % 21
            output = "".join(
                f"{number:03d}.{line:02d}  /dev/sd{chr(97 + line % 4)}  {line * 13 % 100:3d}%  état : vérifié ✓\n"
                for line in range(lines)
            )
            record_command(
                session,
                ticket,
                intervention,
                at=intervention.started_at + timedelta(minutes=40, seconds=number * 5),
                target=f"admin@srv-{number % 7:02d}",
                command=f"df -h --output=source,pcent /srv/volume{number:03d}",
                output=output.encode(),
                exit_code=0 if number % 17 else 1,
            )
    return database, ticket.id


def median_time(work, rounds: int) -> float:  # type: ignore[no-untyped-def]
    work()  # warm-up: fonts, templates, caches
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--commands", type=int, default=200)
    arguments = parser.parse_args()

    from PySide6.QtCore import QBuffer, QByteArray, QIODevice
    from PySide6.QtGui import QGuiApplication, QPdfWriter, QTextDocument

    application = QGuiApplication([])  # noqa: F841  (text layout needs it)
    from supportstation.reports import pdf
    from supportstation.reports.service import ReportService
    from supportstation.settings import CompanyDetails, Settings

    with tempfile.TemporaryDirectory() as folder:
        database, ticket_id = make_database(Path(folder), arguments.commands)
        settings = Settings()
        settings.company = CompanyDetails(name="InfoDépannage", legal_footer="SARL · RCS Lyon 123 456 789")
        service = ReportService(database, settings, None, None)
        report = service.open_draft(ticket_id, language="fr").id
        built = service.build(report)
        document = service.render_pdf(built)
        pages = pdf.lay_out(built.html.html, built.html.images, _writer(QBuffer(QByteArray()))).pages

        def reference() -> bytes:
            data = QByteArray()
            buffer = QBuffer(data)
            buffer.open(QIODevice.OpenModeFlag.WriteOnly)
            writer = QPdfWriter(buffer)
            writer.setResolution(pdf.PDF_RESOLUTION)
            writer.setPageLayout(pdf.page_layout("a4"))
            text = QTextDocument()
            text.setHtml(built.html.html)
            text.print_(writer)
            buffer.close()
            return bytes(data.data())

        ours = median_time(lambda: service.pdf(report), arguments.rounds)
        assembly = median_time(lambda: service.build(report), arguments.rounds)
        painting = median_time(lambda: service.render_pdf(built), arguments.rounds)
        plain = median_time(reference, arguments.rounds)
        database.close()
    print(f"report: {arguments.commands} commands, {pages} pages, {len(document) // 1024} KiB of PDF")
    print(f"ours, database to PDF     {ours:6.3f} s   (target ≤ 2 s)")
    print(f"  assembly + HTML         {assembly:6.3f} s")
    print(f"  layout + painting       {painting:6.3f} s")
    print(f"Qt's QTextDocument.print  {plain:6.3f} s   (same HTML, no header/footer, lossy images)")
    print(f"ratio ours / Qt's print: {ours / plain:.2f}×   layout+painting / Qt's print: {painting / plain:.2f}×")
    print(f"load average: {os.getloadavg()[0]:.2f}")
    return 0


def _writer(buffer):  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QIODevice
    from PySide6.QtGui import QPdfWriter

    from supportstation.reports import pdf

    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(pdf.PDF_RESOLUTION)
    writer.setPageLayout(pdf.page_layout("a4"))
    return writer


if __name__ == "__main__":
    raise SystemExit(main())

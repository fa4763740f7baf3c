"""Printing reports: to a real CUPS queue (a cupsd of the tests' own, see tests/servers/cups.py) and to a PDF file
through a QPrinter where no CUPS runs, always from a worker thread as the GUI does."""

from __future__ import annotations

import asyncio
import re
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QMarginsF
from PySide6.QtGui import QPageLayout, QPageSize
from PySide6.QtPrintSupport import QPrinter

from supportstation.reports.assembly import Edits
from supportstation.reports.printing import (
    PrintError,
    available_printers,
    default_printer_name,
    print_report,
    printer_named,
)
from supportstation.storage.models import TimelineEvent
from tests.reports.report_lab import ReportLab, pdf_pages, pdf_text, signatures
from tests.servers.cups import CupsServer, FileQueue

A4_POINTS = "595 x 842 pts"
LETTER_POINTS = "612 x 792 pts"


def in_worker_thread(function: Callable[..., Any], *arguments: Any) -> Any:
    """`function(*arguments)` on a thread of its own, as the GUI's worker would run it; its result or its error."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["main thread"] = threading.current_thread() is threading.main_thread()
        try:
            outcome["value"] = function(*arguments)
        except BaseException as error:  # handed to the test's thread
            outcome["error"] = error

    worker = threading.Thread(target=run, name="print-worker")
    worker.start()
    worker.join(timeout=60)
    assert not worker.is_alive(), "printing did not finish within 60 s"
    assert outcome["main thread"] is False
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def pdf_info(document: bytes) -> str:
    return subprocess.run(["pdfinfo", "-"], input=document, capture_output=True, check=True).stdout.decode()


def flat(text: str) -> str:
    return " ".join(text.split())


def pdf_printer(path: Path) -> QPrinter:
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(path))
    return printer


# --- a real CUPS queue ------------------------------------------------------------------------------------------------


def test_a_french_draft_prints_on_a_cups_queue_from_a_worker_thread(
    report_lab: ReportLab, cups_server: CupsServer, cups_file_printer: FileQueue
) -> None:
    report = report_lab.draft()
    printer = printer_named("FilePDF")
    # A print dialog may have left another paper and margins: the report's own replace them.
    printer.setPageSize(QPageSize(QPageSize.PageSizeId.Letter))
    printer.setPageMargins(QMarginsF(10, 10, 10, 10), QPageLayout.Unit.Millimeter)
    completed = len(cups_server.job_ids("FilePDF", "completed"))
    pages = in_worker_thread(print_report, report_lab.service, report, printer)
    document = cups_server.wait_for_output(cups_file_printer, completed)

    text = flat(pdf_text(document))
    for expected in (
        "Rapport d'intervention RI-2026-0001",  # the running header
        "INC-2026-01053",
        "Cabinet médical des Tilleuls",
        "Problème signalé",
        "InfoDépannage Rhône-Alpes",
        "SARL au capital de 10 000 € · RCS Lyon",  # the legal footer, accents and symbols intact
        "BROUILLON",
    ):
        assert expected in text, expected
    printed_pages = pdf_pages(document)
    assert pages >= 2 and len(printed_pages) == pages
    for number, page in enumerate(printed_pages, start=1):
        assert f"Page {number} sur {pages}" in page
    info = pdf_info(document)
    assert re.search(rf"Pages:\s+{pages}\n", info), info
    assert re.search(rf"Page size:\s+{A4_POINTS}", info), info
    # The same pages as the PDF the report service writes: one layout for the screen, the archive and the printer.
    assert len(pdf_pages(report_lab.service.pdf(report))) == pages


def test_an_english_report_on_letter_paper_through_asyncio_to_thread(
    report_lab: ReportLab, cups_server: CupsServer, cups_file_printer: FileQueue
) -> None:
    report = report_lab.draft(language="en")
    report_lab.service.update_draft(report, paper="letter")
    printer = printer_named()  # the default printer: FilePDF
    assert printer.printerName() == "FilePDF"
    completed = len(cups_server.job_ids("FilePDF", "completed"))

    async def print_it() -> int:
        return await asyncio.to_thread(print_report, report_lab.service, report, printer)

    pages = asyncio.run(print_it())
    document = cups_server.wait_for_output(cups_file_printer, completed)
    text = flat(pdf_text(document))
    assert "Intervention report RI-2026-0001" in text and "Reported problem" in text
    assert f"Page 1 of {pages}" in text
    assert "SARL au capital de 10 000 €" in text
    assert re.search(rf"Page size:\s+{LETTER_POINTS}", pdf_info(document))


def test_printers_are_listed_with_the_default_one_first(
    cups_server: CupsServer, cups_file_printer: FileQueue, qapp: object
) -> None:
    cups_server.add_file_queue("Accueil")
    try:
        # From a worker thread, as a print dialog's list is filled: libcups reads CUPS_SERVER afresh there.
        printers = in_worker_thread(available_printers)
        assert [choice.name for choice in printers] == ["FilePDF", "Accueil"]
        assert printers[0].is_default and not printers[1].is_default
        assert printers[0].state == "idle" and not printers[0].is_remote
        assert "PDF" in printers[0].make_and_model
        assert default_printer_name() == "FilePDF"
    finally:
        cups_server.remove_queue("Accueil")


def test_a_queue_that_refuses_jobs_is_a_clear_error(
    report_lab: ReportLab, cups_server: CupsServer, cups_file_printer: FileQueue
) -> None:
    """Qt ignores CUPS's answer to the job: without the check the report would seem printed and never come out."""
    queue = cups_server.add_file_queue("Refusing")
    try:
        printer = printer_named("Refusing")
        cups_server.reject_jobs("Refusing")
        with pytest.raises(PrintError, match=r"The print server refused the job for Refusing: .*accepting jobs") as e:
            in_worker_thread(print_report, report_lab.service, report_lab.draft(), printer)
        assert e.value.printer == "Refusing"
        assert not queue.output.exists()
    finally:
        cups_server.remove_queue("Refusing")


def test_an_unknown_printer_is_a_clear_error(cups_file_printer: FileQueue, qapp: object) -> None:
    with pytest.raises(PrintError, match="There is no printer named Imprimante du 3e"):
        printer_named("Imprimante du 3e")


# --- a PDF file through QPrinter: no CUPS needed ---------------------------------------------------------------------


@pytest.mark.parametrize(("paper", "size"), [("a4", A4_POINTS), ("letter", LETTER_POINTS)])
def test_printing_to_a_pdf_file_needs_no_print_server(
    report_lab: ReportLab, tmp_path: Path, paper: str, size: str
) -> None:
    report = report_lab.draft()
    report_lab.service.update_draft(report, paper=paper)
    output = tmp_path / "printed.pdf"
    pages = in_worker_thread(print_report, report_lab.service, report, pdf_printer(output))
    document = output.read_bytes()
    text = flat(pdf_text(document))
    assert "RI-2026-0001" in text and "INC-2026-01053" in text and "Problème signalé" in text
    assert f"Page 1 sur {pages}" in text and "Rhône-Alpes" in text
    assert re.search(rf"Page size:\s+{size}", pdf_info(document))
    assert len(pdf_pages(document)) == pages


def test_a_signed_report_prints_exactly_its_signed_content(report_lab: ReportLab, tmp_path: Path) -> None:
    service = report_lab.service
    report = report_lab.draft()
    service.update_draft(report, edits=Edits(summary="Ventilateur remplacé, NAS revenu à 41 °C."))
    info = service.sign(report, signatures())
    # The timeline grows after the signature: the printed report must not show it.
    with report_lab.database.session() as session:
        session.add(TimelineEvent(ticket_id=info.ticket_id, intervention_id=info.intervention_id, kind="note",
                                  summary="plus tard", body="Ajouté après la signature"))  # fmt: skip
    output = tmp_path / "signed.pdf"
    built = service.build(report)
    pages = in_worker_thread(print_report, service, built, pdf_printer(output))
    printed = flat(pdf_text(output.read_bytes()))
    # The same words on the same pages (laid out alike, page breaks included); pdftotext may order words of nearly
    # the same height differently once scaled to the printer's resolution, so each page's words are compared sorted.
    words = [sorted(page.split()) for page in pdf_pages(output.read_bytes())]
    assert words == [sorted(page.split()) for page in pdf_pages(service.pdf(report))]
    assert "Ajouté après la signature" not in printed and "BROUILLON" not in printed
    assert "Ventilateur remplacé, NAS revenu à 41 °C." in printed and "Dr Hélène Fabre" in printed
    assert f"SHA-256 {info.data_sha256[:16]}" in printed
    assert pages == len(pdf_pages(output.read_bytes()))


def test_a_printer_that_cannot_be_opened_is_a_clear_error(report_lab: ReportLab, tmp_path: Path) -> None:
    output = tmp_path / "no such folder" / "report.pdf"
    with pytest.raises(PrintError, match="could not be opened") as raised:
        in_worker_thread(print_report, report_lab.service, report_lab.draft(), pdf_printer(output))
    assert raised.value.printer == str(output)
    assert not output.exists()

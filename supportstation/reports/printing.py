"""Printing a report on any printer the system knows (CUPS on Linux and macOS, the Windows spooler), or to a PDF
file through a QPrinter, with the same layout and painting as the archived PDF (reports/pdf.py).

Printing blocks: laying the report out, painting every page and handing the job to the spooler take from a fraction
of a second to several seconds (longer for a slow network printer), and listing printers asks the print server. The
GUI calls both from a worker thread, never on the GUI thread; QPainter on a QPrinter outside the GUI thread is
supported by Qt, and a QPrinter is not a QObject, so one made (or set up by a QPrintDialog) on the GUI thread can be
handed over::

    @asyncSlot()
    async def print_clicked(self) -> None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(printer, self)
        dialog.setOption(QAbstractPrintDialog.PrintDialogOption.PrintPageRange, False)  # every page is printed
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        try:
            pages = await asyncio.to_thread(print_report, self.service, report_id, printer)
        except PrintError as error:
            ...  # show str(error); nothing was lost, the report is unchanged

The QGuiApplication must exist before (the app has one; the command line calls pdf.ensure_gui_application() on the
main thread). The paper and margins are the report's, whatever the dialog chose: the painter draws its own margins
on the full page.

Like pdf.py, this is the part of the core DESIGN.md allows to use QtGui and QtPrintSupport (never QtWidgets).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import logging
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import QEventLoop
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtPrintSupport import QPrinter, QPrinterInfo

from supportstation.i18n import _
from supportstation.reports import pdf
from supportstation.reports.assembly import ReportError
from supportstation.reports.service import BuiltReport, ReportService

log = logging.getLogger(__name__)

# ipp_status_t: 0x0000-0x00ff success, 0x0100-0x03ff informational and redirection, from 0x0400 on client and server
# errors (and CUPS's own 0x1000 ones).
IPP_FIRST_ERROR = 0x0400
STATES = {
    QPrinter.PrinterState.Idle: "idle",
    QPrinter.PrinterState.Active: "printing",
    QPrinter.PrinterState.Aborted: "aborted",
    QPrinter.PrinterState.Error: "error",
}


class PrintError(ReportError):
    """The report could not be printed; the message names the printer and says what to do. `printer` is the
    printer's name ("" when none was chosen). The messages are English until the French catalog has them: a GUI
    that needs French now can word its own from `printer`."""

    def __init__(self, printer: str, message: str) -> None:
        super().__init__(message)
        self.printer = printer


@dataclass(frozen=True)
class PrinterChoice:
    """A printer as a print dialog or a settings page lists it."""

    name: str
    description: str  # the name people gave it ("Accueil, 2e étage"), often "" on Windows
    location: str
    make_and_model: str
    is_default: bool
    is_remote: bool
    state: str  # "idle", "printing", "aborted" or "error"

    @property
    def label(self) -> str:
        return self.description or self.name


def available_printers() -> list[PrinterChoice]:
    """Every printer the system knows, the default one first, then by name. Asks the print server: call it from a
    worker thread in the GUI."""
    _require_gui_application()
    choices = [
        PrinterChoice(
            name=info.printerName(),
            description=info.description(),
            location=info.location(),
            make_and_model=info.makeAndModel(),
            is_default=info.isDefault(),
            is_remote=info.isRemote(),
            state=STATES.get(info.state(), "idle"),
        )
        for info in QPrinterInfo.availablePrinters()
    ]
    return sorted(choices, key=lambda choice: (not choice.is_default, choice.name.casefold()))


def default_printer_name() -> str:
    """The system's default printer, or "" when there is none."""
    _require_gui_application()
    return QPrinterInfo.defaultPrinterName()


def printer_named(name: str = "") -> QPrinter:
    """A high-resolution QPrinter for the printer `name`, or for the default printer when `name` is empty."""
    _require_gui_application()
    name = name or QPrinterInfo.defaultPrinterName()
    if not name:
        raise PrintError("", _("No printer is set up on this computer: add one in the system's settings."))
    info = QPrinterInfo.printerInfo(name)
    if info.isNull():
        raise PrintError(
            name, _("There is no printer named {name}: choose one from the list of printers.").format(name=name)
        )
    return QPrinter(info, QPrinter.PrinterMode.HighResolution)


def print_report(service: ReportService, report: int | BuiltReport, printer: QPrinter) -> int:
    """Prints every page of the report (an id, or a report built by `service.build`) on `printer`; returns the
    number of pages. A signed report prints exactly its signed content. Blocking: see the module's documentation.

    Raises PrintError when the printer cannot be opened, lacks the report's paper, reports an error, or its print
    server refuses the job.
    """
    _require_gui_application()
    built = report if isinstance(report, BuiltReport) else service.build(report)
    name = printer_label(printer)
    if not printer.isValid():
        raise PrintError(
            name, _("The printer {name} is not available: check that it is still installed.").format(name=name)
        )
    _use_report_paper(printer, built.info.paper, name)
    decor = service.decor(built)
    printer.setDocName(decor.title)  # the job's name in the print queue
    printer.setCreator("SupportStation")
    with _event_dispatcher():
        pages = _paint_pages(built, decor, printer, name)
    log.info("printed %s (%d pages) on %s", decor.title, pages, name)
    return pages


def _paint_pages(built: BuiltReport, decor: pdf.PageDecor, printer: QPrinter, name: str) -> int:
    # Laid out as the archived PDF is, then scaled to the printer's resolution: the same lines on the same pages.
    reference, buffer = pdf.reference_writer(built.info.paper)
    laid_out = pdf.lay_out(built.html.html, built.html.images, reference)
    try:
        painter = QPainter()
        if not painter.begin(printer):
            raise PrintError(name, _not_opened_message(printer, name))
        try:
            scale = printer.logicalDpiX() / reference.logicalDpiX()
            painter.scale(scale, scale)
            pdf.paint(laid_out, decor, printer, painter, metrics=reference)
        except BaseException:
            printer.abort()  # where the engine can (Windows): drop the half-painted job
            raise
        finally:
            painter.end()  # hands the job to the spooler (CUPS: cupsPrintFile)
        problem = _state_message(printer, name) or _refused_by_cups(printer, name)
        if problem:
            raise PrintError(name, problem)
        return laid_out.pages
    finally:
        # Now, on this thread: an error's traceback would keep the document alive until another thread drops it,
        # and its layout timers can only be stopped from the thread that started them.
        shiboken6.delete(laid_out.document)
        shiboken6.delete(reference)
        shiboken6.delete(buffer)


@contextlib.contextmanager
def _event_dispatcher() -> Iterator[QEventLoop]:
    """A thread started by Python (asyncio.to_thread, threading) has no Qt event dispatcher: laying text out there
    warns "QBasicTimer::start: current thread's event dispatcher has already been destroyed" for every timer the
    layout starts (the layout is still finished on demand). A QEventLoop gives the thread a dispatcher while it
    lives; it never runs."""
    loop = QEventLoop()
    yield loop


def printer_label(printer: QPrinter) -> str:
    """How a message names the printer: its name, or the file a PDF printer writes."""
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        return printer.outputFileName() or "PDF"
    return printer.printerName() or "?"


def _use_report_paper(printer: QPrinter, paper: str, name: str) -> None:
    """The report's paper, portrait, no margins, full page: the painter places the header, body and footer itself."""
    layout = pdf.page_layout(paper)
    if not printer.setPageLayout(layout):
        # A printer with hardware margins refuses margins of 0. Its own minimum margins do no harm: on a full page
        # the painter's origin stays the paper's corner, and the report's margins are wider than any printer's.
        printer.setPageSize(layout.pageSize())
        printer.setPageOrientation(layout.orientation())
    printer.setFullPage(True)  # after the layout, which would reset it
    chosen = printer.pageLayout()
    if not chosen.pageSize().isEquivalentTo(layout.pageSize()) or not printer.fullPage():
        raise PrintError(
            name,
            _("The printer {name} has no {paper} paper: choose another printer, or print to a PDF.").format(
                name=name, paper=layout.pageSize().name()
            ),
        )


def _not_opened_message(printer: QPrinter, name: str) -> str:
    if printer.outputFormat() == QPrinter.OutputFormat.PdfFormat:
        return _("The file {name} could not be opened for writing: choose a folder you can write to.").format(name=name)
    return _("The printer {name} could not be opened: check that it is on and connected, then print again.").format(
        name=name
    )


def _state_message(printer: QPrinter, name: str) -> str:
    state = printer.printerState()
    if state == QPrinter.PrinterState.Error:
        return _("The printer {name} reports an error: check it (paper, toner, connection) and print again.").format(
            name=name
        )
    if state == QPrinter.PrinterState.Aborted:
        return _("Printing on {name} was cancelled.").format(name=name)
    return ""


def _refused_by_cups(printer: QPrinter, name: str) -> str:
    """Qt hands the job to CUPS when the painter ends but ignores the answer: a refused job (queue stopped or
    rejecting jobs, server gone) would pass silently. libcups keeps the last answer per thread, and the painter
    ended on this one."""
    if printer.outputFormat() != QPrinter.OutputFormat.NativeFormat or sys.platform == "win32":
        return ""
    cups = _libcups()
    if cups is None:
        return ""
    status = cups.cupsLastError()
    if status < IPP_FIRST_ERROR:
        return ""
    reason = (cups.cupsLastErrorString() or b"").decode(errors="replace")
    return _("The print server refused the job for {name}: {reason}.").format(name=name, reason=reason or hex(status))


@functools.cache
def _libcups() -> ctypes.CDLL | None:
    for candidate in ("libcups.so.2", "libcups.2.dylib", None):
        # find_library runs ldconfig or gcc: only when the usual names fail.
        candidate = candidate or ctypes.util.find_library("cups")
        if not candidate:
            continue
        try:
            library = ctypes.CDLL(candidate)
        except OSError:
            continue
        library.cupsLastError.restype = ctypes.c_int
        library.cupsLastErrorString.restype = ctypes.c_char_p
        return library
    return None


def _require_gui_application() -> None:
    """Qt's print support and text layout need a QGuiApplication, which only the main thread may create."""
    if QGuiApplication.instance() is not None:
        return
    if threading.current_thread() is not threading.main_thread():
        raise RuntimeError("create the QGuiApplication on the main thread before printing from a worker thread")
    pdf.ensure_gui_application()

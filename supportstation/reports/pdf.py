"""Laying a report out on pages and painting them: to a PDF, a printer or a print preview, the same way.

`QTextDocument.print()` would store the signatures as JPEG and knows no running header or footer, so the pages are
painted here: the document is laid out at the page body's size, each page's slice is drawn with lossless images, and
the header (logo, company, report number) and footer (legal notice, "page X of Y") are drawn around it.

This is the one part of the core that uses Qt (QtGui only), as DESIGN.md allows for the PDF and printing module.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import (
    QAbstractTextDocumentLayout,
    QColor,
    QFont,
    QImage,
    QPagedPaintDevice,
    QPageLayout,
    QPageRanges,
    QPageSize,
    QPaintDevice,
    QPainter,
    QPdfWriter,
    QPen,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)

from supportstation import __version__

PAPER_SIZES = {"a4": QPageSize.PageSizeId.A4, "letter": QPageSize.PageSizeId.Letter}
# Page geometry in millimetres: the header and footer live in the top and bottom margins.
MARGIN_SIDE = 16.0
MARGIN_TOP = 24.0
MARGIN_BOTTOM = 20.0
PDF_RESOLUTION = 600
# A signature table that starts within this share of a page's top has nothing of the report above it.
ALONE_AT_TOP = 0.08


@dataclass
class PageDecor:
    """What every page shows around the body."""

    company: str
    title: str  # e.g. "Rapport d'intervention RI-2026-0042 rév. 2"
    footer: str  # the company's legal notice
    page_format: str  # "Page {page} of {pages}"
    logo_png: bytes | None = None
    verification: str = ""  # a short form of the hash, printed in the footer of a signed report
    # Which program made the document, under the page number: support can tell which version drew a report.
    made_with: str = f"SupportStation {__version__}"


@dataclass
class Attachment:
    name: str
    data: bytes
    mime_type: str


@dataclass
class LaidOut:
    document: QTextDocument
    body: QRectF  # where the body goes on each page, in device pixels
    pages: int
    notes: list[str] = field(default_factory=list)


def page_layout(paper: str) -> QPageLayout:
    return QPageLayout(
        QPageSize(PAPER_SIZES.get(paper, QPageSize.PageSizeId.A4)),
        QPageLayout.Orientation.Portrait,
        QMarginsF(0, 0, 0, 0),
        QPageLayout.Unit.Millimeter,
    )


def _mm(device: QPaintDevice, millimetres: float) -> float:
    return millimetres / 25.4 * device.logicalDpiX()


def reference_writer(paper: str) -> tuple[QPdfWriter, QBuffer]:
    """A throwaway PDF writer with the report's page at PDF_RESOLUTION: the device every copy of a report (PDF,
    preview, printout) is laid out on, so that they all break their pages at the same lines. Laid out at another
    resolution (a printer's 1200 dpi), rounded font metrics move a break by a line now and then."""
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(PDF_RESOLUTION)
    writer.setPageLayout(page_layout(paper))
    return writer, buffer


def lay_out(html: str, images: dict[str, bytes], device: QPagedPaintDevice) -> LaidOut:
    """The document at the device's resolution, paginated to its page body, keeping the signatures with content."""
    document = QTextDocument()
    document.documentLayout().setPaintDevice(device)
    document.setDocumentMargin(0)
    font = QFont("DejaVu Sans")
    font.setPointSizeF(9)
    document.setDefaultFont(font)
    for url, png in images.items():
        image = QImage.fromData(png)
        document.addResource(QTextDocument.ResourceType.ImageResource, QUrl(url), image)
    document.setHtml(html)
    full = QRectF(0, 0, device.width(), device.height())
    side, top, bottom = _mm(device, MARGIN_SIDE), _mm(device, MARGIN_TOP), _mm(device, MARGIN_BOTTOM)
    body = QRectF(full.left() + side, full.top() + top, full.width() - 2 * side, full.height() - top - bottom)
    document.setPageSize(QSizeF(body.width(), body.height()))
    _lay_out_without_the_gil(document)
    notes = []
    if _keep_signatures_with_content(document, body.height()):
        notes.append("signatures moved to the next page with the section before them")
    return LaidOut(document, body, document.pageCount(), notes)


def _lay_out_without_the_gil(document: QTextDocument) -> None:
    """Lays every page out through `QTextDocument.print_`, one of the few PySide6 calls that releases the GIL.

    `pageCount()` and the bounding rectangles lay the document out while holding it, which froze every Python thread
    (the GUI's too) for ~0.4 s on a 75-page report even when this ran in a worker. `print_` to a throwaway writer
    limited to page 1 lays out all the pages but paints only that one."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    scratch = QPdfWriter(buffer)
    first_page = QPageRanges()
    first_page.addPage(1)
    scratch.setPageRanges(first_page)
    document.print_(scratch)
    shiboken6.delete(scratch)
    shiboken6.delete(buffer)


def _block_with_anchor(document: QTextDocument, name: str) -> QTextCursor | None:
    block = document.begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if name in fragment.charFormat().anchorNames():
                return QTextCursor(block)
            iterator += 1
        block = block.next()
    return None


def _keep_signatures_with_content(document: QTextDocument, page_height: float) -> bool:
    """Moves the last section before the signatures to the next page when the signature table would otherwise start
    a page on its own or be cut in two. Returns whether it did."""
    signatures = _block_with_anchor(document, "signatures")
    before = _block_with_anchor(document, "before-signatures")
    if signatures is None or before is None or signatures.currentTable() is None:
        return False
    layout = document.documentLayout()
    table = layout.frameBoundingRect(signatures.currentTable())
    first_page = int(table.top() // page_height)
    last_page = int((table.bottom() - 1) // page_height)
    alone = first_page > 0 and (table.top() - first_page * page_height) < ALONE_AT_TOP * page_height
    if not alone and last_page == first_page:
        return False
    block_format = QTextBlockFormat(before.blockFormat())
    block_format.setPageBreakPolicy(QTextFormat.PageBreakFlag.PageBreak_AlwaysBefore)
    before.setBlockFormat(block_format)
    return True


def paint(
    laid_out: LaidOut,
    decor: PageDecor,
    device: QPagedPaintDevice,
    painter: QPainter | None = None,
    *,
    metrics: QPaintDevice | None = None,
) -> None:
    """Paints every page on `device` (a QPdfWriter or a QPrinter); starts and ends the painter unless one is given.
    `metrics`: the device the document was laid out on, when the painter is scaled from it to `device`."""
    own_painter = painter is None
    painter = painter or QPainter()
    if own_painter and not painter.begin(device):
        raise OSError("the paint device could not be opened")
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    # Without this, the PDF engine stores images as JPEG: a signature would be lossy.
    painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering)
    logo = QImage.fromData(decor.logo_png) if decor.logo_png else None
    for page in range(laid_out.pages):
        if page:
            device.newPage()
        paint_page(laid_out, decor, metrics or device, painter, page, logo)
    if own_painter:
        painter.end()


def paint_page(
    laid_out: LaidOut, decor: PageDecor, device: QPaintDevice, painter: QPainter, page: int, logo: QImage | None
) -> None:
    """One page (counted from 0): the body's slice of the document, then the header and the footer. `device` gives
    the page's metrics; the painter may draw elsewhere (the preview paints onto a scaled image)."""
    body = laid_out.body
    painter.save()
    painter.translate(body.left(), body.top() - page * body.height())
    context = QAbstractTextDocumentLayout.PaintContext()
    context.clip = QRectF(0, page * body.height(), body.width(), body.height())
    painter.setClipRect(context.clip)
    laid_out.document.documentLayout().draw(painter, context)
    painter.restore()
    _decorate(painter, device, body, decor, logo, page + 1, laid_out.pages)


def _font(device: QPaintDevice, points: float, *, bold: bool = False) -> QFont:
    """A font sized in the units of `device`, the one the page was laid out on: a size in points would follow the
    painter's own device instead, twice too large on a 1200 dpi printer painted through a scaled painter."""
    font = QFont("DejaVu Sans")
    font.setPixelSize(max(1, round(points / 72 * device.logicalDpiY())))
    font.setBold(bold)
    return font


def _decorate(
    painter: QPainter,
    device: QPaintDevice,
    body: QRectF,
    decor: PageDecor,
    logo: QImage | None,
    page: int,
    pages: int,
) -> None:
    painter.save()
    line_pen = QPen(QColor("#c5ced8"))
    line_pen.setWidthF(_mm(device, 0.25))
    header_bottom = body.top() - _mm(device, 4)
    header_top = _mm(device, 8)
    small = _font(device, 7.5)
    bold = _font(device, 9, bold=True)
    text_left = body.left()
    if logo is not None and not logo.isNull():
        height = header_bottom - header_top - _mm(device, 1)
        width = logo.width() * height / max(1, logo.height())
        painter.drawImage(QRectF(body.left(), header_top, width, height), logo)
        text_left += width + _mm(device, 3)
    header = QRectF(text_left, header_top, body.right() - text_left, header_bottom - header_top)
    painter.setPen(QColor("#1f3a5f"))
    painter.setFont(bold)
    painter.drawText(header, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), decor.company)
    painter.setFont(small)
    painter.setPen(QColor("#5a6675"))
    painter.drawText(header, int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter), decor.title)
    painter.setPen(line_pen)
    painter.drawLine(body.left(), header_bottom + _mm(device, 1), body.right(), header_bottom + _mm(device, 1))
    footer_top = body.bottom() + _mm(device, 4)
    painter.drawLine(body.left(), footer_top, body.right(), footer_top)
    footer = QRectF(body.left(), footer_top + _mm(device, 1), body.width(), _mm(device, 10))
    painter.setPen(QColor("#5a6675"))
    painter.setFont(small)
    page_text = decor.page_format.format(page=page, pages=pages)
    widest = max(painter.fontMetrics().horizontalAdvance(text) for text in (page_text, decor.made_with))
    page_width = widest + _mm(device, 4)
    notice = QRectF(footer.left(), footer.top(), footer.width() - page_width, footer.height())
    flags = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)
    lines = [line for line in (decor.footer, decor.verification) if line]
    painter.drawText(notice, flags, "\n".join(lines))
    right = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
    painter.drawText(footer, right, f"{page_text}\n{decor.made_with}")
    painter.restore()


def write_pdf(
    html: str,
    images: dict[str, bytes],
    decor: PageDecor,
    *,
    paper: str = "a4",
    title: str = "",
    author: str = "",
    attachments: list[Attachment] | None = None,
) -> bytes:
    """The report as PDF bytes, with `attachments` embedded (the data a later verification recomputes the hash from)."""
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(PDF_RESOLUTION)
    writer.setPageLayout(page_layout(paper))
    writer.setTitle(title)
    writer.setAuthor(author)
    writer.setCreator(f"SupportStation {__version__}")
    for attachment in attachments or []:
        writer.addFileAttachment(attachment.name, QByteArray(attachment.data), attachment.mime_type)
    laid_out = lay_out(html, images, writer)
    paint(laid_out, decor, writer)
    buffer.close()
    return bytes(data.data())


_application: object | None = None


def ensure_gui_application() -> None:
    """Laying out text needs a QGuiApplication; the command line has none, so one is made, offscreen if need be."""
    global _application
    import os

    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        return
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    _application = QGuiApplication(["supportstation"])

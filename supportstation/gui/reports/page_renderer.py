"""Painting a report's pages for the preview, in one worker thread, one page at a time.

The preview must show what the PDF will hold, so the document is laid out exactly as for the PDF (`pdf.lay_out` on a
QPdfWriter, which gives the page metrics) and each page is painted the way `pdf.paint` paints it, onto a QImage the
size the screen shows it at: the text stays sharp at every zoom and nothing is scaled on the GUI thread.

PySide6 keeps the GIL through almost every Qt call, so laying a long report out in a worker thread would still freeze
the window: the table of actions of a 50-page report is laid out in one call of a third of a second, during which no
Python code runs anywhere. `QTextDocument.print_()` is one of the few calls that let the GIL go, and it lays the whole
document out before printing; printing page 1 to a scratch PDF is therefore how the layout is done here.

Everything that touches the laid-out document runs on one dedicated thread: a QTextDocument is a QObject, so it is
created, used and destroyed on that thread and never reaches the GUI thread. Only the pages asked for are painted
(every page of a 50-page report at screen size would take hundreds of megabytes), and a newer document makes every
request still queued for an older one return None at once: the newer render cancels the older.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import shiboken6
from PySide6.QtCore import QBuffer, QByteArray, QEventLoop, QIODevice
from PySide6.QtGui import (
    QColor,
    QImage,
    QPainter,
    QPdfWriter,
)

from supportstation.reports import pdf


def _give_the_thread_an_event_dispatcher() -> None:
    # A text layout starts timers; on a thread Qt did not start, with no event dispatcher, each start prints a
    # warning. Making an event loop object gives the thread one (the loop never runs: the timers are not needed).
    _thread_state.event_loop = QEventLoop()


_thread_state = threading.local()
# One thread for every preview of the process: the documents it holds are only ever touched there.
_THREAD = ThreadPoolExecutor(
    max_workers=1, thread_name_prefix="report-preview", initializer=_give_the_thread_an_event_dispatcher
)
PAPER_WHITE = QColor("#ffffff")


@dataclass(frozen=True)
class PageGeometry:
    pages: int
    aspect: float  # page height / page width
    width_mm: float  # the paper's width: a page is shown at 100 % when it is this wide on screen
    notes: list[str] = field(default_factory=list)


@dataclass
class _Document:
    """A laid-out report and the device it was laid out for (the layout keeps a pointer to it). Render thread only."""

    generation: int
    buffer: QBuffer
    writer: QPdfWriter
    laid_out: pdf.LaidOut
    decor: pdf.PageDecor
    logo: QImage | None


class PageRenderer:
    """Lays a report out and paints its pages on the render thread; awaited from the GUI thread."""

    def __init__(self) -> None:
        self._generation = 0  # written on the GUI thread only; read on the render thread to skip stale work
        self._document: _Document | None = None  # render thread only

    @property
    def generation(self) -> int:
        return self._generation

    async def lay_out(
        self, html: str, images: dict[str, bytes], decor: pdf.PageDecor, paper: str
    ) -> PageGeometry | None:
        """Lays out a new document, replacing the previous one; None when an even newer one was asked meanwhile."""
        self._generation += 1
        generation = self._generation
        loop = asyncio.get_running_loop()
        geometry = await loop.run_in_executor(_THREAD, self._lay_out, generation, html, images, decor, paper)
        return geometry if generation == self._generation else None

    async def page(self, index: int, width: int, pixel_ratio: float = 1.0) -> QImage | None:
        """Page `index` (from 0) painted `width` logical pixels wide; None when the document changed meanwhile."""
        generation = self._generation
        loop = asyncio.get_running_loop()
        image = await loop.run_in_executor(_THREAD, self._paint, generation, index, width, pixel_ratio)
        return image if generation == self._generation else None

    def close(self) -> Future[None]:
        """Forgets the document; it is destroyed on the render thread, where it was made."""
        self._generation += 1
        return _THREAD.submit(self._release)

    def __del__(self) -> None:
        # A renderer dropped without close() (its window closed) must still not destroy the document here: its
        # layout's timers belong to the render thread, and Qt cannot stop them from another one.
        document, self._document = self._document, None
        if document is not None:
            with contextlib.suppress(RuntimeError):  # the interpreter is exiting: the thread is gone anyway
                _THREAD.submit(_destroy, document)

    # -- on the render thread ---------------------------------------------------------------------------------------

    def _lay_out(
        self, generation: int, html: str, images: dict[str, bytes], decor: pdf.PageDecor, paper: str
    ) -> PageGeometry | None:
        if generation != self._generation:
            return None  # superseded while queued: the layout of a document nobody will see is skipped
        self._release()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        # Never painted on: it only gives the PDF's page size and resolution, so lines break exactly as in the PDF.
        writer = QPdfWriter(buffer)
        writer.setResolution(pdf.PDF_RESOLUTION)
        writer.setPageLayout(pdf.page_layout(paper))
        laid_out = pdf.lay_out(html, images, writer)
        logo = QImage.fromData(decor.logo_png) if decor.logo_png else None
        self._document = _Document(generation, buffer, writer, laid_out, decor, logo)
        aspect = writer.height() / max(1, writer.width())
        return PageGeometry(laid_out.pages, aspect, writer.widthMM(), list(laid_out.notes))

    def _paint(self, generation: int, index: int, width: int, pixel_ratio: float) -> QImage | None:
        document = self._document
        if generation != self._generation or document is None or document.generation != generation:
            return None
        if not 0 <= index < document.laid_out.pages:
            return None
        writer = document.writer
        scale = width * pixel_ratio / writer.width()
        image = QImage(
            max(1, round(width * pixel_ratio)),
            max(1, round(writer.height() * scale)),
            QImage.Format.Format_ARGB32_Premultiplied,
        )
        # The image claims the writer's resolution, so fonts given in points (the header's, the footer's) come out
        # the size they have in the PDF; the painter's scale then brings the page down to the screen's pixels.
        dots_per_metre = round(writer.logicalDpiX() / 0.0254)
        image.setDotsPerMeterX(dots_per_metre)
        image.setDotsPerMeterY(dots_per_metre)
        image.fill(PAPER_WHITE)
        painter = QPainter(image)
        try:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.scale(scale, scale)
            pdf.paint_page(document.laid_out, document.decor, document.writer, painter, index, document.logo)
        finally:
            painter.end()
        image.setDevicePixelRatio(pixel_ratio)  # only now: set before painting, it would scale the painter again
        return image

    def _release(self) -> None:
        document, self._document = self._document, None
        if document is not None:
            _destroy(document)


def _destroy(document: _Document) -> None:
    # In this order: the layout points at the writer, the writer at the buffer.
    shiboken6.delete(document.laid_out.document)
    shiboken6.delete(document.writer)
    shiboken6.delete(document.buffer)

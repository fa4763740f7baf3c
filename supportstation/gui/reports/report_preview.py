"""The report's preview: its pages as the PDF will show them, painted off the GUI thread, with zoom.

The GUI thread only asks for pages and draws the images it gets back. One page is painted at a time, always the one
on screen that lacks its image (or has one at another zoom): scrolling fast through 50 pages never queues 50
paintings, and a page left behind is never painted. A new version of the document (an edit saved, a revision chosen)
keeps the previous pages on screen until their new images arrive, so typing in the form does not make the preview
flash.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from supportstation.i18n import _, ngettext

from .page_canvas import DESK, MARGIN, PageCanvas
from .page_renderer import PageGeometry, PageRenderer

if TYPE_CHECKING:
    from supportstation.reports.pdf import PageDecor

log = logging.getLogger(__name__)

SCREEN_DPI = 96  # a page at 100 % is as wide on a standard screen as on paper
ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.25, 4.0
KEEP_AWAY = 6  # painted pages kept besides those on screen, so scrolling back shows them at once
BUSY_DELAY_MS = 200  # a page paints in a few milliseconds: the indicator shows only for work a user would notice
SCROLL_SETTLE_MS = 30


class ReportPreview(QWidget):
    page_painted = Signal(int)  # a page's image arrived (tests wait on it)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.renderer = PageRenderer()
        self.geometry: PageGeometry | None = None
        self.zoom = 1.0
        self.fit_width = True
        self._painted: dict[int, tuple[int, int]] = {}  # page -> (document generation, pixel width) of its image
        self._page_task: asyncio.Task[Any] | None = None
        self._layout_tasks: set[asyncio.Task[Any]] = set()
        self._laying_out = 0  # layouts under way (an older one finishes, unseen, after a newer one was asked)
        self._closed = False

        self.zoom_out_button = _tool_button("−", _("Zoom out"))
        self.zoom_in_button = _tool_button("+", _("Zoom in"))
        self.fit_button = _tool_button(_("Fit width"), _("Show the pages as wide as the preview"))
        self.fit_button.setCheckable(True)
        self.fit_button.setChecked(True)
        self.zoom_label = QLabel()
        self.zoom_label.setMinimumWidth(self.zoom_label.fontMetrics().horizontalAdvance("400 %") + 6)
        self.page_label = QLabel()
        self.page_label.setObjectName("previewPageCount")
        self.busy = QProgressBar()
        self.busy.setObjectName("previewBusy")
        self.busy.setRange(0, 0)  # no end known: a moving bar that says "working"
        self.busy.setTextVisible(False)
        self.busy.setMaximumWidth(90)
        self.busy.setMaximumHeight(14)
        self.busy.setToolTip(_("Drawing the pages…"))
        policy = self.busy.sizePolicy()
        policy.setRetainSizeWhenHidden(True)  # the tool bar must not jump each time it shows
        self.busy.setSizePolicy(policy)
        self.busy.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #b3261e")
        self.message.hide()

        tools = QHBoxLayout()
        tools.setContentsMargins(0, 0, 0, 0)
        tools.addWidget(QLabel(_("Preview")))
        tools.addSpacing(12)
        tools.addWidget(self.page_label)
        tools.addStretch(1)
        tools.addWidget(self.busy)
        tools.addSpacing(8)
        for widget in (self.zoom_out_button, self.zoom_label, self.zoom_in_button, self.fit_button):
            tools.addWidget(widget)

        self.canvas = PageCanvas()
        self.scroll = QScrollArea()
        self.scroll.setObjectName("reportPreview")
        self.scroll.setWidget(self.canvas)
        self.scroll.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop)
        # Always there: a scroll bar that comes and goes would change the width that "fit width" fits to.
        self.scroll.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.scroll.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        palette = self.scroll.viewport().palette()
        palette.setColor(QPalette.ColorRole.Window, DESK)
        self.scroll.viewport().setPalette(palette)
        self.scroll.viewport().setAutoFillBackground(True)
        self.scroll.viewport().installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(tools)
        layout.addWidget(self.message)
        layout.addWidget(self.scroll, 1)

        self._busy_timer = QTimer(self)
        self._busy_timer.setSingleShot(True)
        self._busy_timer.setInterval(BUSY_DELAY_MS)
        self._busy_timer.timeout.connect(lambda: self.busy.setVisible(self.is_busy()))
        self._pump_timer = QTimer(self)
        self._pump_timer.setSingleShot(True)
        self._pump_timer.setInterval(SCROLL_SETTLE_MS)
        self._pump_timer.timeout.connect(self._pump)
        self.scroll.verticalScrollBar().valueChanged.connect(lambda _value: self._pump_timer.start())
        self.zoom_out_button.clicked.connect(lambda: self.set_zoom(self.zoom / ZOOM_STEP))
        self.zoom_in_button.clicked.connect(lambda: self.set_zoom(self.zoom * ZOOM_STEP))
        self.fit_button.toggled.connect(self.set_fit_width)
        self._show_counts()

    # -- what is shown ----------------------------------------------------------------------------------------------

    def show_document(self, html: str, images: dict[str, bytes], decor: PageDecor, paper: str) -> asyncio.Task[Any]:
        """Lays out a new version of the report and paints the pages on screen; replaces any render under way."""
        self.message.hide()
        self._laying_out += 1  # counted at once: the preview is out of date from now, not from when the task starts
        self._update_busy()
        task = asyncio.ensure_future(self._lay_out(html, images, decor, paper))
        self._layout_tasks.add(task)  # kept referenced until done: the loop holds tasks only weakly
        task.add_done_callback(self._layout_tasks.discard)
        return task

    def clear(self) -> None:
        """Shows no document (no report to show yet)."""
        self.renderer.close()
        self.geometry = None
        self._painted.clear()
        self.canvas.images.clear()
        self.canvas.set_pages(0, self.canvas.aspect)
        self._show_counts()

    def show_problem(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def rendered_pages(self) -> list[int]:
        """The pages whose image is of the current document, at the current zoom."""
        key = self._current_key()
        return sorted(page for page, made_for in self._painted.items() if made_for == key)

    def is_current(self) -> bool:
        """Whether the pages on screen show the latest document at the current zoom."""
        if self.geometry is None or self._laying_out:
            return False
        key = self._current_key()
        return all(self._painted.get(page) == key for page in self._wanted())

    def _current_key(self) -> tuple[int, int]:
        return self.renderer.generation, round(self.canvas.page_width * self.devicePixelRatioF())

    def is_busy(self) -> bool:
        return self._laying_out > 0 or self._page_task is not None

    def closing(self) -> None:
        """The ticket's tab closes: the render thread lets go of the document."""
        self._closed = True
        self._pump_timer.stop()
        self.renderer.close()

    # -- zoom -------------------------------------------------------------------------------------------------------

    def set_zoom(self, zoom: float) -> None:
        self.fit_width = False
        self.fit_button.setChecked(False)
        self.zoom = min(MAX_ZOOM, max(MIN_ZOOM, zoom))
        self._apply_zoom()

    def set_fit_width(self, fit: bool) -> None:
        self.fit_width = fit
        if self.fit_button.isChecked() != fit:
            self.fit_button.setChecked(fit)
        self._apply_zoom()

    def _page_width_at_full_size(self) -> float:
        width_mm = self.geometry.width_mm if self.geometry else 210
        return width_mm / 25.4 * SCREEN_DPI

    def _apply_zoom(self) -> None:
        full = self._page_width_at_full_size()
        if self.fit_width:
            available = self.scroll.viewport().width() - 2 * MARGIN
            self.zoom = min(MAX_ZOOM, max(MIN_ZOOM, available / full))
        bar = self.scroll.verticalScrollBar()
        position = bar.value() / bar.maximum() if bar.maximum() else 0.0
        self.canvas.set_page_width(round(full * self.zoom))
        bar.setValue(round(position * bar.maximum()))  # the same place in the report, at the new size
        self.zoom_label.setText(_("{percent} %").format(percent=round(self.zoom * 100)))
        self.zoom_out_button.setEnabled(self.zoom > MIN_ZOOM + 1e-6)
        self.zoom_in_button.setEnabled(self.zoom < MAX_ZOOM - 1e-6)
        self._pump_timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.scroll.viewport() and event.type() == QEvent.Type.Resize and self.fit_width:
            self._apply_zoom()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._pump_timer.start()

    # -- laying out and painting ------------------------------------------------------------------------------------

    async def _lay_out(self, html: str, images: dict[str, bytes], decor: PageDecor, paper: str) -> None:
        try:
            geometry = await self.renderer.lay_out(html, images, decor, paper)
        except Exception as error:  # a document Qt cannot lay out must not take the form down with it
            log.exception("The report preview could not be laid out")
            self.show_problem(_("The preview could not be drawn: {error}").format(error=error))
            return
        finally:
            self._laying_out -= 1
            self._update_busy()
        if geometry is None or self._closed:
            return  # a newer version is being laid out: it will be shown instead
        self.geometry = geometry
        for page in [page for page in self.canvas.images if page >= geometry.pages]:
            del self.canvas.images[page]
            self._painted.pop(page, None)
        self.canvas.set_pages(geometry.pages, geometry.aspect)
        self._show_counts()
        self._apply_zoom()
        self._pump()

    def _wanted(self) -> list[int]:
        """The pages on screen, then the one after and the one before: the next to be looked at."""
        bar = self.scroll.verticalScrollBar()
        top = bar.value()
        visible = list(self.canvas.pages_in(top, top + self.scroll.viewport().height()))
        if not visible:
            return []
        around = [visible[-1] + 1, visible[0] - 1]
        return visible + [page for page in around if 0 <= page < self.canvas.pages]

    def _pump(self) -> None:
        """Asks for the next page whose image is missing or out of date, if none is being painted."""
        if self._closed or self.geometry is None or self._page_task is not None:
            return
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return  # the application is quitting: its event loop no longer runs tasks
        ratio = self.devicePixelRatioF()
        width = self.canvas.page_width
        wanted = self._wanted()
        key = self._current_key()
        page = next((page for page in wanted if self._painted.get(page) != key), None)
        if page is None:
            self._forget_far_pages(wanted)
        else:
            self._page_task = asyncio.ensure_future(self._paint(page, width, ratio))
        self._update_busy()

    async def _paint(self, page: int, width: int, ratio: float) -> None:
        generation = self.renderer.generation
        try:
            image = await self.renderer.page(page, width, ratio)
        except Exception as error:
            log.exception("Page %s of the report preview could not be painted", page + 1)
            self.show_problem(_("The preview could not be drawn: {error}").format(error=error))
            self._page_task = None
            self._update_busy()
            return  # no retry: the same page would fail again, in a loop
        self._page_task = None
        if image is not None and not self._closed and page < self.canvas.pages:
            self.canvas.images[page] = image
            self._painted[page] = (generation, image.width())
            self.canvas.update(self.canvas.page_rect(page))
            self.page_painted.emit(page)
        self._pump()

    def _forget_far_pages(self, wanted: list[int]) -> None:
        if len(self.canvas.images) <= len(wanted) + KEEP_AWAY:
            return
        centre = wanted[len(wanted) // 2] if wanted else 0
        by_distance = sorted(self.canvas.images, key=lambda page: abs(page - centre))
        for page in by_distance[len(wanted) + KEEP_AWAY :]:
            del self.canvas.images[page]
            self._painted.pop(page, None)

    def _show_counts(self) -> None:
        pages = self.geometry.pages if self.geometry else 0
        self.page_label.setText(ngettext("{count} page", "{count} pages", pages).format(count=pages) if pages else "")

    def _update_busy(self) -> None:
        if self.is_busy():
            if not self.busy.isVisible() and not self._busy_timer.isActive():
                self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.busy.hide()


def _tool_button(text: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolTip(tip)
    button.setAutoRaise(True)
    return button

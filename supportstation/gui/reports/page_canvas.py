"""The preview's pages, one under the other on a grey desk, as a long widget inside a scroll area.

A page is drawn from its painted image when there is one (scaled, if the zoom changed since it was painted, until the
sharp one arrives) and as a blank sheet with its number until then, so the scroll bar and the page count are right
from the moment the document is laid out.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from supportstation.i18n import _

DESK = QColor("#7d8590")
SHADOW = QColor(0, 0, 0, 60)
SHEET = QColor("#ffffff")
PLACEHOLDER_TEXT = QColor("#9aa3ad")
MARGIN = 14  # around the pages
GAP = 14  # between two pages


class PageCanvas(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportPages")
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.pages = 0
        self.aspect = 297 / 210
        self.page_width = 400
        self.images: dict[int, QImage] = {}
        self._resize()

    def set_pages(self, pages: int, aspect: float) -> None:
        self.pages, self.aspect = pages, aspect
        self._resize()

    def set_page_width(self, width: int) -> None:
        if width != self.page_width:
            self.page_width = max(50, width)
            self._resize()

    @property
    def page_height(self) -> int:
        return round(self.page_width * self.aspect)

    def page_rect(self, index: int) -> QRect:
        return QRect(MARGIN, MARGIN + index * (self.page_height + GAP), self.page_width, self.page_height)

    def pages_in(self, top: int, bottom: int) -> range:
        """The pages that show between two heights of the canvas."""
        if not self.pages:
            return range(0)
        step = self.page_height + GAP
        first = max(0, (top - MARGIN) // step)
        last = min(self.pages - 1, max(0, (bottom - MARGIN) // step))
        return range(first, last + 1)

    def sizeHint(self) -> QSize:
        return self.size()

    def _resize(self) -> None:
        height = 2 * MARGIN + self.pages * self.page_height + max(0, self.pages - 1) * GAP
        self.setFixedSize(self.page_width + 2 * MARGIN, max(height, 2 * MARGIN))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        area = event.rect()
        painter.fillRect(area, DESK)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        for index in self.pages_in(area.top(), area.bottom()):
            rect = self.page_rect(index)
            painter.fillRect(rect.translated(3, 3), SHADOW)
            painter.fillRect(rect, SHEET)
            image = self.images.get(index)
            if image is not None:
                painter.drawImage(rect, image)
            else:
                painter.setPen(PLACEHOLDER_TEXT)
                painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, _("Page {page}").format(page=index + 1))
        painter.end()

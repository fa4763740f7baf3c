"""A pad to sign on: mouse, touchpad, pen (with pressure) or finger on a touch screen.

The strokes are kept as data (points with pressure, in canvas units), never only as pixels: undo removes exactly the
last stroke, the exported PNG is drawn again from the vectors at twice the resolution, and a resized pad shows the same
signature, scaled uniformly to fit, instead of a clipped or stretched bitmap.

Canvas units are the pad's logical pixels when the first stroke starts. Before every stroke the canvas grows to
cover everything visible at that moment, so all ink lies within it; fitting the canvas into the widget (uniform scale,
centred) then keeps every stroke visible and undistorted, whatever the size the pad is given later.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from PySide6.QtCore import QBuffer, QEvent, QIODevice, QPointF, QRectF, QSize, QSizeF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QImage,
    QInputDevice,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPaintDevice,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
    QPointingDevice,
    QResizeEvent,
    QTabletEvent,
    QTouchEvent,
    QTransform,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from supportstation.i18n import _

INK = QColor("#14213d")  # the blue-black of a ballpoint pen: reads as ink on paper, prints as black
PAPER = QColor("#ffffff")  # white like the printed report, also under a dark theme
PAPER_DISABLED = QColor("#f2f2f2")
GUIDE = QColor("#a3a8b0")
HINT = QColor("#b4b9c0")
BASE_WIDTH = 2.4  # canvas units at the default pressure
DEFAULT_PRESSURE = 0.5  # for the mouse, touchpads, and pens or screens that report no pressure
PRESSURE_SMOOTHING = 0.5  # weight of the previous pressure: pens report a jittery pressure that would make blobs
MIN_STEP = 0.75  # widget pixels: closer samples add noise to the curve, not detail
EXPORT_SCALE = 2  # the PNG is drawn at twice the canvas resolution, so it stays sharp in a printed PDF
EXPORT_MARGIN = 8.0  # canvas units of blank around the ink in the PNG
BASELINE = 0.74  # height of the signing line, as a fraction of the canvas


@dataclass(frozen=True)
class InkPoint:
    x: float
    y: float
    pressure: float  # 0..1


@dataclass
class Stroke:
    points: list[InkPoint] = field(default_factory=list)


def pen_width(pressure: float) -> float:
    # 0.4x at the lightest touch, 1x at the default pressure, 1.6x pressing hard: the pressure shows without a light
    # pen stroke vanishing.
    return BASE_WIDTH * (0.4 + 1.2 * min(max(pressure, 0.0), 1.0))


def _mid(a: InkPoint, b: InkPoint) -> QPointF:
    return QPointF((a.x + b.x) / 2, (a.y + b.y) / 2)


def _set_pen(painter: QPainter, pressure: float) -> None:
    # Round caps and joins hide the seams between segments of different widths.
    pen = QPen(INK, pen_width(pressure), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)


def draw_segment(painter: QPainter, points: list[InkPoint], j: int) -> None:
    """Draws the piece of a stroke that its j-th point (j >= 1) settles.

    The curve runs through the midpoints of successive samples with the samples as control points (quadratic
    Béziers): it is smooth where a polyline would show corners, and a segment never changes once drawn, so the pad
    can draw each one as it arrives. Only the short tail from the last midpoint to the last sample (draw_end) depends
    on samples to come."""
    previous, current = points[j - 1], points[j]
    if j == 1:
        _set_pen(painter, (previous.pressure + current.pressure) / 2)
        painter.drawLine(QPointF(previous.x, previous.y), _mid(previous, current))
        return
    before = points[j - 2]
    path = QPainterPath(_mid(before, previous))
    path.quadTo(QPointF(previous.x, previous.y), _mid(previous, current))
    _set_pen(painter, (before.pressure + 2 * previous.pressure + current.pressure) / 4)
    painter.drawPath(path)


def draw_end(painter: QPainter, points: list[InkPoint]) -> None:
    """Draws the tail of a stroke (or the dot of a single tap), which the next sample would replace."""
    last = points[-1]
    if len(points) == 1:
        radius = pen_width(last.pressure) / 2
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(INK)
        painter.drawEllipse(QPointF(last.x, last.y), radius, radius)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        return
    previous = points[-2]
    _set_pen(painter, (previous.pressure + last.pressure) / 2)
    painter.drawLine(_mid(previous, last), QPointF(last.x, last.y))


def draw_strokes(painter: QPainter, strokes: list[Stroke], unfinished: Stroke | None = None) -> None:
    """Draws whole strokes; the unfinished one without its tail, which the pad paints live."""
    painter.setBrush(Qt.BrushStyle.NoBrush)
    for stroke in strokes:
        for j in range(1, len(stroke.points)):
            draw_segment(painter, stroke.points, j)
        if stroke is not unfinished and stroke.points:
            draw_end(painter, stroke.points)


def ink_bounds(strokes: list[Stroke]) -> QRectF | None:
    """The rectangle the ink covers, pen widths included; None without ink. The curves stay within their control
    points, so the samples' bounds are the ink's."""
    points = [point for stroke in strokes for point in stroke.points]
    if not points:
        return None
    half = max(pen_width(point.pressure) for point in points) / 2
    left, right = min(p.x for p in points), max(p.x for p in points)
    top, bottom = min(p.y for p in points), max(p.y for p in points)
    return QRectF(left - half, top - half, right - left + 2 * half, bottom - top + 2 * half)


def _antialiased(device: QPaintDevice) -> QPainter:
    painter = QPainter(device)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return painter


class SignaturePad(QWidget):
    """Emits `changed` whenever the ink changes: a stroke starts or ends, undo, clear."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_AcceptTouchEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)  # every pixel is painted: no background erase
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # for Ctrl+Z
        self.setCursor(Qt.CursorShape.CrossCursor)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(280, 130)
        self.hint = _("Sign here")
        self._strokes: list[Stroke] = []
        self._active: Stroke | None = None
        self._input = ""  # "mouse", "tablet" or "touch": the device drawing the active stroke
        self._touch_id = -1
        self._canvas: QRectF | None = None  # None while empty: the canvas is the widget
        self._cache: QPixmap | None = None  # the ink so far, in widget pixels; the active stroke's tail excluded

    def sizeHint(self) -> QSize:
        return QSize(460, 190)

    # -- the ink ----------------------------------------------------------------------------------------------------

    def is_empty(self) -> bool:
        return not self._strokes

    def strokes(self) -> list[Stroke]:
        """A copy of the strokes, in canvas units."""
        return [Stroke(list(stroke.points)) for stroke in self._strokes]

    def undo(self) -> None:
        """Removes the last stroke (the one being drawn, if any)."""
        if not self._strokes:
            return
        self._strokes.pop()
        self._active, self._input = None, ""
        self._ink_changed()

    def clear(self) -> None:
        if not self._strokes:
            return
        self._strokes.clear()
        self._active, self._input = None, ""
        self._ink_changed()

    def set_hint(self, text: str) -> None:
        """The light text shown on an empty or disabled pad."""
        self.hint = text
        self.update()

    def _ink_changed(self) -> None:
        if not self._strokes:
            self._canvas = None
        self._cache = None
        self.update()
        self.changed.emit()

    # -- building strokes: what the mouse, tablet and touch handlers call ---------------------------------------------

    def begin_stroke(self, position: QPointF, pressure: float = DEFAULT_PRESSURE) -> None:
        """Starts a stroke at a point in widget coordinates."""
        if self._active is not None:
            self.end_stroke()
        visible = self._from_widget().mapRect(QRectF(self.rect()))
        self._canvas = visible if self._canvas is None else self._canvas.united(visible)
        self._active = Stroke([self._point(position, pressure)])
        self._strokes.append(self._active)
        if not self.hasFocus():
            self.setFocus(Qt.FocusReason.OtherFocusReason)  # a pen or a finger gives no focus, yet Ctrl+Z should work
        self._update_around(self._active.points)
        self.changed.emit()

    def extend_stroke(self, position: QPointF, pressure: float = DEFAULT_PRESSURE) -> None:
        if self._active is None:
            return
        points = self._active.points
        last = points[-1]
        point = self._point(position, last.pressure * PRESSURE_SMOOTHING + pressure * (1 - PRESSURE_SMOOTHING))
        if math.hypot(point.x - last.x, point.y - last.y) * self._scale() < MIN_STEP:
            return
        points.append(point)
        if self._cache is not None:
            painter = self._ink_painter(self._cache)
            draw_segment(painter, points, len(points) - 1)
            painter.end()
        self._update_around(points[-3:])

    def end_stroke(self) -> None:
        if self._active is None:
            return
        stroke, self._active, self._input = self._active, None, ""
        if self._cache is not None:
            painter = self._ink_painter(self._cache)
            draw_end(painter, stroke.points)
            painter.end()
        self._update_around(stroke.points[-2:])
        self.changed.emit()

    def cancel_stroke(self) -> None:
        """Drops the stroke being drawn (the system took the touch away for a gesture)."""
        if self._active is None:
            return
        self._strokes.remove(self._active)
        self._active, self._input = None, ""
        self._ink_changed()

    def _point(self, position: QPointF, pressure: float) -> InkPoint:
        # Ink dragged past the edge stays on the edge: all ink within the canvas is what keeps it visible on resize.
        x = min(max(position.x(), 0.0), float(self.width()))
        y = min(max(position.y(), 0.0), float(self.height()))
        canvas = self._from_widget().map(QPointF(x, y))
        return InkPoint(canvas.x(), canvas.y(), min(max(pressure, 0.0), 1.0))

    # -- geometry -----------------------------------------------------------------------------------------------------

    def _scale(self) -> float:
        if self._canvas is None or self._canvas.isEmpty():
            return 1.0
        scale = min(self.width() / self._canvas.width(), self.height() / self._canvas.height())
        return max(scale, 1e-6)  # a collapsed widget must not make the transform singular

    def _to_widget(self) -> QTransform:
        """Canvas units to widget pixels: the canvas fitted into the widget, centred, with one scale for x and y."""
        if self._canvas is None or self._canvas.isEmpty():
            return QTransform()
        canvas, scale = self._canvas, self._scale()
        dx = (self.width() - canvas.width() * scale) / 2 - canvas.left() * scale
        dy = (self.height() - canvas.height() * scale) / 2 - canvas.top() * scale
        return QTransform(scale, 0, 0, scale, dx, dy)

    def _from_widget(self) -> QTransform:
        inverse, _invertible = self._to_widget().inverted()
        return inverse

    def _update_around(self, points: list[InkPoint]) -> None:
        bounds = ink_bounds([Stroke(points)])
        if bounds is not None:
            self.update(self._to_widget().mapRect(bounds).toAlignedRect().adjusted(-2, -2, 2, 2))

    # -- painting -----------------------------------------------------------------------------------------------------

    def _ink_painter(self, device: QPaintDevice) -> QPainter:
        painter = _antialiased(device)
        painter.setTransform(self._to_widget())
        return painter

    def _ink(self) -> QPixmap:
        ratio = self.devicePixelRatioF()
        size = (QSizeF(self.size()) * ratio).toSize()
        if self._cache is None or self._cache.size() != size or self._cache.devicePixelRatio() != ratio:
            self._cache = QPixmap(size)
            self._cache.setDevicePixelRatio(ratio)
            self._cache.fill(Qt.GlobalColor.transparent)
            painter = self._ink_painter(self._cache)
            draw_strokes(painter, self._strokes, self._active)
            painter.end()
        return self._cache

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = _antialiased(self)
        enabled = self.isEnabled()
        painter.fillRect(self.rect(), PAPER if enabled else PAPER_DISABLED)
        area = self._to_widget().mapRect(self._canvas) if self._canvas is not None else QRectF(self.rect())
        baseline = self._paint_baseline(painter, area)
        if self._strokes:
            painter.setOpacity(1.0 if enabled else 0.3)
            painter.drawPixmap(0, 0, self._ink())
            if self._active is not None:
                painter.setTransform(self._to_widget())
                draw_end(painter, self._active.points)
                painter.resetTransform()
            painter.setOpacity(1.0)
        if not self._strokes or not enabled:
            self._paint_hint(painter, QRectF(area.left(), area.top(), area.width(), baseline - area.top()))
        focused = self.hasFocus() and enabled
        frame = self.palette().color(QPalette.ColorRole.Highlight) if focused else QColor("#c3c7cc")
        painter.setPen(QPen(frame, 1.0))
        painter.drawRect(QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5))

    def _paint_baseline(self, painter: QPainter, area: QRectF) -> float:
        """The signing line with its cross, where the canvas shows; returns its height."""
        y = round(area.top() + area.height() * BASELINE) + 0.5
        left, right = area.left() + area.width() * 0.06, area.right() - area.width() * 0.06
        painter.setPen(QPen(GUIDE, 1.0))
        painter.drawLine(QPointF(left, y), QPointF(right, y))
        cross = 9.0
        painter.setPen(QPen(GUIDE, 1.4, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        painter.drawLine(QPointF(left, y - 8 - cross), QPointF(left + cross, y - 8))
        painter.drawLine(QPointF(left, y - 8), QPointF(left + cross, y - 8 - cross))
        return y

    def _paint_hint(self, painter: QPainter, above_line: QRectF) -> None:
        font = painter.font()
        font.setPointSizeF(font.pointSizeF() * 1.35)
        painter.setFont(font)
        if self._strokes:  # greyed ink under the hint: a backdrop keeps the words readable
            box = painter.fontMetrics().boundingRect(self.hint).toRectF().adjusted(-12, -6, 12, 6)
            box.moveCenter(above_line.center())
            painter.setPen(QPen(GUIDE, 1.0))
            painter.setBrush(PAPER_DISABLED)
            painter.drawRoundedRect(box, 6, 6)
            painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(HINT if self.isEnabled() else QColor("#8a9099"))
        painter.drawText(above_line, Qt.AlignmentFlag.AlignCenter, self.hint)

    # -- input --------------------------------------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton or not self._mouse_may_draw(event):
            event.ignore()
            return
        self.begin_stroke(event.position())
        self._input = "mouse"
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._input == "mouse" and event.buttons() & Qt.MouseButton.LeftButton:
            self.extend_stroke(event.position())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._input == "mouse" and event.button() == Qt.MouseButton.LeftButton:
            self.extend_stroke(event.position())
            self.end_stroke()
        event.accept()

    def _mouse_may_draw(self, event: QMouseEvent) -> bool:
        # Qt turns tablet and touch events it was not given into mouse events; those would draw a second stroke.
        synthesized = event.source() == Qt.MouseEventSource.MouseEventSynthesizedByQt
        return not synthesized and self._input in ("", "mouse")

    def tabletEvent(self, event: QTabletEvent) -> None:
        if event.pointerType() == QPointingDevice.PointerType.Eraser:
            event.ignore()
            return
        pressure = event.pressure() if _reports_pressure(event.pointingDevice()) else DEFAULT_PRESSURE
        kind = event.type()
        if kind == QEvent.Type.TabletPress and self._input in ("", "tablet"):
            self.begin_stroke(event.position(), pressure)
            self._input = "tablet"
        elif kind == QEvent.Type.TabletMove and self._input == "tablet":
            self.extend_stroke(event.position(), pressure)
        elif kind == QEvent.Type.TabletRelease and self._input == "tablet":
            self.end_stroke()  # no point added: a lifted pen reports zero pressure, which would thin the tail
        event.accept()

    def event(self, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.TouchBegin, QEvent.Type.TouchUpdate, QEvent.Type.TouchEnd):
            return self._touch(event)  # type: ignore[arg-type]
        if event.type() == QEvent.Type.TouchCancel:
            if self._input == "touch":
                self.cancel_stroke()
            event.accept()
            return True
        return super().event(event)

    def _touch(self, event: QTouchEvent) -> bool:
        if event.device().type() != QInputDevice.DeviceType.TouchScreen:
            event.ignore()  # a touchpad moves the pointer: its mouse events draw, at the pointer, not the finger
            return False
        if event.type() == QEvent.Type.TouchBegin:
            if self._input not in ("", "touch") or not event.points():
                event.ignore()
                return False
            first = event.points()[0]
            self._touch_id = first.id()
            self.begin_stroke(first.position(), self._touch_pressure(event, first.pressure()))
            self._input = "touch"
            event.accept()
            return True
        # Only the finger that started the stroke draws: a palm or a second finger resting on the screen does not.
        finger = next((point for point in event.points() if point.id() == self._touch_id), None)
        if finger is not None and self._input == "touch" and self._active is not None:
            last = self._active.points[-1].pressure
            if finger.state() == finger.State.Released or event.type() == QEvent.Type.TouchEnd:
                self.extend_stroke(finger.position(), last)  # a lifted finger reports zero pressure
                self.end_stroke()
            else:
                self.extend_stroke(finger.position(), self._touch_pressure(event, finger.pressure()))
        event.accept()
        return True

    @staticmethod
    def _touch_pressure(event: QTouchEvent, reported: float) -> float:
        return reported if _reports_pressure(event.pointingDevice()) else DEFAULT_PRESSURE

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Undo):
            self.undo()
            event.accept()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._cache = None  # drawn again from the strokes, at the new scale
        super().resizeEvent(event)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.EnabledChange:
            if not self.isEnabled():
                self.end_stroke()
            self.update()
        super().changeEvent(event)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.update()  # the frame shows the focus
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.update()
        super().focusOutEvent(event)

    # -- export -------------------------------------------------------------------------------------------------------

    def ink_rect(self) -> QRectF | None:
        """The area the ink covers, in canvas units; None when empty."""
        return ink_bounds(self._strokes)

    def to_png(self, background: QColor | None = None) -> bytes:
        """The signature as a PNG: the strokes drawn again at EXPORT_SCALE, cropped to the ink with EXPORT_MARGIN,
        on a transparent background unless one is given. Raises ValueError when there is no ink."""
        bounds = self.ink_rect()
        if bounds is None:
            raise ValueError("the signature pad is empty")
        area = bounds.adjusted(-EXPORT_MARGIN, -EXPORT_MARGIN, EXPORT_MARGIN, EXPORT_MARGIN)
        size = QSize(math.ceil(area.width() * EXPORT_SCALE), math.ceil(area.height() * EXPORT_SCALE))
        image = QImage(size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(background if background is not None else QColor(Qt.GlobalColor.transparent))
        # A canvas unit was a logical pixel (1/96 inch): saying so lets a PDF place the image at the size it was signed.
        dots_per_metre = round(96 * EXPORT_SCALE / 0.0254)
        image.setDotsPerMeterX(dots_per_metre)
        image.setDotsPerMeterY(dots_per_metre)
        painter = _antialiased(image)
        painter.scale(EXPORT_SCALE, EXPORT_SCALE)
        painter.translate(-area.topLeft())
        draw_strokes(painter, self._strokes)
        painter.end()
        buffer = QBuffer()
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        return bytes(buffer.data().data())


def _reports_pressure(device: QPointingDevice | None) -> bool:
    return device is not None and bool(device.capabilities() & QInputDevice.Capability.Pressure)

"""Signing the report on screen: strokes from the mouse, a touch screen and a pen with pressure, undo and clear, the
PNG export, resizing, the could-not-sign path, the dialog's OK button, and the Signature record's checks."""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QImage, QInputDevice, QPointingDevice, QTabletEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from supportstation.gui.reports.signature_capture import SignatureCapture, SignatureDialog
from supportstation.gui.reports.signature_pad import (
    DEFAULT_PRESSURE,
    EXPORT_MARGIN,
    EXPORT_SCALE,
    SignaturePad,
    pen_width,
)
from supportstation.reports.signatures import MAX_IMAGE_BYTES, PNG_MAGIC, Signature, SignatureError
from tests.gui.conftest import shot

Points = list[tuple[float, float]]


def make_pad(qtbot, width: int = 400, height: int = 200) -> SignaturePad:  # type: ignore[no-untyped-def]
    pad = SignaturePad()
    qtbot.addWidget(pad)
    pad.resize(width, height)
    pad.show()
    assert QTest.qWaitForWindowExposed(pad)
    return pad


def drag(widget, points: Points) -> None:  # type: ignore[no-untyped-def]
    """One stroke with the mouse: press on the first point, move through the others, release on the last."""
    first, *rest = [QPoint(round(x), round(y)) for x, y in points]
    QTest.mousePress(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, first)
    for point in rest:
        QTest.mouseMove(widget, point)
    QTest.mouseRelease(widget, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, rest[-1] if rest else first)


def line(start: tuple[float, float], end: tuple[float, float], steps: int = 20) -> Points:
    return [(start[0] + (end[0] - start[0]) * i / steps, start[1] + (end[1] - start[1]) * i / steps)
            for i in range(steps + 1)]  # fmt: skip


def handwriting(width: int, height: int) -> list[Points]:
    """Something that looks like a signature: a run of loops (a trochoid, as cursive 'l's are), then an underline."""
    loops = []
    t = 0.0
    while t < 11 * math.pi:
        x = width * 0.1 + width * 0.021 * t - width * 0.04 * math.sin(t)
        y = height * 0.48 - height * 0.17 * math.cos(t) + height * 0.05 * math.sin(t / 5)
        loops.append((x, y))
        t += 0.14
    underline = [(width * (0.12 + 0.72 * s), height * (0.74 - 0.1 * s + 0.12 * s * s)) for s in
                 (i / 30 for i in range(31))]  # fmt: skip
    return [loops, underline]


def ink_box(image: QImage, darker_than: int = 110, border: int = 2) -> tuple[int, int, int, int] | None:
    """The bounding box (left, top, right, bottom) of the dark pixels of a grabbed pad; its light guides, hint and
    frame do not count."""
    xs, ys = [], []
    for y in range(border, image.height() - border):
        for x in range(border, image.width() - border):
            if image.pixelColor(x, y).lightness() < darker_than:
                xs.append(x)
                ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def pen_device(pressure: bool = True) -> QPointingDevice:
    caps = QInputDevice.Capability.Position
    if pressure:
        caps |= QInputDevice.Capability.Pressure
    return QPointingDevice("test pen", 4242, QInputDevice.DeviceType.Stylus, QPointingDevice.PointerType.Pen,
                           caps, 1, 2)  # fmt: skip


def tablet(widget, device: QPointingDevice, kind: QEvent.Type, x: float, y: float, pressure: float) -> bool:  # type: ignore[no-untyped-def]
    held = Qt.MouseButton.NoButton if kind == QEvent.Type.TabletRelease else Qt.MouseButton.LeftButton
    event = QTabletEvent(kind, device, QPointF(x, y), widget.mapToGlobal(QPointF(x, y)), pressure, 0, 0, 0, 0, 0,
                         Qt.KeyboardModifier.NoModifier, Qt.MouseButton.LeftButton, held)  # fmt: skip
    QApplication.sendEvent(widget, event)
    return event.isAccepted()


def pen_stroke(widget, device: QPointingDevice, points: Points, pressure: float) -> None:  # type: ignore[no-untyped-def]
    tablet(widget, device, QEvent.Type.TabletPress, *points[0], pressure)
    for x, y in points[1:]:
        tablet(widget, device, QEvent.Type.TabletMove, x, y, pressure)
    tablet(widget, device, QEvent.Type.TabletRelease, *points[-1], 0.0)


def png_bytes() -> bytes:
    image = QImage(4, 3, QImage.Format.Format_ARGB32)
    image.fill(QColor("black"))
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return bytes(buffer.data().data())


def thickness(image: QImage, x: int) -> int:
    """How many pixels of a column are inked (alpha above half)."""
    return sum(1 for y in range(image.height()) if image.pixelColor(x, y).alpha() > 128)


# -- the pad --------------------------------------------------------------------------------------------------------


def test_a_mouse_stroke_makes_ink_and_says_so(qtbot) -> None:  # type: ignore[no-untyped-def]
    pad = make_pad(qtbot)
    assert pad.is_empty()
    with qtbot.waitSignal(pad.changed):
        drag(pad, line((60, 100), (260, 120)))
    assert not pad.is_empty()
    [stroke] = pad.strokes()
    assert len(stroke.points) > 10
    assert (stroke.points[0].x, stroke.points[0].y) == (60, 100)
    assert (stroke.points[-1].x, stroke.points[-1].y) == (260, 120)
    assert ink_box(pad.grab().toImage()) is not None


def test_undo_removes_the_last_stroke_and_clear_removes_all(qtbot) -> None:  # type: ignore[no-untyped-def]
    pad = make_pad(qtbot)
    drag(pad, line((40, 60), (200, 60)))
    first = pad.strokes()
    drag(pad, line((40, 140), (200, 150)))
    assert len(pad.strokes()) == 2
    with qtbot.waitSignal(pad.changed):
        pad.undo()
    assert pad.strokes() == first
    box = ink_box(pad.grab().toImage())
    assert box is not None and box[3] < 100  # the lower stroke is gone from the screen too

    drag(pad, line((40, 140), (200, 150)))
    QTest.keyClick(pad, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert pad.strokes() == first

    drag(pad, line((40, 140), (200, 150)))
    pad.clear()
    assert pad.is_empty() and pad.strokes() == []
    assert ink_box(pad.grab().toImage()) is None


def test_a_single_tap_leaves_a_dot(qtbot) -> None:  # type: ignore[no-untyped-def]
    pad = make_pad(qtbot)
    drag(pad, [(100, 100)])
    assert not pad.is_empty()
    assert pad.grab().toImage().pixelColor(100, 100).lightness() < 110


def test_incremental_drawing_matches_drawing_everything_again(qtbot) -> None:  # type: ignore[no-untyped-def]
    """What is drawn as the points arrive is exactly what a full redraw from the stroke data gives."""
    pad = make_pad(qtbot)
    drag(pad, [(20, 20), (30, 24)])
    pad.grab()  # paints, so the ink cache exists: the strokes below are drawn into it segment by segment
    for stroke in handwriting(400, 200):
        drag(pad, stroke)
    incremental = pad.grab().toImage()
    pad.resize(401, 200)  # a new size drops the cache; back to the old one, everything is drawn from the data
    pad.resize(400, 200)
    assert pad.grab().toImage() == incremental


def test_png_is_the_ink_cropped_with_a_margin_at_twice_the_size(qtbot) -> None:  # type: ignore[no-untyped-def]
    pad = make_pad(qtbot)
    with pytest.raises(ValueError):
        pad.to_png()
    drag(pad, line((60, 100), (260, 100)))
    data = pad.to_png()
    assert data.startswith(PNG_MAGIC)
    image = QImage.fromData(data)
    assert not image.isNull()
    pen = pen_width(DEFAULT_PRESSURE)
    assert image.width() == math.ceil((200 + pen + 2 * EXPORT_MARGIN) * EXPORT_SCALE)
    assert image.height() == math.ceil((pen + 2 * EXPORT_MARGIN) * EXPORT_SCALE)
    middle = image.height() // 2
    for x in (image.width() // 4, image.width() // 2, 3 * image.width() // 4):
        assert image.pixelColor(x, middle).alpha() == 255  # ink where the stroke went
        assert QColor(image.pixelColor(x, middle)).lightness() < 60
    assert image.pixelColor(2, 2).alpha() == 0  # transparent elsewhere
    assert image.pixelColor(image.width() // 2, 3).alpha() == 0

    white = QImage.fromData(pad.to_png(QColor("white")))
    assert white.size() == image.size()
    assert white.pixelColor(2, 2) == QColor("white")
    Signature("customer", "Mme Durand", datetime.now(UTC), data)  # the export passes the record's checks
    if folder := os.environ.get("SUPPORTSTATION_SHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        Path(folder, "signature-line.png").write_bytes(data)


def test_touch_screen_strokes_draw_and_touchpads_do_not(qtbot) -> None:  # type: ignore[no-untyped-def]
    pad = make_pad(qtbot)
    screen = QTest.createTouchDevice(QInputDevice.DeviceType.TouchScreen)
    QTest.touchEvent(pad, screen).press(0, QPoint(50, 80), pad).commit()
    for x in range(60, 200, 10):
        sequence = QTest.touchEvent(pad, screen).move(0, QPoint(x, 90), pad)
        if x == 100:
            sequence.press(1, QPoint(300, 180), pad)  # a palm comes to rest while the finger signs
        elif x == 150:
            sequence.move(1, QPoint(320, 185), pad)
        sequence.commit()
    QTest.touchEvent(pad, screen).release(0, QPoint(200, 90), pad).commit()
    QTest.touchEvent(pad, screen).release(1, QPoint(320, 185), pad).commit()
    [stroke] = pad.strokes()
    assert (stroke.points[0].x, stroke.points[0].y) == (50, 80)
    assert (stroke.points[-1].x, stroke.points[-1].y) == (200, 90)
    assert all(point.y < 100 for point in stroke.points)  # the second finger (a resting palm) drew nothing
    assert ink_box(pad.grab().toImage()) is not None

    # A touchpad's fingers are not where the pointer is: its touches are left to become mouse movements.
    touchpad = QTest.createTouchDevice(QInputDevice.DeviceType.TouchPad)
    QTest.touchEvent(pad, touchpad).press(0, QPoint(50, 150), pad).commit()
    QTest.touchEvent(pad, touchpad).move(0, QPoint(150, 150), pad).commit()
    QTest.touchEvent(pad, touchpad).release(0, QPoint(150, 150), pad).commit()
    assert len(pad.strokes()) == 1


def test_a_pen_draws_with_its_pressure(qtbot) -> None:  # type: ignore[no-untyped-def]
    pad = make_pad(qtbot)
    pen = pen_device()
    assert tablet(pad, pen, QEvent.Type.TabletPress, 40, 60, 0.95)
    for x in range(50, 361, 10):
        tablet(pad, pen, QEvent.Type.TabletMove, x, 60, 0.95)
    tablet(pad, pen, QEvent.Type.TabletRelease, 366, 61, 0.0)
    pen_stroke(pad, pen, line((40, 150), (360, 150), 32), 0.1)
    heavy, light = pad.strokes()
    assert heavy.points[-1].pressure > 0.9 and light.points[-1].pressure < 0.15
    assert heavy.points[-1].x == 360  # the release (pressure 0) added no point that would thin the tail

    image = QImage.fromData(pad.to_png())
    middle = round((200 + EXPORT_MARGIN) * EXPORT_SCALE) // 2  # a column in the middle of both strokes
    assert thickness(image, middle) > 0
    top, bottom = (
        image.copy(0, 0, image.width(), image.height() // 2),
        image.copy(0, image.height() // 2, image.width(), image.height() - image.height() // 2),
    )
    assert thickness(top, middle) >= 2 * thickness(bottom, middle) > 0

    # A pen that reports no pressure draws at the default width, whatever number the event carries.
    pad.clear()
    pen_stroke(pad, pen_device(pressure=False), line((40, 100), (300, 100)), 0.05)
    assert {point.pressure for point in pad.strokes()[0].points} == {DEFAULT_PRESSURE}


def test_resizing_keeps_the_strokes_whole_and_undistorted(qtbot) -> None:  # type: ignore[no-untyped-def]
    pad = make_pad(qtbot, 400, 200)
    for stroke in handwriting(400, 200):
        drag(pad, stroke)
    strokes = pad.strokes()
    left, top, right, bottom = ink_box(pad.grab().toImage())  # type: ignore[misc]
    aspect = (right - left) / (bottom - top)
    for size in (QSize(800, 200), QSize(300, 300), QSize(280, 130), QSize(400, 200)):
        pad.resize(size)
        assert pad.strokes() == strokes
        box = ink_box(pad.grab().toImage())
        assert box is not None
        l2, t2, r2, b2 = box
        assert l2 > 2 and r2 < size.width() - 3 and t2 > 2 and b2 < size.height() - 3  # nothing cut off
        assert (r2 - l2) / (b2 - t2) == pytest.approx(aspect, rel=0.08)  # not stretched

    # After growing, a new stroke lands under the pointer and the old ones keep their place on screen.
    pad.resize(800, 200)
    before = pad.grab().toImage()
    drag(pad, line((700, 40), (780, 40)))
    after = pad.grab().toImage()
    assert after.pixelColor(740, 40).lightness() < 110
    assert ink_box(before) == ink_box(after.copy(0, 0, 690, 200))
    pad.resize(300, 200)
    assert ink_box(pad.grab().toImage()) is not None
    assert len(pad.strokes()) == 3


# -- one signer -------------------------------------------------------------------------------------------------


def test_could_not_sign_needs_a_reason(qtbot) -> None:  # type: ignore[no-untyped-def]
    capture = SignatureCapture("customer", "Mme Durand")
    qtbot.addWidget(capture)
    capture.resize(460, 330)
    capture.show()
    assert capture.problem() == "The customer has not signed yet."
    assert not capture.undo_button.isEnabled() and not capture.clear_button.isEnabled()
    with pytest.raises(SignatureError, match="not signed yet"):
        capture.signature()
    drag(capture.pad, line((40, 100), (300, 90)))
    assert capture.undo_button.isEnabled() and capture.clear_button.isEnabled()

    capture.cannot_sign.setChecked(True)
    assert not capture.pad.isEnabled() and capture.reason_edit.isVisible()
    assert not capture.undo_button.isEnabled()
    assert capture.problem() == "Say why the customer could not sign."
    with pytest.raises(SignatureError, match="could not sign"):
        capture.signature()
    qtbot.keyClicks(capture.reason_edit, "left before the end")
    assert capture.problem() == ""
    signature = capture.signature()
    assert not signature.signed and signature.image_png is None
    assert signature.not_signed_reason == "left before the end"
    assert signature.role == "customer" and signature.signer_name == "Mme Durand"
    assert signature.signed_at.tzinfo is not None and signature.signed_at.utcoffset() == timedelta(0)

    capture.cannot_sign.setChecked(False)  # the ink was kept
    assert capture.signature().signed
    capture.name_edit.clear()
    assert capture.problem() == "Enter the customer's name."


def test_ctrl_z_undoes_a_stroke_but_not_in_the_name_field(qtbot) -> None:  # type: ignore[no-untyped-def]
    capture = SignatureCapture("engineer", "Camille Martin")
    qtbot.addWidget(capture)
    capture.resize(460, 330)
    capture.show()
    capture.activateWindow()
    assert QTest.qWaitForWindowActive(capture)  # shortcuts work in the active window only
    drag(capture.pad, line((40, 60), (300, 60)))
    drag(capture.pad, line((40, 120), (300, 120)))
    capture.undo_button.setFocus()
    QTest.keyClick(capture.undo_button, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(capture.pad.strokes()) == 1
    capture.name_edit.setFocus()
    qtbot.keyClicks(capture.name_edit, "x")
    QTest.keyClick(capture.name_edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert capture.name_edit.text() == "Camille Martin"
    assert len(capture.pad.strokes()) == 1


# -- the dialog ---------------------------------------------------------------------------------------------------


def test_the_dialog_accepts_only_complete_signatures(qtbot) -> None:  # type: ignore[no-untyped-def]
    dialog = SignatureDialog({"customer": "", "engineer": "Camille Martin"})
    qtbot.addWidget(dialog)
    dialog.show()
    assert QTest.qWaitForWindowExposed(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    customer, engineer = dialog.captures["customer"], dialog.captures["engineer"]
    assert not ok.isEnabled()
    assert dialog.problem.text() == "Enter the customer's name."
    qtbot.keyClicks(customer.name_edit, "Mme Durand")
    assert not ok.isEnabled() and dialog.problem.text() == "The customer has not signed yet."
    drag(customer.pad, line((40, 100), (300, 90)))
    assert not ok.isEnabled() and dialog.problem.text() == "The engineer has not signed yet."
    drag(engineer.pad, line((40, 100), (300, 110)))
    assert ok.isEnabled() and dialog.problem.text() == ""
    engineer.pad.undo()
    assert not ok.isEnabled()
    dialog.accept()  # what Enter in a field would do: refused while incomplete
    assert dialog.result() == 0 and dialog.isVisible()
    drag(engineer.pad, line((40, 100), (300, 110)))
    shot(dialog, "signature-dialog-signed")
    ok.click()
    assert dialog.result() == 1
    first, second = dialog.signatures()
    assert (first.role, first.signer_name, first.signed) == ("customer", "Mme Durand", True)
    assert (second.role, second.signer_name, second.signed) == ("engineer", "Camille Martin", True)
    assert QImage.fromData(second.image_png).width() > 0  # type: ignore[arg-type]


def test_the_dialog_refuses_unknown_roles() -> None:
    with pytest.raises(ValueError):
        SignatureDialog({"witness": "Someone"})
    with pytest.raises(ValueError):
        SignatureDialog({})


def test_look(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Screens to look at (under Xvfb, with SUPPORTSTATION_SHOTS set): a signed dialog, a could-not-sign one, the
    exported signature."""
    dialog = SignatureDialog({"customer": "Aurélie Lefèvre-Dumont", "engineer": "Camille Martin"})
    qtbot.addWidget(dialog)
    dialog.show()
    assert QTest.qWaitForWindowExposed(dialog)
    shot(dialog, "signature-dialog-empty")
    for capture in dialog.captures.values():
        pad = capture.pad
        for stroke in handwriting(pad.width(), pad.height()):
            drag(pad, stroke)
    assert dialog.ok_button.isEnabled()
    shot(dialog, "signature-dialog-handwriting")
    png = dialog.captures["customer"].pad.to_png()
    white = dialog.captures["customer"].pad.to_png(QColor("white"))
    dialog.captures["customer"].cannot_sign.setChecked(True)
    shot(dialog, "signature-dialog-could-not-sign")
    assert not dialog.ok_button.isEnabled()
    dialog.resize(1300, 700)
    shot(dialog, "signature-dialog-large")
    if folder := os.environ.get("SUPPORTSTATION_SHOTS"):
        Path(folder, "signature-export.png").write_bytes(png)
        Path(folder, "signature-export-white.png").write_bytes(white)


# -- the record -------------------------------------------------------------------------------------------------

NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"role": "witness"}, "Unknown signer role"),
        ({"signer_name": "   "}, "name is required"),
        ({"signed_at": datetime(2025, 3, 14, 9, 30)}, "time zone"),
        ({"image_png": None}, "either the signed image or the reason"),
        ({"image_png": None, "not_signed_reason": "  "}, "either the signed image or the reason"),
        ({"not_signed_reason": "left early"}, "both"),
        ({"image_png": b""}, "empty"),
        ({"image_png": b"GIF89a" + bytes(40)}, "not a PNG"),
        ({"image_png": PNG_MAGIC + bytes(4)}, "not a PNG"),
        ({"image_png": PNG_MAGIC + bytes(4) + b"IHDR" + bytes(8) + bytes(20)}, "no pixels"),
        ({"image_png": None, "__png_too_large__": True}, "too large"),
    ],
)
def test_signature_records_refuse_what_cannot_be_recorded(fields: dict, message: str) -> None:  # type: ignore[type-arg]
    values = {"role": "customer", "signer_name": "Mme Durand", "signed_at": NOW, "image_png": png_bytes()}
    if fields.pop("__png_too_large__", False):
        fields["image_png"] = png_bytes() + bytes(MAX_IMAGE_BYTES)
    values.update(fields)
    with pytest.raises(SignatureError, match=message):
        Signature(**values)


def test_signature_records_are_tidied() -> None:
    paris = timezone(timedelta(hours=1))
    signed = Signature("engineer", "  Camille Martin ", datetime(2025, 3, 14, 10, 30, tzinfo=paris), png_bytes())
    assert signed.signed and signed.signer_name == "Camille Martin"
    assert signed.signed_at == NOW and signed.signed_at.tzinfo is UTC
    unsigned = Signature("customer", "Mme Durand", NOW, None, " gone before the end ")
    assert not unsigned.signed and unsigned.not_signed_reason == "gone before the end"
    with pytest.raises(AttributeError):
        unsigned.signer_name = "someone else"  # type: ignore[misc]

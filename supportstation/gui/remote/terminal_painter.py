"""Drawing pyte's cells with QPainter: colours (16, 256 and RGB), bold, italic, underline, inverse, wide characters,
the selection, the cursor, and known secrets masked."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter

from supportstation.vault.redaction import MINIMUM_LENGTH, redact, text_forms

MASK = "•"  # drawn over a known secret, one per cell, so the columns stay where they are
DEFAULT_FOREGROUND = QColor("#d3d7cf")
DEFAULT_BACKGROUND = QColor("#1e1f22")
CURSOR_COLOUR = QColor("#e0e0e0")
SELECTION_BACKGROUND = QColor("#3a6ea5")
SELECTION_FOREGROUND = QColor("#ffffff")
# The 16 ANSI colours (Tango, as in GNOME Terminal): pyte names them; 256-colour and RGB ones come as hex.
NAMED_COLOURS = {
    "black": "#2e3436",
    "red": "#cc0000",
    "green": "#4e9a06",
    "brown": "#c4a000",
    "blue": "#3465a4",
    "magenta": "#75507b",
    "cyan": "#06989a",
    "white": "#d3d7cf",
    "brightblack": "#555753",
    "brightred": "#ef2929",
    "brightgreen": "#8ae234",
    "brightbrown": "#fce94f",
    "brightblue": "#729fcf",
    "brightmagenta": "#ad7fa8",
    "bfightmagenta": "#ad7fa8",  # sic: pyte 0.8 names SGR 105 so
    "brightcyan": "#34e2e2",
    "brightwhite": "#eeeeec",
}
BASIC_COLOURS = frozenset({"black", "red", "green", "brown", "blue", "magenta", "cyan", "white"})


class SecretMask:
    """Where known secrets are on a line, to draw them masked, and copies of the screen with them redacted.

    The server's output itself is not changed: a shorter or longer text would put a full-screen program's cursor
    in the wrong place. A secret cut by the end of a row (a wrapped line) is not recognised."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = [secret for secret in secrets if len(secret) >= MINIMUM_LENGTH]
        forms = sorted({form for secret in self.secrets for form in text_forms(secret)}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, forms))) if forms else None

    def columns(self, line: Any, columns: int) -> set[int]:
        if self._pattern is None or not line:
            return set()
        characters = [(x, line[x].data) for x in range(columns) if line[x].data]
        text = "".join(data for _x, data in characters)
        masked: set[int] = set()
        for match in self._pattern.finditer(text):
            masked.update(characters[index][0] for index in range(match.start(), match.end()))
        return masked

    def masked(self, text: str) -> str:
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda match: MASK * len(match.group()), text)

    def redacted(self, text: str) -> str:
        return redact(text, self.secrets) if self.secrets else text


class CellPainter:
    """Draws one row of cells at a time, in cell coordinates scaled by the monospace font's cell size."""

    def __init__(self, font: QFont) -> None:
        self.font = font
        metrics = QFontMetricsF(font)
        self.cell_width = metrics.horizontalAdvance("M")
        self.cell_height = float(round(metrics.height()))
        self.ascent = metrics.ascent()
        self._fonts: dict[tuple[bool, bool, bool, bool], QFont] = {}
        self._colours: dict[tuple[str, bool], QColor] = {}

    def paint_line(
        self,
        painter: QPainter,
        row: int,
        line: Any,
        columns: int,
        selected: tuple[int, int] | None,
        mask: SecretMask,
    ) -> None:
        # Cells never written hold nothing to draw: stop at the last one written, or at the selection's end.
        written = max((x for x in line if x < columns), default=-1) + 1
        end = max(written, selected[1] + 1) if selected else written
        masked = mask.columns(line, end)
        top = row * self.cell_height
        x = 0
        while x < end:
            char = line[x]
            if not char.data:  # the right half of a wide character, drawn with its left half
                x += 1
                continue
            in_selection = selected is not None and selected[0] <= x <= selected[1]
            is_masked = x in masked
            if char.data.isascii():
                # A run of plain ASCII in one style is drawn as one string: the monospace font keeps it on the grid.
                style = char[1:]
                run_end = x + 1
                while (
                    run_end < end
                    and line[run_end].data
                    and line[run_end].data.isascii()
                    and line[run_end][1:] == style
                    and (selected is not None and selected[0] <= run_end <= selected[1]) == in_selection
                    and (run_end in masked) == is_masked
                ):
                    run_end += 1
                width = run_end - x
                text = "".join(line[column].data for column in range(x, run_end))
            else:
                # Anything else alone, at its own cell: a fallback font's glyphs need not be one cell wide.
                width = 2 if x + 1 < columns and line[x + 1].data == "" else 1
                text = char.data
            if is_masked:
                text = MASK * len(text)
            self._paint_run(painter, x, top, width, text, char, in_selection)
            x += width

    def _paint_run(
        self, painter: QPainter, column: int, top: float, width: int, text: str, char: Any, selected: bool
    ) -> None:
        foreground = self.colour(char.fg, bold=char.bold, default=DEFAULT_FOREGROUND)
        background = self.colour(char.bg, bold=False, default=DEFAULT_BACKGROUND)
        if char.reverse:
            foreground, background = background, foreground
        if selected:
            foreground, background = SELECTION_FOREGROUND, SELECTION_BACKGROUND
        left = column * self.cell_width
        if background is not DEFAULT_BACKGROUND:
            painter.fillRect(QRectF(left, top, width * self.cell_width, self.cell_height), background)
        if text.strip():
            painter.setFont(self.styled_font(char.bold, char.italics, char.underscore, char.strikethrough))
            painter.setPen(foreground)
            painter.drawText(QPointF(left, top + self.ascent), text)

    def paint_cursor(self, painter: QPainter, screen: Any, *, focused: bool) -> None:
        """A block over the character when the terminal has the focus, an outline when it has not."""
        cursor = screen.cursor
        column = min(cursor.x, screen.columns - 1)
        line = screen.buffer[cursor.y]
        char = line[column]
        width = 2 if char.data and column + 1 < screen.columns and line[column + 1].data == "" else 1
        rect = QRectF(column * self.cell_width, cursor.y * self.cell_height, width * self.cell_width, self.cell_height)
        if not focused:
            painter.setPen(CURSOR_COLOUR)
            painter.drawRect(rect.adjusted(0.5, 0.5, -0.5, -0.5))
            return
        painter.fillRect(rect, CURSOR_COLOUR)
        if char.data.strip():
            painter.setFont(self.styled_font(char.bold, char.italics, char.underscore, char.strikethrough))
            painter.setPen(DEFAULT_BACKGROUND)
            painter.drawText(QPointF(rect.left(), rect.top() + self.ascent), char.data)

    def colour(self, name: str, *, bold: bool, default: QColor) -> QColor:
        if name == "default":
            return default
        key = (name, bold)
        colour = self._colours.get(key)
        if colour is None:
            # Bold also brightens the eight basic colours, as xterm does: `ls` shows folders in bold blue.
            if bold and name in BASIC_COLOURS:
                name = "bright" + name
            colour = QColor(NAMED_COLOURS.get(name) or f"#{name}")
            if not colour.isValid():
                colour = default
            self._colours[key] = colour
        return colour

    def styled_font(self, bold: bool, italic: bool, underline: bool, strike: bool) -> QFont:
        key = (bold, italic, underline, strike)
        font = self._fonts.get(key)
        if font is None:
            font = QFont(self.font)
            font.setBold(bold)
            font.setItalic(italic)
            font.setUnderline(underline)
            font.setStrikeOut(strike)
            self._fonts[key] = font
        return font

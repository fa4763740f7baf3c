"""How output text looks: ANSI styles and the two streams turned into Qt character formats, for light and dark themes.

The sixteen named ANSI colours are the theme's to choose: xterm's own white and yellow vanish on a white page, so a
light window gets a palette made for a light background (the one VS Code's light terminal uses) and a dark window
the dark one. The other 240 colours and 24-bit colours are exact.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette, QTextCharFormat

from supportstation.remote.ansi import PLAIN, Colour, Style, palette_rgb
from supportstation.remote.results import Stream

LIGHT_NAMED_COLOURS = (
    "#000000",
    "#cd3131",
    "#00bc00",
    "#949800",
    "#0451a5",
    "#bc05bc",
    "#0598bc",
    "#555555",
    "#666666",
    "#cd3131",
    "#14ce14",
    "#b5ba00",
    "#0451a5",
    "#bc05bc",
    "#0598bc",
    "#a5a5a5",
)
DARK_NAMED_COLOURS = (
    "#000000",
    "#cd3131",
    "#0dbc79",
    "#e5e510",
    "#2472c8",
    "#bc3fbc",
    "#11a8cd",
    "#e5e5e5",
    "#666666",
    "#f14c4c",
    "#23d18b",
    "#f5f543",
    "#3b8eea",
    "#d670d6",
    "#29b8db",
    "#e5e5e5",
)


class OutputFormats:
    """The character format of every (stream, style) pair, made once; `render_ansi` off keeps only the stream's."""

    def __init__(self, palette: QPalette) -> None:
        self.dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
        self.named = DARK_NAMED_COLOURS if self.dark else LIGHT_NAMED_COLOURS
        self.text_colour = palette.color(QPalette.ColorRole.Text)
        self.base_colour = palette.color(QPalette.ColorRole.Base)
        # Dark red, unlike ANSI red, so that a command's own red output and its error stream stay apart.
        self.stderr_colour = QColor("#ff8a80" if self.dark else "#a31515")
        self.render_ansi = True
        self._formats: dict[tuple[Stream, Style], QTextCharFormat] = {}

    def colour(self, colour: Colour) -> QColor:
        if isinstance(colour, tuple):
            return QColor(*colour)
        if colour < 16:
            return QColor(self.named[colour])
        return QColor(*palette_rgb(colour))

    def format(self, stream: Stream, style: Style) -> QTextCharFormat:
        key = (stream, style if self.render_ansi else PLAIN)
        found = self._formats.get(key)
        if found is None:
            if len(self._formats) > 4096:  # a truecolor gradient must not grow it without end
                self._formats.clear()
            found = self._formats[key] = self._make(*key)
        return found

    def _make(self, stream: Stream, style: Style) -> QTextCharFormat:
        text_format = QTextCharFormat()
        default = self.stderr_colour if stream is Stream.STDERR else None
        foreground = self.colour(style.fg) if style.fg is not None else default
        background = self.colour(style.bg) if style.bg is not None else None
        if style.inverse:
            foreground, background = background or self.base_colour, foreground or self.text_colour
        if foreground is not None:
            text_format.setForeground(foreground)
        if background is not None:
            text_format.setBackground(background)
        if style.bold:
            text_format.setFontWeight(QFont.Weight.Bold)
        if style.italic:
            text_format.setFontItalic(True)
        if style.underline:
            text_format.setFontUnderline(True)
        return text_format

    def marker(self) -> QTextCharFormat:
        """The line that stands for the output left out between head and tail."""
        text_format = QTextCharFormat()
        text_format.setForeground(QColor("#b0b0b0" if self.dark else "#5f5f5f"))
        text_format.setBackground(QColor("#3a3a1e" if self.dark else "#fff4c2"))
        text_format.setFontItalic(True)
        return text_format

    def summary(self) -> QTextCharFormat:
        """The end line: exit code and duration."""
        text_format = QTextCharFormat()
        text_format.setForeground(QColor("#b0b0b0" if self.dark else "#4a4a4a"))
        text_format.setFontWeight(QFont.Weight.Bold)
        return text_format

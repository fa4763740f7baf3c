"""Terminal output made displayable: an incremental ANSI/VT decoder that turns bytes into styled text segments.

Commands print colours (SGR sequences), move the cursor, set window titles (OSC), redraw progress bars with a bare
carriage return, and sometimes print binary. The output view shows text, not a terminal screen: it keeps colours and
text attributes, drops every other control sequence, and turns a progress bar's thousands of redraws into one line.

Output arrives in arbitrary pieces, so a UTF-8 character or an escape sequence may be cut between two feeds. The
decoder carries the unfinished part over, so what it shows does not depend on where the pieces were cut: feeding the
pieces and rendering the segments (see `Segment.overwrite`) gives the same lines as feeding the whole.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass, replace
from typing import NamedTuple

Rgb = tuple[int, int, int]
Colour = int | Rgb  # an index in the 256-colour palette (0-15 are the theme's named colours), or a 24-bit colour

# Bounds on what may be held back while waiting for the end of a sequence: binary output that happens to contain
# ESC ] must not swallow the rest of the stream as an endless window title.
MAX_CSI_PARAMETERS = 64
MAX_STRING_SEQUENCE = 4096

# A feed is cut in two passes, each one re.split at C speed (an alternation whose branches do not all start with
# ESC is tried at every character, ten times slower). First the escape sequences: SGR (group 1), one cut short by the
# end of the feed (group 2, held back until the next feed completes it), or one that is dropped: another CSI, an
# OSC/DCS/SOS/PM/APC string (ended by BEL, ST or, as terminals do, any other ESC), a two-character escape, or a
# stray ESC.
_ESCAPES = re.compile(
    rf"\x1b(?:\[([0-9;:]{{0,{MAX_CSI_PARAMETERS}}})m"
    rf"|\[[0-?]{{0,{MAX_CSI_PARAMETERS}}}[ -/]{{0,8}}[@-~]"
    rf"|[\]PX^_][^\x07\x1b]{{0,{MAX_STRING_SEQUENCE}}}(?:\x07|\x1b\\|(?=\x1b))"
    rf"|((?:\[[0-?]{{0,{MAX_CSI_PARAMETERS}}}[ -/]{{0,8}}"
    rf"|[\]PX^_][^\x07\x1b]{{0,{MAX_STRING_SEQUENCE}}}|[ -/]{{0,8}})\Z)"
    r"|[ -/]{1,8}[0-~]|[0-OQ-WYZ\\`a-~]|)"
)
# Then, in the text between them, control characters: runs of them are dropped, except that a run holding a
# carriage return acts as one. Tab and newline are text.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]")
_CONTROL_RUNS = re.compile(r"([\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f]+)")


@dataclass(frozen=True, slots=True)
class Style:
    fg: Colour | None = None  # None: the view's default for the stream
    bg: Colour | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False
    inverse: bool = False


PLAIN = Style()


class Segment(NamedTuple):
    """A run of text in one style; the text may hold newlines and tabs but no other control character.

    A named tuple rather than a dataclass: coloured output makes tens of thousands a megabyte, and a frozen
    dataclass costs several times more to create."""

    text: str
    style: Style = PLAIN
    # A carriage return came before this text, and the line it rewrites began before this feed: whoever shows the
    # output replaces the text of its current line with this one. Only the first segment of a feed can carry it.
    overwrite: bool = False


class _SegmentBuilder:
    """Collects one feed's segments; a carriage return rewrites the current line inside the feed at no cost."""

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.overwrite = False
        self._parts: list[str] = []
        self._style = PLAIN

    def add(self, text: str, style: Style) -> None:
        # Identity, not equality: styles come from the SGR cache, and comparing dataclasses costs more than the rare
        # extra segment that an equal but distinct style makes.
        if style is not self._style:
            self._close_run()
            self._style = style
        self._parts.append(text)

    def erase_line(self) -> None:
        """Drops the text after the last newline; without one, the rewrite reaches back before this feed."""
        # A progress bar rewrites its line thousands of times in one feed: look in the open run first, so that most
        # rewrites only shorten a list of strings.
        parts = self._parts
        while parts:
            newline = parts[-1].rfind("\n")
            if newline >= 0:
                parts[-1] = parts[-1][: newline + 1]
                return
            parts.pop()
        while self.segments:
            last = self.segments[-1]
            newline = last.text.rfind("\n")
            if newline >= 0:
                if newline + 1 < len(last.text):
                    self.segments[-1] = Segment(last.text[: newline + 1], last.style)
                return
            self.segments.pop()
        self.overwrite = True

    def finish(self) -> list[Segment]:
        self._close_run()
        if self.overwrite and self.segments:
            first = self.segments[0]
            self.segments[0] = Segment(first.text, first.style, overwrite=True)
        return self.segments

    def _close_run(self) -> None:
        parts = self._parts
        if parts:
            self.segments.append(Segment(parts[0] if len(parts) == 1 else "".join(parts), self._style))
            self._parts = []


class AnsiDecoder:
    """Decodes one stream (stdout or stderr each need their own): `feed` bytes as they come, `finish` at the end."""

    def __init__(self) -> None:
        self.style = PLAIN
        self._utf8 = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._unfinished = ""  # the start of an escape sequence cut off by the end of the last feed
        self._carriage_return = False  # a \r whose meaning (line end or rewrite) the next character decides

    def feed(self, data: bytes) -> list[Segment]:
        return self.feed_text(self._utf8.decode(data))

    def finish(self) -> list[Segment]:
        """The end of the stream: an unfinished UTF-8 character becomes U+FFFD; an unfinished sequence is dropped."""
        segments = self.feed_text(self._utf8.decode(b"", final=True))
        self._unfinished = ""
        self._carriage_return = False
        return segments

    def feed_text(self, text: str) -> list[Segment]:
        if self._unfinished:
            text, self._unfinished = self._unfinished + text, ""
        out = _SegmentBuilder()
        add = self._add_text_with_controls if _CONTROLS.search(text) else self._add_text
        pieces = _ESCAPES.split(text)
        if pieces[0]:
            add(out, pieces[0])
        for index in range(1, len(pieces), 3):
            sgr, unfinished, following = pieces[index : index + 3]
            if sgr is not None:
                self.style = _apply_sgr_cached(self.style, sgr)
            elif unfinished is not None:
                self._unfinished = "\x1b" + unfinished
            if following:
                if add is self._add_text and not self._carriage_return:
                    out.add(following, self.style)  # the common case, without a call more per piece
                else:
                    add(out, following)
        return out.finish()

    def _add_text_with_controls(self, out: _SegmentBuilder, text: str) -> None:
        pieces = _CONTROL_RUNS.split(text)
        for index, piece in enumerate(pieces):
            if index % 2:
                if "\r" in piece:
                    self._carriage_return = True
            elif piece:
                self._add_text(out, piece)

    def _add_text(self, out: _SegmentBuilder, text: str) -> None:
        if self._carriage_return:
            self._carriage_return = False
            if text[0] != "\n":  # \r\n ends a line; \r then text redraws it
                out.erase_line()
        out.add(text, self.style)


# Coloured listings repeat the same few sequences thousands of times: each is worked out once. Keyed by the style's
# identity, as hashing a dataclass costs more than the lookup; the entry keeps that style alive so the id stays its own.
_sgr_cache: dict[tuple[int, str], tuple[Style, Style]] = {}


def _apply_sgr_cached(style: Style, parameters: str) -> Style:
    key = (id(style), parameters)
    entry = _sgr_cache.get(key)
    if entry is None or entry[0] is not style:
        if len(_sgr_cache) > 4096:  # a truecolor gradient must not grow it without end
            _sgr_cache.clear()
        entry = _sgr_cache[key] = (style, apply_sgr(style, parameters))
    return entry[1]


def apply_sgr(style: Style, parameters: str) -> Style:
    """The style after `ESC [ parameters m` (Select Graphic Rendition), in both ; and : (ITU T.416) forms."""
    if not parameters:
        return PLAIN
    changes: dict[str, object] = {}
    fields = parameters.split(";")
    index = 0
    while index < len(fields):
        parts = fields[index].split(":")
        code = _number(parts[0])
        index += 1
        if code in (38, 48):
            if len(parts) > 1:
                colour = _extended_colour([_number(part) for part in parts[1:]], colon_form=True)
            else:
                values = [_number(value) for value in fields[index : index + 4]]
                colour, used = _extended_colour_semicolons(values)
                index += used
            if colour is not None:
                changes["fg" if code == 38 else "bg"] = colour
        elif code == 0:
            style, changes = PLAIN, {}
        elif code == 4:
            changes["underline"] = len(parts) == 1 or _number(parts[1]) != 0  # 4:0 is "no underline"
        elif code in _ATTRIBUTES:
            name, value = _ATTRIBUTES[code]
            changes[name] = value
        elif 30 <= code <= 37 or 90 <= code <= 97:
            changes["fg"] = code - 30 if code < 90 else code - 90 + 8
        elif 40 <= code <= 47 or 100 <= code <= 107:
            changes["bg"] = code - 40 if code < 100 else code - 100 + 8
        elif code == 39:
            changes["fg"] = None
        elif code == 49:
            changes["bg"] = None
    return replace(style, **changes) if changes else style  # type: ignore[arg-type]


_ATTRIBUTES: dict[int, tuple[str, bool]] = {
    1: ("bold", True),
    3: ("italic", True),
    7: ("inverse", True),
    21: ("underline", True),  # doubly underlined, shown as underlined
    22: ("bold", False),
    23: ("italic", False),
    24: ("underline", False),
    27: ("inverse", False),
}


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _extended_colour(values: list[int], *, colon_form: bool) -> Colour | None:
    """38:5:N, or 38:2:R:G:B with an optional colour-space id before R (38:2::R:G:B) in the colon form."""
    if values[:1] == [5] and len(values) >= 2:
        return min(values[1], 255)
    if values[:1] == [2]:
        rgb = values[2:5] if colon_form and len(values) >= 5 else values[1:4]
        if len(rgb) == 3:
            red, green, blue = (min(value, 255) for value in rgb)
            return (red, green, blue)
    return None


def _extended_colour_semicolons(values: list[int]) -> tuple[Colour | None, int]:
    """38;5;N or 38;2;R;G;B: the colour and how many of the following fields it used."""
    if values[:1] == [5]:
        return _extended_colour(values[:2], colon_form=False), min(2, len(values))
    if values[:1] == [2]:
        return _extended_colour(values[:4], colon_form=False), min(4, len(values))
    return None, 1 if values else 0


def strip_ansi(text: str) -> str:
    """The text as the output view shows it without colours: escape sequences and control characters removed, CRLF
    made LF, and a line redrawn after a bare carriage return (a progress bar) left in its last state."""
    decoder = AnsiDecoder()
    segments = decoder.feed_text(text) + decoder.finish()
    return "".join(segment.text for segment in segments)


def palette_rgb(index: int) -> Rgb:
    """The xterm colour of a 256-colour palette index; 0-15 are themable, so views usually pick their own."""
    if index < 16:
        return _XTERM_BASIC[index]
    if index < 232:
        index -= 16
        levels = (0, 95, 135, 175, 215, 255)
        return (levels[index // 36], levels[index // 6 % 6], levels[index % 6])
    grey = 8 + (index - 232) * 10
    return (grey, grey, grey)


_XTERM_BASIC: tuple[Rgb, ...] = (
    (0, 0, 0),
    (205, 0, 0),
    (0, 205, 0),
    (205, 205, 0),
    (0, 0, 238),
    (205, 0, 205),
    (0, 205, 205),
    (229, 229, 229),
    (127, 127, 127),
    (255, 0, 0),
    (0, 255, 0),
    (255, 255, 0),
    (92, 92, 255),
    (255, 0, 255),
    (0, 255, 255),
    (255, 255, 255),
)

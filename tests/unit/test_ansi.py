"""The ANSI decoder behind the output view: styles, dropped sequences, carriage returns, and pieces cut anywhere."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from supportstation.remote.ansi import (
    MAX_STRING_SEQUENCE,
    PLAIN,
    AnsiDecoder,
    Segment,
    Style,
    apply_sgr,
    palette_rgb,
    strip_ansi,
)

Line = list[tuple[str, Style]]


def render(segments: list[Segment], lines: list[Line] | None = None) -> list[Line]:
    """What a view shows: lines of style runs, adjacent runs of one style merged, a rewrite clearing its line."""
    lines = lines if lines is not None else [[]]
    for segment in segments:
        if segment.overwrite:
            lines[-1] = []
        for index, part in enumerate(segment.text.split("\n")):
            if index:
                lines.append([])
            if not part:
                continue
            line = lines[-1]
            if line and line[-1][1] == segment.style:
                line[-1] = (line[-1][0] + part, segment.style)
            else:
                line.append((part, segment.style))
    return lines


def decode(*pieces: bytes) -> list[Segment]:
    decoder = AnsiDecoder()
    segments = [segment for piece in pieces for segment in decoder.feed(piece)]
    return segments + decoder.finish()


def text_of(segments: list[Segment]) -> str:
    return "\n".join("".join(text for text, _style in line) for line in render(segments))


def test_plain_text_passes_through_as_one_segment() -> None:
    assert decode(b"total 12\n\tindented line\n") == [Segment("total 12\n\tindented line\n", PLAIN)]


def test_sixteen_colour_sgr_and_reset() -> None:
    segments = decode(b"\x1b[31mred\x1b[0m \x1b[1;94mbright blue bold\x1b[m plain")
    assert segments == [
        Segment("red", Style(fg=1)),
        Segment(" ", PLAIN),
        Segment("bright blue bold", Style(fg=12, bold=True)),
        Segment(" plain", PLAIN),
    ]


def test_256_and_truecolor_in_semicolon_and_colon_forms() -> None:
    assert apply_sgr(PLAIN, "38;5;208") == Style(fg=208)
    assert apply_sgr(PLAIN, "48;2;10;20;30") == Style(bg=(10, 20, 30))
    assert apply_sgr(PLAIN, "38:5:33") == Style(fg=33)
    assert apply_sgr(PLAIN, "38:2::1:2:3") == Style(fg=(1, 2, 3))  # with the empty colour-space id
    assert apply_sgr(PLAIN, "38:2:1:2:3") == Style(fg=(1, 2, 3))
    assert apply_sgr(PLAIN, "38;2;300;0;0") == Style(fg=(255, 0, 0))
    # The fields after an extended colour are read on as attributes.
    assert apply_sgr(PLAIN, "38;5;10;1;42") == Style(fg=10, bg=2, bold=True)


def test_attributes_turn_on_and_off_one_by_one() -> None:
    style = apply_sgr(PLAIN, "1;3;4;7;33;44")
    assert style == Style(fg=3, bg=4, bold=True, italic=True, underline=True, inverse=True)
    assert apply_sgr(style, "22;23;24;27") == Style(fg=3, bg=4)
    assert apply_sgr(style, "39;49") == Style(bold=True, italic=True, underline=True, inverse=True)
    assert apply_sgr(style, "4:0").underline is False
    assert apply_sgr(style, "0") == PLAIN


def test_other_sequences_and_control_characters_are_dropped() -> None:
    raw = (
        b"\x1b]0;user@host: ~\x07"  # window title ended by BEL
        b"\x1b]8;;https://example.org\x1b\\link\x1b]8;;\x1b\\"  # hyperlink ended by ST
        b"\x1b[?25l\x1b[2K\x1b[1A\x1b[10;20H"  # cursor and erase
        b"\x1b(B\x1b=\x1bM"  # charset, keypad, reverse index
        b"a\x00b\x07c\x08d\x7fe\tf\n"
    )
    assert decode(raw) == [Segment("linkabcde\tf\n", PLAIN)]


def test_a_private_sequence_ending_in_m_is_not_sgr() -> None:
    assert decode(b"\x1b[>4;2mtext") == [Segment("text", PLAIN)]


def test_crlf_is_a_newline_and_a_bare_carriage_return_rewrites_the_line() -> None:
    assert text_of(decode(b"one\r\ntwo\r\n")) == "one\ntwo\n"
    assert decode(b"done\n 10%\r 20%\r100%\n") == [Segment("done\n100%\n", PLAIN)]
    # The usual progress bar: return, erase line, redraw.
    assert text_of(decode(b"".join(b"\r\x1b[K%d%%" % n for n in range(101)) + b"\n")) == "100%\n"


def test_a_rewrite_of_a_line_begun_in_an_earlier_feed_says_so() -> None:
    decoder = AnsiDecoder()
    assert decoder.feed(b"header\nstep 1") == [Segment("header\nstep 1", PLAIN)]
    assert decoder.feed(b"\r") == []  # a CRLF or a rewrite: the next byte decides
    assert decoder.feed(b"step 2\rstep 3") == [Segment("step 3", PLAIN, overwrite=True)]
    assert decoder.feed(b"\r\nnext") == [Segment("\nnext", PLAIN)]


def test_a_utf8_character_split_between_feeds() -> None:
    assert text_of(decode(b"caf\xc3", b"\xa9 \xe2\x82", b"\xac")) == "café €"


def test_invalid_and_unfinished_utf8_become_replacement_characters() -> None:
    assert text_of(decode(b"a\xffb")) == "a\ufffdb"
    assert text_of(decode(b"end\xe2\x82")) == "end\ufffd"


def test_an_escape_sequence_split_between_feeds() -> None:
    assert decode(b"\x1b", b"[3", b"1", b"mred") == [Segment("red", Style(fg=1))]
    assert decode(b"\x1b]0;ti", b"tle\x07after") == [Segment("after", PLAIN)]


def test_an_unfinished_sequence_at_the_end_is_dropped() -> None:
    assert decode(b"text\x1b[3") == [Segment("text", PLAIN)]


def test_a_stray_escape_does_not_swallow_text() -> None:
    assert text_of(decode(b"a\x1b\nb")) == "a\nb"
    # An OSC that never ends gives up after MAX_STRING_SEQUENCE characters: the rest is text again.
    endless = b"\x1b]" + b"x" * (MAX_STRING_SEQUENCE + 10) + b"\nvisible"
    assert text_of(decode(endless)).endswith("\nvisible")


def test_strip_ansi_gives_the_shown_text() -> None:
    assert strip_ansi("\x1b[1;31merror:\x1b[0m missing ';'\r\n 50%\r100%\n") == "error: missing ';'\n100%\n"


def test_palette() -> None:
    assert palette_rgb(1) == (205, 0, 0)
    assert palette_rgb(16) == (0, 0, 0)
    assert palette_rgb(196) == (255, 0, 0)
    assert palette_rgb(231) == (255, 255, 255)
    assert palette_rgb(244) == (128, 128, 128)


# -- properties -------------------------------------------------------------------------------------------------------

FRAGMENTS = [
    b"\x1b",
    b"[",
    b"]",
    b"0;",
    b"31",
    b"38;5;",
    b"38:2::",
    b"1",
    b";",
    b":",
    b"m",
    b"K",
    b"?25l",
    b"\x07",
    b"\\",
    b"\r",
    b"\n",
    b"\r\n",
    b"\t",
    b"\x00",
    b"\xc3",
    b"\xa9",
    b"\xe2\x82\xac",
    b"\xf0\x9f\x98\x80",
    b"\xff",
    b"\xc2\x9b",  # a C1 control in UTF-8
    b"text",
    b" ",
]
terminal_bytes = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.binary(max_size=3)), max_size=60).map(b"".join)
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@settings(max_examples=400, deadline=None)
@given(data=terminal_bytes, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8))
def test_any_split_shows_the_same_as_feeding_whole(data: bytes, cuts: list[int]) -> None:
    points = sorted({cut for cut in cuts if cut <= len(data)})
    pieces = [data[start:end] for start, end in zip([0, *points], [*points, len(data)], strict=True)]
    assert render(decode(*pieces)) == render(decode(data))


@settings(max_examples=200, deadline=None)
@given(data=terminal_bytes)
def test_byte_by_byte_shows_the_same_as_feeding_whole(data: bytes) -> None:
    pieces = [data[index : index + 1] for index in range(len(data))]
    assert render(decode(*pieces)) == render(decode(data))


@settings(max_examples=300, deadline=None)
@given(data=terminal_bytes)
def test_segments_hold_no_control_character_and_only_the_first_may_rewrite(data: bytes) -> None:
    decoder = AnsiDecoder()
    for piece in (data[: len(data) // 2], data[len(data) // 2 :]):
        segments = decoder.feed(piece)
        assert all(segment.text and not CONTROL.search(segment.text) for segment in segments)
        assert not any(segment.overwrite for segment in segments[1:])


@settings(max_examples=200, deadline=None)
@given(text=terminal_bytes.map(lambda data: data.decode("utf-8", "replace")))
def test_strip_ansi_is_idempotent(text: str) -> None:
    once = strip_ansi(text)
    assert "\x1b" not in once and "\r" not in once
    assert strip_ansi(once) == once

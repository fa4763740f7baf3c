"""The terminal transcript: raw terminal output to plain, redacted, bounded text, whatever the reads' boundaries."""

from __future__ import annotations

from supportstation.remote.terminal_transcript import Transcript

SECRET = "Sup3r-S3cret-Token"


def transcript_of(*reads: bytes, secrets: tuple[str, ...] = (), limit: int = 256 * 1024) -> str:
    transcript = Transcript(secrets, limit=limit)
    for data in reads:
        transcript.feed(data)
    transcript.finish()
    return transcript.text()


def test_colours_titles_and_charset_changes_are_dropped_and_the_last_prompt_is_kept() -> None:
    output = (
        b"\x1b]0;sstest@srv-01: ~\x07\x1b[?2004h$ ls\r\n"
        b"\x1b[0m\x1b[01;34mbin\x1b[0m  \x1b[01;32mrun.sh\x1b[0m\x1b(B\r\n"
        b"\x1b[38;5;196mred\x1b[38;2;0;255;0m green\x1b[0m\r\n$ "
    )
    assert transcript_of(output) == "$ ls\nbin  run.sh\nred green\n$"


def test_sequences_and_characters_cut_between_reads_come_out_whole() -> None:
    data = "\x1b[31mhéllo\x1b]0;title\x07 wörld\x1b[0m\r\n".encode()
    one_by_one = [data[index : index + 1] for index in range(len(data))]
    assert transcript_of(*one_by_one) == "héllo wörld"


def test_carriage_returns_backspaces_and_line_erasing_leave_what_the_screen_showed() -> None:
    progress = b"copying  10%\rcopying  50%\rcopying 100%\r\n"
    # A line editor recalling history: back over "ls -l", write "df", erase the rest of the line.
    edited = b"$ ls -l\b\b\b\b\bdf\x1b[K\r\n"
    typo = b"$ ecjo\b\b\x1b[Pho hi\r\n"
    assert transcript_of(progress, edited, typo) == "copying 100%\n$ df\n$ echo hi"


def test_a_secret_cut_between_reads_or_by_a_colour_change_is_redacted() -> None:
    assert transcript_of(b"token=Sup3r-S3", b"cret-Token\r\n", secrets=(SECRET,)) == "token=[secret]"
    assert transcript_of(b"token=Sup3r\x1b[1m-S3cret-Token\x1b[0m\r\n", secrets=(SECRET,)) == "token=[secret]"


def test_a_huge_session_keeps_its_start_and_its_end_and_says_how_much_was_left_out() -> None:
    lines = b"".join(b"line %06d\r\n" % number for number in range(100_000))
    text = transcript_of(lines, limit=64 * 1024)
    kept = text.splitlines()
    assert kept[0] == "line 000000" and kept[-1] == "line 099999"
    assert 60 * 1024 < len(text) <= 64 * 1024 + 100
    marker = next(line for line in kept if "left out" in line)
    left_out = int(marker.split()[1])
    assert len(kept) - 1 + left_out == 100_000


def test_plain_lines_come_out_the_same_read_whole_or_byte_by_byte() -> None:
    lines = b"first  \r\nsecond\r\n\r\nthird, not ended"
    whole = transcript_of(lines)
    assert whole == "first\nsecond\n\nthird, not ended"
    assert transcript_of(*[lines[index : index + 1] for index in range(len(lines))]) == whole

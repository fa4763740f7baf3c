"""Reading ticket files for import: CSV and JSON as they come from Excel, other ticketing tools and scripts.

Nothing here touches the database. The encoding and the CSV delimiter are detected, and returned, so that the
import dialog can show them and let the user override them. CSV is read as a stream (a 200 MB export is never
loaded whole); JSON has to be loaded whole, so it is refused above `MAX_JSON_BYTES`.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Literal

from supportstation.i18n import _
from supportstation.tickets.import_fields import guess_mapping

MAX_JSON_BYTES = 50 * 1024 * 1024
# A cell beyond this is refused row by row; csv's own limit (twice as much) stops a runaway unclosed quote.
MAX_CELL_CHARS = 5 * 1024 * 1024
SAMPLE_CHARS = 32 * 1024
CHUNK_BYTES = 1024 * 1024
DELIMITERS = (";", ",", "\t", "|")

csv.field_size_limit(max(csv.field_size_limit(), 2 * MAX_CELL_CHARS))


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says why, for the user."""


# -- the file: encoding, delimiter, records ---------------------------------------------------------------------


@dataclass(frozen=True)
class SourceInfo:
    """What was found about a file; `*_detected` is False where the caller imposed the value."""

    path: Path
    kind: Literal["csv", "json"]
    encoding: str
    delimiter: str | None  # None for JSON
    headers: tuple[str, ...]
    size: int
    encoding_detected: bool = True
    delimiter_detected: bool = True
    skip_lines: int = 0  # an Excel "sep=;" line before the header
    rows: int | None = None  # known for JSON only: counting CSV rows would mean reading the file twice


@dataclass(frozen=True)
class SourceRecord:
    """One row: its first line in the file (for JSON, the entry's position), values by header."""

    line: int
    values: Mapping[str, str]
    extra_cells: int = 0  # non-empty cells beyond the header's columns: usually an unquoted delimiter
    problem: str | None = None  # the row is unusable as a whole (a JSON entry that is not an object)


def _looks_binary(sample: bytes) -> bool:
    if b"\x00" in sample:
        return True
    controls = sum(1 for byte in sample if byte < 32 and byte not in b"\t\n\r\f")
    return bool(sample) and controls / len(sample) > 0.05


def detect_encoding(path: Path) -> str:
    """'utf-8-sig' or 'utf-16' with a BOM, 'utf-8' when the whole file is valid UTF-8, else 'cp1252' (Excel)."""
    with path.open("rb") as handle:
        head = handle.read(CHUNK_BYTES)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        if _looks_binary(head):
            raise ImportFileError(
                _("{name} is not a text file (it looks like binary data): choose a CSV or JSON file.").format(
                    name=path.name
                )
            )
        # The whole file is checked, a chunk at a time: an accented name on line 80,000 decides as much as line 2.
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            chunk = head
            while chunk:
                decoder.decode(chunk)
                chunk = handle.read(CHUNK_BYTES)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def detect_delimiter(sample: str) -> str:
    """csv.Sniffer's guess when the header line agrees with it, else the delimiter most frequent in that line."""
    header = sample.splitlines()[0] if sample else ""
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITERS}
    try:
        sniffed: str | None = csv.Sniffer().sniff(sample, delimiters="".join(DELIMITERS)).delimiter
    except csv.Error:
        sniffed = None
    # The Sniffer alone is fooled by decimal commas ("1,5" on every line of a ';' file): the header has none.
    if sniffed in counts and counts[sniffed] > 0 and counts[sniffed] == max(counts.values()):
        return sniffed
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the first: ';', the French Excel default
    return best if counts[best] else (sniffed or ",")


def _read_sample(path: Path, encoding: str) -> str:
    try:
        with path.open(encoding=encoding, newline="") as handle:
            sample = handle.read(SAMPLE_CHARS)
    except UnicodeDecodeError as error:
        raise _decoding_error(path, encoding, 1) from error
    except LookupError as error:
        raise ImportFileError(_("Unknown encoding '{encoding}'.").format(encoding=encoding)) from error
    except OSError as error:
        raise _unreadable(path, error) from error
    if len(sample) == SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]  # whole lines only, for the Sniffer
    return sample


def _decoding_error(path: Path, encoding: str, line: int) -> ImportFileError:
    return ImportFileError(
        _("{name} is not valid {encoding} text (line {line}): choose another encoding.").format(
            name=path.name, encoding=encoding, line=line
        )
    )


def _unreadable(path: Path, error: OSError) -> ImportFileError:
    return ImportFileError(_("Cannot read {name}: {detail}").format(name=path.name, detail=error.strerror or error))


def _unique_headers(cells: list[str]) -> tuple[str, ...]:
    headers: list[str] = []
    for number, cell in enumerate(cells, start=1):
        name = cell.strip() or _("Column {number}").format(number=number)
        base, copy = name, 2
        while name in headers:  # two "Date" columns stay two columns
            name, copy = f"{base} ({copy})", copy + 1
        headers.append(name)
    return tuple(headers)


def inspect_source(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> SourceInfo:
    """Detects the format, encoding, delimiter and column headers; `encoding`/`delimiter` override detection."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise ImportFileError(_("{path} is a folder, not a file.").format(path=path))
        chosen = encoding or detect_encoding(path)
    except FileNotFoundError as error:
        raise ImportFileError(_("The file {path} does not exist.").format(path=path)) from error
    except PermissionError as error:
        raise ImportFileError(_("The file {path} cannot be read: check its permissions.").format(path=path)) from error
    except OSError as error:
        raise _unreadable(path, error) from error
    if size == 0:
        raise ImportFileError(_("{name} is empty.").format(name=path.name))
    sample = _read_sample(path, chosen)
    if path.suffix.lower() == ".json" or (
        path.suffix.lower() not in (".csv", ".tsv", ".txt") and sample.lstrip()[:1] in ("[", "{")
    ):
        entries = _load_json(path, chosen, size)
        headers: dict[str, None] = {}
        for entry in entries:
            if isinstance(entry, dict):
                headers.update(dict.fromkeys(str(key) for key in entry))
        return SourceInfo(path, "json", chosen, None, tuple(headers), size, encoding is None, False, rows=len(entries))
    skip = 0
    excel_hint = re.match(r"sep=(.)\r?\n", sample)
    if excel_hint:  # Excel's own way of naming the delimiter, on a line before the header
        skip, sample = 1, sample[excel_hint.end() :]
    if delimiter is not None and len(delimiter) != 1:
        raise ImportFileError(_("The delimiter must be a single character, not '{value}'.").format(value=delimiter))
    chosen_delimiter = delimiter or (excel_hint.group(1) if excel_hint else detect_delimiter(sample))
    first = next(csv.reader(sample.splitlines(keepends=True), delimiter=chosen_delimiter), [])
    if not any(cell.strip() for cell in first):
        raise ImportFileError(_("{name} has no header line (its first line is empty).").format(name=path.name))
    return SourceInfo(
        path, "csv", chosen, chosen_delimiter, _unique_headers(first), size, encoding is None, delimiter is None, skip
    )


def _load_json(path: Path, encoding: str, size: int) -> list[Any]:
    if size > MAX_JSON_BYTES:
        raise ImportFileError(
            _("{name} is {size} MB: JSON files over {limit} MB are not imported. Export the tickets as CSV.").format(
                name=path.name, size=round(size / 1024 / 1024), limit=MAX_JSON_BYTES // 1024 // 1024
            )
        )
    try:
        document = json.loads(path.read_text(encoding=encoding))
    except UnicodeDecodeError as error:
        raise _decoding_error(path, encoding, 1) from error
    except OSError as error:
        raise _unreadable(path, error) from error
    except json.JSONDecodeError as error:
        raise ImportFileError(
            _("{name} is not valid JSON (line {line}, column {column}: {detail}).").format(
                name=path.name, line=error.lineno, column=error.colno, detail=error.msg
            )
        ) from error
    if isinstance(document, dict) and isinstance(document.get("tickets"), list):
        return document["tickets"]
    if isinstance(document, list):
        return document
    raise ImportFileError(
        _('{name}: a JSON import must be a list of tickets, or an object with a "tickets" list.').format(name=path.name)
    )


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_as_text(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def iter_records(info: SourceInfo) -> Generator[SourceRecord, None, None]:
    """The rows after the header, one at a time; blank lines are skipped. Raises ImportFileError."""
    if info.kind == "json":
        for number, entry in enumerate(_load_json(info.path, info.encoding, info.size), start=1):
            if isinstance(entry, dict):
                yield SourceRecord(number, {str(key): _as_text(value) for key, value in entry.items()})
            else:
                yield SourceRecord(number, {}, problem=_("This entry is not an object: {value}").format(value=entry))
        return
    yield from _csv_records(info)


def _csv_records(info: SourceInfo) -> Generator[SourceRecord, None, None]:
    headers = info.headers
    previous = info.skip_lines + 1
    try:
        with info.path.open(encoding=info.encoding, newline="") as handle:
            for _skipped in range(info.skip_lines):
                handle.readline()
            reader = csv.reader(handle, delimiter=info.delimiter or ",", quotechar='"', doublequote=True)
            next(reader, None)  # the header
            previous = reader.line_num + info.skip_lines
            for cells in reader:
                start, previous = previous + 1, reader.line_num + info.skip_lines
                if not any(cell.strip() for cell in cells):
                    continue
                extra = sum(1 for cell in cells[len(headers) :] if cell.strip())
                yield SourceRecord(start, dict(zip(headers, cells, strict=False)), extra)
    except UnicodeDecodeError as error:
        raise _decoding_error(info.path, info.encoding, previous + 1) from error
    except OSError as error:
        raise _unreadable(info.path, error) from error
    except csv.Error as error:
        raise ImportFileError(
            _("{name} cannot be read as CSV after line {line}: {detail}. Is a quote left open?").format(
                name=info.path.name, line=previous, detail=error
            )
        ) from error


@dataclass
class Preview:
    info: SourceInfo
    records: list[SourceRecord] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)


def preview(path: Path, *, rows: int = 20, encoding: str | None = None, delimiter: str | None = None) -> Preview:
    """The detected format, the first `rows` records and a guessed mapping, for the import dialog."""
    info = inspect_source(path, encoding=encoding, delimiter=delimiter)
    records = iter_records(info)
    try:
        first = list(islice(records, rows))
    finally:
        records.close()
    return Preview(info, first, guess_mapping(info.headers))

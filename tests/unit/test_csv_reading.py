"""Reading import files, without a database: encodings, delimiters, JSON shapes, cell values, column names."""

from __future__ import annotations

import codecs
import shutil
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from supportstation.tickets import csv_reading
from supportstation.tickets.csv_reading import (
    ImportFileError,
    detect_delimiter,
    detect_encoding,
    inspect_source,
    iter_records,
    preview,
)
from supportstation.tickets.import_fields import (
    ValueProblem,
    fold,
    guess_mapping,
    parse_datetime,
    parse_number,
    parse_priority,
    parse_status,
    split_names,
    unescape_cell,
)
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "import"


# -- the corpus -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "encoding", "delimiter", "rows"),
    [
        ("excel_fr_cp1252_semicolon.csv", "csv", "cp1252", ";", 5),
        ("utf8_bom_semicolon.csv", "csv", "utf-8-sig", ";", 3),
        ("utf8_comma_quoted_multiline.csv", "csv", "utf-8", ",", 3),
        ("tab_separated.tsv", "csv", "utf-8", "\t", 2),
        ("bad_rows.csv", "csv", "utf-8", ";", 10),
        ("tickets.json", "json", "utf-8", None, 3),
        ("tickets_object.json", "json", "utf-8", None, 2),
    ],
)
def test_each_corpus_file_is_detected(name: str, kind: str, encoding: str, delimiter: str | None, rows: int) -> None:
    info = inspect_source(CORPUS / name)
    assert (info.kind, info.encoding, info.delimiter) == (kind, encoding, delimiter)
    assert info.encoding_detected
    records = list(iter_records(info))
    assert len(records) == rows
    mapping = guess_mapping(info.headers)
    assert {"title", "client"} <= set(mapping.values()), mapping


def test_excel_cp1252_keeps_accents_euro_sign_and_dashes() -> None:
    info = inspect_source(CORPUS / "excel_fr_cp1252_semicolon.csv")
    assert info.headers[:4] == ("Réf.", "Objet", "Société", "Site")
    first = next(iter_records(info))
    assert first.line == 2
    assert first.values["Description"] == "Remplacement du toner : 129 € HT"
    assert first.values["Site"] == "Siège — Lyon 3e"
    assert first.values["Temps estimé (h)"] == "1,5"
    # The decimal-comma column is not a ticket field: it is left out of the guessed mapping.
    assert "Temps estimé (h)" not in guess_mapping(info.headers)


def test_quoted_fields_keep_delimiters_quotes_and_new_lines_and_rows_keep_their_first_line() -> None:
    records = list(iter_records(inspect_source(CORPUS / "utf8_comma_quoted_multiline.csv")))
    assert [r.line for r in records] == [2, 5, 6]
    assert records[0].values["Title"] == "Serveur de dossiers, partage injoignable"
    assert records[0].values["Description"] == (
        'Symptômes :\n- plus d\'accès au partage, depuis 8 h ;\n- le NAS répond "OK" au ping.'
    )
    assert records[0].values["Hosts"] == "srv-dossiers, pc-secretariat"
    assert records[2].values["Description"] == "Deux\n\nparagraphes"


def test_the_bom_is_not_part_of_the_first_header() -> None:
    assert inspect_source(CORPUS / "utf8_bom_semicolon.csv").headers[0] == "Référence"


def test_json_list_and_object_forms() -> None:
    listed = list(iter_records(inspect_source(CORPUS / "tickets.json")))
    assert listed[0].values["hosts"] == "srv-mairie, sw-coeur"  # a JSON list becomes a list of names
    assert listed[0].values["priority"] == "2"
    assert listed[1].values["resolve_deadline"] == ""  # null
    assert listed[1].values["external_id"] == "2"
    info = inspect_source(CORPUS / "tickets_object.json")
    assert info.rows == 2
    assert [r.values["reference"] for r in iter_records(info)] == ["OBJ-1", "OBJ-2"]


def test_garbage_is_refused_with_a_clear_message() -> None:
    with pytest.raises(ImportFileError, match=r"garbage\.bin is not a text file"):
        inspect_source(CORPUS / "garbage.bin")
    with pytest.raises(ImportFileError, match="not a text file"):
        preview(CORPUS / "garbage.bin")


# -- detection, overrides, and files that go wrong --------------------------------------------------------------


def test_decimal_commas_do_not_fool_the_delimiter_detection() -> None:
    sample = "Réf;Titre;Durée\nA;x;1,5\nB;y;2,25\nC;z;0,5\n"
    assert detect_delimiter(sample) == ";"


@pytest.mark.parametrize(
    ("sample", "expected"),
    [("a,b,c\n1,2,3\n", ","), ("a\tb\tc\n1\t2\t3\n", "\t"), ("a;b\n1;2\n", ";"), ('"x;y",b,c\n1,2,3\n', ",")],
)
def test_delimiters(sample: str, expected: str) -> None:
    assert detect_delimiter(sample) == expected


def test_encoding_is_decided_by_the_whole_file_not_its_start(tmp_path: Path) -> None:
    path = tmp_path / "late.csv"
    path.write_bytes(b"Titre;Client\n" + b"Panne;Client\n" * 200_000 + "Écran;Société\n".encode("cp1252"))
    assert path.stat().st_size > 2 * csv_reading.CHUNK_BYTES
    assert detect_encoding(path) == "cp1252"
    assert list(iter_records(inspect_source(path)))[-1].values == {"Titre": "Écran", "Client": "Société"}


def test_the_caller_can_override_encoding_and_delimiter() -> None:
    path = CORPUS / "excel_fr_cp1252_semicolon.csv"
    info = inspect_source(path, encoding="latin-1", delimiter=",")
    assert (info.encoding, info.delimiter) == ("latin-1", ",")
    assert not info.encoding_detected and not info.delimiter_detected
    with pytest.raises(ImportFileError, match=r"not valid utf-8 text \(line 1\)"):
        inspect_source(path, encoding="utf-8")
    with pytest.raises(ImportFileError, match="single character"):
        inspect_source(path, delimiter=";;")


def test_excel_sep_line_and_utf16_unicode_text(tmp_path: Path) -> None:
    hinted = tmp_path / "hint.csv"
    hinted.write_text("sep=,\nTitre,Client\nPanne,Mairie\n", encoding="utf-8")
    info = inspect_source(hinted)
    assert (info.delimiter, info.headers) == (",", ("Titre", "Client"))
    assert [(r.line, dict(r.values)) for r in iter_records(info)] == [(3, {"Titre": "Panne", "Client": "Mairie"})]
    unicode_text = tmp_path / "unicode.txt"  # Excel's "Unicode text": UTF-16 with a BOM, tab-separated
    unicode_text.write_bytes(codecs.BOM_UTF16_LE + "Titre\tClient\nÉcran\tSociété\n".encode("utf-16-le"))
    info = inspect_source(unicode_text)
    assert (info.encoding, info.delimiter) == ("utf-16", "\t")
    assert next(iter_records(info)).values == {"Titre": "Écran", "Client": "Société"}


def test_the_preview_reads_only_the_first_rows(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write("Titre;Client\n")
        handle.writelines(f"Panne {n};Mairie\n" for n in range(5000))
        handle.write('"quote never closed;Mairie\n' + "x" * (3 * csv_reading.MAX_CELL_CHARS))
    shown = preview(path, rows=5)
    assert [r.values["Titre"] for r in shown.records] == [f"Panne {n}" for n in range(5)]
    assert shown.mapping == {"Titre": "title", "Client": "client"}
    with pytest.raises(ImportFileError, match=r"after line 5001.*quote left open"):
        list(iter_records(shown.info))


def test_extra_cells_blank_lines_and_odd_headers(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Titre;;Titre\nA;b;c\n\n;;\nD;e;f;g;h\nI\n", encoding="utf-8")
    info = inspect_source(path)
    assert info.headers == ("Titre", "Column 2", "Titre (2)")
    records = list(iter_records(info))
    assert [(r.line, r.extra_cells) for r in records] == [(2, 0), (5, 2), (6, 0)]
    assert records[2].values == {"Titre": "I"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b"\n\nTitre\n", "no header line"),
        (b'{"tickets": 3}', "a list of tickets"),
        (b'[{"title": "a"},', r"not valid JSON \(line 1, column"),
    ],
)
def test_unusable_files(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / ("file.json" if content.startswith((b"[", b"{")) else "file.csv")
    path.write_bytes(content)
    with pytest.raises(ImportFileError, match=message):
        list(iter_records(inspect_source(path)))


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="does not exist"):
        inspect_source(tmp_path / "nowhere.csv")
    with pytest.raises(ImportFileError, match="is a folder"):
        inspect_source(tmp_path)
    with pytest.raises(ImportFileError, match="Unknown encoding 'klingon'"):
        inspect_source(CORPUS / "bad_rows.csv", encoding="klingon")
    moved = tmp_path / "moved.csv"
    shutil.copy(CORPUS / "bad_rows.csv", moved)
    info = inspect_source(moved)
    moved.unlink()  # between the preview and the import
    with pytest.raises(ImportFileError, match=r"Cannot read moved\.csv: No such file"):
        list(iter_records(info))


def test_json_over_the_limit_is_refused_before_loading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.json"
    path.write_text("[" + ",".join(['{"title": "x", "client": "y"}'] * 40_000) + "]", encoding="utf-8")
    monkeypatch.setattr(csv_reading, "MAX_JSON_BYTES", 1024 * 1024)
    with pytest.raises(ImportFileError, match=r"big\.json is 1 MB: JSON files over 1 MB are not imported"):
        inspect_source(path)


def test_a_json_entry_that_is_not_an_object_is_a_row_problem(tmp_path: Path) -> None:
    path = tmp_path / "mixed.json"
    path.write_text('[{"title": "a"}, "oops"]', encoding="utf-8")
    records = list(iter_records(inspect_source(path)))
    assert records[0].problem is None
    assert records[1].line == 2 and "not an object: oops" in (records[1].problem or "")


# -- cell values -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("23/11/2026", (datetime(2026, 11, 23), True)),
        (" 23/11/2026 14:05 ", (datetime(2026, 11, 23, 14, 5), False)),
        ("23/11/2026 14h05", (datetime(2026, 11, 23, 14, 5), False)),
        ("23/11/2026 14:05:09", (datetime(2026, 11, 23, 14, 5, 9), False)),
        ("23/11/26", (datetime(2026, 11, 23), True)),
        ("23.11.2026", (datetime(2026, 11, 23), True)),
        ("2026-11-23", (datetime(2026, 11, 23), True)),
        ("2026-11-23 14:05", (datetime(2026, 11, 23, 14, 5), False)),
        (
            "2026-11-23T14:05:00+01:00",
            (datetime(2026, 11, 23, 14, 5, tzinfo=timezone(timedelta(hours=1))), False),
        ),
        ("2026-11-23T13:05:00Z", (datetime(2026, 11, 23, 13, 5, tzinfo=UTC), False)),
        ("", None),
    ],
)
def test_dates(text: str, expected: tuple[datetime, bool] | None) -> None:
    assert parse_datetime(text) == expected


@pytest.mark.parametrize("text", ["31/02/2026", "29/02/2027", "2026-02-30", "23/13/2026", "23/11/2026 25:00"])
def test_impossible_dates_are_named_as_such(text: str) -> None:
    with pytest.raises(ValueProblem, match=f"'{text}' is not a real date"):
        parse_datetime(text)


@pytest.mark.parametrize("text", ["demain", "2026/11/23", "23 novembre 2026", "11-2026"])
def test_unreadable_dates_are_quoted_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueProblem, match=f"Cannot read the date '{text}': write it as 23/11/2026"):
        parse_datetime(text)


@pytest.mark.parametrize(("text", "expected"), [("1,5", 1.5), ("1\u00a0234,5", 1234.5), ("2.25", 2.25), ("-3", -3.0)])
def test_numbers_with_decimal_commas(text: str, expected: float) -> None:
    assert parse_number(text) == expected


def test_not_a_number() -> None:
    with pytest.raises(ValueProblem, match="'douze' is not a number"):
        parse_number("douze")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        *[(f"P{n}", n) for n in range(1, 5)],
        *[(str(n), n) for n in range(1, 5)],
        ("p2", 2),
        ("2,0", 2),
        ("Critique", 1),
        ("HAUTE", 2),
        ("normale", 3),
        ("Basse", 4),
        ("critical", 1),
        ("High", 2),
        ("normal", 3),
        ("Medium", 3),
        ("low", 4),
        ("Élevée", 2),
        ("P2 - Haute", 2),
        ("1 (critique)", 1),
        ("", None),
    ],
)
def test_priorities(text: str, expected: int | None) -> None:
    assert parse_priority(text) == expected


@pytest.mark.parametrize("text", ["urgent!!", "5", "P0", "1,5", "très"])
def test_invalid_priorities_list_the_accepted_values(text: str) -> None:
    with pytest.raises(ValueProblem, match=rf"Invalid priority '{text}': use P1-P4, 1-4, critique/haute"):
        parse_priority(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("new", "new"),
        ("in_progress", "in_progress"),
        ("waiting_third_party", "waiting_third_party"),
        ("Nouveau", "new"),
        ("attribué", "assigned"),
        ("En cours", "in_progress"),
        ("en attente client", "waiting_customer"),
        ("En attente du client", "waiting_customer"),
        ("en attente tiers", "waiting_third_party"),
        ("En attente d'un tiers", "waiting_third_party"),
        ("Résolu", "resolved"),
        ("clos", "closed"),
        ("FERMÉ", "closed"),
        ("Waiting for customer", "waiting_customer"),
        ("In progress", "in_progress"),
        ("", None),
    ],
)
def test_statuses(text: str, expected: str | None) -> None:
    assert parse_status(text) == expected


def test_an_invalid_status_lists_the_accepted_values() -> None:
    with pytest.raises(ValueProblem, match=r"Invalid status 'suspendu': use one of new, assigned, in_progress.*résolu"):
        parse_status("suspendu")


def test_host_lists_and_small_helpers() -> None:
    assert split_names("srv-a, srv-b;srv-c | srv-d\nsrv-a,,") == ["srv-a", "srv-b", "srv-c", "srv-d"]
    assert fold("  Société   GÉNÉRALE\u00a0Œuvre ") == "societe generale oeuvre"
    assert unescape_cell("'=1+2") == "=1+2"
    assert unescape_cell("'Cœur") == "'Cœur"


# -- column names -------------------------------------------------------------------------------------------------


def test_french_headers_are_recognised_whatever_the_case_and_accents() -> None:
    headers = [
        "Réf.",
        "TITRE",
        "Société",
        "site",
        "Priorite",
        "État",
        "Catégorie",
        "description",
        "Date de création",
        "ÉCHÉANCE",
        "Machines",
        "N° externe",
        "Demandeur",
        "Temps passé (h)",
    ]
    assert guess_mapping(headers) == {
        "Réf.": "reference",
        "TITRE": "title",
        "Société": "client",
        "site": "site",
        "Priorite": "priority",
        "État": "status",
        "Catégorie": "category",
        "description": "description",
        "Date de création": "created_at",
        "ÉCHÉANCE": "resolve_deadline",
        "Machines": "hosts",
        "N° externe": "external_id",
        "Demandeur": "contact",
    }


def test_english_headers_and_the_first_column_wins() -> None:
    headers = ["Reference", "Subject", "Customer", "Status", "Priority", "Due date", "Hosts", "Created at", "Title"]
    mapping = guess_mapping(headers)
    assert mapping["Subject"] == "title"
    assert "Title" not in mapping  # "title" is already given to Subject
    assert mapping["Due date"] == "resolve_deadline" and mapping["Created at"] == "created_at"
    assert guess_mapping(["Objet", "Client", "Hôtes", "Assigned to"]) == {
        "Objet": "title",
        "Client": "client",
        "Hôtes": "hosts",
    }

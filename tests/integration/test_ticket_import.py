"""Importing tickets into SQLite and PostgreSQL, and exporting them back: modes, rollback, duplicates, big files."""

from __future__ import annotations

import csv
import io
import json
import shutil
import threading
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from supportstation import demo
from supportstation.storage import connect
from supportstation.storage.database import Database
from supportstation.storage.enums import OPEN_STATUSES, TicketSource, TicketStatus
from supportstation.storage.models import Client, Ticket, TimelineEvent
from supportstation.tickets import importing
from supportstation.tickets.csv_reading import ImportFileError, preview
from supportstation.tickets.exporting import (
    CsvStyle,
    export_queue_csv,
    export_queue_json,
    export_timeline_csv,
    export_timeline_json,
)
from supportstation.tickets.import_validation import validate_rows
from supportstation.tickets.importing import ImportMode, ImportReport, import_tickets
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "import"


@pytest.fixture
def database(database_url: str, tmp_path: Path) -> Iterator[Database]:
    """The demo's clients, sites, contacts and hosts (and its 15 tickets)."""
    database = connect(database_url, backups=tmp_path / "backups", create_missing=True)
    demo.populate(database)
    try:
        yield database
    finally:
        database.close()


def ticket_count(database: Database, *, open_only: bool = False) -> int:
    query = select(func.count()).select_from(Ticket)
    if open_only:
        query = query.where(Ticket.status.in_(OPEN_STATUSES))
    with database.session() as session:
        return session.scalar(query) or 0


def run_import(database: Database, path: Path, **options: object) -> ImportReport:
    with database.session() as session:
        return import_tickets(session, path, **options)  # type: ignore[arg-type]


def ticket(database: Database, reference: str) -> Ticket:
    with database.session() as session:
        found = session.scalars(select(Ticket).where(Ticket.reference == reference)).one()
        # Loaded now: the session closes on return.
        _ = (found.client.name, found.site, found.contact, [h.name for h in found.hosts], list(found.timeline))
        return found


# -- the corpus ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "rows"),
    [
        ("excel_fr_cp1252_semicolon.csv", 5),
        ("utf8_bom_semicolon.csv", 3),
        ("utf8_comma_quoted_multiline.csv", 3),
        ("tab_separated.tsv", 2),
        ("tickets.json", 3),
        ("tickets_object.json", 2),
    ],
)
def test_every_valid_corpus_file_imports_whole(database: Database, name: str, rows: int) -> None:
    before = ticket_count(database)
    report = run_import(database, CORPUS / name)
    assert (report.rows_read, report.valid, report.invalid, report.imported) == (rows, rows, 0, rows), report.summary()
    assert ticket_count(database) == before + rows


def test_excel_file_fields_and_local_dates(database: Database) -> None:
    run_import(database, CORPUS / "excel_fr_cp1252_semicolon.csv")
    imported = ticket(database, "XL-2026-002")
    assert imported.client.name == "Mairie de Saint-Aubin-sur-Loire"  # written in capitals in the file
    assert imported.site is not None and imported.site.name == "Hôtel de ville"
    assert (imported.priority, imported.status, imported.category) == (1, TicketStatus.IN_PROGRESS, "Serveur")
    assert [h.name for h in imported.hosts] == ["idrac-srv-mairie", "srv-mairie"]
    assert imported.source is TicketSource.IMPORTED
    assert imported.description == "Échec « accès refusé »"
    # 22/11/2026 08:30 in Paris (UTC+1 in November); a bare deadline date means the end of that day.
    assert imported.created_at == datetime(2026, 11, 22, 7, 30, tzinfo=UTC)
    assert imported.resolve_deadline == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    first = ticket(database, "XL-2026-001")
    assert first.resolve_deadline == datetime(2026, 11, 24, 22, 59, 59, tzinfo=UTC)
    assert first.site is not None and first.site.name == "Siège — Lyon 3e"
    assert ticket(database, "XL-2026-005").site.name == "Atelier de Vénissieux"  # type: ignore[union-attr]
    [event] = imported.timeline
    assert event.kind == "created"
    assert "excel_fr_cp1252_semicolon.csv" in event.summary and "line 3" in event.summary
    assert event.data["line"] == 3


def test_contacts_by_name_or_email_external_ids_and_iso_dates(database: Database) -> None:
    run_import(database, CORPUS / "tab_separated.tsv")
    # The file has no reference column: references are generated, and the tickets found by their external ID.
    with database.session() as session:
        rows = session.scalars(select(Ticket).where(Ticket.external_id.in_(["4711", "4712"])).order_by(Ticket.id))
        first, second = rows.all()
        assert first.reference.startswith("IMP-") and second.reference.startswith("IMP-")
        assert first.contact is not None and first.contact.name == "Marc Delorme"
        assert second.contact is not None and second.contact.name == "Jérôme Lemaire"  # matched by e-mail
        assert first.status is TicketStatus.WAITING_CUSTOMER and first.priority == 1
        assert first.created_at == datetime(2026, 11, 23, 8, 30, tzinfo=UTC)
    run_import(database, CORPUS / "utf8_bom_semicolon.csv")
    assert ticket(database, "BOM-1").resolve_deadline == datetime(2026, 11, 23, 13, 5, tzinfo=UTC)


def test_naive_dates_are_read_in_the_client_time_zone(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        session.execute(
            update(Client).where(Client.name == "Transports Giraud & Fils").values(time_zone="Pacific/Noumea")
        )
    path = tmp_path / "noumea.csv"
    path.write_text(
        "Référence;Titre;Client;Date de création;Échéance\n"
        "NC-1;Panne;Transports Giraud & Fils;23/11/2026 14:05;24/11/2026\n",
        encoding="utf-8",
    )
    run_import(database, path)
    imported = ticket(database, "NC-1")
    assert imported.created_at == datetime(2026, 11, 23, 3, 5, tzinfo=UTC)  # Nouméa is UTC+11
    assert imported.resolve_deadline == datetime(2026, 11, 24, 12, 59, 59, tzinfo=UTC)


def test_json_entries_and_generated_references(database: Database) -> None:
    today = datetime.now().astimezone().strftime("%Y%m%d")
    calls: list[tuple[int, int | None]] = []
    run_import(database, CORPUS / "tickets.json", progress=lambda done, total: calls.append((done, total)))
    assert calls == [(3, 3)]  # a JSON file's entries are counted before the import
    first = ticket(database, "JS-1")
    assert [h.name for h in first.hosts] == ["srv-mairie", "sw-coeur"]
    assert first.created_at == datetime(2026, 11, 23, 8, 15, tzinfo=UTC)
    assert first.resolve_deadline == datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    assert ticket(database, "JS-2").contact.name == "Dr Hélène Fabre"  # type: ignore[union-attr]
    generated = ticket(database, f"IMP-{today}-00001")
    assert generated.title == "Sans référence : une sera générée"
    assert generated.timeline[0].data["reference_generated"] is True
    # The same file again: the first two are duplicates of the database, the third gets the next number.
    again = run_import(database, CORPUS / "tickets.json", mode=ImportMode.VALID_ONLY)
    assert (again.imported, again.invalid) == (1, 2)
    assert {(p.line, p.column) for p in again.problems} == {
        (1, "reference"),
        (1, "external_id"),
        (2, "reference"),
        (2, "external_id"),
    }
    assert "already in the database" in again.problems[0].message
    assert ticket(database, f"IMP-{today}-00002").title == generated.title


# -- bad rows and the two modes -------------------------------------------------------------------------------------


def problems_by_line(report: ImportReport) -> dict[int, str]:
    return {p.line: f"{p.column}: {p.message}" for p in report.problems}


def test_valid_only_imports_the_good_rows_and_reports_each_bad_one(database: Database) -> None:
    before = ticket_count(database)
    report = run_import(database, CORPUS / "bad_rows.csv", mode=ImportMode.VALID_ONLY)
    assert (report.rows_read, report.valid, report.invalid, report.imported, report.skipped) == (10, 2, 8, 2, 8)
    assert ticket_count(database) == before + 2
    assert [h.name for h in ticket(database, "BAD-010").hosts] == ["fw-office", "srv-office"]
    problems = problems_by_line(report)
    assert problems == {
        3: "Client: Unknown client 'Boulangerie Lemaire'. Did you mean 'Boulangeries Lemaire SARL'?",
        4: "Échéance: '31/02/2026' is not a real date.",
        5: "Priorité: Invalid priority 'urgent!!': use P1-P4, 1-4, critique/haute/normale/basse, "
        "critical/high/normal/low.",
        6: "Référence: The reference 'BAD-001' is already used on line 2 of this file.",
        7: "Titre: The title is missing.",
        8: "Échéance: Cannot read the date 'demain matin': write it as 23/11/2026, 23/11/2026 14:05 or "
        "2026-11-23T14:05:00+01:00.",
        9: problems[9],
        10: "Hôtes: Unknown hosts for client 'Transports Giraud & Fils': srv-inconnu.",
    }
    assert problems[9].startswith("Statut: Invalid status 'suspendu': use one of new, assigned")
    assert "Tickets imported: 2; rows skipped: 8." in report.summary()
    assert "Line 3, column 'Client': Unknown client" in report.summary()


def test_the_report_keeps_a_bounded_number_of_problems(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importing, "MAX_REPORTED_PROBLEMS", 2)
    report = run_import(database, CORPUS / "bad_rows.csv", dry_run=True)
    assert (report.invalid, len(report.problems), report.problems_omitted) == (8, 2, 6)
    summary = report.summary(max_problems=1)
    assert summary.count("Line ") == 1
    assert summary.endswith("Problems not shown: 7.")


def test_the_dialog_can_validate_its_preview_rows(database: Database) -> None:
    shown = preview(CORPUS / "bad_rows.csv", rows=3)
    before = ticket_count(database)
    with database.session() as session:
        results = list(validate_rows(session, shown.records, shown.mapping))
    assert [(r.line, r.valid) for r in results] == [(2, True), (3, False), (4, False)]
    draft = results[0].draft
    assert draft is not None and (draft.reference, draft.priority, draft.host_ids != ()) == ("BAD-001", 2, True)
    assert ticket_count(database) == before


def test_all_or_nothing_leaves_the_database_unchanged(database: Database) -> None:
    before = ticket_count(database)
    with database.session() as session:
        events_before = session.scalar(select(func.count()).select_from(TimelineEvent))
    report = run_import(database, CORPUS / "bad_rows.csv", mode=ImportMode.ALL_OR_NOTHING)
    assert (report.valid, report.invalid, report.imported, report.skipped) == (2, 8, 0, 10)
    assert report.rolled_back and not report.cancelled
    assert "Nothing was imported" in report.summary()
    assert ticket_count(database) == before
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(TimelineEvent)) == events_before
        assert session.scalar(select(func.count()).where(Ticket.reference.like("BAD-%"))) == 0
    data = json.loads(json.dumps(report.as_dict()))
    assert data["mode"] == "all_or_nothing" and data["rolled_back"] is True
    assert data["problems"][0] == {
        "line": 3,
        "column": "Client",
        "message": "Unknown client 'Boulangerie Lemaire'. Did you mean 'Boulangeries Lemaire SARL'?",
    }
    assert (data["encoding"], data["delimiter"]) == ("utf-8", ";")


def test_all_or_nothing_rolls_back_rows_written_in_earlier_batches(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "late_error.csv"
    lines = [f"LATE-{n};Panne {n};Mairie de Saint-Aubin-sur-Loire;P3" for n in range(600)]
    lines[550] = "LATE-550;Panne;Client inconnu;P3"
    path.write_text("Référence;Titre;Client;Priorité\n" + "\n".join(lines) + "\n", encoding="utf-8")
    before = ticket_count(database)
    report = run_import(database, path)
    assert (report.rows_read, report.invalid, report.imported) == (600, 1, 0)
    assert report.problems[0].line == 552
    assert ticket_count(database) == before


def test_a_check_only_run_writes_nothing(database: Database) -> None:
    before = ticket_count(database)
    report = run_import(database, CORPUS / "excel_fr_cp1252_semicolon.csv", dry_run=True)
    assert (report.valid, report.invalid, report.imported, report.skipped) == (5, 0, 0, 0)
    assert "Tickets that would be imported: 5." in report.summary()
    bad = run_import(database, CORPUS / "bad_rows.csv", dry_run=True)
    assert (bad.valid, bad.invalid, bad.imported) == (2, 8, 0) and not bad.rolled_back
    assert "nothing would be imported" in bad.summary()
    assert ticket_count(database) == before


def test_references_already_in_the_database(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(
        "Reference,Title,Client,External ID\n"
        "INC-2026-01041,Same reference as a demo ticket,Mairie de Saint-Aubin-sur-Loire,\n"
        "NEW-1,New,Mairie de Saint-Aubin-sur-Loire,EXT-1\n",
        encoding="utf-8",
    )
    report = run_import(database, path, mode=ImportMode.VALID_ONLY)
    assert report.imported == 1
    assert problems_by_line(report) == {
        2: "Reference: A ticket with the reference 'INC-2026-01041' is already in the database."
    }
    path.write_text(
        "Reference,Title,Client,External ID\nNEW-2,Same external ID,Mairie de Saint-Aubin-sur-Loire,EXT-1\n",
        encoding="utf-8",
    )
    again = run_import(database, path, mode=ImportMode.VALID_ONLY)
    assert again.imported == 0
    assert problems_by_line(again) == {
        2: "External ID: A ticket imported with the external ID 'EXT-1' is already in the database."
    }


def test_unreadable_files_and_mappings_raise_and_write_nothing(database: Database, tmp_path: Path) -> None:
    before = ticket_count(database)
    with pytest.raises(ImportFileError, match="not a text file"):
        run_import(database, CORPUS / "garbage.bin")
    with pytest.raises(ImportFileError, match="Choose the column that holds the Client"):
        run_import(database, CORPUS / "tab_separated.tsv", mapping={"Subject": "title"})
    with pytest.raises(ImportFileError, match="Two columns are given for Title"):
        run_import(database, CORPUS / "tab_separated.tsv", mapping={"Subject": "title", "ID": "title"})
    broken = tmp_path / "broken.csv"
    broken.write_text("Titre;Client\nA;Mairie de Saint-Aubin-sur-Loire\n" + '"B;' + "x" * 11_000_000, "utf-8")
    with pytest.raises(ImportFileError, match="quote left open"):
        run_import(database, broken, mode=ImportMode.VALID_ONLY)
    assert ticket_count(database) == before


def test_an_explicit_mapping_leaves_other_columns_out(database: Database) -> None:
    mapping = {"Subject": "title", "Customer": "client", "ID": "external_id"}
    report = run_import(database, CORPUS / "tab_separated.tsv", mapping=mapping)
    assert report.imported == 2
    with database.session() as session:
        imported = session.scalars(select(Ticket).where(Ticket.external_id == "4711")).one()
        assert (imported.priority, imported.status, imported.contact_id) == (3, TicketStatus.NEW, None)


# -- size, progress and cancellation ------------------------------------------------------------------------------


def write_big_csv(path: Path, rows: int, *, description: str = "Symptômes constatés sur place. " * 20) -> None:
    clients = ["Boulangeries Lemaire SARL", "Mairie de Saint-Aubin-sur-Loire", "Transports Giraud & Fils"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Référence", "Titre", "Client", "Priorité", "Statut", "Échéance", "Description"])
        for n in range(rows):
            writer.writerow(
                [f"BIG-{n:06d}", f"Panne n° {n}", clients[n % 3], f"P{n % 4 + 1}", "nouveau", "30/11/2026", description]
            )


def test_cancelling_from_the_progress_callback_rolls_everything_back(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "cancel.csv"
    write_big_csv(path, 2_000)
    before = ticket_count(database)
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int | None) -> None:
        seen.append(done)
        assert total is None  # a CSV is not counted beforehand
        if done >= 500:
            cancel.set()

    report = run_import(database, path, mode=ImportMode.VALID_ONLY, progress=progress, cancel=cancel)
    assert report.cancelled and report.rolled_back
    assert report.imported == 0 and report.rows_read < 2_000
    assert seen[-1] >= 500
    assert "Import cancelled: nothing was imported." in report.summary()
    assert ticket_count(database) == before


def test_a_large_csv_imports_in_batches_with_bounded_memory(database: Database, tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    # Long descriptions make a big file from few rows (each row costs the import, traced, ~4 ms): memory must not
    # follow the file's size.
    write_big_csv(path, 5_000, description="Symptômes constatés sur place. " * 140)
    size = path.stat().st_size
    assert size > 20_000_000
    before = ticket_count(database)
    calls: list[tuple[int, int | None]] = []
    # Memory is traced on SQLite only: tracing makes the import 4 times slower, and what the import keeps does not
    # depend on the backend (each driver is handed one batch at a time).
    traced = database.is_sqlite
    # A first small import pays the one-time costs (holiday tables, lazily imported modules, compiled statements),
    # so the trace below sees only what grows with the file.
    warm_up = tmp_path / "warm-up.csv"
    write_big_csv(warm_up, 20)
    warm_up.write_text(warm_up.read_text(encoding="utf-8").replace("BIG-", "WARM-"), encoding="utf-8")
    run_import(database, warm_up, mode=ImportMode.VALID_ONLY)
    before = ticket_count(database)
    if traced:
        tracemalloc.start()
    try:
        report = run_import(database, path, mode=ImportMode.VALID_ONLY, progress=lambda d, t: calls.append((d, t)))
        peak = tracemalloc.get_traced_memory()[1] if traced else 0
    finally:
        tracemalloc.stop()
    assert (report.rows_read, report.imported, report.invalid) == (5_000, 5_000, 0)
    assert ticket_count(database) == before + 5_000
    done = [d for d, _t in calls]
    assert len(calls) >= 20 and done == sorted(done) and done[-1] == 5_000
    # Streaming: the whole file never sits in memory (20,000 small drafts would not either).
    assert peak < size / 2, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


def test_a_one_megabyte_description_is_kept_whole_and_a_huge_cell_refused(database: Database, tmp_path: Path) -> None:
    big = 'Journal de la panne, ligne après ligne ; avec des « guillemets » et des "doubles".\n' * 13_000
    assert len(big.encode("utf-8")) > 1_000_000
    path = tmp_path / "long.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Reference", "Title", "Client", "Description"])
        writer.writerow(["LONG-1", "Long log", "Boulangeries Lemaire SARL", big])
        writer.writerow(["HUGE-1", "Huge log", "Boulangeries Lemaire SARL", "x" * (6 * 1024 * 1024)])
        writer.writerow(["TITLE-1", "T" * 301, "Boulangeries Lemaire SARL", ""])
    report = run_import(database, path, mode=ImportMode.VALID_ONLY)
    assert report.imported == 1
    assert ticket(database, "LONG-1").description == big.strip()
    assert problems_by_line(report) == {
        13_003: "Description: This cell holds 6.0 MB: at most 5 MB are accepted.",  # after 13,000 lines of log
        13_004: "Title: Too long: 301 characters, at most 300.",
    }


# -- export, and importing an export back -------------------------------------------------------------------------


def queue_snapshot(database: Database) -> list[tuple[object, ...]]:
    with database.session() as session:
        tickets = session.scalars(select(Ticket).order_by(Ticket.reference)).all()
        return [
            (
                t.reference,
                t.title,
                t.client.name,
                t.priority,
                t.status,
                t.site.name if t.site else None,
                tuple(h.name for h in t.hosts),
                t.category,
                t.created_at.replace(microsecond=0),
                t.resolve_deadline.replace(microsecond=0) if t.resolve_deadline else None,
            )
            for t in tickets
        ]


@pytest.mark.parametrize("form", ["excel_fr", "plain", "json"])
def test_an_exported_queue_imports_back_into_a_database_with_the_same_clients(
    database: Database, tmp_path: Path, form: str
) -> None:
    run_import(database, CORPUS / "utf8_comma_quoted_multiline.csv")  # quotes, commas and new lines too
    expected = queue_snapshot(database)
    path = tmp_path / ("queue.json" if form == "json" else "queue.csv")
    with database.session() as session:
        if form == "json":
            written = export_queue_json(session, path, include_closed=True)
        else:
            written = export_queue_csv(session, path, style=CsvStyle(form), include_closed=True)
        # A fresh start with the same clients, sites and hosts.
        session.execute(delete(Ticket))
    assert written == len(expected)
    assert ticket_count(database) == 0
    report = run_import(database, path)
    assert (report.imported, report.invalid) == (len(expected), 0), report.summary()
    assert queue_snapshot(database) == expected


def test_queue_export_formats(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        session.execute(update(Ticket).where(Ticket.reference == "INC-2026-01041").values(title="=1+2 and more"))
    buffer = io.StringIO()
    with database.session() as session:
        open_count = export_queue_csv(session, buffer)
    text = buffer.getvalue()
    assert text.startswith("\ufeffReference;Title;Client;Site;Priority;Status;Category;Assigned to;Hosts;")
    assert "\r\n" in text
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == open_count == ticket_count(database, open_only=True)  # the queue: open tickets only
    first = rows[0]
    assert first["Priority"] == "P1" and first["Status"] in {s.value for s in TicketStatus}
    assert datetime.fromisoformat(first["Due"]).utcoffset() == UTC.utcoffset(None)
    assert "'=1+2 and more" in {row["Title"] for row in rows}  # Excel must not run it as a formula
    plain = tmp_path / "plain.csv"
    with database.session() as session:
        export_queue_csv(session, plain, style=CsvStyle.PLAIN, ticket_ids=[1, 2])
    content = plain.read_bytes()
    assert content.startswith(b"Reference,Title,")
    assert len(list(csv.reader(io.StringIO(content.decode("utf-8"))))) == 3
    assert b"=1+2 and more" in content and b"'=1+2" not in content
    assert not list(tmp_path.glob(".plain.csv.*")), "the temporary file is renamed, not left behind"


def test_formula_quotes_are_removed_on_import(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        session.execute(update(Ticket).where(Ticket.reference == "INC-2026-01041").values(title="=1+2 and more"))
    path = tmp_path / "queue.csv"
    with database.session() as session:
        export_queue_csv(session, path)
        session.execute(delete(Ticket))
    run_import(database, path)
    assert ticket(database, "INC-2026-01041").title == "=1+2 and more"


def test_timeline_export(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.reference == "INC-2026-01041"))
        assert ticket_id is not None
        count = export_timeline_json(session, ticket_id, tmp_path / "timeline.json")
        buffer = io.StringIO()
        assert export_timeline_csv(session, ticket_id, buffer) == count
        with pytest.raises(LookupError, match="no ticket #999999"):
            export_timeline_json(session, 999_999, tmp_path / "none.json")
    document = json.loads((tmp_path / "timeline.json").read_text(encoding="utf-8"))
    assert document["reference"] == "INC-2026-01041"
    events = document["events"]
    assert len(events) == count >= 3
    assert set(events[0]) == {"created_at", "kind", "author", "summary", "body", "data"}
    assert events[0]["kind"] == "created" and events[0]["created_at"].endswith("+00:00")
    assert any(e["author"] == "Camille Martin" and e["data"] == {"to": "assigned"} for e in events)
    rows = list(csv.reader(io.StringIO(buffer.getvalue().lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["Date", "Kind", "Author", "Summary", "Details", "Data"]
    assert json.loads(rows[2][5]) == {"to": "assigned"}
    assert not (tmp_path / "none.json").exists()


def test_an_export_file_can_be_copied_and_reimported_under_another_name(database: Database, tmp_path: Path) -> None:
    # The timeline's summary names the file the tickets came from.
    source = tmp_path / "export.json"
    with database.session() as session:
        written = export_queue_json(session, source)
        session.execute(delete(Ticket))
    copy = tmp_path / "copie du vendredi.json"
    shutil.copy(source, copy)
    report = run_import(database, copy)
    assert report.imported == written == report.rows_read
    assert "copie du vendredi.json (entry 1)" in ticket(database, "INC-2026-01042").timeline[0].summary

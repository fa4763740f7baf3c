"""Importing a French Excel CSV and exporting the queue, through the real main window."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select

from supportstation.gui.main_window import MainWindow
from supportstation.storage.enums import TicketSource
from supportstation.storage.models import Ticket
from tests.conftest import ROOT

CORPUS = ROOT / "tests" / "data" / "import"


def ticket_count(window: MainWindow) -> int:
    with window.context.database.session() as session:
        return session.scalar(select(func.count()).select_from(Ticket))


@pytest.mark.asyncio
async def test_importing_a_french_excel_file(qtbot, main_window: MainWindow, stall_probe) -> None:  # type: ignore[no-untyped-def]
    window = main_window
    window.database_ready(window.context.database)
    await window.refresh()
    before = ticket_count(window)
    dialog = window.open_import()
    await dialog.open_file(CORPUS / "excel_fr_cp1252_semicolon.csv")
    assert "cp1252" in dialog.detected.text() and ";" in dialog.detected.text()
    mapping = dialog.mapping()
    assert {"title", "client", "priority"} <= set(mapping.values())
    # The preview shows the file's accents read right.
    cells = [dialog.table.item(r, c).text() for r in range(1, dialog.table.rowCount())
             for c in range(dialog.table.columnCount()) if dialog.table.item(r, c)]  # fmt: skip
    assert any("é" in cell for cell in cells)
    report = await dialog.run_import(dry_run=True)
    assert report.valid == 5 and report.imported == 0 and ticket_count(window) == before
    report = await dialog.run_import(dry_run=False)
    assert report.imported == 5 and ticket_count(window) == before + 5
    assert "imported: 5" in dialog.report_view.toPlainText()
    with window.context.database.session() as session:
        imported = session.scalars(select(Ticket).where(Ticket.source == TicketSource.IMPORTED)).all()
        assert len(imported) == 5 and all(t.resolve_deadline and t.own_warning_at for t in imported)
    dialog.close()


@pytest.mark.asyncio
async def test_a_file_with_bad_rows_imports_nothing_unless_asked(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window = main_window
    before = ticket_count(window)
    dialog = window.open_import()
    await dialog.open_file(CORPUS / "bad_rows.csv")
    report = await dialog.run_import(dry_run=False)
    assert report.invalid > 0 and report.imported == 0 and ticket_count(window) == before
    text = dialog.report_view.toPlainText()
    assert "Did you mean 'Boulangeries Lemaire SARL'" in text and "31/02/2026" in text
    dialog.valid_only.setChecked(True)
    report = await dialog.run_import(dry_run=False)
    assert report.imported == report.valid and ticket_count(window) == before + report.valid
    dialog.close()


@pytest.mark.asyncio
async def test_a_binary_file_is_explained(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    dialog = main_window.open_import()
    await dialog.open_file(CORPUS / "garbage.bin")
    assert "not a text file" in dialog.report_view.toPlainText()
    assert not dialog.import_button.isEnabled()
    dialog.close()


@pytest.mark.asyncio
async def test_stopping_a_long_import_writes_nothing(qtbot, main_window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "long.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["Référence", "Titre", "Client", "Priorité"])
        for number in range(3000):
            writer.writerow([f"LONG-{number}", f"Ticket {number}", "Mairie de Saint-Aubin-sur-Loire", "P3"])
    before = ticket_count(main_window)
    dialog = main_window.open_import()
    await dialog.open_file(path)
    dialog._cancel.set()  # as if Stop was pressed as soon as the import began
    original_clear = dialog._cancel.clear
    dialog._cancel.clear = lambda: None  # type: ignore[method-assign]
    try:
        report = await dialog.run_import(dry_run=False)
    finally:
        dialog._cancel.clear = original_clear  # type: ignore[method-assign]
    assert report.cancelled and report.imported == 0 and ticket_count(main_window) == before
    dialog.close()


@pytest.mark.asyncio
async def test_exporting_the_queue_for_excel(qtbot, main_window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "file d'attente.csv"
    count = await main_window.export_queue(target, "excel")
    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines(), delimiter=";"))
    assert len(rows) == count + 1 == 14
    assert "INC-2026-01042" in {row[0] for row in rows}
    failed = await main_window.export_queue(tmp_path / "missing" / "x.csv", "json")
    assert failed is None

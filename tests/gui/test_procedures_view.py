"""The Procedures page through the real main window: the starter set, plugins' procedures and the engineer's own
listed; a broken file shown with its problems; a starter duplicated into the library (and marked as replaced);
search and tag filters; import of files and zip archives (a broken archive imports nothing and says why); export;
delete; opening with Enter."""

from __future__ import annotations

import asyncio
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from supportstation.gui.main_window import MainWindow
from supportstation.gui.procedures.editor import ProcedureEditor
from supportstation.gui.procedures.library_files import export_to
from supportstation.procedures.library import PLUGIN, STARTER, USER
from tests.gui.conftest import shot
from tests.gui.test_hosts_view import until
from tests.gui.test_procedure_editor import procedures_view

MINE = """\
# Our printer routine
id: acme.printer
title: {fr: File d'impression bloquée, en: Stuck print queue}
tags: [acme-impression, windows]
steps:
  - id: restart
    run: {powershell: Restart-Service Spooler}
"""
BROKEN = "id: acme.broken\ntitle: Broken\nsteps:\n  - id: one\n    rn: {sh: 'true'}\n"


def rows(view) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    model = view.page.model
    return [(model.row_at(r).id, model.row_at(r).origin.kind) for r in range(model.rowCount())]


def select(view, procedure_id: str, kind: str) -> None:  # type: ignore[no-untyped-def]
    model = view.page.model
    row = next(
        r for r in range(model.rowCount()) if (model.row_at(r).id, model.row_at(r).origin.kind) == (procedure_id, kind)
    )
    view.page.rows.table.selectRow(row)


@pytest.mark.asyncio
async def test_the_library_lists_filters_duplicates_and_marks_replaced_procedures(
    qtbot, main_window: MainWindow, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    folder = main_window.context.paths.procedures_folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "acme.printer.yaml").write_text(MINE, encoding="utf-8")
    (folder / "acme.broken.yaml").write_text(BROKEN, encoding="utf-8")
    view = await procedures_view(main_window)
    assert ("network.reachability", STARTER) in rows(view) and ("acme.printer", USER) in rows(view)
    await main_window.remote.load_actions()  # the plugins' procedures join once the plugins are loaded
    await until(lambda: not view.refresh_task.done())
    await view.refresh_task
    plugin_files = main_window.remote.registry.procedure_paths()
    assert sum(kind == PLUGIN for _id, kind in rows(view)) == len(plugin_files)

    broken = next(
        r for r in range(view.page.model.rowCount()) if view.page.model.row_at(r).path.name == "acme.broken.yaml"
    )
    view.page.rows.table.selectRow(broken)
    details = view.page.details.toPlainText()
    assert f"{folder / 'acme.broken.yaml'}:5: steps.0: unknown key" in details.replace("steps.0.rn", "steps.0")
    assert view.page.model.data(view.page.model.index(broken, 0), Qt.ItemDataRole.DecorationRole) is not None
    assert "1 with problems" in view.page.summary.text()

    # A starter is read-only: duplicated, it becomes the engineer's copy, which replaces it.
    select(view, "network.reachability", STARTER)
    view.page.duplicate_action.trigger()
    await until(lambda: view.open_task is not None and view.open_task.done())
    editor = view.open_task.result()
    assert isinstance(editor, ProcedureEditor) and editor.path == folder / "network.reachability.yaml"
    assert editor.path.read_text(encoding="utf-8").startswith("# Network reachability triage")  # comments kept
    entries = [view.page.model.row_at(r) for r in range(view.page.model.rowCount())]
    origins = {e.origin.kind: view.page._origin(e) for e in entries if e.id == "network.reachability"}
    assert origins == {USER: "my library (replaces the starter set)", STARTER: "starter set (replaced by your copy)"}

    view.setCurrentIndex(0)
    view.page.search.setText("joignabilité")  # French title words find it in any UI language
    assert rows(view) == [("network.reachability", USER), ("network.reachability", STARTER)]
    view.page.search.setText("")
    view.page.tag.setCurrentIndex(view.page.tag.findData("acme-impression"))
    assert rows(view) == [("acme.printer", USER)]
    view.page.tag.setCurrentIndex(0)
    view.page.search.setText("no such thing")
    assert view.page.model.rowCount() == 0 and "No procedure matches" in view.page.rows.message.text()
    view.page.search.setText("")
    select(view, "network.reachability", STARTER)
    await asyncio.sleep(0.1)
    shot(main_window, "procedures_library")

    # Enter opens the selected procedure; the open editor is reused.
    select(view, "acme.printer", USER)
    view.page.rows.table.setFocus()
    qtbot.keyClick(view.page.rows.table, Qt.Key.Key_Return)
    await until(lambda: view.open_task.done() and isinstance(view.currentWidget(), ProcedureEditor))
    opened = view.currentWidget()
    assert opened.path == folder / "acme.printer.yaml" and opened.title() == "Stuck print queue"
    await asyncio.sleep(0.1)
    shot(main_window, "procedures_editor_opened")

    # Export to a zip, then delete the engineer's copy of the starter: the starter is used again.
    view.setCurrentIndex(0)
    select(view, "acme.printer", USER)
    archive = await export_to(view, view.page.selected_entries(), tmp_path / "out.zip")
    with zipfile.ZipFile(archive) as opened_zip:
        assert opened_zip.read("acme.printer.yaml").decode() == MINE
    select(view, "network.reachability", USER)
    task = asyncio.ensure_future(view.delete(view.page.selected_entries()))
    await until(lambda: view.question is not None)
    next(b for b in view.question.buttons() if b.text() == "Delete").click()
    assert await task == 1
    assert not (folder / "network.reachability.yaml").exists()
    assert ("network.reachability", STARTER) in rows(view) and ("network.reachability", USER) not in rows(view)


@pytest.mark.asyncio
async def test_import_of_files_and_archives(qtbot, main_window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    view = await procedures_view(main_window)
    folder = main_window.context.paths.procedures_folder
    bad_zip = tmp_path / "team.zip"
    with zipfile.ZipFile(bad_zip, "w") as archive:
        archive.writestr("printer.yaml", MINE)
        archive.writestr("broken.yaml", BROKEN)
    report = await view.import_files([bad_zip])
    assert report.imported == [] and not list(folder.glob("*.yaml"))
    assert view.question is not None and "Nothing was imported" in view.question.text()
    assert "team.zip:broken.yaml:5: steps.0" in view.question.informativeText()
    await asyncio.sleep(0.1)
    shot(view.question, "procedures_import_problem")
    view.question.close()

    good = tmp_path / "printer.yaml"
    good.write_text(MINE, encoding="utf-8")
    report = await view.import_files([good])
    assert report.imported == [folder / "acme.printer.yaml"] and report.problems == []
    assert ("acme.printer", USER) in rows(view)
    assert "Imported 1 procedures" in main_window.statusBar().currentMessage()

    # The same id again: asked before replacing; skipped, nothing changes.
    good.write_text(MINE.replace("Stuck print queue", "Stuck queue v2"), encoding="utf-8")
    task = asyncio.ensure_future(view.import_files([good]))
    await until(lambda: view.question is not None and "already has" in view.question.text())
    next(b for b in view.question.buttons() if b.text() == "Skip them").click()
    assert (await task).imported == []
    assert "Stuck print queue" in (folder / "acme.printer.yaml").read_text(encoding="utf-8")
    task = asyncio.ensure_future(view.import_files([good]))
    await until(lambda: view.question is not None and "already has" in view.question.text())
    next(b for b in view.question.buttons() if b.text() == "Replace").click()
    assert (await task).imported == [folder / "acme.printer.yaml"]
    assert "Stuck queue v2" in (folder / "acme.printer.yaml").read_text(encoding="utf-8")


@pytest.mark.asyncio
async def test_a_starter_is_saved_as_a_copy_and_a_broken_file_opens_with_its_problems(
    qtbot, main_window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    from tests.gui.test_procedure_editor import text_box, type_into

    folder = main_window.context.paths.procedures_folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "acme.broken.yaml").write_text(BROKEN, encoding="utf-8")
    view = await procedures_view(main_window)
    select(view, "network.reachability", STARTER)
    starter_path = view.page.selected_entries()[0].path
    shipped = starter_path.read_text(encoding="utf-8")
    view.page.open_action.trigger()
    await until(lambda: view.open_task is not None and view.open_task.done())
    editor = view.open_task.result()
    assert "read-only" in editor.where.text()
    type_into(text_box(editor.form.header_page, "en", "title"), qtbot, "Reachability, our way")
    await editor.settled()
    path = await editor.save()
    assert path == folder / "network.reachability.yaml" and "Reachability, our way" in path.read_text(encoding="utf-8")
    assert starter_path.read_text(encoding="utf-8") == shipped  # the starter itself never changes
    assert "In your library" in editor.where.text()
    await view.refresh_task
    assert ("network.reachability", USER) in rows(view)

    view.setCurrentIndex(0)
    broken = next(
        r for r in range(view.page.model.rowCount()) if view.page.model.row_at(r).path.name == "acme.broken.yaml"
    )
    view.page.rows.table.selectRow(broken)
    view.page.open_action.trigger()
    await until(lambda: view.open_task.done() and view.currentWidget() is not editor and view.currentIndex() > 0)
    fixing = view.currentWidget()
    assert isinstance(fixing, ProcedureEditor) and fixing.form.isEnabled()  # the YAML reads; the schema does not
    assert fixing.problems.list.item(0).text() == "line 5 — steps.0.rn: unknown key (misspelt, or not allowed here)."
    fixing.go_to_line(5)
    assert fixing.tabs.currentWidget() is fixing.source and fixing.source.textCursor().blockNumber() == 4
    fixing.source.setPlainText(BROKEN.replace("rn:", "run:"))
    await fixing.settled()
    assert fixing.checked.problems == [] and await fixing.save() == folder / "acme.broken.yaml"

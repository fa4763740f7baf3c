"""The procedure editor through the real main window: a procedure built in the form, the YAML source following and
leading (comments kept on save), broken YAML that loses nothing, undo and redo, steps reordered from the keyboard,
the dry run on an SSH host and a WinRM host of the demo inventory, and the saved file accepted by the CLI."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QPlainTextEdit

from supportstation.gui.main_window import MainWindow
from supportstation.gui.procedures.editor import ProcedureEditor
from supportstation.gui.procedures.fields import Field
from supportstation.gui.procedures.procedures_view import ProceduresView
from supportstation.procedures.files import load
from supportstation.remote.quoting import quote_for
from tests.gui.conftest import shot
from tests.gui.test_hosts_view import until

FOLDER = "/srv/partage/Dossier d'Aurélie"  # a space, a quote and an accent: quoted differently by each shell


async def procedures_view(window: MainWindow) -> ProceduresView:
    row = next(row for row, (key, _title, _widget) in enumerate(window.views) if key == "procedures")
    window.database_ready(window.context.database)
    window.show_view(row)
    view = window.stack.currentWidget().ensure_built()  # built when first shown (see LazyView)
    assert isinstance(view, ProceduresView)
    await until(lambda: view.refresh_task is not None)
    await view.refresh_task
    return view


def field(page: Any, *path: str | int) -> Field:
    return next(f for f in page.findChildren(Field) if f.path == path and f.isVisibleTo(page))


def type_into(widget: QLineEdit | QPlainTextEdit, qtbot: Any, text: str) -> None:
    """Replaces the field's text as the engineer would: select everything, type."""
    widget.setFocus()
    widget.selectAll()
    qtbot.keyClicks(widget, text)


def line(page: Any, *path: str | int) -> QLineEdit:
    return field(page, *path).line  # type: ignore[attr-defined,no-any-return]


def code(page: Any, *path: str | int) -> QPlainTextEdit:
    return field(page, *path).edit  # type: ignore[attr-defined,no-any-return]


def text_box(page: Any, language: str, *path: str | int) -> Any:
    return field(page, *path).boxes[language]  # type: ignore[attr-defined]


async def build_disk_check(editor: ProcedureEditor, qtbot: Any) -> None:
    """The header, a parameter, a run step with an expectation and a capture, a consent, a note: all in the form."""
    form = editor.form
    header = form.header_page
    type_into(line(header, "id"), qtbot, "acme.disk-check")
    type_into(text_box(header, "fr", "title"), qtbot, "Occupation d'un dossier")
    type_into(text_box(header, "en", "title"), qtbot, "Folder usage")
    type_into(line(header, "tags"), qtbot, "disque, linux")

    form.outline.select_section(1)
    parameters = form.parameters_page
    parameters.add_button.click()
    type_into(line(parameters.form, "name"), qtbot, "folder")
    type_into(text_box(parameters.form, "fr", "label"), qtbot, "Dossier")
    type_into(text_box(parameters.form, "en", "label"), qtbot, "Folder")

    form.select_step(0)
    editor.add_step("run")
    run = form.current_page()
    type_into(line(run, "id"), qtbot, "measure")
    type_into(code(run, "run", "sh"), qtbot, "du -sh {folder}")
    type_into(code(run, "run", "powershell"), qtbot, "Get-ChildItem -Recurse {folder} | Measure-Object Length -Sum")
    type_into(line(run, "run", "expect", "stdout_matches"), qtbot, "^[0-9]")
    captures = run.parts[0]
    captures.add_button.click()
    await editor.settled()
    captures = form.current_page().parts[0]
    captures.table.item(0, 0).setText("size")
    captures.table.item(0, 1).setText(r"^(\S+)")

    editor.add_step("confirm")
    confirm = form.current_page()
    type_into(line(confirm, "id"), qtbot, "agree")
    type_into(text_box(confirm, "en", "confirm", "text"), qtbot, "The customer agrees to the scan.")
    editor.add_step("note")
    note = form.current_page()
    type_into(text_box(note, "en", "note"), qtbot, "Folder size: {size}")
    type_into(text_box(note, "fr", "note"), qtbot, "Taille du dossier : {size}")
    await editor.settled()


@pytest.mark.asyncio
async def test_a_procedure_built_in_the_form_edited_in_yaml_and_saved(
    qtbot, main_window: MainWindow, stall_probe
) -> None:  # type: ignore[no-untyped-def]
    view = await procedures_view(main_window)
    editor = view.new_procedure()
    await build_disk_check(editor, qtbot)

    assert editor.checked.problems == [], [str(p) for p in editor.checked.problems]
    procedure = editor.procedure
    assert procedure is not None and procedure.id == "acme.disk-check" and procedure.tags == ["disque", "linux"]
    assert [step.kind for step in procedure.steps] == ["instruction", "run", "confirm", "note"]
    run = procedure.steps[1].run
    assert run is not None and run.expect.stdout_matches == "^[0-9]" and run.capture["size"].regex == r"^(\S+)"
    source = editor.source.toPlainText()
    assert "title: {fr: Occupation d'un dossier, en: Folder usage}" in source
    assert "sh: du -sh {folder}" in source and "stdout_matches: ^[0-9]" in source
    assert [editor.form.outline.steps.item(i).text().split("\n")[0] for i in range(4)][1:] == [
        "2. du -sh {folder}",
        "3. The customer agrees to the scan.",
        "4. Folder size: {size}",
    ]
    assert view.tabText(view.indexOf(editor)).endswith("•")  # changed, not saved
    editor.form.select_step(1)
    await asyncio.sleep(0.1)
    shot(main_window, "editor_form_run_step")
    editor.tabs.setCurrentWidget(editor.source)
    await asyncio.sleep(0.1)
    shot(main_window, "editor_yaml_source")

    # The source leads: a step renamed and a comment added; the form follows.
    text = editor.source.toPlainText().replace("id: measure", "id: usage  # du reads the whole tree")
    editor.source.setPlainText(text)
    await editor.settled()
    assert editor.form.outline.steps.item(1).text().endswith("Command · usage")
    editor.tabs.setCurrentIndex(0)
    editor.form.select_step(1)
    assert line(editor.form.current_page(), "id").text() == "usage"
    # Then the form again: the comment survives a change made there.
    type_into(line(editor.form.current_page(), "run", "timeout"), qtbot, "120")
    await editor.settled()
    assert "id: usage  # du reads the whole tree" in editor.source.toPlainText()

    path = await editor.save()
    assert path == main_window.context.paths.procedures_folder / "acme.disk-check.yaml"
    saved = path.read_text(encoding="utf-8")
    assert saved == editor.source.toPlainText() and "# du reads the whole tree" in saved
    assert load(path).procedure.steps[1].run.timeout == 120
    checked = subprocess.run(
        [sys.executable, "-m", "supportstation", "procedures", "validate", str(path)],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stderr
    assert not editor.is_modified() and not view.tabText(view.indexOf(editor)).endswith("•")
    await view.refresh_task
    assert "acme.disk-check" in view.page.shown_ids()
    assert stall_probe.longest_gap_ms < 1000


@pytest.mark.asyncio
async def test_broken_yaml_keeps_the_form_says_where_and_undo_brings_it_back(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = await procedures_view(main_window)
    editor = view.new_procedure()
    await editor.settled()
    title_box = text_box(editor.form.header_page, "en", "title")
    type_into(title_box, qtbot, "Printer queue")
    await editor.settled()
    good = editor.source.toPlainText()
    assert "en: Printer queue" in good

    editor.tabs.setCurrentWidget(editor.source)
    broken = good.replace("version: 1", "version: [1")
    editor.source.setPlainText(broken)
    await editor.settled()
    assert not editor.banner.isHidden() and "line " in editor.banner.text()
    first = editor.problems.list.item(0).text()
    assert first.startswith("line ") and "not valid YAML" in first
    assert not editor.form.isEnabled() and title_box.text() == "Printer queue"  # the form is kept, locked
    assert editor.source.toPlainText() == broken  # and what was typed is still there
    await asyncio.sleep(0.1)
    shot(main_window, "editor_broken_yaml")

    # A click on the problem puts the cursor on its line.
    editor.source.go_to(1)
    editor.problems.list.itemClicked.emit(editor.problems.list.item(0))
    line_number = int(first.split()[1])
    assert editor.source.textCursor().blockNumber() + 1 == line_number

    # Undo returns to the text that read; redo to the broken one; undo again and the title's change too.
    qtbot.keyClick(editor.source, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    await editor.settled()
    assert editor.source.toPlainText() == good and editor.form.isEnabled() and editor.banner.isHidden()
    qtbot.keyClick(editor.source, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    await editor.settled()
    assert editor.source.toPlainText() == broken and not editor.form.isEnabled()
    editor.undo()
    editor.undo()
    await editor.settled()
    assert "en: New procedure" in editor.source.toPlainText() and title_box.text() == "New procedure"
    editor.redo()
    await editor.settled()
    assert title_box.text() == "Printer queue"

    # Saving with problems writes nothing and says so.
    type_into(line(editor.form.header_page, "id"), qtbot, "Not An Id")
    await editor.settled()
    assert await editor.save() is None
    assert not list(main_window.context.paths.procedures_folder.glob("*.yaml"))
    assert any("procedure id" in editor.problems.list.item(i).text() for i in range(editor.problems.list.count()))


@pytest.mark.asyncio
async def test_undo_in_a_field_and_steps_reordered_from_the_keyboard(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = await procedures_view(main_window)
    editor = view.new_procedure()
    for kind in ("run", "prompt", "note"):
        editor.add_step(kind)
    await editor.settled()
    ids = lambda: [s.id for s in editor.procedure.steps]  # noqa: E731
    assert ids() == ["explain", "check", "ask", "note"]

    steps = editor.form.outline.steps
    steps.setFocus()
    steps.setCurrentRow(3)
    qtbot.keyClick(steps, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(steps, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    await editor.settled()
    assert ids() == ["explain", "note", "check", "ask"] and steps.currentRow() == 1
    qtbot.keyClick(steps, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    await editor.settled()
    assert ids() == ["explain", "check", "note", "ask"]
    # A drop on the upper half of the first step puts the dragged one before it.
    steps.setCurrentRow(3)
    top = steps.visualItemRect(steps.item(0)).topLeft() + QPoint(10, 2)
    mime = steps.model().mimeData([steps.model().index(3, 0)])
    drop = QDropEvent(
        QPointF(top), Qt.DropAction.MoveAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    steps.dropEvent(drop)
    await editor.settled()
    assert ids() == ["ask", "explain", "check", "note"]

    # Typing in a field is one undo step; Ctrl+Z inside the field reaches the editor's history.
    editor.form.select_step(2)
    timeout = line(editor.form.current_page(), "run", "timeout")
    type_into(timeout, qtbot, "90")
    await editor.settled()
    assert editor.procedure.steps[2].run.timeout == 90
    qtbot.keyClick(timeout, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    await editor.settled()
    assert editor.procedure.steps[2].run.timeout == 60 and "timeout" not in editor.source.toPlainText()
    assert line(editor.form.current_page(), "run", "timeout").text() == ""

    editor.undo()  # the drop
    await editor.settled()

    assert ids() == ["explain", "check", "note", "ask"]
    qtbot.keyClick(steps, Qt.Key.Key_Delete)
    await editor.settled()
    assert len(ids()) == 3


@pytest.mark.asyncio
async def test_the_dry_run_quotes_for_an_ssh_host_and_a_winrm_host(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = await procedures_view(main_window)
    editor = view.new_procedure()
    await build_disk_check(editor, qtbot)
    editor.form.outline.select_section(1)
    type_into(line(editor.form.parameters_page.form, "default"), qtbot, "/tmp")
    editor.form.parameters_page.add_button.click()
    type_into(line(editor.form.parameters_page.form, "name"), qtbot, "token")
    editor.form.parameters_page.form.findChildren(Field)[1].combo.setCurrentIndex(5)  # type: ignore[attr-defined]
    editor.form.parameters_page.form.findChildren(Field)[1].combo.activated.emit(5)  # type: ignore[attr-defined]
    editor.form.select_step(1)
    type_into(code(editor.form.current_page(), "run", "sh"), qtbot, "TOKEN={token} du -sh {folder}")
    await editor.settled()
    assert editor.checked.problems == [], [str(p) for p in editor.checked.problems]

    editor.tabs.setCurrentWidget(editor.preview)
    await until(lambda: editor.hosts_task is not None)
    await editor.hosts_task
    preview = editor.preview
    assert preview.choose_target("srv-lemaire-01")
    preview.set_value("folder", FOLDER)
    preview.set_value("token", "s3cr3t")
    commands = {line.step: line for line in preview.lines}
    assert commands["measure"].shell == "sh"
    assert commands["measure"].text == f"TOKEN=•••••• du -sh {quote_for('sh', FOLDER)}"
    assert "s3cr3t" not in preview.output.toPlainText()
    assert preview.fields["token"].echoMode() == QLineEdit.EchoMode.Password
    assert "Folder size: ⟨size⟩" in preview.output.toPlainText()
    await asyncio.sleep(0.1)
    shot(main_window, "editor_dry_run_ssh")

    assert preview.choose_target("srv-dossiers")
    commands = {line.step: line for line in preview.lines}
    assert commands["measure"].shell == "powershell"
    expected = f"Get-ChildItem -Recurse {quote_for('powershell', FOLDER)} | Measure-Object Length -Sum"
    assert commands["measure"].text == expected
    assert expected in preview.output.toPlainText()
    await asyncio.sleep(0.1)
    shot(main_window, "editor_dry_run_winrm")

    preview.set_value("folder", "")
    preview.set_value("token", "")
    assert not preview.error.isHidden() and "token" in preview.error.text()


@pytest.mark.asyncio
async def test_an_unsaved_change_is_asked_about_when_the_tab_or_the_window_closes(
    qtbot, main_window: MainWindow
) -> None:  # type: ignore[no-untyped-def]
    view = await procedures_view(main_window)
    editor = view.new_procedure()
    assert not editor.is_modified()
    type_into(text_box(editor.form.header_page, "en", "title"), qtbot, "Draft")
    await editor.settled()
    task = asyncio.ensure_future(view.close_editor(view.indexOf(editor)))
    await until(lambda: editor.question is not None)
    assert "Save the changes to" in editor.question.text()
    editor.question.reject()  # Cancel: the editor stays
    assert await task is False and view.indexOf(editor) > 0

    app = QApplication.instance()
    app.setQuitOnLastWindowClosed(False)  # the test's event loop must outlive the window
    try:
        main_window.close()
        await until(lambda: editor.question is not None)
        assert main_window.isVisible()
        discard = next(b for b in editor.question.buttons() if b.text() == "Discard")
        discard.click()
        await until(lambda: not main_window.isVisible())
    finally:
        app.setQuitOnLastWindowClosed(True)


@pytest.mark.asyncio
async def test_an_action_step_offers_the_plugins_actions_and_their_parameters(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = await procedures_view(main_window)
    editor = view.new_procedure()
    await main_window.remote.load_actions()
    assert editor.actions  # the open editor learns the plugins' actions
    editor.add_step("action")
    page = editor.form.current_page()
    choice = field(page, "action", "id")
    index = choice.combo.findData("linux.journal_errors")  # type: ignore[attr-defined]
    choice.combo.setCurrentIndex(index)  # type: ignore[attr-defined]
    choice.combo.activated.emit(index)  # type: ignore[attr-defined]
    await editor.settled()
    editor.form.select_step(1)
    await asyncio.sleep(0.05)  # the arguments' new fields are shown by the event loop
    page = editor.form.current_page()
    hours = line(page, "action", "arguments", "hours")
    assert hours.placeholderText() == "default: 24"
    type_into(hours, qtbot, "48")
    await editor.settled()
    step = editor.procedure.steps[1]
    assert (
        step.action is not None and step.action.id == "linux.journal_errors" and step.action.arguments == {"hours": 48}
    )
    await asyncio.sleep(0.1)
    shot(main_window, "editor_action_step")

    editor.form.outline.select_section(1)
    editor.form.parameters_page.add_button.click()
    form = editor.form.parameters_page.form
    kind = field(form, "type").combo  # type: ignore[attr-defined]
    kind.setCurrentIndex(kind.findData("integer"))
    kind.activated.emit(kind.currentIndex())
    type_into(line(form, "default"), qtbot, "443")
    await editor.settled()
    assert editor.procedure.parameters[0].default == 443 and "default: 443" in editor.source.toPlainText()
    await asyncio.sleep(0.1)
    shot(main_window, "editor_parameters")

"""Help > Keyboard shortcuts lists a key for every main action of the day, read from the actions themselves; no two
actions on screen together share a key; and the keys do what the list says."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QMenu, QMenuBar, QWidget

from supportstation import demo
from supportstation.gui.dialogs.shortcuts_dialog import ShortcutsDialog
from supportstation.gui.main_window import MainWindow
from tests.gui.conftest import shot

CTRL, SHIFT = Qt.KeyboardModifier.ControlModifier, Qt.KeyboardModifier.ShiftModifier

# The main actions of an engineer's day, by area, as the dialog names them.
MAIN_ACTIONS = {
    "Window": ["View › Queue", "View › Hosts", "View › Remote", "View › Procedures", "View › Reports and outbox",
               "View › Plugins", "View › Refresh", "File › Settings…", "File › Import tickets…",
               "File › Export the queue…", "File › Quit", "Help › Keyboard shortcuts"],
    "Queue": ["Search the queue", "Open the selected ticket"],
    "Hosts": ["Add a host…", "Remove the selected hosts", "Search the hosts", "Act on the selection"],
    "Ticket": ["Write a note", "Add note", "Attach a file…", "Change status", "Assign to me",
               "Start or end intervention", "Pause or resume intervention", "Show the timeline and details",
               "Show the remote actions", "Show the procedures", "Open the report"],
    "Remote actions": ["Connect", "Search actions", "Run the action",
                       "Type a command (Enter runs it)", "Cancel the run", "Open a terminal"],
    "Procedures": ["Start the procedure", "Answer, or go to the next step", "Stop this step"],
    "Report": ["Sign…", "Save PDF…", "Print…", "E-mail…"],
}  # fmt: skip


async def until(condition: Callable[[], object], timeout: float = 15.0, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out waiting for {what}")
        await asyncio.sleep(0.02)


def help_action(window: MainWindow, text: str) -> QAction:
    menus = [action.menu() for action in window.menuBar().actions() if action.menu() is not None]
    help_menu = next(menu for menu in menus if menu.title().replace("&", "") == "Help")
    return next(action for action in help_menu.actions() if action.text().replace("&", "") == text)


def test_the_dialog_opens_from_the_help_menu_and_lists_every_main_action(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    shortcuts = help_action(main_window, "Keyboard shortcuts")
    assert shortcuts.shortcut() == QKeySequence("F1")
    shortcuts.trigger()
    dialog = main_window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    from supportstation.gui.shortcut_actions import area_title

    listed: dict[str, dict[str, str]] = {}
    for row in dialog.rows:
        listed.setdefault(area_title(row.area), {})[row.text] = row.keys
    for area, texts in MAIN_ACTIONS.items():
        for text in texts:
            assert listed.get(area, {}).get(text), f"{area} > {text} has no shortcut in the dialog"
    assert listed["Window"]["View › Queue"] == "Ctrl+1" and listed["Queue"]["Search the queue"] == "Ctrl+F"
    assert listed["Report"]["Print…"] == "Ctrl+P"  # the platform's standard key, without a "Print" key
    assert listed["Queue"]["Open the selected ticket"] == "Return, Enter"
    assert "&" not in "".join(row.text for row in dialog.rows)
    shot(dialog, "shortcuts_dialog")

    # The filter matches the action, the key or the area, every word typed, without regard to case.
    dialog.filter.setText("REPORT")
    shown = dialog.visible_rows()
    assert {row.text for row in shown} >= {"Sign…", "Open the report", "Save PDF…"}
    assert all("report" in f"{row.text} {row.keys} {area_title(row.area)}".lower() for row in shown)
    dialog.filter.setText("ctrl+shift+i")
    assert [row.text for row in dialog.visible_rows()] == ["Start or end intervention"]
    dialog.filter.setText("nothing like this")
    assert dialog.visible_rows() == []
    assert all(dialog.tree.topLevelItem(index).isHidden() for index in range(dialog.tree.topLevelItemCount()))
    dialog.filter.clear()
    assert len(dialog.visible_rows()) == len(dialog.rows)
    dialog.close()


def active_shortcuts(window: QWidget) -> list[tuple[str, str]]:
    """(key, what) for every action and shortcut that the keyboard reaches now: owned by a widget on screen."""
    found = []
    for action in window.findChildren(QAction):
        owners = [owner for owner in action.associatedObjects() if not isinstance(owner, QMenu | QMenuBar)]
        if any(isinstance(owner, QWidget) and owner.isVisible() for owner in owners):
            found += [(key.toString(), action.text() or action.objectName()) for key in action.shortcuts()]
    for shortcut in window.findChildren(QShortcut):
        if shortcut.parentWidget() is not None and shortcut.parentWidget().isVisible():
            keys = shortcut.keys()
            found += [(key.toString(), "QShortcut") for key in keys]
    return found


def assert_no_clash(window: QWidget, where: str) -> None:
    seen: dict[str, str] = {}
    for key, what in active_shortcuts(window):
        assert key not in seen, f"{where}: {key} is both {seen[key]!r} and {what!r}"
        seen[key] = what


@pytest.mark.asyncio
async def test_no_two_actions_on_screen_share_a_key(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    main_window.database_ready(main_window.context.database)
    await main_window.refresh()
    for row, (key, _title, _widget) in enumerate(main_window.views):
        main_window.show_view(row)
        await asyncio.sleep(0)
        assert_no_clash(main_window, f"the {key} view")
    # A ticket's workspace, each of its tabs built and shown in turn, with a remote panel open on the Remote page.
    workspace = main_window.open_ticket(ticket_id_of(main_window, demo.WORKED_TICKET))
    await workspace.reload_task
    await workspace.show_remote()
    await workspace.show_procedures()
    await workspace.show_report()
    for page in range(workspace.pages.count()):
        workspace.pages.setCurrentIndex(page)
        assert_no_clash(main_window, f"the ticket's tab {workspace.pages.tabText(page)}")
    main_window.act_on_hosts([main_window.remote_view.hosts[0].host_id])
    assert_no_clash(main_window, "a host's remote panel")
    main_window.remote_view.tabs.setCurrentIndex(0)
    assert_no_clash(main_window, "the fan-out")
    await asyncio.sleep(0)


def ticket_id_of(window: MainWindow, reference: str) -> int:
    from sqlalchemy import select

    from supportstation.storage.models import Ticket

    with window.context.database.session() as session:
        return session.scalars(select(Ticket.id).where(Ticket.reference == reference)).one()


@pytest.mark.asyncio
async def test_the_keys_do_what_the_list_says(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    main_window.database_ready(main_window.context.database)
    await main_window.refresh()
    main_window.activateWindow()  # shortcuts reach the active window only (under Xvfb, nothing activates it)
    await until(main_window.isActiveWindow, what="the window to be active")
    qtbot.keyClick(main_window, Qt.Key.Key_2, CTRL)
    assert main_window.stack.currentWidget() is main_window.hosts_view
    qtbot.keyClick(main_window, Qt.Key.Key_F, CTRL)
    assert main_window.hosts_view.search.hasFocus()
    qtbot.keyClick(main_window, Qt.Key.Key_1, CTRL)
    qtbot.keyClick(main_window, Qt.Key.Key_F, CTRL)
    assert main_window.queue_view.search.hasFocus()

    # Open the selected ticket, then work on it with the keyboard only.
    queue = main_window.queue_view
    assert main_window.running is not None
    chosen = main_window.running.ticket_id  # the ticket the demo's engineer is working on
    queue.select_ticket(chosen)
    queue.rows.table.setFocus()
    qtbot.keyClick(queue.rows.table, Qt.Key.Key_Return)
    workspace = main_window.ticket_tabs.currentWidget()
    await workspace.reload_task
    assert workspace.ticket_id == chosen
    qtbot.keyClick(main_window, Qt.Key.Key_R, CTRL | SHIFT)
    assert workspace.pages.currentWidget() is workspace.report_page
    await workspace.report_task
    qtbot.keyClick(main_window, Qt.Key.Key_H, CTRL | SHIFT)
    assert workspace.pages.currentWidget() is workspace.remote_page
    await workspace.remote_hosts_task
    qtbot.keyClick(main_window, Qt.Key.Key_L, CTRL)
    assert workspace.remote_panel.command_box.line.hasFocus()
    qtbot.keyClick(main_window, Qt.Key.Key_N, CTRL)
    assert workspace.pages.currentIndex() == 0 and workspace.note_editor.hasFocus()
    qtbot.keyClicks(workspace.note_editor, "Written without the mouse")
    qtbot.keyClick(workspace.note_editor, Qt.Key.Key_Return, CTRL)
    await until(lambda: "Written without the mouse" in workspace.timeline.toPlainText(), what="the note")
    assert workspace.note_editor.toPlainText() == ""

    # The demo's engineer has an intervention running on this ticket: pause it and resume it.
    assert workspace.detail.open_intervention.state.value == "running"
    qtbot.keyClick(main_window, Qt.Key.Key_P, CTRL | SHIFT)
    await until(lambda: workspace.detail.open_intervention.state.value == "paused", what="the pause")
    await until(lambda: not workspace.busy)
    qtbot.keyClick(main_window, Qt.Key.Key_P, CTRL | SHIFT)
    await until(lambda: workspace.detail.open_intervention.state.value == "running", what="the resumption")
    await until(lambda: not workspace.busy)

    qtbot.keyClick(main_window, Qt.Key.Key_F1)
    dialog = main_window.findChild(ShortcutsDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.close()


def test_the_dialog_speaks_the_interfaces_language(qtbot, app_paths) -> None:  # type: ignore[no-untyped-def]
    from supportstation import i18n, paths

    from .conftest import make_context

    context = make_context(app_paths)
    context.language = i18n.install("fr")
    window = MainWindow(context, paths.resources() / "icons")
    qtbot.addWidget(window)
    window.show()
    dialog = window.open_shortcuts()
    assert dialog.windowTitle() == "Raccourcis clavier"
    texts = {row.text for row in dialog.rows}
    assert {"Affichage › File d'attente", "Écrire une note", "Ajouter la note", "Signer…", "Lancer la procédure",
            "Rechercher dans la file d'attente", "Exécuter l'action"} <= texts  # fmt: skip
    assert dialog.tree.topLevelItem(0).text(0) == "Fenêtre"
    shot(dialog, "shortcuts_dialog_fr")
    dialog.close()

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from supportstation import paths, settings
from supportstation.gui.main_window import MainWindow
from supportstation.storage.enums import TicketStatus

from .conftest import make_context


@pytest.mark.asyncio
async def test_the_queue_shows_open_demo_tickets_most_urgent_first(main_window: MainWindow, stall_probe) -> None:  # type: ignore[no-untyped-def]
    main_window.database_ready(main_window.context.database)
    await main_window.refresh()
    model = main_window.queue_view.model
    rows = [model.row_at(row) for row in range(model.rowCount())]
    assert len(rows) == 13  # the demo's 16 tickets less one resolved and two closed
    assert all(row.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED) for row in rows)
    from supportstation.tickets.queue import urgency_key

    keys = [urgency_key(row) for row in rows]
    assert keys == sorted(keys)
    from supportstation.gui.queue_model import QueueModel

    assert model.index(0, QueueModel.PRIORITY).data() == "P1"
    assert main_window.queue_view.rows.table.isVisible()
    assert main_window.hosts_view.model.rowCount() == 15
    assert "SQLite" in main_window.database_label.text()


def test_the_queue_model_passes_qt_model_checks(qtmodeltester, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    from supportstation.tickets.queue import load_queue

    with main_window.context.database.session() as session:
        main_window.queue_view.set_rows(load_queue(session))
    qtmodeltester.check(main_window.queue_view.model, force_py=True)


def test_navigation_by_menu_shortcuts(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    for row in range(len(main_window.views)):
        qtbot.keyClick(main_window, Qt.Key.Key_1 + row, Qt.KeyboardModifier.ControlModifier)
        assert main_window.stack.currentIndex() == row
    # The last view, the Plugins page, is built when first shown, and never blank.
    texts = [label.text() for label in main_window.stack.currentWidget().findChildren(QLabel)]
    assert any("Plugins" in text for text in texts)


def test_geometry_view_and_splitter_are_remembered(qtbot, demo_context) -> None:  # type: ignore[no-untyped-def]
    first = MainWindow(demo_context, paths.resources() / "icons")
    qtbot.addWidget(first)
    first.show()
    first.resize(760, 590)  # within the offscreen screen (800×800), which restoring clamps to
    first.show_view(1)
    first.splitter.setSizes([300, 460])
    remembered = first.splitter.sizes()
    assert remembered[0] > 220, "the navigation was widened from its default"
    first.close()
    second = MainWindow(demo_context, paths.resources() / "icons")
    qtbot.addWidget(second)
    second.show()
    assert (second.width(), second.height()) == (760, 590)
    assert second.stack.currentIndex() == 1
    assert second.splitter.sizes() == remembered


def test_a_failed_database_is_explained_in_the_views(qtbot, app_paths) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(make_context(app_paths), paths.resources() / "icons")
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window.data_loaded):
        window.database_failed("The database file /x is damaged.")
    assert "damaged" in window.queue_view.rows.message.text()
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    assert box.text() == "The database file /x is damaged."
    box.close()


def test_first_start_asks_for_the_profile_and_saves_it(qtbot, app_paths) -> None:  # type: ignore[no-untyped-def]
    context = make_context(app_paths, demo_data=False, profile=False)
    window = MainWindow(context, paths.resources() / "icons")
    qtbot.addWidget(window)
    window.show()
    dialog = window.greet()
    assert dialog is not None and dialog.isVisible()
    dialog.ui.nameEdit.setText("Léa Rousseau")
    dialog.ui.emailEdit.setText("not-an-email")
    dialog.ui.buttons.button(dialog.ui.buttons.StandardButton.Save).click()
    assert dialog.isVisible() and "valid e-mail" in dialog.ui.problem.text()
    dialog.ui.emailEdit.setText("lea.rousseau@exemple.fr")
    dialog.ui.buttons.button(dialog.ui.buttons.StandardButton.Save).click()
    assert context.settings.profile.name == "Léa Rousseau"
    saved = settings.load(app_paths.settings_file).settings
    assert saved.profile.email == "lea.rousseau@exemple.fr"
    assert window.greet() is None, "a complete profile is not asked again"


def test_demo_mode_offers_the_demo_engineer(qtbot, app_paths) -> None:  # type: ignore[no-untyped-def]
    window = MainWindow(make_context(app_paths, profile=False), paths.resources() / "icons")
    qtbot.addWidget(window)
    dialog = window.greet()
    assert dialog is not None and dialog.ui.nameEdit.text() == "Camille Martin"
    dialog.reject()


def test_settings_dialog_saves_company_details_and_language(qtbot, main_window: MainWindow, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from supportstation.gui.dialogs.settings_dialog import SettingsDialog

    def fill_and_accept(dialog: SettingsDialog) -> int:
        dialog.ui.companyNameEdit.setText("Atelier Numérique Services")
        dialog.ui.legalFooterEdit.setPlainText("SAS au capital de 10 000 € — RCS Lyon 123 456 789")
        dialog.ui.languageCombo.setCurrentIndex(dialog.ui.languageCombo.findData("fr"))
        return SettingsDialog.DialogCode.Accepted

    monkeypatch.setattr(SettingsDialog, "exec", fill_and_accept)
    monkeypatch.setattr(QMessageBox, "question", lambda *args: QMessageBox.StandardButton.No)
    main_window.open_settings()
    saved = settings.load(main_window.context.paths.settings_file).settings
    assert saved.company.name == "Atelier Numérique Services"
    assert saved.language == "fr"
    assert main_window.context.settings == saved
    assert saved.profile.name == "Camille Martin", "editing settings keeps the profile"


def test_about_lists_the_database_and_folders(main_window: MainWindow) -> None:
    from supportstation.gui.dialogs.about_dialog import AboutDialog

    dialog = AboutDialog(main_window.context, main_window)
    text = dialog.ui.details.toPlainText()
    assert str(main_window.context.paths.data) in text and "Qt 6.11" in text
    assert "0.1.0" in dialog.ui.version.text()


@pytest.mark.asyncio
async def test_refresh_reads_in_a_worker_thread(main_window: MainWindow, stall_probe) -> None:  # type: ignore[no-untyped-def]
    """The GUI thread keeps turning while the database is read: a slow read must not freeze it."""
    import threading

    from supportstation.tickets import queue

    original = queue.load_queue
    threads: list[str] = []

    def slow_load(session, **kwargs):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        import time

        time.sleep(1.5)
        return original(session, **kwargs)

    queue.load_queue = slow_load
    try:
        stall_probe.reset()
        await main_window.refresh()
    finally:
        queue.load_queue = original
    assert threads and threads[0] != threading.main_thread().name
    # A second and a half of blocking on the GUI thread would show up here in full; work in a thread does not.
    # The margin is wide so that a busy CI machine cannot fail this, only a real block can.
    assert stall_probe.longest_gap_ms < 1000
    assert stall_probe.ticks > 10
    await asyncio.sleep(0)

"""The window in French shows the first-party plugins' words in French: the action library's titles, categories,
descriptions and parameter labels, a parsed table's column headers and notes, and the question an action asks first.
They come from each plugin's own catalog (plugins/<name>/<package>/locale), not from the application's."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QLabel, QMessageBox

from supportstation import demo, i18n, paths, storage
from supportstation.gui.main_window import MainWindow
from supportstation.remote.results import Chunk, RunResult, RunState, Stream
from tests.gui.conftest import make_context, shot

DF_OUTPUT = (
    "Filesystem     Type     1-blocks        Used   Available Capacity Mounted on\n"
    "/dev/sda1      ext4  105088212992 99333120000  5755092992      95% /\n"
)


@pytest.fixture
def french_window(qtbot, app_paths: paths.AppPaths) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """The demo in a window opened in French, as `supportstation --lang fr` opens it."""
    context = make_context(app_paths)
    context.language = i18n.install("fr")
    database = storage.connect(context.database_choice.url, backups=app_paths.backups, create_missing=True)
    demo.populate(database)
    context.database = database
    window = MainWindow(context, paths.resources() / "icons")
    qtbot.addWidget(window)
    window.show()
    yield window
    database.close()


def tree_texts(library) -> tuple[set[str], set[str]]:  # type: ignore[no-untyped-def]
    """The categories and the action titles the library lists."""
    categories, titles = set(), set()
    for index in range(library.tree.topLevelItemCount()):
        category = library.tree.topLevelItem(index)
        categories.add(category.text(0))
        titles |= {category.child(child).text(0) for child in range(category.childCount())}
    return categories, titles


def form_labels(library) -> list[str]:  # type: ignore[no-untyped-def]
    layout = library.form.layout_
    labels = [layout.itemAt(row, QFormLayout.ItemRole.LabelRole) for row in range(layout.rowCount())]
    return [item.widget().text() for item in labels if item is not None and isinstance(item.widget(), QLabel)]


@pytest.mark.asyncio
async def test_the_action_library_shows_the_linux_actions_in_french(french_window: MainWindow) -> None:
    window = french_window
    window.database_ready(window.context.database)
    await window.refresh()
    host = next(host for host in window.remote_view.hosts if host.os_family == "linux")
    panel = window.act_on_hosts([host.host_id])
    library = panel.library

    categories, titles = tree_texts(library)
    assert {"Utilisation des disques", "Ports en écoute", "Services en échec", "Erreurs récentes du journal",
            "Mises à jour de paquets en attente", "Temps de fonctionnement et charge"} <= titles  # fmt: skip
    assert {"Stockage", "Réseau", "Journaux", "Système"} <= categories
    assert not titles & {"Disk usage", "Listening ports", "Failed services"}, "English left in the French window"

    assert library.select("linux.journal_errors")
    assert "journal systemd" in library.description.text()
    assert form_labels(library) == ["Nombre d'heures à remonter", "Nombre maximal d'entrées affichées"]
    library.form.fields["hours"].setText("beaucoup")
    library.run_button.click()  # refused before it runs: the label in the error is the plugin's French one too
    assert library.error.text().startswith("Nombre d'heures à remonter (hours)"), library.error.text()
    library.form.fields["hours"].clear()
    # Searching finds the action by its French words.
    library.search.setText("écoute")
    assert tree_texts(library)[1] == {"Ports en écoute"}
    library.search.clear()

    # A parsed table: French column headers and notes, from the plugin's catalog.
    action = next(action for action in panel.session.actions if action.id == "linux.disk_usage")
    result = RunResult(host.label, "df", datetime.now(UTC), state=RunState.SUCCEEDED, exit_code=0)
    result.output.append(Chunk(Stream.STDOUT, DF_OUTPUT.encode(), 0.0))
    assert await panel._show_table(action, result) is None
    model = panel.table.model
    headers = [model.headerData(column, Qt.Orientation.Horizontal) for column in range(model.columnCount())]
    assert headers[:3] == ["Point de montage", "Système de fichiers", "Type"]
    assert panel.table.notes.text() == "Au moins un système de fichiers est plein à 90 % ou plus."
    library.select("linux.disk_usage")
    shot(panel, "remote_panel_fr")


@pytest.mark.asyncio
async def test_an_action_asks_its_question_in_french(french_window: MainWindow, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from supportstation.gui.remote.action_confirmation import confirmed

    window = french_window
    await window.remote.load_actions()
    action = next(action for action in window.remote.actions if action.id == "cisco.set_access_vlan")
    asked: list[QMessageBox] = []

    async def answer(box: QMessageBox) -> QMessageBox.StandardButton:
        asked.append(box)
        return QMessageBox.StandardButton.No

    monkeypatch.setattr("supportstation.gui.remote.action_confirmation.answer", answer)
    assert not await confirmed(action, "sw-coeur", window, window.remote.plugin_text)
    assert asked[0].windowTitle() == "Passer un port dans un VLAN"
    assert asked[0].text().startswith("Passer ce port dans un autre VLAN sur le switch ?")
    await asyncio.sleep(0)


def test_a_report_section_is_written_in_the_reports_language() -> None:
    """The Cisco plugin's section, drafted for a French report while the interface is in English."""
    from supportstation.plugin_api import ReportContext, ReportRun
    from supportstation.plugins import PluginRegistry

    registry = PluginRegistry(user_folder=None, disabled=())
    registry.load()
    backup = "Building configuration...\n!\nvlan 10\n name USERS\n!\nend\n"
    runs = tuple(
        ReportRun("sw-coeur", "cisco.running_config", "show running-config", "succeeded", 0, None, output)
        for output in (backup, backup.replace("USERS", "CAMERAS"))
    )
    [(plugin, section)] = registry.report_sections(ReportContext("fr", "INC-1", runs))
    assert plugin == "cisco-ios"
    assert section.title == "Modifications de la configuration de sw-coeur"
    assert section.text.startswith("Différence entre la première sauvegarde")
    assert "--- sw-coeur (avant)" in section.code
    [(_plugin, english)] = registry.report_sections(ReportContext("en", "INC-1", runs))
    assert english.title == "Configuration changes on sw-coeur"


@pytest.mark.asyncio
async def test_the_procedure_editor_offers_the_plugins_actions_in_french(french_window: MainWindow) -> None:
    from tests.gui.test_procedure_editor import procedures_view

    window = french_window
    await window.refresh()  # the plugins load with the first reading
    view = await procedures_view(window)
    editor = view.new_procedure()
    editor.add_step("action")
    await editor.settled()
    page = editor.form.step_pages["action"]
    offered = [page.action_choice.combo.itemText(index) for index in range(page.action_choice.combo.count())]
    assert "Stockage › Utilisation des disques (linux.disk_usage)" in offered
    assert not [text for text in offered if "Disk usage" in text], "English left in the French editor"
    shown = window.remote.registry.find_action(page.action_choice.combo.currentData())
    description = page.arguments.description.text()  # the step's action, described in French
    assert description and description != shown.description
    assert description == window.remote.plugin_text(shown, shown.description)

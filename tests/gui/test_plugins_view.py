"""The Plugins page through the real main window: the installed plugins load and work while a broken one in the
user plugins folder shows its traceback; Disable and Enable are remembered for the next start; Install from folder
runs pip in a worker thread and says what happened."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFileDialog, QMessageBox

from supportstation import plugin_folders, settings
from supportstation.context import AppContext
from supportstation.gui.main_window import MainWindow
from supportstation.gui.views.plugins_view import PluginsView
from tests.gui.conftest import shot
from tests.gui.test_hosts_view import until
from tests.unit import plugin_samples

BROKEN = """\
SUPPORTSTATION_API = 1

import acme_vendor_sdk  # not installed on this laptop
"""


@pytest.fixture
def broken_plugin(demo_context: AppContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A plugin in the user plugins folder that cannot be imported (its vendor SDK is missing)."""
    folder = demo_context.paths.plugins_folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ssgui_acme_switch.py").write_text(BROKEN, encoding="utf-8")
    plugin_samples.write_distribution(
        folder, "acme-switch", "supportstation.plugins", {"acme-switch": "ssgui_acme_switch"}, version="2.0.1"
    )
    monkeypatch.setattr(sys, "path", list(sys.path))  # the window appends the user folder; not for later tests
    yield
    sys.modules.pop("ssgui_acme_switch", None)
    plugin_samples.forget_third_party()


async def plugins_page(window: MainWindow) -> PluginsView:
    row = next(row for row, (key, _title, _widget) in enumerate(window.views) if key == "plugins")
    window.show_view(row)
    await window.remote.load_actions()
    view = window.stack.currentWidget().ensure_built()  # type: ignore[attr-defined]
    assert isinstance(view, PluginsView)
    await until(lambda: len(view.plugins) >= 3)
    return view


@pytest.mark.asyncio
async def test_a_broken_plugin_shows_its_traceback_while_the_others_work(
    qtbot, main_window: MainWindow, broken_plugin: None
) -> None:  # type: ignore[no-untyped-def]
    view = await plugins_page(main_window)
    states = {plugin.name: str(plugin.state) for plugin in view.plugins}
    assert states["acme-switch"] == "failed"
    assert states["linux-diag"] == "loaded" and states["windows-diag"] == "loaded"
    # The others work: their actions reach the Remote page.
    assert {"linux.disk_usage", "windows.disk_space"} <= {action.id for action in main_window.remote.actions}

    row = next(row for row, plugin in enumerate(view.plugins) if plugin.name == "acme-switch")
    assert view.model.index(row, 2).data() == "user folder"
    assert view.model.index(row, 4).data() == "failed"
    assert "ModuleNotFoundError: No module named 'acme_vendor_sdk'" in view.model.index(row, 5).data()
    linux = next(row for row, plugin in enumerate(view.plugins) if plugin.name == "linux-diag")
    assert view.model.index(linux, 2).data() == "built-in"
    assert view.model.index(linux, 3).data().startswith("8 actions, 4 procedures, 0 transports, 1 fact collector")

    view.select_plugin("acme-switch")
    details = view.details.toPlainText()
    assert "Traceback (most recent call last)" in details and "ssgui_acme_switch.py" in details
    assert "Origin: user folder" in details and "acme-switch 2.0.1" in details
    assert view.details.isReadOnly()
    assert view.details.font().family() == QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont).family()
    assert view.disable_button.isEnabled() and not view.enable_button.isEnabled()
    shot(main_window, "plugins-broken")


@pytest.mark.asyncio
async def test_disable_and_enable_are_remembered_for_the_next_start(
    qtbot, main_window: MainWindow, broken_plugin: None
) -> None:  # type: ignore[no-untyped-def]
    view = await plugins_page(main_window)
    settings_file = main_window.context.paths.settings_file
    view.select_plugin("acme-switch")
    view.disable_button.click()
    assert settings.load(settings_file).settings.disabled_plugins == ["acme-switch"]
    assert "next start" in view.activity.text()
    row = next(row for row, plugin in enumerate(view.plugins) if plugin.name == "acme-switch")
    assert view.model.index(row, 4).data() == "failed; disabled from the next start"
    assert view.enable_button.isEnabled() and not view.disable_button.isEnabled()
    shot(main_window, "plugins-disabled")

    # The next start: the window's registry skips it without importing it.
    sys.modules.pop("ssgui_acme_switch", None)
    main_window.remote.actions = []
    await main_window.remote.load_actions()
    await until(lambda: any(p.name == "acme-switch" and p.state == "disabled" for p in view.plugins))
    assert "ssgui_acme_switch" not in sys.modules
    assert view.model.index(row, 4).data() == "disabled"

    view.select_plugin("acme-switch")
    view.enable_button.click()
    assert settings.load(settings_file).settings.disabled_plugins == []
    assert view.model.index(row, 4).data() == "disabled; enabled from the next start"


@pytest.mark.asyncio
async def test_install_from_folder_runs_pip_in_a_worker_thread(
    qtbot, main_window: MainWindow, broken_plugin: None, tmp_path: Path, stall_probe
) -> None:  # type: ignore[no-untyped-def]
    view = await plugins_page(main_window)
    project = plugin_samples.write_third_party_project(tmp_path / "acme-hello")
    task = view._run(view.choose_and_install())
    await until(lambda: isinstance(view.last_dialog, QFileDialog) and view.last_dialog.isVisible())
    dialog = view.last_dialog
    assert isinstance(dialog, QFileDialog)
    dialog.setDirectory(str(project))
    stall_probe.reset()
    dialog.accept()
    output = await task
    assert output is not None and "Successfully installed acme-hello-0.3.0" in output
    assert list(main_window.context.paths.plugins_folder.glob("acme_hello-0.3.0.dist-info"))
    assert "loaded from the next start" in view.activity.text()
    box = view.last_dialog
    assert isinstance(box, QMessageBox) and "acme-hello" in box.text()
    assert stall_probe.longest_gap_ms < 500  # pip takes about a second: the window went on meanwhile
    box.close()

    nothing = tmp_path / "empty"
    nothing.mkdir()
    assert await view.install_from(nothing) is None
    refused = view.last_dialog
    assert isinstance(refused, QMessageBox) and "neither a wheel" in refused.text()
    refused.close()


@pytest.mark.asyncio
async def test_a_bundled_app_says_to_copy_the_plugin_instead(
    qtbot, main_window: MainWindow, broken_plugin: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    view = await plugins_page(main_window)
    monkeypatch.setattr(plugin_folders, "pip_available", lambda: False)
    assert await view.install_from(tmp_path) is None
    box = view.last_dialog
    assert isinstance(box, QMessageBox) and "*.dist-info" in box.text()
    box.close()

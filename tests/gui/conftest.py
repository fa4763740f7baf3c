"""GUI tests: pytest-qt offscreen, async tests on the qasync loop, a main window over a demo database."""

from __future__ import annotations

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from supportstation import demo, paths, storage
from supportstation.context import AppContext, DatabaseChoice
from supportstation.gui.stall_probe import StallProbe
from supportstation.settings import EngineerProfile, Settings


def pytest_asyncio_loop_factories(config: pytest.Config, item: pytest.Item) -> dict:  # type: ignore[type-arg]
    return {"qasync": lambda: qasync.QEventLoop(QApplication.instance() or QApplication([]))}


@pytest.fixture
def stall_probe(qapp: QApplication):  # type: ignore[no-untyped-def]
    """Records the longest time the event loop went without running while the test ran."""
    probe = StallProbe(interval_ms=5)
    probe.start()
    yield probe
    probe.stop()


def make_context(app_paths: paths.AppPaths, *, demo_data: bool = True, profile: bool = True) -> AppContext:
    path = app_paths.demo_database_file
    path.parent.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    if profile:
        settings.profile = EngineerProfile(name="Camille Martin", email="camille.martin@exemple.fr")
    choice = DatabaseChoice(storage.sqlite_url(path), create_missing=True, demo=demo_data)
    return AppContext(app_paths, settings, choice, language="en")


@pytest.fixture
def demo_context(app_paths: paths.AppPaths):  # type: ignore[no-untyped-def]
    context = make_context(app_paths)
    database = storage.connect(context.database_choice.url, backups=app_paths.backups, create_missing=True)
    demo.populate(database)
    context.database = database
    yield context
    database.close()


@pytest.fixture
def main_window(qtbot, demo_context: AppContext):  # type: ignore[no-untyped-def]
    from supportstation.gui.main_window import MainWindow

    window = MainWindow(demo_context, paths.resources() / "icons")
    qtbot.addWidget(window)
    window.show()
    return window

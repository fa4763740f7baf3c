"""GUI tests: pytest-qt offscreen, async tests on the qasync loop, a main window over a demo database."""

from __future__ import annotations

import gc
from dataclasses import dataclass
from typing import Any

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
    """Records the longest time the event loop went without running while the test ran.

    What the earlier tests of the session left on the heap is set aside (gc.freeze) so that the collector's scans of
    it are not counted as this window's stalls; the app's own heap is a small part of what a full suite leaves.
    """
    gc.collect()
    gc.freeze()
    probe = StallProbe(interval_ms=5, where=True)
    probe.start()
    yield probe
    probe.stop()
    gc.unfreeze()


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


@dataclass
class RemoteLab:
    """A demo database whose ticket `ticket_id` lists hosts on the test sshd (`host_ids`: password login, key login)
    and one that nothing answers (`down_id`), with the password and key in an unlocked file vault."""

    window: Any
    ticket_id: int
    host_ids: list[int]
    down_id: int


@pytest.fixture
def remote_lab(qtbot, demo_context: AppContext, sshd, ssh_user) -> RemoteLab:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    from supportstation.gui.main_window import MainWindow
    from supportstation.storage.enums import CredentialKind
    from supportstation.storage.models import Client, CredentialRef, Host, Ticket
    from supportstation.vault import open_vault
    from supportstation.vault.crypto import ScryptParameters

    vault = open_vault(demo_context.paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock("lab master password")
    vault.store("lab/password", ssh_user.password)
    vault.store("lab/key", ssh_user.key.read_text())
    demo_context.vault = vault
    with demo_context.database.session() as session:
        ticket = session.scalars(select(Ticket).order_by(Ticket.id)).first()
        client = session.get(Client, ticket.client_id)
        password = CredentialRef(
            label="lab password", kind=CredentialKind.PASSWORD, username=ssh_user.name, vault_key="lab/password"
        )
        key = CredentialRef(label="lab key", kind=CredentialKind.SSH_KEY, username=ssh_user.name, vault_key="lab/key")
        hosts = [
            Host(
                client=client,
                name="lab-01",
                address="127.0.0.1",
                port=sshd.port,
                credential=password,
                tags=["lab", "linux"],
            ),
            Host(client=client, name="lab-02", address="localhost", port=sshd.port, credential=key, tags=["lab"]),
            Host(
                client=client,
                name="lab-down",
                address="127.0.0.1",
                port=_closed_port(),
                credential=password,
                tags=["lab"],
            ),
        ]
        session.add_all(hosts)
        ticket.hosts.extend(hosts)
        session.commit()
        ticket_id, ids = ticket.id, [host.id for host in hosts]
    window = MainWindow(demo_context, paths.resources() / "icons")
    qtbot.addWidget(window)
    window.show()
    return RemoteLab(window, ticket_id, ids[:2], ids[2])


def _closed_port() -> int:
    """A loopback port nothing listens on: bound, then released."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def shot(widget: Any, name: str) -> None:
    """Saves a PNG of the widget's window when SUPPORTSTATION_SHOTS names a folder: the screens a test reaches with
    real servers behind them, to look at (run under Xvfb with QT_QPA_PLATFORM=xcb to see them as users do)."""
    import os
    from pathlib import Path

    folder = os.environ.get("SUPPORTSTATION_SHOTS")
    if not folder:
        return
    import asyncio

    from PySide6.QtWidgets import QApplication

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        QApplication.processEvents()  # a test without an event loop: pending layouts and paints now
    # Inside an async test, the loop has run Qt's events at the test's last await; running them again here, inside
    # a task, makes qasync lose the wake-up of other tasks (which then hang).
    Path(folder).mkdir(parents=True, exist_ok=True)
    widget.window().grab().save(str(Path(folder) / f"{name}.png"))

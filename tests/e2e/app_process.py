"""The app's main window in a process of its own, driven by a script, for the test that kills it (kill_and_restart).

    python -m tests.e2e.app_process DATA_DIR work      opens the ticket, starts the intervention, adds a note and
                                                       streams a long command on the Linux host; prints STREAMING
                                                       once output arrives, then runs until killed
    python -m tests.e2e.app_process DATA_DIR restart   opens the same data again, reconnects to the host (which closes
                                                       the run the kill interrupted), prints what the window shows as
                                                       one JSON line, and exits

DATA_DIR holds the app's data folder and `e2e.json` (written by the test): the ticket, the host, the vault's password.
The window is the real MainWindow on the qasync loop, as `supportstation` runs it, offscreen.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Any

# Each line carries the remote clock's time when it was written: the test compares it with the instant of the kill.
STREAM = 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); echo "line $i $(date +%s.%N)"; sleep 0.02; done'
NOTE = "Constat : le service web ne répond plus depuis 8 h 40."


def main() -> int:
    import qasync
    from PySide6.QtWidgets import QApplication

    data, phase = Path(sys.argv[1]), sys.argv[2]
    setup = json.loads((data / "e2e.json").read_text(encoding="utf-8"))
    application = QApplication([sys.argv[0]])
    application.setQuitOnLastWindowClosed(False)
    with asyncio.Runner(loop_factory=lambda: qasync.QEventLoop(application)) as runner:
        return runner.run(_drive(data, phase, setup))


def _context(data: Path, setup: dict[str, Any]) -> Any:
    from supportstation import paths, storage
    from supportstation.context import AppContext, DatabaseChoice
    from supportstation.settings import EngineerProfile, Settings
    from supportstation.vault import open_vault
    from supportstation.vault.crypto import ScryptParameters

    app_paths = paths.under(data / "app")
    settings = Settings()
    settings.profile = EngineerProfile(name="Camille Martin", email="camille.martin@exemple.fr")
    url = storage.sqlite_url(app_paths.database_file)
    context = AppContext(app_paths, settings, DatabaseChoice(url, create_missing=False, demo=False), language="en")
    context.database = storage.connect(url, backups=app_paths.backups, create_missing=False)
    vault = open_vault(app_paths, backend="file", scrypt=ScryptParameters(n=2**10))
    vault.unlock(setup["vault_password"])
    context.vault = vault
    return context


async def _until(condition: Any, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError("the window did not get there in time")
        await asyncio.sleep(0.02)


async def _drive(data: Path, phase: str, setup: dict[str, Any]) -> int:
    from supportstation import paths
    from supportstation.gui.main_window import MainWindow

    context = _context(data, setup)
    window = MainWindow(context, paths.resources() / "icons")
    window.show()
    window.database_ready(context.database)
    await window.refresh()
    workspace = window.open_ticket(setup["ticket_id"])
    await workspace.reload_task
    await workspace.show_remote()
    await workspace.remote_hosts_task
    panel = workspace.remote_panel
    panel.select_host(setup["host_id"])

    if phase == "work":
        await workspace.start_intervention()
        workspace.note_editor.setPlainText(NOTE)
        await workspace.add_note()
        assert await panel.connect(), panel.banner.text()
        streaming = asyncio.ensure_future(panel.run(STREAM))
        await _until(lambda: "line 5 " in panel.output.plain_text())
        print("STREAMING", flush=True)
        await streaming  # the command outlasts the test, which kills the process first
        return 1

    # restart: connecting opens the vault, and with it the runs the kill left `running` are closed as interrupted.
    assert await panel.connect(), panel.banner.text()
    await _until(lambda: "stopped while the command ran" in workspace.timeline.toPlainText())
    await window.refresh()
    shown = {
        "timeline": workspace.timeline.toPlainText(),
        "intervention": window.intervention_label.text(),
        "status": workspace.detail.status.value,
    }
    print(json.dumps(shown, ensure_ascii=False), flush=True)
    await window.remote.close()
    window.close()
    context.database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The procedure runner in a ticket, driven through the real main window against the test sshd: a failed check
retried, a consent recorded, a step skipped with a reason, the app closed in the middle and the run resumed."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLineEdit

from supportstation.gui.main_window import MainWindow
from supportstation.gui.procedures import run_panel
from supportstation.paths import resources
from supportstation.procedures.engine import Need
from tests.gui.conftest import RemoteLab, shot
from tests.gui.test_remote_panel import trust, until

PROCEDURE = """\
# Written by the team: is the web service ready to restart?
id: lab.web-restart
title: {fr: Redémarrage du service web, en: Web service restart}
description: {fr: Vérifie le drapeau puis redémarre., en: Checks the flag then restarts.}
parameters:
  - {name: folder, type: string, label: {fr: Dossier, en: Folder}}
steps:
  - id: explain
    title: {fr: Prévenir le client, en: Tell the customer}
    instruction: {fr: "Prévenez le client que le site sera **coupé une minute**.",
                  en: "Tell the customer the site will be **down for a minute**."}
  - id: flag
    title: {fr: Drapeau prêt, en: Ready flag}
    run:
      sh: cat {folder}/flag
      expect: {stdout_matches: '^ready$'}
  - id: agree
    title: {fr: Accord du client, en: Customer consent}
    confirm: {text: {fr: Le client accepte la coupure, en: The customer agrees to the outage}}
  - id: restart
    title: {fr: Redémarrage, en: Restart}
    run: {sh: 'echo restarting web; exit 4'}
  - id: wrap-up
    note: {fr: Service redémarré., en: Service restarted.}
"""


@pytest.fixture
def flag_folder(ssh_folder: Path) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="gui-procedure-", dir=ssh_folder))
    folder.chmod(0o777)
    return folder


async def procedures_page(window: MainWindow, ticket_id: int):  # type: ignore[no-untyped-def]
    window.database_ready(window.context.database)
    await window.refresh()
    workspace = window.open_ticket(ticket_id)
    await workspace.reload_task
    await workspace.remote.load_actions()
    await workspace.show_procedures()
    return workspace, workspace.procedure_panel


def waiting_for(panel, need: Need, step: str):  # type: ignore[no-untyped-def]
    def check() -> bool:
        engine = panel.view.engine
        return (
            engine is not None
            and engine.waiting is not None
            and (engine.waiting.need, engine.waiting.step.id) == (need, step)
            and (panel.view.task is None or panel.view.task.done())
        )

    return check


@pytest.mark.asyncio
async def test_run_a_procedure_from_a_ticket_retry_consent_quit_resume_and_skip(  # type: ignore[no-untyped-def]
    remote_lab: RemoteLab, sshd, qtbot, flag_folder: Path
) -> None:
    trust(remote_lab, sshd)
    context = remote_lab.window.context
    context.paths.procedures_folder.mkdir(parents=True, exist_ok=True)
    (context.paths.procedures_folder / "lab.web-restart.yaml").write_text(PROCEDURE, encoding="utf-8")
    workspace, panel = await procedures_page(remote_lab.window, remote_lab.ticket_id)
    panel.choose("lab.web-restart")
    for box in panel.host_boxes.findChildren(QCheckBox):
        box.setChecked(box.property("host_label") == "lab-01")
    assert panel.chosen_hosts() == ["lab-01"]
    panel.parameters.fields["folder"].setText(str(flag_folder))
    await asyncio.sleep(0.1)
    shot(panel, "procedure_start")

    await panel.start()
    view = panel.view
    await until(waiting_for(panel, Need.ACKNOWLEDGE, "explain"), what="the instruction")
    assert "down for a minute" in view.text.toPlainText()
    await asyncio.sleep(0.1)
    shot(panel, "procedure_instruction")
    qtbot.mouseClick(view.acknowledge_button, Qt.MouseButton.LeftButton)

    await until(waiting_for(panel, Need.DECISION, "flag"), what="the failed check")
    assert "✘" in view.checks.text() and "stdout matches /^ready$/" in view.checks.text()
    assert "flag" in view.output.toPlainText()  # cat's error, live
    await asyncio.sleep(0.1)
    shot(panel, "procedure_failed_check")
    (flag_folder / "flag").write_text("ready\n")
    (flag_folder / "flag").chmod(0o644)
    qtbot.mouseClick(view.retry_button, Qt.MouseButton.LeftButton)

    await until(waiting_for(panel, Need.CONSENT, "agree"), what="the consent checkpoint")
    assert view.steps.item(1).text().startswith("✔")
    view.consent_who.setText("Marie Dupont")
    await asyncio.sleep(0.1)
    shot(panel, "procedure_consent")
    run_id = view.engine.run_id

    # The engineer quits the app while the customer reads: nothing is lost.
    await remote_lab.window.remote.close()
    remote_lab.window.close()
    run_panel._LIVE.clear()  # a new process knows no engine: the run is read back from the database
    window = MainWindow(context, resources() / "icons")
    qtbot.addWidget(window)
    window.show()
    workspace, panel = await procedures_page(window, remote_lab.ticket_id)
    rows = [panel.runs.item(row, 1).text() for row in range(panel.runs.rowCount())]
    assert rows == ["waiting"]
    panel.runs.selectRow(0)
    await asyncio.sleep(0.1)
    shot(panel, "procedure_runs_after_restart")
    assert panel.resume_button.isEnabled()
    await panel._open_selected()
    view = panel.view
    await until(waiting_for(panel, Need.CONSENT, "agree"), what="the consent after the restart")
    assert view.engine.run_id == run_id
    view.consent_who.setText("Marie Dupont")
    view.consent_initials.setText("M4")
    qtbot.mouseClick(view.consent_button, Qt.MouseButton.LeftButton)
    await until(lambda: "Initials" in view.message.text(), what="the refused initials")
    view.consent_initials.setText("MD")
    qtbot.mouseClick(view.consent_button, Qt.MouseButton.LeftButton)

    await until(waiting_for(panel, Need.DECISION, "restart"), what="the failed restart")
    assert "exit code was 4" in view.checks.text()
    qtbot.mouseClick(view.skip_button, Qt.MouseButton.LeftButton)
    await until(lambda: "reason" in view.message.text(), what="the reason asked for")
    view.findChild(QLineEdit, "skipReason").setText("The customer's own script; they fix it tomorrow.")
    qtbot.mouseClick(view.skip_button, Qt.MouseButton.LeftButton)
    await until(lambda: view.engine.state.finished, what="the end of the run")
    await asyncio.sleep(0.1)
    shot(panel, "procedure_completed")
    assert [view.steps.item(row).text()[0] for row in range(view.steps.count())] == ["✔", "✔", "✔", "↷", "✔"]
    assert view.state.text() == "completed — 4 passed, 0 failed, 1 skipped"

    await workspace.reload()
    workspace.pages.setCurrentIndex(0)
    await asyncio.sleep(0.1)
    shot(workspace, "procedure_timeline")
    workspace.pages.setCurrentIndex(2)
    timeline = workspace.timeline.toPlainText()
    assert "Procedure started: Web service restart on lab-01" in timeline
    assert "Procedure completed: Web service restart — 4 passed, 0 failed, 1 skipped" in timeline
    qtbot.mouseClick(panel.findChild(type(view.retry_button), "backToProcedures"), Qt.MouseButton.LeftButton)
    await panel.load_task
    panel.runs.selectRow(0)
    panel._review_selected()
    summary = panel.last_summary.findChild(type(view.text)).toPlainText()
    assert "Marie Dupont (MD) agreed: The customer agrees to the outage" in summary
    assert "The customer's own script" in summary
    await asyncio.sleep(0.1)
    shot(panel.last_summary, "procedure_summary")
    panel.last_summary.close()
    await window.remote.close()

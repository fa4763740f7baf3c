"""The demo's Windows server, played by the WinRM simulator: from the demo ticket, the engineer pins its certificate,
runs a Windows action and a PowerShell command, sends and fetches a file, and finds it all on the timeline and in the
audit log; the status bar says the host is a simulator."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from supportstation import demo_hosts
from supportstation.remote.results import RunState
from tests.gui.conftest import RemoteLab, shot
from tests.gui.test_remote_panel import ticket_panel, until

if not os.environ.get("CI"):  # on the CI machine the simulator must be there (tools/bootstrap installs it)
    pytest.importorskip("winrm_simulator", reason="tools/bootstrap --test installs simulators/")
    pytest.importorskip("supportstation_windows_diag", reason="tools/bootstrap installs plugins/windows-diag")


@pytest.fixture
def stand_ins(remote_lab: RemoteLab) -> Iterator[demo_hosts.StandIns]:
    context = remote_lab.window.context
    context.stand_ins = demo_hosts.start(context.paths, context.database)
    remote_lab.window.show_stand_ins(context.stand_ins)
    yield context.stand_ins
    context.stand_ins.stop()


@pytest.mark.asyncio
async def test_the_demo_windows_server_answers_like_a_windows_host(
    remote_lab: RemoteLab, stand_ins: demo_hosts.StandIns, tmp_path: Path
) -> None:
    from supportstation.gui.remote.transfer_list import TransferState
    from supportstation.gui.remote.transfer_panel import TransferPanel
    from supportstation.storage.models import AuditRecord, Host

    window = remote_lab.window
    context = window.context
    assert window.stand_ins_label.isVisibleTo(window) and "simulator" in window.stand_ins_label.text()
    assert "demo-tilleuls" in window.stand_ins_label.toolTip()
    with context.database.session() as session:
        host = session.scalars(select(Host).where(Host.name == demo_hosts.WINDOWS_HOST)).one()
        host_id, port = host.id, host.port
        assert host.address == "127.0.0.1" and "Simulateur WinRM" in host.notes
    assert not context.vault.exists(demo_hosts.LOGIN_SECRET)

    workspace, panel = await ticket_panel(remote_lab)
    panel.select_host(host_id)
    connecting = asyncio.ensure_future(panel.connect())
    await until(lambda: window.remote.last_key_dialog is not None, what="the certificate question")
    window.remote.last_key_dialog.always_button.click()
    assert await connecting, panel.banner.text()
    assert context.vault.exists(demo_hosts.LOGIN_SECRET)  # the demo password, offered since the vault had none
    assert f"127.0.0.1:{port}" in (context.paths.data / "winrm_certificates").read_text()

    assert panel.library.select("windows.stopped_auto_services")
    panel.library.run_button.click()
    await until(lambda: panel.last_result is not None and not panel.running, what="the action")
    assert panel.last_result.state is RunState.SUCCEEDED
    assert panel.table.model.rowCount() >= 3
    result = await panel.run("Get-Service")
    assert result is not None and result.state is RunState.SUCCEEDED, result and result.error
    assert "Spouleur d'impression" in panel.output.plain_text()
    marker = tmp_path / "ran"
    unknown = await panel.run(f"touch {marker}")  # answered as PowerShell would; nothing runs on the laptop
    assert unknown is not None and unknown.state is RunState.FAILED
    assert "is not recognized" in panel.output.plain_text() and not marker.exists()

    panel.pages.setCurrentWidget(panel.files_page)
    files = panel.files_page.layout().itemAt(0).widget()
    assert isinstance(files, TransferPanel)
    files.download_folder = tmp_path / "downloads"
    await files.start()
    await until(lambda: files.browser.folder is not None, what="the home folder")
    assert await files.browser.go_to(files.browser.folder.child("Desktop")) is not None, files.browser.error
    local = tmp_path / "procès-verbal.txt"
    local.write_text("Intervention du 23/11\n", encoding="utf-8")
    (upload,) = await files.upload([local])
    await files.settled()
    assert upload.state is TransferState.DONE, upload.message
    files.browser.select_names("lisez-moi.txt")
    (download,) = await files.download(files.browser.selected_entries())
    await files.settled()
    assert download.state is TransferState.DONE, download.message
    assert "simulateur" in (files.download_folder / "lisez-moi.txt").read_text(encoding="utf-8")
    await asyncio.sleep(0.1)
    shot(window, "demo_windows_server")

    await until(lambda: "srv-dossiers" in workspace.timeline.toPlainText(), what="the timeline")
    with context.database.session() as session:
        actions = session.scalars(select(AuditRecord.action)).all()
    assert any("Get-Service" in action for action in actions)
    assert any(action.startswith("upload ") for action in actions)
    assert any(action.startswith("download ") for action in actions)


def test_without_the_simulator_the_demo_opens_and_says_what_is_missing(
    demo_context, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    from supportstation.storage.models import Host

    monkeypatch.setitem(__import__("sys").modules, "winrm_simulator.demo", None)  # as if not installed
    stand_ins = demo_hosts.start(demo_context.paths, demo_context.database)
    try:  # the other stand-ins start or not: see test_demo_stand_ins.py
        assert "WinRM" in stand_ins.notice.partition("missing: ")[2]
        assert "tools/bootstrap" in stand_ins.missing["WinRM"] and "tools/bootstrap" in stand_ins.details
        assert demo_hosts.LOGIN_SECRET not in stand_ins.secrets
        with demo_context.database.session() as session:
            host = session.scalars(select(Host).where(Host.name == demo_hosts.WINDOWS_HOST)).one()
            assert host.address == "192.168.10.2"  # left as the demo has it
    finally:
        stand_ins.stop()


def test_the_demo_server_runs_nothing_on_the_laptop(tmp_path: Path) -> None:
    import winrm
    from winrm_simulator.demo import USER, demo_host

    simulator = demo_host(tmp_path, "pw")
    try:
        session = winrm.Session(
            simulator.url, auth=(USER, "pw"), transport="basic", ca_trust_path=str(tmp_path / "tls" / "ca.pem")
        )
        assert session.run_cmd("hostname").std_out == b"SRV-DOSSIERS\r\n"
        marker = tmp_path / "ran"
        refused = session.run_cmd(f"touch {marker}")
        assert refused.status_code == 1 and b"is not recognized" in refused.std_err
        assert not marker.exists()
    finally:
        simulator.stop()


@pytest.mark.asyncio
async def test_a_windows_procedure_runs_on_the_demo_server_from_the_ticket(
    remote_lab: RemoteLab, stand_ins: demo_hosts.StandIns
) -> None:
    from PySide6.QtWidgets import QCheckBox

    from supportstation.procedures.engine import Need
    from tests.gui.test_procedure_runner import procedures_page

    window = remote_lab.window
    _workspace, panel = await procedures_page(window, remote_lab.ticket_id)
    panel.choose("windows.update-status")
    for box in panel.host_boxes.findChildren(QCheckBox):
        box.setChecked(box.property("host_label") == demo_hosts.WINDOWS_HOST)
    starting = panel.start()
    await until(lambda: window.remote.last_key_dialog is not None, what="the certificate question")
    window.remote.last_key_dialog.always_button.click()
    await starting
    view = panel.view
    # The demo server has a failed update and a pending restart: the procedure finds both.
    await until(
        lambda: (
            view.engine is not None and view.engine.waiting is not None and not (view.task and not view.task.done())
        ),
        timeout=30,
        what="the first finding",
    )
    findings = []
    while view.engine.waiting is not None:
        waiting = view.engine.waiting
        findings.append((waiting.step.id, waiting.need))
        if waiting.need is Need.ACKNOWLEDGE:
            view.acknowledge_button.click()
        else:
            view.skip_reason.setText("Seen with the customer; planned for tonight.")
            view.skip_button.click()
        await until(lambda: view.task is not None and view.task.done(), timeout=30, what="the next step")
        await asyncio.sleep(0)
    assert view.engine.state.value == "completed"
    # The pending restart brings its instruction up, and the failed update is a failed check (the run goes on).
    assert ("restart_advice", Need.ACKNOWLEDGE) in findings
    assert any(record.state.value == "failed" for record in view.records.values())
    await asyncio.sleep(0.1)
    shot(window, "demo_windows_procedure")

"""A Windows host in the remote-action panel, against the WS-Management simulator (no Windows host can run here):
its certificate shown and pinned, a PowerShell command with live output, the run on the ticket's timeline, and files
browsed, uploaded and downloaded in the Files tab."""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportstation.remote.results import RunState
from tests.gui.conftest import RemoteLab, shot
from tests.gui.test_remote_panel import ticket_panel, until

if not os.environ.get("CI"):  # on the CI machine the simulator must be there (tools/bootstrap installs it)
    pytest.importorskip("winrm_simulator", reason="tools/bootstrap --test installs simulators/")
from winrm_simulator import Response, WinRMSimulator, make_cert_pair

WINDOWS_USER, WINDOWS_PASSWORD = "Administrateur", "W1ndows!"


@pytest.fixture
def windows(tmp_path: Path) -> Iterator[WinRMSimulator]:
    certs = make_cert_pair(tmp_path / "certs")
    (tmp_path / "drives" / "C" / "Users" / WINDOWS_USER / "Desktop").mkdir(parents=True)
    files = {"files_root": tmp_path / "drives"}
    with WinRMSimulator(users={WINDOWS_USER: WINDOWS_PASSWORD}, https=certs, **files) as simulator:
        yield simulator


def add_windows_host(lab: RemoteLab, simulator: WinRMSimulator) -> int:
    from supportstation.storage.enums import CredentialKind, HostTransport
    from supportstation.storage.models import CredentialRef, Host, Ticket

    context = lab.window.context
    context.vault.store("lab/windows", WINDOWS_PASSWORD)
    with context.database.session() as session:
        ticket = session.get(Ticket, lab.ticket_id)
        credential = CredentialRef(
            label="windows admin", kind=CredentialKind.PASSWORD, username=WINDOWS_USER, vault_key="lab/windows"
        )
        host = Host(
            client_id=ticket.client_id,
            name="srv-files",
            address="127.0.0.1",
            port=simulator.port,
            os_family="windows",
            transport=HostTransport.WINRM,
            credential=credential,
        )
        session.add(host)
        ticket.hosts.append(host)
        session.commit()
        return host.id


@pytest.mark.asyncio
async def test_a_windows_host_pinned_then_a_powershell_command_on_the_timeline(
    remote_lab: RemoteLab, windows: WinRMSimulator
) -> None:
    host_id = add_windows_host(remote_lab, windows)
    table = "Status  Name     DisplayName\r\n------  ----     -----------\r\nRunning Spooler  Spouleur d'impression\r\n"
    windows.powershell_responses[re.compile(r"Get-Service Spooler")] = Response(stdout=table)
    workspace, panel = await ticket_panel(remote_lab)
    panel.select_host(host_id)
    assert panel.command_box.isEnabled() and not panel.terminal_button.isEnabled()
    assert not panel.command_box.sudo.isEnabled()
    assert "PowerShell" in panel.command_box.line.placeholderText() and panel.command_box.prompt.text() == "PS>"

    connecting = asyncio.ensure_future(panel.connect())
    session = remote_lab.window.remote
    await until(lambda: session.last_key_dialog is not None, what="the certificate question")
    dialog = session.last_key_dialog
    shot(dialog, "winrm_certificate_dialog")
    der = ssl.PEM_cert_to_DER_cert(windows.https.cert.read_text())
    assert hashlib.sha256(der).hexdigest().upper()[:2] in dialog.fingerprint.text()
    assert dialog.windowTitle() == "Untrusted certificate" and dialog.refuse_button.isDefault()
    dialog.always_button.click()
    assert await connecting
    assert "connected" in panel.connection_label.text() and "winrm+https://" in panel.connection_label.text()

    result = await panel.run("Get-Service Spooler")
    assert result is not None and result.state is RunState.SUCCEEDED, result and result.error
    assert "Spouleur d'impression" in panel.output.plain_text()
    assert "Get-Service Spooler" in windows.powershell_scripts[-1]
    shot(panel, "winrm_powershell_command")
    await until(lambda: "srv-files $ Get-Service Spooler" in workspace.timeline.toPlainText(), what="the timeline")
    assert "TLS certificate" in workspace.timeline.toPlainText()  # the pinned certificate, as evidence
    assert windows.open_shells == 0

    # A windows-diag action, when the plugin is installed: its JSON shown as a table.
    if not panel.library.select("windows.disk_space"):
        pytest.skip("install plugins/windows-diag (tools/bootstrap does)")
    disks = (Path(__file__).parents[1] / "data" / "windows_diag" / "disks.array.null_label.ps51.json").read_text()
    windows.powershell_responses[re.compile(r"Win32_LogicalDisk")] = Response(stdout=disks)
    panel.last_result = None
    panel.library.run_button.click()
    await until(lambda: panel.last_result is not None and not panel.running, what="the action")
    assert panel.last_result.state is RunState.SUCCEEDED
    assert panel.results.isTabEnabled(1) and panel.table.model.rowCount() == 3
    shot(panel, "winrm_action_table")


@pytest.mark.asyncio
async def test_a_failed_windows_connection_is_explained_by_the_diagnostics(
    remote_lab: RemoteLab, windows: WinRMSimulator
) -> None:
    host_id = add_windows_host(remote_lab, windows)
    remote_lab.window.context.vault.store("lab/windows", "not the password")
    pinned = hashlib.sha256(ssl.PEM_cert_to_DER_cert(windows.https.cert.read_text())).hexdigest()
    (remote_lab.window.context.paths.data / "winrm_certificates").write_text(f"127.0.0.1:{windows.port} {pinned}\n")
    _workspace, panel = await ticket_panel(remote_lab)
    panel.select_host(host_id)
    assert not await panel.connect()
    assert "wrong user name or password" in panel.banner.text() and panel.diagnose_button.isVisibleTo(panel)
    steps = await panel.diagnose()
    assert [step.state.value for step in steps] == ["ok", "ok", "ok", "ok", "failed"]
    assert "LocalAccountTokenFilterPolicy" in panel.banner.text() and "Pinned" in panel.banner.text()
    await asyncio.sleep(0.1)  # the banner grows at the next layout pass
    shot(panel, "winrm_diagnosis")


@pytest.mark.asyncio
async def test_the_files_tab_browses_uploads_and_downloads_on_a_windows_host(
    remote_lab: RemoteLab, windows: WinRMSimulator, tmp_path: Path
) -> None:
    from supportstation.gui.remote.transfer_list import TransferState
    from supportstation.gui.remote.transfer_panel import TransferPanel

    host_id = add_windows_host(remote_lab, windows)
    pinned = hashlib.sha256(ssl.PEM_cert_to_DER_cert(windows.https.cert.read_text())).hexdigest()
    (remote_lab.window.context.paths.data / "winrm_certificates").write_text(f"127.0.0.1:{windows.port} {pinned}\n")
    home = tmp_path / "drives" / "C" / "Users" / WINDOWS_USER
    (home / "Desktop" / "rapport-disque.txt").write_text("C: 7 % libre\r\n", encoding="utf-8")
    (home / "NTUSER.DAT").write_bytes(b"\0" * 4096)
    _workspace, panel = await ticket_panel(remote_lab)
    panel.select_host(host_id)
    panel.pages.setCurrentWidget(panel.files_page)
    files = panel.files_page.layout().itemAt(0).widget()
    assert isinstance(files, TransferPanel)
    files.download_folder = tmp_path / "downloads"
    await files.start()
    browser = files.browser
    await until(lambda: browser.folder is not None, what="the home folder listing")
    assert browser.folder.path == f"C:\\Users\\{WINDOWS_USER}" and "C:\\" in browser.path_edit.placeholderText()
    assert await browser.go_to(browser.folder.child("Desktop")) is not None, browser.error
    assert browser.up_button.isEnabled()

    local = tmp_path / "collecte.ps1"
    local.write_bytes(os.urandom(400_000))
    (upload,) = await files.upload([local])
    await files.settled()
    assert upload.state is TransferState.DONE, upload.message
    assert (home / "Desktop" / "collecte.ps1").read_bytes() == local.read_bytes()
    browser.select_names("rapport-disque.txt")
    (download,) = await files.download(browser.selected_entries())
    await files.settled()
    assert download.state is TransferState.DONE, download.message
    assert (files.download_folder / "rapport-disque.txt").read_bytes() == b"C: 7 % libre\r\n"
    await asyncio.sleep(0.1)
    shot(panel, "winrm_files_tab")
    assert windows.open_shells == 0

"""The hosts view through the real main window: browsing by client and site, searching, adding a host with a new
credential (secret in the vault), editing by double-click, removing, importing with a preview, and the signals the
remote panels listen to."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDialog, QMessageBox
from sqlalchemy import select, text

from supportstation.gui.main_window import MainWindow
from supportstation.gui.views.hosts_view import HostsView
from supportstation.remote.host_import import EntryStatus
from supportstation.storage.models import CredentialRef, Host
from supportstation.vault import open_vault
from supportstation.vault.crypto import ScryptParameters
from tests.conftest import ROOT
from tests.gui.conftest import shot

DATA = ROOT / "tests" / "data" / "hosts"
SECRET = "S3cret-du-test-GUI"


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Lets the qasync loop run (dialogs open, worker threads finish) until the condition holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        await asyncio.sleep(0.02)


def signals(signal: SignalInstance) -> list[tuple[object, ...]]:
    """The emissions of a signal, collected without a nested event loop (qtbot.waitSignal would block qasync)."""
    received: list[tuple[object, ...]] = []
    signal.connect(lambda *arguments: received.append(arguments))
    return received


async def loaded(window: MainWindow) -> HostsView:
    window.database_ready(window.context.database)
    await window.refresh()
    return window.hosts_view


async def refreshed(window: MainWindow) -> None:
    await until(lambda: getattr(window, "_refresh_task", None) is not None)
    await window._refresh_task


def row_of(view: HostsView, name: str) -> int:
    return next(row for row in range(view.model.rowCount()) if view.model.row_at(row).name == name)


@pytest.mark.asyncio
async def test_browse_by_client_and_site_search_and_ask_for_remote_work(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = await loaded(main_window)
    assert view.model.rowCount() == 15 and view.summary.text() == "15 of 15 hosts"
    main_window.navigation.setCurrentRow(1)
    await asyncio.sleep(0.05)  # the page's layout, then the shot
    shot(view, "hosts_view")
    root = view.scopes.topLevelItem(0)
    assert root.text(0) == "All clients (15)" and root.childCount() == 5
    mairie = next(root.child(i) for i in range(root.childCount()) if root.child(i).text(0).startswith("Mairie"))
    view.scopes.setCurrentItem(mairie)
    assert {view.model.row_at(r).client for r in range(view.model.rowCount())} == {mairie.toolTip(0)}
    school = next(mairie.child(i) for i in range(mairie.childCount()) if "École" in mairie.child(i).text(0))
    view.scopes.setCurrentItem(school)
    assert [view.model.row_at(r).name for r in range(view.model.rowCount())] == ["pc-direction-ecole"]

    view.scopes.setCurrentItem(root)
    view.search.setText("cisco réseau")  # every word must match, in any column (system, tags…)
    assert sorted(view.model.row_at(r).name for r in range(view.model.rowCount())) == ["sw-atelier", "sw-coeur"]
    view.search.setText("sauvegarde")  # a note or a tag
    assert {view.model.row_at(r).name for r in range(view.model.rowCount())} == {"srv-lemaire-01", "nas-tilleuls"}
    assert view.model.data(view.model.index(row_of(view, "nas-tilleuls"), 9)).startswith("DSM 7.2")
    view.search.setText("nothing like this")
    assert view.rows.message.text() == "No host matches the search."
    assert not view.test_action.isEnabled() and not view.edit_action.isEnabled()

    view.search.clear()
    wanted = [view.model.row_at(row_of(view, name)).host_id for name in ("srv-mairie", "sw-coeur")]
    view.select_hosts(wanted)
    assert view.test_action.isEnabled() and view.remove_action.isEnabled() and not view.edit_action.isEnabled()
    tested, acted = signals(view.test_connection_requested), signals(view.act_requested)
    view.test_action.trigger()
    view.act_action.trigger()
    assert [sorted(ids) for (ids,) in tested] == [sorted(wanted)] and [sorted(ids) for (ids,) in acted] == [
        sorted(wanted)
    ]
    # A refresh keeps the search, the chosen client and the selection.
    view.search.setText("mairie")
    await main_window.refresh()
    assert view.search.text() == "mairie" and sorted(view.selected_host_ids()) == sorted(wanted)


@pytest.mark.asyncio
async def test_add_a_host_with_a_new_credential(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    context = main_window.context
    context.vault = open_vault(context.paths, backend="file", scrypt=ScryptParameters(n=2**10))
    context.vault.unlock("vault password")
    view = await loaded(main_window)
    adding = asyncio.ensure_future(view.add_host())
    await until(lambda: getattr(view, "host_dialog", None) is not None and view.host_dialog.isVisible())
    dialog = view.host_dialog
    dialog.name_edit.setText("srv-sauvegarde")
    dialog.address_edit.setText("admin@10.10.1.20")  # a typical slip: the user belongs in the login field
    dialog.client_box.setCurrentText("Boulangeries Lemaire SARL")
    assert dialog.site_box.findText("Siège — Lyon 3e") >= 0  # the client's sites are offered
    dialog.site_box.setCurrentText("Nouvelle réserve")
    dialog.tags_edit.setText("serveur, sauvegarde")
    await dialog.save()
    assert dialog.isVisible() and "login field" in dialog.problems.text()
    assert "#c62828" in dialog.forms[1].labelForField(dialog.address_edit).styleSheet()
    dialog.address_edit.setText("10.10.1.20")
    dialog.login_edit.setText("admin")

    new = dialog.credential_box.findData("new")
    dialog.credential_box.setCurrentIndex(new)
    dialog.credential_box.activated.emit(new)
    await until(lambda: getattr(dialog, "credential_dialog", None) is not None and dialog.credential_dialog.isVisible())
    credential = dialog.credential_dialog
    assert not credential.key_row.isVisible() and credential.secret_edit.isVisible()
    credential.label_edit.setText("Lemaire — sauvegarde")
    credential.username_edit.setText("backup")
    credential.secret_edit.setText(SECRET)
    await credential.save()
    assert not credential.isVisible() and credential.secret_edit.text() == ""
    await until(lambda: dialog.credential_box.currentText().startswith("Lemaire — sauvegarde"))

    changed = signals(view.changed)
    await dialog.save()
    host_id = await adding
    assert changed == [()]
    assert host_id is not None and not dialog.isVisible()
    with context.database.session() as session:
        host = session.get(Host, host_id)
        assert (host.address, host.login_user, host.site.name, host.tags) == ("10.10.1.20", "admin",
                                                                              "Nouvelle réserve",
                                                                              ["serveur", "sauvegarde"])  # fmt: skip
        ref = session.scalar(select(CredentialRef).where(CredentialRef.label == "Lemaire — sauvegarde"))
        assert host.credential_ref_id == ref.id and ref.username == "backup"
        assert all(SECRET not in str(value) for row in session.execute(text("SELECT * FROM credential_ref"))
                   for value in row)  # fmt: skip
    assert context.vault.load_text(ref.vault_key) == SECRET
    await refreshed(main_window)
    assert "srv-sauvegarde" in [view.model.row_at(r).name for r in range(view.model.rowCount())]


@pytest.mark.asyncio
async def test_edit_by_double_click_then_remove_several(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = await loaded(main_window)
    index = view.model.index(row_of(view, "srv-tms"), 0)
    view.rows.table.selectRow(index.row())
    view.rows.table.doubleClicked.emit(index)
    view.rows.table.activated.emit(index)  # what Qt emits too on a double-click: still one form
    await until(lambda: getattr(view, "host_dialog", None) is not None and view.host_dialog.isVisible())
    dialog = view.host_dialog
    await asyncio.sleep(0.2)
    assert view.host_dialog is dialog and len(view.findChildren(QDialog)) == 1
    assert dialog.name_edit.text() == "srv-tms" and dialog.windowTitle() == "Edit the host srv-tms"
    dialog.notes_edit.setPlainText("Onduleur remplacé en mars.")
    dialog.port_spin.setValue(2222)
    await dialog.save()
    await refreshed(main_window)
    edited = view.model.row_at(row_of(view, "srv-tms"))
    assert (edited.notes, edited.endpoint) == ("Onduleur remplacé en mars.", "10.50.0.20:2222")

    doomed = [view.model.row_at(row_of(view, name)).host_id for name in ("srv-tms", "ilo-srv-tms")]
    view.select_hosts(doomed)
    removing = asyncio.ensure_future(view.remove_hosts())
    await until(lambda: getattr(view, "remove_box", None) is not None and view.remove_box.isVisible())
    box = view.remove_box
    assert "these 2 hosts" in box.text() and "tickets name these hosts" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert await removing == 0
    removing = asyncio.ensure_future(view.remove_hosts())
    await until(lambda: view.remove_box is not box and view.remove_box.isVisible())
    next(button for button in view.remove_box.buttons() if button.text() == "Remove").click()
    assert await removing == 2
    await refreshed(main_window)
    names = [view.model.row_at(r).name for r in range(view.model.rowCount())]
    assert "srv-tms" not in names and "ilo-srv-tms" not in names and len(names) == 13


@pytest.mark.asyncio
async def test_import_with_a_preview_then_import(qtbot, main_window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    view = await loaded(main_window)
    importing = asyncio.ensure_future(view.import_hosts())
    await until(lambda: getattr(view, "import_dialog", None) is not None and view.import_dialog.isVisible())
    dialog = view.import_dialog

    await dialog.open_file(DATA / "malformed" / "undefined_child.ini")
    assert "cannot be imported" in dialog.summary.text() and "line 6" in dialog.summary.text()
    assert not dialog.import_button.isEnabled() and dialog.model.rowCount() == 0

    await dialog.open_file(DATA / "ansible" / "hosts.ini")
    assert dialog.detected.text() == "Read as: Ansible inventory (INI)"
    assert all(dialog.model.row_at(r).status is EntryStatus.ERROR for r in range(dialog.model.rowCount()))
    assert "No client" in dialog.model.row_at(0).details
    dialog.client_box.setCurrentText("Mairie de Saint-Genis")
    await until(lambda: dialog.plan is not None and dialog.plan.entries[0].client == "Mairie de Saint-Genis")
    await until(lambda: dialog.task is not None and dialog.task.done())
    statuses = [dialog.model.row_at(r).status for r in range(dialog.model.rowCount())]
    assert statuses.count(EntryStatus.NEW) == 14 and statuses.count(EntryStatus.ERROR) == 1
    refused = next(dialog.model.row_at(r) for r in range(dialog.model.rowCount())
                   if dialog.model.row_at(r).status is EntryStatus.ERROR)  # fmt: skip
    row = [dialog.model.row_at(r) for r in range(dialog.model.rowCount())].index(refused)
    assert dialog.model.data(dialog.model.index(row, 0)) == "Refused"
    assert dialog.model.data(dialog.model.index(row, 1)) == "69"
    assert "Jinja" in dialog.model.data(dialog.model.index(row, 6))
    assert dialog.import_button.text() == "Import 14 hosts"
    shot(dialog, "hosts_import_preview")

    changed = signals(view.changed)
    result = await dialog.run_import()
    assert changed == [()]  # at once, so the inventory behind the dialog shows the new hosts
    assert result is not None and result.count(EntryStatus.NEW) == 14
    assert dialog.model.data(dialog.model.index(0, 0)) == "Added" and not dialog.import_button.isEnabled()
    dialog.reject()
    assert (await importing) is result
    await refreshed(main_window)
    root = view.scopes.topLevelItem(0)
    assert root.text(0) == "All clients (29)"
    assert any(root.child(i).text(0) == "Mairie de Saint-Genis (14)" for i in range(root.childCount()))


@pytest.mark.asyncio
async def test_credential_dialog_checks_the_key_file(qtbot, main_window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from supportstation.gui.dialogs.credential_dialog import CredentialDialog
    from supportstation.storage.enums import CredentialKind

    context = main_window.context
    context.vault = open_vault(context.paths, backend="file", scrypt=ScryptParameters(n=2**10))
    context.vault.unlock("vault password")
    dialog = CredentialDialog(context, None, main_window)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData(CredentialKind.SSH_KEY))
    assert dialog.key_row.isVisible() and not dialog.secret_edit.isVisible()
    public = tmp_path / "id_ed25519.pub"
    public.write_text("ssh-ed25519 AAAA test\n", encoding="utf-8")
    dialog.label_edit.setText("Clé")
    dialog.key_edit.setText(str(public))
    assert await dialog.save() is False
    assert "public key" in dialog.problem.text() and dialog.result() != QDialog.DialogCode.Accepted
    assert context.vault.keys() == []
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData(CredentialKind.SSH_AGENT))
    assert dialog.agent_note.isVisible() and not dialog.key_row.isVisible()
    assert await dialog.save() is True and dialog.credential_id is not None
    assert context.vault.keys() == []  # an agent credential has no secret to keep

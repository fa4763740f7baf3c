"""Switches, BMCs and the plugins' own panels in the remote panel, on the demo's ticket about the camera VLAN:
the device host speaks its plugin's language, an action that changes the switch asks first, and a plugin's panel
opens in a tab of its own (a broken one says why and disables its plugin)."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterator

import pytest
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox
from sqlalchemy import select

from supportstation.context import AppContext
from supportstation.storage.models import Ticket
from tests.gui.conftest import shot
from tests.unit import plugin_samples

PANELS_PLUGIN = """
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget

from supportstation.plugin_api import Panel, hookimpl

SUPPORTSTATION_API = 1


@hookimpl
def supportstation_panels():
    return [
        Panel(id="acme.port_map", title="Port map", factory="ssgui_acme_panels:port_map", os_families=("network",)),
        Panel(id="acme.broken", title="Broken map", factory="ssgui_acme_panels:missing", os_families=("network",)),
        Panel(id="acme.sensors", title="Sensors", factory="ssgui_acme_panels:port_map", os_families=("bmc",)),
    ]


def port_map(context):
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addWidget(QLabel(f"Ports of {context.host} ({context.vendor})"))
    button = QPushButton("Show VLANs")
    button.clicked.connect(lambda: context.run_action("cisco.vlans", {}))
    layout.addWidget(button)
    page.setObjectName("acme-port-map")
    return page
"""


async def until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the condition")
        await asyncio.sleep(0.02)


@pytest.fixture
def panels_plugin(demo_context: AppContext, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    folder = demo_context.paths.plugins_folder
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "ssgui_acme_panels.py").write_text(PANELS_PLUGIN, encoding="utf-8")
    plugin_samples.write_distribution(
        folder, "acme-panels", "supportstation.plugins", {"acme-panels": "ssgui_acme_panels"}
    )
    monkeypatch.setattr(sys, "path", list(sys.path))  # the window appends the user folder; not for later tests
    yield
    sys.modules.pop("ssgui_acme_panels", None)


async def camera_ticket_panel(window):  # type: ignore[no-untyped-def]
    window.database_ready(window.context.database)
    await window.refresh()
    with window.context.database.session() as session:
        ticket_id = session.scalar(select(Ticket.id).where(Ticket.title.like("VLAN des caméras%")))
    workspace = window.open_ticket(ticket_id)
    await workspace.reload_task
    await workspace.show_remote()
    await workspace.remote_hosts_task
    return workspace.remote_panel


def question_box() -> QMessageBox | None:
    return next((widget for widget in QApplication.topLevelWidgets()
                 if isinstance(widget, QMessageBox) and widget.objectName() == "action-confirmation"
                 and widget.isVisible()), None)  # fmt: skip


@pytest.mark.asyncio
async def test_a_switch_speaks_its_plugins_language_and_a_change_asks_first(qtbot, main_window) -> None:  # type: ignore[no-untyped-def]
    panel = await camera_ticket_panel(main_window)
    switch = next(host for host in panel.hosts if host.label == "sw-coeur")
    bmc = next(host for host in panel.hosts if host.label == "idrac-srv-mairie")
    assert (switch.target.shell, bmc.target.shell) == ("ios", "redfish")
    panel.select_host(switch.host_id)
    assert panel.command_box.isEnabled() and panel.command_box.prompt.text() == ">"
    assert "cisco-ios://" in panel.connection_label.text()
    assert panel.library.select("cisco.set_vlan_name") and not panel.library.select("linux.disk_usage")
    action = next(action for action in panel.session.actions if action.id == "cisco.set_vlan_name")
    panel._action_requested(action, {"vlan_id": 140, "name": "CAMERAS"})
    await until(lambda: question_box() is not None)
    box = question_box()
    assert box is not None and box.text() == "Change the VLAN on the switch?"
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.No)
    assert "sw-coeur" in box.informativeText()
    shot(box, "plugin_action_confirmation")
    box.button(QMessageBox.StandardButton.No).click()
    await until(lambda: "not run" in panel.run_label.text())
    assert panel.last_result is None  # nothing was sent to the switch
    panel.select_host(bmc.host_id)
    assert panel.library.select("redfish.health")
    shot(panel, "remote_panel_bmc")


@pytest.mark.asyncio
async def test_a_plugins_panel_opens_for_its_kind_of_host_and_a_broken_one_says_why(
    qtbot, main_window, panels_plugin: None
) -> None:  # type: ignore[no-untyped-def]
    panel = await camera_ticket_panel(main_window)
    switch = next(host for host in panel.hosts if host.label == "sw-coeur")
    bmc = next(host for host in panel.hosts if host.label == "idrac-srv-mairie")
    panel.select_host(switch.host_id)
    titles = [item.text() for item in panel.plugin_tools.menu().actions()]
    assert titles == ["Port map", "Broken map"] and not panel.plugin_tools.isHidden()
    panel.select_host(bmc.host_id)
    assert [item.text() for item in panel.plugin_tools.menu().actions()] == ["Sensors"]
    panel.select_host(switch.host_id)

    opened = panel.open_plugin_panel(next(p for p in panel.session.registry.panels() if p.id == "acme.port_map"))
    assert opened is not None and panel.pages.currentWidget() is opened
    assert panel.pages.tabText(panel.pages.currentIndex()) == "Port map — sw-coeur"
    assert opened.findChild(QLabel).text() == "Ports of sw-coeur (cisco)"
    shot(panel, "plugin_panel_port_map")

    broken = next(p for p in panel.session.registry.panels() if p.id == "acme.broken")
    assert panel.open_plugin_panel(broken) is None
    failed = next(p for p in panel.session.registry.all_plugins() if p.name == "acme-panels")
    assert str(failed.state) == "failed" and "missing" in failed.error and "AttributeError" in failed.traceback
    # Its plugin disabled, its panels are gone from the menu; the first-party plugins carry on.
    assert panel.plugin_tools.isHidden()
    assert panel.library.select("cisco.running_config")

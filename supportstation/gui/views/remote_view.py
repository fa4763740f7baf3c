"""The Remote page of the window: acting on hosts outside any ticket — one tab per host opened from the inventory,
and the fan-out tab for many hosts at once."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QTabWidget, QVBoxLayout, QWidget

from supportstation.i18n import _

from ..remote.fanout_view import FanOutView
from ..remote.remote_panel import RemotePanel
from ..remote.session import RemoteSession

if TYPE_CHECKING:
    from supportstation.plugin_api.actions import Action
    from supportstation.remote.host_targets import HostTarget


class RemoteView(QWidget):
    def __init__(self, session: RemoteSession, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumWidth(400)  # its parts shrink or scroll: the window must fit a small laptop screen
        self.session = session
        self.hosts: list[HostTarget] = []
        self.actions: list[Action] = []
        self.last_test_box: QMessageBox | None = None
        self.fan_out = FanOutView(session)
        self.tabs = QTabWidget()
        self.tabs.setObjectName("remoteTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setTabsClosable(True)
        self.tabs.addTab(self.fan_out, _("Several hosts"))
        self.tabs.tabBar().setTabButton(0, self.tabs.tabBar().ButtonPosition.RightSide, None)
        self.tabs.tabCloseRequested.connect(self._close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.tabs)

    def set_hosts(self, hosts: Sequence[HostTarget]) -> None:
        self.hosts = list(hosts)
        self.fan_out.set_hosts(self.hosts)
        for panel in self.panels():
            known = [host for host in self.hosts if host.host_id in {h.host_id for h in panel.hosts}]
            panel.set_hosts(known)

    def set_actions(self, actions: Sequence[Action]) -> None:
        self.actions = list(actions)
        self.fan_out.library.set_actions(self.actions)
        for panel in self.panels():
            panel.library.set_actions(self.actions)

    def panels(self) -> list[RemotePanel]:
        return [w for i in range(self.tabs.count()) if isinstance(w := self.tabs.widget(i), RemotePanel)]

    def open_hosts(self, host_ids: Sequence[int]) -> QWidget | None:
        """One host: its own panel (reused when open). Several: the fan-out tab with them checked."""
        chosen = [host for host in self.hosts if host.host_id in set(host_ids)]
        if not chosen:
            return None
        if len(chosen) > 1:
            self.fan_out.picker.check({host.host_id for host in chosen})
            self.tabs.setCurrentWidget(self.fan_out)
            return self.fan_out
        host = chosen[0]
        panel = next((p for p in self.panels() if p.hosts and p.hosts[0].host_id == host.host_id), None)
        if panel is None:
            panel = RemotePanel(self.session, [host], actions=self.actions)
            self.tabs.addTab(panel, host.label)
        self.tabs.setCurrentWidget(panel)
        return panel

    async def test_connections(self, host_ids: Sequence[int]) -> dict[str, str]:
        """Connects to each host (asking about unknown keys) and tells, per host, whether it worked and why not."""
        from supportstation.remote.results import ConnectError

        outcomes: dict[str, str] = {}
        for host in [host for host in self.hosts if host.host_id in set(host_ids)]:
            if host.transport != "ssh":
                outcomes[host.label] = _("not tested: {transport} is not handled yet").format(transport=host.transport)
                continue
            try:
                connection = await self.session.connection(host.target)
            except ConnectError as error:
                outcomes[host.label] = str(error)
            else:
                outcomes[host.label] = _("connected (host key {fingerprint})").format(
                    fingerprint=connection.fingerprint
                )
        box = QMessageBox(
            QMessageBox.Icon.Information,
            _("Connection test"),
            "\n\n".join(f"{label}: {outcome}" for label, outcome in outcomes.items()) or _("No host to test."),
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.last_test_box = box
        return outcomes

    def _close(self, index: int) -> None:
        widget = self.tabs.widget(index)
        if index == 0 or widget is None or (isinstance(widget, RemotePanel) and widget.running):
            return  # a running command is cancelled first, so it is never left running unseen
        self.tabs.removeTab(index)
        widget.deleteLater()

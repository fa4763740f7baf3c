"""Whether the laptop is online, for the status bar: the OS's own view when Qt has a backend for it."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtNetwork import QNetworkInformation, QNetworkInterface


def _has_active_interface() -> bool:
    for interface in QNetworkInterface.allInterfaces():
        flags = interface.flags()
        if (
            flags & QNetworkInterface.InterfaceFlag.IsUp
            and flags & QNetworkInterface.InterfaceFlag.IsRunning
            and not flags & QNetworkInterface.InterfaceFlag.IsLoopBack
            and interface.addressEntries()
        ):
            return True
    return False


class NetworkStatus(QObject):
    """Emits `changed(online)`; uses QNetworkInformation, or polls the interfaces when no backend exists."""

    changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, poll_ms: int = 15_000):
        super().__init__(parent)
        self.online: bool | None = None
        self._information: QNetworkInformation | None = None
        if QNetworkInformation.loadBackendByFeatures(QNetworkInformation.Feature.Reachability):
            self._information = QNetworkInformation.instance()
        if self._information is not None:
            self._information.reachabilityChanged.connect(self._from_reachability)
        else:
            self._timer = QTimer(self)
            self._timer.setInterval(poll_ms)
            self._timer.timeout.connect(self.refresh)
            self._timer.start()

    def refresh(self) -> None:
        if self._information is not None:
            self._from_reachability(self._information.reachability())
        else:
            self._set(_has_active_interface())

    def _from_reachability(self, reachability: QNetworkInformation.Reachability) -> None:
        self._set(reachability in (QNetworkInformation.Reachability.Online, QNetworkInformation.Reachability.Site))

    def _set(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.changed.emit(online)

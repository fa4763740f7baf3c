"""Desktop notifications for tickets about to breach their SLA, with an in-window fallback."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon

from supportstation.i18n import _
from supportstation.tickets.labels import sla_label
from supportstation.tickets.sla_clocks import SlaState


class SlaNotifier(QObject):
    """Shows one notification per ticket and state change; the queue's highlight stays as the lasting sign."""

    def __init__(self, window: QMainWindow):
        super().__init__(window)
        self.window = window
        self.sent: list[str] = []
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(window.windowIcon(), self)
            self.tray.setToolTip("SupportStation")
            self.tray.show()

    def notify(self, alerts: list[tuple[str, str, SlaState]]) -> None:
        if not alerts:
            return
        if len(alerts) == 1:
            reference, title, state = alerts[0]
            heading = _("{reference}: {state}").format(reference=reference, state=sla_label(state))
            text = title
        else:
            breached = sum(1 for _r, _t, state in alerts if state is SlaState.BREACHED)
            heading = _("{count} tickets need attention").format(count=len(alerts))
            text = _("{breached} breached, {at_risk} at risk: {references}").format(
                breached=breached,
                at_risk=len(alerts) - breached,
                references=", ".join(reference for reference, _t, _s in alerts[:5]),
            )
        message = f"{heading} — {text}"
        self.sent.append(message)
        if self.tray is not None:
            icon = QSystemTrayIcon.MessageIcon.Warning
            self.tray.showMessage(heading, text, icon, 10_000)
        self.window.statusBar().showMessage(message, 30_000)
        QApplication.alert(self.window)

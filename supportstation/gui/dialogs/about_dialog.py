"""About SupportStation: version, folders and the versions of the libraries underneath."""

from __future__ import annotations

import platform
import sys

import PySide6
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QDialog, QWidget

from supportstation import __version__
from supportstation.context import AppContext
from supportstation.i18n import _

from ..forms.ui_about_dialog import Ui_AboutDialog


def about_details(context: AppContext) -> str:
    database = context.database.display_name if context.database else context.database_choice.url
    return "\n".join(
        [
            _("Database: {name}").format(name=database),
            _("Data: {path}").format(path=context.paths.data),
            _("Settings: {path}").format(path=context.paths.config),
            _("Logs: {path}").format(path=context.paths.logs),
            f"Python {sys.version.split()[0]}, Qt {qVersion()}, PySide6 {PySide6.__version__}",
            f"{platform.system()} {platform.release()} ({platform.machine()})",
        ]
    )


class AboutDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ui = Ui_AboutDialog()
        self.ui.setupUi(self)
        self.ui.version.setText(_("Version {version}").format(version=__version__))
        icon = self.windowIcon()
        if not icon.isNull():
            self.ui.icon.setPixmap(icon.pixmap(64, 64))
        self.ui.details.setPlainText(about_details(context))

"""Qt-side translation: Designer forms go through gettext, Qt's own dialogs through Qt's French catalog."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from supportstation import i18n


class GettextTranslator(QTranslator):
    """Answers Qt's translate() calls (compiled forms) from SupportStation's gettext catalog."""

    def translate(self, context: str, source_text: str, disambiguation: str | None = None, n: int = -1) -> str:
        translated = i18n.translate(source_text)
        # An empty answer tells Qt to try the next translator (Qt's own catalog) and then the source text.
        return translated if translated != source_text else ""

    def isEmpty(self) -> bool:
        return False


def install(application: QCoreApplication, language: str) -> list[QTranslator]:
    """Installs the translators for `language`; the caller keeps the list alive as long as the application."""
    translators: list[QTranslator] = []
    if language == "en":
        return translators
    QLocale.setDefault(QLocale(language))
    qt_catalog = QTranslator(application)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    if qt_catalog.load(QLocale(language), "qtbase", "_", folder):
        application.installTranslator(qt_catalog)
        translators.append(qt_catalog)
    own = GettextTranslator(application)
    application.installTranslator(own)
    translators.append(own)
    return translators

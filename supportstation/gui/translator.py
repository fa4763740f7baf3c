"""Qt-side translation: Designer forms go through gettext, Qt's own dialogs through Qt's French catalog."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from supportstation import i18n


class GettextTranslator(QTranslator):
    """Answers Qt's translate() calls (compiled forms) from SupportStation's gettext catalog."""

    def translate(self, context: str, source_text: str, disambiguation: str | None = None, n: int = -1) -> str | None:
        translated = i18n.translate(source_text)
        # None (a null QString, unlike "") tells Qt to ask the next translator (Qt's own catalog), then keep the source.
        return translated if translated != source_text else None

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

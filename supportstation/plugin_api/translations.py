"""Translations for plugins: each plugin ships its own gettext catalog, beside its code.

    <package>/locale/<language>/LC_MESSAGES/<package>.mo      (for instance fr, and the .po it is compiled from)

A plugin writes its strings in English and marks them:

    from supportstation.plugin_api import N_, translations

    _ = translations(__name__)

    DISK_USAGE = Action(title=N_("Disk usage"), ...)          # declared once: SupportStation translates it where it
                                                              # shows it, in the language of the moment
    notes.append(_("{count} disks are full.").format(count=n))  # made at run time: translated there and then
    words = _.in_language(context.language)                   # a report section, in the report's language

`N_` only marks a string for extraction (tools such as pybabel and SupportStation's tools/i18n.py look for `_` and
`N_`). SupportStation passes the titles, descriptions, categories, parameter labels, confirmation questions, column
headers and notes of a plugin's contributions through the catalog of the plugin that contributed them, then through
its own. A plugin without a catalog keeps working: its strings are shown as written.
"""

from __future__ import annotations

import gettext
import importlib.util
from collections.abc import Callable
from functools import cache
from pathlib import Path

from supportstation import i18n
from supportstation.i18n import N_ as N_  # re-exported for plugins: marks a string, translated where it is shown

LOCALE_FOLDER = "locale"


class Translations:
    """A plugin's catalog, read when first needed, for the interface's language or any other (a report's)."""

    def __init__(self, package: str, folder: Path | None = None) -> None:
        self.domain = package.partition(".")[0]  # the top-level package names the catalog
        self._folder = folder
        self._catalogs: dict[str, gettext.NullTranslations] = {}

    @property
    def folder(self) -> Path | None:
        """`<package folder>/locale`, or None when the package cannot be found (a plugin object of no module)."""
        if self._folder is None:
            try:
                spec = importlib.util.find_spec(self.domain)
            except (ImportError, ValueError):
                return None
            if spec is None:
                return None
            if spec.submodule_search_locations:
                self._folder = Path(next(iter(spec.submodule_search_locations))) / LOCALE_FOLDER
            elif spec.origin:
                self._folder = Path(spec.origin).parent / LOCALE_FOLDER
        return self._folder

    def catalog(self, language: str) -> gettext.NullTranslations:
        """The catalog of one language; an empty one (strings unchanged) when the plugin has none for it."""
        catalog = self._catalogs.get(language)
        if catalog is None:
            folder = self.folder
            catalog = (
                gettext.translation(self.domain, folder, languages=[language], fallback=True)
                if folder is not None and folder.is_dir()
                else gettext.NullTranslations()
            )
            self._catalogs[language] = catalog
        return catalog

    def in_language(self, language: str) -> Callable[[str], str]:
        """The translating function of one language, whatever the interface's (a report is in the customer's)."""
        catalog = self.catalog(language)
        # gettext("") would return the catalog's header.
        return lambda message: catalog.gettext(message) if message else message

    def knows(self, message: str, language: str) -> bool:
        """Whether the plugin's catalog of `language` has the message, even translated as itself ("Firmware")."""
        # GNUTranslations keeps its messages in _catalog; an empty catalog (NullTranslations) has none.
        return message in getattr(self.catalog(language), "_catalog", {})

    def gettext(self, message: str) -> str:
        """The message in the language SupportStation shows now."""
        return self.in_language(i18n.current())(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.catalog(i18n.current()).ngettext(singular, plural, count)

    __call__ = gettext


def translations(package: str) -> Translations:
    """The catalog of the plugin whose module is `package` (pass `__name__`); one object per top-level package."""
    return _of_package(package.partition(".")[0])


@cache
def _of_package(package: str) -> Translations:
    return Translations(package)

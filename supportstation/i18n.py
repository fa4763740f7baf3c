"""Translations: gettext for SupportStation's own strings, in French and English.

Source strings are English. `_()` looks them up in the catalog of the language chosen at start-up
(`resources/locale/<lang>/LC_MESSAGES/supportstation.mo`); Qt Designer forms reach the same catalog through a
QTranslator installed by the GUI, so there is one catalog per language for everything.
"""

from __future__ import annotations

import contextlib
import functools
import gettext
import locale
import os

from supportstation import paths

DOMAIN = "supportstation"
SUPPORTED = ("en", "fr")

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def system_language() -> str:
    """The supported language closest to the system locale; English when the system speaks neither."""
    candidates = [os.environ.get(name, "") for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")]
    with contextlib.suppress(AttributeError, ValueError):  # LC_MESSAGES does not exist on Windows
        candidates.append(locale.getlocale(locale.LC_MESSAGES)[0] or "")
    for candidate in candidates:
        for part in candidate.split(":"):
            code = part.split("_")[0].split(".")[0].lower()
            if code in SUPPORTED:
                return code
            if code and code not in ("c", "posix"):
                return "en"
    return "en"


def resolve(choice: str) -> str:
    return system_language() if choice in ("", "system") else (choice if choice in SUPPORTED else "en")


def install(language: str) -> str:
    """Activates a language ('system', 'fr' or 'en') and returns the one in effect."""
    global _translations, _language
    _language = resolve(language)
    locale_dir = paths.resources() / "locale"
    _translations = gettext.translation(DOMAIN, locale_dir, languages=[_language], fallback=True)
    return _language


def current() -> str:
    return _language


def _(message: str) -> str:
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    return _translations.ngettext(singular, plural, count)


@functools.lru_cache(maxsize=len(SUPPORTED))
def catalog(language: str) -> gettext.NullTranslations:
    """The translations of one language, whatever language the interface uses: a report is in the customer's."""
    return gettext.translation(DOMAIN, paths.resources() / "locale", languages=[language], fallback=True)


def N_(message: str) -> str:
    """Marks a message for the catalog without translating it: it is translated where it is shown, in the language
    wanted there (a report is in the customer's language, whatever the interface's)."""
    return message


def translate(message: str) -> str:
    """The same as `_`, under a name for code that translates strings it did not write (Qt forms)."""
    return _translations.gettext(message)
